"""One step (or service, or clone step) mapping → StepDef, for either dialect.

Drone 0.8 treats every key it does not know as a plugin setting; Woodpecker wants plugin
settings under `settings:` and rejects unknown keys, and a plugin step there may not also
set `commands`, `entrypoint` or `environment`.
"""
from __future__ import annotations

import logging
import re
import shlex
from collections.abc import Callable

from circle.compiler.constraints import Condition, parse_condition
from circle.compiler.model import DRONE08, WOODPECKER, Dependency, StepDef, StepEntry
from circle.compiler.settings import encode, secret_ref
from circle.compiler.values import Reader, shape
from circle.compiler.yamlnodes import Mapping, Node, Scalar, Sequence
from circle.pipeline.types import KIND_CLONE, KIND_SERVICE

log = logging.getLogger(__name__)

# Options circle reads but that have no effect on the IR (runtime tuning a backend may not offer).
IGNORED = frozenset(("cap_add", "cap_drop", "cpuset", "cpu_shares", "isolation", "labels", "mem_swap_limit",
                     "memswap_limit", "mem_swappiness", "ulimits", "sysctls", "auth_config", "networks",
                     "ports", "backend_options", "oom_kill_disable", "pull_policy"))
LIST_OPTIONS = ("volumes", "devices", "dns", "dns_search", "extra_hosts", "tmpfs")
BOOL_OPTIONS = ("detach", "privileged", "pull")
INT_OPTIONS = ("shm_size", "mem_limit", "cpu_quota")
FORBIDDEN_WITH_SETTINGS = ("commands", "entrypoint", "environment")
GITHUB_ACTIONS_KEYS = frozenset(("runs-on", "uses", "with", "run", "needs", "env", "if"))
# circle's step keys that Drone 0.8 passed to plugins as settings (drone-ssh and drone-rancher take `timeout`).
PLUGIN_SETTINGS_IN_DRONE08 = ("retry", "timeout")
MAX_RETRY = 10
# the keys of `retry: {…}`, of a `secrets:` item and of a `depends_on:` item
RETRY_KEYS = ("count", "delay")
SECRET_KEYS = ("source", "target")
DEPENDENCY_KEYS = ("name", "optional")
DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|h|m|s)")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


class StepReader:
    """Read steps of one file on demand, each mapping once: matrix axes that substitute nothing into a
    step share its node, so they share its StepDef (and its problems are reported once)."""

    def __init__(self, dialect: str, reader: Reader) -> None:
        self.dialect = dialect
        self.reader = reader
        self._steps: dict[int, tuple[Mapping, StepDef]] = {}
        self._whens: dict[int, tuple[Node, Condition]] = {}

    def step(self, entry: StepEntry, substitute: Callable[[Node], Node] | None = None) -> StepDef:
        """Return the StepDef of `entry`, its mapping passed through `substitute` first."""
        node = substitute(entry.node) if substitute else entry.node
        cached = self._steps.get(id(node))
        if cached is not None and cached[0] is node and cached[1].name == entry.name:
            return cached[1]
        assert isinstance(node, Mapping)
        step = parse_step(StepEntry(entry.name, node, entry.kind, entry.name_node), self.dialect, self.reader)
        self._steps[id(node)] = (node, step)
        return step

    def when(self, entry: StepEntry, substitute: Callable[[Node], Node] | None = None) -> Condition:
        """Return the `when` of `entry` alone (enough to decide whether to read the rest)."""
        node = entry.node.get("when")
        if node is None:
            return Condition()
        node = substitute(node) if substitute else node
        cached = self._whens.get(id(node))
        if cached is not None and cached[0] is node:
            return cached[1]
        condition = parse_condition(node, self.reader, f"`when` of {entry.kind} `{entry.name}`",
                                    woodpecker_status=self.dialect == WOODPECKER)
        self._whens[id(node)] = (node, condition)
        return condition


