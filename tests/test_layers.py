"""The package's layering: each module imports only from its own layer or below, the subpackages import
each other without cycles, and torch stays out of the torch-free base install.

Every import is read from the source (``ast``), those inside functions included, so a lazy import
that would form a cycle at run time counts like a top-level one.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

import qrdeblur

SRC = Path(qrdeblur.__file__).parent

#: Layer of each unit (a subpackage or a module at the package root); higher layers build on lower.
LAYERS = {
    "errors": 0,
    "qrspec": 0,
    "geometry": 0,
    "imageio": 0,
    "contrast": 0,
    "synth": 1,
    "decode": 1,
    "restore": 2,
    "metrics": 2,
    "identify": 2,
    "scan": 3,
    "models": 4,
    "losses": 4,
    "train": 5,
    "export": 5,
    "bench": 6,
    "serve": 7,
    "cli": 7,
    "__init__": 7,  # the package itself: resolves its public names lazily
    "__main__": 7,  # python -m qrdeblur: the commands
}
#: Units that may import torch (bench only inside functions: its model methods load it on demand).
TORCH_UNITS = {"models", "losses", "train", "export", "bench"}
TORCH_LAZY_ONLY = {"bench"}
TORCH = {"torch", "torchvision"}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, as a path under the package ("restore/deblurrer.py")
    line: int
    target: str  # the imported module, dotted ("qrdeblur.models.checkpoint", "torch.nn")
    top_level: bool  # at module level (not inside a function)

    def __str__(self) -> str:
        where = "" if self.top_level else " (inside a function)"
        return f"{self.module}:{self.line} imports {self.target}{where}"


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "__pycache__" not in p.parts)


def unit_of(rel: Path) -> str:
    """The unit of a module given by its path under the package: ``restore/x.py`` -> ``restore``,
    ``cli.py`` -> ``cli``, ``__init__.py`` -> ``__init__``."""
    return rel.with_suffix("").parts[0]


def _imports(path: Path) -> list[Import]:
    return imports_in(path.read_text(encoding="utf-8"), path.relative_to(SRC))


def imports_in(source: str, rel: Path) -> list[Import]:
    """Every import in ``source``, the module at ``rel`` under the package (relative imports resolved)."""
    tree = ast.parse(source, filename=str(rel))
    nested: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            nested.update(id(n) for n in ast.walk(node) if n is not node)
    out = []
    for node in ast.walk(tree):
        top = id(node) not in nested
        if isinstance(node, ast.Import):
            out += [Import(str(rel), node.lineno, alias.name, top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing module's package
                package = ["qrdeblur", *rel.parent.parts]
                base = package[: len(package) - (node.level - 1)]
                if node.module:
                    base = [*base, *node.module.split(".")]
            else:
                base = node.module.split(".")
            if base == ["qrdeblur"]:  # from qrdeblur import x: a unit when x is one, else the package
                for alias in node.names:
                    target = f"qrdeblur.{alias.name}" if alias.name in LAYERS else "qrdeblur"
                    out.append(Import(str(rel), node.lineno, target, top))
            else:
                out.append(Import(str(rel), node.lineno, ".".join(base), top))
    return out


def _all_imports() -> list[Import]:
    return [imp for path in _modules() for imp in _imports(path)]


def _internal(imp: Import) -> str | None:
    """The unit an import of the package targets, or None for a third-party import."""
    parts = imp.target.split(".")
    if parts[0] != "qrdeblur":
        return None
    return "__init__" if len(parts) == 1 else parts[1]


def test_imports_are_read_inside_functions_and_resolved():
    source = (
        "import torch\n"
        "from qrdeblur.models.checkpoint import load_generator\n"
        "def f():\n"
        "    from ..scan import api\n"
        "    from . import kernel_wiener\n"
        "    from qrdeblur import qrspec, __version__\n"
    )
    found = [(i.target, i.top_level) for i in imports_in(source, Path("restore/x.py"))]
    assert found == [
        ("torch", True),
        ("qrdeblur.models.checkpoint", True),
        ("qrdeblur.scan", False),
        ("qrdeblur.restore", False),
        ("qrdeblur.qrspec", False),
        ("qrdeblur", False),
    ]
    assert [_internal(Import("restore/x.py", 1, t, True)) for t, _ in found] == [
        None, "models", "scan", "restore", "qrspec", "__init__",
    ]  # fmt: skip
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_unit_has_a_layer():
    units = {unit_of(p.relative_to(SRC)) for p in _modules()}
    missing = sorted(units - set(LAYERS))
    assert not missing, f"modules or subpackages without a layer in tests/test_layers.py: {missing}"


def test_no_import_from_a_higher_layer():
    bad = []
    for imp in _all_imports():
        target = _internal(imp)
        source = unit_of(Path(imp.module))
        if target is None or target == source or source not in LAYERS or target not in LAYERS:
            continue
        if LAYERS[target] > LAYERS[source]:
            bad.append(f"{imp}: layer {LAYERS[source]} ({source}) -> layer {LAYERS[target]} ({target})")
    assert not bad, "imports from a higher layer:\n" + "\n".join(bad)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one unit (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_units_import_each_other_without_cycles():
    edges: dict[str, set[str]] = defaultdict(set)
    why: dict[tuple[str, str], list[Import]] = defaultdict(list)
    for imp in _all_imports():
        target, source = _internal(imp), unit_of(Path(imp.module))
        if target is None or target == source:
            continue
        edges[source].add(target)
        why[(source, target)].append(imp)
    lines = []
    for component in _cycles(edges):
        # every cycle has an import that does not go down a layer: those are the ones to fix
        lines.append(f"cycle among {component}, through:")
        for a in component:
            for b in component:
                if LAYERS.get(b, 99) >= LAYERS.get(a, -1):
                    lines += [f"  {imp}" for imp in why.get((a, b), [])]
    assert not lines, "\n".join(lines)


def test_torch_only_where_allowed():
    bad = []
    for imp in _all_imports():
        if imp.target.split(".")[0] not in TORCH:
            continue
        unit = unit_of(Path(imp.module))
        if unit not in TORCH_UNITS:
            bad.append(f"{imp}: {unit} must stay torch-free")
        elif unit in TORCH_LAZY_ONLY and imp.top_level:
            bad.append(f"{imp}: {unit} may import torch only inside functions")
    assert not bad, "torch imported outside models, losses, train, export (and bench's functions):\n" + "\n".join(bad)


def _torch_free(statement: str) -> None:
    code = f"import sys\n{statement}\nloaded = sorted(m for m in ('torch', 'torchvision') if m in sys.modules)\n"
    code += "assert not loaded, f'imported {loaded}'\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{statement!r} failed or loaded torch:\n{proc.stderr[-3000:]}"


def test_scan_and_deblurrer_do_not_import_torch():
    _torch_free("import qrdeblur, qrdeblur.scan, qrdeblur.restore.deblurrer")


@pytest.mark.parametrize("unit", sorted(u for u, layer in LAYERS.items() if layer <= LAYERS["scan"]))
def test_lower_layers_do_not_import_torch(unit):
    """Every module of the layers up to scan imports without torch (one interpreter per unit)."""
    names = []
    for path in _modules():
        rel = path.relative_to(SRC)
        if unit_of(rel) == unit:
            names.append(".".join(("qrdeblur", *rel.with_suffix("").parts)).removesuffix(".__init__"))
    _torch_free("\n".join(f"import {name}" for name in names))
