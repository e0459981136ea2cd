"""One operation path: the GUI's views and dialogs reach the database only on the database worker (``wenze-db``),
never on the GUI thread, and what an operation changed reaches the hub once, from ``run_op``."""

from __future__ import annotations

import shutil
import threading
from contextlib import contextmanager
from datetime import date

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import event, select

from wenze_desktop.domain.models import Case
from wenze_desktop.gui.calendar_dialog import CalendarYearDialog
from wenze_desktop.gui.changes import ChangeHub, Changes
from wenze_desktop.gui.deadline_board import DeadlineBoard
from wenze_desktop.gui.document_dialogs import LetterheadDialog, SealDialog
from wenze_desktop.gui.documents_panel import DocumentsPanel
from wenze_desktop.gui.office_keys_dialog import OfficeKeysDialog
from wenze_desktop.gui.registry_model import PLACEHOLDER
from wenze_desktop.gui.registry_view import RegistryView
from wenze_desktop.gui.transfer_export import ExportDialog
from wenze_desktop.security.kdf import FAST_TEST_PARAMS
from wenze_desktop.services import Workspace
from wenze_desktop.services.demo import DEMO_PASSWORD, DEMO_USERNAME, build_demo
from wenze_desktop.storage.workspace import Workspace as Storage

TODAY = date(2026, 11, 23)
WAIT = 15000


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("demo") / "ws"
    build_demo(data_dir, today=TODAY, params=FAST_TEST_PARAMS).close()
    return data_dir


@pytest.fixture
def ws(demo_source, tmp_path, clock):
    data_dir = tmp_path / "ws"
    shutil.copytree(demo_source, data_dir)
    opened = Workspace.open(data_dir, DEMO_USERNAME, DEMO_PASSWORD, clock=clock)
    yield opened
    opened.close()


def decided_case(ws: Workspace) -> str:
    with ws.ctx.workspace.session() as s:
        return s.scalars(select(Case.id).where(Case.regulation_id == "gz2009", Case.step == "decided")).first()


@contextmanager
def database_threads(ws: Workspace, monkeypatch):
    """The threads that open a session or take a connection from the pool (every read and write) meanwhile."""
    seen: list[str] = []

    def checkout(*_args) -> None:
        seen.append(threading.current_thread().name)

    real_session = Storage.session

    def session(self):
        seen.append(threading.current_thread().name)
        return real_session(self)

    engine = ws.ctx.workspace.engine
    event.listen(engine, "checkout", checkout)
    monkeypatch.setattr(Storage, "session", session)
    try:
        yield seen
    finally:
        event.remove(engine, "checkout", checkout)
        monkeypatch.setattr(Storage, "session", real_session)


def on_gui_thread(seen: list[str]) -> list[str]:
    return [name for name in seen if not name.startswith("wenze-db")]


def accept(dialog) -> bool:
    return True


def test_the_views_read_and_write_only_on_the_database_worker(qtbot, ws, gui_settings, monkeypatch):
    case_id = decided_case(ws)
    hub = ChangeHub()
    with database_threads(ws, monkeypatch) as seen:
        registry = RegistryView(ws.ctx, hub, gui_settings)
        qtbot.addWidget(registry)
        registry.resize(900, 600)
        registry.show()
        qtbot.waitUntil(lambda: not registry.model.loading and registry.model.rowCount() > 0, timeout=WAIT)
        model = registry.model
        qtbot.waitUntil(lambda: all(model.data(model.index(r, 1)) != PLACEHOLDER
                                    for r in range(min(model.rowCount(), 20))), timeout=WAIT)
        assert registry.handler.count() > 1  # the handlers, read on the worker too
        registry.search.setText("问责")
        registry.reload()
        qtbot.waitUntil(lambda: not model.loading, timeout=WAIT)
        registry.table.selectAll()  # rows never painted are read for the export on the worker as well
        assert len(registry.selected_case_ids()) == model.rowCount()

        board = DeadlineBoard(ws.ctx, hub)
        qtbot.addWidget(board)
        board.show()
        qtbot.waitUntil(lambda: not board.loading and board.model.rowCount() > 0, timeout=WAIT)

        panel = DocumentsPanel(ws.ctx, hub)
        qtbot.addWidget(panel)
        panel.show()
        with qtbot.waitSignal(panel.refreshed, timeout=WAIT):
            panel.show_case(case_id)
        panel.exec_dialog = accept
        assert panel.select("decision")
        with qtbot.waitSignal(panel.document_issued, timeout=WAIT) as issued, \
                qtbot.waitSignal(panel.preview_opened, timeout=WAIT) as opened:
            qtbot.mouseClick(panel.issue_button, Qt.MouseButton.LeftButton)
        opened.args[0].close()
        qtbot.waitUntil(lambda: not panel.loading and not board.loading and not model.loading, timeout=WAIT)
        assert panel.select("decision", issued.args[0].id)
        panel.ask_reason = lambda _info: "文号有误"
        with qtbot.waitSignal(panel.document_voided, timeout=WAIT):
            qtbot.mouseClick(panel.void_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not panel.loading and not board.loading, timeout=WAIT)

        seals = SealDialog(ws.ctx)
        qtbot.addWidget(seals)
        qtbot.waitUntil(lambda: seals.loaded and not seals.image.pixmap().isNull(), timeout=WAIT)
        letterhead = LetterheadDialog(ws.ctx)
        qtbot.addWidget(letterhead)
        qtbot.waitUntil(lambda: letterhead.head is not None, timeout=WAIT)
        calendar = CalendarYearDialog(ws.ctx, hub, year=2027)
        qtbot.addWidget(calendar)
        qtbot.waitUntil(lambda: calendar.entered is not None, timeout=WAIT)
        keys = OfficeKeysDialog(ws)
        qtbot.addWidget(keys)
        qtbot.waitUntil(lambda: keys.own_fingerprint.text() != "", timeout=WAIT)
        export = ExportDialog(ws, [case_id])
        qtbot.addWidget(export)
        qtbot.waitUntil(lambda: export.loaded_ok, timeout=WAIT)

    assert len(seen) > 20 and on_gui_thread(seen) == []


def test_issuing_and_voiding_through_the_panel_publish_one_change_each(qtbot, ws):
    case_id = decided_case(ws)
    hub = ChangeHub()
    published: list[Changes] = []
    hub.changed.connect(published.append)
    panel = DocumentsPanel(ws.ctx, hub)
    qtbot.addWidget(panel)
    panel.show()
    with qtbot.waitSignal(panel.refreshed, timeout=WAIT):
        panel.show_case(case_id)
    panel.exec_dialog = accept
    panel.select("decision")
    with qtbot.waitSignal(hub.changed, timeout=WAIT) as changed, \
            qtbot.waitSignal(panel.preview_opened, timeout=WAIT) as opened, \
            qtbot.waitSignal(panel.refreshed, timeout=WAIT):  # the panel follows the hub
        qtbot.mouseClick(panel.issue_button, Qt.MouseButton.LeftButton)
    opened.args[0].close()
    assert changed.args == [Changes.case(case_id, deadlines=False)]
    assert published == [Changes.case(case_id, deadlines=False)]

    panel.select("decision")
    panel.ask_reason = lambda _info: "文号有误"
    with qtbot.waitSignal(panel.document_voided, timeout=WAIT), qtbot.waitSignal(panel.refreshed, timeout=WAIT):
        qtbot.mouseClick(panel.void_button, Qt.MouseButton.LeftButton)
    assert published == [Changes.case(case_id, deadlines=False)] * 2
