"""The engine: which actions a case's profile allows now, and whether one may be recorded (pure, no database)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from wenze_desktop.errors import ValidationError
from wenze_desktop.procedure import citations as c
from wenze_desktop.procedure import guards
from wenze_desktop.procedure.actions import ACTION_LABELS, ACTION_WORDS, label_of
from wenze_desktop.procedure.view import CaseView
from wenze_desktop.rules.calendar import WorkCalendar
from wenze_desktop.rules.profiles import Profile, Transition


@dataclass(frozen=True)
class ActionOption:
    id: str
    label: str
    enabled: bool
    refusal: guards.Refusal | None
    article: str
    path: str
    to: str | None
    reading: str = ""  # where the text is silent on this action: why the program offers it


def open_transitions(profile: Profile, case: CaseView) -> list[Transition]:
    """The transitions leaving the current step that apply to this case's path (main-path cases first)."""
    here = [t for t in profile.transitions_from(case.step) if not t.continues or t.path == case.path]
    return sorted(here, key=lambda t: t.path != case.path)


def _transition(profile: Profile, case: CaseView, action: str) -> Transition:
    if action not in ACTION_LABELS:
        raise ValidationError(f"未知的办理事项「{action}」。")
    terminal = profile.is_terminal(case.step)
    here = [t for t in open_transitions(profile, case) if t.action == action]
    if here and not terminal:
        return here[0]
    anywhere = [t for t in profile.transitions if t.action == action]
    if terminal:
        raise guards.ended(profile, case).error()
    if not anywhere:
        raise c.Refusal(f"《{profile.short_title}》没有规定「{label_of(action)}」这一程序。", "",
                        c.NO_SUCH_PROCEDURE).error()
    raise order_refusal(profile, case, action, anywhere).error()


def order_refusal(profile: Profile, case: CaseView, action: str, anywhere: list[Transition]) -> c.Refusal:
    """An action asked for at a step it cannot be taken from. It cites the article that orders the two (the
    transition's ``order_article``), which must name both the action and what comes before it; where the text
    orders nothing, the order is the profile's reading."""
    where = "、".join(dict.fromkeys(profile.step_label(s) for t in anywhere for s in t.sources))
    first = next((t for t in anywhere if t.path == case.path), anywhere[0])
    before = {t.action for t in profile.transitions if t.to in first.sources}
    words = (ACTION_WORDS.get(action, ()), tuple(dict.fromkeys(w for a in sorted(before)
                                                                for w in ACTION_WORDS.get(a, ()))))
    named = first.label or label_of(action)
    return c.Refusal(
        f"案件当前处于「{profile.step_label(case.step)}」环节，「{named}」只能在「{where}」环节办理。",
        first.order_article, c.STEP_ORDER, words)


def available(profile: Profile, case: CaseView, calendar: WorkCalendar, today: date) -> list[ActionOption]:
    """The actions of the current step, each enabled or with the refusal that blocks it."""
    if profile.is_terminal(case.step):
        return []
    options: dict[str, ActionOption] = {}
    for transition in open_transitions(profile, case):
        if transition.action in options:
            continue
        refusal = guards.check(case, guards.Proposal(profile, transition, today, None, calendar))
        options[transition.action] = ActionOption(
            transition.action, transition.label or label_of(transition.action), refusal is None, refusal,
            transition.article, transition.path, transition.to, transition.reading)
    return list(options.values())


def evaluate(profile: Profile, case: CaseView, action: str, on: date, data: Mapping[str, Any],
             calendar: WorkCalendar) -> Transition:
    """The transition to record, or ProcedureRefused with the first rule that forbids it."""
    transition = _transition(profile, case, action)
    if case.last_date is not None and on < case.last_date:
        raise ValidationError(
            f"办理日期 {on.isoformat()} 早于本案上一项记录的日期 {case.last_date.isoformat()}；请核对日期。")
    refusal = guards.check(case, guards.Proposal(profile, transition, on, data, calendar))
    if refusal:
        raise refusal.error()
    return transition


def reached_steps(profile: Profile, case: CaseView) -> dict[str, date | None]:
    """Each step the case has been in, with the date of the event that brought it there (the initial step: None)."""
    reached: dict[str, date | None] = {profile.procedure.initial: None}
    for event in case.events:
        if event.step_after:
            reached[event.step_after] = event.on
    return reached


def reachable_steps(profile: Profile, step: str) -> set[str]:
    """The steps some sequence of transitions can still lead to from ``step`` (ends stop the walk)."""
    seen, todo = set(), [step]
    while todo:
        for transition in profile.transitions_from(todo.pop()):
            if transition.to and transition.to not in seen:
                seen.add(transition.to)
                if not profile.is_terminal(transition.to):
                    todo.append(transition.to)
    return seen
