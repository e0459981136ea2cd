"""Regenerate the screenshots from the real application on the demo workspace, under Xvfb: the README's
(``docs/images/``) and the user manual's (``resources/manual/images/``, shipped with the program, so they are saved
as small palette PNGs of a 1366×768 screen).

    .venv/bin/python scripts/screenshots.py            # re-runs itself under xvfb-run when there is no display
    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py   # without X (same widgets, no window frame)
    .venv/bin/python scripts/screenshots.py --readme   # only docs/images/ (or --manual: only the manual's)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time as clock
from datetime import UTC, date, datetime, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "images"
MANUAL_OUT = ROOT / "resources" / "manual" / "images"
TODAY = date(2026, 11, 23)  # fixed, so that the pictures stay the same from one run to the next
SIZE = (1360, 820)
SCREEN = "1366x768"  # the common screen of the PCs this runs on: dialogs size themselves to it
MANUAL_SIZE = (1366, 728)  # the main window maximised on that screen, below the title bar and the task bar


def under_xvfb() -> None:
    """Without a display, start again inside a virtual X server (the xcb platform, as on a real desktop)."""
    if os.environ.get("DISPLAY") or os.environ.get("QT_QPA_PLATFORM") or os.environ.get("WENZE_IN_XVFB"):
        return
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        sys.exit("没有显示器，也没有 xvfb-run：请安装 xvfb（bash scripts/setup.sh test），"
                 "或设置 QT_QPA_PLATFORM=offscreen。")
    env = {**os.environ, "WENZE_IN_XVFB": "1", "QT_QPA_PLATFORM": "xcb"}
    sys.exit(subprocess.call([xvfb, "-a", "-s", f"-screen 0 {SCREEN}x24", sys.executable, *sys.argv], env=env))


def settle(app, rounds: int = 30) -> None:
    for _ in range(rounds):
        app.processEvents()


def wait_for(app, done, seconds: float = 20.0) -> None:
    """Let the database worker answer (lists, previews) before a picture is taken."""
    end = clock.monotonic() + seconds
    while not done():
        if clock.monotonic() > end:
            raise SystemExit("timed out waiting for the window to fill")
        app.processEvents()
        clock.sleep(0.01)
    settle(app)


def shoot(widget, name: str) -> None:
    widget.grab().save(str(OUT / name))
    print(f"  {name}")


def shoot_small(widget, name: str) -> None:
    """A manual image: 256 colours without dithering (the windows have few colours; a third of the size)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage

    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_Indexed8,
                                                    Qt.ImageConversionFlag.ThresholdDither)
    image.save(str(MANUAL_OUT / name), "PNG", 9)
    print(f"  manual/{name}")


def readme_images(app, window) -> None:
    from wenze_desktop.gui.regulation_text import show_citation

    window.resize(*SIZE)
    window.desk.setCurrentIndex(0)
    settle(app)
    shoot(window, "main-window.png")
    page = window.open_case(overdue_case(window))
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
    window.close_tab(window.desk.indexOf(page))
    settle(app)


def overdue_case(window) -> str:
    """The first overdue gz2009 case (its wizard shows a deadline overdue and the documents it produces)."""
    model = window.registry.model
    for row in range(model.rowCount()):
        found = model.row_at(row)
        if found and found.overdue(TODAY) and found.regulation_id == "gz2009":
            return found.case_id
    return model.case_id_at(0)


def demo_case(window, wanted, regulation: str = "gz2009") -> str:
    """A case for which ``wanted(case_id)`` holds (asked on the database worker, as the GUI does), one of
    ``regulation`` if there is one (the manual's examples speak of 《广州问责暂行办法》)."""
    from wenze_desktop.gui.ops import on_worker
    from wenze_desktop.rules.profiles import load_profile
    from wenze_desktop.services.registry import RegistryService

    registry = RegistryService(window.ctx)
    rows = on_worker(lambda: list(registry.rows(registry.keys()).values()))  # every case, not the rows on screen
    rows = sorted((r for r in rows if not load_profile(r.regulation_id).is_terminal(r.step)),
                  key=lambda r: r.regulation_id != regulation)  # open cases: an ended one is read-only
    for found in rows:
        if on_worker(lambda case_id=found.case_id: wanted(case_id)):
            return found.case_id
    raise SystemExit("no demo case fits")


