"""The registry's search also reads evidence (title, source, note), clue texts (provider, content) and attachment
names, and every character starts a trigram (one-character searches): the index's view and triggers are defined
anew (storage/search.py) and the index is rebuilt from the cases as they are.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28
"""
from alembic import op

from wenze_desktop.storage.search import SEARCH_DDL_0005, SEARCH_DDL_0011, SEARCH_DROP, rebuild_statement

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _define(statements) -> None:
    # A contentless index cannot be altered in place: drop it with its view and triggers, create, refill.
    for statement in SEARCH_DROP:
        op.execute(statement)
    for statement in statements:
        op.execute(statement)
    op.execute(rebuild_statement())


def upgrade() -> None:
    _define(SEARCH_DDL_0011)


def downgrade() -> None:
    _define(SEARCH_DDL_0005)
