"""Setting up a workspace, logging in (with lockout), re-checking a password, and recovery."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select

from wenze_desktop import crashpoints
from wenze_desktop.domain.base import new_uuid, utcnow
from wenze_desktop.domain.models import AuditEntry, StaffUser, WorkspaceInfo
from wenze_desktop.errors import (
    AccountLocked,
    IntegrityFailure,
    ValidationError,
    WenzeError,
    WorkspaceBusy,
    WrongPassword,
)
from wenze_desktop.security import kdf
from wenze_desktop.security.lockout import LoginState
from wenze_desktop.security.passwords import check_password
from wenze_desktop.security.permissions import FIRST_ADMIN_ROLES
from wenze_desktop.services import journal
from wenze_desktop.services.context import Clock, CurrentUser, ServiceContext, snapshot
from wenze_desktop.services.office_keys import own_key_row
from wenze_desktop.storage import migrations, recovery
from wenze_desktop.storage.backup import write_backup
from wenze_desktop.storage.filelock import Held
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
    """Attach the database, upgrade an older schema (audited, as whoever signs in), then audit what happened on
    the way in: earlier failures, this entry."""
    ws = Workspace.attach(data_dir, keyring, db_key, upgrade=False)
    try:
        ws.schema_behind()  # a newer program's workspace is refused before anything reads it
        # The models read here (staff_user, workspace, audit_entry) are unchanged since the first schema.
        ctx = _context_for(ws, username, clock)
        notices = _upgrade(ctx)
        state = LoginState(Workspace.login_state_path_of(data_dir))
        with ws.writing() as session:
            for at in state.pending_failures(username):
                ctx.audit(session, "login.failed", "staff_user", ctx.user.id, new={"attempt_at": at},
                          success=False)
            if not keyring.policy_intact(db_key):
                ctx.audit(session, "config.policy_mismatch", "workspace", None,
                          new={"policy": dict(keyring.policy.__dict__)}, success=False)
            ctx.audit(session, action, "staff_user", ctx.user.id)
        state.clear(username)  # only once the failures are safely in the audit log
        ctx.notices = notices + journal.reconcile(ctx)
        return ctx
    except BaseException:
        ws.close()
        raise


# -- the schema upgrade at sign-in ------------------------------------------------------------------------------------
UPGRADE = "workspace.upgrade"
UPGRADE_WAIT_SECONDS = 600  # another sign-in upgrading (a backup and the migrations of a large workspace)


def _upgrade(ctx: ServiceContext) -> list[str]:
    """Upgrade an older schema, audited before its backup exists: the entry ``stage: started`` naming the backup
    is committed (in the old schema: the audit chain's tables are the same in every revision), then the backup
    is written, then the migrations run in one transaction, then ``stage: completed`` (or ``failed``). An
    upgrade a killed process left without its outcome is settled first. Returns notes for the user."""
    ws = ctx.workspace
    if ws.schema_behind() is None and not _unsettled_upgrades(ws):
        return []
    with _upgrade_lock(ws.data_dir):  # one sign-in upgrades; another waits, then finds the schema current
        notes = _settle_upgrades(ctx)
        current = ws.schema_behind()
        if current is None:
            return notes
        head = migrations.head_revision()
        backup = ws.pre_upgrade_backup_path(current, ctx.clock())
        with ws.writing() as session:
            started = ctx.audit(session, UPGRADE, "workspace", None,
                                new={"stage": journal.STARTED, "backup": backup.name, "schema": current})
        crashpoints.step(f"{UPGRADE}/intent")
        try:
            write_backup(ws, backup)  # steps workspace.upgrade/copied, /written, /published
            ws.upgrade_schema()
            crashpoints.step(f"{UPGRADE}/migrated")
        except BaseException as exc:
            kept = backup.exists()
            with contextlib.suppress(Exception), ws.writing() as session:
                ctx.audit(session, UPGRADE, "workspace", None, old={"schema": current},
                          new={"stage": journal.FAILED, "intent": started.seq, "schema": current,
                               "backup": backup.name if kept else None,
                               "reason": (str(exc) or type(exc).__name__)[:500]}, success=False)
            if isinstance(exc, WenzeError) or not isinstance(exc, Exception):
                raise
            raise IntegrityFailure(
                f"工作区的数据结构升级（{current} → {head}）失败：{exc}。工作区仍是原来的版本，数据未被改动"
                + (f"；升级前的备份保存在 {backup}" if kept else "") + "。请联系技术支持。") from exc
        with ws.writing() as session:
            ctx.audit(session, UPGRADE, "workspace", None, old={"schema": current},
                      new={"stage": journal.COMPLETED, "intent": started.seq, "from": current, "to": head,
                           "backup": backup.name})
        crashpoints.step(f"{UPGRADE}/completed")
        ws.migrated_from, ws.pre_migration_backup = current, backup
        return notes


def _unsettled_upgrades(ws: Workspace) -> list[tuple[AuditEntry, dict]]:
    """Upgrades begun (``stage: started``) without an outcome: their process was killed."""
    with ws.session() as session:
        entries = list(session.scalars(select(AuditEntry).where(AuditEntry.action == UPGRADE)
                                       .order_by(AuditEntry.seq)))
    started, settled = [], set()
    for entry in entries:
        try:
            values = json.loads(entry.new_values or "{}")
        except ValueError:
            continue
        if values.get("stage") == journal.STARTED:
            started.append((entry, values))
        elif values.get("intent") is not None:
            settled.add(values["intent"])
    return [(entry, values) for entry, values in started if entry.seq not in settled]


def _settle_upgrades(ctx: ServiceContext) -> list[str]:
    ws, notes = ctx.workspace, []
    now = migrations.current_revision(ws.engine)
    for entry, values in _unsettled_upgrades(ws):
        name, found = str(values.get("backup") or ""), str(values.get("schema") or "")
        kept = bool(name) and (ws.backup_dir / Path(name).name).exists()
        done = now != found  # the migrations commit as one transaction: moved means they all ran
        with ws.writing() as session:
            ctx.audit(session, UPGRADE, "workspace", None, old={"schema": found},
                      new={"stage": journal.COMPLETED if done else journal.FAILED, "intent": entry.seq,
                           "recovered": True, "from": found, "to": now, "backup": name if kept else None},
                      success=done)
        when = entry.at.astimezone().strftime("%Y-%m-%d %H:%M")
        notes.append(f"{entry.username} 于 {when} 开始的工作区数据结构升级在完成前被中断；"
                     + ("升级已经完成，现已补记入审计日志；" if done
                        else "工作区仍是原来的版本，已记入审计日志并重新升级；")
                     + (f"升级前的备份保存在 backups/{name}。" if kept
                        else "升级前的备份没有写成（残留的临时文件已清除）。"))
    return notes


@contextlib.contextmanager
def _upgrade_lock(data_dir: Path) -> Iterator[None]:
    deadline = time.monotonic() + UPGRADE_WAIT_SECONDS
    while (held := Held.take(Path(data_dir) / recovery.UPGRADE_LOCK)) is None:
        if time.monotonic() > deadline:
            raise WorkspaceBusy("另一个窗口或命令正在升级此工作区的数据结构，尚未完成。请稍后再登录。")
        time.sleep(0.1)
    try:
        yield
    finally:
        held.release()


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
    from wenze_desktop.services.accounts import change_keyring, staff_change  # accounts imports this module

    keyring = Workspace.load_keyring(data_dir)
    db_key = keyring.unlock_with_recovery(recovery_key)
    check_password(new_password, keyring.policy.min_password_length, username)
    ctx = _open(data_dir, keyring, db_key, username, clock, "login.recovery_key")
    try:
        draft = Keyring.load(keyring.path)
        draft.set_password(username, ctx.user.id, db_key, new_password, slot_params(draft, username))
        # the row's side goes with the intent, so a kill after the slot file was written still stamps it
        change_keyring(ctx, "user.recover_password", "staff_user", ctx.user.id, f"slot:{username}", draft,
                       new={"by": "recovery_key"}, apply=staff_change(ctx.user.id, password_changed_at=clock()))
        LoginState(Workspace.login_state_path_of(data_dir)).clear(username)
        return ctx
    except BaseException:
        ctx.workspace.close()
        raise


def slot_params(keyring: Keyring, username: str) -> kdf.Argon2Params:
    """Keep the calibrated cost of an existing slot (a fresh salt is added when wrapping)."""
    slot = keyring.slots.get(username)
    return kdf.Argon2Params.from_json(slot["kdf"]) if slot else kdf.calibrate()
