"""Every refusal a profile can give: each guard driven into each of its refusals, each action asked for at each
step it cannot be taken from, each document before it can be made. Pure: made-up CaseViews, no database.

``walk(profile)`` yields (where, Refusal). tests/unit/test_citations.py checks every citation it yields against the
shipped text; the compliance matrix lists the readings (refusals the text gives no article for). ``SCENARIOS`` has
one entry per guard (a test checks none is missing); ``late_reason``, which every action gets, is walked per
deadline rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta

from wenze_desktop.domain.glossary import ReviewOutcome
from wenze_desktop.errors import ProcedureRefused
from wenze_desktop.procedure import documents, engine, guards
from wenze_desktop.procedure.actions import ACTIONS, DOCUMENT_KINDS
from wenze_desktop.procedure.citations import NO_SUCH_PROCEDURE, Refusal
from wenze_desktop.procedure.view import CaseView, EventView, RespondentView
from wenze_desktop.rules.calendar import WorkCalendar
from wenze_desktop.rules.profiles import PERSON, UNIT, Profile, Transition

DAY = date(2026, 6, 1)
CALENDAR = WorkCalendar()
PERSON_R = RespondentView("r1", PERSON, "张三", unit="某局", post="科长")
UNIT_R = RespondentView("r2", UNIT, "某局")

Scenario = tuple[tuple[EventView, ...], dict | None, date]


def ev(seq: int, action: str, on: date = DAY, **data) -> EventView:
    return EventView(f"e{seq}", seq, action, on, data=data)


def heaviest_person_form(profile: Profile):
    return next((f for f in reversed(profile.forms) if PERSON in f.applies_to), None)


def lightest_person_form(profile: Profile):
    return next((f for f in profile.forms if PERSON in f.applies_to), None)


def _meeting(**extra) -> dict:
    return {"date": DAY.isoformat(), "attendees": ["李四", "张三"], "dissenting": [], **extra}


def _forms(profile: Profile, t: Transition) -> list[Scenario]:
    found: list[Scenario] = [((), {}, DAY), ((), {"forms": ["不存在的方式"]}, DAY)]
    one_kind = next((f for f in profile.forms if len(f.applies_to) == 1), None)
    if one_kind is not None:
        other = "张三" if one_kind.applies_to == (UNIT,) else "某局"
        found.append(((), {"forms": [{"respondent": other, "form": one_kind.name}]}, DAY))
    return found


def _extension(profile: Profile, t: Transition) -> list[Scenario]:
    found: list[Scenario] = [((), {}, DAY), ((), {"deadline": "不存在"}, DAY)]
    for rule in profile.deadlines:
        trigger = (ev(1, rule.trigger, **({k: v for k, v in rule.when})),)
        if not rule.extendable:
            found.append((trigger, {"deadline": rule.id}, DAY))
            continue
        found += [(trigger, {"deadline": rule.id}, DAY),
                  (trigger, {"deadline": rule.id, "approver": "王五"}, DAY),
                  (trigger, {"deadline": rule.id, "approver": "王五", "reason": "理由"}, DAY),
                  (trigger, {"deadline": rule.id, "approver": "王五", "reason": "理由", "working_days": 400}, DAY),
                  (trigger, {"deadline": rule.id, "approver": "王五", "reason": "理由", "days": 400}, DAY),
                  ((*trigger, ev(2, rule.action)), {"deadline": rule.id}, DAY)]
    return found


def _harsher(profile: Profile, t: Transition) -> list[Scenario]:
    light, heavy = lightest_person_form(profile), heaviest_person_form(profile)
    if light is None or heavy is None or light == heavy:
        return []
    events = (ev(1, "submit_report", accountable=True, recommended_forms=[light.name]), ev(2, "record_defence"))
    return [(events, {"forms": [{"respondent": PERSON_R.name, "form": heavy.name}]}, DAY)]


def _simplified(profile: Profile, t: Transition) -> list[Scenario]:
    heavy = [f for f in profile.forms if f.tier != "light" and PERSON in f.applies_to]
    return [((), {"forms": [{"respondent": PERSON_R.name, "form": heavy[-1].name}]}, DAY)] if heavy else []


def _appeal_window(profile: Profile, t: Transition) -> list[Scenario]:
    trigger = ev(1, profile.appeal.window_trigger or "serve_decision")
    late = DAY + timedelta(days=400)
    return [((trigger,), None, late), ((), {"review_kind": "不存在的方式"}, DAY)]


SCENARIOS: dict[str, Callable[[Profile, Transition], list[Scenario]]] = {
    "investigators_minimum": lambda p, t: [((), {"staff": []}, DAY)],
    "investigators_cleared": lambda p, t: [
        ((ev(1, "assign_investigators", staff=["甲", "乙"]), ev(2, "apply_recusal", staff=["甲"])), None, DAY),
        ((ev(1, "assign_investigators", staff=["甲", "乙"]), ev(2, "declare_interest", staff=["甲"], interest=True)),
         None, DAY),
        ((ev(1, "assign_investigators", staff=["甲", "乙"]),), None, DAY),
        ((ev(1, "assign_investigators", staff=["甲"]), ev(2, "declare_interest", staff=["甲"], interest=False)),
         None, DAY)],
    "staff_assigned": lambda p, t: [
        ((), None, DAY), ((ev(1, "assign_investigators", staff=["甲"]),), {}, DAY),
        ((ev(1, "assign_investigators", staff=["甲"]),), {"staff": ["丙"]}, DAY)],
    "recusal_pending": lambda p, t: [
        ((), None, DAY),
        ((ev(1, "assign_investigators", staff=["甲"]), ev(2, "apply_recusal", staff=["甲"])), {"staff": ["丙"]}, DAY)],
    "filing_approved": lambda p, t: [((), {}, DAY)],
    "report_complete": lambda p, t: [
        ((), {}, DAY), ((), {"facts": "事实"}, DAY), ((), {"facts": "事实", "conclusion": "结论"}, DAY),
        ((), {"facts": "事实", "conclusion": "结论", "accountable": True}, DAY),
        ((), {"facts": "事实", "conclusion": "结论", "accountable": True, "recommended_forms": ["不存在"]}, DAY)],
    "defence_heard_or_waived": lambda p, t: [((), None, DAY)],
    "reason_given": lambda p, t: [((), {}, DAY)],
    "direct_decision_reason": lambda p, t: [((), {}, DAY)],
    "collective_meeting": lambda p, t: [
        ((), {}, DAY), ((), {"meeting": {"date": DAY.isoformat()}}, DAY),
        ((), {"meeting": {"date": DAY.isoformat(), "attendees": ["李四"]}}, DAY),
        ((), {"meeting": _meeting(dissenting=["外人"])}, DAY),
        ((), {"meeting": _meeting(date=(DAY + timedelta(days=1)).isoformat())}, DAY)],
    "forms_of_profile": _forms,
    "dissenters_not_held": lambda p, t: [
        ((), {"meeting": _meeting(dissenting=["张三"]),
              "forms": [{"respondent": PERSON_R.name, "form": lightest_person_form(p).name}]}, DAY)]
    if lightest_person_form(p) else [],
    "harsher_needs_reason": _harsher,
    "simplified_forms_only": _simplified,
    "decision_document_complete": lambda p, t: [((ev(1, "decide"),), None, DAY)],
    "appeal_window": _appeal_window,
    "review_outcome": lambda p, t: [
        ((), {"outcome": "不存在"}, DAY), ((), {"outcome": ReviewOutcome.MODIFY.value}, DAY)],
    "execution_not_paused": lambda p, t: [((ev(1, "lodge_appeal", pause_execution=True),), None, DAY)],
    "extension_allowed": _extension,
    "archive_complete": lambda p, t: [((), None, DAY), ((ev(1, "decide", held=[{"form_id": "x"}]),), None, DAY)],
}


def case_at(profile: Profile, step: str, events: tuple[EventView, ...] = ()) -> CaseView:
    respondents = tuple(r for r in (PERSON_R, UNIT_R) if r.kind in profile.applies_to)
    return CaseView("c1", "测试〔2026〕1号", profile.id, step, facts="", respondents=respondents, events=events)


def _late(profile: Profile) -> Iterator[tuple[str, Refusal]]:
    """``late_reason``, which every action gets: each deadline's action recorded long after its trigger, no reason."""
    for rule in profile.deadlines:
        held = {"held": [{"form_id": f} for f in rule.when_forms]} if rule.when_forms else {}
        trigger = ev(1, rule.trigger, **dict(rule.when), **held)
        for t in (t for t in profile.transitions if t.action == rule.action):
            case = case_at(profile, t.sources[0], (trigger,))
            refusal = guards.late_reason(case, guards.Proposal(profile, t, DAY + timedelta(days=200), {}, CALENDAR))
            if refusal is not None:
                yield f"{t.action}（late_reason）", refusal
                break


