"""A read-only view of one case, as the guards, deadlines and after-effects see it (no database, no Qt)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class RespondentView:
    id: str
    kind: str
    name: str
    unit: str = ""
    post: str = ""
    id_number: str = ""
    birth_date: date | None = None

    @property
    def person_key(self) -> str | None:
        """Who this person is across cases: ID number, else name + birth date, else name + unit."""
        if self.kind != "person":
            return None
        if self.id_number.strip():
            return "id:" + self.id_number.strip().upper()
        if self.birth_date:
            return f"nb:{self.name.strip()}|{self.birth_date.isoformat()}"
        return f"nu:{self.name.strip()}|{self.unit.strip()}"


@dataclass(frozen=True)
class EventView:
    id: str
    seq: int
    action: str
    on: date
    path: str = "main"
    data: Mapping[str, Any] = field(default_factory=dict)
    step_after: str = ""  # the step the action led to, as recorded ("" where only deadlines are computed)
    recorded_by: str = ""  # the 录入人 (who typed it in), not who decided — that is in the data
    recorded_at: datetime | None = None
    revisions: tuple[Mapping[str, Any], ...] = ()  # earlier versions of a corrected record, oldest first
    step_before: str = ""

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)


@dataclass(frozen=True)
class CaseView:
    id: str
    number: str
    profile_id: str
    step: str
    facts: str = ""
    respondents: tuple[RespondentView, ...] = ()
    events: tuple[EventView, ...] = ()

    def all(self, action: str) -> list[EventView]:
        return [e for e in self.events if e.action == action]

    def last(self, action: str) -> EventView | None:
        found = self.all(action)
        return found[-1] if found else None

    def has(self, action: str) -> bool:
        return any(e.action == action for e in self.events)

    def after(self, event: EventView, action: str) -> list[EventView]:
        return [e for e in self.events if e.seq > event.seq and e.action == action]

    @property
    def path(self) -> str:
        """The route the case took: the last non-main, non-appeal path of its events, else ``main``."""
        taken = [e.path for e in self.events if e.path not in ("main", "appeal")]
        return taken[-1] if taken else "main"

    @property
    def last_date(self) -> date | None:
        return self.events[-1].on if self.events else None

    def respondent(self, key: str) -> RespondentView | None:
        for r in self.respondents:
            if key in (r.id, r.name):
                return r
        return None


def frozen_data(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(data))


class LazyJSON(Mapping):
    """Event data parsed from its stored JSON only when something reads it (bulk recomputation rarely does)."""

    __slots__ = ("_text", "_value")

    def __init__(self, text: str | None) -> None:
        self._text, self._value = text or "{}", None

    def _data(self) -> dict:
        if self._value is None:
            self._value = json.loads(self._text)
        return self._value

    def __getitem__(self, key: str) -> Any:
        return self._data()[key]

    def __iter__(self):
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())


# -- the investigation team, derived from events -------------------------------------------------------------------

def names(value: Any) -> list[str]:
    """A staff list given as "张三", ["张三", "李四"] or [{"name": "张三"}, …]."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    result = []
    for item in value:
        name = item.get("name", "") if isinstance(item, Mapping) else str(item)
        if name.strip():
            result.append(name.strip())
    return result


@dataclass
class Team:
    members: list[str]
    declared: dict[str, bool]            # name -> declared an interest?
    pending_recusals: list[str]          # names a respondent asked to recuse, not yet decided
    recused: list[str]

    def undeclared(self) -> list[str]:
        return [m for m in self.members if m not in self.declared]

    def interested(self) -> list[str]:
        return [m for m in self.members if self.declared.get(m)]


def team_of(case: CaseView) -> Team:
    members: list[str] = []
    declared: dict[str, bool] = {}
    pending: list[str] = []
    recused: list[str] = []
    for event in case.events:
        if event.action == "assign_investigators":
            members.extend(n for n in names(event.get("staff")) if n not in members)
        elif event.action == "declare_interest":
            for name in names(event.get("staff")):
                declared[name] = bool(event.get("interest", False))
        elif event.action == "apply_recusal":
            pending.extend(n for n in names(event.get("staff")) if n not in pending)
        elif event.action == "decide_recusal":
            for name in names(event.get("staff")):
                if name in pending:
                    pending.remove(name)
                if event.get("granted", True):
                    if name in members:
                        members.remove(name)
                    recused.append(name)
                    declared.pop(name, None)
                elif declared.get(name):
                    declared[name] = False  # the organ ruled the declared interest needs no recusal
            members.extend(n for n in names(event.get("replacement")) if n not in members)
    return Team(members, declared, pending, recused)
