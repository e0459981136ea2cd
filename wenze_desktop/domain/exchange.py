"""Records of the exchange between offices: transfer keys, case revisions seen, received audit trails, conflicts.

None of these is itself exchanged: they say what this workspace knows about other offices and their packages.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from wenze_desktop.domain.base import Base, Record, UTCDateTime, utcnow


class OfficeKey(Record):
    """An office's transfer keys: this workspace's own pair (secret halves kept only here, in the encrypted
    database) or another office's public keys, trusted by the security officer. Identity is the signing key."""

    __tablename__ = "office_key"

    own: Mapped[bool] = mapped_column(Boolean, default=False)
    office_id: Mapped[str] = mapped_column(String(36))  # the workspace that made the key (informative)
    office_name: Mapped[str] = mapped_column(String(200))
    signing_key: Mapped[str] = mapped_column(String(64))  # Ed25519 public key, base64
    recipient: Mapped[str] = mapped_column(String(100))  # age X25519 recipient, "age1…"
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    signing_secret: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))  # own key only
    age_identity: Mapped[str | None] = deferred(mapped_column(Text))  # own key only, "AGE-SECRET-KEY-1…"
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CaseRevision(Base):
    """A content hash a case had when it was sent or received. A package carries the sender's set for each case,
    so the receiver can tell "yours descends from mine" (update) from "both changed" (conflict)."""

    __tablename__ = "case_revision"

    case_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    origin: Mapped[str] = mapped_column(String(16))  # sent / received / resolved
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReceivedAuditEntry(Base):
    """An audit entry of another office, received with a case and kept as that office's, exactly as sent (its own
    hash still checks); never part of this workspace's chain."""

    __tablename__ = "received_audit_entry"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    origin_id: Mapped[str] = mapped_column(String(36))
    origin_name: Mapped[str] = mapped_column(String(200))
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[str | None] = mapped_column(String(36))
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(36))
    old_values: Mapped[str] = mapped_column(Text)
    new_values: Mapped[str] = mapped_column(Text)
    success: Mapped[bool] = mapped_column(Boolean)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    package_sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TransferConflict(Record):
    """An incoming case that could not be applied without losing local work: kept whole until someone decides."""

    __tablename__ = "transfer_conflict"
    __table_args__ = (UniqueConstraint("case_id", "incoming_hash"),)

    case_id: Mapped[str] = mapped_column(String(36), index=True)
    case_number: Mapped[str] = mapped_column(String(64))
    case_title: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(String(300))
    sender_name: Mapped[str] = mapped_column(String(200))
    sender_fingerprint: Mapped[str] = mapped_column(String(64))
    package_id: Mapped[str] = mapped_column(String(36))
    package_sha256: Mapped[str] = mapped_column(String(64))
    local_hash: Mapped[str] = mapped_column(String(64))
    incoming_hash: Mapped[str] = mapped_column(String(64))
    incoming_history: Mapped[list[str]] = mapped_column(JSON, default=list)
    incoming_record: Mapped[str] = deferred(mapped_column(Text, nullable=False))  # the case as sent (its case.json)
    incoming_files: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))  # its files (tar)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolution: Mapped[str | None] = mapped_column(String(16))  # kept_local / took_incoming
