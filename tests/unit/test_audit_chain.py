"""Every change leaves an audit entry; the hash chain exposes edited, deleted, reordered or cut-off entries."""

import pytest
from sqlalchemy import select, text

from wenze_desktop.domain.models import AuditEntry
from wenze_desktop.security.audit import verify_chain
from wenze_desktop.services.admin import AdminService
from wenze_desktop.services.cases import CaseService


@pytest.fixture
def busy(ctx):
    cases = CaseService(ctx)
    for i in range(4):
        case_id = cases.create_case(f"C-{i}", f"案件{i}", "gz2009")
        cases.update_case(case_id, title=f"案件{i}（改）")
    return ctx


def chain(ctx):
    with ctx.workspace.session() as s:
        return verify_chain(s)


def sql(ctx, statement: str) -> None:
    with ctx.workspace.engine.begin() as conn:
        conn.execute(text(statement))


def test_intact_chain_verifies(busy):
    report = chain(busy)
    assert report.ok and report.entries == 3 + 8  # workspace, first user and office key; 4 cases made and edited


def test_edited_entry_detected(busy):
    sql(busy, "UPDATE audit_entry SET new_values = replace(new_values, '案件2', '案件X') WHERE seq = 8")
    report = chain(busy)
    assert not report.ok and any("记录 8" in p and "篡改" in p for p in report.problems)


def test_deleted_entry_detected(busy):
    sql(busy, "DELETE FROM audit_entry WHERE seq = 5")
    report = chain(busy)
    assert not report.ok and any("不连续" in p for p in report.problems)


def test_reordered_entries_detected(busy):
    sql(busy, "UPDATE audit_entry SET seq = -1 WHERE seq = 4")
    sql(busy, "UPDATE audit_entry SET seq = 4 WHERE seq = 5")
    sql(busy, "UPDATE audit_entry SET seq = 5 WHERE seq = -1")
    report = chain(busy)
    assert not report.ok and any("前序哈希" in p for p in report.problems)


def test_cut_off_tail_detected(busy):
    sql(busy, "DELETE FROM audit_entry WHERE seq = (SELECT max(seq) FROM audit_entry)")
    report = chain(busy)
    assert not report.ok and any("末端" in p for p in report.problems)


def test_verify_reports_the_broken_chain(busy):
    sql(busy, "UPDATE audit_entry SET username = 'someone' WHERE seq = 3")
    report = AdminService(busy).verify()
    assert not report.ok
    assert [name for name, passed, _ in report.checks if not passed] == ["审计链"]


def test_change_records_old_and_new_values(busy):
    with busy.workspace.session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "case.update")
                          .order_by(AuditEntry.seq)).first()
    assert entry.username == "admin" and entry.object_type == "case"
    assert '"title":"案件0"' in entry.old_values and '"title":"案件0（改）"' in entry.new_values
    assert "regulation_id" not in entry.new_values  # only what changed


def test_a_step_back_in_time_is_reported(ctx, clock):
    """The system clock set back between two changes: the chain is intact, but verify names the step back."""
    from datetime import timedelta

    cases = CaseService(ctx)
    cases.create_case("C-1", "案件1", "gz2009")
    clock.advance(hours=-3)
    cases.create_case("C-2", "案件2", "gz2009")
    clock.advance(hours=5)
    cases.create_case("C-3", "案件3", "gz2009")
    report = chain(ctx)
    with ctx.workspace.session() as s:
        entries = list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
    back = next(e for e in entries[1:] if e.at < entries[entries.index(e) - 1].at)
    before = entries[entries.index(back) - 1]
    assert before.at - back.at == timedelta(hours=3)
    local = "%Y-%m-%d %H:%M:%S"
    assert report.problems == [
        f"审计记录 {back.seq} 的时间（{back.at.astimezone().strftime(local)}）早于其前一条记录 {before.seq} 的时间"
        f"（{before.at.astimezone().strftime(local)}）：写入时系统时钟可能被调回过。请核对本机时间，并核实这段时间内"
        "各条记录所载时间。"]
    assert [name for name, passed, _ in AdminService(ctx).verify().checks if not passed] == ["审计链"]


def test_a_step_back_does_not_hide_a_cut_off_tail(ctx, clock):
    cases = CaseService(ctx)
    cases.create_case("C-1", "案件1", "gz2009")
    clock.advance(minutes=-1)
    cases.create_case("C-2", "案件2", "gz2009")
    cases.create_case("C-3", "案件3", "gz2009")
    sql(ctx, "DELETE FROM audit_entry WHERE seq = (SELECT max(seq) FROM audit_entry)")
    problems = chain(ctx).problems
    assert len(problems) == 2 and "早于" in problems[0] and "末端" in problems[1]


def test_entries_written_in_the_same_instant_are_in_order(busy):
    """A clock that does not move (the FakeClock, or a coarse system clock) is not a step back."""
    with busy.workspace.session() as s:
        assert len({e.at for e in s.scalars(select(AuditEntry))}) == 1
    assert chain(busy).ok
