"""The JSON Schema (draft 2020-12) of the pipeline files circle reads, built from the compiler's own key tables.

Editors check a file against it while it is typed (`circle schema`, GET /api/schema/pipeline.json). It
checks names and shapes of values as written, `${VAR}` unexpanded (as `circle lint` does); what needs
the whole file (duplicate keys, unknown `depends_on` names, trust, matrix sizes) is left to the linter.
Every key a front end accepts needs a type here: building the schema fails on one that has none.
"""
from __future__ import annotations

import functools
from typing import Any

from circle.compiler import document, drone08, files, matrix, steps, woodpecker
from circle.compiler.constraints import CONSTRAINT_KEYS, EVENTS, GLOB_KEYS, PATH_KEYS, STATUSES, WHEN_KEYS
from circle.compiler.sections import CONCURRENCY_KEYS, WORKSPACE_KEYS
from circle.compiler.values import SIZE_PATTERN
from circle.compiler.yamlnodes import FALSE_WORDS, TRUE_WORDS

Schema = dict[str, Any]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
_VARIABLE = r"\$\{"  # a `${VAR}` the build substitutes later: any shape may come of it
_GLOB = r"[*?\[{$]"  # an event or status written as a glob is not checked against the known names


def ref(name: str) -> Schema:
    """Return a reference to the definition `name`."""
    return {"$ref": f"#/$defs/{name}"}


def _either(*schemas: Schema, description: str = "") -> Schema:
    """Return a schema any of `schemas` satisfies, with a description for editors' hover text."""
    out: Schema = {"anyOf": list(schemas)}
    if description:
        out["description"] = description
    return out


def _variable_or(schema: Schema) -> Schema:
    """Return `schema`, or a string holding a `${VAR}`."""
    return _either(schema, {"type": "string", "pattern": _VARIABLE})


def _one_or_list(item: Schema) -> Schema:
    """Return a schema of one `item` or a list of them (or null)."""
    return _either({"type": "null"}, item, {"type": "array", "items": item})


def _object(properties: dict[str, Schema], required: tuple[str, ...] = (), extra: bool | Schema = False) -> Schema:
    """Return an object schema with these properties (`extra`: what other keys may hold)."""
    out: Schema = {"type": "object", "properties": properties, "additionalProperties": extra}
    if required:
        out["required"] = list(required)
    return out


def _constraint(item: Schema) -> Schema:
    """Return a glob constraint: a glob, a list of globs, or {include, exclude}."""
    globs = _one_or_list(item)
    return _either(globs, _object({key: globs for key in CONSTRAINT_KEYS}))


def _known_or_glob(names: frozenset[str]) -> Schema:
    """Return an item that is one of `names` or a glob."""
    return _either({"enum": sorted(names)}, {"type": "string", "pattern": _GLOB})


def _scalar_defs() -> dict[str, Schema]:
    """Return the value shapes the Reader accepts (values.Reader, as `circle lint` reads them)."""
    scalar: Schema = {"type": ["string", "number", "boolean", "null"]}
    duration = r"^\s*(?:" + steps.DURATION.pattern + r")+\s*$"
    return {
        "scalar": {**scalar, "description": "a string (numbers and booleans count as their text)"},
        "strings": _either(scalar, {"type": "array", "items": ref("scalar")},
                           description="a string or a list of strings"),
        "boolean": _variable_or(_either({"type": ["boolean", "null"]},
                                        {"enum": sorted(TRUE_WORDS | FALSE_WORDS)}, description="true or false")),
        "size": _variable_or(_either({"type": ["number", "null"], "minimum": 0},
                                     {"type": "string", "pattern": SIZE_PATTERN},
                                     description="a whole number, or a size like 512m or 1gb")),
        "duration": _variable_or(_either({"type": "null"}, {"type": "string", "pattern": duration},
                                         description="a duration like 90s, 10m or 1h30m")),
        "value": {"description": "any value; a `{from_secret: name}` map stands alone",
                  "if": {"type": "object", "required": ["from_secret"]},
                  "then": {"maxProperties": 1, "properties": {"from_secret": ref("scalar")}}},
    }


