"""One broadcast of what an operation changed, so each view decides for itself whether to refresh (Anki's OpChanges)."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal


@dataclass(frozen=True)
class Changes:
    case_ids: frozenset[str] = field(default_factory=frozenset)  # cases whose record, parts or events changed
    cases_added: bool = False  # the registry's row set may differ
    deadlines: bool = False  # stored deadlines were rewritten (events recorded, calendar year entered)
    calendar: bool = False

    @classmethod
    def case(cls, case_id: str, *, added: bool = False, deadlines: bool = True) -> Changes:
        return cls(case_ids=frozenset({case_id}), cases_added=added, deadlines=deadlines)


class ChangeHub(QObject):
    """The single place operations report to; the registry, the wizard and the deadline board listen."""

    changed = Signal(object)  # Changes

    def publish(self, changes: Changes) -> None:
        self.changed.emit(changes)
