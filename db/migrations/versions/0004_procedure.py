"""Procedure events, derived deadlines, accountability records, restrictions, entered calendar years.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

from wenze_desktop.domain.base import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _record_columns(table: str) -> list:
    return [
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def _case_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name=f"fk_{table}_case_id_case_file",
                                   ondelete="CASCADE")


def _respondent_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["respondent_id"], ["respondent.id"],
                                   name=f"fk_{table}_respondent_id_respondent", ondelete="CASCADE")


def upgrade() -> None:
    with op.batch_alter_table("respondent") as batch:
        batch.add_column(sa.Column("id_number", sa.String(32), nullable=True))
    op.create_table(
        "procedure_event",
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("path", sa.String(16), nullable=False),
        sa.Column("step_before", sa.String(64), nullable=False),
        sa.Column("step_after", sa.String(64), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.String(36), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        *_record_columns("procedure_event"),
        _case_fk("procedure_event"),
        sa.UniqueConstraint("case_id", "seq", name="uq_procedure_event_case_id"),
    )
    op.create_index("ix_procedure_event_case_id", "procedure_event", ["case_id"])
    op.create_table(
        "case_deadline",
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("step", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("trigger_on", sa.Date(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("unknown_years", sa.JSON(), nullable=False),
        sa.Column("met_on", sa.Date(), nullable=True),
        sa.Column("article", sa.String(100), nullable=False),
        sa.Column("extended", sa.Integer(), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        *_record_columns("case_deadline"),
        _case_fk("case_deadline"),
    )
    op.create_index("ix_case_deadline_case_id", "case_deadline", ["case_id"])
    op.create_index("ix_case_deadline_is_open_due", "case_deadline", ["is_open", "due"])
    op.create_table(
        "accountability",
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("respondent_id", sa.String(36), nullable=False),
        sa.Column("person_key", sa.String(300), nullable=True),
        sa.Column("person_name", sa.String(200), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("forms", sa.JSON(), nullable=False),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        *_record_columns("accountability"),
        _case_fk("accountability"),
        _respondent_fk("accountability"),
    )
    op.create_index("ix_accountability_case_id", "accountability", ["case_id"])
    op.create_index("ix_accountability_person_key", "accountability", ["person_key"])
    op.create_table(
        "restriction",
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("respondent_id", sa.String(36), nullable=False),
        sa.Column("person_key", sa.String(300), nullable=False),
        sa.Column("person_name", sa.String(200), nullable=False),
        sa.Column("form_id", sa.String(64), nullable=False),
        sa.Column("form_name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("text", sa.String(300), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("article", sa.String(100), nullable=False),
        sa.Column("lifted_on", sa.Date(), nullable=True),
        sa.Column("lifted_reason", sa.String(300), nullable=True),
        *_record_columns("restriction"),
        _case_fk("restriction"),
        _respondent_fk("restriction"),
    )
    op.create_index("ix_restriction_case_id", "restriction", ["case_id"])
    op.create_index("ix_restriction_person_key", "restriction", ["person_key"])
    op.create_table(
        "calendar_year",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=False),
        sa.Column("workdays", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("entered_by", sa.String(64), nullable=False),
        sa.Column("entered_at", UTCDateTime(), nullable=False),
        *_record_columns("calendar_year"),
        sa.UniqueConstraint("year", name="uq_calendar_year_year"),
    )


def downgrade() -> None:
    for table in ("calendar_year", "restriction", "accountability", "case_deadline", "procedure_event"):
        op.drop_table(table)
    with op.batch_alter_table("respondent") as batch:
        batch.drop_column("id_number")
