"""Step `reports:` and `artifacts:` in the runtime: after the step (also a failed one) its files reach the tracer."""
from __future__ import annotations

import io
import os
import tarfile

import pytest

from circle.pipeline.collect import collect, unpack

shell_backends = pytest.mark.parametrize(
    "backend_name", ["local", pytest.param("docker", marks=pytest.mark.docker)], indirect=True)


@shell_backends
def test_a_failed_step_hands_its_reports_and_artifacts_over_before_its_end(run, ir):
    commands = ["mkdir -p out/deep dist", "echo '<testsuite/>' > out/a.xml", "echo '<testsuite/>' > out/deep/b.xml",
                "echo wheel > dist/x.whl", "exit 2"]
    step = ir.step("test", commands=commands, reports=["out/**/*.xml"], artifacts=["dist/*", "out/a.xml", "none/*"])
    result, rec, _ = run(ir.pipeline([step]))
    assert result.state == "failure"
    files = [found for kind, _, found in rec.events if kind == "file"]
    assert [(f.name, f.report, f.data) for f in files] == [
        ("out/a.xml", True, b"<testsuite/>\n"), ("out/deep/b.xml", True, b"<testsuite/>\n"),
        ("dist/x.whl", False, b"wheel\n")]
    assert "warning: `artifacts: none/*` matched no file in the workspace" in rec.out("test")
    kinds = [kind for kind, name, _ in rec.events if name == "test"]
    assert kinds.index("file") > max(i for i, k in enumerate(kinds) if k == "line")
    assert kinds[-1] == "state" and rec.final("test").exit_code == 2


@shell_backends
def test_a_file_over_the_limit_is_left_out_with_a_warning_line(run, ir):
    step = ir.step("big", commands=["head -c 2048 /dev/zero > big.bin", "echo small > small.txt"],
                   artifacts=["*.bin", "*.txt"])
    result, rec, _ = run(ir.pipeline([step]), max_file=1024)
    assert result.state == "success"
    assert [found.name for kind, _, found in rec.events if kind == "file"] == ["small.txt"]
    assert "warning: big.bin is not uploaded: its 2048 bytes are over the 1024 byte limit for one file" \
        in rec.out("big")


def test_symlinks_out_of_the_workspace_and_directories_are_not_collected(tmp_path):
    root = tmp_path / "ws"
    (root / "sub").mkdir(parents=True)
    (tmp_path / "secret.txt").write_text("private")
    os.symlink(tmp_path / "secret.txt", root / "leak.txt")
    (root / "ok.txt").write_text("fine")
    found = collect(str(root), [], ["*.txt", "sub"], 100)
    assert [f.name for f in found.files] == ["ok.txt"]
    assert found.warnings == ["warning: `artifacts: sub` matched no file in the workspace"]


def test_unpack_takes_only_regular_files_inside_the_archived_directory(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in (("src/out/a.xml", b"<testsuite/>"), ("src/../../escape.xml", b"x"),
                           ("src/other.txt", b"not asked for")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("src/out/link.xml")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
    data = buffer.getvalue()
    unpack([data[i:i + 100] for i in range(0, len(data), 100)], str(tmp_path), ["out/*.xml", "*.xml"], 1000)
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == ["out", "out/a.xml"]
    assert not (tmp_path.parent / "escape.xml").exists()