def _condition_defs() -> dict[str, Schema]:
    """Return `when:` (a map, or a list of maps of which one must match)."""
    items = {"event": _known_or_glob(EVENTS), "status": _known_or_glob(STATUSES)}
    properties: dict[str, Schema] = {key: _constraint(items.get(key, ref("scalar"))) for key in GLOB_KEYS}
    properties.update({
        "matrix": {"type": ["object", "null"], "additionalProperties": ref("strings")},
        "path": _either(ref("strings"), _object({key: ref("boolean") if key == "on_empty" else
                                                 ref("strings") if key in CONSTRAINT_KEYS else ref("scalar")
                                                 for key in PATH_KEYS})),
        "evaluate": ref("scalar"),
        "local": ref("boolean"),
    })
    _check_covered("`when`", WHEN_KEYS, properties)
    return {"when_map": _object(properties),
            "when": _either({"type": "null"}, ref("when_map"), {"type": "array", "items": ref("when_map")},
                            description="a map of constraints, or a list of such maps of which one must match")}


def _step_types() -> dict[str, Schema]:
    """Return the type of every step key with a handler of its own (steps.HANDLED)."""
    dependency = {key: ref("boolean") if key == "optional" else ref("scalar") for key in steps.DEPENDENCY_KEYS}
    name_or_map = _either(ref("scalar"), _object(dependency, ("name",)))
    secret = _either(ref("scalar"), _object({key: ref("scalar") for key in steps.SECRET_KEYS}, ("source",)))
    key_value = _either({"type": "string", "pattern": r"^$|^\s*[^=\s]"}, {"type": ["number", "boolean", "null"]})
    retry_count = _variable_or({"type": ["integer", "null"], "minimum": 0, "maximum": steps.MAX_RETRY})
    return {
        "image": _either({"type": "string", "pattern": r"\S"}, {"type": "number"}, description="the image to run"),
        "commands": ref("strings"),
        "environment": _either({"type": "null"}, {"type": "array", "items": key_value},
                               {"type": "object", "additionalProperties": ref("value")},
                               description="a map, or a list of KEY=VALUE"),
        "secrets": _one_or_list(secret),
        "when": ref("when"),
        "group": ref("scalar"),
        "depends_on": _one_or_list(name_or_map),
        "failure": {"enum": ["ignore", "fail", "", None]},
        "directory": ref("scalar"),
        "network_mode": ref("scalar"),
        "entrypoint": ref("strings"),
        "command": ref("strings"),
        "retry": _either(retry_count, _object({k: ref("duration") if k == "delay" else retry_count
                                               for k in steps.RETRY_KEYS}),
                         description=f"run a failed step again up to N (at most {steps.MAX_RETRY}) times"),
        "timeout": ref("duration"),
        "reports": _either(ref("strings"), description="JUnit XML files to upload after the step (workspace globs)"),
        "artifacts": _either(ref("strings"), description="files to upload after the step (globs in the workspace)"),
    }


def _step_properties() -> dict[str, Schema]:
    """Return the type of every key a step, service or clone step may have."""
    handled = _step_types()
    _check_covered("a step", steps.HANDLED, handled)
    properties = dict(handled)
    properties.update({key: ref("strings") for key in steps.LIST_OPTIONS})
    properties.update({key: ref("boolean") for key in steps.BOOL_OPTIONS})
    properties.update({key: ref("size") for key in steps.INT_OPTIONS})
    properties.update({key: {"description": "accepted and ignored"} for key in steps.IGNORED})
    properties["settings"] = {"type": ["object", "null"], "additionalProperties": ref("value"),
                              "description": "plugin settings, passed as PLUGIN_<NAME>"}
    properties["name"] = ref("scalar")
    return properties


def _step_defs() -> dict[str, Schema]:
    """Return the step of each dialect: Drone 0.8 takes unknown keys as plugin settings, Woodpecker does not."""
    properties = _step_properties()
    plugin = {"if": {"required": ["settings"]},
              "then": {"not": {"anyOf": [{"required": [key]} for key in steps.FORBIDDEN_WITH_SETTINGS]}}}
    # Drone 0.8 passed `retry`/`timeout` to plugins: they are circle's own only on a step with commands
    drone_only = {key: properties[key] for key in steps.PLUGIN_SETTINGS_IN_DRONE08}
    drone_only["timeout"] = _either(ref("duration"), {"type": "integer"}, {"type": "string", "pattern": r"^\s*\d+\s*$"})
    drone = _object({k: v for k, v in properties.items() if k not in drone_only}, ("image",), extra=True)
    drone.update({"if": {"required": ["commands"]}, "then": {"properties": drone_only}})
    return {
        "drone08_step": drone,
        "woodpecker_step": {**_object(properties, ("image",)), **plugin},
        "woodpecker_clone_step": {**_object(properties, ("image",), extra=True), **plugin},
    }


