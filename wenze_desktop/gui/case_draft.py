"""What the case form holds before it is saved, and how a save is carried out through the case service.

Plain Python (no Qt) so that the save sequence is easy to follow and to test. A save is several service calls;
after each one the draft records the new id, so that a save interrupted by an error can simply be repeated
without adding anything twice.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from typing import Any

from wenze_desktop.domain.glossary import term
from wenze_desktop.rules.profiles import Profile
from wenze_desktop.services.case_parts import CaseDetails
from wenze_desktop.services.cases import PERSON_FIELDS, UNIT_FIELDS, CaseService

_keys = itertools.count(1)


def _new_key() -> str:
    return f"new:{next(_keys)}"


@dataclass
class RespondentRow:
    fields: dict[str, Any]  # kind and the kind's fields ("" for not recorded)
    id: str | None = None


@dataclass
class AttachmentRow:
    filename: str
    size: int
    sha256: str
    media_type: str = "application/octet-stream"
    id: str | None = None
    content: bytes | None = None  # only until saved
    key: str = field(default_factory=_new_key)  # how evidence refers to it before it has an id

    @classmethod
    def from_bytes(cls, filename: str, content: bytes, media_type: str) -> AttachmentRow:
        return cls(filename, len(content), hashlib.sha256(content).hexdigest(), media_type, content=content)


@dataclass
class EvidenceRow:
    fields: dict[str, Any]  # title, kind, source, collected_on, note
    attachment_key: str | None = None
    id: str | None = None


@dataclass
class CaseDraft:
    regulation_id: str
    title: str = ""
    number: str = ""
    facts: str = ""
    clue_id: str | None = None
    clue: dict[str, Any] = field(default_factory=dict)  # source, received_on, provider, content
    respondents: list[RespondentRow] = field(default_factory=list)
    evidence: list[EvidenceRow] = field(default_factory=list)
    attachments: list[AttachmentRow] = field(default_factory=list)
    removed_respondents: list[str] = field(default_factory=list)
    removed_evidence: list[str] = field(default_factory=list)
    case_id: str | None = None

    def state(self) -> tuple:
        """A comparable picture of everything the user can change (the form is dirty when it differs)."""
        return (self.regulation_id, self.title, self.number, self.facts, tuple(sorted(self.clue.items())),
                tuple((r.id, tuple(sorted(r.fields.items()))) for r in self.respondents),
                tuple((e.id, e.attachment_key, tuple(sorted(e.fields.items()))) for e in self.evidence),
                tuple((a.id, a.key, a.sha256) for a in self.attachments),
                tuple(self.removed_respondents), tuple(self.removed_evidence))

    def attachment(self, key: str | None) -> AttachmentRow | None:
        return next((a for a in self.attachments if a.key == key), None)


def respondent_fields(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    allowed = PERSON_FIELDS if kind == "person" else UNIT_FIELDS
    return {"kind": kind, **{k: ("" if values.get(k) is None else values[k]) for k in sorted(allowed)}}


def respondent_problems(draft: CaseDraft, profile: Profile) -> list[str]:
    """Respondents that no longer fit the chosen regulation (kind, role or responsibility it does not name)."""
    wrong = []
    for n, row in enumerate(draft.respondents, start=1):
        fields, who = row.fields, f"第{n}个（{row.fields['name']}）"
        if fields["kind"] not in profile.applies_to:
            wrong.append(f"{who}：《{profile.short_title}》不适用于{term(fields['kind'])}")
        for key, allowed in (("role", profile.respondent_roles), ("responsibility", profile.responsibilities)):
            if fields.get(key) and fields[key] not in allowed:
                wrong.append(f"{who}：「{fields[key]}」不是《{profile.short_title}》所列的选项")
    return wrong


def load_draft(details: CaseDetails) -> CaseDraft:
    clue = details.clue
    attachments = [AttachmentRow(a.filename, a.size, a.sha256, a.media_type, id=a.id, key=a.id)
                   for a in details.attachments]
    return CaseDraft(
        regulation_id=details.regulation_id, title=details.title, number=details.number, facts=details.facts,
        clue_id=clue.id if clue else None,
        clue={"source": clue.source, "received_on": clue.received_on, "provider": clue.provider,
              "content": clue.content} if clue else {},
        respondents=[RespondentRow(respondent_fields(r.kind, r.__dict__), id=r.id) for r in details.respondents],
        evidence=[EvidenceRow({"title": e.title, "kind": e.kind, "source": e.source, "collected_on": e.collected_on,
                               "note": e.note}, attachment_key=e.attachment_id, id=e.id) for e in details.evidence],
        attachments=attachments, case_id=details.id)


def _service_fields(fields: dict[str, Any]) -> dict[str, Any]:
    # The form keeps "" for an empty box; the service stores it as not recorded.
    return {k: v for k, v in fields.items() if k != "kind"}


def save_draft(cases: CaseService, draft: CaseDraft) -> tuple[str, bool]:
    """Write the draft through the service (ids are filled in as parts are saved). Returns (case id, created)."""
    created = draft.case_id is None
    clue = draft.clue
    if created:
        draft.case_id = cases.create(
            draft.regulation_id, draft.title, clue["source"], clue["received_on"],
            respondents=[dict(r.fields) for r in draft.respondents], number=draft.number.strip() or None,
            facts=draft.facts, provider=clue.get("provider", ""), clue_content=clue.get("content", ""))
        # The respondents went in with the case; take their ids (and the number given) from the stored case.
        stored = load_draft(cases.details(draft.case_id))
        draft.clue_id, draft.number, draft.respondents = stored.clue_id, stored.number, stored.respondents
    else:
        cases.update_case(draft.case_id, title=draft.title, number=draft.number, facts=draft.facts)
        if draft.clue_id:
            cases.update_clue(draft.clue_id, **clue)
        elif clue:
            draft.clue_id = cases.add_clue(draft.case_id, **clue)
        while draft.removed_respondents:
            cases.remove_respondent(draft.removed_respondents[0])
            draft.removed_respondents.pop(0)
        for row in draft.respondents:
            if row.id is None:
                row.id = cases.add_respondent(draft.case_id, row.fields["kind"], **_service_fields(row.fields))
            else:
                cases.update_respondent(row.id, **row.fields)
    for attachment in draft.attachments:
        if attachment.id is None:
            attachment.id = cases.add_attachment(draft.case_id, attachment.filename, attachment.content or b"",
                                                 attachment.media_type)
            attachment.content = None
    while draft.removed_evidence:
        cases.remove_evidence(draft.removed_evidence[0])
        draft.removed_evidence.pop(0)
    for row in draft.evidence:
        linked = draft.attachment(row.attachment_key)
        attachment_id = linked.id if linked else None
        if row.id is None:
            row.id = cases.add_evidence(draft.case_id, attachment_id=attachment_id, **row.fields)
        else:
            cases.update_evidence(row.id, attachment_id=attachment_id, **row.fields)
    return draft.case_id, created
