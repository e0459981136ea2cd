"""Helpers for the procedure tests: a workspace facade, cases, and a walker that takes a case to its end."""

from __future__ import annotations

from datetime import date, timedelta

from wenze_desktop.rules.profiles import Profile, load_profile
from wenze_desktop.services import Workspace

MEETING_ATTENDEES = ["书记甲", "副书记乙", "委员丙"]
STAFF = ["调查员甲", "调查员乙"]


def new_case(ws: Workspace, profile: str = "gz2009", *, name: str = "张三", kind: str = "person",
             received: date = date(2026, 3, 2), **respondent) -> str:
    fields = {"kind": kind, "name": name}
    if kind == "person":
        fields.update(unit=respondent.pop("unit", "某区人民政府"), post=respondent.pop("post", "副区长"))
    fields.update(respondent)
    return ws.cases.create(profile=profile, title=f"关于{name}的问责案", clue_source="complaint", received_on=received,
                           respondents=[fields], facts="对群众反映强烈的问题能够解决而不及时解决")


def first_form(profile: Profile, kind: str, light: bool = False) -> str:
    forms = [f for f in profile.forms if kind in f.applies_to and (not light or f.tier == "light")]
    return forms[0].name


def full_data(profile: Profile, on: date, kind: str = "person", light: bool = False) -> dict:
    """Data that satisfies every action's guards (each action takes what it needs)."""
    form = first_form(profile, kind, light)
    return dict(
        staff=STAFF, interest=False, approved_by="主要领导", reason="经研究决定", text="本人陈述和申辩如下……",
        summary="已收到", conclusion="问责情形属实", accountable=True, recommended_forms=[form], facts="事实清楚",
        evidence="询问笔录、会议记录", responsibility="主要领导责任", basis="依据本规定", organ="决定机关",
        forms=[form], meeting={"date": on.isoformat(), "attendees": MEETING_ATTENDEES, "dissenting": []},
        direct_reason="事实清楚", outcome="维持",
        review_kind=profile.appeal.review_kinds[0] if profile.appeal.review_kinds else "复核")


FORWARD = ["preliminary_check", "file_case", "assign_investigators", "serve_notice", "receive_explanation",
           "inform_findings", "record_defence", "submit_report", "decide", "serve_decision", "report_execution",
           "archive"]


def walk(ws: Workspace, case_id: str, *, start: date = date(2026, 3, 2), until: str = "archived",
         prefer: list[str] | None = None, kind: str = "person") -> list[str]:
    """Take the main path action by action (declaring interests when due) until ``until``. Returns the actions."""
    profile = load_profile(ws.cases.get_case(case_id).regulation_id)
    order = prefer or FORWARD
    on, done = start, []
    for _ in range(40):
        step = ws.cases.get_case(case_id).step
        if step == until:
            return done
        options = {a.id: a for a in ws.procedure.actions(case_id, today=on)}
        if "declare_interest" in options and _undeclared(ws, case_id):
            chosen = "declare_interest"
        else:
            chosen = next((a for a in order if a in options and options[a].enabled and options[a].to), None)
        if chosen is None:
            refusals = {a.id: a.refusal for a in options.values()}
            raise AssertionError(f"stuck at {step} after {done}: {refusals}")
        light = any(t.path == "simplified" for t in profile.transitions if t.action == chosen and step in t.sources)
        ws.procedure.perform(case_id, chosen, on=on, **full_data(profile, on, kind, light))
        done.append(chosen)
        on += timedelta(days=1)
    raise AssertionError(f"did not reach {until}: {done}")


def _undeclared(ws: Workspace, case_id: str) -> bool:
    from wenze_desktop.procedure.view import team_of

    return bool(team_of(ws.procedure.view(case_id)).undeclared())
