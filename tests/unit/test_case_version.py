"""One version for the whole case: every change to the case or any of its parts moves it, a save that starts from
an older version is refused (CaseChanged, exit 11) with nothing written, and concurrent writers never see a raw
StaleDataError nor lose an update silently."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.conftest import ADMIN
from tests.unit.procedure_helpers import PAPER, new_case
from wenze_desktop.domain.models import AuditEntry, Case, CaseDeadline, IssuedDocument, ProcedureEvent
from wenze_desktop.errors import CaseChanged, WorkspaceBusy
from wenze_desktop.services import Workspace
from wenze_desktop.services.auth import login
from wenze_desktop.services.case_parts import CaseSave, EvidenceEntry, RespondentEntry

YEAR_2027 = 'year = 2027\nholidays = ["2027-01-01", "2027-02-06..2027-02-12"]\nworkdays = ["2027-02-14"]\n'


@pytest.fixture
def ws(ctx):
    return Workspace(ctx)


@pytest.fixture
def other(ws, data_dir, clock):
    """A second person, signed in on the same workspace (as in another window or on the command line)."""
    ws.accounts.create_user("lisi", "李四", ["handler", "leader"], "Lisi-密码-2026")
    second = Workspace(login(data_dir, "lisi", "Lisi-密码-2026", clock=clock))
    yield second
    second.close()


def version(ws: Workspace, case_id: str) -> int:
    return ws.cases.details(case_id).version


def picture(ws: Workspace) -> tuple:
    """The audit chain's length and every case's version, events and documents: equal means nothing written."""
    with ws.ctx.workspace.session() as s:
        return (s.scalar(select(func.count()).select_from(AuditEntry)),
                tuple(s.execute(select(Case.id, Case.version, Case.title, Case.step).order_by(Case.id))),
                s.scalar(select(func.count()).select_from(ProcedureEvent)),
                s.scalar(select(func.count()).select_from(IssuedDocument)))


def filed(ws: Workspace, received: date = date(2026, 11, 2)) -> str:
    case_id = new_case(ws, "gz2009", received=received)
    ws.procedure.perform(case_id, "preliminary_check", on=received)
    ws.procedure.perform(case_id, "file_case", on=received, approved_by="书记", paper_ref=PAPER)
    return case_id


# -- every part moves the one version ---------------------------------------------------------------------------------

def test_every_change_to_the_case_or_a_part_moves_its_version(ws, clock):
    case_id = new_case(ws)
    assert version(ws, case_id) == 1
    seen = [1]

    def moved(change) -> None:
        clock.advance(minutes=1)
        change()
        now = version(ws, case_id)
        assert now > seen[-1], change
        seen.append(now)

    details = ws.cases.details(case_id)
    moved(lambda: ws.cases.update_case(case_id, facts="补充事实"))
    moved(lambda: ws.cases.update_clue(details.clue.id, provider="群众来信"))
    person = ws.cases.add_respondent(case_id, "person", name="李四")
    seen.append(version(ws, case_id))
    assert seen[-1] > seen[-2]
    moved(lambda: ws.cases.update_respondent(person, post="科长"))
    moved(lambda: ws.cases.remove_respondent(person))
    attachment = ws.cases.add_attachment(case_id, "笔录.pdf", b"%PDF-1.7 record")
    seen.append(version(ws, case_id))
    assert seen[-1] > seen[-2]
    evidence = ws.cases.add_evidence(case_id, "询问笔录", attachment_id=attachment)
    seen.append(version(ws, case_id))
    assert seen[-1] > seen[-2]
    moved(lambda: ws.cases.update_evidence(evidence, note="原件存档"))
    moved(lambda: ws.cases.remove_evidence(evidence))
    moved(lambda: ws.cases.remove_attachment(attachment))
    moved(lambda: ws.procedure.perform(case_id, "preliminary_check", on=date(2026, 3, 3)))
    event = ws.procedure.history(case_id)[-1].id
    moved(lambda: ws.procedure.amend(case_id, event, reason="日期录错", on=date(2026, 3, 4)))
    moved(lambda: ws.procedure.withdraw_record(case_id, event, reason="误登记"))


def test_issuing_and_voiding_a_document_move_the_version(ws, clock):
    case_id = filed(ws)
    before = version(ws, case_id)
    info = ws.documents.issue(case_id, "filing_decision", sealed=False)
    issued = version(ws, case_id)
    assert issued > before
    ws.documents.void(info.id, "文号有误")
    assert version(ws, case_id) > issued


def test_an_unchanged_save_moves_nothing(ws):
    case_id = new_case(ws)
    details = ws.cases.details(case_id)
    ws.cases.update_case(case_id, expected_version=details.version, title=details.title)
    ws.cases.save_case(CaseSave(regulation_id="gz2009", title=details.title, number=details.number,
                                facts=details.facts, clue={"provider": details.clue.provider}, case_id=case_id,
                                clue_id=details.clue.id, version=details.version,
                                respondents=tuple(RespondentEntry({"kind": r.kind, "name": r.name}, r.id)
                                                  for r in details.respondents)))
    assert version(ws, case_id) == details.version == 1


def test_a_new_case_saved_with_its_parts_starts_at_version_one(ws):
    saved = ws.cases.save_case(CaseSave(
        regulation_id="gz2009", title="关于王五的问责案",
        clue={"source": "complaint", "received_on": date(2026, 11, 2)},
        respondents=(RespondentEntry({"kind": "person", "name": "王五"}, key="r"),),
        evidence=(EvidenceEntry({"title": "来信", "kind": "书证"}, key="e"),)))
    assert saved.version == version(ws, saved.case_id) == 1


def test_entering_a_calendar_year_moves_the_versions_of_the_cases_it_recomputes(ws):
    late = filed(ws, date(2026, 12, 20))  # its report deadline runs into 2027: 暂定
    early = filed(ws, date(2026, 3, 2))
    before = {late: version(ws, late), early: version(ws, early)}
    entered = ws.calendar.import_year(YEAR_2027, source="国办发明电〔2026〕X号")
    assert entered.recomputed.changed_cases == 1
    assert version(ws, late) == before[late] + 1  # its deadlines moved
    assert version(ws, early) == before[early]  # nothing of it moved


# -- a save from an older version is refused --------------------------------------------------------------------------

def test_the_second_form_to_save_is_refused_and_says_who_changed_the_case(ws, other):
    case_id = new_case(ws)
    first, second = ws.cases.details(case_id), other.cases.details(case_id)  # two forms open on the case
    other.cases.save_case(CaseSave(regulation_id="gz2009", title="李四改的名称", number=second.number,
                                   facts=second.facts, clue={}, case_id=case_id, version=second.version))
    before = picture(ws)
    with pytest.raises(CaseChanged) as refused:
        ws.cases.save_case(CaseSave(regulation_id="gz2009", title=first.title, number=first.number,
                                    facts="管理员补充的事实", clue={}, case_id=case_id, version=first.version))
    message = str(refused.value)
    assert first.number in message and "案件信息" in message and "李四（lisi）" in message
    assert "修改了案件信息" in message and "未作任何改动" in message and "查看案件的最新内容" in message
    assert refused.value.exit_code == 11
    assert picture(ws) == before  # nothing written, nothing audited
    assert ws.cases.details(case_id).title == "李四改的名称"  # the first save's change is not reverted


@pytest.mark.parametrize("attempt", ["perform", "amend", "withdraw", "issue", "update_case"])
def test_records_corrections_and_documents_refuse_a_stale_version(ws, other, attempt):
    case_id = filed(ws)
    seen = version(ws, case_id)
    event = ws.procedure.history(case_id)[-1].id
    other.cases.add_respondent(case_id, "person", name="王五")  # meanwhile, someone adds a respondent
    before = picture(ws)
    calls = {
        "perform": lambda: ws.procedure.perform(case_id, "notify_investigation", on=date(2026, 11, 3),
                                                expected_version=seen),
        "amend": lambda: ws.procedure.amend(case_id, event, reason="录错", on=date(2026, 11, 3),
                                            expected_version=seen),
        "withdraw": lambda: ws.procedure.withdraw_record(case_id, event, reason="误登记", expected_version=seen),
        "issue": lambda: ws.documents.issue(case_id, "filing_decision", sealed=False, expected_version=seen),
        "update_case": lambda: ws.cases.update_case(case_id, facts="新事实", expected_version=seen),
    }
    with pytest.raises(CaseChanged, match=r"李四（lisi）.*修改了被问责对象"):
        calls[attempt]()
    assert picture(ws) == before


def test_the_message_names_who_changed_the_case_not_who_printed_it_since(ws, other):
    case_id = filed(ws)
    info = ws.documents.issue(case_id, "filing_decision", sealed=False)
    seen = version(ws, case_id)
    other.cases.update_case(case_id, facts="李四补充")
    ws.documents.read(info.id, purpose="print")  # someone prints the case's document afterwards: not a change
    with pytest.raises(CaseChanged, match=r"（李四（lisi）于 .* 修改了案件信息）"):
        ws.cases.update_case(case_id, facts="x", expected_version=seen)


def test_without_an_expected_version_the_command_line_takes_the_case_as_it_is(ws, other):
    case_id = filed(ws)
    other.cases.update_case(case_id, facts="李四补充")
    ws.documents.issue(case_id, "filing_decision", sealed=False)  # no form: nothing to be stale against


def test_a_case_changed_by_the_recomputation_names_the_calendar_change(ws):
    case_id = filed(ws, date(2026, 12, 20))
    seen = version(ws, case_id)
    ws.calendar.import_year(YEAR_2027, source="国办发明电〔2026〕X号")
    with pytest.raises(CaseChanged, match=r"管理员（admin）于 .* 录入了 2027 年节假日安排，期限随之重新计算"):
        ws.cases.update_case(case_id, facts="x", expected_version=seen)


# -- concurrent writers -----------------------------------------------------------------------------------------------

def test_concurrent_facade_updates_succeed_or_say_case_changed_and_lose_nothing(ws, data_dir, clock):
    """Four people (threads, each signed in on its own) change one case 25 times each, half of them from the
    version they read (as a form does). Each attempt succeeds or is refused with CaseChanged/WorkspaceBusy —
    never another exception — and the case and the audit log show exactly the successful writes. Writers queue
    for the write lock, so a write that does not name a version always succeeds (it used to fail now and then
    with a raw StaleDataError)."""
    case_id = new_case(ws)
    for n in range(4):
        ws.accounts.create_user(f"user{n}", f"用户{n}", ["handler"], f"User{n}-密码-2026")
    outcomes: Counter[str] = Counter()
    successes: list[tuple[str, str]] = []  # (title written, by whom), in no particular order
    unexpected: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def person(n: int) -> None:
        me = Workspace(login(data_dir, f"user{n}", f"User{n}-密码-2026"))
        try:
            start.wait()
            for i in range(25):
                title = f"用户{n}的第{i}次修改"
                mode = "from-version" if i % 2 else "as-is"
                try:
                    if i % 2:
                        seen = me.cases.details(case_id).version
                        me.cases.update_case(case_id, title=title, expected_version=seen)
                    else:
                        me.cases.update_case(case_id, title=title)
                except (CaseChanged, WorkspaceBusy) as refusal:
                    with lock:
                        outcomes[f"{mode} {type(refusal).__name__}"] += 1
                except BaseException as error:  # the test's point: nothing else may come out
                    with lock:
                        unexpected.append(error)
                else:
                    with lock:
                        outcomes[f"{mode} ok"] += 1
                        successes.append((title, f"user{n}"))
        finally:
            me.close()

    threads = [threading.Thread(target=person, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not unexpected, unexpected
    assert sum(outcomes.values()) == 100
    assert outcomes["as-is ok"] == 4 * 13, outcomes  # (i even) queued behind each other, never refused
    assert not any("WorkspaceBusy" in key for key in outcomes), outcomes  # short writes wait, they never time out
    with ws.ctx.workspace.session() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "case.update",
                                                     AuditEntry.object_id == case_id)
                            .order_by(AuditEntry.seq)).all()
        final = s.get(Case, case_id)
        # The audit log holds one entry per successful write, each by its writer, and the last is what is stored.
        written = [(json.loads(e.new_values)["title"], e.username) for e in entries]
        assert sorted(written) == sorted(successes)
        assert written[-1][0] == final.title
        assert final.version == 1 + len(written)


def test_recomputation_leaves_nothing_behind_for_a_reader(ws):
    """After a year is entered nothing is left to recompute (the crash tests use the same check)."""
    filed(ws, date(2026, 12, 20))
    assert ws.procedure.deadlines_behind().changed_cases == 0
    with ws.ctx.transaction() as s:  # the year arrives without its recomputation (as a bug or old version would)
        from wenze_desktop.domain.models import CalendarYear

        s.add(CalendarYear(year=2027, holidays=["2027-01-01"], workdays=[], source="x", entered_by=ADMIN))
    behind = ws.procedure.deadlines_behind()
    assert behind.changed_cases == 1 and behind.deadlines_changed >= 1
    with ws.ctx.workspace.session() as s:
        assert s.scalar(select(func.count()).where(CaseDeadline.provisional.is_(True))) >= 1
