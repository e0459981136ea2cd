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
from wenze_desktop.services.context import Clock, CurrentUser, ServiceContext, snapshot
from wenze_desktop.storage.keyring import LoginPolicy
from wenze_desktop.storage.workspace import Workspace

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_.-")


def check_username(username: str) -> None:
    if not username or len(username) > 64 or not set(username.lower()) <= USERNAME_CHARS:
        raise ValidationError("用户名只能由字母、数字、下划线、点和连字符组成，长度 1–64。")


def create_workspace(data_dir: Path, username: str, password: str, *, display_name: str = "",
                     workspace_name: str = "", organ_name: str = "", params: kdf.Argon2Params | None = None,
                     clock: Clock = utcnow) -> tuple[ServiceContext, str]:
    """The first-run set-up: workspace, first administrator, recovery key (returned once, never stored)."""
    check_username(username)
    policy = LoginPolicy()
    check_password(password, policy.min_password_length, username)
    user_id = new_uuid()
    ws, recovery_key = Workspace.create(data_dir, username, user_id, password, params or kdf.calibrate())
    user = CurrentUser(user_id, username, display_name or username, tuple(FIRST_ADMIN_ROLES))
    ctx = ServiceContext(ws, user, clock)
    now = clock()
    with ws.session() as session, session.begin():
        info = WorkspaceInfo(id=new_uuid(), name=workspace_name or "问责案件工作区", organ_name=organ_name,
                             created_at=now, updated_at=now, audit_head_seq=0, audit_head_hash="")
        session.add(info)
        staff = StaffUser(id=user_id, username=username, display_name=user.display_name,
                          roles=list(user.roles), active=True, created_at=now, updated_at=now,
                          password_changed_at=now)
        session.add(staff)
        session.flush()
        ctx.audit(session, "workspace.create", "workspace", info.id, new=snapshot(info, ["name", "organ_name"]))
        ctx.audit(session, "user.create", "staff_user", user_id, new=snapshot(staff, ["username", "roles"]))
    return ctx, recovery_key


def login(data_dir: Path, username: str, password: str, *, clock: Clock = utcnow) -> ServiceContext:
    """Unlock the workspace as ``username``. A wrong password touches nothing but the failure counter."""
    keyring = Workspace.load_keyring(data_dir)
    state = LoginState(Workspace.login_state_path_of(data_dir))
    state.check_not_locked(username, clock())
    try:
        db_key = keyring.unlock(username, password)
    except WrongPassword as exc:
        if keyring.has_user(username):
            remaining = state.record_failure(username, clock(), keyring.policy)
            if remaining == 0:
                raise AccountLocked(f"用户名或密码错误。连续失败 {keyring.policy.max_failures} 次，账户「{username}」"
                                    f"已被锁定 {keyring.policy.lockout_minutes} 分钟。") from exc
            raise WrongPassword(f"用户名或密码错误，还可尝试 {remaining} 次。") from exc
        raise
    ws = Workspace.attach(data_dir, keyring, db_key, now=clock())
    try:
        ctx = _context_for(ws, username, clock)
        failures = state.record_success(username)
        with ws.session() as session, session.begin():
            for at in failures:
                ctx.audit(session, "login.failed", "staff_user", ctx.user.id, new={"attempt_at": at},
                          success=False)
            if ws.migrated_from:
                ctx.audit(session, "workspace.upgrade", "workspace", None,
                          old={"schema": ws.migrated_from}, new={"backup": str(ws.pre_migration_backup)})
            ctx.audit(session, "login", "staff_user", ctx.user.id)
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


def recheck_password(ctx: ServiceContext, password: str) -> None:
    """Unlock an idle-locked session: the same slot check and the same failure counting as a login."""
    data_dir = ctx.workspace.data_dir
    state = LoginState(Workspace.login_state_path_of(data_dir))
    username = ctx.user.username
    state.check_not_locked(username, ctx.clock())
    try:
        ctx.workspace.keyring.unlock(username, password)
    except WrongPassword as exc:
        remaining = state.record_failure(username, ctx.clock(), ctx.workspace.keyring.policy)
        if remaining == 0:
            raise AccountLocked(f"密码错误次数过多，账户「{username}」已被锁定。") from exc
        raise WrongPassword(f"密码错误，还可尝试 {remaining} 次。") from exc
    for at in state.record_success(username):
        with ctx.transaction() as session:
            ctx.audit(session, "login.failed", "staff_user", ctx.user.id, new={"attempt_at": at}, success=False)
    with ctx.transaction() as session:
        ctx.audit(session, "session.unlock", "staff_user", ctx.user.id)


def recover(data_dir: Path, recovery_key: str, username: str, new_password: str, *,
            clock: Clock = utcnow) -> ServiceContext:
    """Open the workspace with the recovery key and give ``username`` a new password (and clear its lockout)."""
    keyring = Workspace.load_keyring(data_dir)
    db_key = keyring.unlock_with_recovery(recovery_key)
    ws = Workspace.attach(data_dir, keyring, db_key, now=clock())
    try:
        ctx = _context_for(ws, username, clock)
        check_password(new_password, keyring.policy.min_password_length, username)
        with ctx.transaction() as session:
            staff = session.get(StaffUser, ctx.user.id)
            staff.password_changed_at = clock()
            ctx.audit(session, "user.recover_password", "staff_user", staff.id,
                      new={"by": "recovery_key"})
            keyring.set_password(username, staff.id, db_key, new_password,
                                 _slot_params(keyring, username))
            keyring.save()
        LoginState(Workspace.login_state_path_of(data_dir)).unlock(username)
        return ctx
    except BaseException:
        ws.close()
        raise


def _slot_params(keyring, username: str) -> kdf.Argon2Params:
    """Keep the calibrated cost of the existing slot (fresh salt is added when wrapping)."""
    slot = keyring.slots.get(username)
    return kdf.Argon2Params.from_json(slot["kdf"]) if slot else kdf.calibrate()
