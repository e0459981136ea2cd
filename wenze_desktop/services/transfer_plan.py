"""What an incoming case would do here: new, updated, unchanged, local newer, or a conflict (and why).

A case's history is the set of content hashes it had whenever it was sent or received. If ours is in the
sender's history, theirs descends from ours (update); if theirs is in ours, ours is newer (keep ours); if
neither, both offices changed it since they last exchanged it (conflict, kept and shown, never overwritten).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from wenze_desktop.domain.exchange import CaseRevision, TransferConflict
from wenze_desktop.domain.models import Case, IssuedDocument
from wenze_desktop.transfer.package import IncomingCase
from wenze_desktop.transfer.snapshot import case_records, content_hash

NEW, UPDATED, UNCHANGED, LOCAL_NEWER, CONFLICT, KNOWN_CONFLICT = (
    "new", "updated", "unchanged", "local_newer", "conflict", "known_conflict")
LABELS = {NEW: "新增", UPDATED: "更新", UNCHANGED: "无变化", LOCAL_NEWER: "本地较新（保留本地）",
          CONFLICT: "冲突", KNOWN_CONFLICT: "冲突（已记录）"}
WRITES = (NEW, UPDATED)


@dataclass(frozen=True)
class CasePlan:
    case_id: str
    number: str
    title: str
    action: str
    reason: str = ""
    local_hash: str = ""
    incoming_hash: str = ""

    @property
    def label(self) -> str:
        return LABELS[self.action]


def classify(local_hash: str | None, local_history: set[str], incoming_hash: str, incoming_history: list[str]) -> str:
    if local_hash is None:
        return NEW
    if local_hash == incoming_hash:
        return UNCHANGED
    if local_hash in incoming_history:
        return UPDATED
    if incoming_hash in local_history:
        return LOCAL_NEWER
    return CONFLICT


class Planner:
    """Plans every case of one package. What is already here — which of its cases, their content hashes and
    histories, which of its case numbers are taken — is read once for the whole package, in chunks."""

    def __init__(self, session: Session, cases: list[IncomingCase], chunk: int = 400) -> None:
        self.session = session
        ids, numbers = [c.id for c in cases], [c.number for c in cases]
        self.numbers: dict[str, str] = {}  # case number → the local case holding it
        self.local_hash: dict[str, str] = {}
        self.history: dict[str, set[str]] = {}
        for i in range(0, len(ids), chunk):
            self.numbers.update((number, case_id) for number, case_id in session.execute(
                select(Case.number, Case.id).where(Case.number.in_(numbers[i:i + chunk]))))
            for case_id, (record, _) in case_records(session, ids[i:i + chunk]).items():
                self.local_hash[case_id] = content_hash(record)
            for case_id, digest in session.execute(select(CaseRevision.case_id, CaseRevision.content_hash).where(
                    CaseRevision.case_id.in_(ids[i:i + chunk]))):
                self.history.setdefault(case_id, set()).add(digest)

    def plan(self, case: IncomingCase) -> CasePlan:
        local_hash = self.local_hash.get(case.id)
        action = classify(local_hash, self.history.get(case.id, set()), case.content_hash, case.history)
        reason = ""
        if action == CONFLICT:
            reason = "双方在上次交换后都修改了此案件"
        elif action in WRITES:
            reason = self.clash(case)
            if reason:
                action = CONFLICT
        if action == CONFLICT and self.session.scalars(select(TransferConflict.id).where(
                TransferConflict.case_id == case.id, TransferConflict.incoming_hash == case.content_hash)).first():
            action = KNOWN_CONFLICT
        return CasePlan(case.id, case.number, case.title, action, reason, local_hash or "", case.content_hash)

    def clash(self, case: IncomingCase) -> str:
        return clash(self.session, case, self.numbers)


def clash(session: Session, case: IncomingCase, numbers: dict[str, str] | None = None) -> str:
    """Unique things the incoming case would take from another local case: its number, a document number.
    ``numbers`` (number → case id) are the package's numbers as they were before it (a clash with a case the
    package renumbers is a conflict too); without them the database is asked."""
    if numbers is None:
        numbers = {number: case_id for number, case_id in session.execute(
            select(Case.number, Case.id).where(Case.number == case.number))}
    if numbers.get(case.number, case.id) != case.id:
        return f"案件编号 {case.number} 已被本单位另一案件使用"
    for doc in case.record.get("documents", []):
        taken = session.scalars(select(IssuedDocument.number).where(
            IssuedDocument.id != doc["id"],
            or_(IssuedDocument.number == doc["number"], IssuedDocument.verification_code == doc["verification_code"],
                (IssuedDocument.series == doc["series"]) & (IssuedDocument.year == doc["year"])
                & (IssuedDocument.seq == doc["seq"])))).first()
        if taken is not None:
            return f"文书 {doc['number']} 与本单位已有文书 {taken} 的文号或核验码重复"
    return ""


def remember(s: Session, case_id: str, digest: str, origin: str, ctx) -> None:
    if s.get(CaseRevision, (case_id, digest)) is None:
        s.add(CaseRevision(case_id=case_id, content_hash=digest, origin=origin, recorded_at=ctx.clock()))
