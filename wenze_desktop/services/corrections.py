"""Correcting and withdrawing recorded procedure actions (mixed into ProcedureService).

A correction keeps the earlier version with the record and runs the engine again over the corrected record and
every later one; a withdrawal removes the case's latest record and keeps it whole with the case. Either way the
deadlines, after-effects (影响期) and a decision's derived data follow, and both are audited, refusals included.
Both move the case's version and, given the version the form was built from, refuse a case changed meanwhile.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from wenze_desktop.domain.glossary import ReviewOutcome, term
from wenze_desktop.domain.models import Accountability, Case, IssuedDocument, ProcedureEvent, Restriction
from wenze_desktop.errors import ProcedureRefused, ValidationError
from wenze_desktop.procedure import decisions, engine, fields
from wenze_desktop.procedure import documents as document_rules
from wenze_desktop.procedure.actions import label_of
from wenze_desktop.procedure.view import CaseView, EventView, frozen_data
from wenze_desktop.rules.calendar import WorkCalendar
from wenze_desktop.rules.profiles import Profile
from wenze_desktop.security.permissions import Permission
from wenze_desktop.services.calendar import load_calendar
from wenze_desktop.services.case_state import (
    case_view,
    check_version,
    event_view,
    jsonable,
    store_deadlines,
    touch_case,
)
from wenze_desktop.services.changes import Changes

if TYPE_CHECKING:
    from wenze_desktop.services.context import ServiceContext


class RecordCorrections:
    """Needs the host's ``ctx``, ``_load``, ``_checked_data``, ``_check_signature``, ``_derived``, ``_hold``,
    ``_revoke`` and ``_audit_refusal`` (services/procedure.py)."""

    ctx: ServiceContext

    def amend(self, case_id: str, event_id: str, *, reason: str, on: date | None = None,
              data: Mapping[str, Any] | None = None, expected_version: int | None = None) -> None:
        """Correct a recorded event's date (``on``) or fields (``data``; a value of None removes the field) — a
        typing error — for ``reason``. The old version stays with the record; the guards run again on the corrected
        record and on every later one; deadlines, after-effects and the decision's derived data follow. Refused
        while an issued document rests on the record. (``data`` is a mapping, not keywords: several actions have a
        field called ``reason`` of their own.) ``expected_version``: the case's version the form was built from
        (refused with ``CaseChanged`` if it moved on)."""
        data = dict(data or {})
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError("更正记录须写明理由。")
        self.ctx.require(Permission.CASE_EDIT, action="procedure.amend", object_type="case", object_id=case_id)
        try:
            with self.ctx.transaction() as s:
                self._amend(s, case_id, event_id, on, reason, data, expected_version)
        except (ProcedureRefused, ValidationError) as refusal:
            self._audit_refusal("procedure.amend", "procedure_event", event_id, refusal, case_id=case_id)
            raise
        self.ctx.changed(Changes.case(case_id))

    def _amend(self, s: Session, case_id: str, event_id: str, on: date | None, reason: str, data: dict,
               expected_version: int | None = None) -> None:
        case, profile, view = self._load(s, case_id)
        event = s.get(ProcedureEvent, event_id)
        check_version(s, case, expected_version,
                      f"「{label_of(event.action)}」记录的更正表" if event is not None else "更正表", "更正")
        event = self._correctable(s, case, profile, event_id, "更正")
        if on is None and not data:
            raise ValidationError("没有要更正的内容。")
        self._checked_data(s, case_id, event.action, {k: v for k, v in data.items() if v is not None})
        merged = {k: v for k, v in {**(event.data or {}), **data}.items()
                  if k not in fields.DERIVED and v is not None}
        legacy = frozenset((event.data or {}).keys()) - fields.stored_keys(event.action)
        merged = self._checked_data(s, case_id, event.action, merged, legacy)
        self._check_signature(event.action, merged)
        new_on = on or event.occurred_on
        corrected = replace(event_view(event), on=new_on, data=frozen_data(jsonable(merged)))
        events = [corrected if e.id == event.id else e for e in view.events]
        self._replay_check(profile, view, events, event.seq, load_calendar(s))
        prior = CaseView(view.id, view.number, view.profile_id, event.step_before, view.facts, view.respondents,
                         tuple(e for e in view.events if e.seq < event.seq))
        stored = self._derived(s, profile, prior, event.action, new_on, jsonable(merged))
        old = {"on": event.occurred_on.isoformat(), "data": event.data}
        if old == {"on": new_on.isoformat(), "data": stored}:
            raise ValidationError("更正后的内容与原记录相同。")
        now = self.ctx.clock()
        event.revisions = [*(event.revisions or []), {**old, "reason": reason, "by": self.ctx.user.display_name,
                                                      "at": now.isoformat()}]
        event.occurred_on, event.data = new_on, stored
        self.ctx.touch(event)
        touch_case(s, case, now)
        s.flush()
        self._settle(s, case, profile, event.action)
        self.ctx.audit(s, "procedure.amend", "procedure_event", event.id, old,
                       {"on": new_on.isoformat(), "data": stored, "reason": reason, "case_id": case.id})

    def withdraw_record(self, case_id: str, event_id: str, *, reason: str,
                        expected_version: int | None = None) -> None:
        """Withdraw (撤回) the case's latest record: the case returns to the step before it; the record is kept
        whole, with the reason, among the case's withdrawn records. ``expected_version`` as for ``amend``."""
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError("撤回记录须写明理由。")
        self.ctx.require(Permission.CASE_EDIT, action="procedure.withdraw_record", object_type="case",
                         object_id=case_id)
        try:
            self._withdraw(case_id, event_id, reason, expected_version)
        except (ProcedureRefused, ValidationError) as refusal:
            self._audit_refusal("procedure.withdraw_record", "case", case_id, refusal, event_id=event_id)
            raise
        self.ctx.changed(Changes.case(case_id))

    def _withdraw(self, case_id: str, event_id: str, reason: str, expected_version: int | None) -> None:
        with self.ctx.transaction() as s:
            case, profile, view = self._load(s, case_id)
            check_version(s, case, expected_version, "撤回记录的对话框", "撤回")
            event = self._correctable(s, case, profile, event_id, "撤回")
            if view.events[-1].id != event.id:
                raise ValidationError("只能撤回本案最新的一条记录；更早的记录可以更正。")
            now = self.ctx.clock()
            kept = {"seq": event.seq, "action": event.action, "on": event.occurred_on.isoformat(),
                    "path": event.path, "step_before": event.step_before, "step_after": event.step_after,
                    "data": event.data, "recorded_by": event.recorded_by_name or "",
                    "recorded_at": event.recorded_at.isoformat() if event.recorded_at else "",
                    "revisions": event.revisions or [], "reason": reason, "by": self.ctx.user.display_name,
                    "at": now.isoformat()}
            case.withdrawn_records = [*(case.withdrawn_records or []), kept]
            before = case.step
            case.step = event.step_before
            s.delete(event)
            touch_case(s, case, now)
            s.flush()
            self._settle(s, case, profile, event.action)
            self.ctx.audit(s, "procedure.withdraw_record", "case", case.id, {"step": before, "record": kept},
                           {"step": case.step, "reason": reason})

    def withdrawn_records(self, case_id: str) -> list[dict[str, Any]]:
        with self.ctx.transaction(Permission.CASE_READ) as s:
            case = s.get(Case, case_id)
            if case is None:
                raise ValidationError(f"找不到案件 {case_id}。")
            return [dict(r) for r in case.withdrawn_records or []]

    def _correctable(self, s: Session, case: Case, profile: Profile, event_id: str, verb: str) -> ProcedureEvent:
        event = s.get(ProcedureEvent, event_id)
        if event is None or event.case_id != case.id:
            raise ValidationError(f"找不到要{verb}的办理记录。")
        if profile.is_terminal(case.step) and not (verb == "撤回" and event.step_after == case.step):
            raise ProcedureRefused(f"案件已终结（{profile.step_label(case.step)}），记录不能再{verb}。")
        issued = [number for number, kind, source in s.execute(
            select(IssuedDocument.number, IssuedDocument.kind, ProcedureEvent.seq)
            .outerjoin(ProcedureEvent, ProcedureEvent.id == IssuedDocument.event_id)
            .where(IssuedDocument.case_id == case.id, IssuedDocument.voided_at.is_(None))
            .order_by(IssuedDocument.seq)).all()
            if source == event.seq or (event.action in document_rules.READS.get(kind, ())
                                       and (source is None or source >= event.seq))]
        if issued:
            raise ValidationError(
                f"已签发的文书{'、'.join(issued)}依据这条记录，不能直接{verb}。请先在「文书」中作废该文书（写明理由），"
                f"再{verb}记录并重新签发。")
        return event

    def _replay_check(self, profile: Profile, view: CaseView, events: list[EventView], from_seq: int,
                      calendar: WorkCalendar) -> None:
        """Run the guards again on the corrected record and every later one, each against the case as it stood
        before it. Only what the correction breaks refuses it (a rule an old record never met does not)."""
        def failures(sequence: list[EventView]) -> dict[int, str]:
            found: dict[int, str] = {}
            for index, event in enumerate(sequence):
                if event.seq < from_seq:
                    continue
                before = sequence[:index]
                step = before[-1].step_after if before else profile.procedure.initial
                prior = CaseView(view.id, view.number, view.profile_id, step, view.facts, view.respondents,
                                 tuple(before))
                try:
                    engine.evaluate(profile, prior, event.action, event.on, dict(event.data), calendar)
                except (ProcedureRefused, ValidationError) as refusal:
                    found[event.seq] = str(refusal)
            return found

        was, now = failures(list(view.events)), failures(events)
        for seq, message in now.items():
            if was.get(seq) != message:
                event = next(e for e in events if e.seq == seq)
                where = "更正后的记录" if seq == from_seq else f"此后的「{label_of(event.action)}」记录"
                raise ProcedureRefused(f"{where}不再符合规定：{message}", "")

    def _settle(self, s: Session, case: Case, profile: Profile, action: str) -> None:
        """After a correction or withdrawal: deadlines from the record, and after-effects when a decision moved."""
        view = case_view(s, case)
        if action in ("decide", "decide_appeal"):
            self._rebuild_effects(s, case.id, profile, view)
        store_deadlines(s, case, view, profile, load_calendar(s), self.ctx.clock())

    def _rebuild_effects(self, s: Session, case_id: str, profile: Profile, view: CaseView) -> None:
        """Accountability and restrictions (影响期) derived again from the decisions as they are recorded now."""
        s.execute(delete(Restriction).where(Restriction.case_id == case_id))
        s.execute(delete(Accountability).where(Accountability.case_id == case_id))
        s.flush()
        for event in view.events:
            outcome = fields.outcome_code(event.get("outcome"))
            if event.action == "decide_appeal" and outcome in (ReviewOutcome.MODIFY, ReviewOutcome.REVOKE):
                s.flush()
                self._revoke(s, case_id, event.on, f"复核/复查决定{term(outcome)}原问责决定")
            if event.action == "decide" or (event.action == "decide_appeal" and outcome == ReviewOutcome.MODIFY):
                self._hold(s, profile, case_id, decisions.resolve_forms(profile, view, event.get("forms")), event.on)
        s.flush()

