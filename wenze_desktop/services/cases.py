"""Cases and their parts: clues, respondents, attachments (evidence and the read model: case_parts.py).

The procedure engine adds steps on top; a case at a terminal step (withdrawn, archived) accepts no edits.

Each public method is one transaction. The case form saves a whole case with ``save_case`` — one transaction for
every part — through the same helpers (``_create_case``, ``_add_respondent`` …, each taking the open session), so
the checks and the per-record audit entries are the same whichever way a change arrives. Every helper that changes
something moves the case's one version (``_touch`` → ``case_state.touch_case``); a save that carries the version
its form was built from is refused with ``CaseChanged`` when the case moved on meanwhile (``case_state``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wenze_desktop.domain.glossary import ClueSource, Gender, RespondentKind, term
from wenze_desktop.domain.models import Case, Clue, Respondent
from wenze_desktop.errors import ValidationError
from wenze_desktop.rules.profiles import Profile, load_profile
from wenze_desktop.security.permissions import Permission
from wenze_desktop.services.case_attachments import CaseAttachmentsMixin
from wenze_desktop.services.case_parts import (
    CasePartsMixin,
    CaseSave,
    SavedCase,
    _evidence_fields,
)
from wenze_desktop.services.case_state import check_version, touch_case
from wenze_desktop.services.changes import Changes
from wenze_desktop.services.context import ServiceContext, snapshot

CASE_FIELDS = ["number", "title", "regulation_id", "step", "handler_id", "facts"]
PERSON_FIELDS = {"name", "gender", "ethnicity", "birth_date", "unit", "post", "rank", "id_number", "role",
                 "responsibility"}
UNIT_FIELDS = {"name", "principal", "role", "responsibility"}
RESPONDENT_FIELDS = ["kind", *sorted(PERSON_FIELDS | UNIT_FIELDS)]
CLUE_FIELDS = ["source", "received_on", "provider", "content"]


@dataclass
class CaseService(CaseAttachmentsMixin, CasePartsMixin):
    ctx: ServiceContext

    def id_of(self, number: str) -> str:
        """The case with this number (案件编号), for commands that name cases the way staff do."""
        with self.ctx.transaction(Permission.CASE_READ) as s:
            case_id = s.scalars(select(Case.id).where(Case.number == number.strip())).first()
        if case_id is None:
            raise ValidationError(f"找不到编号为「{number}」的案件。")
        return case_id

    # -- the whole case at once (the case form) ----------------------------------------------------------------

    def save_case(self, data: CaseSave) -> SavedCase:
        """Store a new case, or the changes to one, with all its parts in ONE transaction: all of it or none.

        ``data.case_id is None``: a new case with its clue and respondents (as ``create``), then its attachments
        and evidence. Otherwise the case's fields and clue are updated and respondents, attachments and evidence
        removed, added and changed (as the single-part methods do, with the same checks and audit entries).
        Evidence may point to an attachment added in the same save by that attachment's ``key``.
        ``data.version``: the version the form was built from; a case changed since is refused (``CaseChanged``)
        with nothing written.
        """
        created = data.case_id is None
        regulation = load_profile(data.regulation_id)
        if created:
            clue = self._clue_fields(dict(data.clue), new=True)
            checked = [self._respondent_fields(dict(r.fields), regulation) for r in data.respondents]
        else:
            changes = self._case_changes({"title": data.title, "number": data.number, "facts": data.facts})
            clue = self._clue_fields(dict(data.clue), new=data.clue_id is None) if data.clue else {}
        for item in data.attachments:
            self._check_attachment_file(item.filename, item.content)
        evidence = [_evidence_fields(dict(row.fields)) for row in data.evidence]
        ids: dict[str, str] = {}
        with self.ctx.transaction(Permission.CASE_EDIT, action="case.create" if created else "case.update",
                                  object_type="case", object_id=data.case_id) as s:
            if created:
                case = self._create_case(s, regulation, data.title, clue, checked, number=data.number.strip() or None,
                                         facts=data.facts)
                case_id, clue_id = case.id, case.clues[0].id
                ids.update((row.key, person.id) for row, person in zip(data.respondents, case.respondents,
                                                                       strict=True))
            else:
                case_id = data.case_id
                check_version(s, self._get(s, Case, case_id), data.version, "案件信息")
                case = self._update_case(s, case_id, changes)
                clue_id = data.clue_id
                if clue_id:
                    self._update_clue(s, clue_id, clue, case_id=case_id)
                elif clue:
                    clue_id = self._add_clue(s, case_id, clue).id
                for respondent_id in data.removed_respondents:
                    self._remove_respondent(s, respondent_id, case_id=case_id)
                for row in data.respondents:
                    if row.id is None:
                        ids[row.key] = self._add_respondent(s, case_id, dict(row.fields)).id
                    else:
                        self._update_respondent(s, row.id, dict(row.fields), case_id=case_id)
            added = {}
            for item in data.attachments:
                added[item.key] = ids[item.key] = self._add_attachment(s, case_id, item.filename, item.content,
                                                                       item.media_type).id
            for evidence_id in data.removed_evidence:
                self._remove_evidence(s, evidence_id, case_id=case_id)
            for row, fields in zip(data.evidence, evidence, strict=True):
                fields["attachment_id"] = added.get(row.attachment, row.attachment)
                if row.id is None:
                    ids[row.key] = self._add_evidence(s, case_id, fields).id
                else:
                    self._update_evidence(s, row.id, fields, case_id=case_id)
            for attachment_id in data.removed_attachments:
                self._remove_attachment(s, attachment_id, case_id=case_id)
            number = case.number
        self.ctx.changed(Changes.case(case_id, added=created))
        return SavedCase(case_id, number, created, clue_id, ids, case.version)  # as committed

    # -- the case record ---------------------------------------------------------------------------------------

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
            touch_case(s, case, now, created=True)
            self.ctx.audit(s, "case.create", "case", case.id, new=snapshot(case, CASE_FIELDS))
            case_id = case.id
        self.ctx.changed(Changes.case(case_id, added=True))
        return case_id

    def create(self, profile: str, title: str, clue_source: str, received_on: date, *,
               respondents: list[dict[str, Any]] = (), number: str | None = None, facts: str = "",
               provider: str = "", clue_content: str = "") -> str:
        """A new case under a regulation, with its clue and respondents, in one transaction. Returns its id."""
        regulation = load_profile(profile)
        clue = self._clue_fields({"source": clue_source, "received_on": received_on, "provider": provider,
                                  "content": clue_content}, new=True)
        checked = [self._respondent_fields(dict(r), regulation) for r in respondents]
        with self.ctx.transaction(Permission.CASE_EDIT, action="case.create", object_type="case") as s:
            case_id = self._create_case(s, regulation, title, clue, checked, number=number, facts=facts).id
        self.ctx.changed(Changes.case(case_id, added=True))
        return case_id

    def _create_case(self, s: Session, regulation: Profile, title: str, clue: dict[str, Any],
                     respondents: list[tuple[str, dict]], *, number: str | None, facts: str) -> Case:
        """The case at its regulation's first step with its clue and (checked) respondents, audited as one."""
        if not title.strip():
            raise ValidationError("案件名称不能为空。")
        number = number or self._next_number(s, regulation.id, clue["received_on"].year)
        if s.scalars(select(Case.id).where(Case.number == number)).first():
            raise ValidationError(f"案件编号「{number}」已被使用。")
        now = self.ctx.clock()
        case = Case(number=number, title=title.strip(), regulation_id=regulation.id, facts=facts,
                    step=regulation.procedure.initial, handler_id=self.ctx.user.id, created_at=now, updated_at=now)
        case.clues.append(Clue(updated_at=now, **clue))
        case.respondents.extend(Respondent(kind=kind, updated_at=now, **fields) for kind, fields in respondents)
        s.add(case)
        s.flush()
        touch_case(s, case, now, created=True)
        self.ctx.audit(s, "case.create", "case", case.id, new={
            **snapshot(case, CASE_FIELDS), "clue_source": clue["source"], "received_on": clue["received_on"],
            "respondents": [fields["name"] for _, fields in respondents]})
        return case

    @staticmethod
    def _next_number(session, profile_id: str, year: int) -> str:
        prefix = f"{profile_id}-{year}-"
        taken = session.scalars(select(Case.number).where(Case.number.like(prefix + "%"))).all()
        serial = max((int(n[len(prefix):]) for n in taken if n[len(prefix):].isdigit()), default=0) + 1
        return f"{prefix}{serial:04d}"

    def update_case(self, case_id: str, *, expected_version: int | None = None, **changes: Any) -> int:
        """Change the case's own fields; returns its version afterwards. ``expected_version``: refuse
        (``CaseChanged``) if the case is no longer at it."""
        changes = self._case_changes(changes)
        with self.ctx.transaction(Permission.CASE_EDIT, action="case.update", object_type="case",
                                  object_id=case_id) as s:
            check_version(s, self._get(s, Case, case_id), expected_version, "案件信息")
            case = self._update_case(s, case_id, changes)
        self.ctx.changed(Changes.case(case_id))
        return case.version

    @staticmethod
    def _case_changes(changes: dict[str, Any]) -> dict[str, Any]:
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
        return changes

    def _update_case(self, s: Session, case_id: str, changes: dict[str, Any]) -> Case:
        case = self._editable_case(s, case_id)
        if changes.get("number", case.number) != case.number and s.scalars(
                select(Case.id).where(Case.number == changes["number"])).first():
            raise ValidationError(f"案件编号「{changes['number']}」已被使用。")
        if self.ctx.update(s, case, CASE_FIELDS, changes, "case.update", "case"):
            self._touch(s, case)
        return case

    def get_case(self, case_id: str) -> Case:
        with self.ctx.transaction(Permission.CASE_READ) as s:
            return self._get(s, Case, case_id)

    # -- clues -----------------------------------------------------------------------------------------------------

    def add_clue(self, case_id: str | None, source: str, received_on: date, provider: str = "",
                 content: str = "") -> str:
        ClueSource(source)
        fields = {"source": source, "received_on": received_on, "provider": provider, "content": content}
        with self.ctx.transaction(Permission.CASE_EDIT, action="clue.create", object_type="clue") as s:
            clue_id = self._add_clue(s, case_id, fields).id
        if case_id:
            self.ctx.changed(Changes.case(case_id))
        return clue_id

    def _add_clue(self, s: Session, case_id: str | None, fields: dict[str, Any]) -> Clue:
        if case_id:
            self._touch(s, self._editable_case(s, case_id))
        clue = Clue(case_id=case_id, updated_at=self.ctx.clock(), **fields)
        s.add(clue)
        s.flush()
        self.ctx.audit(s, "clue.create", "clue", clue.id, new=snapshot(clue))
        return clue

    def update_clue(self, clue_id: str, **fields: Any) -> None:
        fields = self._clue_fields(fields)
        with self.ctx.transaction(Permission.CASE_EDIT, action="clue.update", object_type="clue",
                                  object_id=clue_id) as s:
            case_id = self._update_clue(s, clue_id, fields).case_id
        if case_id:
            self.ctx.changed(Changes.case(case_id))

    @staticmethod
    def _clue_fields(fields: dict[str, Any], new: bool = False) -> dict[str, Any]:
        unknown = set(fields) - set(CLUE_FIELDS)
        if unknown:
            raise ValidationError(f"问责线索没有这些字段：{', '.join(sorted(unknown))}")
        if "source" in fields or new:
            try:
                ClueSource(fields.get("source"))
            except ValueError:
                raise ValidationError(f"未知的线索来源「{fields.get('source')}」。") from None
        if ("received_on" in fields or new) and not isinstance(fields.get("received_on"), date):
            raise ValidationError("请填写线索的收到日期。")
        if new:
            fields = {"provider": "", "content": "", **fields}
        return fields

    def _update_clue(self, s: Session, clue_id: str, fields: dict[str, Any], case_id: str | None = None) -> Clue:
        clue = self._part(s, Clue, clue_id, case_id)
        case = self._editable_case(s, clue.case_id) if clue.case_id else None
        if self.ctx.update(s, clue, CLUE_FIELDS, fields, "clue.update", "clue") and case is not None:
            self._touch(s, case)
        return clue

    # -- respondents -----------------------------------------------------------------------------------------------

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

    def add_respondent(self, case_id: str, kind: str, **fields: Any) -> str:
        with self.ctx.transaction(Permission.CASE_EDIT, action="respondent.create", object_type="respondent") as s:
            respondent_id = self._add_respondent(s, case_id, {**fields, "kind": kind}).id
        self.ctx.changed(Changes.case(case_id))
        return respondent_id

    def _add_respondent(self, s: Session, case_id: str, fields: dict[str, Any]) -> Respondent:
        """``fields``: the kind and that kind's fields."""
        case = self._editable_case(s, case_id)
        kind, fields = self._respondent_fields(fields, load_profile(case.regulation_id))
        self._touch(s, case)
        respondent = Respondent(case_id=case_id, kind=kind, updated_at=self.ctx.clock(), **fields)
        s.add(respondent)
        s.flush()
        self.ctx.audit(s, "respondent.create", "respondent", respondent.id,
                       new=snapshot(respondent, ["case_id", *RESPONDENT_FIELDS]))
        return respondent

    def update_respondent(self, respondent_id: str, **fields: Any) -> None:
        """Change some fields (``kind`` too: the other kind's fields are then cleared); checked as a whole."""
        with self.ctx.transaction(Permission.CASE_EDIT, action="respondent.update", object_type="respondent",
                                  object_id=respondent_id) as s:
            case_id = self._update_respondent(s, respondent_id, fields).case_id
        self.ctx.changed(Changes.case(case_id))

    def _update_respondent(self, s: Session, respondent_id: str, fields: dict[str, Any],
                           case_id: str | None = None) -> Respondent:
        respondent = self._part(s, Respondent, respondent_id, case_id)
        case = self._editable_case(s, respondent.case_id)
        old = snapshot(respondent, RESPONDENT_FIELDS)
        kind = fields.pop("kind", respondent.kind)
        allowed = PERSON_FIELDS if kind == RespondentKind.PERSON else UNIT_FIELDS
        current = {k: v for k, v in old.items() if k in allowed and v is not None}
        kind, merged = self._respondent_fields({**current, **fields, "kind": kind}, load_profile(case.regulation_id))
        new = {key: merged.get(key) for key in PERSON_FIELDS | UNIT_FIELDS} | {"kind": kind}
        if self.ctx.update(s, respondent, RESPONDENT_FIELDS, new, "respondent.update", "respondent"):
            self._touch(s, case)
        return respondent

    def remove_respondent(self, respondent_id: str) -> None:
        with self.ctx.transaction(Permission.CASE_EDIT, action="respondent.delete", object_type="respondent",
                                  object_id=respondent_id) as s:
            case_id = self._remove_respondent(s, respondent_id)
        self.ctx.changed(Changes.case(case_id))

    def _remove_respondent(self, s: Session, respondent_id: str, case_id: str | None = None) -> str:
        respondent = self._part(s, Respondent, respondent_id, case_id)
        self._touch(s, self._editable_case(s, respondent.case_id))
        old = snapshot(respondent, ["case_id", *RESPONDENT_FIELDS])
        s.delete(respondent)
        self.ctx.audit(s, "respondent.delete", "respondent", respondent_id, old, {})
        return old["case_id"]

    # -- shared ----------------------------------------------------------------------------------------------------

    @staticmethod
    def _get(session, model, record_id: str):
        record = session.get(model, record_id)
        if record is None:
            raise ValidationError(f"找不到记录 {record_id}。")
        return record

    @classmethod
    def _part(cls, session, model, record_id: str, case_id: str | None):
        """A part of a case; with ``case_id``, it must be that case's (a save never reaches into another case)."""
        record = cls._get(session, model, record_id)
        if case_id is not None and record.case_id != case_id:
            raise ValidationError(f"记录 {record_id} 不属于本案件。")
        return record

    def _touch(self, session: Session, case: Case) -> None:
        """This transaction changed the case or one of its parts: its version moves (once)."""
        touch_case(session, case, self.ctx.clock())

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
