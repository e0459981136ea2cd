"""Cases, clues, respondents and attachments.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

from wenze_desktop.domain.base import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _record_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "case_file",
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("regulation_id", sa.String(32), nullable=False),
        sa.Column("step", sa.String(64), nullable=False),
        sa.Column("handler_id", sa.String(36), nullable=True),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        *_record_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_case_file"),
        sa.UniqueConstraint("number", name="uq_case_file_number"),
        sa.ForeignKeyConstraint(["handler_id"], ["staff_user.id"], name="fk_case_file_handler_id_staff_user"),
    )
    op.create_table(
        "clue",
        sa.Column("case_id", sa.String(36), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("provider", sa.String(200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        *_record_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_clue"),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_clue_case_id_case_file",
                                ondelete="CASCADE"),
        sa.CheckConstraint(
            "source IN ('instruction','proposal','assessment','media','complaint','inspection','other')",
            name="ck_clue_source"),
    )
    op.create_index("ix_clue_case_id", "clue", ["case_id"])
    op.create_table(
        "respondent",
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("gender", sa.String(8), nullable=True),
        sa.Column("ethnicity", sa.String(32), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("unit", sa.String(200), nullable=True),
        sa.Column("post", sa.String(200), nullable=True),
        sa.Column("rank", sa.String(64), nullable=True),
        sa.Column("principal", sa.String(100), nullable=True),
        *_record_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_respondent"),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_respondent_case_id_case_file",
                                ondelete="CASCADE"),
        sa.CheckConstraint("kind IN ('person','unit')", name="ck_respondent_kind"),
        sa.CheckConstraint("gender IS NULL OR gender IN ('male','female')", name="ck_respondent_gender"),
    )
    op.create_index("ix_respondent_case_id", "respondent", ["case_id"])
    op.create_table(
        "attachment",
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("filename", sa.String(260), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        *_record_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_attachment"),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_attachment_case_id_case_file",
                                ondelete="CASCADE"),
    )
    op.create_index("ix_attachment_case_id", "attachment", ["case_id"])


def downgrade() -> None:
    for table in ("attachment", "respondent", "clue"):
        op.drop_index(f"ix_{table}_case_id", table_name=table)
        op.drop_table(table)
    op.drop_table("case_file")