def walk(profile: Profile) -> Iterator[tuple[str, Refusal]]:
    """Every refusal the engine gives for this profile in the scenarios above, with where it came from."""
    for t in profile.transitions:
        for name in t.guards:
            for events, data, on in SCENARIOS[name](profile, t):
                case = case_at(profile, t.sources[0], events)
                proposal = guards.Proposal(profile, t, on, data, CALENDAR)
                refusal = guards.GUARDS[name].check(case, proposal)
                if refusal is not None:
                    yield f"{t.action}（{name}）", refusal
    yield from _late(profile)
    steps = [s.id for s in profile.steps]
    actions = set(profile.actions())
    for step in steps:
        case = case_at(profile, step)
        if profile.is_terminal(step):
            yield f"{step}", guards.ended(profile, case)
            continue
        here = {t.action for t in engine.open_transitions(profile, case)}
        for action in ACTIONS:
            if action in here:
                continue
            if action not in actions:
                try:
                    engine.evaluate(profile, case, action, DAY, {}, CALENDAR)
                except ProcedureRefused as error:  # the no-such-procedure refusal, as the user gets it
                    yield f"{action}@{step}", Refusal(error.message, error.article, NO_SUCH_PROCEDURE)
                continue
            anywhere = [t for t in profile.transitions if t.action == action]
            yield f"{action}@{step}", engine.order_refusal(profile, case, action, anywhere)
    for kind in DOCUMENT_KINDS:
        refusal = documents.refusal(profile, case_at(profile, steps[0]), kind)
        if refusal is not None:
            yield f"文书 {kind}", refusal
        source = documents.source_of(profile, kind)
        if source is not None:
            bare = case_at(profile, steps[0], (ev(1, source.actions[0]),))
            refusal = documents.refusal(profile, bare, kind)
            if refusal is not None:
                yield f"文书 {kind}（内容）", refusal

