"""The register of issued documents: reading a stored file (audited as a view, print or export), writing a copy
to a file (audited before it exists), voiding, and verifying a PDF against the register. Issued PDFs are kept byte
for byte in the encrypted database, so every copy is the identical file (``DocumentService`` issues them)."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from wenze_desktop.domain.models import Case, IssuedDocument
from wenze_desktop.errors import IntegrityFailure, ValidationError
from wenze_desktop.procedure.actions import DOCUMENT_KINDS
from wenze_desktop.security.permissions import Permission, permissions_of
from wenze_desktop.services import journal
from wenze_desktop.services.case_state import touch_case
from wenze_desktop.services.changes import Changes
from wenze_desktop.services.context import ServiceContext

CODE_PATTERN = re.compile(rb"wenze-verify:([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})")


@dataclass(frozen=True)
class IssuedInfo:
    id: str
    case_id: str
    case_number: str
    kind: str
    number: str
    title: str
    sha256: str
    size: int
    sealed: bool
    verification_code: str
    fonts: tuple[str, ...]
    issued_by: str
    issued_at: datetime
    voided_at: datetime | None = None
    void_reason: str = ""

    @property
    def label(self) -> str:
        return DOCUMENT_KINDS.get(self.kind, self.kind)


@dataclass(frozen=True)
class Verification:
    ok: bool
    message: str
    document: IssuedInfo | None = None


def _info(d: IssuedDocument, case_number: str) -> IssuedInfo:
    return IssuedInfo(d.id, d.case_id, case_number, d.kind, d.number, d.title, d.sha256, d.size, d.sealed,
                      d.verification_code, tuple(d.fonts or ()), d.issued_by, d.issued_at, d.voided_at,
                      d.void_reason or "")


class DocumentRegister:
    """The issued copies of a workspace (``DocumentService`` adds issuing)."""

    ctx: ServiceContext

    def read(self, document_id: str, *, purpose: str = "print") -> bytes:
        """The issued file exactly as issued (hash-checked); printing and saving copies are audited."""
        with self.ctx.transaction(Permission.CASE_READ) as s:
            doc, data = self._stored(s, document_id)
            self.ctx.audit(s, f"document.{purpose}", "issued_document", doc.id,
                           new={"number": doc.number, "sha256": doc.sha256})
            return data

    def export(self, document_id: str, out: str | Path) -> Path:
        """Write the issued file, exactly as issued, to ``out``: audited before the file exists (an intent, then
        the file published by an atomic rename, then the completion with its SHA-256); a process killed between
        leaves an intent the next sign-in settles, and no scratch."""
        out = Path(out).absolute()
        self.ctx.require(Permission.CASE_READ, action="document.export", object_type="issued_document",
                         object_id=document_id)
        with self.ctx.workspace.session() as s:
            doc, data = self._stored(s, document_id)
            number = doc.number
        out.parent.mkdir(parents=True, exist_ok=True)
        with journal.intended(self.ctx, "document.export", "issued_document", document_id,
                              {"number": number, "file": out.name}, product=out) as intent:
            with open(intent.part, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            intent.publish()
            intent.complete({"number": number, "file": out.name, "sha256": hashlib.sha256(data).hexdigest(),
                             "size": len(data)})
        return out

    @staticmethod
    def _stored(s: Session, document_id: str) -> tuple[IssuedDocument, bytes]:
        doc = s.get(IssuedDocument, document_id)
        if doc is None:
            raise ValidationError("找不到该文书。")
        data = doc.content
        if hashlib.sha256(data).hexdigest() != doc.sha256:
            raise IntegrityFailure(f"文书 {doc.number} 的存档与签发时的哈希不符，可能已被篡改。")
        return doc, data

    def void(self, document_id: str, reason: str) -> None:
        """Void an issued document: its number stays in the register, never to be given again."""
        reason = reason.strip()
        if not reason:
            raise ValidationError("请写明作废的理由。")
        with self.ctx.workspace.session() as s:
            doc = s.get(IssuedDocument, document_id)
            if doc is None:
                raise ValidationError("找不到该文书。")
            needed = Permission.DOCUMENT_SEAL if doc.sealed else Permission.DOCUMENT_ISSUE
        self.ctx.require(needed, action="document.void", object_type="issued_document", object_id=document_id)
        with self.ctx.transaction() as s:
            doc = s.get(IssuedDocument, document_id)
            if doc.voided_at is not None:
                raise ValidationError(f"文书 {doc.number} 已于 {doc.voided_at:%Y-%m-%d} 作废。")
            doc.voided_at, doc.voided_by, doc.void_reason = self.ctx.clock(), self.ctx.user.username, reason
            self.ctx.touch(doc)
            touch_case(s, self._case(s, doc.case_id), self.ctx.clock())
            self.ctx.audit(s, "document.void", "issued_document", doc.id,
                           new={"number": doc.number, "sha256": doc.sha256, "reason": reason})
            case_id = doc.case_id
        self.ctx.changed(Changes.case(case_id, deadlines=False))

    def verify(self, pdf: bytes) -> Verification:
        """Whether ``pdf`` is, byte for byte, a document this workspace issued (and which)."""
        granted = permissions_of(self.ctx.user.roles)
        if not granted & {Permission.CASE_READ, Permission.VERIFY}:
            self.ctx.require(Permission.CASE_READ, action="document.verify", object_type="issued_document")
        digest = hashlib.sha256(pdf).hexdigest()
        with self.ctx.transaction() as s:
            doc = s.scalars(select(IssuedDocument).where(IssuedDocument.sha256 == digest)).first()
            found = CODE_PATTERN.search(pdf)
            claimed = None if doc or not found else s.scalars(select(IssuedDocument).where(
                IssuedDocument.verification_code == found.group(1).decode())).first()
            subject = doc or claimed
            info = _info(subject, s.get(Case, subject.case_id).number) if subject else None
            if doc is not None:
                ok = doc.voided_at is None
                message = (f"真实：本工作区签发的{info.label}，文号 {doc.number}，案件 {info.case_number}，"
                           f"签发于 {doc.issued_at.astimezone():%Y-%m-%d %H:%M}，文件未被改动。")
                if not ok:
                    message += f"但该文书已于 {doc.voided_at.astimezone():%Y-%m-%d} 作废（{doc.void_reason}）。"
            elif claimed is not None:
                ok, message = False, (f"不一致：文件上的核验码属于 {claimed.number}（案件 {info.case_number}），"
                                      "但文件内容与签发时不同，已被改动或不是原件。")
            else:
                ok, message = False, "未找到：本工作区没有签发过这个文件（核验码和哈希都不匹配）。"
            self.ctx.audit(s, "document.verify", "issued_document", subject.id if subject else None,
                           new={"sha256": digest, "ok": ok}, success=ok)
            return Verification(ok, message, info)

    @staticmethod
    def _case(s: Session, case_id: str) -> Case:
        case = s.get(Case, case_id)
        if case is None:
            raise ValidationError(f"找不到案件 {case_id}。")
        return case
