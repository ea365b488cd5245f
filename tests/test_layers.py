"""The layering of DESIGN.md, checked on the source: dependencies point down only.

ui → studio → pipeline; ``pipeline`` never imports Qt, ``studio`` uses ``PySide6.QtCore`` only.
(``lint-imports`` checks the same contracts from pyproject.toml in ``scripts/test.sh``.)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _imports(package: str) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    for path in sorted((REPO / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(path, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found += [(path, node.module)]
                found += [(path, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _violations(
    package: str, forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()
) -> list[str]:
    bad = []
    for path, name in _imports(package):
        if any(name == f or name.startswith(f + ".") for f in forbidden) and not any(
            name == a or name.startswith(a + ".") for a in allowed
        ):
            bad.append(f"{path.relative_to(REPO)} imports {name}")
    return bad


def test_pipeline_imports_no_qt_and_no_upper_layer():
    assert _violations("pipeline", ("PySide6", "PyQt5", "PyQt6", "shiboken6", "studio", "ui")) == []


def test_studio_uses_qtcore_only_and_not_ui():
    bad = _violations("studio", ("PySide6", "ui"), allowed=("PySide6.QtCore",))
    bad = [
        line for line in bad if not line.endswith(" imports PySide6")
    ]  # `from PySide6 import QtCore`
    bad += [
        f"{path.relative_to(REPO)} imports {name}"
        for path, name in _imports("studio")
        if name.startswith("PySide6.") and name.split(".")[1] not in ("QtCore",)
    ]
    assert sorted(set(bad)) == []


def test_only_avio_imports_pyav():
    users = {
        str(path.relative_to(REPO))
        for path, name in _imports("pipeline")
        if name == "av" or name.startswith("av.")
    }
    assert users <= {"pipeline/avio.py"}


@pytest.mark.parametrize("package", ["pipeline", "studio", "ui"])
def test_checker_sees_the_package(package):
    # Guard against the checks above passing vacuously on an empty or misnamed folder.
    assert (REPO / package / "__init__.py").is_file()
    if package != "ui":
        assert len(_imports(package)) > 5
