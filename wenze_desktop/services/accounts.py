"""Staff accounts: create, change password (rewraps one key slot, re-encrypts nothing), roles, lockout."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from wenze_desktop.domain.base import new_uuid
from wenze_desktop.domain.models import StaffUser
from wenze_desktop.errors import ValidationError, WrongPassword
from wenze_desktop.security.lockout import LoginState
from wenze_desktop.security.passwords import check_password
from wenze_desktop.security.permissions import Permission, check_role_separation
from wenze_desktop.services.auth import _slot_params, check_username
from wenze_desktop.services.context import ServiceContext, changed, snapshot
from wenze_desktop.storage.keyring import LoginPolicy
from wenze_desktop.storage.workspace import Workspace


@dataclass
class AccountService:
    ctx: ServiceContext

    @property
    def _keyring(self):
        return self.ctx.workspace.keyring

    def list_users(self) -> list[StaffUser]:
        with self.ctx.workspace.session() as session:
            return list(session.scalars(select(StaffUser).order_by(StaffUser.username)))

    def create_user(self, username: str, display_name: str, roles: list[str], password: str) -> str:
        self.ctx.require(Permission.USER_MANAGE, action="user.create", object_type="staff_user")
        check_username(username)
        check_role_separation(roles)
        check_password(password, self._keyring.policy.min_password_length, username)
        with self.ctx.transaction() as s:
            if self._keyring.has_user(username) or s.scalars(
                    select(StaffUser).where(StaffUser.username == username)).first():
                raise ValidationError(f"用户名「{username}」已存在。")
            now = self.ctx.clock()
            staff = StaffUser(id=new_uuid(), username=username, display_name=display_name, roles=list(roles),
                              active=True, created_at=now, updated_at=now, password_changed_at=now)
            s.add(staff)
            s.flush()
            self.ctx.audit(s, "user.create", "staff_user", staff.id,
                           new=snapshot(staff, ["username", "display_name", "roles"]))
            self._keyring.set_password(username, staff.id, self.ctx.workspace.db_key, password,
                                       _slot_params(self._keyring, self.ctx.user.username))
            self._keyring.save()  # last: if it fails, the transaction rolls back too
            return staff.id

    def change_own_password(self, old_password: str, new_password: str) -> None:
        """Rewrap this user's key slot. The database file is not re-encrypted."""
        username = self.ctx.user.username
        try:
            self._keyring.unlock(username, old_password)
        except WrongPassword as exc:
            raise WrongPassword("原密码错误，密码未修改。") from exc
        if old_password == new_password:
            raise ValidationError("新密码不能与原密码相同。")
        check_password(new_password, self._keyring.policy.min_password_length, username)
        with self.ctx.transaction() as s:
            staff = s.get(StaffUser, self.ctx.user.id)
            staff.password_changed_at = self.ctx.clock()
            self.ctx.touch(staff)
            self.ctx.audit(s, "user.change_password", "staff_user", staff.id)
            self._keyring.set_password(username, staff.id, self.ctx.workspace.db_key, new_password,
                                       _slot_params(self._keyring, username))
            self._keyring.save()

    def set_roles(self, user_id: str, roles: list[str]) -> None:
        check_role_separation(roles)
        with self.ctx.transaction(Permission.ROLE_ASSIGN, action="user.set_roles", object_type="staff_user",
                                  object_id=user_id) as s:
            staff = s.get(StaffUser, user_id)
            old = snapshot(staff, ["roles"])
            staff.roles = list(roles)
            self.ctx.touch(staff)
            self.ctx.audit(s, "user.set_roles", "staff_user", user_id, *changed(old, snapshot(staff, ["roles"])))

    def set_active(self, user_id: str, active: bool) -> None:
        with self.ctx.transaction(Permission.USER_MANAGE, action="user.set_active", object_type="staff_user",
                                  object_id=user_id) as s:
            staff = s.get(StaffUser, user_id)
            if staff.id == self.ctx.user.id and not active:
                raise ValidationError("不能停用当前登录的账户。")
            old = snapshot(staff, ["active"])
            staff.active = active
            self.ctx.touch(staff)
            self.ctx.audit(s, "user.set_active", "staff_user", user_id, old, snapshot(staff, ["active"]))

    def unlock_account(self, username: str) -> bool:
        with self.ctx.transaction(Permission.USER_MANAGE, action="user.unlock", object_type="staff_user") as s:
            state = LoginState(Workspace.login_state_path_of(self.ctx.workspace.data_dir))
            was_locked = state.unlock(username)
            self.ctx.audit(s, "user.unlock", "staff_user", self._keyring.user_id(username),
                           new={"username": username, "was_locked": was_locked})
            return was_locked

    def set_login_policy(self, policy: LoginPolicy) -> None:
        self.ctx.require(Permission.CONFIG_MANAGE, action="config.login_policy", object_type="workspace")
        if policy.min_password_length < 8:
            raise ValidationError("密码最小长度不得少于 8 个字符。")
        if policy.max_failures < 1 or policy.lockout_minutes < 1 or policy.idle_minutes < 1:
            raise ValidationError("失败次数、锁定时长和空闲锁定时长都必须至少为 1。")
        with self.ctx.transaction() as s:
            old = dict(self._keyring.policy.__dict__)
            self._keyring.policy = policy
            self.ctx.audit(s, "config.login_policy", "workspace", None, *changed(old, dict(policy.__dict__)))
            self._keyring.save()
