"""Issuing official documents: preview, issue (number, seal, verification code), the register, reprint, void and
verify. Issued PDFs are kept byte for byte in the encrypted database, so a reprint is the identical file.

Numbering and failure: an issue numbers, renders, stores the PDF and appends its audit entry in ONE transaction.
The number is the series' highest number this year plus one, read under the write lock; an issue that fails or
is killed before its commit leaves no row, so its number was never given and the next issue takes it — no gap
and no number used twice. Only voiding leaves a number unused, and the register keeps the voided row to explain
it. A copy written to a file (``export``) is audited before it exists (``services/journal``).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wenze_desktop import crashpoints
from wenze_desktop.documents import content, numbering
from wenze_desktop.documents.fontset import FontSet
from wenze_desktop.documents.layout import Layout
from wenze_desktop.domain.models import Case, IssuedDocument, StaffUser, WorkspaceInfo
from wenze_desktop.errors import IntegrityFailure, ValidationError
from wenze_desktop.procedure import documents as rules
from wenze_desktop.procedure.actions import DOCUMENT_KINDS
from wenze_desktop.rules.profiles import load_profile
from wenze_desktop.security.permissions import Permission, permissions_of
from wenze_desktop.services import journal
from wenze_desktop.services.case_parts import case_details
from wenze_desktop.services.case_state import case_view, check_version, touch_case
from wenze_desktop.services.changes import Changes
from wenze_desktop.services.context import ServiceContext
from wenze_desktop.services.organ import active_seal, letterhead, seal_image

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U to misread
CODE_PATTERN = re.compile(rb"wenze-verify:([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})")
Progress = Callable[[int, int, str], bool | None]  # return False to cancel


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
class DocumentChoice:
    """A document this case's procedure produces, whether it can be issued now (else why), and what was issued."""

    kind: str
    label: str
    refusal: str | None
    sealed_by_default: bool
    issued: tuple[IssuedInfo, ...]
    version: int | None = None  # the case's version when listed: what an issue from this list expects

    @property
    def current(self) -> IssuedInfo | None:
        """The latest issued copy that is not voided (what a reprint prints)."""
        live = [d for d in self.issued if d.voided_at is None]
        return live[-1] if live else None


@dataclass(frozen=True)
class Verification:
    ok: bool
    message: str
    document: IssuedInfo | None = None


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _info(d: IssuedDocument, case_number: str) -> IssuedInfo:
    return IssuedInfo(d.id, d.case_id, case_number, d.kind, d.number, d.title, d.sha256, d.size, d.sealed,
                      d.verification_code, tuple(d.fonts or ()), d.issued_by, d.issued_at, d.voided_at,
                      d.void_reason or "")


