"""The schema is made only by Alembic; an older workspace is backed up, then upgraded, when opened."""

import json
import os
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text

from tests.conftest import ADMIN, ADMIN_PASSWORD
from wenze_desktop import crashpoints
from wenze_desktop.domain.base import Base
from wenze_desktop.domain.models import AuditEntry
from wenze_desktop.errors import IntegrityFailure
from wenze_desktop.security.audit import verify_chain
from wenze_desktop.services.accounts import AccountService
from wenze_desktop.services.admin import AdminService
from wenze_desktop.services.auth import login
from wenze_desktop.storage import migrations
from wenze_desktop.storage.backup import unpack_backup
from wenze_desktop.storage.engine import make_engine
from wenze_desktop.storage.keyring import Keyring
from wenze_desktop.storage.search import is_search_table, match_expression
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


def upgrade_entries(ctx) -> list[dict]:
    with ctx.workspace.session() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.action == "workspace.upgrade").order_by(AuditEntry.seq))
        return [json.loads(e.new_values) | {"seq": e.seq, "success": e.success, "by": e.username} for e in rows]


def test_older_workspace_is_backed_up_then_upgraded(workspace, data_dir, clock, monkeypatch):
    ctx = workspace[0]
    migrations.downgrade(ctx.workspace.engine, "0001")  # as if written by the first release
    ctx.workspace.close()

    seen = {}

    def step(name):  # the backup is named by a committed entry before it exists
        if name == "workspace.upgrade/intent":
            engine = make_engine(data_dir / "wenze.db", ctx.workspace.db_key)
            try:
                with engine.connect() as conn:
                    seen["entries"] = conn.execute(text("SELECT new_values FROM audit_entry WHERE action = "
                                                        "'workspace.upgrade'")).scalars().all()
            finally:
                engine.dispose()
            seen["files"] = sorted(p.name for p in (data_dir / "backups").glob("*.wzbak")) \
                if (data_dir / "backups").exists() else []

    monkeypatch.setattr(crashpoints, "step", step)
    upgraded = login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)
    try:
        assert migrations.current_revision(upgraded.workspace.engine) == migrations.head_revision()
        backup = upgraded.workspace.pre_migration_backup
        assert backup is not None and backup.exists() and backup.parent == data_dir / "backups"
        assert len(seen["entries"]) == 1 and seen["files"] == []
        assert json.loads(seen["entries"][0]) == {"stage": "started", "backup": backup.name, "schema": "0001"}
        started, completed = upgrade_entries(upgraded)
        assert started["by"] == completed["by"] == ADMIN  # who signed in
        assert completed == {"stage": "completed", "intent": started["seq"], "from": "0001",
                             "to": migrations.head_revision(), "backup": backup.name, "seq": completed["seq"],
                             "success": True, "by": ADMIN}
        assert upgraded.notices == []
        assert AdminService(upgraded).verify().ok
    finally:
        upgraded.workspace.close()
    assert oct((data_dir / "backups").stat().st_mode & 0o777) == oct(0o700)

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


OLD_REVISIONS = sorted(migrations.known_revisions() - {migrations.head_revision()})


@pytest.mark.parametrize("revision", OLD_REVISIONS)
def test_an_upgrade_from_every_older_schema_is_audited_as_whoever_signs_in(workspace, data_dir, clock, revision):
    """The models the sign-in reads before the upgrade (staff_user, workspace, audit_entry) exist at every
    revision: the started entry is appended in the old schema."""
    ctx = workspace[0]
    AccountService(ctx).create_user("wang", "王办案", ["handler"], "Wang-密码-2027x")
    migrations.downgrade(ctx.workspace.engine, revision)
    ctx.workspace.close()
    upgraded = login(data_dir, "wang", "Wang-密码-2027x", clock=clock)
    try:
        assert migrations.current_revision(upgraded.workspace.engine) == migrations.head_revision()
        started, completed = upgrade_entries(upgraded)
        assert started["stage"] == "started" and started["schema"] == revision and started["by"] == "wang"
        assert completed["stage"] == "completed" and completed["from"] == revision and completed["by"] == "wang"
        assert sorted(p.name for p in (data_dir / "backups").glob("*.wzbak")) == [started["backup"]]
        with upgraded.workspace.session() as s:  # (a handler may not run verify; the chain is what matters)
            assert verify_chain(s).ok
    finally:
        upgraded.workspace.close()


