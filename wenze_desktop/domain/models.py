"""The records of a workspace: workspace identity, staff users, cases and their parts, audit entries."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from wenze_desktop.domain.base import Base, Record, UTCDateTime, new_uuid, utcnow


class WorkspaceInfo(Record):
    """The single row that names this workspace. ``id`` is the instance id; a restored copy gets a new one."""

    __tablename__ = "workspace"

    name: Mapped[str] = mapped_column(String(200))
    organ_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The audit chain's head, kept with the data so that cutting entries off the end is detected too.
    audit_head_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_head_hash: Mapped[str] = mapped_column(String(64), default="")


class StaffUser(Record):
    __tablename__ = "staff_user"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Case(Record):
    __tablename__ = "case_file"
    # The registry lists the most recently changed cases first and counts over the small filter indexes.
    __table_args__ = (Index("ix_case_file_updated_at", "updated_at"),)
    # (Indexed by migrations 0003/0005: regulation_id, step, handler_id, next_due, updated_at; searched through the
    # trigram index of storage/search.py, which triggers keep current.)

    number: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    regulation_id: Mapped[str] = mapped_column(String(32), index=True)
    step: Mapped[str] = mapped_column(String(64), default="clue", index=True)
    handler_id: Mapped[str | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    facts: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The earliest open deadline, kept by the procedure service whenever deadlines are stored (sort/filter column).
    next_due: Mapped[date | None] = mapped_column(Date, index=True)
    # records withdrawn (撤回) from the procedure, kept whole with the reason, who and when
    withdrawn_records: Mapped[list | None] = mapped_column(JSON)

    clues: Mapped[list[Clue]] = relationship(back_populates="case", cascade="all, delete-orphan")
    respondents: Mapped[list[Respondent]] = relationship(back_populates="case", cascade="all, delete-orphan")
    attachments: Mapped[list[Attachment]] = relationship(back_populates="case", cascade="all, delete-orphan")
    evidence: Mapped[list[Evidence]] = relationship(back_populates="case", cascade="all, delete-orphan",
                                                    order_by="Evidence.seq")


class Clue(Record):
    __tablename__ = "clue"
    __table_args__ = (CheckConstraint(
        "source IN ('instruction','proposal','assessment','media','complaint','inspection','other')",
        name="source"),)

    case_id: Mapped[str | None] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    received_on: Mapped[date] = mapped_column(Date)
    provider: Mapped[str] = mapped_column(String(200), default="")
    content: Mapped[str] = mapped_column(Text, default="")

    case: Mapped[Case | None] = relationship(back_populates="clues")


class Respondent(Record):
    """A person (name, gender, ethnicity, birth date, unit, post, rank) or a unit (full name, principal)."""

    __tablename__ = "respondent"
    __table_args__ = (
        CheckConstraint("kind IN ('person','unit')", name="kind"),
        CheckConstraint("gender IS NULL OR gender IN ('male','female')", name="gender"),
    )

    case_id: Mapped[str] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))  # a person's name, or a unit's full name
    gender: Mapped[str | None] = mapped_column(String(8))
    ethnicity: Mapped[str | None] = mapped_column(String(32))
    birth_date: Mapped[date | None] = mapped_column(Date)
    unit: Mapped[str | None] = mapped_column(String(200))
    post: Mapped[str | None] = mapped_column(String(200))
    rank: Mapped[str | None] = mapped_column(String(64))  # 职级
    principal: Mapped[str | None] = mapped_column(String(100))  # a unit's principal (主要负责人)
    id_number: Mapped[str | None] = mapped_column(String(32))  # 公民身份号码: who the person is across cases
    # Where the regulation distinguishes them (profile [respondents]): 主要负责人 / 分管领导 / 直接责任人 …
    role: Mapped[str | None] = mapped_column(String(32))
    # … and 全面 / 主要 / 重要领导责任 (ccp2016 第五条).
    responsibility: Mapped[str | None] = mapped_column(String(32))

    case: Mapped[Case] = relationship(back_populates="respondents")


class Attachment(Record):
    """A file kept inside the encrypted database; its SHA-256 is checked on every read."""

    __tablename__ = "attachment"
    # Listing a case's attachments must not read their contents: the row stores id/updated_at/version after the
    # content, so without this covering index every listing would walk (and decrypt) every file.
    __table_args__ = (Index("ix_attachment_listing", "case_id", "id", "filename", "media_type", "size", "sha256",
                            "updated_at", "version"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(260))
    media_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))  # not loaded when listing

    case: Mapped[Case] = relationship(back_populates="attachments")


class Evidence(Record):
    """One item of the case's evidence list (证据清单), optionally backed by an attachment."""

    __tablename__ = "evidence"

    case_id: Mapped[str] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32), default="书证")
    source: Mapped[str] = mapped_column(String(200), default="")
    collected_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    attachment_id: Mapped[str | None] = mapped_column(ForeignKey("attachment.id", ondelete="SET NULL"))

    case: Mapped[Case] = relationship(back_populates="evidence")


class ProcedureEvent(Record):
    """One recorded procedure action of a case (filing, notice served, decision …) with the data it took."""

    __tablename__ = "procedure_event"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    path: Mapped[str] = mapped_column(String(16), default="main")
    step_before: Mapped[str] = mapped_column(String(64))
    step_after: Mapped[str] = mapped_column(String(64))
    occurred_on: Mapped[date] = mapped_column(Date)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    recorded_by: Mapped[str | None] = mapped_column(String(36))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_name: Mapped[str | None] = mapped_column(String(100))  # the 录入人, as named when recorded
    # earlier versions of a corrected record: [{on, data, reason, by, at}], oldest first
    revisions: Mapped[list | None] = mapped_column(JSON)


