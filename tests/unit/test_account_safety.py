"""Account changes stay consistent between the key-slot file, the database and the audit log."""

import json

import pytest
from sqlalchemy import select

from tests.conftest import ADMIN, ADMIN_PASSWORD
from wenze_desktop.domain.models import AuditEntry
from wenze_desktop.errors import AccountLocked, IntegrityFailure, PermissionDenied, ValidationError, WrongPassword
from wenze_desktop.security.kdf import FAST_TEST_PARAMS
from wenze_desktop.services.accounts import AccountService
from wenze_desktop.services.admin import AdminService, restore
from wenze_desktop.services.auth import login, recheck_password
from wenze_desktop.storage.keyring import Keyring
from wenze_desktop.storage.workspace import Workspace


def actions(ctx) -> list[str]:
    with ctx.workspace.session() as s:
        return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_two_sessions_do_not_undo_each_others_slot_changes(ctx, data_dir, clock):
    """The GUI stays signed in while the CLI changes the password; the GUI then adds a user."""
    cli = login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)
    AccountService(cli).change_own_password(ADMIN_PASSWORD, "Changed-by-cli-1")
    cli.workspace.close()
    AccountService(ctx).create_user("bob", "鲍勃", ["handler"], "Bob-password-1")
    with pytest.raises(WrongPassword):
        login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)
    login(data_dir, ADMIN, "Changed-by-cli-1", clock=clock).workspace.close()
    login(data_dir, "bob", "Bob-password-1", clock=clock).workspace.close()


def test_failed_slot_save_changes_nothing(ctx, data_dir, clock, monkeypatch):
    slots_before = json.dumps(ctx.workspace.keyring.slots, sort_keys=True)
    audit_before = actions(ctx)

    def disk_full(self, path=None):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Keyring, "save", disk_full)
    with pytest.raises(OSError):
        AccountService(ctx).change_own_password(ADMIN_PASSWORD, "Never-saved-pass-1")
    monkeypatch.undo()
    assert json.dumps(ctx.workspace.keyring.slots, sort_keys=True) == slots_before
    assert actions(ctx) == audit_before
    with pytest.raises(WrongPassword):
        recheck_password(ctx, "Never-saved-pass-1")
    recheck_password(ctx, ADMIN_PASSWORD)


@pytest.mark.parametrize("name", ["__recovery__", "_x", ".hidden", "张三", ""])
def test_reserved_or_odd_usernames_refused(ctx, name):
    with pytest.raises(ValidationError):
        AccountService(ctx).create_user(name, "某人", ["handler"], "Some-password-1")


def test_deactivated_account_stops_working_at_once(ctx, data_dir, clock):
    accounts = AccountService(ctx)
    bob_id = accounts.create_user("bob", "鲍勃", ["handler"], "Bob-password-1")
    bob = login(data_dir, "bob", "Bob-password-1", clock=clock)
    try:
        accounts.deactivate(bob_id)
        with pytest.raises(WrongPassword):  # his idle-locked session cannot be reopened
            recheck_password(bob, "Bob-password-1")
    finally:
        bob.workspace.close()
    with pytest.raises(WrongPassword):
        login(data_dir, "bob", "Bob-password-1", clock=clock)
    assert "bob" not in Keyring.load(Workspace.keyring_path_of(data_dir)).slots
    accounts.reactivate(bob_id, "Bob-new-password-2")
    login(data_dir, "bob", "Bob-new-password-2", clock=clock).workspace.close()


def test_unlock_reloads_roles(ctx, data_dir, clock):
    accounts = AccountService(ctx)
    bob_id = accounts.create_user("bob", "鲍勃", ["handler"], "Bob-password-1")
    bob = login(data_dir, "bob", "Bob-password-1", clock=clock)
    try:
        accounts.set_roles(bob_id, ["reviewer"])
        assert recheck_password(bob, "Bob-password-1").user.roles == ("reviewer",)
    finally:
        bob.workspace.close()


def test_restore_needs_the_backup_permission(ctx, data_dir, tmp_path, clock):
    AccountService(ctx).create_user("bob", "鲍勃", ["handler"], "Bob-password-1")
    out = tmp_path / "b.wzbak"
    AdminService(ctx).backup(out)
    with pytest.raises(PermissionDenied):
        restore(out, tmp_path / "elsewhere", "bob", "Bob-password-1", clock=clock)
    assert not Workspace.exists(tmp_path / "elsewhere")


def test_backup_is_audited_with_its_hash(ctx, tmp_path):
    from wenze_desktop.storage.backup import sha256_file

    out = tmp_path / "b.wzbak"
    AdminService(ctx).backup(out)
    with ctx.workspace.session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "workspace.backup")).one()
    assert sha256_file(out) in entry.new_values


def test_interrupted_set_up_leaves_no_workspace(data_dir):
    def crash(_building):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Workspace.create(data_dir, ADMIN, "u1", ADMIN_PASSWORD, FAST_TEST_PARAMS, crash)
    assert not Workspace.exists(data_dir)


def test_policy_edited_by_hand_is_reported(ctx, data_dir):
    path = Workspace.keyring_path_of(data_dir)
    data = json.loads(path.read_text())
    data["policy"]["max_failures"] = 1_000_000
    path.write_text(json.dumps(data))
    report = AdminService(ctx).verify()
    assert not report.ok and [n for n, ok, _ in report.checks if not ok] == ["登录策略"]


def test_policy_changed_through_the_service_stays_sealed(ctx):
    from wenze_desktop.storage.keyring import LoginPolicy

    AccountService(ctx).set_login_policy(LoginPolicy(max_failures=3, lockout_minutes=30, idle_minutes=5,
                                                     min_password_length=10))
    assert AdminService(ctx).verify().ok


def test_damaged_slot_file_gives_a_clear_error(workspace, data_dir, clock):
    Workspace.keyring_path_of(data_dir).write_text('{"format": 1, "keyring_id": "x"}')
    with pytest.raises(IntegrityFailure, match="已损坏"):
        login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)


def test_locked_account_cannot_unlock_an_idle_session(ctx, clock):
    for _ in range(4):
        with pytest.raises(WrongPassword):
            recheck_password(ctx, "wrong-password")
    with pytest.raises(AccountLocked):
        recheck_password(ctx, "wrong-password")
    with pytest.raises(AccountLocked):
        recheck_password(ctx, ADMIN_PASSWORD)
