"""What an incoming case would do here: new, updated, unchanged, local newer, or a conflict (and why).

A case's history is the set of content hashes it had whenever it was sent or received. If ours is in the
sender's history, theirs descends from ours (update); if theirs is in ours, ours is newer (keep ours); if
neither, both offices changed it since they last exchanged it (conflict, kept and shown, never overwritten).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Integer, String, Text, or_, select
from sqlalchemy.orm import Session

from wenze_desktop.domain.base import Record, UTCDateTime
from wenze_desktop.domain.exchange import CaseRevision, TransferConflict
from wenze_desktop.domain.models import Case, IssuedDocument
from wenze_desktop.errors import IntegrityFailure
from wenze_desktop.transfer.package import IncomingCase
from wenze_desktop.transfer.snapshot import (
    KEPT,
    LOCAL_ONLY,
    LOCAL_ONLY_CASE,
    PARTS,
    case_records,
    content_hash,
    row_of,
)

NEW, UPDATED, UNCHANGED, LOCAL_NEWER, CONFLICT, KNOWN_CONFLICT = (
    "new", "updated", "unchanged", "local_newer", "conflict", "known_conflict")
LABELS = {NEW: "新增", UPDATED: "更新", UNCHANGED: "无变化", LOCAL_NEWER: "本地较新（保留本地）",
          CONFLICT: "冲突", KNOWN_CONFLICT: "冲突（已记录）"}
WRITES = (NEW, UPDATED)


@dataclass(frozen=True)
class CasePlan:
    case_id: str
    number: str
    title: str
    action: str
    reason: str = ""
    local_hash: str = ""
    incoming_hash: str = ""

    @property
    def label(self) -> str:
        return LABELS[self.action]


def classify(local_hash: str | None, local_history: set[str], incoming_hash: str, incoming_history: list[str]) -> str:
    if local_hash is None:
        return NEW
    if local_hash == incoming_hash:
        return UNCHANGED
    if local_hash in incoming_history:
        return UPDATED
    if incoming_hash in local_history:
        return LOCAL_NEWER
    return CONFLICT


class Planner:
    """Plans every case of one package. What is already here — which of its cases, their content hashes and
    histories, which of its case numbers are taken — is read once for the whole package, in chunks."""

    def __init__(self, session: Session, cases: list[IncomingCase], chunk: int = 400) -> None:
        self.session = session
        ids, numbers = [c.id for c in cases], [c.number for c in cases]
        self.numbers: dict[str, str] = {}  # case number → the local case holding it
        self.local_hash: dict[str, str] = {}
        self.history: dict[str, set[str]] = {}
        self.claimed: dict[tuple[str, str], str] = {}  # (kind, row id) → number of the package's case holding it
        for i in range(0, len(ids), chunk):
            self.numbers.update((number, case_id) for number, case_id in session.execute(
                select(Case.number, Case.id).where(Case.number.in_(numbers[i:i + chunk]))))
            for case_id, (record, _) in case_records(session, ids[i:i + chunk]).items():
                self.local_hash[case_id] = content_hash(record)
            for case_id, digest in session.execute(select(CaseRevision.case_id, CaseRevision.content_hash).where(
                    CaseRevision.case_id.in_(ids[i:i + chunk]))):
                self.history.setdefault(case_id, set()).add(digest)

    def plan(self, case: IncomingCase) -> CasePlan:
        check_record(self.session, case, self.claimed)  # a package reaching beyond its own cases is refused
        local_hash = self.local_hash.get(case.id)
        action = classify(local_hash, self.history.get(case.id, set()), case.content_hash, case.history)
        reason = ""
        if action == CONFLICT:
            reason = "双方在上次交换后都修改了此案件"
        elif action in WRITES:
            reason = self.clash(case) or rewritten_document(self.session, case.record)
            if reason:
                action = CONFLICT
        if action == CONFLICT and self.session.scalars(select(TransferConflict.id).where(
                TransferConflict.case_id == case.id, TransferConflict.incoming_hash == case.content_hash)).first():
            action = KNOWN_CONFLICT
        return CasePlan(case.id, case.number, case.title, action, reason, local_hash or "", case.content_hash)

    def clash(self, case: IncomingCase) -> str:
        return clash(self.session, case, self.numbers)


def clash(session: Session, case: IncomingCase, numbers: dict[str, str] | None = None) -> str:
    """Unique things the incoming case would take from another local case: its number, a document number.
    ``numbers`` (number → case id) are the package's numbers as they were before it (a clash with a case the
    package renumbers is a conflict too); without them the database is asked."""
    if numbers is None:
        numbers = {number: case_id for number, case_id in session.execute(
            select(Case.number, Case.id).where(Case.number == case.number))}
    if numbers.get(case.number, case.id) != case.id:
        return f"案件编号 {case.number} 已被本单位另一案件使用"
    for doc in case.record.get("documents", []):
        taken = session.scalars(select(IssuedDocument.number).where(
            IssuedDocument.id != doc["id"],
            or_(IssuedDocument.number == doc["number"], IssuedDocument.verification_code == doc["verification_code"],
                (IssuedDocument.series == doc["series"]) & (IssuedDocument.year == doc["year"])
                & (IssuedDocument.seq == doc["seq"])))).first()
        if taken is not None:
            return f"文书 {doc['number']} 与本单位已有文书 {taken} 的文号或核验码重复"
    return ""


def remember(s: Session, case_id: str, digest: str, origin: str, ctx) -> None:
    if s.get(CaseRevision, (case_id, digest)) is None:
        s.add(CaseRevision(case_id=case_id, content_hash=digest, origin=origin, recorded_at=ctx.clock()))


# -- what an office may send: its own case, whole, and nothing of anyone else's ---------------------------------

KIND_LABELS = {"case": "案件", "respondents": "被问责对象", "clues": "问责线索", "attachments": "附件",
               "evidence": "证据", "events": "程序记录", "accountabilities": "问责情况", "restrictions": "影响期限制",
               "documents": "文书"}
# What each office keeps for itself (handler, seal, version counters…) never travels; a record that carries it would
# set it here.
LOCAL_FIELDS = "本单位自有的字段（经办人、印章、版本号等不随数据包交换）"
# Columns that point at another row of the same case (the database's foreign keys would accept a row of any case).
REFERENCES = {"evidence": {"attachment_id": "attachments"}, "accountabilities": {"respondent_id": "respondents"},
              "restrictions": {"respondent_id": "respondents"}}
# A document names the event it was issued for; not a foreign key (a withdrawn record leaves a voided document).
LOOSE_REFERENCES = {"documents": {"event_id": "events"}}


def check_record(session: Session, case: IncomingCase, claimed: dict[tuple[str, str], str] | None = None) -> None:
    """Refuse (IntegrityFailure) an incoming record any of whose rows is not its case's own: a row whose
    ``case_id`` is another case, a row id that belongs to another case here (or, ``claimed``, to an earlier case
    of the same package: (kind, id) → its case number), a reference to another case's row, or a value of the
    wrong kind. A trusted office is trusted with its own cases, not with ours."""
    record, case_id = case.record, case.id

    def refuse(kind: str, why: str) -> IntegrityFailure:
        return IntegrityFailure(f"数据包中案件 {case.number} 的记录含有{why}（{KIND_LABELS.get(kind, kind)}），"
                                "拒绝导入，未导入任何内容。发送单位只能发送其自己的案件内容，请与发送单位核实。")

    if not isinstance(record.get("case"), dict) or record["case"].get("id") != case_id:
        raise refuse("case", "与清单不一致的案件")
    if LOCAL_ONLY_CASE & record["case"].keys():
        raise refuse("case", LOCAL_FIELDS)
    _check_shape(Case, record["case"], lambda: refuse("case", "格式不正确的字段"))
    ids: dict[str, set[str]] = {}
    for kind, model in PARTS.items():
        rows = record.get(kind, [])
        if not isinstance(rows, list) or not all(isinstance(r, dict) and isinstance(r.get("id"), str)
                                                 for r in rows):
            raise refuse(kind, "格式不正确的记录")
        ids[kind] = {r["id"] for r in rows}
        if len(ids[kind]) != len(rows):
            raise refuse(kind, "重复的记录")
        for row in rows:
            if row.get("case_id") != case_id:
                raise refuse(kind, "属于其他案件的记录")
            if LOCAL_ONLY & row.keys():
                raise refuse(kind, LOCAL_FIELDS)
            _check_shape(model, row, lambda kind=kind: refuse(kind, "格式不正确的字段"))

    def owned_elsewhere(wanted: dict[str, list[str]]) -> None:
        for kind, kind_ids in wanted.items():
            for rid in kind_ids:
                if claimed is not None and (kind, rid) in claimed:
                    raise refuse(kind, f"同一数据包中案件 {claimed[kind, rid]} 的记录")
        if found := _held_elsewhere(session, case_id, wanted):
            kind, other_case = found
            number = session.scalar(select(Case.number).where(Case.id == other_case)) if other_case else None
            raise refuse(kind, f"本单位另一案件{f' {number} ' if number else ''}的记录")

    # First the rows themselves, so the refusal names the row taken, not what it points at.
    owned_elsewhere({kind: sorted(kind_ids) for kind, kind_ids in ids.items()})
    loose: dict[str, list[str]] = {}
    for kind, columns in LOOSE_REFERENCES.items():
        for row in record.get(kind, []):
            for column, target in columns.items():
                if row.get(column) is not None and row[column] not in ids[target]:
                    loose.setdefault(target, []).append(row[column])
    owned_elsewhere(loose)
    for kind, columns in REFERENCES.items():
        for row in record.get(kind, []):
            for column, target in columns.items():
                if row.get(column) is not None and row[column] not in ids[target]:
                    raise refuse(kind, f"指向其他案件{KIND_LABELS[target]}的记录")
    if claimed is not None:
        claimed.update(((kind, rid), case.number) for kind, kind_ids in ids.items() for rid in kind_ids)


def _held_elsewhere(session: Session, case_id: str, wanted: dict[str, list[str]]) -> tuple[str, str | None] | None:
    """(kind, case id) of the first of ``wanted`` (kind → row ids) that exists here under another case (or
    none). One statement for a usual case: an import checks every case it reads."""
    parts: list[tuple[str, list[str]]] = []
    for kind, kind_ids in wanted.items():
        table = PARTS[kind].__tablename__
        for i in range(0, len(kind_ids), 500):
            chunk = kind_ids[i:i + 500]
            # ``IS NOT`` is null-safe: a row with no case at all is not this case's either.
            parts.append((f"SELECT '{kind}', case_id FROM {table} WHERE id IN ({','.join('?' * len(chunk))}) "
                          "AND case_id IS NOT ?", [*chunk, case_id]))
    for i in range(0, len(parts), 16):  # well under SQLite's limit of bound parameters per statement
        group = parts[i:i + 16]
        row = session.connection().exec_driver_sql(
            " UNION ALL ".join(sql for sql, _ in group) + " LIMIT 1",
            tuple(param for _, params in group for param in params)).first()
        if row is not None:
            return row[0], row[1]
    return None


_KINDS: list[tuple[type, tuple[type, ...]]] = [
    (Boolean, (bool,)), (Integer, (int,)), (String, (str,)), (Text, (str,)), (UTCDateTime, (str,)), (Date, (str,)),
]


def _check_shape(model: type[Record], row: dict[str, Any], refuse) -> None:
    """Each value the kind its column stores (a malformed value would otherwise fail deep in the write)."""
    for column in model.__table__.columns:
        value = row.get(column.key)
        if value is None or isinstance(column.type, JSON):
            continue
        for sql_type, python in _KINDS:
            if isinstance(column.type, sql_type):
                if not isinstance(value, python) or (python == (int,) and isinstance(value, bool)):
                    raise refuse()
                break
        try:
            if isinstance(column.type, UTCDateTime) and datetime.fromisoformat(value).tzinfo is None:
                raise refuse()
            if isinstance(column.type, Date) and not isinstance(column.type, UTCDateTime):
                date.fromisoformat(value)
        except ValueError:
            raise refuse() from None


# -- issued documents are never rewritten by an import -------------------------------------------------------------

VOID_FIELDS = frozenset({"voided_at", "voided_by", "void_reason", "updated_at"})
DOCUMENT_FIELDS = {"number": "文号", "verification_code": "核验码", "sha256": "文件内容", "size": "文件大小",
                   "title": "标题", "kind": "种类", "series": "文号系列", "year": "年度", "seq": "序号",
                   "sealed": "盖章", "issued_by": "签发人", "issued_at": "签发时间", "event_id": "所依据的记录",
                   "fonts": "字体", "voided_at": "作废", "voided_by": "作废人", "void_reason": "作废原因",
                   "updated_at": "修改时间", "case_id": "所属案件"}


def rewritten_document(session: Session, record: dict[str, Any]) -> str:
    """Why the incoming record would rewrite a document issued here ("" if it would not).

    A document is issued once; after that the only change it knows is being voided. So an incoming version of
    a document we hold may differ only by a void we do not have yet; any other difference — number,
    verification code, file, a void undone or reworded — is not applied but makes the case a conflict."""
    incoming = {row["id"]: row for row in record.get("documents", [])}
    if not incoming:
        return ""
    for local in session.scalars(select(IssuedDocument).where(IssuedDocument.id.in_(list(incoming)))):
        mine, theirs = row_of(local), incoming[local.id]
        changed = {key for key in mine if key in theirs and mine[key] != theirs[key]}
        if mine["voided_at"] is None and theirs.get("voided_at") is not None:
            changed -= VOID_FIELDS  # voided by the sender: the void travels
        if changed:
            what = "、".join(sorted({DOCUMENT_FIELDS.get(key, key) for key in changed}))
            return f"文书 {local.number} 与本单位已登记的不同（{what}）：已签发的文书不会被导入改写"
    return ""


def changed_rows(local: dict[str, Any] | None, incoming: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """What writing ``incoming`` over ``local`` (None: a new case) changes, by kind: ids added, updated, removed
    (documents are kept even when the sender's record lacks them)."""
    added: dict[str, list[str]] = {}
    updated: dict[str, list[str]] = {}
    removed: dict[str, list[str]] = {}
    if local is None:
        added["case"] = [incoming["case"]["id"]]
    elif any(k in incoming["case"] and incoming["case"][k] != v for k, v in local["case"].items()):
        updated["case"] = [incoming["case"]["id"]]
    for kind in PARTS:
        mine = {row["id"]: row for row in (local or {}).get(kind, [])}
        theirs = {row["id"]: row for row in incoming.get(kind, [])}
        added[kind] = sorted(rid for rid in theirs if rid not in mine)
        updated[kind] = sorted(rid for rid, row in theirs.items() if rid in mine
                               and any(k in row and row[k] != v for k, v in mine[rid].items()))
        removed[kind] = [] if kind in KEPT else sorted(rid for rid in mine if rid not in theirs)
    result = {"added": added, "updated": updated, "removed": removed}
    return {how: {kind: ids for kind, ids in by_kind.items() if ids} for how, by_kind in result.items()
            if any(by_kind.values())}
