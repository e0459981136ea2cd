"""Regulation profiles: one TOML file per regulation (docs/profile-format.md), read into frozen dataclasses.

Parsing is strict about types and lenient about optional keys; whether a profile makes sense (steps reachable,
guards known, articles present) is checked by ``wenze_desktop.procedure.validate``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from wenze_desktop.errors import ValidationError
from wenze_desktop.paths import resources_dir

PERSON, UNIT = "person", "unit"


class ProfileError(ValidationError):
    """A profile file that cannot be read."""


@dataclass(frozen=True)
class Form:
    id: str
    name: str
    applies_to: tuple[str, ...]
    article: str
    severity: int  # position in the profile's list, lightest first
    tier: str = ""
    tier_article: str = ""
    applies_article: str = ""  # where the text ties the form to persons or to units ("" where it does not)


@dataclass(frozen=True)
class AfterEffect:
    forms: tuple[str, ...]
    restriction: str
    article: str
    text: str = ""
    months: int = 0
    period: str = ""

    def covers(self, form: Form) -> bool:
        return form.id in self.forms or ("*" in self.forms and PERSON in form.applies_to)


@dataclass(frozen=True)
class Circumstance:
    kind: str
    text: str
    article: str
    code: str = ""
    months: int = 0


@dataclass(frozen=True)
class Step:
    id: str
    label: str
    article: str = ""  # "" only with ``reading``: a step the text does not have (归档 where no article says so)
    terminal: bool = False
    reading: str = ""  # why the program has the step though the text is silent


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    to: str | None
    path: str
    guards: tuple[str, ...]
    article: str
    documents: tuple[str, ...] = ()
    label: str = ""
    continues: bool = False  # only for a case already on ``path`` (not a way into it)
    order_article: str = ""  # the article that puts this action after its ``from`` steps ("" where none does)
    reading: str = ""  # instead of ``article``: why the program offers it though the text is silent


@dataclass(frozen=True)
class DeadlineRule:
    id: str
    label: str
    trigger: str
    action: str
    article: str
    working_days: int = 0
    days: int = 0
    months: int = 0
    when: tuple[tuple[str, Any], ...] = ()
    when_forms: tuple[str, ...] = ()  # only when the triggering decision includes one of these form ids
    extendable: bool = False
    max_total_working_days: int = 0
    max_total_days: int = 0
    max_extension_days: int = 0
    max_extension_working_days: int = 0
    extension_article: str = ""

    @property
    def period(self) -> dict[str, int]:
        return {k: v for k, v in (("working_days", self.working_days), ("days", self.days),
                                  ("months", self.months)) if v}

    def describe_period(self) -> str:
        if self.working_days:
            return f"{self.working_days}个工作日"
        if self.days:
            return f"{self.days}日"
        return f"{self.months}个月"

    def applies_to(self, trigger_data) -> bool:
        if self.when_forms and not any(h.get("form_id") in self.when_forms for h in trigger_data.get("held", ())):
            return False
        return all(trigger_data.get(key) == value for key, value in self.when)


@dataclass(frozen=True)
class AppealRules:
    allowed: bool = False
    article: str = ""
    window_working_days: int = 0
    window_days: int = 0
    window_trigger: str = "serve_decision"
    window_article: str = ""
    window_note: str = ""
    review_kinds: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    outcomes_article: str = ""
    execution_pauses: str = "silent"
    execution_article: str = ""


@dataclass(frozen=True)
class DocumentElement:
    id: str
    label: str
    article: str


@dataclass(frozen=True)
class DecisionDocument:
    article: str = ""
    reading: str = ""  # instead of ``article`` where the text says nothing of the decision's form
    effective: str = ""
    elements: tuple[DocumentElement, ...] = ()
    # The text's own pattern for the decision's number, e.g. wf2011 "{organ}〔{year}〕决字第{seq}号"; "" = the usual
    # 机关代字〔年份〕序号号 (GB/T 9704 7.2.3).
    number_format: str = ""


@dataclass(frozen=True)
class ProcedureRules:
    initial: str = "clue"
    min_investigators: int = 1
    investigators_article: str = ""
    recusal_article: str = ""
    defence_article: str = ""
    no_harsher_article: str = ""
    collective_body: str = ""
    collective_article: str = ""
    dissent_article: str = ""
    suspension_article: str = ""
    filing_approval: str = ""
    filing_article: str = ""
    report_article: str = ""  # where the text says what an investigation report contains
    waiver_article: str = ""  # where the text lets the respondent give up the statement and defence


@dataclass(frozen=True)
class Profile:
    id: str
    title: str
    short_title: str
    document_number: str
    issuer: str
    status: str
    source: str
    applies_to: tuple[str, ...]
    applies_text: str
    applies_article: str
    handling_organ: str
    deciding_organ: str
    organs_article: str
    situations: tuple[dict, ...]
    forms: tuple[Form, ...]
    after_effects: tuple[AfterEffect, ...]
    circumstances: tuple[Circumstance, ...]
    procedure: ProcedureRules
    steps: tuple[Step, ...]
    transitions: tuple[Transition, ...]
    deadlines: tuple[DeadlineRule, ...]
    silent_actions: tuple[str, ...]
    silence_note: str
    appeal: AppealRules
    decision_document: DecisionDocument
    archive_article: str
    archive_note: str
    archive_requires: tuple[tuple[str, tuple[str, ...]], ...]
    issued: date | None = None
    effective: date | None = None
    notes: str = ""
    # [respondents]: the text's own words for a respondent's role and level of responsibility (empty where silent).
    respondent_roles: tuple[str, ...] = ()
    respondent_roles_article: str = ""
    responsibilities: tuple[str, ...] = ()
    responsibilities_article: str = ""
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    # -- lookups -------------------------------------------------------------------------------------------------

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def step_label(self, step_id: str) -> str:
        try:
            return self.step(step_id).label
        except KeyError:
            return step_id

    def form(self, key: str, kind: str | None = None) -> Form | None:
        """A form by its id, or by its Chinese name (a name can serve persons and units as two forms)."""
        by_name = [f for f in self.forms if key == f.id] or [f for f in self.forms if key == f.name]
        for form in by_name:
            if kind is None or kind in form.applies_to:
                return form
        return by_name[0] if by_name else None

    def transitions_from(self, step_id: str) -> list[Transition]:
        return [t for t in self.transitions if step_id in t.sources]

    def actions(self) -> list[str]:
        """The canonical actions this profile uses, in the order they first appear."""
        return list(dict.fromkeys(t.action for t in self.transitions))

    def is_terminal(self, step_id: str) -> bool:
        try:
            return self.step(step_id).terminal
        except KeyError:
            return False

    def repeat_rule(self) -> Circumstance | None:
        for item in self.circumstances:
            if item.code == "repeat_within_months":
                return item
        return None

    def archive_requirements(self, path: str) -> tuple[str, ...]:
        return dict(self.archive_requires).get(path, ())

    def describe(self) -> dict:
        """A JSON-ready summary (``wenze profile show --json``)."""
        return _plain(self.raw)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


# -- reading -----------------------------------------------------------------------------------------------------

def profiles_dir() -> Path:
    return resources_dir() / "regulations"


def profile_ids() -> list[str]:
    return sorted(p.stem for p in profiles_dir().glob("*.toml"))


@cache
def load_profile(profile_id: str) -> Profile:
    path = profiles_dir() / f"{profile_id}.toml"
    if not path.is_file():
        known = "、".join(profile_ids())
        raise ProfileError(f"没有名为「{profile_id}」的问责规定。可用的有：{known}。")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(f"问责规定文件 {path.name} 格式错误：{error}") from error
    try:
        return parse_profile(data)
    except (KeyError, TypeError, ValueError) as error:
        raise ProfileError(f"问责规定文件 {path.name} 缺少或写错了字段：{error!r}") from error


def all_profiles() -> list[Profile]:
    return [load_profile(pid) for pid in profile_ids()]


def _tuple(value: Any) -> tuple:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _pick(cls, data: dict, **renamed) -> Any:
    names = set(cls.__dataclass_fields__)
    values = {k: v for k, v in data.items() if k in names}
    values.update(renamed)
    for key, value in values.items():
        if isinstance(value, list):
            values[key] = tuple(value)
    return cls(**values)


def _terms(table: dict, key: str) -> tuple[tuple[str, ...], str]:
    """A list of the text's terms and the article naming them; a list without its article is an error."""
    values = _tuple(table.get(key))
    article = table.get(f"{key}_article", "")
    if any(not isinstance(v, str) or not v.strip() for v in values) or len(set(values)) != len(values):
        raise ValueError(f"respondents.{key} must be distinct non-empty strings")
    if values and not article:
        raise ValueError(f"respondents.{key}_article is missing")
    return values, article


