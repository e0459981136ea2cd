"""Deadlines derived from a case's recorded events and its profile's rules — never typed in.

Each rule starts counting at its trigger event and is met by the first later event of its action. Extensions are
recorded events (``extend_deadline``) with an approver and a reason; caps come from the profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from wenze_desktop.procedure import citations as c
from wenze_desktop.procedure.citations import Refusal
from wenze_desktop.procedure.view import CaseView, EventView
from wenze_desktop.rules.calendar import Due, WorkCalendar
from wenze_desktop.rules.profiles import DeadlineRule, Profile


@dataclass(frozen=True)
class Deadline:
    rule_id: str
    label: str
    step: str           # the step the meeting action leads to
    action: str         # the action that meets it
    trigger_on: date
    due: date
    provisional: bool
    unknown_years: tuple[int, ...]
    met_on: date | None
    article: str
    extended: int = 0   # how many extensions were granted
    moot: bool = False  # the case ended or took a path where this action no longer comes

    @property
    def open(self) -> bool:
        return self.met_on is None and not self.moot

    @property
    def late(self) -> bool:
        return self.met_on is not None and self.met_on > self.due

    def days_left(self, today: date) -> int:
        return (self.due - today).days

    def overdue(self, today: date) -> bool:
        return self.open and today > self.due


def step_of(profile: Profile, action: str) -> str:
    for transition in profile.transitions:
        if transition.action == action and transition.to:
            return transition.to
    return action


_REACHABLE: dict[tuple[str, str], frozenset[str]] = {}


def reachable_actions(profile: Profile, step: str) -> frozenset[str]:
    """Every action that can still happen from ``step`` (profiles are immutable: cached per profile and step)."""
    key = (profile.id, step)
    if key not in _REACHABLE:
        _REACHABLE[key] = frozenset(_reachable(profile, step))
    return _REACHABLE[key]


def _reachable(profile: Profile, step: str) -> set[str]:
    if profile.is_terminal(step):
        return set()
    seen, todo, actions = {step}, [step], set()
    while todo:
        current = todo.pop()
        for transition in profile.transitions_from(current):
            actions.add(transition.action)
            if transition.to and transition.to not in seen and not profile.is_terminal(transition.to):
                seen.add(transition.to)
                todo.append(transition.to)
    return actions


def _extensions(case: CaseView, rule: DeadlineRule, trigger: EventView) -> list[EventView]:
    return [e for e in case.after(trigger, "extend_deadline") if e.get("deadline") == rule.id]


def _extended_due(calendar: WorkCalendar, rule: DeadlineRule, trigger: EventView,
                  extensions: list[EventView]) -> Due:
    due = calendar.add(trigger.on, **rule.period)
    years = set(due.unknown_years)
    for extension in extensions:
        due = calendar.add(due.due, working_days=int(extension.get("working_days", 0) or 0),
                           days=int(extension.get("days", 0) or 0))
        years |= set(due.unknown_years)
    return Due(due.due, bool(years), tuple(sorted(years)))


def compute(profile: Profile, case: CaseView, calendar: WorkCalendar) -> list[Deadline]:
    still_possible = reachable_actions(profile, case.step)
    result = []
    for rule in profile.deadlines:
        trigger = case.last(rule.trigger)
        if trigger is None or not rule.applies_to(trigger.data):
            continue
        extensions = _extensions(case, rule, trigger)
        due = _extended_due(calendar, rule, trigger, extensions)
        meeting = case.after(trigger, rule.action)
        met_on = meeting[0].on if meeting else None
        result.append(Deadline(
            rule_id=rule.id, label=rule.label, step=step_of(profile, rule.action), action=rule.action,
            trigger_on=trigger.on, due=due.due, provisional=due.provisional, unknown_years=due.unknown_years,
            met_on=met_on, article=rule.article, extended=len(extensions),
            moot=met_on is None and rule.action not in still_possible))
    return result


def extension_problem(case: CaseView, proposal) -> Refusal | None:
    """Why an ``extend_deadline`` may not be recorded, or None. Data: deadline, working_days|days, approver, reason."""
    profile, calendar, data = proposal.profile, proposal.calendar, proposal.data or {}
    open_extendable = [d for d in compute(profile, case, calendar) if d.open and
                       next(r for r in profile.deadlines if r.id == d.rule_id).extendable]
    wanted = str(data.get("deadline", "")).strip()
    if not wanted:
        if len(open_extendable) != 1:
            choices = "、".join(f"{d.rule_id}（{d.label}）" for d in open_extendable) or "无"
            return Refusal(f"请指明要延长的期限（deadline）；可延长的有：{choices}。", "", c.FACT)
        wanted = open_extendable[0].rule_id
    rule = next((r for r in profile.deadlines if r.id == wanted), None)
    if rule is None or not rule.extendable:
        name = rule.label if rule else wanted
        if rule is None:
            return Refusal(f"本规定没有「{wanted}」这一期限。", "", c.FACT)
        return Refusal(f"规定了「{name}」的期限，没有规定可以延长，不能延长。", rule.article, c.DEADLINE_LIMIT)
    current = next((d for d in open_extendable if d.rule_id == wanted), None)
    if current is None:
        return Refusal(f"「{rule.label}」的期限尚未开始或已经满足，无需延长。", "", c.FACT)
    if not str(data.get("approver", "")).strip():
        return Refusal("延长期限须经批准，请填写批准人。", rule.extension_article, c.EXTENSION_APPROVAL)
    if not str(data.get("reason", "")).strip():
        return Refusal("请写明延长的理由。", "", c.FACT)
    working_days, days = int(data.get("working_days", 0) or 0), int(data.get("days", 0) or 0)
    if (working_days > 0) == (days > 0) or working_days < 0 or days < 0:
        return Refusal("请写明延长多少个工作日或多少日，二者取一。", "", c.FACT)
    trigger = case.last(rule.trigger)
    earlier = _extensions(case, rule, trigger)
    new_due = calendar.add(current.due, working_days=working_days, days=days).due
    cap_article = rule.extension_article
    if rule.max_total_working_days and new_due > calendar.add_working_days(trigger.on,
                                                                           rule.max_total_working_days).due:
        return Refusal(f"延长后「{rule.label}」的总期限将超过{rule.max_total_working_days}个工作日的上限。",
                       cap_article, c.EXTENSION_CAP)
    if rule.max_total_days and new_due > calendar.add_days(trigger.on, rule.max_total_days).due:
        return Refusal(f"延长后「{rule.label}」的总期限将超过{rule.max_total_days}日的上限。", cap_article,
                       c.EXTENSION_CAP)
    used_days = sum(int(e.get("days", 0) or 0) for e in earlier) + days
    used_working = sum(int(e.get("working_days", 0) or 0) for e in earlier) + working_days
    if rule.max_extension_days and used_days > rule.max_extension_days:
        return Refusal(f"「{rule.label}」累计延长不得超过{rule.max_extension_days}日。", cap_article, c.EXTENSION_CAP)
    if rule.max_extension_working_days and used_working > rule.max_extension_working_days:
        return Refusal(f"「{rule.label}」累计延长不得超过{rule.max_extension_working_days}个工作日。", cap_article,
                       c.EXTENSION_CAP)
    return None
