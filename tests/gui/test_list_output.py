"""Printing and exporting the deadline board: warned first, audited before the output exists, as shown on screen."""

from __future__ import annotations

import json
import zipfile

from sqlalchemy import select

from tests.gui.test_deadline_board import cases, make_board  # noqa: F401 (fixture)
from wenze_desktop.domain.models import AuditEntry
from wenze_desktop.gui.deadline_board import FILTER_OVERDUE


def audited(ctx, action: str) -> list[dict]:
    with ctx.workspace.session() as s:
        return [json.loads(e.new_values) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq))]


def test_the_board_exports_what_it_shows_after_a_warning(qtbot, ctx, cases, tmp_path):  # noqa: F811
    board = make_board(qtbot, ctx)
    board.set_filter(FILTER_OVERDUE)
    output = board.output
    warned: list[str] = []
    output.confirm = lambda what: warned.append(what) or False
    output.export_list()
    assert warned == ["导出"] and audited(ctx, "list.export") == [] and output.exported is None  # declined
    output.confirm = lambda what: True
    output.choose_path = lambda name: str(tmp_path / name)
    told: list[str] = []
    output.tell = told.append
    output.export_list()
    qtbot.waitUntil(lambda: output.exported is not None, timeout=5000)
    stages = [e["stage"] for e in audited(ctx, "list.export")]
    assert stages == ["started", "completed"] and audited(ctx, "list.export")[0]["filter"] == "已逾期"
    strings = zipfile.ZipFile(output.exported).read("xl/sharedStrings.xml").decode()
    assert "gz2009-2026-0001" in strings and "gz2009-2026-0002" not in strings  # only the overdue rows shown
    assert "请按涉密载体管理" in strings and "请按涉密载体管理" in told[0]


def test_the_board_prints_only_after_the_printout_is_audited(qtbot, ctx, cases):  # noqa: F811
    board = make_board(qtbot, ctx)
    output = board.output
    output.confirm = lambda what: True
    output.print_dialog = lambda printer: False  # cancelled in the print dialog: nothing audited, nothing printed
    output.print_list()
    assert audited(ctx, "list.print") == [] and output.printed_html == ""
    output.print_dialog = lambda printer: printer.setOutputFileName(str(ctx.workspace.data_dir.parent / "p.pdf")) \
        or True
    output.print_list()
    qtbot.waitUntil(lambda: output.printed_html != "", timeout=5000)
    assert audited(ctx, "list.print")[0]["rows"] == board.table.model().rowCount()
    assert "期限看板" in output.printed_html and "请按涉密载体管理" in output.printed_html
