"""Walk a case along its regulation's main path with plausible sample data.

Used for the worked examples in docs/procedure.md, by the tests, and for demonstration workspaces. The data for
each action is only what its profile's guards ask for (plus the decision document's contents), so the examples
show the minimum a caller must supply.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from wenze_desktop.procedure import fields, guards
from wenze_desktop.procedure.engine import open_transitions
from wenze_desktop.procedure.view import team_of
from wenze_desktop.rules.profiles import Profile, Transition, load_profile

ATTENDEES = ["书记甲", "副书记乙", "委员丙"]
STAFF = ["调查员甲", "调查员乙"]
DELAY_REASON = "被调查人出差，未能按期办理"

MAIN_PATH = ["preliminary_check", "file_case", "assign_investigators", "serve_notice", "receive_explanation",
             "inform_findings", "record_defence", "submit_report", "decide", "serve_decision", "report_execution",
             "archive"]


def lightest_form(profile: Profile, kind: str, light: bool = False) -> str:
    forms = [f for f in profile.forms if kind in f.applies_to and (not light or f.tier == "light")]
    return forms[0].name


def sample_values(profile: Profile, on: date, kind: str = "person", light: bool = False) -> dict[str, Any]:
    form = lightest_form(profile, kind, light)
    return dict(
        staff=STAFF, interest=False, approved_by="主要领导", reason="经研究，理由如下……", text="本人陈述和申辩如下……",
        summary="已办理", conclusion="问责情形属实", accountable=True, recommended_forms=[form], facts="事实清楚",
        evidence="询问笔录、会议记录", responsibility="主要领导责任", basis=f"《{profile.short_title}》有关条款",
        organ=profile.deciding_organ or "决定机关", forms=[form],
        meeting={"date": on.isoformat(), "attendees": ATTENDEES, "dissenting": []},
        direct_reason="事实清楚、情况特殊", outcome="uphold", decided_by="主要领导", approver="主要领导",
        paper_ref="呈批〔2026〕1号", served_to="张三", method="直接送达", recipients=["张三"], leader=STAFF[0],
        note="无", applicant="张三", replacement=["调查员丙"], adopted="部分采纳", granted=True, archive_no="2026-001",
        location="档案室", served_on=on.isoformat(), severity="ordinary", pause_execution=False,
        review_kind=profile.appeal.review_kinds[0] if profile.appeal.review_kinds else "复核")


def sample_data(profile: Profile, action: str, on: date, kind: str = "person", light: bool = False
                ) -> dict[str, Any]:
    """Sample values for every field ``action`` records (procedure/fields.py), the signed paper included."""
    values = sample_values(profile, on, kind, light)
    data = {k: values[k] for k in fields.stored_keys(action) if k in values}
    if action == "extend_deadline":
        data["working_days"] = 10
    return data


def data_for(profile: Profile, transition: Transition, on: date, kind: str = "person") -> dict[str, Any]:
    """The data ``transition`` needs: what its guards read, what the form requires (procedure/fields.py), and the
    signed paper of an approval or decision."""
    values = sample_values(profile, on, kind, light="simplified_forms_only" in transition.guards)
    reads = guards.reads_of(transition.guards)
    wanted = fields.required_keys(transition.action, reads, values) | reads
    keys = [f.key for f in fields.fields_of(transition.action) if f.key in wanted]
    if fields.is_signed(transition.action):
        keys.append("paper_ref")
    data = {k: values[k] for k in keys if k in values}
    if "extension" in keys:
        data.pop("extension", None)
        data["working_days"] = 10
    return data


Step = tuple[str, date, dict[str, Any]]


def walk(procedure, case_id: str, *, until: str = "archived", start: date = date(2026, 3, 2),
         kind: str = "person", order: list[str] | None = None,
         on_step: Callable[[str, date, dict], None] | None = None) -> list[Step]:
    """Perform the main path's actions (declaring interests when due) until the case reaches ``until``."""
    view = procedure.view(case_id)
    profile = load_profile(view.profile_id)
    order = order or MAIN_PATH
    on, done = start, []
    for _ in range(60):
        view = procedure.view(case_id)
        if view.step == until:
            return done
        options = {a.id: a for a in procedure.actions(case_id, today=on)}
        if "declare_interest" in options and team_of(view).undeclared():
            chosen = "declare_interest"
        else:
            chosen = next((a for a in order if a in options and options[a].enabled and options[a].to), None)
        if chosen is None:
            refusals = {a.id: a.refusal for a in options.values()}
            raise RuntimeError(f"stuck at {view.step} after {[d[0] for d in done]}: {refusals}")
        transition = next(t for t in open_transitions(profile, view) if t.action == chosen)
        data = data_for(profile, transition, on, kind)
        if guards.missed(procedure.deadlines(case_id), chosen, on):  # a late step says why (guards.late_reason)
            data["delay_reason"] = DELAY_REASON
        procedure.perform(case_id, chosen, on=on, **data)
        done.append((chosen, on, data))
        if on_step:
            on_step(chosen, on, data)
        on += timedelta(days=1)
    raise RuntimeError(f"did not reach {until}")