def parse_step(entry: StepEntry, dialect: str, reader: Reader) -> StepDef:
    """Read one step mapping."""
    mapping, name, kind = entry.node, entry.name, entry.kind
    step = StepDef(name=name, node=mapping, kind=kind, detach=kind == KIND_SERVICE)
    label = f"{kind} `{name}`"
    settings: list[tuple[str, Node]] = []
    seen: dict[str, Node] = {}
    for option, key, value in reader.keys(mapping, (), label):
        seen[option] = key
        handler = _HANDLERS.get(option)
        if dialect == DRONE08 and _drone08_setting(option, value, mapping):
            settings.append((option, value))
        elif handler is not None:
            handler(step, value, reader, f"`{option}` of {label}")
        elif option in LIST_OPTIONS:
            setattr(step, option, reader.strings(value, f"`{option}` of {label}"))
        elif option in BOOL_OPTIONS:
            setattr(step, option, reader.boolean(value, f"`{option}` of {label}", getattr(step, option)))
        elif option in INT_OPTIONS:
            setattr(step, option, reader.integer(value, f"`{option}` of {label}"))
        elif option == "settings":
            settings.extend(_settings(value, reader, f"`settings` of {label}"))
        elif option in IGNORED or option == "name":
            continue
        elif dialect == DRONE08 or kind == KIND_CLONE:  # Woodpecker's schema allows bare clone settings
            settings.append((option, value))
        elif option in GITHUB_ACTIONS_KEYS:
            reader.problem(key, f"unknown key `{option}` in {label} (a GitHub Actions key; Woodpecker would ignore it)")
        else:
            reader.problem(key, f"unknown key `{option}` in {label} (plugin settings go under `settings:`)")
    step.settings = settings
    step.option_nodes = seen
    image = mapping.get("image")
    if not step.image and (image is None or isinstance(image, Scalar)):
        missing = "" if "commands" in seen else " (nor `commands`)"
        if dialect == DRONE08 and settings and "commands" not in seen:
            missing = ": Drone 0.8 needs one (taking a plugin's image from the step's name was Drone 0.4/0.5's way)"
        reader.problem(seen.get("image", entry.name_node), f"{label} has no `image`{missing}")
    if dialect != DRONE08 and "settings" in seen:
        for option in FORBIDDEN_WITH_SETTINGS:
            if option in seen:
                reader.problem(seen[option], f"{label} has `settings:`, so it is a plugin; a plugin step "
                                             f"cannot also set `{option}`")
    return step


def _drone08_setting(option: str, value: Node, mapping: Mapping) -> bool:
    """Tell whether a Drone 0.8 step's `retry`/`timeout` is a plugin setting, as Drone 0.8 read it: on a step
    without `commands`, and a `timeout` that is a bare number (plugins count seconds; circle wants a unit)."""
    if option not in PLUGIN_SETTINGS_IN_DRONE08:
        return False
    bare_number = option == "timeout" and isinstance(value, Scalar) and value.text.strip().isdigit()
    return mapping.get("commands") is None or bare_number


def _image(step: StepDef, node: Node, reader: Reader, what: str) -> None:
    """Read `image`."""
    step.image = reader.string(node, what).strip()


def _commands(step: StepDef, node: Node, reader: Reader, what: str) -> None:
    """Read `commands` (a string or a list of strings), explaining the `key: value` trap."""
    if isinstance(node, Sequence):
        for item in node.items:
            if isinstance(item, Mapping):
                reader.problem(item, f"items of {what} must be strings; this one reads as a mapping "
                                     "because it contains `: ` (quote the whole command)")
            elif isinstance(item, Scalar):
                if not item.is_null():
                    step.commands.append(item.text)
            else:
                reader.problem(item, f"items of {what} must be strings, not {shape(item)}")
        return
    step.commands = reader.strings(node, what)


def _environment(step: StepDef, node: Node, reader: Reader, what: str) -> None:
    """Read `environment`: a map, or a list of KEY=VALUE strings."""
    if isinstance(node, Sequence):
        for item in node.items:
            text = reader.string(item, f"items of {what}")
            key, sep, value = text.partition("=")
            if not key.strip():
                if text:
                    reader.problem(item, f"items of {what} must look like KEY=VALUE")
                continue
            step.environment[key.strip()] = value if sep else ""
        return
    mapping = reader.mapping(node, what)
    if mapping is None:
        return
    for name, _, item in reader.keys(mapping, (), what):
        secret = secret_ref(item, reader, f"`{name}` of {what}")
        if secret is not None:
            step.environment[name] = secret
        elif isinstance(item, Scalar):
            step.environment[name] = "" if item.is_null() else item.text
        else:
            step.environment[name] = encode(item, canonical_bools=False)


def _secrets(step: StepDef, node: Node, reader: Reader, what: str) -> None:
    """Read `secrets`: names, or {source, target} maps."""
    items = node.items if isinstance(node, Sequence) else [node]
    for item in items:
        if isinstance(item, Mapping):
            found = {k: v for k, _, v in reader.keys(item, SECRET_KEYS, f"an item of {what}")}
            source = reader.string(found.get("source"), f"`source` in {what}")
            target = reader.string(found.get("target"), f"`target` in {what}") or source
            if not source:
                reader.problem(item, f"an item of {what} needs a `source`")
                continue
            step.secrets.append((source, target))
        elif isinstance(item, Scalar) and not item.is_null():
            step.secrets.append((item.text, item.text))
        elif not isinstance(item, Scalar):
            reader.problem(item, f"items of {what} must be secret names or {{source, target}} maps")


def _when(step: StepDef, node: Node, reader: Reader, what: str) -> None:
    """Read `when`."""
    step.when = parse_condition(node, reader, what)


