"""Records that say who recorded them and keep their corrections; withdrawn records kept with the case; review
outcomes as codes.

- procedure_event.recorded_by_name: the 录入人 as named when recorded (travels with the case to other offices);
- procedure_event.revisions: earlier versions of a corrected record (date, data, reason, who, when);
- case_file.withdrawn_records: records withdrawn (撤回) from the case, with the reason, who and when;
- decide_appeal outcomes stored as codes (uphold / modify / revoke) instead of 维持 / 变更 / 撤销.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""
import json

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OUTCOMES = {"维持": "uphold", "变更": "modify", "撤销": "revoke"}


def upgrade() -> None:
    # plain ADD COLUMN: a batch copy of case_file would drop the search triggers
    op.add_column("procedure_event", sa.Column("recorded_by_name", sa.String(100), nullable=True))
    op.add_column("procedure_event", sa.Column("revisions", sa.JSON(), nullable=True))
    op.add_column("case_file", sa.Column("withdrawn_records", sa.JSON(), nullable=True))
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE procedure_event SET recorded_by_name = (SELECT display_name FROM staff_user "
                         "WHERE staff_user.id = procedure_event.recorded_by)"))
    _rewrite_outcomes(conn, OUTCOMES)


def _rewrite_outcomes(conn, mapping: dict[str, str]) -> None:
    rows = conn.execute(sa.text("SELECT id, data FROM procedure_event WHERE action = 'decide_appeal'")).fetchall()
    for event_id, text in rows:
        data = json.loads(text or "{}")
        if data.get("outcome") in mapping:
            data["outcome"] = mapping[data["outcome"]]
            conn.execute(sa.text("UPDATE procedure_event SET data = :data WHERE id = :id"),
                         {"data": json.dumps(data, ensure_ascii=False), "id": event_id})


def downgrade() -> None:
    _rewrite_outcomes(op.get_bind(), {code: word for word, code in OUTCOMES.items()})
    op.drop_column("case_file", "withdrawn_records")
    op.drop_column("procedure_event", "revisions")
    op.drop_column("procedure_event", "recorded_by_name")
