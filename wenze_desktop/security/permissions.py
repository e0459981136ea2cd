"""Roles and what they may do. Services ask ``require(user, permission)`` before every change."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from wenze_desktop.domain.glossary import Role, term
from wenze_desktop.errors import PermissionDenied, ValidationError


class Permission(StrEnum):
    USER_MANAGE = "user.manage"
    CONFIG_MANAGE = "config.manage"
    BACKUP = "workspace.backup"
    VERIFY = "workspace.verify"
    AUDIT_READ = "audit.read"
    ROLE_ASSIGN = "role.assign"
    SEAL_MANAGE = "seal.manage"
    KEY_MANAGE = "key.manage"
    CASE_READ = "case.read"
    CASE_EDIT = "case.edit"
    CASE_DECIDE = "case.decide"
    DOCUMENT_ISSUE = "document.issue"
    DOCUMENT_SEAL = "document.seal"
    CASE_TRANSFER = "case.transfer"


PERMISSION_NAMES = {
    Permission.USER_MANAGE: "管理用户账户",
    Permission.CONFIG_MANAGE: "修改系统配置",
    Permission.BACKUP: "备份工作区",
    Permission.VERIFY: "校验工作区",
    Permission.AUDIT_READ: "查阅审计日志",
    Permission.ROLE_ASSIGN: "分配角色权限",
    Permission.SEAL_MANAGE: "管理印章",
    Permission.KEY_MANAGE: "管理密钥",
    Permission.CASE_READ: "查阅案件",
    Permission.CASE_EDIT: "办理案件",
    Permission.CASE_DECIDE: "作出问责决定",
    Permission.DOCUMENT_ISSUE: "制发文书",
    Permission.DOCUMENT_SEAL: "加盖印章（签发盖章文书、作废已盖章文书）",
    Permission.CASE_TRANSFER: "导出、导入案件数据包",
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.SYSTEM_ADMIN: frozenset({Permission.USER_MANAGE, Permission.CONFIG_MANAGE, Permission.BACKUP,
                                  Permission.VERIFY}),
    Role.SECURITY_OFFICER: frozenset({Permission.ROLE_ASSIGN, Permission.SEAL_MANAGE, Permission.KEY_MANAGE}),
    Role.SECURITY_AUDITOR: frozenset({Permission.AUDIT_READ, Permission.VERIFY}),
    Role.HANDLER: frozenset({Permission.CASE_READ, Permission.CASE_EDIT, Permission.DOCUMENT_ISSUE,
                             Permission.CASE_TRANSFER}),
    Role.REVIEWER: frozenset({Permission.CASE_READ, Permission.CASE_EDIT, Permission.DOCUMENT_ISSUE,
                              Permission.CASE_TRANSFER}),
    # The seal is used on the deciding organ's authority, so sealing belongs to its leader.
    Role.LEADER: frozenset({Permission.CASE_READ, Permission.CASE_DECIDE, Permission.DOCUMENT_ISSUE,
                            Permission.DOCUMENT_SEAL, Permission.CASE_TRANSFER}),
}

# The first account of a new workspace: it can set everything up and run a case end to end (a one-person
# office), and hand duties to others later.
FIRST_ADMIN_ROLES = (Role.SYSTEM_ADMIN, Role.SECURITY_OFFICER, Role.HANDLER, Role.LEADER)


def permissions_of(roles: Iterable[str]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(Role(role), frozenset())
    return frozenset(granted)


def check_role_separation(roles: Iterable[str]) -> None:
    """三员分立 (保密法实施条例 第三十四条): the auditor may not also administer or hold security duties."""
    held = {Role(r) for r in roles}
    if Role.SECURITY_AUDITOR in held and held & {Role.SYSTEM_ADMIN, Role.SECURITY_OFFICER}:
        raise ValidationError("安全审计员不得同时担任系统管理员或安全保密管理员（三员分立）。")


def require(roles: Iterable[str], permission: Permission, username: str = "") -> None:
    if permission not in permissions_of(roles):
        who = f"用户「{username}」" if username else "当前用户"
        raise PermissionDenied(f"{who}没有“{PERMISSION_NAMES[permission]}”的权限，请联系系统管理员。")


def require_any(roles: Iterable[str], permissions: Iterable[Permission], username: str = "") -> None:
    """At least one of ``permissions``; the refusal names the first (the one the office would grant)."""
    wanted = tuple(permissions)
    if not set(wanted) & permissions_of(roles):
        require(roles, wanted[0], username)


def refusal_of(roles: Iterable[str], permissions: Iterable[Permission], username: str = "") -> str:
    """Why a user may not do something that needs one of ``permissions`` ("" when they may)."""
    try:
        require_any(roles, permissions, username)
    except PermissionDenied as refusal:
        return str(refusal)
    return ""


def role_names(roles: Iterable[str]) -> str:
    return "、".join(term(r) for r in roles) or "（无角色）"
