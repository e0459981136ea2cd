"""Exchange between offices: transfer keys, case revisions seen, received audit trails, kept conflicts.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

from wenze_desktop.domain.base import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _record(table: str) -> list:
    return [sa.Column("id", sa.String(36), nullable=False), sa.Column("updated_at", UTCDateTime(), nullable=False),
            sa.Column("version", sa.Integer(), nullable=False), sa.PrimaryKeyConstraint("id", name=f"pk_{table}")]


def upgrade() -> None:
    op.create_table(
        "office_key",
        sa.Column("own", sa.Boolean(), nullable=False),
        sa.Column("office_id", sa.String(36), nullable=False),
        sa.Column("office_name", sa.String(200), nullable=False),
        sa.Column("signing_key", sa.String(64), nullable=False),
        sa.Column("recipient", sa.String(100), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("signing_secret", sa.LargeBinary(), nullable=True),
        sa.Column("age_identity", sa.Text(), nullable=True),
        sa.Column("added_by", sa.String(64), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.Column("removed_at", UTCDateTime(), nullable=True),
        *_record("office_key"),
        sa.UniqueConstraint("fingerprint", name="uq_office_key_fingerprint"),
    )
    op.create_table(
        "case_revision",
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "content_hash", name="pk_case_revision"),
    )
    op.create_table(
        "received_audit_entry",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("origin_id", sa.String(36), nullable=False),
        sa.Column("origin_name", sa.String(200), nullable=False),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("object_type", sa.String(32), nullable=False),
        sa.Column("object_id", sa.String(36), nullable=True),
        sa.Column("old_values", sa.Text(), nullable=False),
        sa.Column("new_values", sa.Text(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("package_sha256", sa.String(64), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_received_audit_entry"),
    )
    op.create_index("ix_received_audit_entry_case_id", "received_audit_entry", ["case_id"])
    op.create_table(
        "transfer_conflict",
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("case_number", sa.String(64), nullable=False),
        sa.Column("case_title", sa.String(300), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("sender_name", sa.String(200), nullable=False),
        sa.Column("sender_fingerprint", sa.String(64), nullable=False),
        sa.Column("package_id", sa.String(36), nullable=False),
        sa.Column("package_sha256", sa.String(64), nullable=False),
        sa.Column("local_hash", sa.String(64), nullable=False),
        sa.Column("incoming_hash", sa.String(64), nullable=False),
        sa.Column("incoming_history", sa.JSON(), nullable=False),
        sa.Column("incoming_record", sa.Text(), nullable=False),
        sa.Column("incoming_files", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(64), nullable=True),
        sa.Column("resolution", sa.String(16), nullable=True),
        *_record("transfer_conflict"),
        sa.UniqueConstraint("case_id", "incoming_hash", name="uq_transfer_conflict_case_id"),
    )
    op.create_index("ix_transfer_conflict_case_id", "transfer_conflict", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_transfer_conflict_case_id", table_name="transfer_conflict")
    op.drop_table("transfer_conflict")
    op.drop_index("ix_received_audit_entry_case_id", table_name="received_audit_entry")
    op.drop_table("received_audit_entry")
    op.drop_table("case_revision")
    op.drop_table("office_key")
