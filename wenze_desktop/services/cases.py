"""Cases and their parts: clues, respondents, attachments. (The procedure engine adds steps on top.)"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from wenze_desktop.domain.glossary import ClueSource, Gender, RespondentKind, term
from wenze_desktop.domain.models import Attachment, Case, Clue, Respondent
from wenze_desktop.errors import IntegrityFailure, ValidationError
from wenze_desktop.rules.profiles import load_profile
from wenze_desktop.security.permissions import Permission
from wenze_desktop.services.context import ServiceContext, changed, snapshot

CASE_FIELDS = ["number", "title", "regulation_id", "step", "handler_id", "facts"]
PERSON_FIELDS = {"name", "gender", "ethnicity", "birth_date", "unit", "post", "rank", "id_number"}
UNIT_FIELDS = {"name", "principal"}
MAX_ATTACHMENT_BYTES = 200 * 1024 * 1024


@dataclass
class CaseService:
    ctx: ServiceContext

    def create_case(self, number: str, title: str, regulation_id: str, facts: str = "") -> str:
        if not number.strip() or not title.strip():
            raise ValidationError("案件编号和案件名称不能为空。")
        load_profile(regulation_id)
        with self.ctx.transaction(Permission.CASE_EDIT, action="case.create", object_type="case") as s:
            if s.scalars(select(Case.id).where(Case.number == number)).first():
                raise ValidationError(f"案件编号「{number}」已被使用。")
            now = self.ctx.clock()
            case = Case(number=number, title=title, regulation_id=regulation_id, facts=facts,
                        handler_id=self.ctx.user.id, created_at=now, updated_at=now)
            s.add(case)
            s.flush()
            self.ctx.audit(s, "case.create", "case", case.id, new=snapshot(case, CASE_FIELDS))
            return case.id

    def create(self, profile: str, title: str, clue_source: str, received_on: date, *,
               respondents: list[dict[str, Any]] = (), number: str | None = None, facts: str = "",
               provider: str = "", clue_content: str = "") -> str:
        """A new case under a regulation, with its clue and respondents, in one transaction. Returns its id."""
        regulation = load_profile(profile)
        ClueSource(clue_source)
        if not title.strip():
            raise ValidationError("案件名称不能为空。")
        checked = [self._respondent_fields(dict(r), regulation.applies_to, regulation.short_title)
                   for r in respondents]
        with self.ctx.transaction(Permission.CASE_EDIT, action="case.create", object_type="case") as s:
            number = number or self._next_number(s, regulation.id, received_on.year)
            if s.scalars(select(Case.id).where(Case.number == number)).first():
                raise ValidationError(f"案件编号「{number}」已被使用。")
            now = self.ctx.clock()
            case = Case(number=number, title=title.strip(), regulation_id=regulation.id, facts=facts,
                        step=regulation.procedure.initial, handler_id=self.ctx.user.id, created_at=now,
                        updated_at=now)
            case.clues.append(Clue(source=clue_source, received_on=received_on, provider=provider,
                                   content=clue_content, updated_at=now))
            case.respondents.extend(Respondent(kind=kind, updated_at=now, **fields) for kind, fields in checked)
            s.add(case)
            s.flush()
            self.ctx.audit(s, "case.create", "case", case.id, new={
                **snapshot(case, CASE_FIELDS), "clue_source": clue_source, "received_on": received_on,
                "respondents": [fields["name"] for _, fields in checked]})
            return case.id

    @staticmethod
    def _next_number(session, profile_id: str, year: int) -> str:
        prefix = f"{profile_id}-{year}-"
        taken = session.scalars(select(Case.number).where(Case.number.like(prefix + "%"))).all()
        serial = max((int(n[len(prefix):]) for n in taken if n[len(prefix):].isdigit()), default=0) + 1
        return f"{prefix}{serial:04d}"

    @staticmethod
    def _respondent_fields(fields: dict[str, Any], kinds: tuple[str, ...], regulation: str) -> tuple[str, dict]:
        kind = RespondentKind(fields.pop("kind", RespondentKind.PERSON))
        if kind not in kinds:
            raise ValidationError(f"《{regulation}》不适用于{term(kind)}被问责对象。")
        allowed = PERSON_FIELDS if kind is RespondentKind.PERSON else UNIT_FIELDS
        unknown = set(fields) - allowed
        if unknown:
            raise ValidationError(f"{term(kind)}被问责对象没有这些字段：{', '.join(sorted(unknown))}")
        if not str(fields.get("name", "")).strip():
            raise ValidationError("被问责对象的姓名（单位全称）不能为空。")
        if fields.get("gender") is not None:
            Gender(fields["gender"])
        if isinstance(fields.get("birth_date"), str):
            fields["birth_date"] = date.fromisoformat(fields["birth_date"])
        return str(kind), fields

    def update_case(self, case_id: str, **changes: Any) -> None:
        unknown = set(changes) - set(CASE_FIELDS)
        if unknown:
            raise ValidationError(f"不能修改的字段：{', '.join(sorted(unknown))}")
        with self.ctx.transaction(Permission.CASE_EDIT, action="case.update", object_type="case",
                                  object_id=case_id) as s:
            case = self._get(s, Case, case_id)
            old = snapshot(case, CASE_FIELDS)
            for key, value in changes.items():
                setattr(case, key, value)
            self.ctx.touch(case)
            before, after = changed(old, snapshot(case, CASE_FIELDS))
            self.ctx.audit(s, "case.update", "case", case_id, before, after)

    def get_case(self, case_id: str) -> Case:
        with self.ctx.transaction(Permission.CASE_READ) as s:
            return self._get(s, Case, case_id)

    def add_clue(self, case_id: str | None, source: str, received_on: date, provider: str = "",
                 content: str = "") -> str:
        ClueSource(source)
        with self.ctx.transaction(Permission.CASE_EDIT, action="clue.create", object_type="clue") as s:
            clue = Clue(case_id=case_id, source=source, received_on=received_on, provider=provider,
                        content=content, updated_at=self.ctx.clock())
            s.add(clue)
            s.flush()
            self.ctx.audit(s, "clue.create", "clue", clue.id, new=snapshot(clue))
            return clue.id

    def add_respondent(self, case_id: str, kind: str, **fields: Any) -> str:
        with self.ctx.transaction(Permission.CASE_EDIT, action="respondent.create", object_type="respondent") as s:
            case = self._get(s, Case, case_id)
            regulation = load_profile(case.regulation_id)
            kind, fields = self._respondent_fields({**fields, "kind": kind}, regulation.applies_to,
                                                   regulation.short_title)
            respondent = Respondent(case_id=case_id, kind=kind, updated_at=self.ctx.clock(), **fields)
            s.add(respondent)
            s.flush()
            self.ctx.audit(s, "respondent.create", "respondent", respondent.id, new=snapshot(respondent))
            return respondent.id

    def add_attachment(self, case_id: str, filename: str, content: bytes,
                       media_type: str = "application/octet-stream") -> str:
        if len(content) > MAX_ATTACHMENT_BYTES:
            raise ValidationError(f"附件超过 {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB，请压缩或拆分后再添加。")
        with self.ctx.transaction(Permission.CASE_EDIT, action="attachment.create", object_type="attachment") as s:
            self._get(s, Case, case_id)
            attachment = Attachment(case_id=case_id, filename=filename, media_type=media_type, size=len(content),
                                    sha256=hashlib.sha256(content).hexdigest(), content=content,
                                    updated_at=self.ctx.clock())
            s.add(attachment)
            s.flush()
            self.ctx.audit(s, "attachment.create", "attachment", attachment.id,
                           new=snapshot(attachment, ["case_id", "filename", "size", "sha256"]))
            return attachment.id

    def read_attachment(self, attachment_id: str) -> tuple[str, bytes]:
        """The file's name and bytes, after checking them against the stored SHA-256."""
        with self.ctx.transaction(Permission.CASE_READ) as s:
            attachment = self._get(s, Attachment, attachment_id)
            content = attachment.content
            if hashlib.sha256(content).hexdigest() != attachment.sha256:
                raise IntegrityFailure(f"附件「{attachment.filename}」的内容与登记的哈希不符，可能已损坏。")
            return attachment.filename, content

    @staticmethod
    def _get(session, model, record_id: str):
        record = session.get(model, record_id)
        if record is None:
            raise ValidationError(f"找不到记录 {record_id}。")
        return record
