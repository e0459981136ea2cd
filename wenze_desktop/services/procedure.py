"""Running a case through its regulation: available actions, recording them, deadlines, after-effects.

``perform`` checks the permission, runs the engine's guards, records the event, moves the step, writes
accountability records and restrictions, rewrites the case's deadlines and appends the audit entry — in one
transaction. A refused action is audited as a failure and raised as ``ProcedureRefused(message, article)``.
Given the case's version the form was built from (``expected_version``), a case changed meanwhile is refused with
``CaseChanged`` and nothing is recorded.

Recomputing every case's deadlines after the holiday calendar changed (``recompute``, ``recompute_all``,
``deadlines_behind``) is in services/recompute.py, mixed in here like the corrections of services/corrections.py.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from wenze_desktop.domain.glossary import ReviewOutcome, term
from wenze_desktop.domain.models import (
    Accountability,
    Attachment,
    Case,
    ProcedureEvent,
    Restriction,
)
from wenze_desktop.errors import ProcedureRefused, ValidationError
from wenze_desktop.procedure import deadlines as deadline_rules
from wenze_desktop.procedure import decisions, effects, engine, field_checks, fields, guards
from wenze_desktop.procedure.actions import label_of, permissions_for
from wenze_desktop.procedure.view import CaseView, EventView
from wenze_desktop.rules.calendar import Due
from wenze_desktop.rules.profiles import Profile, load_profile
from wenze_desktop.security.permissions import Permission, refusal_of
from wenze_desktop.services.calendar import load_calendar
from wenze_desktop.services.case_state import case_view, check_version, jsonable, store_deadlines, touch_case
from wenze_desktop.services.changes import Changes
from wenze_desktop.services.context import ServiceContext
from wenze_desktop.services.corrections import RecordCorrections
from wenze_desktop.services.recompute import DeadlineRecompute
from wenze_desktop.services.recompute import Progress as Progress  # re-exported: callers import them from here
from wenze_desktop.services.recompute import Recomputed as Recomputed


@dataclass(frozen=True)
class OpenDeadline:
    case_id: str
    case_number: str
    case_title: str
    rule_id: str
    label: str
    step: str
    due: date
    provisional: bool
    unknown_years: tuple[int, ...]
    article: str
    regulation_id: str = ""

    def days_left(self, today: date) -> int:
        return (self.due - today).days


@dataclass
class ProcedureService(RecordCorrections, DeadlineRecompute):
    ctx: ServiceContext

    # -- reading ----------------------------------------------------------------------------------------------------

    def _load(self, session: Session, case_id: str) -> tuple[Case, Profile, CaseView]:
        case = session.get(Case, case_id)
        if case is None:
            raise ValidationError(f"找不到案件 {case_id}。")
        return case, load_profile(case.regulation_id), case_view(session, case)

    def today(self) -> date:
        return self.ctx.clock().astimezone().date()

    def view(self, case_id: str) -> CaseView:
        with self.ctx.transaction(Permission.CASE_READ) as s:
            return self._load(s, case_id)[2]

    def actions(self, case_id: str, today: date | None = None) -> list[engine.ActionOption]:
        """The actions of the current step; one the signed-in user may not record is disabled with the reason."""
        with self.ctx.transaction(Permission.CASE_READ) as s:
            _, profile, view = self._load(s, case_id)
            options = engine.available(profile, view, load_calendar(s), today or self.today())
        return [self._permitted(o) for o in options]

    def _permitted(self, option: engine.ActionOption) -> engine.ActionOption:
        refusal = refusal_of(self.ctx.user.roles, permissions_for(option.id), self.ctx.user.username)
        if not refusal:
            return option
        return replace(option, enabled=False, refusal=guards.fact(refusal))

    def deadlines(self, case_id: str) -> list[deadline_rules.Deadline]:
        with self.ctx.transaction(Permission.CASE_READ) as s:
            _, profile, view = self._load(s, case_id)
            return deadline_rules.compute(profile, view, load_calendar(s))

    def appeal_window(self, case_id: str) -> Due | None:
        with self.ctx.transaction(Permission.CASE_READ) as s:
            _, profile, view = self._load(s, case_id)
            return guards.appeal_window_due(view, profile, load_calendar(s))

    def missing_decision_elements(self, case_id: str) -> list[str]:
        with self.ctx.transaction(Permission.CASE_READ) as s:
            _, profile, view = self._load(s, case_id)
            return decisions.missing_elements(profile, view)

    def aggravations(self, case_id: str, on: date | None = None) -> list[effects.Aggravation]:
        """Respondents of this case held accountable in the 12 months before ``on`` (default today): 从重."""
        with self.ctx.transaction(Permission.CASE_READ) as s:
            _, profile, view = self._load(s, case_id)
            return self._aggravations(s, profile, view, on or self.today())

    def _aggravations(self, s: Session, profile: Profile, view: CaseView, on: date) -> list[effects.Aggravation]:
        keys = [r.person_key for r in view.respondents if r.person_key]
        rows = s.execute(select(Accountability, Case.number).join(Case, Case.id == Accountability.case_id)
                         .where(Accountability.person_key.in_(keys), Accountability.revoked_on.is_(None))).all()
        prior = [effects.PriorAccountability(a.person_key, a.case_id, number, a.decided_on, tuple(a.forms))
                 for a, number in rows]
        return effects.aggravations(profile, view.id, view.respondents, on, prior)

    def restrictions(self, *, name: str | None = None, id_number: str | None = None,
                     person_key: str | None = None, active_on: date | None = None) -> list[Restriction]:
        """After-effects recorded for a person (by ID number, or by name), optionally only those in force."""
        query = select(Restriction).where(Restriction.lifted_on.is_(None))
        if id_number:
            query = query.where(Restriction.person_key == "id:" + id_number.strip().upper())
        elif person_key:
            query = query.where(Restriction.person_key == person_key)
        elif name:
            query = query.where(Restriction.person_name == name.strip())
        if active_on:
            query = query.where(Restriction.starts_on <= active_on, Restriction.ends_on >= active_on)
        with self.ctx.transaction(Permission.CASE_READ) as s:
            rows = s.scalars(query.order_by(Restriction.ends_on)).all()
            s.expunge_all()
            return list(rows)

    def open_deadlines(self, *, overdue_on: date | None = None, due_within: int | None = None,
                       today: date | None = None) -> list[OpenDeadline]:
        """Open deadlines across the workspace, earliest first: all, overdue on a day, or due within N days."""
        today = today or self.today()
        where, params = ["d.is_open"], []
        if overdue_on is not None:
            where.append("d.due < ?")
            params.append(overdue_on.isoformat())
        if due_within is not None:
            where.append("d.due BETWEEN ? AND ?")
            params += [today.isoformat(), date.fromordinal(today.toordinal() + due_within).isoformat()]
        # Raw rows: the board lists every open deadline of the workspace (tens of thousands in a big one), and
        # ORM objects for them cost seconds on the one database worker.
        sql = ("SELECT d.case_id, c.number, c.title, d.rule_id, d.label, d.step, d.due, d.provisional, "
               "d.unknown_years, d.article, c.regulation_id FROM case_deadline d JOIN case_file c ON c.id = d.case_id "
               f"WHERE {' AND '.join(where)} ORDER BY d.due")
        with self.ctx.transaction(Permission.CASE_READ) as s:
            rows = s.connection().exec_driver_sql(sql, tuple(params)).fetchall()
        return [OpenDeadline(case_id, number, title, rule_id, label, step, date.fromisoformat(due), bool(provisional),
                             tuple(json.loads(unknown)) if unknown and unknown != "[]" else (), article, regulation)
                for case_id, number, title, rule_id, label, step, due, provisional, unknown, article, regulation
                in rows]

    def overdue(self, today: date | None = None) -> list[OpenDeadline]:
        return self.open_deadlines(overdue_on=today or self.today())

    def due_soon(self, days: int, today: date | None = None) -> list[OpenDeadline]:
        return self.open_deadlines(due_within=days, today=today)

    def history(self, case_id: str) -> list[EventView]:
        return list(self.view(case_id).events)

    # -- recording --------------------------------------------------------------------------------------------------

    def perform(self, case_id: str, action: str, on: date | None = None, *, expected_version: int | None = None,
                **data: Any) -> str:
        """Record ``action`` for the case on ``on`` (default today). Returns the event id. ``expected_version``:
        the case's version the form was built from (refused with ``CaseChanged`` if it moved on)."""
        on = on or self.today()
        self.ctx.require(permissions_for(action), action=f"procedure.{action}", object_type="case",
                         object_id=case_id)
        try:
            with self.ctx.transaction() as s:
                event_id = self._perform(s, case_id, action, on, data, expected_version)
            self.ctx.changed(Changes.case(case_id))
            return event_id
        except (ProcedureRefused, ValidationError) as refusal:
            self._audit_refusal(f"procedure.{action}", "case", case_id, refusal, on=on.isoformat())
            raise

    def _perform(self, s: Session, case_id: str, action: str, on: date, data: dict,
                 expected_version: int | None = None) -> str:
        case, profile, view = self._load(s, case_id)
        check_version(s, case, expected_version, f"「{label_of(action)}」登记表", "登记")
        calendar = load_calendar(s)
        data = self._checked_data(s, case_id, action, data)
        transition = engine.evaluate(profile, view, action, on, data, calendar)
        self._check_signature(action, data)
        stored = self._derived(s, profile, view, action, on, jsonable(data))
        now = self.ctx.clock()
        withdrawn = [int(r.get("seq", 0)) for r in case.withdrawn_records or []]  # numbers are never reused
        seq = max((s.scalar(select(func.max(ProcedureEvent.seq)).where(ProcedureEvent.case_id == case.id)) or 0),
                  *withdrawn, 0) + 1
        before = case.step
        event = ProcedureEvent(case_id=case.id, seq=seq, action=action, path=transition.path, step_before=before,
                               step_after=transition.to or before, occurred_on=on, data=stored,
                               recorded_by=self.ctx.user.id, recorded_by_name=self.ctx.user.display_name,
                               recorded_at=now, updated_at=now)
        s.add(event)
        case.step = transition.to or before
        touch_case(s, case, now)
        outcome = fields.outcome_code(data.get("outcome"))
        if action == "decide_appeal" and outcome in (ReviewOutcome.MODIFY, ReviewOutcome.REVOKE):
            self._revoke(s, case.id, on, f"复核/复查决定{term(outcome)}原问责决定")
        if stored.get("held"):
            self._hold(s, profile, case.id, decisions.resolve_forms(profile, view, data.get("forms")), on)
        s.flush()
        store_deadlines(s, case, case_view(s, case), profile, calendar, now)
        self.ctx.audit(s, f"procedure.{action}", "case", case.id, {"step": before},
                       {"step": case.step, "on": on.isoformat(), "event_id": event.id, "data": stored})
        return event.id

    def _audit_refusal(self, action: str, object_type: str, object_id: str, refusal: Exception, **more: Any) -> None:
        """A refused recording, correction or withdrawal is itself audited (as a failure)."""
        with self.ctx.transaction() as s:
            self.ctx.audit(s, action, object_type, object_id,
                           new={**more, "refused": getattr(refusal, "message", str(refusal)),
                                "article": getattr(refusal, "article", "")}, success=False)

    def _checked_data(self, s: Session, case_id: str, action: str, data: Mapping[str, Any],
                      legacy: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The action's data as the registry of fields knows it: no unknown keys (but those an older version
        recorded: ``legacy``), each value of its field's kind, the paper's scan as this case's attachment (its
        name and SHA-256 taken from the attachment itself)."""
        known = fields.stored_keys(action)
        strangers = [k for k in data if k not in known and k not in legacy]
        if strangers:
            labels = "、".join(f.label for f in fields.fields_of(action))
            raise ValidationError(f"「{label_of(action)}」没有这些登记项：{'、'.join(strangers)}（可登记：{labels}）。")
        for key, value in data.items():
            field = fields.spec(action, key) if key in known else None
            problem = field_checks.type_problem(field, value) if field else ""
            if problem:
                raise ValidationError(problem)
        data = dict(data)
        if "outcome" in data:
            data["outcome"] = fields.outcome_code(data["outcome"])
        scan = data.get("paper_scan")
        if scan:
            scan_id = scan.get("attachment_id") if isinstance(scan, Mapping) else scan
            attachment = s.get(Attachment, str(scan_id or ""))
            if attachment is None or attachment.case_id != case_id:
                raise ValidationError("所选的呈批表扫描件不是本案的附件；请先在案件信息中添加附件。")
            data["paper_scan"] = {"attachment_id": attachment.id, "filename": attachment.filename,
                                  "sha256": attachment.sha256}
        return data

    @staticmethod
    def _check_signature(action: str, data: Mapping[str, Any]) -> None:
        """After the regulation's rules (they say what is wrong with the procedure first)."""
        missing = field_checks.missing_signature(action, data)
        if missing:
            raise ValidationError(missing)

    def _derived(self, s: Session, profile: Profile, view: CaseView, action: str, on: date,
                 stored: dict[str, Any]) -> dict[str, Any]:
        """What the service adds to a decision's record: the forms per respondent (held) and 从重 (aggravation)."""
        stored = {k: v for k, v in stored.items() if k not in fields.DERIVED}
        modifies = action == "decide_appeal" and stored.get("outcome") == ReviewOutcome.MODIFY
        if action == "decide" or modifies:
            held = decisions.resolve_forms(profile, view, stored.get("forms"))
            stored["held"] = [{"respondent_id": h.respondent.id, "respondent": h.respondent.name,
                               "form_id": h.form.id, "form": h.form.name} for h in held]
            if action == "decide" and (note := decisions.harsher_note(profile, view, held)):
                stored["harsher_than_report"] = note
        if action == "decide":
            stored["aggravation"] = [{"respondent": a.name, "prior_case": a.prior_case,
                                      "prior_on": a.prior_on.isoformat(), "article": a.article,
                                      "binding": a.binding, "message": a.message}
                                     for a in self._aggravations(s, profile, view, on)]
        return stored

    def _hold(self, s: Session, profile: Profile, case_id: str, held: list[decisions.Held], on: date) -> None:
        now = self.ctx.clock()
        by_respondent: dict[str, list[decisions.Held]] = {}
        for item in held:
            by_respondent.setdefault(item.respondent.id, []).append(item)
        for items in by_respondent.values():
            who = items[0].respondent
            s.add(Accountability(case_id=case_id, respondent_id=who.id, person_key=who.person_key,
                                 person_name=who.name, decided_on=on, forms=[i.form.name for i in items],
                                 updated_at=now))
        s.add_all(Restriction(case_id=case_id, respondent_id=r.respondent_id, person_key=r.person_key,
                              person_name=r.person_name, form_id=r.form_id, form_name=r.form_name, kind=r.kind,
                              text=r.text, starts_on=r.starts_on, ends_on=r.ends_on, article=r.article,
                              updated_at=now) for r in effects.restrictions(profile, held, on))

    def _revoke(self, s: Session, case_id: str, on: date, reason: str) -> None:
        now = self.ctx.clock()
        s.execute(update(Accountability).where(Accountability.case_id == case_id,
                                               Accountability.revoked_on.is_(None))
                  .values(revoked_on=on, updated_at=now))
        s.execute(update(Restriction).where(Restriction.case_id == case_id, Restriction.lifted_on.is_(None))
                  .values(lifted_on=on, lifted_reason=reason, updated_at=now))
