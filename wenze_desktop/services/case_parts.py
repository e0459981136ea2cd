"""A case's parts beyond the record itself: the read model of a whole case, the write model of the case form
(``CaseSave``, stored by ``CaseService.save_case`` in one transaction), the evidence list.

``CaseService`` mixes ``CasePartsMixin`` in; the methods use its ``ctx`` and ``_get``/``_part``/``_editable_case``
helpers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wenze_desktop.domain.models import Attachment, Case, Clue, Evidence, Respondent
from wenze_desktop.errors import ValidationError
from wenze_desktop.security.permissions import Permission
from wenze_desktop.services.changes import Changes
from wenze_desktop.services.context import ServiceContext, snapshot

# 证据种类 as the evidence list names them; free text is allowed for what the list lacks.
EVIDENCE_KINDS = ("书证", "物证", "证人证言", "当事人陈述", "视听资料", "电子数据", "鉴定意见", "勘验笔录、现场笔录")
EVIDENCE_FIELDS = ["case_id", "seq", "title", "kind", "source", "collected_on", "note", "attachment_id"]
ATTACHMENT_FIELDS = ["case_id", "filename", "media_type", "size", "sha256"]


# -- read model (plain values, safe to hand to the GUI after the session has closed) ------------------------------

@dataclass(frozen=True)
class ClueInfo:
    id: str
    source: str
    received_on: date
    provider: str
    content: str


@dataclass(frozen=True)
class RespondentInfo:
    id: str
    kind: str
    name: str
    gender: str | None = None
    ethnicity: str | None = None
    birth_date: date | None = None
    unit: str | None = None
    post: str | None = None
    rank: str | None = None
    principal: str | None = None
    id_number: str | None = None
    role: str | None = None
    responsibility: str | None = None


@dataclass(frozen=True)
class EvidenceInfo:
    id: str
    seq: int
    title: str
    kind: str
    source: str
    collected_on: date | None
    note: str
    attachment_id: str | None


@dataclass(frozen=True)
class AttachmentInfo:
    id: str
    filename: str
    media_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class CaseDetails:
    id: str
    number: str
    title: str
    regulation_id: str
    step: str
    handler_id: str | None
    facts: str
    next_due: date | None
    version: int
    clues: tuple[ClueInfo, ...]
    respondents: tuple[RespondentInfo, ...]
    evidence: tuple[EvidenceInfo, ...]
    attachments: tuple[AttachmentInfo, ...]

    @property
    def clue(self) -> ClueInfo | None:
        """The case's first clue (the one the case was opened on)."""
        return self.clues[0] if self.clues else None


def _respondent_info(r: Respondent) -> RespondentInfo:
    return RespondentInfo(r.id, r.kind, r.name, r.gender, r.ethnicity, r.birth_date, r.unit, r.post, r.rank,
                          r.principal, r.id_number, r.role, r.responsibility)


def _attachment_info(a: Attachment) -> AttachmentInfo:
    return AttachmentInfo(a.id, a.filename, a.media_type, a.size, a.sha256)


def _evidence_fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - {"title", "kind", "source", "collected_on", "note", "attachment_id"}
    if unknown:
        raise ValidationError(f"证据没有这些字段：{', '.join(sorted(unknown))}")
    if "title" in fields:
        fields["title"] = str(fields["title"] or "").strip()
        if not fields["title"]:
            raise ValidationError("证据名称不能为空。")
    if "kind" in fields:
        fields["kind"] = str(fields["kind"] or "").strip()
        if not fields["kind"]:
            raise ValidationError("证据种类不能为空。")
    if isinstance(fields.get("collected_on"), str):
        fields["collected_on"] = date.fromisoformat(fields["collected_on"]) if fields["collected_on"] else None
    for key in ("source", "note"):
        if key in fields:
            fields[key] = str(fields[key] or "")
    return fields