class CaseDeadline(Record):
    """A deadline derived from a case's events (rewritten whenever they or the calendar change)."""

    __tablename__ = "case_deadline"
    __table_args__ = (Index("ix_case_deadline_is_open_due", "is_open", "due"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(100))
    step: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    trigger_on: Mapped[date] = mapped_column(Date)
    due: Mapped[date] = mapped_column(Date)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    unknown_years: Mapped[list[int]] = mapped_column(JSON, default=list)
    met_on: Mapped[date | None] = mapped_column(Date)
    article: Mapped[str] = mapped_column(String(100))
    extended: Mapped[int] = mapped_column(Integer, default=0)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)


class Accountability(Record):
    """A person or unit held accountable by a decided case (the basis of the repeat-within-a-year check)."""

    __tablename__ = "accountability"

    case_id: Mapped[str] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    respondent_id: Mapped[str] = mapped_column(ForeignKey("respondent.id", ondelete="CASCADE"))
    person_key: Mapped[str | None] = mapped_column(String(300), index=True)
    person_name: Mapped[str] = mapped_column(String(200))
    decided_on: Mapped[date] = mapped_column(Date)
    forms: Mapped[list[str]] = mapped_column(JSON, default=list)
    revoked_on: Mapped[date | None] = mapped_column(Date)


class Restriction(Record):
    """An after-effect (影响期) of a decided form: e.g. no promotion until ``ends_on``."""

    __tablename__ = "restriction"

    case_id: Mapped[str] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    respondent_id: Mapped[str] = mapped_column(ForeignKey("respondent.id", ondelete="CASCADE"))
    person_key: Mapped[str] = mapped_column(String(300), index=True)
    person_name: Mapped[str] = mapped_column(String(200))
    form_id: Mapped[str] = mapped_column(String(64))
    form_name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(String(300), default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    article: Mapped[str] = mapped_column(String(100))
    lifted_on: Mapped[date | None] = mapped_column(Date)
    lifted_reason: Mapped[str | None] = mapped_column(String(300))


class CalendarYear(Record):
    """A year's holiday arrangement entered by an administrator; it wins over chinese-calendar for that year."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, unique=True)
    holidays: Mapped[list[str]] = mapped_column(JSON, default=list)
    workdays: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(300), default="")
    entered_by: Mapped[str] = mapped_column(String(64))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """One link of the audit hash chain. Never updated, never deleted."""

    __tablename__ = "audit_entry"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[str | None] = mapped_column(String(36))
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(36), index=True)
    old_values: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON
    new_values: Mapped[str] = mapped_column(Text, default="{}")
    success: Mapped[bool] = mapped_column(Boolean, default=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class PendingOperation(Base):
    """An operation that produces something outside the database (a file, a key slot), between its audited
    intent and its completion. Rows left by an interrupted process are settled at the next sign-in
    (``services/journal.reconcile``)."""

    __tablename__ = "pending_operation"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the intent's audit entry id
    seq: Mapped[int] = mapped_column(Integer)  # the intent's audit entry number
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(36))
    user_id: Mapped[str | None] = mapped_column(String(36))
    username: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # what the operation leaves: {"product": path, "product_before": stat or None, "scratch": [paths],
    #                             "keyslot": {"username", "sha256"}}
    traces: Mapped[dict] = mapped_column(JSON, default=dict)


class Seal(Record):
    """An organ's seal image (PNG with transparency), kept in the encrypted database; registered by the security
    officer, retired rather than deleted so that old documents still name it."""

    __tablename__ = "seal"

    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    registered_by: Mapped[str] = mapped_column(String(64))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DocumentSettings(Record):
    """How the organ's documents name it: 发文机关标志, 署名, 机关代字 and 文种代字, 印发机关, 抄送 (one row)."""

    __tablename__ = "document_settings"

    mark: Mapped[str] = mapped_column(String(200), default="")
    signing_organ: Mapped[str] = mapped_column(String(200), default="")
    organ_code: Mapped[str] = mapped_column(String(32), default="")
    kind_codes: Mapped[dict] = mapped_column(JSON, default=dict)
    printer: Mapped[str] = mapped_column(String(200), default="")
    cc: Mapped[str] = mapped_column(Text, default="")


class IssuedDocument(Record):
    """A document as issued: its number (never reused), the exact PDF bytes and their SHA-256, the verification
    code printed on it. Voiding keeps the row, so the register explains every gap in a series."""

    __tablename__ = "issued_document"
    __table_args__ = (UniqueConstraint("series", "year", "seq"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("case_file.id"), index=True)
    event_id: Mapped[str | None] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(32))
    series: Mapped[str] = mapped_column(String(100))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    verification_code: Mapped[str] = mapped_column(String(32), unique=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    sealed: Mapped[bool] = mapped_column(Boolean, default=False)
    seal_id: Mapped[str | None] = mapped_column(ForeignKey("seal.id"))
    fonts: Mapped[list[str]] = mapped_column(JSON, default=list)
    issued_by: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_by: Mapped[str | None] = mapped_column(String(64))
    void_reason: Mapped[str | None] = mapped_column(String(300))


from wenze_desktop.domain import exchange  # noqa: E402, F401  (registers the exchange tables on the metadata)
