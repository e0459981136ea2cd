"""What the case form holds before it is saved, and what a save hands to the case service.

Plain Python (no Qt). ``save_data`` turns the draft into the service's ``CaseSave`` (copied, so the form may go
on being edited while the database worker stores it in one transaction: all of it or none of it);
``apply_saved`` gives the draft the ids of what that save added, when the form changed meanwhile.

A draft carries the case's version it was loaded from; the service refuses its save when the case moved on
(``CaseChanged``). ``reapply`` then puts what the user changed (their draft against the one they started from)
on top of the case as it is now, so nothing typed is lost and nothing of the other person's change is reverted.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
from dataclasses import dataclass, field
from typing import Any

from wenze_desktop.domain.glossary import term
from wenze_desktop.rules.profiles import Profile
from wenze_desktop.services.case_parts import (
    AttachmentEntry,
    CaseDetails,
    CaseSave,
    EvidenceEntry,
    RespondentEntry,
    SavedCase,
)
from wenze_desktop.services.cases import PERSON_FIELDS, UNIT_FIELDS

_keys = itertools.count(1)


def _new_key() -> str:
    return f"new:{next(_keys)}"


@dataclass
class RespondentRow:
    fields: dict[str, Any]  # kind and the kind's fields ("" for not recorded)
    id: str | None = None
    key: str = field(default_factory=_new_key)  # names it in the service's answer before it has an id


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
    key: str = field(default_factory=_new_key)


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
    removed_attachments: list[str] = field(default_factory=list)
    case_id: str | None = None
    version: int | None = None  # the case's version this draft was loaded from (not part of ``state``)

    def state(self) -> tuple:
        """A comparable picture of everything the user can change (the form is dirty when it differs)."""
        return (self.regulation_id, self.title, self.number, self.facts, tuple(sorted(self.clue.items())),
                tuple((r.id, tuple(sorted(r.fields.items()))) for r in self.respondents),
                tuple((e.id, e.attachment_key, tuple(sorted(e.fields.items()))) for e in self.evidence),
                tuple((a.id, a.key, a.sha256) for a in self.attachments),
                tuple(self.removed_respondents), tuple(self.removed_evidence), tuple(self.removed_attachments))

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
        attachments=attachments, case_id=details.id, version=details.version)


def save_data(draft: CaseDraft) -> CaseSave:
    """The draft as the service stores it (a copy: later edits of the draft do not reach the save)."""
    def attachment_ref(key: str | None) -> str | None:
        linked = draft.attachment(key)
        return None if linked is None else (linked.id or linked.key)

    return CaseSave(
        regulation_id=draft.regulation_id, title=draft.title, number=draft.number, facts=draft.facts,
        clue=dict(draft.clue), case_id=draft.case_id, clue_id=draft.clue_id, version=draft.version,
        respondents=tuple(RespondentEntry(dict(r.fields), r.id, r.key) for r in draft.respondents),
        removed_respondents=tuple(draft.removed_respondents),
        attachments=tuple(AttachmentEntry(a.key, a.filename, a.content or b"", a.media_type)
                          for a in draft.attachments if a.id is None),
        removed_attachments=tuple(draft.removed_attachments),
        evidence=tuple(EvidenceEntry(dict(e.fields), attachment_ref(e.attachment_key), e.id, e.key)
                       for e in draft.evidence),
        removed_evidence=tuple(draft.removed_evidence))


def apply_saved(draft: CaseDraft, data: CaseSave, saved: SavedCase) -> None:
    """Give ``draft`` (edited since ``data`` was taken from it) the ids of what the save stored.

    What the save removed is done with; a part it added that was taken out of the form meanwhile is left for the
    next save to remove."""
    draft.version = saved.version
    if draft.case_id is None:
        draft.case_id = saved.case_id
        draft.regulation_id = data.regulation_id  # the case was created under this one
        if not draft.number.strip() and not data.number.strip():
            draft.number = saved.number
    draft.clue_id = draft.clue_id or saved.clue_id
    added_keys = ({r.key for r in data.respondents if r.id is None}, {a.key for a in data.attachments},
                  {e.key for e in data.evidence if e.id is None})
    for rows, removed, done, added in (
            (draft.respondents, draft.removed_respondents, data.removed_respondents, added_keys[0]),
            (draft.attachments, draft.removed_attachments, data.removed_attachments, added_keys[1]),
            (draft.evidence, draft.removed_evidence, data.removed_evidence, added_keys[2])):
        removed[:] = [record_id for record_id in removed if record_id not in done]
        for row in rows:
            if row.id is None and row.key in added and row.key in saved.ids:
                row.id = saved.ids[row.key]
                if isinstance(row, AttachmentRow):
                    row.content = None
        gone = added - {row.key for row in rows}
        removed.extend(saved.ids[key] for key in sorted(gone) if key in saved.ids)


def reapply(base: CaseDraft, mine: CaseDraft, fresh: CaseDraft) -> CaseDraft:
    """``fresh`` (the case as stored now) with the user's changes — ``mine`` against ``base``, the draft it
    started from — applied on top: a field the user changed takes their value, any other field keeps the stored
    one; respondents, evidence and attachments the user added are added, those they removed are removed (if still
    there), those they edited take their edit (if still there). Nothing is stored; the form shows the result."""
    result = copy.deepcopy(fresh)
    for name in ("title", "number", "facts"):
        if getattr(mine, name) != getattr(base, name):
            setattr(result, name, getattr(mine, name))
    result.clue = {key: mine.clue.get(key) if mine.clue.get(key) != base.clue.get(key) else fresh.clue.get(key)
                   for key in {*fresh.clue, *mine.clue}}
    for rows, removed in (("respondents", "removed_respondents"), ("evidence", "removed_evidence"),
                          ("attachments", "removed_attachments")):
        before = {row.id: row for row in getattr(base, rows) if row.id}
        edited = {row.id: row for row in getattr(mine, rows)
                  if row.id and _row_state(row) != _row_state(before.get(row.id, row))}
        gone = set(getattr(mine, removed))
        kept = []
        for row in getattr(result, rows):
            if row.id in gone:
                getattr(result, removed).append(row.id)
                continue
            kept.append(copy.deepcopy(edited[row.id]) if row.id in edited else row)
        kept += [copy.deepcopy(row) for row in getattr(mine, rows) if row.id is None]
        setattr(result, rows, kept)
    return result


def _row_state(row: RespondentRow | EvidenceRow | AttachmentRow) -> tuple:
    if isinstance(row, RespondentRow):
        return tuple(sorted(row.fields.items()))
    if isinstance(row, EvidenceRow):
        return row.attachment_key, tuple(sorted(row.fields.items()))
    return row.filename, row.sha256