def case_details(s: Session, case: Case) -> CaseDetails:
    clues = s.scalars(select(Clue).where(Clue.case_id == case.id).order_by(Clue.received_on, Clue.id))
    respondents = s.scalars(select(Respondent).where(Respondent.case_id == case.id)
                            .order_by(Respondent.kind, Respondent.name))
    evidence = s.scalars(select(Evidence).where(Evidence.case_id == case.id).order_by(Evidence.seq))
    attachments = s.scalars(select(Attachment).where(Attachment.case_id == case.id)
                            .order_by(Attachment.filename, Attachment.id))
    return CaseDetails(
        id=case.id, number=case.number, title=case.title, regulation_id=case.regulation_id, step=case.step,
        handler_id=case.handler_id, facts=case.facts or "", next_due=case.next_due, version=case.version,
        clues=tuple(ClueInfo(c.id, c.source, c.received_on, c.provider or "", c.content or "") for c in clues),
        respondents=tuple(_respondent_info(r) for r in respondents),
        evidence=tuple(EvidenceInfo(e.id, e.seq, e.title, e.kind, e.source or "", e.collected_on, e.note or "",
                                    e.attachment_id) for e in evidence),
        attachments=tuple(_attachment_info(a) for a in attachments))


# -- write model: the whole case form, plain values (no Qt), for ``CaseService.save_case`` --------------------------

@dataclass(frozen=True)
class RespondentEntry:
    fields: dict[str, Any]  # the kind and that kind's fields ("" or None: not recorded)
    id: str | None = None  # None: to be added
    key: str = ""  # names a respondent to be added in ``SavedCase.ids``


@dataclass(frozen=True)
class AttachmentEntry:
    """A file to be added to the case."""

    key: str  # evidence added or changed in the same save may point to the file by this key
    filename: str
    content: bytes
    media_type: str = "application/octet-stream"


@dataclass(frozen=True)
class EvidenceEntry:
    fields: dict[str, Any]  # title, kind, source, collected_on, note
    attachment: str | None = None  # a stored attachment's id, or the key of an ``AttachmentEntry`` of this save
    id: str | None = None  # None: to be added
    key: str = ""


@dataclass(frozen=True)
class CaseSave:
    """Everything the case form stores. ``case_id is None``: a new case (``number`` empty: numbered by the
    service). For a stored case the regulation is not changed; ``respondents``/``evidence`` are the whole lists
    (stored entries are updated — an unchanged one writes nothing), ``removed_*`` the stored parts to delete."""

    regulation_id: str
    title: str
    clue: dict[str, Any]  # source, received_on, provider, content
    number: str = ""
    facts: str = ""
    case_id: str | None = None
    clue_id: str | None = None
    version: int | None = None  # the case's version the form was built from (None: whatever it is now)
    respondents: tuple[RespondentEntry, ...] = ()
    removed_respondents: tuple[str, ...] = ()
    attachments: tuple[AttachmentEntry, ...] = ()  # to be added
    removed_attachments: tuple[str, ...] = ()
    evidence: tuple[EvidenceEntry, ...] = ()
    removed_evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class SavedCase:
    case_id: str
    number: str
    created: bool
    clue_id: str | None = None
    ids: dict[str, str] = field(default_factory=dict)  # key of each added respondent/attachment/evidence → its id
    version: int | None = None  # the case's version once stored (what the form's next save starts from)


