"""Services that change case data or deadlines note what they changed (``ctx.changed``), once it is committed;
the GUI's worker publishes exactly that (``gui/ops.run_op``)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.unit.procedure_helpers import new_case
from tests.unit.transfer_helpers import rich_case
from wenze_desktop.documents.seal_image import demo_seal_png
from wenze_desktop.errors import ValidationError
from wenze_desktop.services import Workspace, walkthrough
from wenze_desktop.services.changes import NOTHING, Changes, collect

YEAR_2027 = 'year = 2027\nholidays = ["2027-01-01", "2027-02-06..2027-02-12"]\nworkdays = ["2027-02-14"]\n'


def noted(work) -> Changes:
    with collect() as collected:
        work()
    return collected.changes


@pytest.fixture
def ws(ctx):
    workspace = Workspace(ctx)
    workspace.organ.register_seal("测试机关", demo_seal_png("测试机关"))
    return workspace


def test_issuing_and_voiding_a_document_note_its_case(ws):
    case_id = new_case(ws)
    walkthrough.walk(ws.procedure, case_id, until="filed", start=date(2026, 11, 2))
    infos = []
    assert noted(lambda: infos.append(ws.documents.issue(case_id, "filing_decision"))) == \
        Changes.case(case_id, deadlines=False)
    assert noted(lambda: ws.documents.void(infos[0].id, "文号有误")) == Changes.case(case_id, deadlines=False)
    assert noted(lambda: ws.documents.choices(case_id)) == NOTHING  # reading notes nothing
    with pytest.raises(ValidationError), collect() as collected:  # refused: nothing committed, nothing noted
        ws.documents.void(infos[0].id, "again")
    assert collected.changes == NOTHING


def test_entering_a_calendar_year_notes_deadlines_and_calendar(ws):
    changed = Changes(deadlines=True, calendar=True)
    assert noted(lambda: ws.calendar.import_year(YEAR_2027, source="国办发明电〔2026〕X号")) == changed
    assert noted(lambda: ws.calendar.remove_year(2027)) == changed


def test_an_import_notes_the_cases_it_wrote(offices, tmp_path):
    a, b = offices
    case_id = rich_case(a)
    path = a.transfer.export([case_id], tmp_path / "p.wzpkg", to="乙市纪委").path
    assert noted(lambda: b.transfer.inspect(path)) == NOTHING  # the dry run writes nothing
    assert noted(lambda: b.transfer.apply(path)) == Changes.cases([case_id], added=True, deadlines=True)
    assert noted(lambda: b.transfer.apply(path)) == NOTHING  # the same package again: nothing changes


def test_resolving_a_conflict_notes_the_case_when_theirs_is_taken(offices, tmp_path):
    a, b = offices
    case_id = rich_case(a)
    b.transfer.apply(a.transfer.export([case_id], tmp_path / "1.wzpkg", to="乙市纪委").path)
    a.cases.update_case(case_id, title="甲改过的标题")
    b.cases.update_case(case_id, title="乙改过的标题")
    again = a.transfer.export([case_id], tmp_path / "2.wzpkg", to="乙市纪委").path
    assert noted(lambda: b.transfer.apply(again)) == NOTHING  # kept as a conflict: the local case is untouched
    conflict = b.transfer.conflicts()[0]
    assert noted(lambda: b.transfer.resolve(conflict.id, keep="incoming")) == Changes.case(case_id)
