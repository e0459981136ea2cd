"""The demo workspace: ~30 cases over all regulations and stages, overdue and due-soon deadlines, a clean audit."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import select

from wenze_desktop.domain.models import Attachment, Case, Respondent
from wenze_desktop.errors import WorkspaceExists
from wenze_desktop.rules.profiles import profile_ids
from wenze_desktop.security.kdf import FAST_TEST_PARAMS
from wenze_desktop.services import Workspace
from wenze_desktop.services.admin import AdminService
from wenze_desktop.services.demo import (
    DEMO_CLERK_USERNAME,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    build_demo,
)
from wenze_desktop.services.demo_cases import CASES, WEIGHTS

TODAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("demo") / "ws"
    seen = []
    ws = build_demo(data_dir, today=TODAY, params=FAST_TEST_PARAMS, progress=lambda *a: seen.append(a))
    ws.close()
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1] and all(isinstance(m, str) for _, _, m in seen)
    return data_dir


@pytest.fixture
def ws(demo_dir):
    with Workspace.open(demo_dir, DEMO_USERNAME, DEMO_PASSWORD) as opened:
        yield opened


def cases(ws) -> list[Case]:
    with ws.ctx.workspace.session() as s:
        rows = list(s.scalars(select(Case)))
        s.expunge_all()
        return rows


def test_about_thirty_cases_over_all_seven_regulations(ws):
    found = cases(ws)
    assert 28 <= len(found) == len(CASES)
    assert set(Counter(c.regulation_id for c in found)) == set(profile_ids())


def test_every_stage_is_represented(ws):
    steps = Counter(c.step for c in cases(ws))
    assert len(steps) >= 12
    for step in ("clue", "checked", "filed", "investigating", "reported", "decided", "served", "executed",
                 "archived", "closed", "not_accountable", "appeal_decided"):
        assert steps[step] >= 1, step
    assert steps["appealed"] == 1  # exactly one appeal still pending
    assert steps["withdrawn"] == 1


def test_some_deadlines_overdue_and_some_due_within_days(ws):
    overdue = {d.case_number for d in ws.procedure.overdue(TODAY)}
    soon = {d.case_number for d in ws.procedure.due_soon(7, TODAY)}
    assert len(overdue) >= 3
    assert len(soon) >= 3


def test_pending_appeal_and_withdrawal_recorded_with_reasons(ws):
    by_step = {c.step: c for c in cases(ws)}
    appeal = ws.procedure.history(by_step["appealed"].id)[-1]
    assert appeal.action == "lodge_appeal" and appeal.data["review_kind"] == "复核" and appeal.data["reason"]
    withdrawal = ws.procedure.history(by_step["withdrawn"].id)[-1]
    assert withdrawal.action == "withdraw" and "撤项" in withdrawal.data["reason"]
    assert ws.procedure.actions(by_step["withdrawn"].id) == []


def test_repeat_respondent_is_flagged_for_aggravation(ws):
    decided = [c for c in cases(ws) if "再次" in c.title]
    last = ws.procedure.history(decided[0].id)
    decision = next(e for e in last if e.action == "decide")
    assert decision.data["aggravation"] and decision.data["aggravation"][0]["respondent"] == "马建华"


def test_respondents_are_complete_and_id_numbers_well_formed(ws):
    with ws.ctx.workspace.session() as s:
        people = s.scalars(select(Respondent).where(Respondent.kind == "person")).all()
        units = s.scalars(select(Respondent).where(Respondent.kind == "unit")).all()
        assert len(people) >= 20 and len(units) >= 5
        for p in people:
            assert p.name and p.unit and p.post and p.rank and p.ethnicity and p.gender in ("male", "female")
            number = p.id_number
            assert len(number) == 18 and number[:2] == "99" and number[6:14] == f"{p.birth_date:%Y%m%d}"
            check = "10X98765432"[sum(int(d) * w for d, w in zip(number[:17], WEIGHTS, strict=True)) % 11]
            assert number[17] == check
            assert (int(number[16]) % 2 == 1) == (p.gender == "male")


def test_attachments_are_readable(ws):
    with ws.ctx.workspace.session() as s:
        ids = s.scalars(select(Attachment.id)).all()
    assert len(ids) >= 2
    for attachment_id in ids:
        name, content = ws.cases.read_attachment(attachment_id)
        assert name.endswith(".txt") and content.decode("utf-8")


def test_demo_and_clerk_can_sign_in(demo_dir):
    with Workspace.open(demo_dir, DEMO_USERNAME, DEMO_PASSWORD) as ws:
        assert ws.ctx.user.display_name == "演示管理员"
        assert AdminService(ws.ctx).workspace_info().name == "演示工作区"
    with Workspace.open(demo_dir, DEMO_CLERK_USERNAME, DEMO_PASSWORD) as ws:
        assert ws.ctx.user.roles == ("handler",)
        handled = [c for c in cases(ws) if c.handler_id == ws.ctx.user.id]
        assert len(handled) >= 3


def test_audit_chain_and_database_verify(ws):
    report = AdminService(ws.ctx).verify()
    assert report.ok, report.checks


def test_refuses_an_existing_workspace(demo_dir):
    with pytest.raises(WorkspaceExists):
        build_demo(demo_dir, today=TODAY, params=FAST_TEST_PARAMS)


def test_cancel_keeps_what_was_recorded(tmp_path):
    def progress(done, total, message):
        return done < 3

    with build_demo(tmp_path / "ws", today=TODAY, params=FAST_TEST_PARAMS, progress=progress) as ws:
        assert len(cases(ws)) == 2


def test_builds_on_any_day_even_over_a_provisional_spring_festival(tmp_path):
    """The real today varies: 2027's holidays are not yet known and the Spring Festival falls in the window."""
    today = date(2027, 2, 15)
    with build_demo(tmp_path / "ws", today=today, params=FAST_TEST_PARAMS) as ws:
        assert len(cases(ws)) == len(CASES)
        assert len({d.case_id for d in ws.procedure.overdue(today)}) >= 2


def test_every_demo_record_reads_in_plain_chinese(ws):
    """办理记录 as the wizard and the CLI show it: labels in Chinese, no keys, JSON, reprs or doubled punctuation."""
    from tests.unit.test_record_rendering import assert_plain
    from wenze_desktop.procedure import fields
    from wenze_desktop.rules.profiles import load_profile

    shown = 0
    for case in cases(ws):
        profile = load_profile(case.regulation_id)
        for event in ws.procedure.history(case.id):
            assert_plain(fields.record_text(event.action, event.data, profile), event.action, typed_latin=True)
            assert event.recorded_by  # the 录入人 travels with the record
            shown += 1
    assert shown > 100  # about 30 cases, most of them far along
