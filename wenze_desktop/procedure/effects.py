"""After-effects (影响期) as dated restrictions, and the repeat-accountability flag (从重)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from wenze_desktop.procedure.actions import RESTRICTIONS
from wenze_desktop.procedure.decisions import Held
from wenze_desktop.rules.calendar import months_later
from wenze_desktop.rules.profiles import Profile

REPEAT_MONTHS_DEFAULT = 12


@dataclass(frozen=True)
class RestrictionSpec:
    respondent_id: str
    person_key: str
    person_name: str
    form_id: str
    form_name: str
    kind: str
    text: str
    starts_on: date
    ends_on: date
    article: str

    @property
    def label(self) -> str:
        return RESTRICTIONS.get(self.kind, self.kind)


def restrictions(profile: Profile, held: Iterable[Held], decided_on: date) -> list[RestrictionSpec]:
    result: list[RestrictionSpec] = []
    for item in held:
        key = item.respondent.person_key
        if key is None:
            continue
        for effect in profile.after_effects:
            if not effect.covers(item.form):
                continue
            if effect.period == "decision_year":
                ends = date(decided_on.year, 12, 31)
            elif effect.months:
                ends = months_later(decided_on, effect.months)
            else:
                continue
            spec = RestrictionSpec(item.respondent.id, key, item.respondent.name, item.form.id, item.form.name,
                                   effect.restriction, effect.text, decided_on, ends, effect.article)
            # One row per respondent, kind and end date, even when several forms carry the same effect.
            if not any((r.respondent_id, r.kind, r.ends_on) == (spec.respondent_id, spec.kind, spec.ends_on)
                       for r in result):
                result.append(spec)
    return result


@dataclass(frozen=True)
class PriorAccountability:
    person_key: str
    case_id: str
    case_number: str
    decided_on: date
    forms: tuple[str, ...]


@dataclass(frozen=True)
class Aggravation:
    respondent_id: str
    name: str
    prior_case: str
    prior_on: date
    article: str      # the profile's own rule; "" when the profile does not list repetition as aggravating
    binding: bool

    @property
    def message(self) -> str:
        when = f"{self.prior_on.year}年{self.prior_on.month}月{self.prior_on.day}日"
        text = f"「{self.name}」曾于{when}在案件 {self.prior_case} 中被问责，一年内再次被问责"
        if self.binding:
            return text + f"，应当从重（{self.article}）。"
        return text + "；本规定未将其列为从重情节，供决定时参考。"


def aggravations(profile: Profile, case_id: str, respondents, on: date,
                 prior: Iterable[PriorAccountability]) -> list[Aggravation]:
    rule = profile.repeat_rule()
    months = rule.months if rule and rule.months else REPEAT_MONTHS_DEFAULT
    since = months_later(on, -months)
    by_key: dict[str, list[PriorAccountability]] = {}
    for record in prior:
        if record.case_id != case_id and since <= record.decided_on <= on:
            by_key.setdefault(record.person_key, []).append(record)
    found = []
    for respondent in respondents:
        key = respondent.person_key
        for record in sorted(by_key.get(key, []) if key else [], key=lambda r: r.decided_on, reverse=True)[:1]:
            found.append(Aggravation(respondent.id, respondent.name, record.case_number, record.decided_on,
                                     rule.article if rule else "", rule is not None))
    return found