def case_offering(window, action: str) -> str:
    """A case where ``action`` may be recorded now."""
    from wenze_desktop.services.procedure import ProcedureService

    service = ProcedureService(window.ctx)
    return demo_case(window, lambda case_id: any(o.id == action and o.enabled for o in service.actions(case_id)))


def case_with_attachments(window) -> str:
    from wenze_desktop.services.cases import CaseService

    service = CaseService(window.ctx)
    return demo_case(window, lambda case_id: bool(service.list_attachments(case_id)))


def manual_images(app, window) -> None:
    """The pictures the manual's pages show (resources/manual/*.md name them), from the same demo workspace."""
    from wenze_desktop.gui.account_dialogs import ChangePasswordDialog
    from wenze_desktop.gui.calendar_dialog import CalendarYearDialog
    from wenze_desktop.gui.document_dialogs import LetterheadDialog, SealDialog, VerifyDocumentDialog
    from wenze_desktop.gui.login import LockDialog
    from wenze_desktop.gui.office_keys_dialog import OfficeKeysDialog
    from wenze_desktop.gui.regulation_text import show_citation
    from wenze_desktop.gui.transfer_export import ExportDialog
    from wenze_desktop.gui.transfer_import import ImportDialog

    MANUAL_OUT.mkdir(parents=True, exist_ok=True)
    window.resize(*MANUAL_SIZE)
    window.desk.setCurrentIndex(0)
    window.board_dock.show()
    settle(app)
    shoot_small(window, "main-window.png")
    shoot_small(window.board_dock, "deadline-board.png")

    def dialog_shot(dialog, name: str, ready=lambda: True) -> None:
        dialog.show()
        wait_for(app, ready)
        shoot_small(dialog, name)
        dialog.hide()
        dialog.deleteLater()
        settle(app)

    ctx, settings = window.ctx, window.settings
    dialog_shot(CalendarYearDialog(ctx, window.hub, 2027, window), "calendar-year.png")
    dialog_shot(LetterheadDialog(ctx, window), "letterhead.png")
    dialog_shot(SealDialog(ctx, window), "seal.png")
    dialog_shot(VerifyDocumentDialog(ctx, window), "verify-document.png")
    dialog_shot(ChangePasswordDialog(ctx, window), "change-password.png")
    keys, listed = OfficeKeysDialog(ctx, window, settings=settings), []
    keys.refreshed.connect(lambda: listed.append(True))
    dialog_shot(keys, "office-keys.png", lambda: bool(listed))
    export = ExportDialog(ctx, [overdue_case(window)], window, settings=settings)
    dialog_shot(export, "export.png", lambda: export.loaded_ok)
    dialog_shot(ImportDialog(ctx, window, settings=settings, hub=window.hub), "import.png")
    dialog_shot(LockDialog(ctx, window), "lock.png")

    # A case with an overdue deadline: its procedure, documents, a preview and the issue dialog.
    page = window.open_case(overdue_case(window))
    wizard = page.wizard
    wait_for(app, lambda: wizard.view is not None and not wizard.documents.loading)
    shoot_small(window, "case-wizard.png")
    panel = wizard.documents
    if not panel.select("decision"):
        raise SystemExit("the overdue case lists no 问责决定书")
    settle(app)
    shoot_small(panel.parentWidget(), "documents-panel.png")
    previews = []
    panel.preview_opened.connect(previews.append)
    panel.preview()
    wait_for(app, lambda: bool(previews))
    previews[0].resize(min(previews[0].width(), 900), previews[0].height())
    settle(app)
    shoot_small(previews[0], "pdf-preview.png")
    previews[0].close()

    def issue_shot(dialog) -> bool:
        dialog.show()
        settle(app)
        shoot_small(dialog, "issue-dialog.png")
        dialog.hide()
        return False  # never issued: the demo stays as it is

    panel.exec_dialog = issue_shot
    panel.issue()
    wait_for(app, lambda: not panel._confirming)

    # Its record: respondents (and one opened), evidence and attachments.
    page.sections.setCurrentWidget(page.form)
    page.form.tabs.setCurrentIndex(2)
    settle(app)
    shoot_small(window, "case-form.png")

    def respondent_shot(dialog) -> bool:
        dialog.show()
        settle(app)
        shoot_small(dialog, "respondent.png")
        dialog.hide()
        return False

    page.form.exec_dialog = respondent_shot
    page.form.edit_respondent(0)
    window.close_tab(window.desk.indexOf(page))
    page = window.open_case(case_with_attachments(window))
    page.sections.setCurrentWidget(page.form)
    page.form.tabs.setCurrentIndex(3)  # evidence and attachments
    wait_for(app, lambda: page.form.attachments.rowCount() > 0)
    print(f"    (the main window needs at least {window.minimumSizeHint().height()} px of height here)")
    shoot_small(window, "case-evidence.png")
    window.close_tab(window.desk.indexOf(page))
    text = show_citation(window, "gz2009", "第二十四条第一款")  # what 查看条文 beside a refusal opens
    settle(app)
    shoot_small(text, "regulation-text.png")
    text.close()

    # A decision's form, with who decided and the signed paper.
    page = window.open_case(case_offering(window, "decide"))
    wait_for(app, lambda: page.wizard.view is not None)
    form = page.wizard.open_action("decide")
    wait_for(app, lambda: form is not None and form.isVisible())
    shoot_small(form, "action-form.png")
    form.hide()
    form.deleteLater()
    window.close_tab(window.desk.indexOf(page))
    settle(app)