class CasePartsMixin:
    ctx: ServiceContext

    # provided by CaseService
    @staticmethod
    def _get(session: Session, model, record_id: str): ...  # pragma: no cover

    def _touch(self, session: Session, case: Case) -> None: ...  # pragma: no cover

    @classmethod
    def _part(cls, session: Session, model, record_id: str, case_id: str | None): ...  # pragma: no cover

    def _editable_case(self, session: Session, case_id: str) -> Case: ...  # pragma: no cover

    # -- reading ---------------------------------------------------------------------------------------------------

    def details(self, case_id: str) -> CaseDetails:
        """Everything the case form shows, as plain frozen values (attachment content is not loaded)."""
        with self.ctx.transaction(Permission.CASE_READ) as s:
            return case_details(s, self._get(s, Case, case_id))

    def list_attachments(self, case_id: str) -> list[AttachmentInfo]:
        with self.ctx.transaction(Permission.CASE_READ) as s:
            self._get(s, Case, case_id)
            return list(case_details(s, self._get(s, Case, case_id)).attachments)

    # -- evidence list ---------------------------------------------------------------------------------------------

    def add_evidence(self, case_id: str, title: str, kind: str = "书证", source: str = "",
                     collected_on: date | None = None, note: str = "", attachment_id: str | None = None) -> str:
        fields = _evidence_fields(dict(title=title, kind=kind, source=source, collected_on=collected_on, note=note,
                                       attachment_id=attachment_id))
        with self.ctx.transaction(Permission.CASE_EDIT, action="evidence.create", object_type="evidence") as s:
            evidence_id = self._add_evidence(s, case_id, fields).id
        self.ctx.changed(Changes.case(case_id))
        return evidence_id

    def _add_evidence(self, s: Session, case_id: str, fields: dict[str, Any]) -> Evidence:
        """``fields``: checked by ``_evidence_fields``; numbered after the case's last item."""
        self._touch(s, self._editable_case(s, case_id))
        self._check_attachment(s, case_id, fields.get("attachment_id"))
        seq = (s.scalar(select(func.max(Evidence.seq)).where(Evidence.case_id == case_id)) or 0) + 1
        item = Evidence(case_id=case_id, seq=seq, updated_at=self.ctx.clock(), **fields)
        s.add(item)
        s.flush()
        self.ctx.audit(s, "evidence.create", "evidence", item.id, new=snapshot(item, EVIDENCE_FIELDS))
        return item

    def update_evidence(self, evidence_id: str, **fields: Any) -> None:
        fields = _evidence_fields(dict(fields))
        with self.ctx.transaction(Permission.CASE_EDIT, action="evidence.update", object_type="evidence",
                                  object_id=evidence_id) as s:
            case_id = self._update_evidence(s, evidence_id, fields).case_id
        self.ctx.changed(Changes.case(case_id))

    def _update_evidence(self, s: Session, evidence_id: str, fields: dict[str, Any],
                         case_id: str | None = None) -> Evidence:
        item = self._part(s, Evidence, evidence_id, case_id)
        case = self._editable_case(s, item.case_id)
        if "attachment_id" in fields:
            self._check_attachment(s, item.case_id, fields["attachment_id"])
        if self.ctx.update(s, item, EVIDENCE_FIELDS, fields, "evidence.update", "evidence"):
            self._touch(s, case)
        return item

    def remove_evidence(self, evidence_id: str) -> None:
        with self.ctx.transaction(Permission.CASE_EDIT, action="evidence.delete", object_type="evidence",
                                  object_id=evidence_id) as s:
            case_id = self._remove_evidence(s, evidence_id)
        self.ctx.changed(Changes.case(case_id))

    def _remove_evidence(self, s: Session, evidence_id: str, case_id: str | None = None) -> str:
        item = self._part(s, Evidence, evidence_id, case_id)
        case_id = item.case_id
        self._touch(s, self._editable_case(s, case_id))
        old = snapshot(item, EVIDENCE_FIELDS)
        s.delete(item)
        s.flush()
        # The list stays numbered 1, 2, 3 … as it will be printed.
        renumbered = {}
        rest = s.scalars(select(Evidence).where(Evidence.case_id == case_id).order_by(Evidence.seq))
        for seq, other in enumerate(rest, start=1):
            if other.seq != seq:
                renumbered[other.id] = [other.seq, seq]
                other.seq = seq
                self.ctx.touch(other)
        self.ctx.audit(s, "evidence.delete", "evidence", evidence_id, old, {"renumbered": renumbered})
        return case_id

    @staticmethod
    def _check_attachment(session: Session, case_id: str, attachment_id: str | None) -> None:
        if attachment_id is None:
            return
        attachment = session.get(Attachment, attachment_id)
        if attachment is None or attachment.case_id != case_id:
            raise ValidationError("证据所附的附件不属于本案件。")
