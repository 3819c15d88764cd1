"""Ordering steps into stages: consecutive `group`s (Drone 0.8) or a `depends_on` DAG (Woodpecker).

Without `depends_on` steps run in file order, consecutive steps of one `group` together.
As soon as one step has `depends_on`, every step starts as early as its dependencies allow
(a step without `depends_on` has none); the DAG is cut into waves: a step's stage is one
after the latest stage of its dependencies.
"""
from __future__ import annotations

import logging

from circle.compiler.model import StepDef
from circle.compiler.values import Reader
from circle.pipeline.types import Stage, Step

log = logging.getLogger(__name__)


def uses_dag(steps: list[StepDef]) -> bool:
    """Return whether any step declares `depends_on`."""
    return any(step.depends_on is not None for step in steps)


def check_dependencies(steps: list[StepDef], reader: Reader) -> None:
    """Report duplicate names, unknown dependencies, cycles, and `group` mixed with `depends_on`."""
    if not uses_dag(steps):
        return
    names: set[str] = set()
    for step in steps:
        if step.name in names:
            reader.problem(step.option_nodes.get("name", step.node),
                           f"two steps are named `{step.name}`; with `depends_on` step names must be unique")
        names.add(step.name)
    for step in steps:
        if step.group:
            reader.problem(step.option_nodes.get("group", step.node),
                           f"step `{step.name}` has a `group`, but this pipeline orders steps with `depends_on`; "
                           "use one or the other")
        for dep in step.depends_on or []:
            if dep.name not in names and not dep.optional:
                reader.problem(dep.node, f"step `{step.name}` depends on `{dep.name}`, "
                                         "which is not a step of this pipeline")
            elif dep.name == step.name:
                reader.problem(dep.node, f"step `{step.name}` depends on itself")
    cycle = _find_cycle(steps)
    if cycle:
        first = next(s for s in steps if s.name == cycle[0])
        node = first.option_nodes.get("depends_on", first.node)
        reader.problem(node, "`depends_on` makes a cycle: " + " → ".join(cycle))


def check_kept_dependencies(steps: list[StepDef], reader: Reader) -> None:
    """Report required dependencies on steps that `when` left out of this build (Woodpecker refuses those)."""
    kept = {step.name for step in steps}
    for step in steps:
        for dep in step.depends_on or []:
            if dep.name not in kept and not dep.optional:
                reader.problem(dep.node, f"step `{step.name}` depends on `{dep.name}`, which `when` leaves out of "
                                         "this build (make the dependency `optional: true` or give both one `when`)")


def _find_cycle(steps: list[StepDef]) -> list[str]:
    """Return the names along one dependency cycle (first name repeated at the end), or []."""
    edges = {step.name: [d.name for d in step.depends_on or [] if d.name != step.name] for step in steps}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    for start in edges:
        if state.get(start):
            continue
        path = [start]
        iters = [iter(edges.get(start, []))]
        state[start] = 1
        while iters:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iters.pop()
                continue
            if nxt not in edges or state.get(nxt) == 2:
                continue
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            state[nxt] = 1
            path.append(nxt)
            iters.append(iter(edges[nxt]))
    return []


def group_stages(steps: list[tuple[StepDef, Step]]) -> list[Stage]:
    """Return one stage per step, merging consecutive steps of the same `group`."""
    stages: list[Stage] = []
    last_group = ""
    for definition, step in steps:
        if definition.group and definition.group == last_group:
            stages[-1].steps.append(step)
        else:
            stages.append(Stage(name=definition.group or step.name, steps=[step]))
        last_group = definition.group
    return stages


def dag_stages(steps: list[tuple[StepDef, Step]]) -> list[Stage]:
    """Return the waves of the dependency graph of the kept steps (optional dependencies on dropped steps vanish)."""
    index = {definition.name: i for i, (definition, _) in enumerate(steps)}
    deps = [[index[d.name] for d in definition.depends_on or [] if index.get(d.name, i) != i]
            for i, (definition, _) in enumerate(steps)]
    level: list[int | None] = [None] * len(steps)
    remaining = set(range(len(steps)))
    while remaining:
        ready = [i for i in remaining if all(level[j] is not None for j in deps[i])]
        if not ready:  # a cycle; check_dependencies reports it before stages are built
            break
        for i in ready:
            level[i] = 1 + max((level[j] or 0 for j in deps[i]), default=-1)
        remaining.difference_update(ready)
    stages: dict[int, Stage] = {}
    for i, (_, step) in enumerate(steps):
        n = level[i] or 0
        stages.setdefault(n, Stage(name=f"stage-{n + 1}")).steps.append(step)
    ordered = [stages[n] for n in sorted(stages)]
    for stage in ordered:
        if len(stage.steps) == 1:
            stage.name = stage.steps[0].name
    return ordered


def unique_names(steps: list[Step], taken: set[str]) -> None:
    """Rename steps whose name is already taken: `name-2`, `name-3`…"""
    for step in steps:
        if step.name in taken:
            n = 2
            while f"{step.name}-{n}" in taken:
                n += 1
            log.debug("renaming duplicate step %s to %s-%d", step.name, step.name, n)
            if step.aliases == [step.name]:
                step.aliases = [f"{step.name}-{n}"]
            step.name = f"{step.name}-{n}"
        taken.add(step.name)
