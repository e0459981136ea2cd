"""Recomputing every case's deadlines after the holiday calendar changed (mixed into ProcedureService).

``recompute`` rewrites the deadlines of every case inside the caller's transaction (the calendar service enters a
year and its recomputation as one unit); ``recompute_all`` does it in a transaction of its own, audited, and
``deadlines_behind`` says what it would change, writing nothing. They answer counts only, so a system
administrator who may not read cases can run them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from wenze_desktop.domain.models import Case, CaseDeadline
from wenze_desktop.errors import Cancelled
from wenze_desktop.procedure import deadlines as deadline_rules
from wenze_desktop.procedure.view import CaseView, EventView, LazyJSON
from wenze_desktop.rules.calendar import WorkCalendar
from wenze_desktop.rules.profiles import load_profile
from wenze_desktop.security.permissions import Permission
from wenze_desktop.services.calendar import load_calendar
from wenze_desktop.services.case_state import (
    SIGNATURE,
    _new_signature,
    _stored_signature,
    bump_versions,
    deadline_rows,
    next_due,
)
from wenze_desktop.services.changes import Changes

if TYPE_CHECKING:
    from wenze_desktop.services.context import ServiceContext

Progress = Callable[[int, int, str], bool | None]  # return False to cancel


@dataclass(frozen=True)
class Recomputed:
    """What a recomputation of every case's deadlines did, in counts only (no case data)."""

    cases: int = 0  # cases whose deadlines were computed again
    changed_cases: int = 0  # … of which the stored deadlines differed
    deadlines_changed: int = 0  # deadlines now different (a new due date, 暂定 → 确定, a new or a dropped one)
    provisional: int = 0  # open deadlines still 暂定 afterwards (a year still missing from the calendar)

    def counts(self) -> dict[str, int]:
        return {"cases": self.cases, "changed_cases": self.changed_cases,
                "deadlines_changed": self.deadlines_changed, "provisional": self.provisional}

    def describe(self) -> str:
        text = f"已重新计算 {self.cases} 件案件的期限"
        text += (f"，其中 {self.changed_cases} 件案件的 {self.deadlines_changed} 个期限有变化"
                 if self.changed_cases else "，没有期限发生变化")
        return text + (f"；仍有 {self.provisional} 个期限为暂定（相关年份的节假日安排尚未录入）。"
                       if self.provisional else "；没有暂定的期限。")


class DeadlineRecompute:
    """Needs the host's ``ctx`` (services/procedure.py)."""

    ctx: ServiceContext

    def recompute_all(self, progress: Progress | None = None, batch: int = 5000) -> Recomputed:
        """Recompute every case's deadlines with the calendar as it is now, in one transaction (all of it or
        none: a cancel through ``progress`` keeps nothing); audited, answered in counts."""
        with self.ctx.transaction((Permission.CONFIG_MANAGE, Permission.CASE_EDIT), action="deadline.recompute",
                                  object_type="calendar") as s:
            result = self.recompute(s, progress=progress, batch=batch)
            self.ctx.audit(s, "deadline.recompute", "calendar", None, new=result.counts())
        self.ctx.changed(Changes(deadlines=True))
        return result

    def deadlines_behind(self) -> Recomputed:
        """What a recomputation would change now, writing nothing: ``changed_cases == 0`` means every stored
        deadline follows the calendar (after a year was entered, no deadline of it is left 暂定). Counts only."""
        self.ctx.require((Permission.CONFIG_MANAGE, Permission.CASE_READ), action="deadline.check",
                         object_type="calendar")
        with self.ctx.workspace.session() as s:
            return self.recompute(s, write=False)

    def recompute(self, s: Session, *, progress: Progress | None = None, batch: int = 5000,
                  calendar: WorkCalendar | None = None, write: bool = True) -> Recomputed:
        """Recompute every case's deadlines inside the caller's transaction ``s`` (no permission asked here: the
        caller's operation is what was permitted, and only counts come back). Cases whose stored deadlines
        differ are rewritten in bulk, their next due date stored and their version moved. ``progress`` returning
        False raises ``Cancelled``: the caller's transaction then keeps nothing."""
        ids = s.scalars(select(Case.id).order_by(Case.id)).all()
        calendar = calendar or load_calendar(s)
        now = self.ctx.clock()
        changed_cases = deadlines_changed = provisional = 0
        if progress and progress(0, len(ids), "正在重新计算期限") is False:
            raise Cancelled("已取消：期限的重新计算未进行，未作任何改动。")
        for start in range(0, len(ids), batch):
            chunk = ids[start:start + batch]
            events: dict[str, list[EventView]] = {}
            # Raw rows: SQLAlchemy's per-value result processing costs more than the computation here.
            for case_id, event_id, seq, action, on, path, data in s.connection().exec_driver_sql(
                    "SELECT case_id, id, seq, action, occurred_on, path, data FROM procedure_event "
                    "WHERE case_id BETWEEN ? AND ? ORDER BY case_id, seq", (chunk[0], chunk[-1])).fetchall():
                events.setdefault(case_id, []).append(
                    EventView(event_id, seq, action, date.fromisoformat(on), path, LazyJSON(data)))
            stored: dict[str, list[tuple]] = {}
            for row in s.connection().exec_driver_sql(
                    f"SELECT case_id, {', '.join(SIGNATURE)} FROM case_deadline WHERE case_id BETWEEN ? AND ?",
                    (chunk[0], chunk[-1])).fetchall():
                stored.setdefault(row[0], []).append(_stored_signature(row[1:]))
            rows: list[dict] = []
            changed: list[str] = []
            next_dues: list[dict] = []
            cases = s.execute(select(Case.id, Case.number, Case.regulation_id, Case.step)
                              .where(Case.id.in_(chunk))).all()
            for case_id, number, profile_id, step in cases:
                view = CaseView(case_id, number, profile_id, step, events=tuple(events.get(case_id, ())))
                fresh = deadline_rows(case_id, deadline_rules.compute(load_profile(profile_id), view, calendar), now)
                provisional += sum(1 for row in fresh if row["provisional"] and row["is_open"])
                new, old = Counter(map(_new_signature, fresh)), Counter(stored.get(case_id, []))
                if new != old:
                    changed.append(case_id)
                    deadlines_changed += max((new - old).total(), (old - new).total())
                    rows += fresh
                    next_dues.append({"b_id": case_id, "b_due": next_due(fresh)})
            # Only cases whose deadlines moved are rewritten (after a year is entered, few are).
            if write and changed:
                s.connection().execute(delete(CaseDeadline.__table__).where(CaseDeadline.case_id.in_(changed)))
                if rows:
                    s.connection().execute(CaseDeadline.__table__.insert(), rows)  # one executemany
                bump_versions(s.connection(), next_dues)  # their deadlines are part of the case
            changed_cases += len(changed)
            if progress and progress(min(start + batch, len(ids)), len(ids), "正在重新计算期限") is False:
                raise Cancelled("已取消：期限的重新计算未完成，未作任何改动。")
        return Recomputed(len(ids), changed_cases, deadlines_changed, provisional)
