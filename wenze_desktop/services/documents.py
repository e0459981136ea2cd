"""Issuing official documents: what a case can produce, preview, the plan shown before an issue (number, seal,
signing organ), issue (number, seal, verification code). The register (reprint, export, void, verify) is
``document_register.DocumentRegister``, which ``DocumentService`` extends: issued PDFs are kept byte for byte in the
encrypted database, so a reprint is the identical file.

Numbering and failure: an issue numbers, renders, stores the PDF and appends its audit entry in ONE transaction.
The number is the series' highest number this year plus one, read under the write lock; an issue that fails or
is killed before its commit leaves no row, so its number was never given and the next issue takes it — no gap
and no number used twice. Only voiding leaves a number unused, and the register keeps the voided row to explain
it. A copy written to a file (``export``) is audited before it exists (``services/journal``).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wenze_desktop import crashpoints
from wenze_desktop.documents import content, numbering
from wenze_desktop.documents.fontset import FontSet
from wenze_desktop.documents.layout import Layout
from wenze_desktop.domain.models import Case, IssuedDocument, StaffUser, WorkspaceInfo
from wenze_desktop.errors import ValidationError
from wenze_desktop.procedure import documents as rules
from wenze_desktop.procedure.actions import DOCUMENT_KINDS
from wenze_desktop.rules.profiles import load_profile
from wenze_desktop.security.permissions import Permission, permissions_of
from wenze_desktop.services.case_parts import case_details
from wenze_desktop.services.case_state import case_view, check_version, touch_case
from wenze_desktop.services.changes import Changes
from wenze_desktop.services.context import ServiceContext
from wenze_desktop.services.document_register import (  # noqa: F401  (re-exported: callers import them here)
    CODE_PATTERN,
    DocumentRegister,
    IssuedInfo,
    Verification,
    _info,
)
from wenze_desktop.services.organ import SealInfo, active_seal, letterhead, seal_image

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U to misread
Progress = Callable[[int, int, str], bool | None]  # return False to cancel


@dataclass(frozen=True)
class DocumentChoice:
    """A document this case's procedure produces, whether it can be issued now (else why), and what was issued."""

    kind: str
    label: str
    refusal: str | None
    sealed_by_default: bool
    issued: tuple[IssuedInfo, ...]
    version: int | None = None  # the case's version when listed: what an issue from this list expects
    serves: IssuedInfo | None = None  # a receipt: the issued document it accompanies now
    superseded: tuple[str, ...] = ()  # a receipt: live copies that accompanied an earlier document (the notice)

    @property
    def current(self) -> IssuedInfo | None:
        """The latest issued copy that is not voided and still serves (what a reprint prints)."""
        live = [d for d in self.issued if d.voided_at is None and d.id not in self.superseded]
        return live[-1] if live else None

    @property
    def accompanied_by_receipt(self) -> bool:
        """Whether this document is one a receipt accompanies (the clerk may issue both together)."""
        return self.kind in rules.SERVED_BY


@dataclass(frozen=True)
class IssuePlan:
    """What an issue would use, shown before the clerk confirms. The number is the one the series gives now: an
    issue passing it as ``expected_number`` is refused, nothing numbered, if another issue took it meanwhile."""

    kind: str
    label: str
    number: str
    seal: SealInfo | None  # the seal in use; None: none registered
    seal_png: bytes | None  # its image, for those who may seal
    may_seal: bool  # the user holds the sealing permission
    signer: str  # the organ the document is signed by (the decision's 决定机关 where recorded)
    letterhead_signer: str  # the letterhead's signing organ
    receipt_number: str = ""  # the receipt issued together with it, where the profile has receipts
    serves: str = ""  # a receipt: the document it accompanies ("问责决定书 测纪〔2026〕1号")

    @property
    def organ_differs(self) -> bool:
        return _plain(self.signer) != _plain(self.letterhead_signer)

    @property
    def seal_differs(self) -> bool:
        """The seal's name is neither the signing organ's nor contains it (a warning, not a refusal)."""
        return self.seal is not None and _plain(self.signer) not in _plain(self.seal.name)


def _plain(name: str) -> str:
    return "".join(str(name or "").split())


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


