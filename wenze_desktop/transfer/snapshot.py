"""A case and its parts as one JSON record, and the same record written back into a database.

The record holds what the offices share. It leaves out what is local to a workspace — record version counters,
the assigned handler, the seal row a document points to — and what is derived (deadlines, the next due date),
which the receiver recomputes with its own calendar. So a case that reached another office unchanged encodes to
the same bytes there, and the SHA-256 of those bytes is the case's content hash.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from wenze_desktop.domain.base import Record, UTCDateTime
from wenze_desktop.domain.models import (
    Accountability,
    Attachment,
    Case,
    Clue,
    Evidence,
    IssuedDocument,
    ProcedureEvent,
    Respondent,
    Restriction,
)
from wenze_desktop.errors import IntegrityFailure

LOCAL_ONLY = frozenset({"version", "content", "handler_id", "next_due", "seal_id"})
# The case row's stamp moves with derived data too (a new next due date after the calendar changed), so it says
# "touched here", not "changed in substance": each office keeps its own.
LOCAL_ONLY_CASE = LOCAL_ONLY | {"updated_at"}
# In foreign-key order: what others refer to comes first (evidence → attachment, accountability → respondent).
PARTS: dict[str, type[Record]] = {
    "respondents": Respondent, "clues": Clue, "attachments": Attachment, "evidence": Evidence,
    "events": ProcedureEvent, "accountabilities": Accountability, "restrictions": Restriction,
    "documents": IssuedDocument,
}
WITH_FILES = ("attachments", "documents")  # rows whose bytes travel as files/<sha256>
KEPT = ("documents",)  # the document register never loses a row, even when the sender's record lacks it


def _columns(model: type[Record]) -> list[str]:
    local = LOCAL_ONLY_CASE if model is Case else LOCAL_ONLY
    return [c.key for c in model.__table__.columns if c.key not in local]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def typed_values(model: type[Record], row: dict[str, Any]) -> dict[str, Any]:
    values = {}
    for column in model.__table__.columns:
        if column.key not in row:
            continue
        value = row[column.key]
        if value is not None and isinstance(column.type, UTCDateTime):
            value = datetime.fromisoformat(value)
        elif value is not None and isinstance(column.type, Date):
            value = date.fromisoformat(value)
        values[column.key] = value
    return values


def row_of(record: Record) -> dict[str, Any]:
    return {key: _plain(getattr(record, key)) for key in _columns(type(record))}


def case_record(session: Session, case_id: str) -> dict[str, Any]:
    found = case_records(session, [case_id])
    if case_id not in found:
        raise IntegrityFailure(f"找不到案件 {case_id}。")
    return found[case_id][0]


def case_records(session: Session, case_ids: list[str], chunk: int = 400
                 ) -> dict[str, tuple[dict[str, Any], dict[str, int]]]:
    """case id → (record, record id → version) for many cases at once: one query per table and chunk, never
    reading file contents (so the attachment listing is served by its covering index)."""
    found: dict[str, tuple[dict[str, Any], dict[str, int]]] = {}
    for i in range(0, len(case_ids), chunk):
        ids = case_ids[i:i + chunk]
        table = Case.__table__
        for row in session.execute(select(table).where(table.c.id.in_(ids))).mappings():
            record = {"case": _plain_row(Case, row), **{key: [] for key in PARTS}}
            found[row["id"]] = (record, {row["id"]: row["version"]})
        for key, model in PARTS.items():
            table = model.__table__
            columns = [c for c in table.columns if c.key != "content"]
            query = select(*columns).where(table.c.case_id.in_(ids)).order_by(table.c.id)
            for row in session.execute(query).mappings():
                record, versions = found[row["case_id"]]
                record[key].append(_plain_row(model, row))
                versions[row["id"]] = row["version"]
    return found


def _plain_row(model: type[Record], row) -> dict[str, Any]:
    return {key: _plain(row[key]) for key in _columns(model)}


def encode(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def content_hash(record: dict[str, Any]) -> str:
    return hashlib.sha256(encode(record)).hexdigest()


def files_of(record: dict[str, Any]) -> dict[str, int]:
    """sha256 → size of every attachment and issued document the record refers to."""
    return {row["sha256"]: row["size"] for key in WITH_FILES for row in record.get(key, [])}


def record_ids(record: dict[str, Any]) -> list[str]:
    return [record["case"]["id"]] + [row["id"] for key in PARTS for row in record.get(key, [])]


class CaseWriter:
    """Writes an incoming record over the local case in the open transaction: rows are upserted by UUID, rows
    the sender no longer has are removed (documents excepted), and rows with files wait for their bytes."""

    def __init__(self, session: Session, record: dict[str, Any]) -> None:
        self.session, self.record = session, record
        self.waiting: dict[str, list[tuple[type[Record], dict]]] = {}

    def begin(self) -> None:
        s, record = self.session, self.record
        self._upsert(Case, record["case"])
        s.flush()
        case_id = record["case"]["id"]
        for key, model in reversed(PARTS.items()):  # dependants first
            if key in KEPT:
                continue
            wanted = {row["id"] for row in record.get(key, [])}
            for row in s.scalars(select(model).where(model.case_id == case_id)):
                if row.id not in wanted:
                    s.delete(row)
            s.flush()
        for key in WITH_FILES:
            model = PARTS[key]
            for row in record.get(key, []):
                local = s.get(model, row["id"])
                if local is not None and local.sha256 == row["sha256"]:
                    self._upsert(model, row)  # same bytes already here: only the description may differ
                else:
                    self.waiting.setdefault(row["sha256"], []).append((model, row))
        s.flush()

    def file(self, sha256: str, data: bytes) -> None:
        for model, row in self.waiting.pop(sha256, []):
            obj = self._upsert(model, row, content=data)
            self.session.flush()
            self.session.expire(obj, ["content"])  # let the bytes go; the next file may be large too

    def finish(self) -> None:
        _check_complete(self.record, self.waiting)
        for key, model in PARTS.items():
            if key in WITH_FILES:
                continue
            for row in self.record.get(key, []):
                self._upsert(model, row)
            self.session.flush()

    def _upsert(self, model: type[Record], row: dict[str, Any], content: bytes | None = None) -> Record:
        values = typed_values(model, row)
        obj = self.session.get(model, values["id"])
        if obj is None:
            obj = model(**values)
            if content is not None:
                obj.content = content
            self.session.add(obj)
            return obj
        if content is not None:
            obj.content = content
        if row_of(obj) != row or content is not None:
            for key, value in values.items():
                setattr(obj, key, value)
            if "updated_at" in values:  # keep the sender's stamp (an unchanged value would let onupdate in)
                flag_modified(obj, "updated_at")
        return obj


class NewCases:
    """Cases of which nothing is here yet, written with plain inserts and no row-by-row lookups: the case row
    when the case begins, rows with files as their bytes arrive, and all other rows at the end in one statement
    per table (``flush``)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.rows: dict[str, list[dict[str, Any]]] = {key: [] for key in PARTS if key not in WITH_FILES}

    def writer(self, record: dict[str, Any], **local: Any) -> NewCaseSink:
        """Insert the case row, with the ``local`` columns this office derives (next due date, stamp)."""
        self.insert(Case, record["case"], **local)
        return NewCaseSink(self, record)

    def add(self, record: dict[str, Any]) -> None:
        for key, rows in self.rows.items():
            rows.extend({**typed_values(PARTS[key], r), "version": 1} for r in record.get(key, []))

    def insert(self, model: type[Record], row: dict[str, Any], **local: Any) -> None:
        self.session.connection().execute(insert(model.__table__), [{**typed_values(model, row), **local,
                                                                     "version": 1}])

    def flush(self) -> None:
        for key, rows in self.rows.items():  # in foreign-key order
            if rows:
                self.session.connection().execute(insert(PARTS[key].__table__), rows)
            self.rows[key] = []


class NewCaseSink:
    """One new case while its files arrive."""

    def __init__(self, cases: NewCases, record: dict[str, Any]) -> None:
        self.cases, self.record = cases, record
        self.waiting: dict[str, list[tuple[type[Record], dict]]] = {}
        for key in WITH_FILES:
            for row in record.get(key, []):
                self.waiting.setdefault(row["sha256"], []).append((PARTS[key], row))

    def file(self, sha256: str, data: bytes) -> None:
        for model, row in self.waiting.pop(sha256, []):
            self.cases.insert(model, row, content=data)

    def finish(self) -> None:
        _check_complete(self.record, self.waiting)
        self.cases.add(self.record)


def _check_complete(record: dict[str, Any], waiting: dict) -> None:
    if waiting:
        raise IntegrityFailure(f"案件 {record['case'].get('number')} 缺少附件或文书文件，拒绝导入。")
