"""Account changes stay consistent between the key-slot file, the database and the audit log."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from tests.conftest import ADMIN, ADMIN_PASSWORD
from wenze_desktop.domain.models import AuditEntry
from wenze_desktop.errors import (
    AccountLocked,
    IntegrityFailure,
    PermissionDenied,
    ValidationError,
    WenzeError,
    WrongPassword,
)
from wenze_desktop.security.kdf import FAST_TEST_PARAMS
from wenze_desktop.security.lockout import LoginState
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


def stages(ctx, action: str) -> list[str | None]:
    with ctx.workspace.session() as s:
        return [json.loads(v).get("stage") for v in
                s.scalars(select(AuditEntry.new_values).where(AuditEntry.action == action).order_by(AuditEntry.seq))]


def no_pending(ctx) -> bool:
    from wenze_desktop.domain.models import PendingOperation

    with ctx.workspace.session() as s:
        return not s.scalars(select(PendingOperation)).all()


def disk_full(self, path=None):
    raise OSError(28, "No space left on device")


def test_failed_slot_save_changes_nothing_and_is_recorded(ctx, data_dir, clock, monkeypatch):
    slots_before = json.dumps(ctx.workspace.keyring.slots, sort_keys=True)
    monkeypatch.setattr(Keyring, "save", disk_full)
    with pytest.raises(WenzeError, match=r"无法写入.*“修改密码”未完成"):
        AccountService(ctx).change_own_password(ADMIN_PASSWORD, "Never-saved-pass-1")
    monkeypatch.undo()
    assert json.dumps(ctx.workspace.keyring.slots, sort_keys=True) == slots_before
    assert Keyring.load(Workspace.keyring_path_of(data_dir)).slots == ctx.workspace.keyring.slots
    assert stages(ctx, "user.change_password") == ["started", "failed"] and no_pending(ctx)
    with pytest.raises(WrongPassword):
        recheck_password(ctx, "Never-saved-pass-1")
    recheck_password(ctx, ADMIN_PASSWORD)


def test_password_change_is_audited_before_the_slot_is_written(ctx, data_dir, monkeypatch):
    """When the slot file is written, the intent naming the digest of the new slot is already committed."""
    from wenze_desktop.domain.models import PendingOperation
    from wenze_desktop.services import journal

    seen = []
    real_save = Keyring.save

    def committed():
        with ctx.workspace.session() as s:
            return (stages(ctx, "user.change_password"),
                    [p.traces["keyring"] for p in s.scalars(select(PendingOperation))])

    def save(self, path=None):
        with ThreadPoolExecutor(1) as other:  # another thread, another connection: sees what is committed
            seen.append(other.submit(committed).result())
        real_save(self, path)

    monkeypatch.setattr(Keyring, "save", save)
    AccountService(ctx).change_own_password(ADMIN_PASSWORD, "Changed-pass-2026")
    monkeypatch.undo()
    ring = Keyring.load(Workspace.keyring_path_of(data_dir))
    assert seen == [(["started"], [{"part": "slot:admin", "sha256": journal.keyring_digest(ring, "slot:admin")}])]
    assert stages(ctx, "user.change_password") == ["started", "completed"] and no_pending(ctx)
    login(data_dir, ADMIN, "Changed-pass-2026").workspace.close()


def test_failed_slot_save_leaves_no_half_made_account(ctx, data_dir, clock, monkeypatch):
    accounts = AccountService(ctx)
    monkeypatch.setattr(Keyring, "save", disk_full)
    with pytest.raises(WenzeError, match="“建立账户”未完成"):
        accounts.create_user("bob", "鲍勃", ["handler"], "Bob-password-1")
    monkeypatch.undo()
    assert [u.username for u in accounts.list_users()] == [ADMIN]
    assert stages(ctx, "user.create")[-2:] == ["started", "failed"] and no_pending(ctx)
    with pytest.raises(WrongPassword):
        login(data_dir, "bob", "Bob-password-1", clock=clock)
    accounts.create_user("bob", "鲍勃", ["handler"], "Bob-password-1")  # the name is free again
    login(data_dir, "bob", "Bob-password-1", clock=clock).workspace.close()
    assert stages(ctx, "user.create")[-2:] == ["started", "completed"]


def test_a_name_left_by_an_interrupted_creation_can_be_created_again_but_not_a_real_account(ctx, data_dir, clock):
    """A creation killed before its slot was written leaves a row with no slot (settled as failed at the next
    sign-in): it cannot sign in, and creating the name again takes it over. A real account is never taken over."""
    from wenze_desktop.domain.models import StaffUser
    from wenze_desktop.services import journal

    accounts = AccountService(ctx)
    with ctx.transaction() as s:  # what the killed process committed
        s.add(StaffUser(id="u-bob", username="bob", display_name="鲍勃", roles=["handler"], active=True,
                        created_at=clock(), updated_at=clock()))
        s.flush()
        killed = journal.begin(ctx, s, "user.create", "staff_user", "u-bob", {"username": "bob"},
                               keyring=("slot:bob", "0" * 64))
    killed.alive.release(remove=False)  # the process died: the OS lets its lock go
    with pytest.raises(ValidationError, match="已存在"):  # still pending: not known to have failed
        accounts.create_user("bob", "鲍勃", ["handler"], "Bob-password-1")
    again = login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)  # settles it as failed
    try:
        assert stages(again, "user.create")[-1] == "failed"
        with pytest.raises(WrongPassword):
            login(data_dir, "bob", "Bob-password-1", clock=clock)
        assert AccountService(again).create_user("bob", "鲍勃", ["reviewer"], "Bob-password-1") == "u-bob"
        bob = login(data_dir, "bob", "Bob-password-1", clock=clock)
        assert bob.user.roles == ("reviewer",)
        bob.workspace.close()
        AccountService(again).deactivate("u-bob")  # a real account now, with a history: never taken over
        with pytest.raises(ValidationError, match="已存在"):
            AccountService(again).create_user("bob", "鲍勃", ["handler"], "Bob-password-9")
    finally:
        again.workspace.close()


def killed_creation(ctx, clock, user_id="u-bob"):
    """What ``create_user`` commits before writing the slot: the row and the intent with its database side."""
    from wenze_desktop.domain.models import StaffUser
    from wenze_desktop.services import journal
    from wenze_desktop.services.accounts import STAFF_CHANGE, staff_change

    with ctx.transaction() as s:
        s.add(StaffUser(id=user_id, username="bob", display_name="鲍勃", roles=["handler"], active=True,
                        created_at=clock(), updated_at=clock(), password_changed_at=clock()))
        s.flush()
        killed = journal.begin(ctx, s, "user.create", "staff_user", user_id, {"username": "bob"},
                               keyring=("slot:bob", "0" * 64),
                               apply=journal.database_side(STAFF_CHANGE,
                                                           failed=staff_change(user_id, unfinished_creation=True)))
    killed.alive.release(remove=False)  # the process died


def test_a_creation_killed_before_its_slot_leaves_no_account_after_the_next_sign_in(workspace, data_dir, clock):
    ctx, _ = workspace
    killed_creation(ctx, clock)
    ctx.workspace.close()
    again = login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)
    try:
        assert stages(again, "user.create")[-1] == "failed" and no_pending(again)
        assert [u.username for u in AccountService(again).list_users()] == [ADMIN]  # the row went with it
        AccountService(again).create_user("bob", "鲍勃", ["handler"], "Bob-password-1")
    finally:
        again.workspace.close()
    login(data_dir, "bob", "Bob-password-1", clock=clock).workspace.close()


def test_a_failed_creation_s_row_referred_to_meanwhile_is_kept_inactive_and_can_be_created_again(
        workspace, data_dir, clock):
    from wenze_desktop.domain.models import Case
    from wenze_desktop.services.cases import CaseService

    ctx, _ = workspace
    killed_creation(ctx, clock)
    case_id = CaseService(ctx).create_case("K-1", "某案", "gz2009")
    with ctx.transaction() as s:  # assigned to bob while his creation was under way
        s.get(Case, case_id).handler_id = "u-bob"
    ctx.workspace.close()
    again = login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)  # must not be kept from signing in by it
    try:
        assert stages(again, "user.create")[-1] == "failed" and no_pending(again)
        assert [(u.username, u.active) for u in AccountService(again).list_users()] == [(ADMIN, True),
                                                                                        ("bob", False)]
        assert AccountService(again).create_user("bob", "鲍勃", ["handler"], "Bob-password-1") == "u-bob"
    finally:
        again.workspace.close()
    login(data_dir, "bob", "Bob-password-1", clock=clock).workspace.close()


def test_the_account_row_follows_the_slot_file_when_its_change_is_settled_at_sign_in(workspace, data_dir, clock):
    """Killed after the slot file was written: the next sign-in completes the change and applies its database
    side with it (the child-process kills of every step: tests/reliability/test_accounts_crash.py)."""
    from wenze_desktop.domain.models import StaffUser
    from wenze_desktop.services import journal
    from wenze_desktop.services.accounts import STAFF_CHANGE, staff_change

    ctx, _ = workspace
    accounts = AccountService(ctx)
    bob_id = accounts.create_user("bob", "鲍勃", ["handler"], "Bob-password-1")
    draft = Keyring.load(ctx.workspace.keyring.path)
    draft.remove_slot("bob")
    with ctx.transaction() as s:
        killed = journal.begin(ctx, s, "user.deactivate", "staff_user", bob_id, {"active": False},
                               keyring=("slot:bob", None),
                               apply=journal.database_side(STAFF_CHANGE, completed=staff_change(bob_id, active=False)))
    ctx.workspace.keyring.update(lambda ring: ring.adopt(draft, "slot:bob"))  # the slot file was written
    killed.alive.release(remove=False)  # and then the process died
    ctx.workspace.close()
    again = login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)
    try:
        assert stages(again, "user.deactivate") == ["started", "completed"] and no_pending(again)
        with again.workspace.session() as s:
            assert s.get(StaffUser, bob_id).active is False
        AccountService(again).reactivate(bob_id, "Bob-new-password-2")
    finally:
        again.workspace.close()
    login(data_dir, "bob", "Bob-new-password-2", clock=clock).workspace.close()


def test_an_account_change_records_only_what_it_may_set(ctx):
    from wenze_desktop.services import journal
    from wenze_desktop.services.accounts import STAFF_CHANGE

    for description in ({"id": "u", "roles": ["system_admin"]}, {"id": "u", "active": "yes"},
                        {"id": "u", "password_changed_at": "yesterday"}, {"active": True}):
        with pytest.raises(ValueError):
            journal.database_side(STAFF_CHANGE, completed=description)


def test_deactivation_and_policy_are_audited_as_intents(ctx, data_dir, clock):
    from wenze_desktop.storage.keyring import LoginPolicy

    accounts = AccountService(ctx)
    bob_id = accounts.create_user("bob", "鲍勃", ["handler"], "Bob-password-1")
    accounts.deactivate(bob_id)
    accounts.reactivate(bob_id, "Bob-new-password-2")
    accounts.set_login_policy(LoginPolicy(min_password_length=10))
    assert stages(ctx, "user.deactivate") == ["started", "completed"]
    assert stages(ctx, "user.reset_password") == ["started", "completed"]
    assert stages(ctx, "user.reactivate") == [None]
    assert stages(ctx, "config.login_policy") == ["started", "completed"] and no_pending(ctx)
    assert Keyring.load(Workspace.keyring_path_of(data_dir)).policy.min_password_length == 10
    assert AdminService(ctx).verify().ok


def test_recovery_is_audited_before_the_slot_is_written(workspace, data_dir, clock, monkeypatch):
    from wenze_desktop.services.auth import recover

    ctx, recovery_key = workspace
    monkeypatch.setattr(Keyring, "save", disk_full)
    with pytest.raises(WenzeError, match="凭恢复密钥重设密码"):
        recover(data_dir, recovery_key, ADMIN, "Recovered-pass-1", clock=clock)
    monkeypatch.undo()
    assert stages(ctx, "user.recover_password") == ["started", "failed"]
    again = recover(data_dir, recovery_key, ADMIN, "Recovered-pass-1", clock=clock)
    again.workspace.close()
    assert stages(ctx, "user.recover_password")[-2:] == ["started", "completed"] and no_pending(ctx)
    login(data_dir, ADMIN, "Recovered-pass-1", clock=clock).workspace.close()


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
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "workspace.backup")
                                 .order_by(AuditEntry.seq)))
    assert [json.loads(e.new_values)["stage"] for e in entries] == ["started", "completed"]  # audited first
    assert sha256_file(out) in entries[-1].new_values


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


# -- no account enumeration -------------------------------------------------------------------------------------

def refusal(data_dir, username, password, clock) -> tuple[str, str]:
    try:
        login(data_dir, username, password, clock=clock).workspace.close()
    except (WrongPassword, AccountLocked) as err:
        return type(err).__name__, str(err).replace(f"「{username}」", "「…」")
    raise AssertionError("signed in")


def test_unknown_and_known_names_get_the_same_answers_and_lock_alike(workspace, data_dir, clock):
    """Every answer (counting down, locking, locked, even with the right password) is word for word the same."""
    for _ in range(6):
        assert refusal(data_dir, ADMIN, "wrong-password", clock) == refusal(data_dir, "nobody", "wrong-password",
                                                                            clock)
    assert refusal(data_dir, "nobody", "wrong-password", clock)[0] == "AccountLocked"
    assert refusal(data_dir, ADMIN, ADMIN_PASSWORD, clock) == refusal(data_dir, "nobody", ADMIN_PASSWORD, clock)
    clock.advance(minutes=16)
    login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock).workspace.close()
    assert refusal(data_dir, "nobody", "x", clock) == ("WrongPassword", "用户名或密码错误，还可尝试 4 次。")


def test_a_wrong_password_costs_the_same_time_for_an_unknown_name(tmp_path, clock):
    import time

    from wenze_desktop.security.kdf import Argon2Params
    from wenze_desktop.services.auth import create_workspace

    costly = Argon2Params(time_cost=2, memory_kib=32 * 1024, parallelism=1, salt=bytes(16))
    data_dir = tmp_path / "costly"
    create_workspace(data_dir, ADMIN, ADMIN_PASSWORD, params=costly, clock=clock)[0].workspace.close()

    def fastest(username: str) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            with pytest.raises(WrongPassword):
                login(data_dir, username, "wrong-password", clock=clock)
            times.append(time.perf_counter() - start)
            LoginState(Workspace.login_state_path_of(data_dir)).clear(username)
        return min(times)

    known, unknown = fastest(ADMIN), fastest("nobody")
    assert known > 0.01  # the key derivation dominates
    assert 0.5 * known < unknown < 2 * known, (known, unknown)  # without the decoy derivation: ~0.02


def test_unknown_names_are_remembered_within_a_bound_oldest_first(workspace, data_dir, clock, monkeypatch):
    from wenze_desktop.security import lockout
    from wenze_desktop.storage.keyring import LoginPolicy

    monkeypatch.setattr(lockout, "MAX_UNKNOWN_NAMES", 30)
    state = LoginState(Workspace.login_state_path_of(data_dir))
    policy = LoginPolicy()
    state.record_failure(ADMIN, clock(), policy)  # an account: never forgotten, however old
    for _ in range(5):
        state.record_failure("spent", clock(), policy, known=False)  # locked, and the lock will be over
    clock.advance(minutes=16)
    for _ in range(5):
        state.record_failure("locked-first", clock(), policy, known=False)  # the oldest lock in force
    for i in range(30):
        clock.advance(seconds=1)
        state.record_failure(f"guess{i}", clock(), policy, known=False)
    data = json.loads(Workspace.login_state_path_of(data_dir).read_text())
    assert len(data) == 30 + 1 and data[ADMIN]["pending"]
    # the spent record went first (no answer changes), then the oldest, locked or not
    assert "spent" not in data and "locked-first" not in data and {f"guess{i}" for i in range(30)} <= set(data)
    assert not any("pending" in r for name, r in data.items() if name != ADMIN)  # nothing to audit for no account


def test_flooding_made_up_names_does_not_tell_unknown_names_from_accounts(workspace, data_dir, clock, monkeypatch):
    """The attack of the review: lock more made-up names than are remembered, then try a name. An unknown name
    must still count down and lock after 5 tries like an account; names locked before stay locked alike."""
    from wenze_desktop.security import lockout

    monkeypatch.setattr(lockout, "MAX_UNKNOWN_NAMES", 8)
    ctx, _ = workspace
    AccountService(ctx).create_user("zhangsan", "张三", ["handler"], "Zhang-password-1")
    for name in ("zhangsan", "lisi"):  # a candidate that is an account, one that is not
        for _ in range(5):
            refusal(data_dir, name, "wrong-password", clock)
    for i in range(7):  # within the bound (lisi and 7 more): both stay locked, word for word alike
        clock.advance(seconds=1)
        for _ in range(5):
            refusal(data_dir, f"zz{i:03d}", "wrong-password", clock)
    assert refusal(data_dir, "zhangsan", "x", clock) == refusal(data_dir, "lisi", "x", clock)
    assert refusal(data_dir, "lisi", "x", clock)[0] == "AccountLocked"
    for i in range(7, 20):  # beyond the bound
        clock.advance(seconds=1)
        for _ in range(5):
            refusal(data_dir, f"zz{i:03d}", "wrong-password", clock)
    AccountService(ctx).create_user("wangwu", "王五", ["handler"], "Wang-password-1")
    answers = {name: [refusal(data_dir, name, "wrong-password", clock) for _ in range(6)]
               for name in ("wangwu", "zhaoliu")}
    assert answers["wangwu"] == answers["zhaoliu"]
    assert [kind for kind, _ in answers["zhaoliu"]] == ["WrongPassword"] * 4 + ["AccountLocked"] * 2
    data = json.loads(Workspace.login_state_path_of(data_dir).read_text())
    assert sum("pending" not in r for r in data.values()) == 8  # the file stays bounded
    assert {"zhangsan", "wangwu"} <= set(data)  # accounts are never forgotten


def test_a_new_account_does_not_inherit_failures_typed_under_its_name(ctx, data_dir, clock):
    for _ in range(5):
        with pytest.raises((WrongPassword, AccountLocked)):
            login(data_dir, "bob", "wrong-password", clock=clock)
    AccountService(ctx).create_user("bob", "鲍勃", ["handler"], "Bob-password-1")
    bob = login(data_dir, "bob", "Bob-password-1", clock=clock)
    try:
        with bob.workspace.session() as s:
            failed = s.scalars(select(AuditEntry).where(AuditEntry.action == "login.failed")).all()
        assert failed == []
    finally:
        bob.workspace.close()


def test_unlocking_an_account_is_audited(ctx, data_dir, clock):
    for _ in range(5):
        with pytest.raises((WrongPassword, AccountLocked)):
            login(data_dir, ADMIN, "wrong-password", clock=clock)
    assert AccountService(ctx).unlock_account(ADMIN) is True
    with ctx.workspace.session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "user.unlock")).one()
    assert json.loads(entry.new_values) == {"username": ADMIN, "was_locked": True}
    login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock).workspace.close()