@dataclass
class DocumentService:
    ctx: ServiceContext

    def today(self) -> date:
        return self.ctx.clock().astimezone().date()

    # -- what a case can produce -------------------------------------------------------------------------------------

    def choices(self, case_id: str) -> list[DocumentChoice]:
        with self.ctx.transaction(Permission.CASE_READ) as s:
            case = self._case(s, case_id)
            profile, view = load_profile(case.regulation_id), case_view(s, case)
            issued = self._issued(s, case)
            result = []
            for source in rules.sources(profile):
                refusal = rules.refusal(profile, view, source.kind)
                result.append(DocumentChoice(
                    source.kind, source.label, str(refusal) if refusal else None,
                    source.kind in content.SEALED_BY_DEFAULT,
                    tuple(d for d in issued if d.kind == source.kind), case.version))
            return result

    def issued(self, case_id: str) -> list[IssuedInfo]:
        with self.ctx.transaction(Permission.CASE_READ) as s:
            return self._issued(s, self._case(s, case_id))

    # -- preview, issue ----------------------------------------------------------------------------------------------

    def preview(self, case_id: str, kind: str) -> bytes:
        """The document as it would be issued, unnumbered, unsealed and marked 预览稿 (nothing is stored)."""
        with self.ctx.transaction(Permission.CASE_READ) as s:
            spec, fonts, _ = self._spec(s, case_id, kind, sealed=False, seq=None)
        spec = replace(spec, watermark="预览稿")
        return Layout(spec, fonts).render()

    def issue(self, case_id: str, kind: str, *, sealed: bool | None = None,
              expected_version: int | None = None) -> IssuedInfo:
        """Number, render, seal and register the document in one transaction (all or nothing).
        ``expected_version``: the case's version the clerk's list was built from (refused with ``CaseChanged``,
        nothing numbered, if the case moved on)."""
        sealed = kind in content.SEALED_BY_DEFAULT if sealed is None else sealed
        self.ctx.require(Permission.DOCUMENT_ISSUE, action="document.issue", object_type="case", object_id=case_id)
        if sealed:
            self.ctx.require(Permission.DOCUMENT_SEAL, action="document.seal", object_type="case", object_id=case_id)
        with self.ctx.transaction() as s:
            info = self._issue(s, case_id, kind, sealed, expected_version)
        crashpoints.step("document.issue/committed")
        self.ctx.changed(Changes.case(case_id, deadlines=False))  # once committed: the case's documents changed
        return info

    def issue_batch(self, requests: list[tuple[str, str]], *, sealed: bool | None = None,
                    progress: Progress | None = None) -> list[IssuedInfo]:
        """Issue many documents ((case_id, kind) pairs), each in its own transaction; stops when progress says
        so. A refusal stops the batch with what was issued so far kept (each document stands on its own)."""
        done: list[IssuedInfo] = []
        for i, (case_id, kind) in enumerate(requests):
            if progress is not None and progress(i, len(requests), DOCUMENT_KINDS.get(kind, kind)) is False:
                break
            done.append(self.issue(case_id, kind, sealed=sealed))
        if progress is not None:
            progress(len(done), len(requests), "完成")
        return done

    def _issue(self, s: Session, case_id: str, kind: str, sealed: bool,
               expected_version: int | None = None) -> IssuedInfo:
        check_version(s, self._case(s, case_id), expected_version, "本案的文书列表", "签发")
        seal = active_seal(s) if sealed else None
        if sealed and seal is None:
            raise ValidationError("尚未登记印章，不能签发盖章文书。请安全保密管理员在“管理 → 印章”中登记。")
        year = self.today().year
        case, head = self._case(s, case_id), letterhead(s)
        pattern = numbering.pattern_for(kind, load_profile(case.regulation_id), head.organ_code, head.kind_codes)
        series = numbering.series_of(pattern)
        seq = (s.scalar(select(func.max(IssuedDocument.seq)).where(IssuedDocument.series == series,
                                                                   IssuedDocument.year == year)) or 0) + 1
        spec, fonts, event_id = self._spec(s, case_id, kind, sealed=sealed, seq=seq)
        code = new_code()
        workspace_id = s.scalars(select(WorkspaceInfo.id)).one()
        spec = replace(spec, verification_code=code, qr_payload=f"WZDOC|{workspace_id}|{spec.number}|{code}")
        pdf = Layout(spec, fonts, seal_image(seal) if seal else None).render()
        digest = hashlib.sha256(pdf).hexdigest()
        doc = IssuedDocument(case_id=case_id, event_id=event_id, kind=kind, series=series, year=year, seq=seq,
                             number=spec.number, title=spec.title, verification_code=code, sha256=digest,
                             size=len(pdf), content=pdf, sealed=sealed, seal_id=seal.id if seal else None,
                             fonts=fonts.families(), issued_by=self.ctx.user.username, issued_at=self.ctx.clock())
        s.add(doc)
        s.flush()
        touch_case(s, case, self.ctx.clock())
        self.ctx.audit(s, "document.seal" if sealed else "document.issue", "issued_document", doc.id,
                       new={"case": case.number, "kind": kind, "number": doc.number, "sha256": digest,
                            "size": len(pdf), "verification_code": code,
                            "seal_sha256": seal.sha256 if seal else None, "fonts": doc.fonts})
        crashpoints.step("document.issue/registered")  # numbered, stored and audited, not yet committed
        return _info(doc, case.number)

    def _spec(self, s: Session, case_id: str, kind: str, *, sealed: bool, seq: int | None):
        if kind not in DOCUMENT_KINDS:
            raise ValidationError(f"未知的文书种类「{kind}」。可选：{'、'.join(DOCUMENT_KINDS)}")
        case = self._case(s, case_id)
        profile, view = load_profile(case.regulation_id), case_view(s, case)
        refusal = rules.refusal(profile, view, kind)
        if refusal is not None:
            raise refusal.error()
        event = rules.source_event(view, rules.source_of(profile, kind))
        head = letterhead(s)
        number = numbering.render(numbering.pattern_for(kind, profile, head.organ_code, head.kind_codes),
                                  self.today().year, seq)
        related = s.scalars(select(IssuedDocument.number).where(
            IssuedDocument.case_id == case_id, IssuedDocument.kind == "decision",
            IssuedDocument.voided_at.is_(None)).order_by(IssuedDocument.issued_at.desc())).first() or ""
        handler = s.get(StaffUser, case.handler_id) if case.handler_id else None
        facts = content.DocumentFacts(kind, profile, view, event, case_details(s, case), head, number,
                                      self.today(), sealed, related, handler.display_name if handler else "")
        return content.build(facts), FontSet.find(), event.id

    # -- the register ------------------------------------------------------------------------------------------------

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

    # -- helpers -----------------------------------------------------------------------------------------------------

    @staticmethod
    def _case(s: Session, case_id: str) -> Case:
        case = s.get(Case, case_id)
        if case is None:
            raise ValidationError(f"找不到案件 {case_id}。")
        return case

    @staticmethod
    def _issued(s: Session, case: Case) -> list[IssuedInfo]:
        rows = s.scalars(select(IssuedDocument).where(IssuedDocument.case_id == case.id)
                         .order_by(IssuedDocument.issued_at, IssuedDocument.seq))
        return [_info(d, case.number) for d in rows]
