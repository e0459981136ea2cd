"""A case's attachments: added (size and name checked, SHA-256 kept), removed unless something cites them, read
back against their hash. Mixed into CaseService, whose ``_editable_case``, ``_touch``, ``_part`` and
``_get`` it uses."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from wenze_desktop.domain.models import Attachment, Evidence, ProcedureEvent
from wenze_desktop.errors import IntegrityFailure, ValidationError
from wenze_desktop.security.permissions import Permission
from wenze_desktop.services.case_parts import ATTACHMENT_FIELDS
from wenze_desktop.services.changes import Changes
from wenze_desktop.services.context import ServiceContext, snapshot

MAX_ATTACHMENT_BYTES = 200 * 1024 * 1024


class CaseAttachmentsMixin:
    ctx: ServiceContext

    def add_attachment(self, case_id: str, filename: str, content: bytes,
                       media_type: str = "application/octet-stream") -> str:
        self._check_attachment_file(filename, content)
        with self.ctx.transaction(Permission.CASE_EDIT, action="attachment.create", object_type="attachment") as s:
            attachment_id = self._add_attachment(s, case_id, filename, content, media_type).id
        self.ctx.changed(Changes.case(case_id))
        return attachment_id

    @staticmethod
    def _check_attachment_file(filename: str, content: bytes) -> None:
        if len(content) > MAX_ATTACHMENT_BYTES:
            raise ValidationError(f"附件「{filename}」超过 {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB，"
                                  "请压缩或拆分后再添加。")
        if not filename.strip():
            raise ValidationError("附件的文件名不能为空。")

    def _add_attachment(self, s: Session, case_id: str, filename: str, content: bytes,
                        media_type: str) -> Attachment:
        self._check_attachment_file(filename, content)
        self._touch(s, self._editable_case(s, case_id))
        attachment = Attachment(case_id=case_id, filename=filename, media_type=media_type, size=len(content),
                                sha256=hashlib.sha256(content).hexdigest(), content=content,
                                updated_at=self.ctx.clock())
        s.add(attachment)
        s.flush()
        self.ctx.audit(s, "attachment.create", "attachment", attachment.id,
                       new=snapshot(attachment, ATTACHMENT_FIELDS))
        return attachment

    def remove_attachment(self, attachment_id: str) -> None:
        with self.ctx.transaction(Permission.CASE_EDIT, action="attachment.delete", object_type="attachment",
                                  object_id=attachment_id) as s:
            case_id = self._remove_attachment(s, attachment_id)
        self.ctx.changed(Changes.case(case_id))

    def _remove_attachment(self, s: Session, attachment_id: str, case_id: str | None = None) -> str:
        """Refused while an item of the evidence list points to the file, or a procedure record names it (the
        scan of a signed 呈批表): the record must keep what it cites."""
        attachment = self._part(s, Attachment, attachment_id, case_id)
        case = self._editable_case(s, attachment.case_id)
        s.flush()
        used_by = s.scalars(select(Evidence.title).where(Evidence.attachment_id == attachment_id)).first()
        if used_by is not None:
            raise ValidationError(f"附件「{attachment.filename}」是证据「{used_by}」的对应附件，"
                                  "请先修改该证据再删除附件。")
        events = s.scalars(select(ProcedureEvent.data).where(ProcedureEvent.case_id == attachment.case_id))
        if any(attachment_id in json.dumps(data, ensure_ascii=False, default=str) for data in events):
            raise ValidationError(f"附件「{attachment.filename}」已被办理记录引用（如呈批表扫描件），不能删除。")
        old = snapshot(attachment, ATTACHMENT_FIELDS)
        self._touch(s, case)
        s.delete(attachment)
        self.ctx.audit(s, "attachment.delete", "attachment", attachment_id, old, {})
        return old["case_id"]

    def read_attachment(self, attachment_id: str) -> tuple[str, bytes]:
        """The file's name and bytes, after checking them against the stored SHA-256."""
        with self.ctx.transaction(Permission.CASE_READ) as s:
            attachment = self._get(s, Attachment, attachment_id)
            content = attachment.content
            if hashlib.sha256(content).hexdigest() != attachment.sha256:
                raise IntegrityFailure(f"附件「{attachment.filename}」的内容与登记的哈希不符，可能已损坏。")
            return attachment.filename, content
