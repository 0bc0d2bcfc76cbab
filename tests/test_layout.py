"""The architecture holds: who may import whom, one version, short functions, calls by keyword, ruff clean."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "restyle"
ENGINES = ("restyle.optimize", "restyle.feedforward")
#: Packages above the engines: they may import both, and nothing in core or an engine may import them.
INTERFACES = ("restyle.cli", "restyle.demo", "restyle.video", "restyle.batch", "restyle.web", "restyle.tools")


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if "_legacy" in parts:
            continue
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


MODULES = _modules()


def imports(name: str) -> set[str]:
    """The restyle modules (or packages) that module ``name`` imports, relative imports resolved."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            for alias in node.names:  # ``from ..core import color``: a submodule; ``from .. import x``: the package
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {m for m in found if m == "restyle" or m.startswith("restyle.")}


def _under(module: str, packages) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_the_imports_are_read():
    assert "restyle.core.images" in imports("restyle.core.vgg") or "restyle.core.layers" in imports("restyle.core.vgg")
    assert "restyle.optimize.planning" in imports("restyle.optimize.transfer")


@pytest.mark.parametrize("name", sorted(m for m in MODULES if _under(m, ("restyle.core",))))
def test_core_imports_no_engine_and_no_interface(name):
    bad = {m for m in imports(name) if _under(m, ENGINES + INTERFACES) or m == "restyle"}
    assert not bad, f"{name} imports {bad}"


@pytest.mark.parametrize("name", sorted(m for m in MODULES if _under(m, ENGINES)))
def test_an_engine_imports_neither_the_other_nor_an_interface(name):
    other = ENGINES[1] if _under(name, (ENGINES[0],)) else ENGINES[0]
    bad = {m for m in imports(name) if _under(m, (other,) + INTERFACES) or m == "restyle"}
    assert not bad, f"{name} imports {bad}"


def test_scoring_imports_core_only():
    assert all(_under(m, ("restyle.core", "restyle.errors")) for m in imports("restyle.scoring"))


def test_the_version_lives_in_one_place():
    assigned = [name for name, path in MODULES.items() if "__version__ =" in path.read_text()]
    assert assigned == ["restyle._version"]
    assert 'attr = "restyle._version.__version__"' in (ROOT / "pyproject.toml").read_text()


def _functions():
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield name, node


def test_no_function_is_over_60_lines():
    long = [f"{name}.{f.name}: {f.end_lineno - f.lineno + 1}" for name, f in _functions()
            if f.end_lineno - f.lineno + 1 > 60]
    assert not long


def test_calls_with_more_than_four_arguments_name_them():
    found = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            starred = isinstance(node, ast.Call) and any(isinstance(a, ast.Starred) for a in node.args)
            if isinstance(node, ast.Call) and len(node.args) > 4 and not starred:
                found.append(f"{name}:{node.lineno} {ast.unparse(node.func)}")
    assert not found


def test_every_module_says_what_it_does():
    assert not [name for name, path in MODULES.items() if not ast.get_docstring(ast.parse(path.read_text()))]


def test_help_does_not_import_torch():
    code = "import sys; from restyle.cli import main; main(['stylize', '--help'])\nassert 'torch' not in sys.modules"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "--max-memory" in done.stdout


def test_old_import_paths_still_work():
    code = ("import warnings; warnings.simplefilter('ignore')\n"
            "from restyle.transfer import stylize; from restyle.stylemodel import load_model, export_onnx\n"
            "import restyle.optimize.transfer as t, restyle.images as i, restyle.core.images as ci\n"
            "from restyle.score import Scorer; import restyle.scoring as sc\n"
            "assert stylize is t.stylize and i is ci and Scorer is sc.Scorer")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(shutil.which("ruff") is None and not (Path(sys.executable).parent / "ruff").exists(),
                    reason="ruff is in the test extra")
def test_ruff_is_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    done = subprocess.run([ruff, "check", "--quiet", "restyle", "tests", "benchmarks", "tools"], capture_output=True,
                          text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