def _collection(step: str, bounded: bool = False) -> Schema:
    """Return steps written as a map (name → step) or a list (each with `name:`)."""
    as_map: Schema = {"type": "object", "additionalProperties": ref(step)}
    as_list: Schema = {"type": "array", "items": {"allOf": [ref(step), {"required": ["name"]}]}}
    if bounded:  # the steps section: not empty, and at most document.MAX_STEPS
        as_map.update(minProperties=1, maxProperties=document.MAX_STEPS)
        as_list.update(minItems=1, maxItems=document.MAX_STEPS)
        return _either(as_map, as_list, description="the steps, as a map of name → step or a list")
    return _either({"type": "null"}, as_map, as_list)


def _top_types(step: str, clone_step: str) -> dict[str, Schema]:
    """Return the type of every top-level key of a dialect whose steps are `step`."""
    axes = {"type": "object", "maxProperties": matrix.MAX_AXES, "not": {"required": ["include"]},
            "additionalProperties": ref("strings")}
    combination = {"type": ["object", "null"], "maxProperties": matrix.MAX_AXES, "additionalProperties": ref("scalar")}
    included = {"type": "object", "required": ["include"], "properties": {"include": {
        "type": "array", "maxItems": matrix.MAX_COMBINATIONS, "items": combination}}}
    workflow_names = _one_or_list({"type": ["string", "number", "boolean"]})
    base = _either({"type": "null"}, {"type": "string", "pattern": r"^(/|.:.|$)|" + _VARIABLE},
                   description="an absolute path")
    limit = {key: ref("size") if key == "limit" else ref("scalar") for key in CONCURRENCY_KEYS}
    return {
        "steps": _collection(step, bounded=True),
        "pipeline": _collection(step, bounded=True),
        "services": _collection(step),
        "clone": _either(_object({"disable": ref("boolean")}, ("disable",)), _collection(clone_step)),
        "skip_clone": ref("boolean"),
        "workspace": {**_object({key: base if key == "base" else ref("scalar") for key in WORKSPACE_KEYS}),
                      "type": ["object", "null"]},
        "matrix": _either({"type": "null"}, included, axes, description="a map of lists, or `include:` a list of maps"),
        "branches": _constraint(ref("scalar")),
        "labels": {"type": ["object", "null"], "additionalProperties": ref("scalar")},
        "platform": ref("scalar"),
        "when": ref("when"),
        "depends_on": _either(workflow_names, description="workflows (file names) this one runs after"),
        "runs_on": _one_or_list({"enum": list(files.OUTCOMES)}),
        "run_on": {},
        "concurrency": _either(ref("size"), _object(limit, ("limit",))),
        "variables": {"description": "YAML anchors for the rest of the file"},
        "plugin": {},
        "cache": {},
    }


def _pipeline(name: str, keys: tuple[str, ...], step: str, clone_step: str) -> Schema:
    """Return the schema of a whole file of one dialect."""
    types = _top_types(step, clone_step)
    _check_covered(f"the top of a {name} file", keys, types)
    return _object({key: types[key] for key in keys})


def _check_covered(where: str, keys: Any, types: dict[str, Schema]) -> None:
    """Refuse to build a schema that has no type for a key the compiler accepts."""
    missing = sorted(set(keys) - set(types))
    if missing:
        raise LookupError(f"the JSON Schema has no type for {', '.join(missing)} in {where}; "
                          "add one to circle/compiler/schema.py")


@functools.cache
def pipeline_schema() -> Schema:
    """Return the JSON Schema of a pipeline file (built once: callers must not change it)."""
    defs = {**_scalar_defs(), **_condition_defs(), **_step_defs(),
            "drone08": _pipeline("Drone 0.8", drone08.TOP_KEYS, "drone08_step", "drone08_step"),
            "woodpecker": _pipeline("Woodpecker", woodpecker.TOP_KEYS, "woodpecker_step", "woodpecker_clone_step")}
    return {
        "$schema": DIALECT,
        "title": "circle pipeline file",
        "description": "A Drone 0.8 file (`pipeline:`) or a Woodpecker file (`steps:`, or `pipeline:` "
                       "with a top-level `when:`).",
        "type": "object",
        "anyOf": [{"required": ["steps"]}, {"required": ["pipeline"]}],
        "not": {"required": ["steps", "pipeline"]},
        "if": {"anyOf": [{"required": ["steps"]}, {"required": ["when"]}]},
        "then": ref("woodpecker"),
        "else": ref("drone08"),
        "$defs": defs,
    }

