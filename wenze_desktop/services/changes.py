"""What an operation changed, noted by the services and published by the GUI in one place (Anki's OpChanges).

A service that writes notes what it changed with ``ctx.changed(Changes…)``. ``collect()`` gathers the notes of
everything run inside it on this thread; the GUI's database worker (``gui/ops.run_op``) wraps each operation in it
and publishes the result to the change hub, so no call site publishes by hand.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Changes:
    case_ids: frozenset[str] = field(default_factory=frozenset)  # cases whose record, parts or events changed
    cases_added: bool = False  # the registry's row set may differ
    deadlines: bool = False  # stored deadlines were rewritten (events recorded, calendar year entered)
    calendar: bool = False

    @classmethod
    def case(cls, case_id: str, *, added: bool = False, deadlines: bool = True) -> Changes:
        return cls(case_ids=frozenset({case_id}), cases_added=added, deadlines=deadlines)

    @classmethod
    def cases(cls, case_ids: Iterable[str], *, added: bool = False, deadlines: bool = True) -> Changes:
        return cls(case_ids=frozenset(case_ids), cases_added=added, deadlines=deadlines)

    def __or__(self, other: Changes) -> Changes:
        return Changes(self.case_ids | other.case_ids, self.cases_added or other.cases_added,
                       self.deadlines or other.deadlines, self.calendar or other.calendar)

    def __bool__(self) -> bool:
        return bool(self.case_ids or self.cases_added or self.deadlines or self.calendar)


NOTHING = Changes()


class _Collector(threading.local):
    def __init__(self) -> None:
        self.stack: list[list[Changes]] = []


_collector = _Collector()


def note(changes: Changes) -> None:
    """Record ``changes`` for every ``collect()`` open on this thread (none open: nobody is listening)."""
    for bag in _collector.stack:
        bag.append(changes)


class Collected:
    def __init__(self, notes: list[Changes]) -> None:
        self._notes = notes

    @property
    def changes(self) -> Changes:
        result = NOTHING
        for item in self._notes:
            result = result | item
        return result


@contextmanager
def collect() -> Iterator[Collected]:
    """Gather what the services change inside the block (also when it fails part-way: what was committed)."""
    bag: list[Changes] = []
    _collector.stack.append(bag)
    try:
        yield Collected(bag)
    finally:
        _collector.stack.remove(bag)