def parse_profile(data: dict) -> Profile:
    forms = tuple(
        Form(id=f["id"], name=f["name"], applies_to=_tuple(f["applies_to"]), article=f["article"], severity=i,
             tier=f.get("tier", ""), tier_article=f.get("tier_article", ""),
             applies_article=f.get("applies_article", ""))
        for i, f in enumerate(data.get("forms", [])))
    transitions = tuple(
        Transition(action=t["action"], sources=_tuple(t["from"]), to=t.get("to"), path=t.get("path", "main"),
                   guards=_tuple(t.get("guards")), article=t.get("article", ""), documents=_tuple(t.get("documents")),
                   label=t.get("label", ""), continues=bool(t.get("continues", False)),
                   order_article=t.get("order_article", ""), reading=t.get("reading", ""))
        for t in data.get("transitions", []))
    deadlines = tuple(
        _pick(DeadlineRule, d, when=tuple(sorted(d.get("when", {}).items())))
        for d in data.get("deadlines", []))
    applies, organs = data.get("applies_to", {}), data.get("organs", {})
    silence, archive = data.get("deadline_silence", {}), data.get("archive", {})
    document = data.get("decision_document", {})
    roles, roles_article = _terms(data.get("respondents", {}), "roles")
    responsibilities, responsibilities_article = _terms(data.get("respondents", {}), "responsibilities")
    return Profile(
        id=data["id"], title=data["title"], short_title=data.get("short_title", data["title"]),
        document_number=data.get("document_number", ""), issuer=data.get("issuer", ""),
        status=data.get("status", ""), source=data.get("source", ""), notes=data.get("notes", ""),
        issued=data.get("issued"), effective=data.get("effective"),
        applies_to=_tuple(applies.get("kinds", [PERSON])), applies_text=applies.get("text", ""),
        applies_article=applies.get("article", ""),
        handling_organ=organs.get("handling", ""), deciding_organ=organs.get("deciding", ""),
        organs_article=organs.get("article", ""),
        situations=tuple(data.get("situations", [])),
        forms=forms,
        after_effects=tuple(_pick(AfterEffect, a) for a in data.get("after_effects", [])),
        circumstances=tuple(_pick(Circumstance, c) for c in data.get("circumstances", [])),
        procedure=_pick(ProcedureRules, data.get("procedure", {})),
        steps=tuple(_pick(Step, s) for s in data.get("steps", [])),
        transitions=transitions,
        deadlines=deadlines,
        silent_actions=_tuple(silence.get("actions")), silence_note=silence.get("note", ""),
        appeal=_pick(AppealRules, data.get("appeal", {})),
        decision_document=DecisionDocument(
            article=document.get("article", ""), effective=document.get("effective", ""),
            reading=document.get("reading", ""),
            number_format=document.get("number_format", ""),
            elements=tuple(_pick(DocumentElement, e) for e in document.get("elements", []))),
        archive_article=archive.get("article", ""), archive_note=archive.get("note", ""),
        archive_requires=tuple((r["path"], _tuple(r["actions"])) for r in archive.get("requires", [])),
        respondent_roles=roles, respondent_roles_article=roles_article,
        responsibilities=responsibilities, responsibilities_article=responsibilities_article,
        raw=data,
    )