def test_a_migration_that_fails_leaves_the_old_schema_and_names_its_backup(workspace, data_dir, clock):
    ctx = workspace[0]
    key = ctx.workspace.db_key
    migrations.downgrade(ctx.workspace.engine, "0001")
    with ctx.workspace.engine.begin() as conn:  # migration 0010 will find its table taken and fail
        conn.execute(text("CREATE TABLE pending_operation (x INTEGER)"))
    ctx.workspace.close()

    with pytest.raises(IntegrityFailure, match=r"数据结构升级.*失败") as failed:
        login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)
    engine = make_engine(data_dir / "wenze.db", key)
    try:
        assert migrations.current_revision(engine) == "0001"
        # one transaction: not even the tables of 0002..0009 (which ran before 0010 failed) are left
        assert set(inspect(engine).get_table_names()) == {"alembic_version", "workspace", "staff_user",
                                                          "audit_entry", "pending_operation"}
        with engine.begin() as conn:
            rows = [json.loads(v) | {"ok": ok} for v, ok in conn.execute(text(
                "SELECT new_values, success FROM audit_entry WHERE action = 'workspace.upgrade' ORDER BY seq"))]
            conn.execute(text("DROP TABLE pending_operation"))  # support removes the obstacle
    finally:
        engine.dispose()
    started, failure = rows
    files = sorted(p.name for p in (data_dir / "backups").glob("*.wzbak"))
    assert files == [started["backup"]] and started["backup"] in str(failed.value)
    assert failure["stage"] == "failed" and failure["intent"] and failure["backup"] == started["backup"]
    assert not failure["ok"] and "pending_operation" in failure["reason"]

    clock.advance(seconds=1)
    upgraded = login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)  # the retry upgrades, with its own backup
    try:
        entries = upgrade_entries(upgraded)
        assert [e["stage"] for e in entries] == ["started", "failed", "started", "completed"]
        files = sorted(p.name for p in (data_dir / "backups").glob("*.wzbak"))
        assert files == sorted({entries[0]["backup"], entries[2]["backup"]}) and len(files) == 2
        assert AdminService(upgraded).verify().ok
    finally:
        upgraded.workspace.close()


def test_a_sign_in_killed_during_the_migrations_leaves_the_old_schema_and_a_named_backup(workspace, data_dir,
                                                                                         clock):
    """A power cut while the migrations run (not at a named step): the next sign-in finds the schema as it
    was, records the interrupted upgrade as failed, keeps its backup and upgrades again."""
    ctx = workspace[0]
    migrations.downgrade(ctx.workspace.engine, "0001")
    ctx.workspace.close()
    child = subprocess.run([sys.executable, "-c", f"""
import os
from sqlalchemy import Engine, event
def cut(conn, cursor, statement, *args):
    if "CREATE TABLE procedure_event" in statement:  # migration 0004: 0002 and 0003 have run
        os._exit(137)
event.listen(Engine, "before_cursor_execute", cut)
from wenze_desktop.services.auth import login
login({str(data_dir)!r}, {ADMIN!r}, {ADMIN_PASSWORD!r})
"""], capture_output=True, text=True, timeout=120)
    assert child.returncode == 137, child.stderr
    killed_backup = [p.name for p in (data_dir / "backups").glob("*.wzbak")]
    assert len(killed_backup) == 1

    upgraded = login(data_dir, ADMIN, ADMIN_PASSWORD)
    try:
        entries = upgrade_entries(upgraded)
        assert [e["stage"] for e in entries] == ["started", "failed", "started", "completed"]
        assert entries[0]["backup"] == killed_backup[0] and entries[1]["recovered"] is True
        assert entries[1]["to"] == "0001" and entries[1]["backup"] == killed_backup[0]
        assert len(upgraded.notices) == 1 and "仍是原来的版本" in upgraded.notices[0]
        assert killed_backup[0] in upgraded.notices[0]
        named = {e["backup"] for e in entries if e.get("backup")}
        assert {p.name for p in (data_dir / "backups").glob("*.wzbak")} == named and len(named) == 2
        assert AdminService(upgraded).verify().ok
    finally:
        upgraded.workspace.close()


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


