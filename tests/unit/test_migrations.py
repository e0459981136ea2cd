"""The schema is made only by Alembic; an older workspace is backed up, then upgraded, when opened."""

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text

from tests.conftest import ADMIN, ADMIN_PASSWORD
from wenze_desktop.domain.base import Base
from wenze_desktop.domain.models import AuditEntry
from wenze_desktop.errors import IntegrityFailure
from wenze_desktop.services.auth import login
from wenze_desktop.storage import migrations
from wenze_desktop.storage.backup import unpack_backup
from wenze_desktop.storage.engine import make_engine
from wenze_desktop.storage.keyring import Keyring
from wenze_desktop.storage.search import is_search_table
from wenze_desktop.storage.workspace import Workspace


@pytest.fixture
def engine(tmp_path):
    eng = make_engine(tmp_path / "m.db", os.urandom(32))
    yield eng
    eng.dispose()


def tables(engine) -> set[str]:
    """The ORM's tables (the full-text index's virtual and shadow tables are made by SQL, not by the models)."""
    return {t for t in inspect(engine).get_table_names() if t != "alembic_version" and not is_search_table(t)}


def test_empty_to_head_matches_the_models(engine):
    assert migrations.current_revision(engine) is None
    migrations.upgrade(engine)
    assert migrations.current_revision(engine) == migrations.head_revision()
    assert tables(engine) == set(Base.metadata.tables)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "include_name": lambda name, kind, _parent: not (kind == "table" and is_search_table(name))})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_downgrade_and_upgrade_round_trip(engine):
    migrations.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO staff_user (id, username, display_name, roles, active, created_at, "
                          "updated_at, version) VALUES ('u1', 'zhang', '张三', '[]', 1, '2026-01-01', "
                          "'2026-01-01', 1)"))
    migrations.downgrade(engine, "0001")
    assert "case_file" not in tables(engine) and "staff_user" in tables(engine)
    migrations.downgrade(engine, "base")
    assert tables(engine) == set()
    migrations.upgrade(engine)
    assert tables(engine) == set(Base.metadata.tables)
    migrations.downgrade(engine, "0001")
    migrations.upgrade(engine)
    assert migrations.current_revision(engine) == migrations.head_revision()


def test_older_workspace_is_backed_up_then_upgraded(workspace, data_dir, clock):
    ctx = workspace[0]
    migrations.downgrade(ctx.workspace.engine, "0001")  # as if written by the first release
    ctx.workspace.close()

    upgraded = login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)
    try:
        assert migrations.current_revision(upgraded.workspace.engine) == migrations.head_revision()
        backup = upgraded.workspace.pre_migration_backup
        assert backup is not None and backup.exists() and backup.parent == data_dir / "backups"
        with upgraded.workspace.session() as s:
            entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "workspace.upgrade")).one()
        assert '"0001"' in entry.old_values
    finally:
        upgraded.workspace.close()

    # The backup holds the database as it was before the upgrade, and opens with the same password.
    scratch = data_dir.parent / "check"
    manifest = unpack_backup(backup, scratch)
    assert manifest["schema_revision"] == "0001"
    keyring = Keyring.load(scratch / "wenze.keys")
    old = Workspace.attach(scratch, keyring, keyring.unlock(ADMIN, ADMIN_PASSWORD), upgrade=False)
    try:
        assert migrations.current_revision(old.engine) == "0001"
    finally:
        old.close()


def test_workspace_from_a_newer_program_is_refused(workspace, data_dir, clock):
    ctx = workspace[0]
    with ctx.workspace.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    ctx.workspace.close()
    with pytest.raises(IntegrityFailure, match="比本程序新"):
        login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)


def test_0009_names_the_recorder_and_turns_review_outcomes_into_codes(engine):
    migrations.upgrade(engine, "0008")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO staff_user (id, username, display_name, roles, active, created_at, "
                          "updated_at, version) VALUES ('u1', 'li', '李办案', '[]', 1, '2026-01-01', '2026-01-01', 1)"))
        conn.execute(text("INSERT INTO case_file (id, number, title, regulation_id, step, facts, created_at, "
                          "updated_at, version) VALUES ('c1', 'gz2009-2026-0001', '案', 'gz2009', 'appeal_decided', "
                          "'', '2026-01-01', '2026-01-01', 1)"))
        for seq, action, data in ((1, "decide_appeal", '{"outcome": "维持"}'),
                                  (2, "decide_appeal", '{"outcome": "撤销", "reason": "事实不清"}'),
                                  (3, "archive", '{"outcome": "维持"}')):
            conn.execute(text(
                "INSERT INTO procedure_event (id, case_id, seq, action, path, step_before, step_after, occurred_on, "
                "data, recorded_by, recorded_at, updated_at, version) VALUES (:id, 'c1', :seq, :action, 'appeal', "
                "'a', 'b', '2026-02-01', :data, 'u1', '2026-02-01', '2026-02-01', 1)"),
                {"id": f"e{seq}", "seq": seq, "action": action, "data": data})
    migrations.upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, data, recorded_by_name, revisions FROM procedure_event "
                                 "ORDER BY seq")).fetchall()
    assert [r[2] for r in rows] == ["李办案"] * 3 and all(r[3] is None for r in rows)
    assert '"uphold"' in rows[0][1] and '"revoke"' in rows[1][1] and "事实不清" in rows[1][1]
    assert "维持" in rows[2][1]  # only review outcomes are codes
    migrations.downgrade(engine, "0008")
    with engine.connect() as conn:
        assert "维持" in conn.execute(text("SELECT data FROM procedure_event WHERE id = 'e1'")).scalar()
