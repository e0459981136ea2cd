"""Staff accounts: create, change password (rewraps one key slot, re-encrypts nothing), roles, lockout."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from wenze_desktop.domain.base import new_uuid
from wenze_desktop.domain.models import StaffUser
from wenze_desktop.errors import ValidationError, WrongPassword
from wenze_desktop.security.lockout import LoginState
from wenze_desktop.security.passwords import check_password
from wenze_desktop.security.permissions import Permission, check_role_separation
from wenze_desktop.services.auth import check_username, slot_params
from wenze_desktop.services.context import ServiceContext, changed, snapshot
from wenze_desktop.storage.keyring import Keyring, LoginPolicy
from wenze_desktop.storage.workspace import Workspace


@dataclass
class AccountService:
    """Key-slot changes are saved inside the database transaction that audits them: if the slot file cannot
    be written, the transaction rolls back and nothing has changed."""

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

    def list_users(self) -> list[StaffUser]:
        with self.ctx.workspace.session() as session:
            return list(session.scalars(select(StaffUser).order_by(StaffUser.username)))

    def create_user(self, username: str, display_name: str, roles: list[str], password: str) -> str:
        self.ctx.require(Permission.USER_MANAGE, action="user.create", object_type="staff_user")
        check_username(username)
        check_role_separation(roles)
        check_password(password, self._keyring.policy.min_password_length, username)
        with self.ctx.transaction() as s:
            if s.scalars(select(StaffUser).where(StaffUser.username == username)).first():
                raise ValidationError(f"用户名「{username}」已存在。")
            now = self.ctx.clock()
            staff = StaffUser(id=new_uuid(), username=username, display_name=display_name, roles=list(roles),
                              active=True, created_at=now, updated_at=now, password_changed_at=now)
            s.add(staff)
            s.flush()
            self.ctx.audit(s, "user.create", "staff_user", staff.id,
                           new=snapshot(staff, ["username", "display_name", "roles"]))
            params = slot_params(self._keyring, self.ctx.user.username)
            self._keyring.update(lambda ring: ring.set_password(username, staff.id, self._db_key, password, params))
            return staff.id

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

    def _set_password(self, user_id: str, username: str, password: str, action: str) -> None:
        with self.ctx.transaction() as s:
            staff = self._staff(s, user_id)
            staff.password_changed_at = self.ctx.clock()
            self.ctx.touch(staff)
            self.ctx.audit(s, action, "staff_user", staff.id)
            params = slot_params(self._keyring, username)
            self._keyring.update(lambda ring: ring.set_password(username, user_id, self._db_key, password, params))

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
        """The account stops working at once: its key slot is removed, so its password no longer opens anything."""
        self.ctx.require(Permission.USER_MANAGE, action="user.deactivate", object_type="staff_user",
                         object_id=user_id)
        if user_id == self.ctx.user.id:
            raise ValidationError("不能停用当前登录的账户。")
        with self.ctx.transaction() as s:
            staff = self._staff(s, user_id)
            staff.active = False
            self.ctx.touch(staff)
            self.ctx.audit(s, "user.deactivate", "staff_user", user_id, {"active": True}, {"active": False})
            self._keyring.update(lambda ring: ring.remove_slot(staff.username))

    def reactivate(self, user_id: str, new_password: str) -> None:
        """A reactivated account gets a new password from the administrator (its old slot is gone)."""
        self.ctx.require(Permission.USER_MANAGE, action="user.reactivate", object_type="staff_user",
                         object_id=user_id)
        with self.ctx.workspace.session() as s:
            username = self._staff(s, user_id).username
        check_password(new_password, self._keyring.policy.min_password_length, username)
        with self.ctx.transaction() as s:
            staff = self._staff(s, user_id)
            staff.active = True
            self.ctx.touch(staff)
            self.ctx.audit(s, "user.reactivate", "staff_user", user_id, {"active": False}, {"active": True})
        self._set_password(user_id, username, new_password, "user.reset_password")

    def unlock_account(self, username: str) -> bool:
        self.ctx.require(Permission.USER_MANAGE, action="user.unlock", object_type="staff_user")
        with self.ctx.transaction() as s:
            was_locked = LoginState(Workspace.login_state_path_of(self.ctx.workspace.data_dir)).clear(username)
            self.ctx.audit(s, "user.unlock", "staff_user", self._keyring.user_id(username),
                           new={"username": username, "was_locked": was_locked})
            return was_locked

    def set_login_policy(self, policy: LoginPolicy) -> None:
        self.ctx.require(Permission.CONFIG_MANAGE, action="config.login_policy", object_type="workspace")
        if policy.min_password_length < 8:
            raise ValidationError("密码最小长度不得少于 8 个字符。")
        if policy.max_failures < 1 or policy.lockout_minutes < 1 or policy.idle_minutes < 1:
            raise ValidationError("失败次数、锁定时长和空闲锁定时长都必须至少为 1。")

        def apply(ring: Keyring) -> None:
            ring.policy = policy
            ring.seal_policy(self._db_key)

        with self.ctx.transaction() as s:
            old = dict(self._keyring.policy.__dict__)
            self.ctx.audit(s, "config.login_policy", "workspace", None, *changed(old, dict(policy.__dict__)))
            self._keyring.update(apply)
