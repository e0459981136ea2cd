"""Setting up a workspace, logging in (with lockout), re-checking a password, and recovery."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from wenze_desktop.domain.base import new_uuid, utcnow
from wenze_desktop.domain.models import StaffUser, WorkspaceInfo
from wenze_desktop.errors import AccountLocked, ValidationError, WrongPassword
from wenze_desktop.security import kdf
from wenze_desktop.security.lockout import LoginState
from wenze_desktop.security.passwords import check_password
from wenze_desktop.security.permissions import FIRST_ADMIN_ROLES
from wenze_desktop.services import journal
from wenze_desktop.services.context import Clock, CurrentUser, ServiceContext, snapshot
from wenze_desktop.services.office_keys import own_key_row
from wenze_desktop.storage.keyring import Keyring, LoginPolicy
from wenze_desktop.storage.workspace import Workspace

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_.-")


def check_username(username: str) -> None:
    if not username or len(username) > 64 or not set(username.lower()) <= USERNAME_CHARS:
        raise ValidationError("用户名只能由字母、数字、下划线、点和连字符组成，长度 1–64。")
    if not username[0].isalnum():
        raise ValidationError("用户名必须以字母或数字开头。")


def create_workspace(data_dir: Path, username: str, password: str, *, display_name: str = "",
                     workspace_name: str = "", organ_name: str = "", params: kdf.Argon2Params | None = None,
                     clock: Clock = utcnow) -> tuple[ServiceContext, str]:
    """The first-run set-up: workspace, first administrator, recovery key (returned once, never stored)."""
    check_username(username)
    check_password(password, LoginPolicy().min_password_length, username)
    user = CurrentUser(new_uuid(), username, display_name or username, tuple(FIRST_ADMIN_ROLES))

    def populate(building: Workspace) -> None:
        ctx = ServiceContext(building, user, clock)
        now = clock()
        with building.writing() as session:
            info = WorkspaceInfo(id=new_uuid(), name=workspace_name or "问责案件工作区", organ_name=organ_name,
                                 created_at=now, updated_at=now, audit_head_seq=0, audit_head_hash="")
            staff = StaffUser(id=user.id, username=username, display_name=user.display_name,
                              roles=list(user.roles), active=True, created_at=now, updated_at=now,
                              password_changed_at=now)
            session.add_all([info, staff])
            session.flush()
            ctx.audit(session, "workspace.create", "workspace", info.id, new=snapshot(info, ["name", "organ_name"]))
            ctx.audit(session, "user.create", "staff_user", user.id, new=snapshot(staff, ["username", "roles"]))
            own_key_row(session, ctx)  # the office's transfer keys, made with the workspace

    ws, recovery_key = Workspace.create(data_dir, username, user.id, password, params or kdf.calibrate(),
                                        populate)
    return ServiceContext(ws, user, clock), recovery_key


def login(data_dir: Path, username: str, password: str, *, clock: Clock = utcnow) -> ServiceContext:
    """Unlock the workspace as ``username``. A wrong password touches nothing but the failure counter.

    A name with no account gets the same answer, after the same work (the key derivation of an existing slot),
    and is counted and locked the same way: nothing tells which names exist."""
    keyring = Workspace.load_keyring(data_dir)
    state = LoginState(Workspace.login_state_path_of(data_dir))
    state.check_not_locked(username, clock())
    try:
        db_key = keyring.unlock(username, password)
    except WrongPassword as exc:
        raise _count_failure(state, keyring, username, clock, "用户名或密码错误",
                             known=keyring.has_user(username)) from exc
    return _open(data_dir, keyring, db_key, username, clock, "login")


def _count_failure(state: LoginState, keyring: Keyring, username: str, clock: Clock, what: str, *,
                   known: bool = True) -> Exception:
    remaining = state.record_failure(username, clock(), keyring.policy, known=known)
    if remaining == 0:
        return AccountLocked(f"{what}。连续失败 {keyring.policy.max_failures} 次，账户「{username}」"
                             f"已被锁定 {keyring.policy.lockout_minutes} 分钟。")
    return WrongPassword(f"{what}，还可尝试 {remaining} 次。")


def _open(data_dir: Path, keyring: Keyring, db_key: bytes, username: str, clock: Clock,
          action: str) -> ServiceContext:
    """Attach the database, then audit what happened on the way in: earlier failures, an upgrade, this entry."""
    ws = Workspace.attach(data_dir, keyring, db_key, now=clock())
    try:
        ctx = _context_for(ws, username, clock)
        state = LoginState(Workspace.login_state_path_of(data_dir))
        with ws.writing() as session:
            for at in state.pending_failures(username):
                ctx.audit(session, "login.failed", "staff_user", ctx.user.id, new={"attempt_at": at},
                          success=False)
            if ws.migrated_from:
                ctx.audit(session, "workspace.upgrade", "workspace", None,
                          old={"schema": ws.migrated_from}, new={"backup": str(ws.pre_migration_backup)})
            if not keyring.policy_intact(db_key):
                ctx.audit(session, "config.policy_mismatch", "workspace", None,
                          new={"policy": dict(keyring.policy.__dict__)}, success=False)
            ctx.audit(session, action, "staff_user", ctx.user.id)
        state.clear(username)  # only once the failures are safely in the audit log
        ctx.notices = journal.reconcile(ctx)
        return ctx
    except BaseException:
        ws.close()
        raise


def _context_for(ws: Workspace, username: str, clock: Clock) -> ServiceContext:
    with ws.session() as session:
        staff = session.scalars(select(StaffUser).where(StaffUser.username == username)).one_or_none()
    if staff is None or not staff.active:
        raise AccountLocked(f"账户「{username}」已停用，请联系系统管理员。")
    return ServiceContext(ws, CurrentUser(staff.id, staff.username, staff.display_name, tuple(staff.roles)), clock)


def recheck_password(ctx: ServiceContext, password: str) -> ServiceContext:
    """Unlock an idle-locked session with the same checks as a login, against the slot file as it is now.

    Returns the context to go on with: roles are reloaded, and a deactivated account is refused.
    """
    data_dir, username = ctx.workspace.data_dir, ctx.user.username
    state = LoginState(Workspace.login_state_path_of(data_dir))
    state.check_not_locked(username, ctx.clock())
    keyring = Workspace.load_keyring(data_dir)
    try:
        keyring.unlock(username, password)
    except WrongPassword as exc:
        raise _count_failure(state, keyring, username, ctx.clock, "密码错误") from exc
    fresh = _context_for(ctx.workspace, username, ctx.clock)
    with fresh.transaction() as session:
        for at in state.pending_failures(username):
            fresh.audit(session, "login.failed", "staff_user", fresh.user.id, new={"attempt_at": at}, success=False)
        fresh.audit(session, "session.unlock", "staff_user", fresh.user.id)
    state.clear(username)
    return fresh


def recover(data_dir: Path, recovery_key: str, username: str, new_password: str, *,
            clock: Clock = utcnow) -> ServiceContext:
    """Open the workspace with the recovery key and give ``username`` a new password (and clear its lockout).

    The new slot is audited before it is saved (``user.recover_password``, see ``accounts.change_keyring``)."""
    from wenze_desktop.services.accounts import change_keyring  # accounts imports this module

    keyring = Workspace.load_keyring(data_dir)
    db_key = keyring.unlock_with_recovery(recovery_key)
    check_password(new_password, keyring.policy.min_password_length, username)
    ctx = _open(data_dir, keyring, db_key, username, clock, "login.recovery_key")
    try:
        draft = Keyring.load(keyring.path)
        draft.set_password(username, ctx.user.id, db_key, new_password, slot_params(draft, username))

        def stamp(session) -> None:
            session.get(StaffUser, ctx.user.id).password_changed_at = clock()

        change_keyring(ctx, "user.recover_password", "staff_user", ctx.user.id, f"slot:{username}", draft,
                       new={"by": "recovery_key"}, within=stamp)
        LoginState(Workspace.login_state_path_of(data_dir)).clear(username)
        return ctx
    except BaseException:
        ctx.workspace.close()
        raise


def slot_params(keyring: Keyring, username: str) -> kdf.Argon2Params:
    """Keep the calibrated cost of an existing slot (a fresh salt is added when wrapping)."""
    slot = keyring.slots.get(username)
    return kdf.Argon2Params.from_json(slot["kdf"]) if slot else kdf.calibrate()
