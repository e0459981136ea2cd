"""The workspace's holiday calendar: chinese-calendar plus the years an administrator has entered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from wenze_desktop.domain.models import CalendarYear
from wenze_desktop.errors import ValidationError
from wenze_desktop.rules.calendar import WorkCalendar, YearArrangement, library_knows
from wenze_desktop.security.permissions import Permission
from wenze_desktop.services.changes import Changes
from wenze_desktop.services.context import ServiceContext

CALENDAR_CHANGED = Changes(deadlines=True, calendar=True)


def load_calendar(session: Session) -> WorkCalendar:
    rows = session.scalars(select(CalendarYear)).all()
    return WorkCalendar.with_years(
        YearArrangement(r.year, frozenset(map(date.fromisoformat, r.holidays)),
                        frozenset(map(date.fromisoformat, r.workdays)), r.source) for r in rows)


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

    def import_year(self, text: str, source: str = "", progress=None) -> YearArrangement:
        """Enter (or replace) a year's arrangement, then recompute every open case's deadlines."""
        arrangement = YearArrangement.from_toml(text, source)
        with self.ctx.transaction(Permission.CONFIG_MANAGE, action="calendar.import", object_type="calendar") as s:
            row = s.scalars(select(CalendarYear).where(CalendarYear.year == arrangement.year)).first()
            old = {"holidays": len(row.holidays), "workdays": len(row.workdays)} if row else None
            values = arrangement.to_mapping()
            if row is None:
                row = CalendarYear(year=arrangement.year, entered_by=self.ctx.user.username)
                s.add(row)
            row.holidays, row.workdays, row.source = values["holidays"], values["workdays"], source
            row.entered_by, row.entered_at = self.ctx.user.username, self.ctx.clock()
            self.ctx.touch(row)
            s.flush()
            self.ctx.audit(s, "calendar.import", "calendar_year", row.id, old,
                           {"year": arrangement.year, "holidays": len(values["holidays"]),
                            "workdays": len(values["workdays"]), "source": source})
        # Noted once the year is committed: even a recomputation cancelled part-way has rewritten some deadlines.
        self.ctx.changed(CALENDAR_CHANGED)
        from wenze_desktop.services.procedure import ProcedureService

        ProcedureService(self.ctx).recompute_all(progress=progress)
        return arrangement

    def remove_year(self, year: int) -> None:
        with self.ctx.transaction(Permission.CONFIG_MANAGE, action="calendar.remove", object_type="calendar") as s:
            row = s.scalars(select(CalendarYear).where(CalendarYear.year == year)).first()
            if row is None:
                raise ValidationError(f"没有录入过 {year} 年的节假日安排。")
            s.delete(row)
            self.ctx.audit(s, "calendar.remove", "calendar_year", row.id, {"year": year}, None)
        self.ctx.changed(CALENDAR_CHANGED)
        from wenze_desktop.services.procedure import ProcedureService

        ProcedureService(self.ctx).recompute_all()
