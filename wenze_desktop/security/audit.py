"""The audit log as a SHA-256 hash chain: each entry hashes its own content together with its predecessor's hash.

Editing, deleting or reordering an entry breaks the chain; cutting entries off the end no longer matches the
head kept in the workspace row. Entries are appended only inside the transaction of the change they record.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wenze_desktop.domain.base import new_uuid
from wenze_desktop.domain.models import AuditEntry, WorkspaceInfo

__all__ = ["AuditEntry", "append", "verify_chain"]

GENESIS_HASH = "0" * 64


def canonical_json(values: dict[str, Any] | None) -> str:
    return json.dumps(values or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_plain)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return {"sha256": hashlib.sha256(value).hexdigest(), "size": len(value)}
    if isinstance(value, set | frozenset | tuple):
        return sorted(value)
    return str(value)

# What an entry's hash covers, besides its time.
ENTRY_FIELDS = ("seq", "id", "user_id", "username", "action", "object_type", "object_id", "old_values",
                "new_values", "success", "prev_hash")


def entry_hash(entry: AuditEntry) -> str:
    body = [entry.seq, entry.id, entry.at.isoformat(), entry.user_id, entry.username, entry.action,
            entry.object_type, entry.object_id, entry.old_values, entry.new_values, bool(entry.success),
            entry.prev_hash]
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def exported_entry_hash(e: dict) -> str:
    """``entry_hash`` of an audit entry as a package carries it (a dict, the time in ISO form)."""
    from types import SimpleNamespace

    return entry_hash(SimpleNamespace(at=datetime.fromisoformat(e["at"]), **{k: e[k] for k in ENTRY_FIELDS}))


def append(session: Session, *, at: datetime, user_id: str | None, username: str, action: str,
           object_type: str, object_id: str | None, old: dict | None = None, new: dict | None = None,
           success: bool = True) -> AuditEntry:
    """Add the next link of the chain to ``session`` (the caller's transaction commits it).

    Only inside ``Workspace.writing``: the write lock is held from the transaction's start, so the head read
    here is still the head at commit and two appends never take the same number."""
    if not session.info.get("writing"):
        raise RuntimeError("audit entries are appended only in a write transaction (Workspace.writing)")
    workspace = session.scalars(select(WorkspaceInfo)).one()
    entry = AuditEntry(seq=workspace.audit_head_seq + 1, id=new_uuid(), at=at.astimezone(UTC), user_id=user_id,
                       username=username, action=action, object_type=object_type, object_id=object_id,
                       old_values=canonical_json(old), new_values=canonical_json(new), success=success,
                       prev_hash=workspace.audit_head_hash or GENESIS_HASH)
    entry.hash = entry_hash(entry)
    session.add(entry)
    workspace.audit_head_seq = entry.seq
    workspace.audit_head_hash = entry.hash
    return entry


@dataclass(frozen=True)
class ChainReport:
    entries: int
    head_hash: str
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(session: Session) -> ChainReport:
    """Walk the chain: numbering, links, hashes, the head kept in the workspace row, and time (an entry dated
    before its predecessor means the clock was set back, or entries were written with a wrong clock)."""
    problems: list[str] = []
    broken = False  # a link or hash problem (the head check below would only repeat it)
    prev_hash, expected_seq, count = GENESIS_HASH, 1, 0
    prev: AuditEntry | None = None
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).yield_per(1000):
        count += 1
        found = len(problems)
        if entry.seq != expected_seq:
            problems.append(f"审计记录序号不连续：应为 {expected_seq}，实为 {entry.seq}（记录被删除或插入）。")
        if entry.prev_hash != prev_hash:
            problems.append(f"审计记录 {entry.seq} 的前序哈希不符（记录被删除、插入或调换顺序）。")
        if entry_hash(entry) != entry.hash:
            problems.append(f"审计记录 {entry.seq} 的内容与其哈希不符（记录被篡改）。")
        broken = broken or len(problems) > found
        if prev is not None and entry.at < prev.at:
            problems.append(f"审计记录 {entry.seq} 的时间（{_local(entry.at)}）早于其前一条记录 {prev.seq} 的时间"
                            f"（{_local(prev.at)}）：写入时系统时钟可能被调回过。请核对本机时间，并核实这段时间内"
                            "各条记录所载时间。")
        prev_hash, expected_seq, prev = entry.hash, entry.seq + 1, entry
        if len(problems) > 20:
            problems.append("问题过多，停止检查。")
            broken = True
            break
    workspace = session.scalars(select(WorkspaceInfo)).one_or_none()
    if workspace is not None and not broken and (
            workspace.audit_head_seq != count or (count and workspace.audit_head_hash != prev_hash)):
        problems.append(f"审计链末端与工作区记录不符：工作区记载 {workspace.audit_head_seq} 条，"
                        f"实有 {count} 条（末尾记录被删除）。")
    return ChainReport(count, prev_hash, problems)


def _local(at: datetime) -> str:
    """A time as the user reads it (local time, to the second)."""
    return at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
