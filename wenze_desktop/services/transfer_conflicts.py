"""Conflicts kept by imports: listing them, showing both versions, and resolving one way or the other."""

from __future__ import annotations

import io
import json
import tarfile
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from wenze_desktop.domain.exchange import TransferConflict
from wenze_desktop.domain.models import Case
from wenze_desktop.errors import ValidationError
from wenze_desktop.rules.profiles import load_profile
from wenze_desktop.security.permissions import Permission
from wenze_desktop.services.calendar import load_calendar
from wenze_desktop.services.case_state import case_view, store_deadlines
from wenze_desktop.services.changes import Changes
from wenze_desktop.services.context import ServiceContext
from wenze_desktop.services.transfer_plan import CasePlan, check_record, clash, remember, rewritten_document
from wenze_desktop.transfer import archive
from wenze_desktop.transfer.package import IncomingCase
from wenze_desktop.transfer.snapshot import CaseWriter, case_record


@dataclass(frozen=True)
class ConflictInfo:
    id: str
    case_id: str
    case_number: str
    case_title: str
    reason: str
    sender_name: str
    received_at: object
    resolved_at: object | None
    resolution: str | None


class ConflictsMixin:
    ctx: ServiceContext

    def conflicts(self, include_resolved: bool = False) -> list[ConflictInfo]:
        with self.ctx.transaction(Permission.CASE_READ) as s:
            q = select(TransferConflict).order_by(TransferConflict.received_at.desc())
            if not include_resolved:
                q = q.where(TransferConflict.resolved_at.is_(None))
            return [ConflictInfo(c.id, c.case_id, c.case_number, c.case_title, c.reason, c.sender_name,
                                 c.received_at, c.resolved_at, c.resolution) for c in s.scalars(q)]

    def conflict_versions(self, conflict_id: str) -> tuple[dict | None, dict]:
        """(the local case as it is now, or None; the case as the other office sent it)."""
        with self.ctx.transaction(Permission.CASE_READ) as s:
            conflict = self._conflict(s, conflict_id)
            local = case_record(s, conflict.case_id) if s.get(Case, conflict.case_id) else None
            return local, json.loads(conflict.incoming_record)

    def resolve(self, conflict_id: str, keep: str) -> None:
        """keep="local": ours stands and counts as newer than theirs; keep="incoming": theirs replaces ours."""
        if keep not in ("local", "incoming"):
            raise ValidationError("请选择保留本地版本或采用对方版本。")
        with self.ctx.transaction(Permission.CASE_EDIT, action="transfer.resolve", object_type="case") as s:
            conflict = self._conflict(s, conflict_id)
            if conflict.resolved_at is not None:
                raise ValidationError("此冲突已经处理过。")
            record = json.loads(conflict.incoming_record)
            if keep == "incoming":
                incoming = _incoming(record)
                check_record(s, incoming)  # only the case's own rows, as at the import (ours may have moved on)
                if plan_clash := clash(s, incoming):
                    raise ValidationError(f"不能采用对方版本：{plan_clash}。")
                if rewrite := rewritten_document(s, record):
                    raise ValidationError(f"不能采用对方版本：{rewrite}。请保留本地版本，"
                                          "如文书确需更正，由签发单位作废后重新签发。")
                writer = CaseWriter(s, record)
                writer.begin()
                with tarfile.open(fileobj=io.BytesIO(conflict.incoming_files), mode="r:") as tar:
                    for member in tar:
                        writer.file(member.name, tar.extractfile(member).read())
                writer.finish()
                row = s.get(Case, conflict.case_id)
                store_deadlines(s, row, case_view(s, row), load_profile(row.regulation_id), load_calendar(s),
                                self.ctx.clock())
            for digest in (conflict.incoming_hash, conflict.local_hash):
                if digest:
                    remember(s, conflict.case_id, digest, "resolved", self.ctx)
            conflict.resolved_at, conflict.resolved_by = self.ctx.clock(), self.ctx.user.username
            conflict.resolution = "took_incoming" if keep == "incoming" else "kept_local"
            self.ctx.audit(s, "transfer.resolve", "case", conflict.case_id,
                           new={"conflict": conflict.id, "resolution": conflict.resolution,
                                "incoming_hash": conflict.incoming_hash, "from": conflict.sender_name})
            case_id = conflict.case_id
        if keep == "incoming":  # theirs replaced ours (record, parts, deadlines); keeping ours changes no case data
            self.ctx.changed(Changes.case(case_id))

    @staticmethod
    def _conflict(s: Session, conflict_id: str) -> TransferConflict:
        conflict = s.get(TransferConflict, conflict_id)
        if conflict is None:
            raise ValidationError("找不到该冲突记录。")
        return conflict


class ConflictKeeper:
    """Collects a conflicting case's files and keeps the whole incoming version beside the local one."""

    def __init__(self, session: Session, case: IncomingCase, plan: CasePlan) -> None:
        self.session, self.case, self.plan = session, case, plan
        self.buffer = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buffer, mode="w:")  # noqa: SIM115 - closed in finish()

    def file(self, sha256: str, data: bytes) -> None:
        archive.add_entry(self.tar, sha256, data)

    def finish(self) -> None:
        self.tar.close()
        c = self.case
        self.session.add(TransferConflict(
            case_id=c.id, case_number=c.number, case_title=c.title, reason=self.plan.reason, sender_name="",
            sender_fingerprint="", package_id="", package_sha256="", local_hash=self.plan.local_hash,
            incoming_hash=c.content_hash, incoming_history=c.history, incoming_record=c.record_bytes.decode(),
            incoming_files=self.buffer.getvalue()))
        self.session.flush()


def _incoming(record: dict) -> IncomingCase:
    c = record["case"]
    return IncomingCase(c["id"], c["number"], c["title"], c["regulation_id"], "", [], {}, record)
