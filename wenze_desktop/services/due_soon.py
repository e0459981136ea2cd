"""What needs the handler first: the open deadlines of the user's own cases that are overdue or fall within the
next few working days (the workspace calendar), shown at the first sign-in of the day.

"First sign-in of the day" is read from the audit log (the user's successful sign-ins since local midnight), not
from a preference file: it holds per workspace user whichever PC account or window signed in, and needs nothing
written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import func, select

from wenze_desktop.domain.models import AuditEntry
from wenze_desktop.security.permissions import Permission, permissions_of
from wenze_desktop.services.calendar import load_calendar
from wenze_desktop.services.context import ServiceContext

WORKING_DAYS = 3
SIGN_IN_ACTIONS = ("login", "login.recovery_key")


@dataclass(frozen=True)
class DueItem:
    case_id: str
    case_number: str
    case_title: str
    label: str  # the deadline's label (调查期限 …)
    due: date
    days_left: int  # calendar days from today; negative when overdue
    working_days_left: int  # working days after today up to the due day (negative when overdue)
    provisional: bool  # rests on a year whose holiday arrangement nobody has entered

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


@dataclass(frozen=True)
class DueSoon:
    today: date
    until: date  # the last day counted: the WORKING_DAYS-th working day after today
    items: tuple[DueItem, ...]

    @property
    def overdue(self) -> int:
        return sum(item.overdue for item in self.items)


@dataclass
class DueSoonService:
    ctx: ServiceContext

    def today(self) -> date:
        return self.ctx.clock().astimezone().date()

    def mine(self, today: date | None = None, working_days: int = WORKING_DAYS) -> DueSoon:
        """Open deadlines of the cases the user handles, overdue or due by the ``working_days``-th working day
        after today, earliest first. Empty for a user who may not read cases (nothing is refused or audited)."""
        today = today or self.today()
        if Permission.CASE_READ not in permissions_of(self.ctx.user.roles) or self.ctx.user.id is None:
            return DueSoon(today, today, ())
        with self.ctx.workspace.session() as session:
            calendar = load_calendar(session)
            until = calendar.add_working_days(today, working_days).due
            rows = session.connection().exec_driver_sql(
                "SELECT c.id, c.number, c.title, d.label, d.due, d.provisional FROM case_deadline d "
                "JOIN case_file c ON c.id = d.case_id WHERE c.handler_id = ? AND d.is_open AND d.due <= ? "
                "ORDER BY d.due, c.number", (self.ctx.user.id, until.isoformat())).fetchall()
        items = []
        for case_id, number, title, label, due_text, provisional in rows:
            due = date.fromisoformat(due_text)
            items.append(DueItem(case_id, number, title, label, due, (due - today).days,
                                 calendar.working_days_between(today, due), bool(provisional)))
        return DueSoon(today, until, tuple(items))

    def first_sign_in_today(self) -> bool:
        """Whether the user's latest sign-in is their first since local midnight (by the audit log)."""
        if self.ctx.user.id is None:
            return False
        midnight = datetime.combine(self.today(), time.min).astimezone()  # local midnight, as an aware time
        with self.ctx.workspace.session() as session:
            count = session.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.user_id == self.ctx.user.id, AuditEntry.action.in_(SIGN_IN_ACTIONS),
                AuditEntry.success.is_(True), AuditEntry.at >= midnight))
        return count <= 1

    def at_sign_in(self, today: date | None = None) -> DueSoon | None:
        """What to show after signing in: the list at the day's first sign-in when it has anything, else None."""
        if not self.first_sign_in_today():
            return None
        found = self.mine(today)
        return found if found.items else None
