"""A workspace another program holds is busy, not damaged: the first read of a new connection waits like any
other statement and then says 工作区正忙 (storage/engine.py)."""

from __future__ import annotations

import pytest
import sqlcipher3
from sqlalchemy import text

from wenze_desktop.errors import WorkspaceBusy
from wenze_desktop.storage.engine import make_engine, raw_key_literal


def test_a_connection_opened_while_another_holds_the_file_exclusively_says_busy(ctx, monkeypatch):
    monkeypatch.setenv("WENZE_BUSY_TIMEOUT_MS", "300")
    ws = ctx.workspace
    other = sqlcipher3.connect(str(ws.db_path), isolation_level=None)
    other.execute(f'PRAGMA key = "{raw_key_literal(ws.db_key)}"')
    other.execute("BEGIN EXCLUSIVE")  # e.g. a large import spilling its changes, or committing
    try:
        engine = make_engine(ws.db_path, ws.db_key)
        with pytest.raises(WorkspaceBusy, match="工作区正忙"), engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    finally:
        other.execute("ROLLBACK")
        other.close()
    engine = make_engine(ws.db_path, ws.db_key)
    with engine.connect() as conn:  # free again: the same key opens it
        assert conn.execute(text("SELECT count(*) FROM staff_user")).scalar() == 1
    engine.dispose()
