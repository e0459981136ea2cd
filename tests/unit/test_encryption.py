"""The database is always encrypted; passwords open key slots; lockout; password change; recovery."""

import hashlib
import sqlite3

import apsw
import pytest
from sqlalchemy import select

from tests.conftest import ADMIN, ADMIN_PASSWORD
from wenze_desktop.domain.models import Case
from wenze_desktop.errors import AccountLocked, WrongPassword
from wenze_desktop.services.accounts import AccountService
from wenze_desktop.services.auth import login, recover
from wenze_desktop.services.cases import CaseService
from wenze_desktop.storage.workspace import Workspace


def file_hash(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_file_is_not_plain_sqlite(ctx, data_dir):
    CaseService(ctx).create_case("穗纪问〔2026〕1号", "关于张三的问责案", "gz2009")
    db = Workspace.db_path_of(data_dir)
    assert not db.read_bytes().startswith(b"SQLite format 3")
    assert "张三".encode() not in db.read_bytes()
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(db).execute("select count(*) from sqlite_master").fetchone()


def test_independent_reader_opens_it_with_the_raw_key(ctx, data_dir):
    """apsw-sqlite3mc (another SQLCipher implementation) reads the file: it is standard SQLCipher 4."""
    CaseService(ctx).create_case("穗纪问〔2026〕2号", "关于李四的问责案", "gz2009")
    conn = apsw.Connection(str(Workspace.db_path_of(data_dir)))
    conn.execute("PRAGMA cipher='sqlcipher'")
    conn.execute("PRAGMA legacy=4")
    conn.execute(f"PRAGMA key=\"x'{ctx.workspace.db_key.hex()}'\"")
    assert conn.execute("select title from case_file").fetchall() == [("关于李四的问责案",)]


def test_wrong_password_changes_nothing(workspace, data_dir, clock):
    workspace[0].workspace.close()
    before = file_hash(Workspace.db_path_of(data_dir))
    with pytest.raises(WrongPassword, match="密码错误"):
        login(data_dir, ADMIN, "not-the-password", clock=clock)
    assert file_hash(Workspace.db_path_of(data_dir)) == before


def test_unknown_user_refused_like_a_wrong_password(workspace, data_dir, clock):
    with pytest.raises(WrongPassword, match="用户名或密码错误"):
        login(data_dir, "nobody", ADMIN_PASSWORD, clock=clock)


def test_five_failures_lock_the_account_for_the_configured_period(workspace, data_dir, clock):
    for attempt in range(4):
        with pytest.raises(WrongPassword, match=f"还可尝试 {4 - attempt} 次"):
            login(data_dir, ADMIN, "wrong-password", clock=clock)
    with pytest.raises(AccountLocked, match="已被锁定 15 分钟"):
        login(data_dir, ADMIN, "wrong-password", clock=clock)
    with pytest.raises(AccountLocked):  # even the right password is refused while locked
        login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)
    clock.advance(minutes=16)
    ctx = login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)
    try:
        with ctx.workspace.session() as s:
            from wenze_desktop.domain.models import AuditEntry

            failed = s.scalars(select(AuditEntry).where(AuditEntry.action == "login.failed")).all()
        assert len(failed) == 5 and not any(e.success for e in failed)
    finally:
        ctx.workspace.close()


def test_lockout_period_is_configurable(ctx, data_dir, clock):
    from wenze_desktop.storage.keyring import LoginPolicy

    AccountService(ctx).set_login_policy(LoginPolicy(max_failures=2, lockout_minutes=60, idle_minutes=5))
    with pytest.raises(WrongPassword):
        login(data_dir, ADMIN, "wrong-password", clock=clock)
    with pytest.raises(AccountLocked, match="60 分钟"):
        login(data_dir, ADMIN, "wrong-password", clock=clock)
    clock.advance(minutes=59)
    with pytest.raises(AccountLocked):
        login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)
    clock.advance(minutes=2)
    login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock).workspace.close()


def test_password_change_rewraps_one_slot_and_keeps_data(ctx, data_dir, clock):
    CaseService(ctx).create_case("C-1", "改密后仍可读取", "gz2009")
    AccountService(ctx).create_user("bob", "鲍勃", ["handler"], "Bob-password-1")
    bob_slot_before = dict(ctx.workspace.keyring.slots["bob"])
    db_key = ctx.workspace.db_key
    AccountService(ctx).change_own_password(ADMIN_PASSWORD, "Brand-new-pass-2")
    ctx.workspace.close()
    with pytest.raises(WrongPassword):
        login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)
    again = login(data_dir, ADMIN, "Brand-new-pass-2", clock=clock)
    try:
        assert again.workspace.db_key == db_key  # same database key: nothing was re-encrypted
        assert again.workspace.keyring.slots["bob"] == bob_slot_before
        with again.workspace.session() as s:
            assert s.scalars(select(Case.title)).all() == ["改密后仍可读取"]
    finally:
        again.workspace.close()


def test_password_change_needs_the_old_password_and_the_policy(ctx):
    accounts = AccountService(ctx)
    with pytest.raises(WrongPassword, match="原密码错误"):
        accounts.change_own_password("not-the-old-one", "Another-pass-3")
    from wenze_desktop.errors import ValidationError

    with pytest.raises(ValidationError, match="至少需要 8"):
        accounts.change_own_password(ADMIN_PASSWORD, "short")


def test_recovery_key_opens_a_slot_and_sets_a_new_password(workspace, data_dir, clock):
    ctx, recovery_key = workspace
    ctx.workspace.close()
    for _ in range(5):
        with pytest.raises((WrongPassword, AccountLocked)):
            login(data_dir, ADMIN, "forgotten-it", clock=clock)
    recover(data_dir, recovery_key, ADMIN, "Recovered-pass-9", clock=clock).workspace.close()
    login(data_dir, ADMIN, "Recovered-pass-9", clock=clock).workspace.close()


def test_wrong_recovery_key_refused(workspace, data_dir, clock):
    with pytest.raises(WrongPassword, match="恢复密钥不正确"):
        recover(data_dir, "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567", ADMIN, "Recovered-pass-9", clock=clock)


def test_database_swapped_under_the_keys_is_reported(workspace, tmp_path, clock):
    """A database from another workspace (different key) gives a clear message, not 'file is not a database'."""
    from wenze_desktop.errors import IntegrityFailure
    from wenze_desktop.security.kdf import FAST_TEST_PARAMS
    from wenze_desktop.services.auth import create_workspace

    other, _ = create_workspace(tmp_path / "other", ADMIN, ADMIN_PASSWORD, params=FAST_TEST_PARAMS, clock=clock)
    other.workspace.close()
    ctx = workspace[0]
    ctx.workspace.close()
    Workspace.db_path_of(ctx.workspace.data_dir).write_bytes(Workspace.db_path_of(tmp_path / "other").read_bytes())
    with pytest.raises(IntegrityFailure, match="无法用此密钥解密"):
        login(ctx.workspace.data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)
