"""The batched import: many cases of every kind in one package, deadlines derived from the record, the page cache
given back, and a record the database refuses at the commit."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import text

from tests.unit.procedure_helpers import new_case
from tests.unit.test_transfer import blobs, deadlines, record, send
from tests.unit.transfer_helpers import dump, rich_case
from wenze_desktop.domain.models import Case
from wenze_desktop.errors import IntegrityFailure, ValidationError, WorkspaceBusy
from wenze_desktop.services import walkthrough
from wenze_desktop.services.case_state import case_view
from wenze_desktop.services.transfer_apply import record_view
from wenze_desktop.services.transfer_plan import Planner
from wenze_desktop.transfer.snapshot import case_record


def cache_size(ws) -> int:
    with ws.ctx.workspace.engine.connect() as conn:
        return conn.exec_driver_sql("PRAGMA cache_size").scalar_one()


def test_one_package_with_new_updated_unchanged_local_newer_and_conflicting_cases(offices, tmp_path):
    a, b = offices
    theirs_newer, updated, unchanged, both = (rich_case(a, name) for name in ("张一", "张二", "张三", "张五"))
    b.transfer.apply(send(a, b, [theirs_newer, updated, unchanged, both], tmp_path / "1.wzpkg"))
    new = rich_case(a, "张四", attachment=b"new scan" * 999)
    b.cases.update_case(theirs_newer, title="乙方补充")
    a.cases.update_case(updated, title="甲方补充")
    a.cases.update_case(both, title="甲方改")
    b.cases.update_case(both, title="乙方改")
    kept = {cid: record(b, cid) for cid in (theirs_newer, both)}

    preview = b.transfer.apply(send(a, b, [theirs_newer, updated, unchanged, new, both], tmp_path / "2.wzpkg"))

    assert [p.action for p in preview.cases] == ["local_newer", "updated", "unchanged", "new", "conflict"]
    for cid in (updated, unchanged, new):
        assert record(b, cid) == record(a, cid)
        assert deadlines(b, cid) == deadlines(a, cid) and deadlines(b, cid)
    assert blobs(b, new) == blobs(a, new)
    assert {cid: record(b, cid) for cid in kept} == kept
    assert [c.case_id for c in b.transfer.conflicts()] == [both]
    with b.ctx.workspace.session() as s:  # a new case comes with its next due date, as a case made here would
        assert s.get(Case, new).next_due == min(due for _, due, is_open in deadlines(b, new) if is_open)


def test_the_view_built_from_a_record_is_the_view_read_from_the_database(offices, tmp_path):
    workspace = offices[0]
    case_id = new_case(workspace, "gz2009", name="王五", received=date(2026, 3, 2))
    workspace.cases.add_respondent(case_id, "person", name="赵六", unit="某局", post="科长")
    workspace.cases.add_respondent(case_id, "person", name="钱七", unit="某街道办事处", post="主任")
    walkthrough.walk(workspace.procedure, case_id, until="decided", start=date(2026, 3, 3))
    with workspace.ctx.workspace.session() as s:
        from_db = case_view(s, s.get(Case, case_id))
        from_record = record_view(case_record(s, case_id))
    assert len(from_db.respondents) == 3 and len(from_db.events) > 3
    # The record lists respondents by id, the order an import stores them in (here they were added one by one).
    assert from_record == replace(from_db, respondents=tuple(sorted(from_db.respondents, key=lambda r: r.id)))
    receiver = offices[1]
    receiver.transfer.apply(send(workspace, receiver, [case_id], tmp_path / "p.wzpkg"))
    with receiver.ctx.workspace.session() as s:  # and there the two are the same, order included
        assert case_view(s, s.get(Case, case_id)) == record_view(case_record(s, case_id)) == from_record


def test_the_page_cache_is_given_back_after_an_import_and_after_a_refusal(offices, tmp_path):
    a, b = offices
    usual = cache_size(b)
    path = send(a, b, [rich_case(a)], tmp_path / "p.wzpkg")
    b.transfer.apply(path)
    assert cache_size(b) == usual
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityFailure):
        b.transfer.apply(path)
    assert cache_size(b) == usual


def test_a_record_the_database_refuses_is_a_clear_refusal_that_changes_nothing(offices, tmp_path, monkeypatch):
    a, b = offices
    rich_case(b)  # takes the number the incoming case has
    path = send(a, b, [rich_case(a)], tmp_path / "p.wzpkg")
    monkeypatch.setattr(Planner, "clash", lambda self, case: "")  # as if the clash check had missed it
    before = dump(b)
    with pytest.raises(IntegrityFailure, match="不满足本单位数据库的约束"):
        b.transfer.apply(path)
    assert dump(b) == before
    with b.ctx.workspace.engine.connect() as conn:
        refused = conn.execute(text("SELECT new_values FROM audit_entry WHERE action = 'transfer.import' "
                                    "AND success = 0")).scalars().all()
    assert refused and "约束" in refused[-1]


def test_no_other_connection_can_change_a_case_between_its_plan_and_its_write(offices, tmp_path):
    a, b = offices
    big, cid = rich_case(a, "张一", attachment=bytes(range(256)) * 12_000), rich_case(a, "张二")
    b.transfer.apply(send(a, b, [big, cid], tmp_path / "1.wzpkg"))
    a.cases.update_case(cid, title="甲方补充")
    path = send(a, b, [big, cid], tmp_path / "2.wzpkg")
    refused = []

    def progress(done, total, _message):
        if not refused and done > total // 3:  # while the unchanged big case streams, before the changed one
            with b.ctx.workspace.engine.connect() as other:  # another connection: the CLI, a second window
                other.exec_driver_sql("PRAGMA busy_timeout = 50")
                with pytest.raises(WorkspaceBusy, match="工作区正忙"):
                    other.execute(text("UPDATE case_file SET title = '乙方同时修改' WHERE id = :id"), {"id": cid})
                other.rollback()
                other.exec_driver_sql("PRAGMA busy_timeout = 5000")
            refused.append(done)
        return True

    preview = b.transfer.apply(path, progress=progress)
    assert refused and [p.action for p in preview.cases] == ["unchanged", "updated"]
    assert record(b, cid) == record(a, cid)


def test_a_case_under_a_regulation_we_do_not_know_is_refused_before_anything_is_written(offices, tmp_path,
                                                                                       monkeypatch):
    import wenze_desktop.services.transfer as transfer_service

    a, b = offices
    path = send(a, b, [rich_case(a)], tmp_path / "p.wzpkg")
    known = transfer_service.load_profile

    def newer_program(profile_id):
        if profile_id == "gz2009":
            raise KeyError(profile_id)
        return known(profile_id)

    monkeypatch.setattr(transfer_service, "load_profile", newer_program)
    before = dump(b)
    for attempt in (b.transfer.inspect, b.transfer.apply):
        with pytest.raises(ValidationError, match="本程序不认识，请升级本程序后再导入"):
            attempt(path)
    assert dump(b) == before
