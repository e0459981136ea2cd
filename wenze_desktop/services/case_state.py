"""A case as the engine sees it (read from the database), its derived deadlines stored back, and its version.

Shared by the procedure, correction, document and transfer services.

**One version for the whole case.** ``Case.version`` (the optimistic-lock column every record has) is the
version of the case *with all its parts*: clues, respondents, evidence, attachments, procedure records, issued
documents and derived deadlines. Every service that changes any of them calls ``touch_case`` once per changed
case, in the transaction of the change; bulk writers that bypass the ORM use ``bump_versions``. No other code
does version arithmetic. A form remembers the version it was built from and hands it back with its save;
``check_version`` (inside the write transaction, so under the write lock) refuses the save with ``CaseChanged``
when the case moved on meanwhile — nothing is written, and the message says who changed it and when.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, event, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from wenze_desktop.domain.base import new_uuid
from wenze_desktop.domain.models import (
    Attachment,
    AuditEntry,
    Case,
    CaseDeadline,
    Clue,
    Evidence,
    IssuedDocument,
    ProcedureEvent,
    Respondent,
    StaffUser,
)
from wenze_desktop.errors import CaseChanged
from wenze_desktop.procedure import deadlines as deadline_rules
from wenze_desktop.procedure.actions import label_of
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
    touch_case(session, case, now)  # its deadlines are part of the case (whoever rewrote them)
    return computed


def next_due(rows: list[dict]) -> date | None:
    """The earliest open deadline: what the registry shows and sorts by."""
    return min((row["due"] for row in rows if row["is_open"]), default=None)


# -- the case's version ----------------------------------------------------------------------------------------------

_TOUCHED = "touched_cases"  # session.info key: the cases whose row this transaction writes (version moved)


@event.listens_for(Session, "before_flush")
def _note_written_cases(session: Session, _context, _instances) -> None:
    """A case row the ORM is about to update (a field, its step, its next due date) has its version moved by
    that update: ``touch_case`` need not move it again in this transaction."""
    written = [obj.id for obj in session.dirty if isinstance(obj, Case) and session.is_modified(obj)]
    if written:
        session.info.setdefault(_TOUCHED, set()).update(written)


def touch_case(session: Session, case: Case, now: datetime, *, created: bool = False) -> None:
    """This transaction changed ``case`` or one of its parts: its version moves (once per transaction, whatever
    else of the row changes) and its stamp says when. The case row is written even when no column of its own
    changed — that is the point: a form built on the old version will be refused. ``created``: the case was
    inserted by this transaction (its first version is its version; parts added with it move nothing)."""
    touched = session.info.setdefault(_TOUCHED, set())
    if case.id in touched:
        return
    touched.add(case.id)
    if created:
        return
    case.updated_at = now
    flag_modified(case, "updated_at")  # written even if the clock shows the same instant


def bump_versions(connection: Connection, next_dues: list[dict]) -> None:
    """The bulk form of ``touch_case`` for writers that bypass the ORM (the recomputation of every case's
    deadlines): each ``{"b_id": case id, "b_due": next due date}`` stores the case's next due date and moves its
    version. The stamp (``updated_at``) stays: a recomputation is no one's edit, and the registry keeps its order."""
    if next_dues:
        table = Case.__table__
        connection.execute(table.update().where(table.c.id == bindparam("b_id"))
                           .values(next_due=bindparam("b_due"), version=table.c.version + 1), next_dues)


def check_version(session: Session, case: Case, expected: int | None, what: str, verb: str = "保存") -> None:
    """Refuse (``CaseChanged``) unless the case is still at ``expected``, the version the form was built from
    (None: the caller has no form — the command line, a script — and takes the case as it is now). Called in the
    write transaction before anything is written; ``what`` names what the user was working on (案件信息, 「立案」
    登记表, 本案的文书列表), ``verb`` what they were doing (保存, 登记, 签发)."""
    if expected is None or case.version == expected:
        return
    raise CaseChanged(changed_message(session, case, what, verb))


