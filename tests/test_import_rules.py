"""The import table of DESIGN.md, enforced: a wrong import fails CI instead of rotting quietly."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "circle"

# The shared vocabulary: stdlib-only modules every layer may import, pipeline.types included
# (a change to DESIGN.md's table: its "nothing" and "everything else" rows now read "nothing but these").
VOCABULARY = ("circle.states", "circle.origin", "circle.limits")

# (module prefix, circle modules it may import (None = any), imports it must never make)
RULES: list[tuple[str, tuple[str, ...] | None, tuple[str, ...]]] = [
    ("circle.pipeline.types", (), ("flask", "sqlalchemy", "docker", "circle.")),
    ("circle.pipeline", ("circle.pipeline", "circle.process"),
     ("flask", "sqlalchemy", "circle.models", "circle.store", "circle.remote", "circle.compiler")),
    ("circle.compiler", ("circle.compiler", "circle.pipeline.types", "circle.errors"),
     ("flask", "sqlalchemy", "docker", "circle.models", "circle.store")),
    ("circle.rpc.jsonrpc", ("circle.errors",), ("flask", "sqlalchemy", "circle.models", "circle.store")),
    ("circle.rpc.wire", ("circle.rpc.jsonrpc", "circle.errors"),
     ("flask", "sqlalchemy", "circle.models", "circle.store")),
    ("circle.rpc.protocol", ("circle.rpc.protocol", "circle.rpc.jsonrpc", "circle.rpc.wire", "circle.pipeline",
                             "circle.errors"),
     ("flask", "sqlalchemy", "circle.models", "circle.store", "circle.remote", "circle.compiler")),
    ("circle.rpc.servers", ("circle.errors",), ("flask", "sqlalchemy", "circle.models", "circle.store")),
    ("circle.rpc.client", ("circle.rpc.client", "circle.rpc.protocol", "circle.rpc.jsonrpc", "circle.rpc.servers",
                           "circle.pipeline", "circle.errors"),
     ("flask", "sqlalchemy", "circle.models", "circle.store", "circle.remote", "circle.compiler")),
    ("circle.agent", ("circle.agent", "circle.rpc.protocol", "circle.rpc.jsonrpc", "circle.rpc.client",
                      "circle.pipeline", "circle.errors"),
     ("flask", "sqlalchemy", "circle.models", "circle.store", "circle.remote", "circle.compiler")),
    ("circle.models", ("circle.models", "circle.extensions", "circle.crypto"),
     ("circle.store", "circle.service", "circle.api", "circle.web", "circle.remote")),
    ("circle.store", ("circle.store", "circle.models", "circle.extensions", "circle.errors", "circle.crypto",
                      "circle.offload"),
     ("circle.service", "circle.api", "circle.web", "circle.remote", "flask.request")),
    ("circle.process", (), ("flask", "sqlalchemy", "circle.")),
    ("circle.states", (), ("circle.",)),
    ("circle.origin", (), ("circle.",)),
    ("circle.offload", (), ("flask", "sqlalchemy", "circle.")),
    ("circle.patching", (), ("flask", "sqlalchemy", "circle.")),
    ("circle.lazy_views", (), ("flask", "sqlalchemy", "circle.")),
    ("circle.limits", (), ("circle.",)),
    ("circle.cron", (), ("circle.",)),
    ("circle.remote", ("circle.remote", "circle.errors", "circle.process"),
     ("circle.store", "circle.models", "circle.service", "circle.api", "flask", "sqlalchemy")),
    ("circle.service", None, ("circle.api", "circle.web", "flask.request", "circle.pipeline.backends", "circle.agent")),
    ("circle.api", None, ("circle.pipeline.backends", "circle.agent")),
    ("circle.web", None, ("circle.pipeline.backends", "circle.agent")),
    ("circle.schemas", None, ("circle.api", "circle.web", "circle.pipeline.backends",
                              "circle.agent")),
    ("circle.rpc", None, ("circle.pipeline.backends", "circle.agent")),
]


def _module_name(path: Path) -> str:
    """Return the dotted module name of a file under circle/."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str) -> set[str]:
    """Return every module named by an import statement anywhere in the file (relative ones resolved)."""
    names: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _matches(name: str, prefix: str) -> bool:
    """Tell whether module `name` is `prefix` or inside it (prefixes ending in '.' match any submodule)."""
    if prefix.endswith("."):
        return name.startswith(prefix)
    return name == prefix or name.startswith(prefix + ".")


def _rule(module: str):
    """Return the most specific rule for a module, or None."""
    candidates = [r for r in RULES if _matches(module, r[0])]
    return max(candidates, key=lambda r: len(r[0])) if candidates else None


SOURCES = [p for p in sorted(PACKAGE.rglob("*.py")) if _rule(_module_name(p)) is not None]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_module_keeps_to_the_import_table(path: Path):
    """Each module imports only what its row of the table allows."""
    module = _module_name(path)
    _, allowed, forbidden = _rule(module)
    bad = []
    for name in sorted(_imports(path, module)):
        if module not in VOCABULARY and any(_matches(name, v) for v in VOCABULARY):
            continue
        if any(_matches(name, f) for f in forbidden):
            bad.append(f"{name} (forbidden)")
        elif allowed is not None and name.startswith("circle") and not any(_matches(name, a) for a in allowed):
            if name != "circle.__version__":
                bad.append(f"{name} (not in the allowed list)")
    assert not bad, f"{module} imports {', '.join(bad)}"


def test_rules_know_the_layers():
    """The table has a rule for every layer that exists, so a new package cannot slip by unnoticed."""
    layers = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    unruled = {layer for layer in layers if _rule(f"circle.{layer}") is None}
    assert unruled <= {"cli"}, f"packages without an import rule: {sorted(unruled)}"


@pytest.mark.parametrize("module", VOCABULARY)
def test_vocabulary_imports_only_the_standard_library(module: str):
    """The modules every layer may import import nothing but the standard library."""
    path = PACKAGE.parent / (module.replace(".", "/") + ".py")
    outside = {name for name in _imports(path, module) if name.split(".")[0] not in sys.stdlib_module_names}
    assert not outside, f"{module} imports {sorted(outside)}"
