"""Regenerate the README screenshots from the real application (offscreen, or under xvfb-run).

    .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings  # noqa: E402

from wenze_desktop.gui.app import make_application  # noqa: E402
from wenze_desktop.gui.first_run import RecoveryKeyDialog  # noqa: E402
from wenze_desktop.gui.login import LoginDialog  # noqa: E402
from wenze_desktop.gui.main_window import MainWindow  # noqa: E402
from wenze_desktop.gui.settings import GuiSettings  # noqa: E402
from wenze_desktop.security.kdf import FAST_TEST_PARAMS  # noqa: E402
from wenze_desktop.services.auth import create_workspace  # noqa: E402

OUT = ROOT / "docs" / "images"


def main() -> None:
    app = make_application()
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "示例工作区"
        ctx, recovery_key = create_workspace(data_dir, "wangli", "Example-pass-1", display_name="王丽",
                                             workspace_name="市纪委监委问责工作区", organ_name="××市纪委监委",
                                             params=FAST_TEST_PARAMS)
        settings = GuiSettings(QSettings(str(Path(tmp) / "gui.ini"), QSettings.Format.IniFormat))
        window = MainWindow(ctx, settings)
        window.resize(1100, 700)
        window.show()
        app.processEvents()
        window.grab().save(str(OUT / "main-window.png"))
        key = RecoveryKeyDialog(recovery_key)
        key.show()
        app.processEvents()
        key.grab().save(str(OUT / "recovery-key.png"))
        window.close()
        ctx.workspace.close()
        login = LoginDialog(data_dir, username="wangli")
        login.resize(460, 200)
        login.show()
        app.processEvents()
        login.grab().save(str(OUT / "login.png"))
    print(f"screenshots written to {OUT}")


if __name__ == "__main__":
    main()
