"""A case as the engine sees it (read from the database), and its derived deadlines stored back.

Shared by the procedure, correction, document and transfer services.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from wenze_desktop.domain.base import new_uuid
from wenze_desktop.domain.models import Case, CaseDeadline, ProcedureEvent, Respondent
from wenze_desktop.procedure import deadlines as deadline_rules
from wenze_desktop.procedure.view import CaseView, EventView, RespondentView, frozen_data
from wenze_desktop.rules.calendar import WorkCalendar
from wenze_desktop.rules.profiles import Profile


def jsonable(value: Any) -> Any:
    """Event data as JSON: dates as ISO strings, tuples as lists."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def respondent_view(r: Respondent) -> RespondentView:
    return RespondentView(r.id, r.kind, r.name, r.unit or "", r.post or "", r.id_number or "", r.birth_date)


def case_view(session: Session, case: Case) -> CaseView:
    events = session.scalars(select(ProcedureEvent).where(ProcedureEvent.case_id == case.id)
                             .order_by(ProcedureEvent.seq)).all()
    return CaseView(case.id, case.number, case.regulation_id, case.step, case.facts or "",
                    tuple(respondent_view(r) for r in case.respondents), tuple(event_view(e) for e in events))


def event_view(e: ProcedureEvent) -> EventView:
    return EventView(e.id, e.seq, e.action, e.occurred_on, e.path, frozen_data(e.data or {}), e.step_after,
                     e.recorded_by_name or ("外单位" if e.recorded_by else ""), e.recorded_at,
                     tuple(frozen_data(r) for r in e.revisions or ()), e.step_before)


def deadline_rows(case_id: str, computed: list[deadline_rules.Deadline], now: datetime) -> list[dict]:
    return [{"id": new_uuid(), "version": 1, "updated_at": now, "case_id": case_id, "rule_id": d.rule_id,
             "label": d.label, "step": d.step, "action": d.action, "trigger_on": d.trigger_on, "due": d.due,
             "provisional": d.provisional, "unknown_years": list(d.unknown_years), "met_on": d.met_on,
             "article": d.article, "extended": d.extended, "is_open": d.open} for d in computed]


SIGNATURE = ("rule_id", "label", "step", "action", "trigger_on", "due", "provisional", "unknown_years", "met_on",
             "article", "extended", "is_open")


def _stored_signature(row) -> tuple:
    (rule_id, label, step, action, trigger_on, due, provisional, unknown_years, met_on, article, extended,
     is_open) = row
    return (rule_id, label, step, action, trigger_on, due, bool(provisional), unknown_years, met_on, article,
            extended, bool(is_open))


def _new_signature(row: dict) -> tuple:
    return (row["rule_id"], row["label"], row["step"], row["action"], row["trigger_on"].isoformat(),
            row["due"].isoformat(), row["provisional"], json.dumps(row["unknown_years"]),  # as the JSON type stores it
            row["met_on"].isoformat() if row["met_on"] else None, row["article"], row["extended"], row["is_open"])


def store_deadlines(session: Session, case: Case, view: CaseView, profile: Profile, calendar: WorkCalendar,
                    now: datetime) -> list[deadline_rules.Deadline]:
    computed = deadline_rules.compute(profile, view, calendar)
    # Core, like the insert: the ORM's synchronize step would walk the whole identity map (slow in a big import)
    session.connection().execute(delete(CaseDeadline.__table__).where(CaseDeadline.case_id == case.id))
    rows = deadline_rows(case.id, computed, now)
    if rows:
        session.connection().execute(CaseDeadline.__table__.insert(), rows)
    case.next_due = next_due(rows)
    return computed


def next_due(rows: list[dict]) -> date | None:
    """The earliest open deadline: what the registry shows and sorts by."""
    return min((row["due"] for row in rows if row["is_open"]), default=None)