def changed_message(session: Session, case: Case, what: str, verb: str = "保存") -> str:
    who = last_change(session, case)
    return (f"案件 {case.number}（{case.title}）在您打开{what}之后已被他人修改{who}。"
            f"为免覆盖他人的修改，本次{verb}未进行，案件未作任何改动。请查看案件的最新内容，核对后再{verb}。")


PART_NAMES = {"case": "案件信息", "clue": "问责线索", "respondent": "被问责对象", "evidence": "证据",
              "attachment": "附件", "procedure_event": "办理记录", "issued_document": "文书"}
RECENT_ENTRIES = 5000  # how far back the audit log is searched for who changed the case (a conflict is rare)


CALENDAR_ACTIONS = ("calendar.import", "calendar.remove", "deadline.recompute")
# Entries that change a case (reading, printing or exporting it does not: who did that is not who changed it).
CASE_CHANGES = ("case.update", "case.import", "transfer.resolve", "document.issue", "document.seal", "document.void")
PART_PREFIXES = ("clue.", "respondent.", "evidence.", "attachment.", "procedure.")


def last_change(session: Session, case: Case) -> str:
    """"（张三（zhangsan）于 2026-11-23 17:05 修改了被问责对象）" from the audit log: the latest successful entry
    about the case or one of its parts, or a later change of the holiday calendar that rewrote some deadlines;
    "" when the log does not say."""
    ids = {case.id}
    for model in (Clue, Respondent, Evidence, Attachment, ProcedureEvent, IssuedDocument):
        ids.update(session.scalars(select(model.id).where(model.case_id == case.id)))
    recent = AuditEntry.seq > (session.scalar(select(func.max(AuditEntry.seq))) or 0) - RECENT_ENTRIES
    pattern = f"%{case.id}%"  # removed parts: their entries name the case in their values
    changes = or_(AuditEntry.action.in_(CASE_CHANGES), *(AuditEntry.action.like(f"{p}%") for p in PART_PREFIXES))
    about_case = session.scalars(
        select(AuditEntry).where(recent, AuditEntry.success.is_(True), changes,
                                 AuditEntry.object_id.in_(ids) | AuditEntry.old_values.like(pattern)
                                 | AuditEntry.new_values.like(pattern))
        .order_by(AuditEntry.seq.desc()).limit(1)).first()
    calendar = session.scalars(
        select(AuditEntry).where(recent, AuditEntry.success.is_(True), AuditEntry.action.in_(CALENDAR_ACTIONS),
                                 ~AuditEntry.new_values.like('%"changed_cases":0%'))
        .order_by(AuditEntry.seq.desc()).limit(1)).first()
    entry = max((e for e in (about_case, calendar) if e is not None), key=lambda e: e.seq, default=None)
    if entry is None:
        return ""
    name = session.scalar(select(StaffUser.display_name).where(StaffUser.username == entry.username))
    who = f"{name}（{entry.username}）" if name and name != entry.username else entry.username
    return f"（{who}于 {entry.at.astimezone():%Y-%m-%d %H:%M} {_what_changed(entry)}）"


def _what_changed(entry: AuditEntry) -> str:
    action = entry.action
    if action in CALENDAR_ACTIONS:
        values = json.loads(entry.new_values or "{}") if action == "calendar.import" else \
            json.loads(entry.old_values or "{}")
        year = f" {values['year']} 年" if "year" in values else ""
        verb = {"calendar.import": "录入了", "calendar.remove": "删除了"}.get(action, "")
        return f"{verb}{year}节假日安排，期限随之重新计算" if verb else "重新计算了期限"
    if action == "procedure.amend":
        return "更正了办理记录"
    if action == "procedure.withdraw_record":
        return "撤回了办理记录"
    if action.startswith("procedure."):
        return f"登记了「{label_of(action.removeprefix('procedure.'))}」"
    if action == "document.void":
        return "作废了文书"
    if action == "case.import":
        return "导入了外单位发来的版本"
    if action == "transfer.resolve":
        return "处理了与外单位版本的冲突"
    if action in ("document.issue", "document.seal"):
        return "签发了文书"
    return f"修改了{PART_NAMES.get(entry.object_type, '案件')}"
