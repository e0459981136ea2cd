"""A covering index for listing attachments without reading their contents (export reads every case's list).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COLUMNS = ["case_id", "id", "filename", "media_type", "size", "sha256", "updated_at", "version"]


def upgrade() -> None:
    op.create_index("ix_attachment_listing", "attachment", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_attachment_listing", table_name="attachment")
