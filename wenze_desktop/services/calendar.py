"""The workspace's holiday calendar: chinese-calendar plus the years an administrator has entered.

A year is entered (or removed) together with the recomputation of every case's deadlines it moves, in ONE
transaction: killed or cancelled part-way, neither the year nor any recomputed deadline is kept, so no deadline of
an entered year stays 暂定. The recomputation is a consequence of the administrator's change, not a reading of
cases: it needs only the right to configure the system, and answers in counts (cases, deadlines changed).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from wenze_desktop import crashpoints
from wenze_desktop.domain.models import CalendarYear
from wenze_desktop.errors import Cancelled, ValidationError
from wenze_desktop.rules.calendar import WorkCalendar, YearArrangement, library_knows
from wenze_desktop.security.permissions import Permission
from wenze_desktop.services.changes import Changes
from wenze_desktop.services.context import ServiceContext

if TYPE_CHECKING:
    from wenze_desktop.services.procedure import Recomputed

CALENDAR_CHANGED = Changes(deadlines=True, calendar=True)


def load_calendar(session: Session) -> WorkCalendar:
    rows = session.scalars(select(CalendarYear)).all()
    return WorkCalendar.with_years(
        YearArrangement(r.year, frozenset(map(date.fromisoformat, r.holidays)),
                        frozenset(map(date.fromisoformat, r.workdays)), r.source) for r in rows)


@dataclass(frozen=True)
class YearEntered:
    """A year entered (or removed) with what the recomputation did, in counts only."""

    year: int
    holidays: int
    workdays: int
    recomputed: Recomputed

    def describe(self) -> str:
        return self.recomputed.describe()


@dataclass
class CalendarService:
    ctx: ServiceContext

    def calendar(self) -> WorkCalendar:
        with self.ctx.workspace.session() as session:
            return load_calendar(session)

    def entered_years(self) -> list[dict]:
        with self.ctx.workspace.session() as session:
            return [{"year": r.year, "holidays": len(r.holidays), "workdays": len(r.workdays), "source": r.source,
                     "entered_by": r.entered_by, "library_knows": library_knows(r.year)}
                    for r in session.scalars(select(CalendarYear).order_by(CalendarYear.year))]

    def import_year(self, text: str, source: str = "", progress=None) -> YearEntered:
        """Enter (or replace) a year's arrangement and recompute every case's deadlines, as one transaction.
        ``progress(done, total, message)`` returning False cancels: nothing is kept (``Cancelled``)."""
        arrangement = YearArrangement.from_toml(text, source)
        values = arrangement.to_mapping()
        with self._unit(arrangement.year, "录入", "calendar.import") as s:
            row = s.scalars(select(CalendarYear).where(CalendarYear.year == arrangement.year)).first()
            old = {"holidays": len(row.holidays), "workdays": len(row.workdays)} if row else None
            if row is None:
                row = CalendarYear(year=arrangement.year, entered_by=self.ctx.user.username)
                s.add(row)
            row.holidays, row.workdays, row.source = values["holidays"], values["workdays"], source
            row.entered_by, row.entered_at = self.ctx.user.username, self.ctx.clock()
            self.ctx.touch(row)
            s.flush()
            crashpoints.step("calendar.import/year-written")
            recomputed = self._recompute(s, progress)
            self.ctx.audit(s, "calendar.import", "calendar_year", row.id, old,
                           {"year": arrangement.year, "holidays": len(values["holidays"]),
                            "workdays": len(values["workdays"]), "source": source, **recomputed.counts()})
            crashpoints.step("calendar.import/recomputed")  # all written, not yet committed
        crashpoints.step("calendar.import/committed")
        self.ctx.changed(CALENDAR_CHANGED)
        return YearEntered(arrangement.year, len(values["holidays"]), len(values["workdays"]), recomputed)

    def remove_year(self, year: int, progress=None) -> YearEntered:
        """Remove an entered year (the library's arrangement, or none, counts again) and recompute, as one
        transaction."""
        with self._unit(year, "删除", "calendar.remove") as s:
            row = s.scalars(select(CalendarYear).where(CalendarYear.year == year)).first()
            if row is None:
                raise ValidationError(f"没有录入过 {year} 年的节假日安排。")
            counts = {"holidays": len(row.holidays), "workdays": len(row.workdays)}
            s.delete(row)
            s.flush()
            recomputed = self._recompute(s, progress)
            self.ctx.audit(s, "calendar.remove", "calendar_year", row.id, {"year": year, **counts},
                           recomputed.counts())
        self.ctx.changed(CALENDAR_CHANGED)
        return YearEntered(year, 0, 0, recomputed)

    @contextmanager
    def _unit(self, year: int, verb: str, action: str) -> Iterator[Session]:
        """The year's one transaction; a cancel says that the year was not entered (removed) either."""
        try:
            with self.ctx.transaction(Permission.CONFIG_MANAGE, action=action, object_type="calendar") as s:
                yield s
        except Cancelled as cancel:
            raise Cancelled(f"已取消：{year} 年节假日安排未{verb}，所有案件的期限均未改动。") from cancel

    def _recompute(self, s: Session, progress) -> Recomputed:
        from wenze_desktop.services.procedure import ProcedureService  # procedure imports load_calendar from here

        return ProcedureService(self.ctx).recompute(s, progress=progress, calendar=load_calendar(s))

