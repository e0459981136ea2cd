"""House rule: nothing outside wenze_desktop/gui/ imports PySide6 (the core must run without Qt)."""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "wenze_desktop"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"), str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_pyside6_outside_gui():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "gui" in path.relative_to(PACKAGE).parts[:1]:
            continue
        if any(name.split(".")[0] in ("PySide6", "shiboken6") for name in imported_modules(path)):
            offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == [], f"PySide6 imported outside wenze_desktop/gui/: {offenders}"


def test_scanner_sees_an_import(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text("def f():\n    from PySide6 import QtCore\n")
    assert "PySide6" in imported_modules(sample)


def test_core_runs_without_loading_qt():
    code = ("import sys, wenze_desktop.cli, wenze_desktop.services.admin, wenze_desktop.services.accounts, "
            "wenze_desktop.services.cases, wenze_desktop.selftest; "
            "print(any(m.startswith('PySide6') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