@dataclass
class DocumentService(DocumentRegister):
    ctx: ServiceContext

    def today(self) -> date:
        return self.ctx.clock().astimezone().date()

    # -- what a case can produce -------------------------------------------------------------------------------------

    def choices(self, case_id: str) -> list[DocumentChoice]:
        with self.ctx.transaction(Permission.CASE_READ) as s:
            case = self._case(s, case_id)
            profile, view = load_profile(case.regulation_id), case_view(s, case)
            issued = self._issued(s, case)
            live = [d.kind for d in issued if d.voided_at is None]
            result = []
            for source in rules.sources(profile):
                refusal = rules.refusal(profile, view, source.kind, live)
                copies = tuple(d for d in issued if d.kind == source.kind)
                serves, superseded = (self._receipt_state(s, profile, view, issued) if source.kind == rules.RECEIPT
                                      else (None, ()))
                result.append(DocumentChoice(
                    source.kind, source.label, str(refusal) if refusal else None,
                    source.kind in content.SEALED_BY_DEFAULT, copies, case.version, serves, superseded))
            return result

    @staticmethod
    def _receipt_target(profile, issued: list[IssuedInfo]) -> IssuedInfo | None:
        """The issued document a receipt made now accompanies (the decision over the notice)."""
        target = rules.receipt_target(profile, [d.kind for d in issued if d.voided_at is None])
        live = [d for d in issued if d.kind == target and d.voided_at is None]
        return live[-1] if live else None

    def _receipt_state(self, s: Session, profile, view, issued: list[IssuedInfo]):
        """What a receipt accompanies now, and the live receipts that accompanied something else (an earlier
        document, or an earlier copy of it): the kind from the record each rests on, the copy from the time."""
        target = self._receipt_target(profile, issued)
        actions = {e.id: e.action for e in view.events}
        rested = dict(s.execute(select(IssuedDocument.id, IssuedDocument.event_id).where(
            IssuedDocument.case_id == view.id, IssuedDocument.kind == rules.RECEIPT)).all())
        superseded = tuple(d.id for d in issued if d.kind == rules.RECEIPT and d.voided_at is None and (
            target is None or d.issued_at < target.issued_at
            or rules.served_kind(profile, actions.get(rested.get(d.id), "")) != target.kind))
        return target, superseded

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

    def plan(self, case_id: str, kind: str, *, with_receipt: bool = False) -> IssuePlan:
        """The number, seal and signing organ an issue of ``kind`` would use now (nothing is written); refused as
        the issue would be if the document cannot be made."""
        granted = permissions_of(self.ctx.user.roles)
        with self.ctx.transaction(Permission.CASE_READ) as s:
            case, head = self._case(s, case_id), letterhead(s)
            profile = load_profile(case.regulation_id)
            spec, _, _ = self._spec(s, case_id, kind, sealed=False, seq=None)
            seal, may_seal = active_seal(s), Permission.DOCUMENT_SEAL in granted
            number = self._next_number(s, case, kind)
            receipt = (self._next_number(s, case, rules.RECEIPT, taken=(number,))
                       if with_receipt and kind in rules.accompanies(profile) else "")
            target = self._receipt_target(profile, self._issued(s, case)) if kind == rules.RECEIPT else None
            signed_by_organ = spec.signature is not None and content.STYLES[kind] in ("official", "form")
            return IssuePlan(kind, DOCUMENT_KINDS[kind], number,
                             None if seal is None else SealInfo(seal.id, seal.name, seal.sha256, seal.width,
                                                                seal.height, seal.registered_by, seal.registered_at,
                                                                seal.retired_at),
                             seal_image(seal) if seal is not None and may_seal else None, may_seal,
                             spec.signature.organ if signed_by_organ else head.signer, head.signer, receipt,
                             f"{target.label} {target.number}" if target else "")

    def issue(self, case_id: str, kind: str, *, sealed: bool | None = None,
              expected_version: int | None = None, expected_number: str | None = None,
              with_receipt: bool = False) -> IssuedInfo:
        """Number, render, seal and register the document in one transaction (all or nothing).
        ``expected_version``: the case's version the clerk's list was built from (refused with ``CaseChanged``,
        nothing numbered, if the case moved on). ``expected_number``: the number the clerk was shown (refused if
        another issue took it meanwhile). ``with_receipt``: the 送达回证 that accompanies it is issued in the same
        transaction (sealed alike)."""
        sealed = kind in content.SEALED_BY_DEFAULT if sealed is None else sealed
        self.ctx.require(Permission.DOCUMENT_ISSUE, action="document.issue", object_type="case", object_id=case_id)
        if sealed:
            self.ctx.require(Permission.DOCUMENT_SEAL, action="document.seal", object_type="case", object_id=case_id)
        with self.ctx.transaction() as s:
            info = self._issue(s, case_id, kind, sealed, expected_version, expected_number)
            if with_receipt and kind in rules.accompanies(load_profile(self._case(s, case_id).regulation_id)):
                self._issue(s, case_id, rules.RECEIPT, sealed)  # a profile without receipts: nothing to add
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

    def _next_number(self, s: Session, case: Case, kind: str, taken: tuple[str, ...] = ()) -> str:
        """The number the series gives next this year (``taken``: numbers about to be given in the same issue)."""
        seq = self._next_seq(s, case, kind)
        head = letterhead(s)
        pattern = numbering.pattern_for(kind, load_profile(case.regulation_id), head.organ_code, head.kind_codes)
        while (number := numbering.render(pattern, self.today().year, seq)) in taken:
            seq += 1
        return number

    def _next_seq(self, s: Session, case: Case, kind: str) -> int:
        head = letterhead(s)
        pattern = numbering.pattern_for(kind, load_profile(case.regulation_id), head.organ_code, head.kind_codes)
        return (s.scalar(select(func.max(IssuedDocument.seq)).where(
            IssuedDocument.series == numbering.series_of(pattern), IssuedDocument.year == self.today().year))
            or 0) + 1

    def _issue(self, s: Session, case_id: str, kind: str, sealed: bool,
               expected_version: int | None = None, expected_number: str | None = None) -> IssuedInfo:
        check_version(s, self._case(s, case_id), expected_version, "本案的文书列表", "签发")
        seal = active_seal(s) if sealed else None
        if sealed and seal is None:
            raise ValidationError("尚未登记印章，不能签发盖章文书。请安全保密管理员在“管理 → 印章”中登记。")
        year = self.today().year
        case, head = self._case(s, case_id), letterhead(s)
        pattern = numbering.pattern_for(kind, load_profile(case.regulation_id), head.organ_code, head.kind_codes)
        series, seq = numbering.series_of(pattern), self._next_seq(s, case, kind)
        spec, fonts, event_id = self._spec(s, case_id, kind, sealed=sealed, seq=seq)
        if expected_number is not None and spec.number != expected_number:
            raise ValidationError(f"文号 {expected_number} 已被其他文书占用，本次没有签发，也没有占用文号。"
                                  f"现在签发将编为 {spec.number}，请重新确认。")
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
        issued = self._issued(s, case)
        refusal = rules.refusal(profile, view, kind, [d.kind for d in issued if d.voided_at is None])
        if refusal is not None:
            raise refusal.error()
        head = letterhead(s)
        number = numbering.render(numbering.pattern_for(kind, profile, head.organ_code, head.kind_codes),
                                  self.today().year, seq)
        decisions = [d for d in issued if d.kind == "decision" and d.voided_at is None]
        related, served_title, service = decisions[-1].number if decisions else "", "", None
        if kind == rules.RECEIPT:  # what it accompanies: its number and title, and its service once recorded
            target = self._receipt_target(profile, issued)
            related, served_title = target.number, target.title
            event, service = rules.basis(profile, view, kind, target.kind), rules.service_event(view, target.kind)
        else:
            event = rules.basis(profile, view, kind)
            service = rules.service_event(view, kind) if kind in content.MADE_BEFORE_SERVICE else None
        handler = s.get(StaffUser, case.handler_id) if case.handler_id else None
        facts = content.DocumentFacts(kind, profile, view, event, case_details(s, case), head, number,
                                      self.today(), sealed, related, handler.display_name if handler else "",
                                      service, served_title)
        return content.build(facts), FontSet.find(), event.id

    # -- the register ------------------------------------------------------------------------------------------------

    # -- helpers -----------------------------------------------------------------------------------------------------

    @staticmethod
    def _issued(s: Session, case: Case) -> list[IssuedInfo]:
        rows = s.scalars(select(IssuedDocument).where(IssuedDocument.case_id == case.id)
                         .order_by(IssuedDocument.issued_at, IssuedDocument.seq))
        return [_info(d, case.number) for d in rows]
