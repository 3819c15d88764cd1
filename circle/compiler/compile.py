"""compile_pipeline: pipeline text + build metadata → one Workflow (IR) per matrix axis.

First the file is checked as written (the linter's checks: every step, whatever its `when`).
Then, per axis: substitute `${VAR}` into the parsed tree, drop the axis when the pipeline-level
`when`/`branches` exclude this build, read each step's `when` and only then the steps that run,
and build the stages with each step's environment. Nodes that no axis variable touches are
substituted and read once for all axes. Every problem is raised together as one CompileError.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

from circle.compiler.clone import CLONE_COMMANDS, CLONE_STEP_NAME, DEFAULT_CLONE_IMAGE, is_git_plugin, netrc_environment
from circle.compiler.constraints import Condition, Facts
from circle.compiler.document import dialect_of, load_root, parse_root
from circle.compiler.environment import StepEnvironment, apply_platform, builtin_environment, substitution_environment
from circle.compiler.expr import ExprError
from circle.compiler.images import with_tag
from circle.compiler.linter import check_file, sorted_problems
from circle.compiler.matrix import parse_matrix
from circle.compiler.metadata import Metadata
from circle.compiler.model import DRONE08, WOODPECKER, PipelineDef, StepDef, StepEntry
from circle.compiler.secrets import SecretSpec, SecretStore
from circle.compiler.sections import read_workspace
from circle.compiler.stages import check_kept_dependencies, dag_stages, group_stages, unique_names, uses_dag
from circle.compiler.steps import StepReader
from circle.compiler.substitute import TreeSubstituter, references
from circle.compiler.trust import check_trust
from circle.compiler.values import Reader
from circle.compiler.yamlnodes import Mapping as MappingNode
from circle.compiler.yamlnodes import Node
from circle.compiler.yamlnodes import Scalar as ScalarNode
from circle.errors import CompileError
from circle.pipeline.types import (
    KIND_CLONE,
    KIND_SERVICE,
    Config,
    Network,
    Registry,
    Secret,
    Stage,
    Step,
    Volume,
    Workflow,
    Workspace,
)
from circle.states import PULL_REQUEST, TAG

log = logging.getLogger(__name__)

WORKSPACE_VOLUME = "workspace"
DEFAULT_NETWORK = "default"


def compile_pipeline(text: str, meta: Metadata, *, filename: str = ".circle.yml",
                     secrets: Sequence[SecretSpec] = (), registries: Sequence[Registry] = (),
                     trusted: bool = False, env: Mapping[str, str] | None = None,
                     clone_image: str = DEFAULT_CLONE_IMAGE) -> list[Workflow]:
    """Compile `text` for the build `meta`; an empty list means the build has nothing to run."""
    lenient = Reader(filename, lenient=True)
    root = load_root(text, lenient)
    if root is None:
        raise _error(lenient)
    dialect = dialect_of(root, lenient)
    axes = parse_matrix(root.get("matrix"), lenient)
    dag = uses_dag(check_file(root, dialect, lenient, trusted)) if dialect is not None else False
    if lenient.problems or dialect is None:
        raise _error(lenient)
    job = _Job(root, dialect, dag, meta, dict(env or {}), axes, Reader(filename))
    options = _Options(secrets, list(registries), trusted, clone_image)
    workflows = [w for number, axis in enumerate(axes, 1) if (w := job.compile_axis(axis, number, options)) is not None]
    if job.reader.problems:
        raise _error(job.reader)
    log.debug("compiled %s: %d of %d axes to run", filename, len(workflows), len(axes))
    return workflows


def _error(reader: Reader) -> CompileError:
    """Return the error carrying every distinct problem found, in file order."""
    return CompileError(sorted_problems(reader.problems))


class _Options:
    """What compile_pipeline was asked besides the text and the metadata."""

    def __init__(self, secrets: Sequence[SecretSpec], registries: list[Registry], trusted: bool,
                 clone_image: str) -> None:
        self.secrets = secrets
        self.registries = registries
        self.trusted = trusted
        self.clone_image = clone_image


class _Job:
    """One file compiled for one build, axis after axis, sharing what the axes have in common."""

    def __init__(self, root: MappingNode, dialect: str, dag: bool, meta: Metadata, env: dict[str, str],
                 axes: list[dict[str, str]], reader: Reader) -> None:
        self.root = root
        self.dag = dag
        self.meta = meta
        self.env = env
        self.reader = reader
        self.dialect = dialect
        self.steps = StepReader(dialect, reader)
        self.parsed: tuple[MappingNode, PipelineDef | None] | None = None
        self.decisions: dict[tuple[object, ...], tuple[Condition, tuple[bool, bool] | None]] = {}
        self.refs = references(root)
        self.memo: dict[tuple[object, ...], tuple[Node, Node]] = {}
        self.substitution_errors: list[tuple[Node, str]] = []
        self.collections = {id(v) for k, v in root.pairs if isinstance(k, ScalarNode)
                            and k.text in ("pipeline", "steps", "services")}

    def compile_axis(self, axis: dict[str, str], number: int, options: _Options) -> Workflow | None:
        """Return the workflow of one axis, or None when nothing of it runs."""
        reader, meta = self.reader, self.meta
        start = len(reader.problems)
        workspace = self._workspace(axis)
        builtins = builtin_environment(meta, workspace, number, _stem(reader.filename))
        sub_env = substitution_environment(builtins, meta, self.env, axis)
        substituter = TreeSubstituter(sub_env, refs=self.refs, memo=self.memo)
        substituter.errors = self.substitution_errors
        tree = substituter.outline(self.root, self.collections)
        pipeline = self._parse(tree)
        if pipeline is None or len(reader.problems) > start:
            return None
        if pipeline.labels.get("platform"):
            apply_platform(builtins, pipeline.labels["platform"])
        facts = _facts(meta, pipeline, axis, sub_env)
        try:
            if not all(condition.matches(facts) for condition in pipeline.filters):
                return None
            config = _ConfigBuilder(self, pipeline, facts, builtins, axis, options, substituter.apply).build()
        except _ConditionFailed as failed:
            reader.problem(failed.node, f"`evaluate` of {failed.what} fails: {failed.error}")
            return None
        finally:
            for node, message in self.substitution_errors:
                reader.problem(node, message)
        if config is None or len(reader.problems) > start:
            return None
        name = " ".join(f"{k}={v}" for k, v in axis.items()) if axis else _stem(reader.filename)
        return Workflow(axis=dict(axis), config=config, name=name, labels=dict(pipeline.labels))

    def _parse(self, tree: MappingNode) -> PipelineDef | None:
        """Read the top of a substituted tree (None when it has problems); axes sharing a tree share the result."""
        if self.parsed is None or self.parsed[0] is not tree:
            before = len(self.reader.problems)
            pipeline = parse_root(tree, self.dialect, self.reader)
            self.parsed = (tree, pipeline if len(self.reader.problems) == before else None)
        return self.parsed[1]

    def decide(self, condition: Condition, facts: Facts) -> tuple[bool, bool] | None:
        """Return `condition.decide(facts)`, remembered across axes when only matrix values matter."""
        names = condition.axis_names
        if names is None:
            return condition.decide(facts)
        key = (id(condition), tuple(facts.axis.get(name) for name in names))
        cached = self.decisions.get(key)
        if cached is None or cached[0] is not condition:
            cached = self.decisions[key] = (condition, condition.decide(facts))
        return cached[1]

    def _workspace(self, axis: dict[str, str]) -> Workspace:
        """Return the workspace of an axis (substituted without the workspace variables)."""
        node = self.root.get("workspace")
        if node is None:
            return Workspace()
        env = substitution_environment(self.meta.environ(), self.meta, self.env, axis)
        return read_workspace(TreeSubstituter(env).apply(node), Reader(self.reader.filename))


def _facts(meta: Metadata, pipeline: PipelineDef, axis: dict[str, str], env: dict[str, str]) -> Facts:
    """Return what `when` conditions are matched against."""
    branch = meta.commit.branch
    if meta.build.event == PULL_REQUEST and meta.build.target_branch:
        branch = meta.build.target_branch
    tagged = meta.build.event == TAG
    if tagged and pipeline.dialect == DRONE08:  # Drone 0.8 gave a tag build the branch `refs/tags/<tag>`
        branch = f"refs/tags/{meta.build.tag}" if meta.build.tag else meta.commit.ref
    return Facts(event=meta.build.event, branch=branch, ref=meta.commit.ref, tag=meta.build.tag,
                 check_branch=not (tagged and pipeline.dialect == WOODPECKER),
                 environment=meta.build.deploy_to, platform=pipeline.labels.get("platform") or meta.system.platform,
                 instance=meta.system.host, repo=meta.repo.full_name, cron=meta.build.cron,
                 files=meta.commit.files, axis=axis, env=env)


class _ConditionFailed(Exception):
    """An `evaluate` expression failed while filtering a step."""

    def __init__(self, node: Node | None, what: str, error: ExprError) -> None:
        super().__init__(str(error))
        self.node = node
        self.what = what
        self.error = error


class _ConfigBuilder:
    """Build the IR of one axis."""

    def __init__(self, job: _Job, pipeline: PipelineDef, facts: Facts, builtins: dict[str, str],
                 axis: dict[str, str], options: _Options, substitute: Callable[[Node], Node]) -> None:
        self.job = job
        self.substitute = substitute
        self.pipeline = pipeline
        self.facts = facts
        self.options = options
        self.store = SecretStore(options.secrets, job.meta.build.event)
        self.environment = StepEnvironment(builtins, job.meta, job.env, axis, self.store, job.reader,
                                           detached_settings=job.dialect != DRONE08)
        self.mount = f"{WORKSPACE_VOLUME}:{pipeline.workspace.base}"

    def build(self) -> Config | None:
        """Return the config, or None when no step survives the `when` filters."""
        steps = self._kept(self.pipeline.steps)
        if not steps:
            return None
        services = [step for _, step in self._kept(self.pipeline.services)]
        clone = self._clone()
        taken: set[str] = set()
        for group in (clone, services, [s for _, s in steps]):
            unique_names(group, taken)
        stages = [Stage(name=step.name, steps=[step]) for step in clone]
        if services:
            stages.append(Stage(name="services", steps=services))
        if self.job.dag:
            check_kept_dependencies([definition for definition, _ in steps], self.job.reader)
        stages += dag_stages(steps) if self.job.dag else group_stages(steps)
        masked = self.store.masked()
        netrc = self.job.meta.netrc
        if netrc and netrc.password and any("CI_NETRC_PASSWORD" in step.environment for step in clone):
            masked.append(Secret(name="netrc_password", value=netrc.password))
        return Config(stages=stages, volumes=[Volume(WORKSPACE_VOLUME)], networks=[Network(DEFAULT_NETWORK)],
                      secrets=masked, registries=list(self.options.registries), workspace=self.pipeline.workspace,
                      trusted=self.options.trusted)

    def _kept(self, entries: list[StepEntry]) -> list[tuple[StepDef, Step]]:
        """Return the definitions and IR steps of the entries whose `when` lets them run."""
        reader = self.job.steps
        out = []
        for entry in entries:
            condition = reader.when(entry, self.substitute)
            try:
                flags = self.job.decide(condition, self.facts)
            except ExprError as err:
                raise _ConditionFailed(entry.node.get("when"), f"{entry.kind} `{entry.name}`", err) from None
            if flags is None:
                continue
            definition = reader.step(entry, self.substitute)
            if not self.options.trusted:
                check_trust([definition], self.job.reader)
            out.append((definition, self._step(definition, flags)))
        return out

    def _clone(self) -> list[Step]:
        """Return the clone step(s): the default one, the file's own, or none."""
        netrc = netrc_environment(self.job.meta.netrc)
        if self.pipeline.clone is None:
            default = StepDef(name=CLONE_STEP_NAME, node=self.job.root, kind=KIND_CLONE,
                              image=self.options.clone_image, commands=list(CLONE_COMMANDS))
            clone = [self._step(default, (True, False))]
        else:
            clone = []
            for definition, step in self._kept(self.pipeline.clone):
                if not definition.commands and is_git_plugin(definition.image):
                    step.commands = list(CLONE_COMMANDS)
                clone.append(step)
            if not self._custom_clone_gets_netrc():
                netrc = {}
        for step in clone:
            step.environment.update(netrc)
            step.trace = step.commands != CLONE_COMMANDS
        return clone

    def _custom_clone_gets_netrc(self) -> bool:
        """Tell whether the file's own clone steps may see the SCM credentials: on a trusted repo, never for a
        pull request (its file, and so its clone step, comes from the pull request's author)."""
        return self.options.trusted and self.job.meta.build.event != PULL_REQUEST

    def _step(self, d: StepDef, flags: tuple[bool, bool]) -> Step:
        """Return the IR step of `d` with its on_success/on_failure `flags`."""
        image = with_tag(d.image)
        return Step(
            name=d.name, image=image, commands=list(d.commands), environment=self.environment.for_step(d, image),
            kind=d.kind, detach=d.detach, on_success=flags[0], on_failure=flags[1], failure=d.failure,
            privileged=d.privileged, pull=d.pull, volumes=[self.mount, *d.volumes],
            working_dir=self._working_dir(d), entrypoint=d.entrypoint, command=d.command,
            network_mode=d.network_mode, networks=[DEFAULT_NETWORK], aliases=[d.name], devices=list(d.devices),
            dns=list(d.dns), dns_search=list(d.dns_search), extra_hosts=list(d.extra_hosts), tmpfs=list(d.tmpfs),
            shm_size=d.shm_size, mem_limit=d.mem_limit, cpu_quota=d.cpu_quota, group=d.group,
            retry=d.retry, retry_delay=d.retry_delay, timeout=d.timeout)

    def _working_dir(self, d: StepDef) -> str:
        """Return the step's directory: the workspace, or `directory:` below it (or absolute)."""
        if d.kind == KIND_SERVICE and not d.directory:
            return ""  # services keep their image's WORKDIR, as in Drone 0.8
        full = self.pipeline.workspace.full_path
        if not d.directory:
            return full
        if d.directory.startswith("/"):
            return d.directory
        return full.rstrip("/") + "/" + d.directory.strip("/")


def _stem(filename: str) -> str:
    """Return a workflow name from a file name: `.woodpecker/test.yml` → `test`, `.drone.yml` → `drone`."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1].lstrip(".")
    return (base.rsplit(".", 1)[0] if "." in base else base) or "pipeline"