def manual_window_shot(app, window) -> None:
    """The manual itself, for review (not shipped)."""
    from wenze_desktop.gui.help_manual import show_manual

    shots = Path(os.environ.get("WENZE_SHOTS", tempfile.gettempdir()))
    manual = show_manual(window, "case-procedure")
    settle(app, 60)
    manual.grab().save(str(shots / "manual-window.png"))
    manual.close()


def main() -> None:
    under_xvfb()
    from PySide6.QtCore import QSettings

    from wenze_desktop.gui.app import make_application
    from wenze_desktop.gui.first_run import FirstRunDialog
    from wenze_desktop.gui.login import LoginDialog
    from wenze_desktop.gui.main_window import MainWindow
    from wenze_desktop.gui.settings import GuiSettings
    from wenze_desktop.security.kdf import FAST_TEST_PARAMS
    from wenze_desktop.services.demo import build_demo

    readme, manual = "--manual" not in sys.argv, "--readme" not in sys.argv
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
        wait_for(app, lambda: not window.registry.model.loading)
        if readme:
            readme_images(app, window)
        if manual:
            manual_images(app, window)
            if os.environ.get("WENZE_SHOTS"):
                manual_window_shot(app, window)
        window.close()
        ws.close()

        login = LoginDialog(data_dir, username="demo")
        login.resize(460, 200)
        login.show()
        settle(app)
        if readme:
            shoot(login, "login.png")
        if manual:
            shoot_small(login, "login.png")
            first = FirstRunDialog(Path(tmp) / "new", kdf_params=FAST_TEST_PARAMS)
            first.resize(560, first.sizeHint().height())
            first.show()
            settle(app)
            shoot_small(first, "first-run.png")
            first.close()
    print(f"screenshots written to {OUT}" + (f" and {MANUAL_OUT}" if manual else ""))


if __name__ == "__main__":
    main()
