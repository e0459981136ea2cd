"""Staff accounts: create, change password (rewraps one key slot, re-encrypts nothing), roles, lockout.

A key slot lives in a file beside the database, which no transaction rolls back. So every slot change is
audited before it exists (``services/journal.py``): the new slot (or policy) is built first, on a copy of the
keyring; the intent naming its digest is committed; then, in one write transaction, the slot file is saved and
the completion is recorded. A process killed in between leaves the intent, and the next sign-in records it as
completed exactly when the slot file holds the new slot. Slot files are only written while the database write
lock is held, so two programs changing slots take turns and neither undoes the other's change.

The database side of a slot change (the account marked inactive or active again, ``password_changed_at``, the
``user.reactivate`` entry; the row of a creation that failed removed) is not a closure run in the transaction a
kill rolls back: it is described with the intent (``staff_change``: the account's id and the few fields it sets,
nothing else) and applied by the journal in the transaction that records the outcome — this process's
completion or failure, or the next sign-in's reconciliation (``_apply_staff_change``, registered with the
journal). So after any interruption the audit log, the slot file and the account's row agree.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wenze_desktop import crashpoints
from wenze_desktop.domain.base import new_uuid
from wenze_desktop.domain.models import AuditEntry, StaffUser
from wenze_desktop.errors import ValidationError, WenzeError, WrongPassword
from wenze_desktop.security.lockout import LoginState
from wenze_desktop.security.passwords import check_password
from wenze_desktop.security.permissions import Permission, check_role_separation
from wenze_desktop.services import journal
from wenze_desktop.services.auth import check_username, slot_params
from wenze_desktop.services.context import ServiceContext, changed, snapshot
from wenze_desktop.storage.keyring import Keyring, LoginPolicy
from wenze_desktop.storage.workspace import Workspace

# -- the database side of a slot change, described with its intent ----------------------------------------------

STAFF_CHANGE = "staff_user"
_STAFF_FIELDS = {"id": str, "active": bool, "password_changed_at": str, "unfinished_creation": bool}


def staff_change(user_id: str, *, active: bool | None = None, password_changed_at: datetime | None = None,
                 unfinished_creation: bool = False) -> dict:
    """What a slot change does to the account's row, as it is recorded with the intent."""
    change: dict = {"id": user_id}
    if active is not None:
        change["active"] = active
    if password_changed_at is not None:
        change["password_changed_at"] = password_changed_at.isoformat()
    if unfinished_creation:
        change["unfinished_creation"] = True
    return change


def _check_staff_change(change: dict) -> None:
    if not isinstance(change.get("id"), str) or not set(change) <= set(_STAFF_FIELDS):
        raise ValueError(f"not an account change: {sorted(change)}")
    for key, value in change.items():
        if type(value) is not _STAFF_FIELDS[key]:
            raise ValueError(f"account change: {key} is {type(value).__name__}")
    if "password_changed_at" in change:
        datetime.fromisoformat(change["password_changed_at"])  # ValueError if it is not a time


@journal.applier(STAFF_CHANGE, _check_staff_change)
def _apply_staff_change(ctx: ServiceContext, s: Session, change: dict, note: dict) -> None:
    """Applied by the journal with the outcome it records (``note``: the intent's number, whether recovered)."""
    staff = s.get(StaffUser, change["id"])
    if staff is None:
        return  # nothing left to apply it to
    if change.get("unfinished_creation"):
        # A creation that failed: its row, committed with the intent, goes (unless its slot exists after all).
        if Keyring.load(ctx.workspace.keyring.path).has_user(staff.username):
            return
        try:
            with s.begin_nested():
                s.delete(staff)
        except IntegrityError:  # referred to meanwhile (a case assigned to it): kept inactive, never usable
            staff.active = False
            ctx.touch(staff)
        return
    if "password_changed_at" in change:
        staff.password_changed_at = datetime.fromisoformat(change["password_changed_at"])
    if "active" in change and staff.active != change["active"]:
        if change["active"]:
            ctx.audit(s, "user.reactivate", "staff_user", staff.id, {"active": False}, {"active": True, **note})
        staff.active = change["active"]
    ctx.touch(staff)


def change_keyring(ctx: ServiceContext, action: str, object_type: str, object_id: str | None, part: str,
                   draft: Keyring, new: dict | None = None, *, apply: dict | None = None,
                   within: Callable[[Session], None] | None = None) -> None:
    """Give the slot file ``part`` (``slot:<username>`` or ``policy``) as it is in ``draft``, audited first.

    ``apply`` (``staff_change(...)``) is the database side of the change: recorded with the intent and applied
    with the completion, here or by the next sign-in if this process is killed after writing the slot file.
    ``within(session)`` runs in the completing transaction of this process only — a kill after the slot file
    was written loses it; use ``apply``. If the slot file cannot be written, nothing has changed and the failure
    is recorded."""
    side = journal.database_side(STAFF_CHANGE, completed=apply) if apply is not None else None
    with journal.intended(ctx, action, object_type, object_id, new,
                          keyring=(part, journal.keyring_digest(draft, part)), apply=side) as intent:
        _write_and_complete(ctx, intent, part, draft, within)


