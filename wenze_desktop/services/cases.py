"""Cases and their parts: clues, respondents, attachments (evidence and the read model: case_parts.py).

The procedure engine adds steps on top; a case at a terminal step (withdrawn, archived) accepts no edits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from wenze_desktop.domain.glossary import ClueSource, Gender, RespondentKind, term
from wenze_desktop.domain.models import Attachment, Case, Clue, Respondent
from wenze_desktop.errors import IntegrityFailure, ValidationError
from wenze_desktop.rules.profiles import Profile, load_profile
from wenze_desktop.security.permissions import Permission
from wenze_desktop.services.case_parts import ATTACHMENT_FIELDS, CasePartsMixin
from wenze_desktop.services.context import ServiceContext, snapshot

CASE_FIELDS = ["number", "title", "regulation_id", "step", "handler_id", "facts"]
PERSON_FIELDS = {"name", "gender", "ethnicity", "birth_date", "unit", "post", "rank", "id_number", "role",
                 "responsibility"}
UNIT_FIELDS = {"name", "principal", "role", "responsibility"}
RESPONDENT_FIELDS = ["kind", *sorted(PERSON_FIELDS | UNIT_FIELDS)]
CLUE_FIELDS = ["source", "received_on", "provider", "content"]
MAX_ATTACHMENT_BYTES = 200 * 1024 * 1024


@dataclass
class CaseService(CasePartsMixin):
    ctx: ServiceContext

    def id_of(self, number: str) -> str:
        """The case with this number (案件编号), for commands that name cases the way staff do."""
        with self.ctx.transaction(Permission.CASE_READ) as s:
            case_id = s.scalars(select(Case.id).where(Case.number == number.strip())).first()
        if case_id is None:
            raise ValidationError(f"找不到编号为「{number}」的案件。")
        return case_id

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
        if clue_source not in set(ClueSource):
            raise ValidationError(f"未知的线索来源「{clue_source}」。")
        if not isinstance(received_on, date):
            raise ValidationError("请填写线索的收到日期。")
        if not title.strip():
            raise ValidationError("案件名称不能为空。")
        checked = [self._respondent_fields(dict(r), regulation) for r in respondents]
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
    def _respondent_fields(fields: dict[str, Any], regulation: Profile) -> tuple[str, dict]:
        kind = RespondentKind(fields.pop("kind", RespondentKind.PERSON))
        if kind not in regulation.applies_to:
            raise ValidationError(f"《{regulation.short_title}》不适用于{term(kind)}被问责对象。")
        allowed = PERSON_FIELDS if kind is RespondentKind.PERSON else UNIT_FIELDS
        unknown = set(fields) - allowed
        if unknown:
            raise ValidationError(f"{term(kind)}被问责对象没有这些字段：{', '.join(sorted(unknown))}")
        fields["name"] = str(fields.get("name") or "").strip()
        if not fields["name"]:
            raise ValidationError("被问责对象的姓名（单位全称）不能为空。")
        for key, value in fields.items():  # an empty text box means "not recorded"
            if isinstance(value, str) and key != "name":
                fields[key] = value.strip() or None
        if fields.get("gender") is not None:
            try:
                Gender(fields["gender"])
            except ValueError:
                raise ValidationError("性别只能是“男”或“女”。") from None
        if isinstance(fields.get("birth_date"), str):
            fields["birth_date"] = date.fromisoformat(fields["birth_date"])
        _check_term(fields.get("role"), regulation.respondent_roles, regulation.respondent_roles_article,
                    "被问责对象的职责（身份）", regulation.short_title)
        _check_term(fields.get("responsibility"), regulation.responsibilities, regulation.responsibilities_article,
                    "所负责任", regulation.short_title)
        return str(kind), fields

    def update_case(self, case_id: str, **changes: Any) -> None:
        unknown = set(changes) - set(CASE_FIELDS)
        if unknown:
            raise ValidationError(f"不能修改的字段：{', '.join(sorted(unknown))}")
        for key in ("number", "title"):
            if key in changes:
                changes[key] = str(changes[key] or "").strip()
                if not changes[key]:
                    raise ValidationError("案件名称不能为空。" if key == "title" else "案件编号不能为空。")
        if "regulation_id" in changes:
            load_profile(changes["regulation_id"])
        with self.ctx.transaction(Permission.CASE_EDIT, action="case.update", object_type="case",
                                  object_id=case_id) as s:
            case = self._editable_case(s, case_id)
            if changes.get("number", case.number) != case.number and s.scalars(
                    select(Case.id).where(Case.number == changes["number"])).first():
                raise ValidationError(f"案件编号「{changes['number']}」已被使用。")
            self.ctx.update(s, case, CASE_FIELDS, changes, "case.update", "case")

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

    def update_clue(self, clue_id: str, **fields: Any) -> None:
        unknown = set(fields) - set(CLUE_FIELDS)
        if unknown:
            raise ValidationError(f"问责线索没有这些字段：{', '.join(sorted(unknown))}")
        if "source" in fields:
            try:
                ClueSource(fields["source"])
            except ValueError:
                raise ValidationError(f"未知的线索来源「{fields['source']}」。") from None
        if "received_on" in fields and not isinstance(fields["received_on"], date):
            raise ValidationError("请填写线索的收到日期。")
        with self.ctx.transaction(Permission.CASE_EDIT, action="clue.update", object_type="clue",
                                  object_id=clue_id) as s:
            clue = self._get(s, Clue, clue_id)
            if clue.case_id:
                self._editable_case(s, clue.case_id)
            self.ctx.update(s, clue, CLUE_FIELDS, fields, "clue.update", "clue")

    def add_respondent(self, case_id: str, kind: str, **fields: Any) -> str:
        with self.ctx.transaction(Permission.CASE_EDIT, action="respondent.create", object_type="respondent") as s:
            case = self._editable_case(s, case_id)
            kind, fields = self._respondent_fields({**fields, "kind": kind}, load_profile(case.regulation_id))
            respondent = Respondent(case_id=case_id, kind=kind, updated_at=self.ctx.clock(), **fields)
            s.add(respondent)
            s.flush()
            self.ctx.audit(s, "respondent.create", "respondent", respondent.id,
                           new=snapshot(respondent, ["case_id", *RESPONDENT_FIELDS]))
            return respondent.id

    def update_respondent(self, respondent_id: str, **fields: Any) -> None:
        """Change some fields (``kind`` too: the other kind's fields are then cleared); checked as a whole."""
        with self.ctx.transaction(Permission.CASE_EDIT, action="respondent.update", object_type="respondent",
                                  object_id=respondent_id) as s:
            respondent = self._get(s, Respondent, respondent_id)
            case = self._editable_case(s, respondent.case_id)
            old = snapshot(respondent, RESPONDENT_FIELDS)
            kind = fields.pop("kind", respondent.kind)
            allowed = PERSON_FIELDS if kind == RespondentKind.PERSON else UNIT_FIELDS
            current = {k: v for k, v in old.items() if k in allowed and v is not None}
            kind, merged = self._respondent_fields({**current, **fields, "kind": kind},
                                                   load_profile(case.regulation_id))
            new = {key: merged.get(key) for key in PERSON_FIELDS | UNIT_FIELDS} | {"kind": kind}
            self.ctx.update(s, respondent, RESPONDENT_FIELDS, new, "respondent.update", "respondent")

    def remove_respondent(self, respondent_id: str) -> None:
        with self.ctx.transaction(Permission.CASE_EDIT, action="respondent.delete", object_type="respondent",
                                  object_id=respondent_id) as s:
            respondent = self._get(s, Respondent, respondent_id)
            self._editable_case(s, respondent.case_id)
            old = snapshot(respondent, ["case_id", *RESPONDENT_FIELDS])
            s.delete(respondent)
            self.ctx.audit(s, "respondent.delete", "respondent", respondent_id, old, {})

    def add_attachment(self, case_id: str, filename: str, content: bytes,
                       media_type: str = "application/octet-stream") -> str:
        if len(content) > MAX_ATTACHMENT_BYTES:
            raise ValidationError(f"附件超过 {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB，请压缩或拆分后再添加。")
        if not filename.strip():
            raise ValidationError("附件的文件名不能为空。")
        with self.ctx.transaction(Permission.CASE_EDIT, action="attachment.create", object_type="attachment") as s:
            self._editable_case(s, case_id)
            attachment = Attachment(case_id=case_id, filename=filename, media_type=media_type, size=len(content),
                                    sha256=hashlib.sha256(content).hexdigest(), content=content,
                                    updated_at=self.ctx.clock())
            s.add(attachment)
            s.flush()
            self.ctx.audit(s, "attachment.create", "attachment", attachment.id,
                           new=snapshot(attachment, ATTACHMENT_FIELDS))
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

    def _editable_case(self, session, case_id: str) -> Case:
        """The case, unless it has ended (withdrawn, archived): its file is then closed to edits."""
        case = self._get(session, Case, case_id)
        profile = load_profile(case.regulation_id)
        if profile.is_terminal(case.step):
            raise ValidationError(f"案件已终结（{profile.step_label(case.step)}），不能再修改。")
        return case


def _check_term(value: str | None, allowed: tuple[str, ...], article: str, what: str, regulation: str) -> None:
    """A role or responsibility must be one the regulation's text names (profile ``[respondents]``)."""
    if value is None:
        return
    if not allowed:
        raise ValidationError(f"《{regulation}》没有区分{what}，请不要填写。")
    if value not in allowed:
        raise ValidationError(f"{what}只能是：{'、'.join(allowed)}（《{regulation}》{article}）。")
