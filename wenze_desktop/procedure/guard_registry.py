"""The guard registry: what a guard sees (``Proposal``), how it is registered, and where its article comes from.

A guard is a small pure function over a read-only case view that returns nothing or a refusal citing its article.
A guard that needs the data of the action being recorded (``needs_data``) is skipped when the engine only asks
whether an action is available; it runs when the action is performed. Permissions are checked elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from wenze_desktop.procedure import citations as c
from wenze_desktop.procedure.citations import Refusal
from wenze_desktop.procedure.view import CaseView
from wenze_desktop.rules.calendar import WorkCalendar
from wenze_desktop.rules.profiles import Profile, Transition


@dataclass(frozen=True)
class Proposal:
    """The action being checked: which transition, on which date, with which data (None: availability only)."""

    profile: Profile
    transition: Transition
    on: date
    data: Mapping[str, Any] | None
    calendar: WorkCalendar

    def text(self, *keys: str) -> str:
        for key in keys:
            value = (self.data or {}).get(key)
            if value is not None and str(value).strip():
                return str(value).strip()
        return ""


Guard = Callable[[CaseView, Proposal], Refusal | None]


@dataclass(frozen=True)
class GuardSpec:
    check: Guard
    needs_data: bool
    article_key: str = ""  # the [procedure] key whose article the guard cites, if not the transition's
    reads: tuple[str, ...] = ()  # the action fields (procedure/fields.py) the guard reads
    what: str = ""  # what it checks, in Chinese (the compliance matrix)


GUARDS: dict[str, GuardSpec] = {}


def guard(name: str, *, what: str, needs_data: bool = False, article_key: str = "", reads: tuple[str, ...] = ()):
    def register(check: Guard) -> Guard:
        GUARDS[name] = GuardSpec(check, needs_data, article_key, reads, what)
        return check
    return register


def reads_of(guard_names) -> set[str]:
    """The action fields the named guards read (what a form must ask for before the action can pass)."""
    return {key for name in guard_names for key in GUARDS[name].reads}


def cite(p: Proposal, key: str) -> str:
    """The profile's article for ``key`` ([procedure]); "" where the text is silent (the refusal is then a reading)."""
    return getattr(p.profile.procedure, key, "")


def fact(message: str) -> Refusal:
    """A refusal about the case's state or an empty field: it claims no article."""
    return Refusal(message, "", c.FACT)
