"""A complete path through every regulation profile, plus the alternative paths where a profile has them."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from tests.unit.procedure_helpers import SIGNED, full_data, new_case, walk
from wenze_desktop.errors import ProcedureRefused
from wenze_desktop.rules.profiles import load_profile, profile_ids
from wenze_desktop.services import Workspace


@pytest.fixture
def ws(ctx):
    return Workspace(ctx)


@pytest.mark.parametrize("profile_id", profile_ids())
def test_main_path_reaches_archive(ws, profile_id):
    profile = load_profile(profile_id)
    kind = "person" if "person" in profile.applies_to else "unit"
    case_id = new_case(ws, profile_id, kind=kind, name="张三" if kind == "person" else "某某学校")
    done = walk(ws, case_id, kind=kind)
    assert ws.cases.get_case(case_id).step == "archived"
    assert "decide" in done and done[-1] == "archive"
    assert ws.procedure.actions(case_id) == []
    with pytest.raises(ProcedureRefused) as refused:
        ws.procedure.perform(case_id, "archive", on=date(2026, 6, 1))
    # a fact about the case, not a rule of the text: no article, and not dressed up as the profile's reading
    assert "已终结" in refused.value.message and not refused.value.article and not refused.value.reading


def test_jt2019_report_may_come_before_the_defence_which_must_precede_the_decision(ws):
    """jt2019 第十五条: the defence is heard before the decision, not before the 处理意见/问责建议."""
    profile = load_profile("jt2019")
    case_id = new_case(ws, "jt2019")
    walk(ws, case_id, until="investigating")
    on = date(2026, 6, 1)
    ws.procedure.perform(case_id, "submit_report", on=on, **full_data(profile, on, action="submit_report"))
    with pytest.raises(ProcedureRefused) as refused:
        ws.procedure.perform(case_id, "decide", on=on, **full_data(profile, on))
    assert refused.value.article == profile.procedure.defence_article and "申辩" in refused.value.message
    ws.procedure.perform(case_id, "record_defence", on=on, **full_data(profile, on, action="record_defence"))
    ws.procedure.perform(case_id, "decide", on=on, **full_data(profile, on))
    assert ws.cases.get_case(case_id).step == "decided"


@pytest.mark.parametrize("profile_id", [p for p in profile_ids()
                                        if any(t.action == "withdraw" for t in load_profile(p).transitions)])
def test_withdrawn_case_accepts_nothing(ws, profile_id):
    profile = load_profile(profile_id)
    withdraw = next(t for t in profile.transitions if t.action == "withdraw")
    case_id = new_case(ws, profile_id)
    walk(ws, case_id, until=withdraw.sources[0])
    ws.procedure.perform(case_id, "withdraw", on=date(2026, 4, 1), reason="问责事项已不存在", **SIGNED)
    assert ws.cases.get_case(case_id).step == "withdrawn"
    assert ws.procedure.actions(case_id) == []
    for action in ("decide", "archive", withdraw.action):
        with pytest.raises(ProcedureRefused, match="已终结（撤项）"):
            ws.procedure.perform(case_id, action, on=date(2026, 4, 2))


@pytest.mark.parametrize("profile_id", [p for p in profile_ids() if load_profile(p).appeal.allowed])
def test_appeal_path_then_archive(ws, profile_id):
    profile = load_profile(profile_id)
    kind = "person" if "person" in profile.applies_to else "unit"
    case_id = new_case(ws, profile_id, kind=kind, name="张三" if kind == "person" else "某某学校")
    walk(ws, case_id, until="served", kind=kind)
    served_on = ws.procedure.history(case_id)[-1].on
    def data(action: str) -> dict:
        return full_data(profile, served_on, kind, action=action)

    ws.procedure.perform(case_id, "lodge_appeal", on=served_on, **data("lodge_appeal"))
    ws.procedure.perform(case_id, "decide_appeal", on=served_on, **{**data("decide_appeal"), "outcome": "uphold"})
    assert ws.cases.get_case(case_id).step == "appeal_decided"
    ws.procedure.perform(case_id, "report_execution", on=served_on, **data("report_execution"))
    ws.procedure.perform(case_id, "archive", on=served_on, **data("archive"))
    assert ws.cases.get_case(case_id).step == "archived"


def test_gz2009_direct_decision_path(ws):
    case_id = new_case(ws, "gz2009")
    walk(ws, case_id, until="filed")
    profile = load_profile("gz2009")
    on = date(2026, 4, 1)
    with pytest.raises(ProcedureRefused) as refused:
        ws.procedure.perform(case_id, "decide", on=on, **{**full_data(profile, on), "direct_reason": ""})
    assert refused.value.article == "第二十四条第二款"
    ws.procedure.perform(case_id, "waive_defence", on=on, text="本人明确表示放弃陈述申辩")
    ws.procedure.perform(case_id, "decide", on=on, **full_data(profile, on))
    assert ws.cases.get_case(case_id).step == "decided"
    assert ws.procedure.view(case_id).path == "direct"
    walk(ws, case_id, start=on)
    assert ws.cases.get_case(case_id).step == "archived"


def test_history_records_each_step_in_order(ws):
    case_id = new_case(ws, "gz2009")
    done = walk(ws, case_id)
    events = ws.procedure.history(case_id)
    assert [e.action for e in events] == done
    assert [e.seq for e in events] == list(range(1, len(done) + 1))
    assert all(a.on <= b.on for a, b in itertools.pairwise(events))


def test_reached_and_reachable_steps_follow_the_recorded_events(ws):
    from wenze_desktop.procedure.engine import reachable_steps, reached_steps

    profile = load_profile("gz2009")
    case_id = new_case(ws, "gz2009")
    walk(ws, case_id, until="filed", start=date(2026, 9, 1))
    view = ws.procedure.view(case_id)
    reached = reached_steps(profile, view)
    assert list(reached) == ["clue", "checked", "filed"] and reached["clue"] is None
    assert reached["filed"] == view.events[-1].on
    ahead = reachable_steps(profile, "filed")
    assert {"investigating", "archived"} <= ahead and "clue" not in ahead
    assert reachable_steps(profile, "archived") == set()  # an end leads nowhere
