"""Regenerate the README screenshots from the real application on the demo workspace, under Xvfb.

    .venv/bin/python scripts/screenshots.py            # re-runs itself under xvfb-run when there is no display
    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py   # without X (same widgets, no window frame)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "images"
TODAY = date(2026, 11, 23)  # fixed, so that the pictures stay the same from one run to the next
SIZE = (1360, 820)


def under_xvfb() -> None:
    """Without a display, start again inside a virtual X server (the xcb platform, as on a real desktop)."""
    if os.environ.get("DISPLAY") or os.environ.get("QT_QPA_PLATFORM") or os.environ.get("WENZE_IN_XVFB"):
        return
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        sys.exit("没有显示器，也没有 xvfb-run：请安装 xvfb（bash scripts/setup.sh test），"
                 "或设置 QT_QPA_PLATFORM=offscreen。")
    env = {**os.environ, "WENZE_IN_XVFB": "1", "QT_QPA_PLATFORM": "xcb"}
    sys.exit(subprocess.call([xvfb, "-a", "-s", "-screen 0 1600x1000x24", sys.executable, *sys.argv], env=env))


def settle(app, rounds: int = 30) -> None:
    for _ in range(rounds):
        app.processEvents()


def shoot(widget, name: str) -> None:
    widget.grab().save(str(OUT / name))
    print(f"  {name}")


def main() -> None:
    under_xvfb()
    from PySide6.QtCore import QSettings

    from wenze_desktop.gui.app import make_application
    from wenze_desktop.gui.login import LoginDialog
    from wenze_desktop.gui.main_window import MainWindow
    from wenze_desktop.gui.regulation_text import show_citation
    from wenze_desktop.gui.settings import GuiSettings
    from wenze_desktop.security.kdf import FAST_TEST_PARAMS
    from wenze_desktop.services.demo import build_demo

    app = make_application()
    OUT.mkdir(parents=True, exist_ok=True)
    morning = datetime.combine(TODAY, time(9, 0), tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "demo"
        ws = build_demo(data_dir, today=TODAY, params=FAST_TEST_PARAMS, clock=lambda: morning)
        settings = GuiSettings(QSettings(str(Path(tmp) / "gui.ini"), QSettings.Format.IniFormat))
        window = MainWindow(ws.ctx, settings)
        window.resize(*SIZE)
        window.show()
        while window.registry.model.loading:
            app.processEvents()
        settle(app)
        shoot(window, "main-window.png")

        overdue = window.registry.model.case_id_at(0)
        for row in range(window.registry.model.rowCount()):
            found = window.registry.model.row_at(row)
            if found and found.overdue(TODAY) and found.regulation_id == "gz2009":
                overdue = found.case_id
                break
        page = window.open_case(overdue)
        window.board_dock.hide()  # the case's own deadlines are in its timeline
        settle(app)
        shoot(window, "case-wizard.png")
        page.sections.setCurrentWidget(page.form)
        page.form.tabs.setCurrentIndex(2)  # respondents
        settle(app)
        shoot(window, "case-form.png")
        text = show_citation(window, "wf2011", "第十一条")  # what 查看条文 beside a refusal opens
        settle(app)
        shoot(text, "regulation-text.png")
        text.close()
        window.close()
        ws.close()

        login = LoginDialog(data_dir, username="demo")
        login.resize(460, 200)
        login.show()
        settle(app)
        shoot(login, "login.png")
    print(f"screenshots written to {OUT}")


if __name__ == "__main__":
    main()
