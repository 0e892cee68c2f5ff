"""The package's shape: declared layers, no import cycles, no private names used across modules.

The layers are an import-linter contract in setup.cfg (groups -> reps -> expansion -> ...
-> bench); a lazy import inside a function counts like any other.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "scalars"


def _modules():
    return sorted(path for path in PACKAGE.rglob("*.py") if "__pycache__" not in path.parts)


def _is_private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _defined_private_names(tree):
    """Private names a module defines: functions, classes, methods, and assigned attributes."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Store):
            names.add(node.id if isinstance(node, ast.Name) else node.attr)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.alias):
            names.add(node.asname or node.name.split(".")[0])
    return {name for name in names if _is_private(name)}


def _private_uses(path, tree, own):
    """``(line, text)`` of each private name this module takes from another module."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "scalars":
            for alias in node.names:
                submodule = PACKAGE.parent.joinpath(*node.module.split("."), alias.name)
                if _is_private(alias.name) and not (submodule.with_suffix(".py").exists() or submodule.is_dir()):
                    found.append((node.lineno, f"from {node.module} import {alias.name}"))
        elif isinstance(node, ast.ImportFrom) and node.module and "._impl" in node.module:
            found.append((node.lineno, f"from {node.module} import ..."))
        elif isinstance(node, ast.Attribute) and _is_private(node.attr) and node.attr not in own:
            owner = node.value
            if not (isinstance(owner, ast.Name) and owner.id in ("self", "cls")):
                found.append((node.lineno, f"{ast.unparse(node)}"))
    return found


def test_no_module_uses_a_private_name_of_another():
    trees = {path: ast.parse(path.read_text(), str(path)) for path in _modules()}
    private_anywhere = set().union(*(_defined_private_names(tree) for tree in trees.values()))
    offences = []
    for path, tree in trees.items():
        own = _defined_private_names(tree)
        for line, text in _private_uses(path, tree, own):
            name = text.rsplit(".", 1)[-1].rsplit(" ", 1)[-1].split("(")[0]
            if name in private_anywhere or text.startswith("from"):  # ours, or a private import path
                offences.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {text}")
    assert not offences, "private names used across modules (make them public where shared):\n" + "\n".join(offences)


def test_the_layers_contract_holds_and_no_import_cycle_is_left():
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"],
        cwd=PACKAGE.parent, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


@pytest.mark.parametrize("module", ["scalars", "scalars.testing"])
def test_the_light_core_imports_neither_sympy_pint_nor_torch(module):
    code = f"import sys, {module}; print(sorted(m for m in ('sympy', 'pint', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]", f"import {module} pulled in {out}"
