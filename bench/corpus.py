"""How much of the real-world corpus compiles; prints figures (not a test).

    .venv/bin/python bench/corpus.py

Reads ../shared/corpus/pipelines (Drone 0.8 and Woodpecker files) and tests/compiler/corpus_extra (files
collected for issue 12, see its README.md). Prints compiled/total per format, then every file that does not
compile with its first problem, marked "upstream refuses it too" (with why) or "circle is stricter".
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from circle.compiler import Metadata, compile_pipeline
from circle.compiler.metadata import BuildInfo, CommitInfo, RepoInfo
from circle.errors import CompileError

ROOT = Path(__file__).resolve().parents[1]
PIPELINES = ROOT.parent / "shared" / "corpus" / "pipelines"
EXTRA = ROOT / "tests" / "compiler" / "corpus_extra"
FORMATS = ("drone08", "woodpecker")

# Files Drone 0.8 (cncd/pipeline's linter and YAML types) or Woodpecker 3 (its linter's non-warning errors)
# refuse as well: circle's refusal is the upstream behaviour.
NO_IMAGE = "Woodpecker's linter: \"Invalid or missing image\" (an error)"
UPSTREAM_REFUSES = {
    "drone08/KyleOndy__kyleondy.com.yml": "Drone 0.8's linter: \"Invalid or missing image\"",
    "drone08/SierraSoftworks__chieftan-server.yml": "Drone 0.8's linter: \"Invalid or missing image\"",
    "drone08/drone__drone-kubernetes-secrets.yml":
        "Drone 1.0-rc format: Drone 0.8 cannot read a list under `pipeline:`",
    "woodpecker/anbraten__wp-test__moin.yml": NO_IMAGE,
    "woodpecker/5mdt__url-fairy-bot.yml": "Woodpecker's linter checks clone steps too: \"Invalid or missing image\"",
    "woodpecker/5mehulhelp5__magento2-cart-graphql-go.yml": NO_IMAGE,
}


@dataclass(frozen=True)
class Result:
    """One corpus file: its name (relative to its corpus root), format, and first problem ("" when it compiles)."""

    name: str
    format: str
    problem: str


def corpus_files() -> list[tuple[str, Path]]:
    """Return (name, path) of every corpus pipeline file: the shared corpus, then corpus_extra."""
    found = []
    for root in (PIPELINES, EXTRA):
        for fmt in FORMATS:
            for path in sorted((root / fmt).glob("**/*.y*ml")):
                found.append((str(path.relative_to(root)), path))
    return found


def metadata(event: str = "push", name: str = "master") -> Metadata:
    """Return a build of a trusted repository: `name` is the branch (a pull request's target) or, for a tag, the tag."""
    tag = name if event == "tag" else ""
    ref = f"refs/tags/{tag}" if tag else f"refs/heads/{name}"
    return Metadata(repo=RepoInfo(full_name="octo/hello", owner="octo", name="hello",
                                  clone_url="https://git.example.com/octo/hello.git", trusted=True),
                    commit=CommitInfo(sha="a" * 40, ref=ref, branch=name),
                    build=BuildInfo(number=3, event=event, tag=tag, pull_request=5 if event == "pull_request" else 0))


def measure() -> list[Result]:
    """Compile every corpus file as a push to master; return one Result per file."""
    results = []
    for name, path in corpus_files():
        try:
            compile_pipeline(path.read_text(), metadata(), filename=name, trusted=True)
            problem = ""
        except CompileError as err:
            problem = str(err.problems[0])
        results.append(Result(name, name.split("/", 1)[0], problem))
    return results


def percent(part: int, whole: int) -> str:
    """Return `part/whole (P %)`."""
    return f"{part}/{whole} ({100 * part / max(whole, 1):.1f} %)"


def main() -> None:
    """Print the figures."""
    results = measure()
    for fmt in FORMATS:
        mine = [r for r in results if r.format == fmt]
        print(f"{fmt:11} compiled {percent(sum(not r.problem for r in mine), len(mine))}")
    compiled = sum(not r.problem for r in results)
    refused = sum(bool(r.problem) and r.name in UPSTREAM_REFUSES for r in results)
    print(f"{'all':11} compiled {percent(compiled, len(results))}; "
          f"compiled or refused as upstream refuses {percent(compiled + refused, len(results))}")
    for result in results:
        if result.problem:
            why = UPSTREAM_REFUSES.get(result.name)
            print(f"  {result.problem}\n      {'upstream refuses it too: ' + why if why else 'circle is stricter'}")


if __name__ == "__main__":
    main()