def _group(step: StepDef, node: Node, reader: Reader, what: str) -> None:
    """Read `group`."""
    step.group = reader.string(node, what)


def _depends_on(step: StepDef, node: Node, reader: Reader, what: str) -> None:
    """Read `depends_on`: names, or {name, optional} maps."""
    step.depends_on = []
    if isinstance(node, Scalar) and node.is_null():
        return
    items = node.items if isinstance(node, Sequence) else [node]
    for item in items:
        if isinstance(item, Mapping):
            found = {k: v for k, _, v in reader.keys(item, DEPENDENCY_KEYS, f"an item of {what}")}
            name = reader.string(found.get("name"), f"`name` in {what}")
            if not name:
                reader.problem(item, f"an item of {what} needs a `name`")
                continue
            optional = reader.boolean(found.get("optional"), f"`optional` in {what}")
            step.depends_on.append(Dependency(name, optional, item))
        else:
            name = reader.string(item, f"items of {what}")
            if name:
                step.depends_on.append(Dependency(name, False, item))


def _failure(step: StepDef, node: Node, reader: Reader, what: str) -> None:
    """Read `failure: ignore|fail`."""
    value = reader.string(node, what) or "fail"
    if value not in ("ignore", "fail"):
        reader.problem(node, f"{what} must be `ignore` or `fail`, not `{value}`")
        return
    step.failure = value


def _directory(step: StepDef, node: Node, reader: Reader, what: str) -> None:
    """Read `directory` (the working directory, relative to the workspace unless absolute)."""
    step.directory = reader.string(node, what)


def _network_mode(step: StepDef, node: Node, reader: Reader, what: str) -> None:
    """Read `network_mode`."""
    step.network_mode = reader.string(node, what)


def _argv(attribute: str) -> Callable[[StepDef, Node, Reader, str], None]:
    """Return a handler reading `entrypoint`/`command`: a list, or a string split like a shell would."""
    def handler(step: StepDef, node: Node, reader: Reader, what: str) -> None:
        """Set the argument list of `step`."""
        if isinstance(node, Scalar) and not node.is_null():
            try:
                setattr(step, attribute, shlex.split(node.text))
            except ValueError as err:
                reader.problem(node, f"{what} cannot be split into words: {err}")
            return
        setattr(step, attribute, reader.strings(node, what) or None)
    return handler


def duration(node: Node, reader: Reader, what: str) -> float:
    """Return the seconds of a duration written like Go's `90s`, `10m` or `1h30m` (0 and a problem when not)."""
    text = reader.string(node, what).strip()
    if not text:
        return 0
    if DURATION.sub("", text) == "" and (seconds := sum(float(n) * _DURATION_UNITS[u]
                                                         for n, u in DURATION.findall(text))) > 0:
        return seconds
    if not (reader.lenient and "${" in text):
        reader.problem(node, f"{what} must be a duration like `90s`, `10m` or `1h30m`, not `{text}`")
    return 0


def _timeout(step: StepDef, node: Node, reader: Reader, what: str) -> None:
    """Read `timeout` (a duration)."""
    step.timeout = duration(node, reader, what)


def _retry(step: StepDef, node: Node, reader: Reader, what: str) -> None:
    """Read `retry`: a count, or a {count, delay} map."""
    mapping = node if isinstance(node, Mapping) else None
    count_node: Node | None = node
    if mapping is not None:
        found = {k: v for k, _, v in reader.keys(mapping, RETRY_KEYS, what)}
        count_node = found.get("count")
        if "delay" in found:
            step.retry_delay = duration(found["delay"], reader, f"`delay` of {what}")
    count = reader.integer(count_node, f"`count` of {what}" if mapping is not None else what)
    if count > MAX_RETRY:
        reader.problem(count_node, f"{what} may run a step again at most {MAX_RETRY} times, not {count}")
        count = MAX_RETRY
    step.retry = count


def _settings(node: Node, reader: Reader, what: str) -> list[tuple[str, Node]]:
    """Return the (name, value) pairs of a `settings:` map."""
    mapping = reader.mapping(node, what)
    if mapping is None:
        return []
    return [(name, value) for name, _, value in reader.keys(mapping, (), what)]


_HANDLERS: dict[str, Callable[[StepDef, Node, Reader, str], None]] = {
    "image": _image,
    "commands": _commands,
    "environment": _environment,
    "secrets": _secrets,
    "when": _when,
    "group": _group,
    "depends_on": _depends_on,
    "failure": _failure,
    "directory": _directory,
    "network_mode": _network_mode,
    "entrypoint": _argv("entrypoint"),
    "command": _argv("command"),
    "retry": _retry,
    "timeout": _timeout,
}
# the keys read by a handler of their own (circle.compiler.schema gives each a type)
HANDLED = tuple(_HANDLERS)
