"""The context every service works in: the open workspace, the signed-in user and the clock (no globals)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from wenze_desktop.domain.base import Record, utcnow
from wenze_desktop.errors import PermissionDenied
from wenze_desktop.security import audit
from wenze_desktop.security.permissions import Permission, require_any
from wenze_desktop.services import changes as change_notes
from wenze_desktop.services.changes import Changes
from wenze_desktop.storage.workspace import Workspace

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class CurrentUser:
    id: str | None
    username: str
    display_name: str
    roles: tuple[str, ...] = ()


@dataclass
class ServiceContext:
    workspace: Workspace
    user: CurrentUser
    clock: Clock = field(default=utcnow)
    # what the sign-in found and settled (an operation a killed process left half done), to tell the user
    notices: list[str] = field(default_factory=list)

    def require(self, permission: Permission | tuple[Permission, ...], *, action: str = "", object_type: str = "",
                object_id: str | None = None) -> None:
        """Check a permission (or any one of several); a refusal is itself audited (as a failure) before it is
        raised."""
        try:
            require_any(self.user.roles, permission if isinstance(permission, tuple) else (permission,),
                        self.user.username)
        except PermissionDenied as refusal:
            with self.workspace.writing() as session:
                self.audit(session, action or str(permission), object_type or "permission", object_id,
                           new={"refused": str(refusal)}, success=False)
            raise

    @contextmanager
    def transaction(self, permission: Permission | tuple[Permission, ...] | None = None, *, action: str = "",
                    object_type: str = "", object_id: str | None = None) -> Iterator[Session]:
        """One unit of work, after the permission check."""
        if permission is not None:
            self.require(permission, action=action, object_type=object_type, object_id=object_id)
        with self.workspace.writing() as session:
            yield session

    def audit(self, session: Session, action: str, object_type: str, object_id: str | None,
              old: dict | None = None, new: dict | None = None, success: bool = True) -> audit.AuditEntry:
        return audit.append(session, at=self.clock(), user_id=self.user.id, username=self.user.username,
                     action=action, object_type=object_type, object_id=object_id, old=old, new=new,
                     success=success)

    def changed(self, changes: Changes) -> None:
        """Note what this operation changed; the GUI publishes it once the operation is over."""
        change_notes.note(changes)

    def touch(self, record: Record) -> None:
        record.updated_at = self.clock()

    def update(self, session: Session, record: Record, fields: list[str], changes: dict[str, Any],
               action: str, object_type: str) -> bool:
        """Apply ``changes`` and audit old → new of ``fields``. An unchanged save writes nothing (no version bump,
        no empty audit entry). Returns whether anything changed."""
        old = snapshot(record, fields)
        for key, value in changes.items():
            setattr(record, key, value)
        before, after = changed(old, snapshot(record, fields))
        if after:
            self.touch(record)
            self.audit(session, action, object_type, record.id, before, after)
        return bool(after)


def snapshot(record: Record, fields: list[str] | None = None) -> dict[str, Any]:
    """The column values of a record, for the audit entry's old → new."""
    columns = [c.key for c in inspect(record).mapper.column_attrs]
    wanted = fields or [c for c in columns if c not in ("content", "updated_at", "version")]
    return {name: getattr(record, name) for name in wanted}


def changed(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict, dict]:
    """Only the fields that differ, so the audit log shows what actually changed."""
    keys = [k for k in new if old.get(k) != new.get(k)]
    return {k: old.get(k) for k in keys}, {k: new[k] for k in keys}