def search_hits(engine, text_: str) -> set[str]:
    """Case ids the registry's search finds (storage/search.py's expression against the index as it is)."""
    with engine.connect() as conn:
        raw = conn.connection.driver_connection

        def terms(prefix):
            return [t for (t,) in raw.execute("SELECT term FROM case_search_terms WHERE term >= ? AND term < ?",
                                              (prefix, prefix + "\U0010ffff"))]

        expression = match_expression(text_, terms)
        if expression is None:
            return set()
        return {case_id for (case_id,) in raw.execute(
            "SELECT c.id FROM case_search s JOIN case_file c ON c.rowid = s.rowid WHERE case_search MATCH ?",
            (expression,))}


def test_0011_indexes_what_0010_cases_already_hold_and_its_downgrade_restores_the_old_search(engine):
    migrations.upgrade(engine, "0010")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO case_file (id, number, title, regulation_id, step, facts, created_at, "
                          "updated_at, version) VALUES ('c1', 'gz2009-2026-0001', '关于孙某问责的案件', 'gz2009', "
                          "'clue', '履职不力', '2026-01-01', '2026-01-01', 1)"))
        conn.execute(text("INSERT INTO respondent (id, case_id, kind, name, updated_at, version) VALUES "
                          "('r1', 'c1', 'person', '孙悟空', '2026-01-01', 1)"))
        conn.execute(text("INSERT INTO evidence (id, case_id, seq, title, kind, source, note, updated_at, version) "
                          "VALUES ('e1', 'c1', 1, '银行流水明细', '书证', '县农商银行', '', '2026-01-01', 1)"))
        conn.execute(text("INSERT INTO clue (id, case_id, source, received_on, provider, content, updated_at, "
                          "version) VALUES ('k1', 'c1', 'complaint', '2026-01-01', '钟无艳', '反映挪用扶贫资金', "
                          "'2026-01-01', 1)"))
        conn.execute(text("INSERT INTO attachment (id, case_id, filename, media_type, size, sha256, content, "
                          "updated_at, version) VALUES ('a1', 'c1', '询问笔录.pdf', 'application/pdf', 1, 'x', "
                          "X'00', '2026-01-01', 1)"))
    assert search_hits(engine, "悟空") == {"c1"}  # 0010's index: names and facts …
    assert search_hits(engine, "流水") == search_hits(engine, "询问笔录") == search_hits(engine, "扶贫") == set()

    migrations.upgrade(engine)
    assert migrations.current_revision(engine) == migrations.head_revision()
    for words in ("悟空", "孙", "流水", "农商银行", "扶贫", "钟无艳", "询问笔录", "gz2009-2026", "履职 孙"):
        assert search_hits(engine, words) == {"c1"}, words
    with engine.begin() as conn:  # and the new triggers keep it current
        conn.execute(text("UPDATE evidence SET title = '会计凭证' WHERE id = 'e1'"))
    assert search_hits(engine, "流水") == set() and search_hits(engine, "会计凭证") == {"c1"}

    migrations.downgrade(engine, "0010")
    assert search_hits(engine, "悟空") == {"c1"} and search_hits(engine, "会计凭证") == set()
    with engine.begin() as conn:
        conn.execute(text("UPDATE respondent SET name = '猪八戒' WHERE id = 'r1'"))
    assert search_hits(engine, "八戒") == {"c1"} and search_hits(engine, "悟空") == set()
