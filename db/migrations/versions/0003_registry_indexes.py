"""Indexes the case registry sorts and filters by (and counts over: small indexes are cheap to decrypt).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INDEXES = {"ix_case_file_regulation_id": ["regulation_id"], "ix_case_file_step": ["step"],
           "ix_case_file_updated_at": ["updated_at"]}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "case_file", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="case_file")
