"""Each compiled step gets its own CIRCLE_UPLOAD_URL, bound to its proc, and no other step's."""
from __future__ import annotations

from circle.origin import Origin
from circle.service import builds
from circle.service.uploads import step_for
from circle.store import builds as build_store
from circle.store import configs, tasks

GOOD = "pipeline:\n  a:\n    image: busybox\n    commands: [echo a]\n  b:\n    image: busybox\n    commands: [echo b]\n"


def test_every_step_carries_an_upload_url_bound_to_its_own_proc(app, repo):
    origin = Origin(event="push", ref="refs/heads/main", branch="main", commit="c" * 40)
    build = builds.create(repo, configs.list_by_repo(repo.id)[0], origin)
    [task] = tasks.list_by_build(build.id)
    steps = tasks.payload(task.id)["config"]["stages"]
    urls = {step["name"]: step["environment"]["CIRCLE_UPLOAD_URL"]
            for stage in steps for step in stage["steps"]}
    assert len(set(urls.values())) == len(urls) >= 3  # clone, a, b
    for name, url in urls.items():
        proc = step_for(url.rsplit("/", 1)[1])
        assert (proc.build_id, proc.name) == (build.id, name)
    assert all(p.name in urls for p in build_store.list_procs(build.id) if p.ppid)
