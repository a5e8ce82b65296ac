"""Headless core, thin shells: the generator never imports the app, and only sandbox_app.ui imports Qt."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
QT_MODULES = ("PySide6", "PySide2", "PyQt5", "PyQt6", "shiboken6", "shiboken2", "qtpy")


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every absolute import in a Python file, including imports inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def _top(module: str) -> str:
    return module.split(".")[0]


def _python_files(folder: str, *, skip: str | None = None) -> list[Path]:
    files = sorted((ROOT / folder).rglob("*.py"))
    if skip:
        files = [f for f in files if not f.is_relative_to(ROOT / skip)]
    assert files, folder
    return files


def test_import_linter_contracts_hold():
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if lint_imports is None:
        pytest.fail("lint-imports is not installed (pip install -e '.[test]')")
    result = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_synthetic_never_imports_sandbox_app():
    offending = [f"{path.relative_to(ROOT)}:{line}: {module}"
                 for path in _python_files("synthetic")
                 for line, module in _imported_modules(path) if _top(module) == "sandbox_app"]
    assert offending == []


def test_only_sandbox_app_ui_imports_qt():
    offending = [f"{path.relative_to(ROOT)}:{line}: {module}"
                 for path in _python_files("sandbox_app", skip="sandbox_app/ui")
                 for line, module in _imported_modules(path)
                 if _top(module) in QT_MODULES or module.startswith("matplotlib.backends.backend_qt")]
    assert offending == []


def test_synthetic_never_imports_qt():
    offending = [f"{path.relative_to(ROOT)}:{line}: {module}"
                 for path in _python_files("synthetic")
                 for line, module in _imported_modules(path) if _top(module) in QT_MODULES]
    assert offending == []


def test_the_import_check_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\n\ndef f():\n    from PySide6.QtCore import QObject\n    import sandbox_app.cli\n",
                      encoding="utf-8")
    assert _imported_modules(sample) == [(1, "os"), (4, "PySide6.QtCore"), (5, "sandbox_app.cli")]
