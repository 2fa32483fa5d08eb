"""The research scripts (``research/*.py``) use only the package's public names, and each one runs.

Experiments live beside the package and import it as a user would: a private name (``_x``) or a
patched internal would break silently when the package changes. For every script this checks, from
its syntax tree: no import of a private ``qrdeblur`` name or module, every imported ``qrdeblur``
module and name exists, no ``._x`` attribute (dunders aside) nor ``getattr(obj, "_x")``, no assignment
to an attribute of a ``qrdeblur`` object (monkeypatching), no private method defined in a subclass
of a ``qrdeblur`` class; its docstring says how to run it and names no work session or issue number.
Then ``python research/NAME.py --help`` must exit 0 for every script (all in parallel).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

RESEARCH = Path(__file__).resolve().parents[1] / "research"
SCRIPTS = sorted(RESEARCH.glob("*.py"))
SIBLINGS = {p.stem for p in SCRIPTS}
#: ``._name`` attributes allowed although private: on objects outside the package only, by name.
ALLOWED_PRIVATE_ATTRIBUTES: frozenset[str] = frozenset()
HISTORY = re.compile(r"\b(sessions?|issues?)[ -]?#?\d+", re.IGNORECASE)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def problems(path: Path) -> list[str]:
    """Every breach of the public-names rule in one script, as ``file:line: what``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    package_names: set[str] = set()  # local names bound to qrdeblur modules or objects

    def report(node: ast.AST, what: str) -> None:
        found.append(f"{path.name}:{getattr(node, 'lineno', 0)}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] != "qrdeblur":
                    continue
                package_names.add(alias.asname or alias.name.split(".")[0])
                if any(_private(part) for part in alias.name.split(".")):
                    report(node, f"imports private module {alias.name}")
                elif not _module_exists(alias.name):
                    report(node, f"imports {alias.name}, which does not exist")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            module = node.module
            if module in SIBLINGS:  # a sibling research script
                for alias in node.names:
                    if _private(alias.name):
                        report(node, f"imports private name {alias.name} from {module}")
                continue
            if module.split(".")[0] != "qrdeblur":
                continue
            if any(_private(part) for part in module.split(".")):
                report(node, f"imports from private module {module}")
                continue
            if not _module_exists(module):
                report(node, f"imports from {module}, which does not exist")
                continue
            loaded = importlib.import_module(module)
            for alias in node.names:
                package_names.add(alias.asname or alias.name)
                if _private(alias.name):
                    report(node, f"imports private name {alias.name} from {module}")
                elif not hasattr(loaded, alias.name) and not _module_exists(f"{module}.{alias.name}"):
                    report(node, f"imports {alias.name} from {module}, which has no such name")
        elif isinstance(node, ast.Attribute) and _private(node.attr) and node.attr not in ALLOWED_PRIVATE_ATTRIBUTES:
            report(node, f"uses private attribute .{node.attr}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _private(node.args[1].value)
        ):
            report(node, f"{node.func.id} of private attribute {node.args[1].value!r}")

    # second pass: patching and subclassing need to know every name bound to the package
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and _root_name(target) in package_names:
                    report(node, f"assigns to {ast.unparse(target)} (monkeypatching the package)")
        elif isinstance(node, ast.ClassDef) and any(_root_name(b) in package_names for b in node.bases):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and _private(item.name):
                    report(item, f"{node.name} overrides private method {item.name} of a package class")
    docstring = ast.get_docstring(tree) or ""
    if f"python research/{path.name}" not in docstring:
        found.append(f"{path.name}: its docstring does not say how to run it (python research/{path.name} ...)")
    for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if HISTORY.search(line):
            found.append(f"{path.name}:{k}: names a work session or issue ({HISTORY.search(line).group(0)!r})")
    return found


def test_scripts_exist():
    assert len(SCRIPTS) >= 10, f"expected the research scripts in {RESEARCH}"


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_uses_only_public_names(path: Path):
    assert problems(path) == []


def test_checker_catches_private_use(tmp_path: Path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        '"""Bad. Run: python research/bad.py"""\n'
        "from qrdeblur.scan.cascade import Cascade, _Schedule\n"
        "from qrdeblur.scan.nowhere import thing\n"
        "from qrdeblur.scan import no_such_name\n"
        "import qrdeblur.restore.module_grid as mg\n"
        "mg.rank_versions = None\n"
        "class C(Cascade):\n"
        "    def _plain_read(self):\n"
        "        return self._other\n"
        "getattr(C, '_hidden')\n"
        "# session 12 said so\n"
    )
    text = "\n".join(problems(bad))
    for expected in ("_Schedule", "qrdeblur.scan.nowhere", "no_such_name", "monkeypatching", "_plain_read",
                     "._other", "'_hidden'", "session 12"):
        assert expected in text, f"{expected!r} not reported in:\n{text}"


def _help(path: Path) -> tuple[Path, int, str]:
    try:
        run = subprocess.run(
            [sys.executable, str(path), "--help"], capture_output=True, text=True, timeout=120, cwd=RESEARCH.parent
        )
    except subprocess.TimeoutExpired:
        return path, -1, "timed out"
    return path, run.returncode, run.stdout + run.stderr


def test_every_script_answers_help():
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(_help, SCRIPTS))
    failed = [f"{p.name}: exit {rc}\n{out[-2000:]}" for p, rc, out in results if rc != 0 or "usage:" not in out]
    assert not failed, "\n\n".join(failed)