def _write_and_complete(ctx: ServiceContext, intent: journal.Intent, part: str, draft: Keyring,
                        within: Callable[[Session], None] | None) -> None:
    # Inside the write transaction: the database write lock also serialises slot-file writers.
    with ctx.transaction() as session:
        if within is not None:
            within(session)
        try:
            ctx.workspace.keyring.update(lambda ring: ring.adopt(draft, part))
        except OSError as exc:
            label = journal.LABELS.get(intent.action, intent.action)
            raise WenzeError(f"密钥槽文件 {ctx.workspace.keyring.path} 无法写入（{exc.strerror or exc}），"
                             f"“{label}”未完成，账户和密码均未改变（已记入审计日志）。"
                             "请检查磁盘空间和文件权限后重试。") from exc
        crashpoints.step(f"{intent.action}/slot-written")
        intent.complete(session=session)


@dataclass
class AccountService:
    ctx: ServiceContext

    @property
    def _keyring(self) -> Keyring:
        return self.ctx.workspace.keyring

    @property
    def _db_key(self) -> bytes:
        return self.ctx.workspace.db_key

    def _staff(self, session: Session, user_id: str) -> StaffUser:
        staff = session.get(StaffUser, user_id)
        if staff is None:
            raise ValidationError(f"找不到用户 {user_id}。")
        return staff

    def _draft(self) -> Keyring:
        """The slot file as it is now, to build a change on (the KDF runs here, before any lock is taken)."""
        return Keyring.load(self._keyring.path)

    def list_users(self) -> list[StaffUser]:
        with self.ctx.workspace.session() as session:
            return list(session.scalars(select(StaffUser).order_by(StaffUser.username)))

    def create_user(self, username: str, display_name: str, roles: list[str], password: str) -> str:
        """The account row and the audited intent are committed together, then the key slot is written, then the
        creation is completed.

        Until its slot exists the account cannot sign in (sign-in needs the slot). If the slot cannot be written,
        the failure is recorded and the row removed with it (the intent's database side for a failure), and the
        message says the account was not created. If the process is killed before the slot is written, the next
        sign-in records the creation as failed and removes the row the same way. A row left without a slot
        otherwise (by an older version, or kept because something refers to it) is taken over by creating the
        same name again."""
        self.ctx.require(Permission.USER_MANAGE, action="user.create", object_type="staff_user")
        check_username(username)
        check_role_separation(roles)
        check_password(password, self._keyring.policy.min_password_length, username)
        with self.ctx.workspace.session() as s:
            leftover = self._existing(s, username)
            user_id = leftover.id if leftover is not None else new_uuid()
        draft = self._draft()
        draft.set_password(username, user_id, self._db_key, password, slot_params(draft, self.ctx.user.username))
        part = f"slot:{username}"
        with self.ctx.transaction() as s:
            staff = self._existing(s, username)
            if (staff.id if staff is not None else user_id) != user_id:
                raise ValidationError(f"用户名「{username}」已被他人同时建立，请刷新后重试。")
            now = self.ctx.clock()
            if staff is None:
                staff = StaffUser(id=user_id, username=username, created_at=now)
                s.add(staff)
            staff.display_name, staff.roles, staff.active = display_name, list(roles), True
            staff.updated_at = staff.password_changed_at = now
            s.flush()
            intent = journal.begin(self.ctx, s, "user.create", "staff_user", user_id,
                                   snapshot(staff, ["username", "display_name", "roles"]),
                                   keyring=(part, journal.keyring_digest(draft, part)),
                                   apply=journal.database_side(
                                       STAFF_CHANGE, failed=staff_change(user_id, unfinished_creation=True)))
        crashpoints.step("user.create/intent")
        with journal.carrying_out(intent):
            _write_and_complete(self.ctx, intent, part, draft, None)
        with contextlib.suppress(OSError):  # failures typed under this name before it was an account
            LoginState(Workspace.login_state_path_of(self.ctx.workspace.data_dir)).clear(username)
        return user_id

    def _existing(self, s: Session, username: str) -> StaffUser | None:
        """The row of ``username`` if creating it again is refused; None if the name is free or only held by
        the row of a creation that never completed (killed before its key slot was written)."""
        staff = s.scalars(select(StaffUser).where(StaffUser.username == username)).first()
        if staff is None:
            return None
        if not self._unfinished_creation(s, staff):
            raise ValidationError(f"用户名「{username}」已存在。")
        return staff

    def _unfinished_creation(self, s: Session, staff: StaffUser) -> bool:
        if Keyring.load(self._keyring.path).has_user(staff.username):
            return False
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.object_id == staff.id)))
        if any(e.action != "user.create" for e in entries):
            return False  # the account has a history: signed in, deactivated, …
        stages = [json.loads(e.new_values or "{}").get("stage") for e in entries]
        return journal.FAILED in stages and journal.COMPLETED not in stages and None not in stages

    def change_own_password(self, old_password: str, new_password: str) -> None:
        """Rewrap this user's key slot. The database file is not re-encrypted."""
        username = self.ctx.user.username
        try:
            Workspace.load_keyring(self.ctx.workspace.data_dir).unlock(username, old_password)
        except WrongPassword as exc:
            raise WrongPassword("原密码错误，密码未修改。") from exc
        if old_password == new_password:
            raise ValidationError("新密码不能与原密码相同。")
        check_password(new_password, self._keyring.policy.min_password_length, username)
        self._set_password(self.ctx.user.id, username, new_password, "user.change_password")

    def _set_password(self, user_id: str, username: str, password: str, action: str, *,
                      activate: bool = False) -> None:
        draft = self._draft()
        draft.set_password(username, user_id, self._db_key, password, slot_params(draft, username))
        change = staff_change(user_id, password_changed_at=self.ctx.clock(), active=True if activate else None)
        change_keyring(self.ctx, action, "staff_user", user_id, f"slot:{username}", draft, apply=change)

    def set_roles(self, user_id: str, roles: list[str]) -> None:
        self.ctx.require(Permission.ROLE_ASSIGN, action="user.set_roles", object_type="staff_user",
                         object_id=user_id)
        check_role_separation(roles)
        with self.ctx.transaction() as s:
            staff = self._staff(s, user_id)
            old = snapshot(staff, ["roles"])
            staff.roles = list(roles)
            self.ctx.touch(staff)
            self.ctx.audit(s, "user.set_roles", "staff_user", user_id, *changed(old, snapshot(staff, ["roles"])))

    def deactivate(self, user_id: str) -> None:
        """The account stops working at once: its key slot is removed, so its password no longer opens anything.

        The row is marked inactive with the completion, after the slot is gone (killed in between, the account
        has no slot and cannot sign in; the next sign-in records the deactivation as completed and marks the row
        inactive in the same transaction)."""
        self.ctx.require(Permission.USER_MANAGE, action="user.deactivate", object_type="staff_user",
                         object_id=user_id)
        if user_id == self.ctx.user.id:
            raise ValidationError("不能停用当前登录的账户。")
        with self.ctx.workspace.session() as s:
            username = self._staff(s, user_id).username
        draft = self._draft()
        draft.remove_slot(username)
        change_keyring(self.ctx, "user.deactivate", "staff_user", user_id, f"slot:{username}", draft,
                       new={"active": False}, apply=staff_change(user_id, active=False))

    def reactivate(self, user_id: str, new_password: str) -> None:
        """A reactivated account gets a new password from the administrator (its old slot is gone). The new slot
        is audited before it is saved (``user.reset_password``); the account is marked active (and
        ``user.reactivate`` recorded) with the completion — by the next sign-in if this process is killed after
        the slot is written —, so it is never active without its new slot, nor left inactive with it."""
        self.ctx.require(Permission.USER_MANAGE, action="user.reactivate", object_type="staff_user",
                         object_id=user_id)
        with self.ctx.workspace.session() as s:
            username = self._staff(s, user_id).username
        check_password(new_password, self._keyring.policy.min_password_length, username)
        self._set_password(user_id, username, new_password, "user.reset_password", activate=True)

    def unlock_account(self, username: str) -> bool:
        """Audited first, then cleared: killed in between, the log names an unlock the administrator repeats."""
        self.ctx.require(Permission.USER_MANAGE, action="user.unlock", object_type="staff_user")
        state = LoginState(Workspace.login_state_path_of(self.ctx.workspace.data_dir))
        was_locked = state.has(username)
        with self.ctx.transaction() as s:
            self.ctx.audit(s, "user.unlock", "staff_user", self._keyring.user_id(username),
                           new={"username": username, "was_locked": was_locked})
        state.clear(username)
        return was_locked

    def set_login_policy(self, policy: LoginPolicy) -> None:
        self.ctx.require(Permission.CONFIG_MANAGE, action="config.login_policy", object_type="workspace")
        if policy.min_password_length < 8:
            raise ValidationError("密码最小长度不得少于 8 个字符。")
        if policy.max_failures < 1 or policy.lockout_minutes < 1 or policy.idle_minutes < 1:
            raise ValidationError("失败次数、锁定时长和空闲锁定时长都必须至少为 1。")
        draft = self._draft()
        old, new = changed(dict(draft.policy.__dict__), dict(policy.__dict__))
        draft.policy = LoginPolicy(**policy.__dict__)
        draft.seal_policy(self._db_key)
        change_keyring(self.ctx, "config.login_policy", "workspace", None, "policy", draft,
                       new={**new, "before": old})
