"""The case desk: the next open deadline on each case (sorting and filtering 100k cases by index), respondents'
roles and responsibility, the evidence list, and the trigram full-text index the registry searches.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

from wenze_desktop.domain.base import UTCDateTime
from wenze_desktop.storage.search import SEARCH_DDL, SEARCH_DROP, rebuild_statement

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table copy), so case_file keeps its rowids: the search index is keyed by them.
    op.add_column("case_file", sa.Column("next_due", sa.Date(), nullable=True))
    op.create_index("ix_case_file_next_due", "case_file", ["next_due"])
    op.create_index("ix_case_file_handler_id", "case_file", ["handler_id"])
    op.add_column("respondent", sa.Column("role", sa.String(32), nullable=True))
    op.add_column("respondent", sa.Column("responsibility", sa.String(32), nullable=True))
    op.create_table(
        "evidence",
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("collected_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("attachment_id", sa.String(36), nullable=True),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evidence"),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_evidence_case_id_case_file",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["attachment_id"], ["attachment.id"], name="fk_evidence_attachment_id_attachment",
                                ondelete="SET NULL"),
    )
    op.create_index("ix_evidence_case_id", "evidence", ["case_id"])
    # Cases that already have deadlines: their next open one.
    op.execute("UPDATE case_file SET next_due = (SELECT min(due) FROM case_deadline d "
               "WHERE d.case_id = case_file.id AND d.is_open)")
    for statement in SEARCH_DDL:
        op.execute(statement)
    op.execute(rebuild_statement())


def downgrade() -> None:
    for statement in SEARCH_DROP:
        op.execute(statement)
    op.drop_index("ix_evidence_case_id", table_name="evidence")
    op.drop_table("evidence")
    with op.batch_alter_table("respondent") as batch:
        batch.drop_column("responsibility")
        batch.drop_column("role")
    op.drop_index("ix_case_file_handler_id", table_name="case_file")
    op.drop_index("ix_case_file_next_due", table_name="case_file")
    with op.batch_alter_table("case_file") as batch:
        batch.drop_column("next_due")
