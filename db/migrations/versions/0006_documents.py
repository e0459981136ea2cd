"""Official documents: the issued-document register (numbers never reused, PDF bytes and hash, verification code),
the organ's seals and the settings its documents print (发文机关标志, 机关代字 …).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

from wenze_desktop.domain.base import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _record(table: str) -> list:
    return [sa.Column("id", sa.String(36), nullable=False), sa.Column("updated_at", UTCDateTime(), nullable=False),
            sa.Column("version", sa.Integer(), nullable=False), sa.PrimaryKeyConstraint("id", name=f"pk_{table}")]


def upgrade() -> None:
    op.create_table(
        "seal",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("registered_by", sa.String(64), nullable=False),
        sa.Column("registered_at", UTCDateTime(), nullable=False),
        sa.Column("retired_at", UTCDateTime(), nullable=True),
        *_record("seal"),
    )
    op.create_table(
        "document_settings",
        sa.Column("mark", sa.String(200), nullable=False),
        sa.Column("signing_organ", sa.String(200), nullable=False),
        sa.Column("organ_code", sa.String(32), nullable=False),
        sa.Column("kind_codes", sa.JSON(), nullable=False),
        sa.Column("printer", sa.String(200), nullable=False),
        sa.Column("cc", sa.Text(), nullable=False),
        *_record("document_settings"),
    )
    op.create_table(
        "issued_document",
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("series", sa.String(100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(120), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("verification_code", sa.String(32), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sealed", sa.Boolean(), nullable=False),
        sa.Column("seal_id", sa.String(36), nullable=True),
        sa.Column("fonts", sa.JSON(), nullable=False),
        sa.Column("issued_by", sa.String(64), nullable=False),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.Column("voided_at", UTCDateTime(), nullable=True),
        sa.Column("voided_by", sa.String(64), nullable=True),
        sa.Column("void_reason", sa.String(300), nullable=True),
        *_record("issued_document"),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_issued_document_case_id_case_file"),
        sa.ForeignKeyConstraint(["seal_id"], ["seal.id"], name="fk_issued_document_seal_id_seal"),
        sa.UniqueConstraint("series", "year", "seq", name="uq_issued_document_series"),
        sa.UniqueConstraint("number", name="uq_issued_document_number"),
        sa.UniqueConstraint("verification_code", name="uq_issued_document_verification_code"),
    )
    op.create_index("ix_issued_document_case_id", "issued_document", ["case_id"])
    op.create_index("ix_issued_document_sha256", "issued_document", ["sha256"])


def downgrade() -> None:
    op.drop_index("ix_issued_document_sha256", table_name="issued_document")
    op.drop_index("ix_issued_document_case_id", table_name="issued_document")
    op.drop_table("issued_document")
    op.drop_table("document_settings")
    op.drop_table("seal")
