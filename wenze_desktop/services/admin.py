"""Workspace administration: verify, backup, restore."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import inspect, select, update
from sqlalchemy.orm import Session

from wenze_desktop import crashpoints
from wenze_desktop.domain.base import new_uuid, utcnow
from wenze_desktop.domain.models import PendingOperation, WorkspaceInfo
from wenze_desktop.errors import IntegrityFailure, ValidationError, WorkspaceExists
from wenze_desktop.paths import BACKUP_DIR, KEYRING_FILE
from wenze_desktop.security.audit import verify_chain
from wenze_desktop.security.permissions import Permission
from wenze_desktop.services import journal
from wenze_desktop.services.auth import _context_for
from wenze_desktop.services.context import Clock, ServiceContext
from wenze_desktop.storage import backup as backups
from wenze_desktop.storage import migrations, recovery, sessions
from wenze_desktop.storage.atomic import make_private_dir
from wenze_desktop.storage.keyring import Keyring
from wenze_desktop.storage.workspace import Workspace


@dataclass
class VerifyReport:
    checks: list[tuple[str, bool, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(passed for _, passed, _ in self.checks)

    def add(self, name: str, passed: bool, detail: str) -> None:
        self.checks.append((name, passed, detail))


@dataclass
class AdminService:
    ctx: ServiceContext

    def workspace_info(self) -> WorkspaceInfo:
        with self.ctx.workspace.session() as s:
            return s.scalars(select(WorkspaceInfo)).one()

    def verify(self) -> VerifyReport:
        """SQLCipher page integrity, schema at the migration head, and the audit chain."""
        report = VerifyReport()
        self.ctx.require(Permission.VERIFY, action="workspace.verify", object_type="workspace")
        problems = backups.integrity_problems(self.ctx.workspace)
        report.add("加密与完整性", not problems, "；".join(problems) or "SQLCipher 页校验与 SQLite 结构校验均通过")
        current, head = migrations.current_revision(self.ctx.workspace.engine), migrations.head_revision()
        report.add("数据结构版本", current == head, f"当前 {current}，最新 {head}")
        with self.ctx.workspace.session() as s:
            chain = verify_chain(s)
        detail = (f"{chain.entries} 条记录，末端哈希 {chain.head_hash}" if chain.ok else "；".join(chain.problems))
        report.add("审计链", chain.ok, detail)
        keyring = Workspace.load_keyring(self.ctx.workspace.data_dir)
        intact = keyring.policy_intact(self.ctx.workspace.db_key)
        report.add("登录策略", intact, "与签记一致" if intact else "密钥槽文件中的登录策略被改动过（未经本程序）")
        with self.ctx.transaction() as s:
            self.ctx.audit(s, "workspace.verify", "workspace", None, new={"ok": report.ok}, success=report.ok)
        return report

    def backup(self, out: Path) -> dict:
        """Write a backup to ``out``, audited before it exists: the intent is committed first, the file appears
        by one rename, and the completion carries its SHA-256 and size (storage/backup.py, services/journal.py)."""
        out = Path(out).absolute()
        instance_id = self.workspace_info().id
        if out.parent == self.ctx.workspace.backup_dir or not out.parent.exists():
            try:
                make_private_dir(out.parent)  # the workspace's own backups/ (or a new folder): its owner's only
            except OSError as exc:
                raise ValidationError(f"无法建立备份文件夹 {out.parent}（{exc.strerror or exc}），未写出备份。"
                                      "请选择可以写入的位置。") from exc
        scratch = backups.scratch_for(out)
        # The scratch's lock file too: a killed backup's is removed by the next sign-in (journal.reconcile).
        with journal.intended(self.ctx, "workspace.backup", "workspace", instance_id, {"file": str(out)},
                              permission=Permission.BACKUP, product=out,
                              scratch=(scratch / backups.PARTIAL, scratch, recovery.lock_of(scratch))) as intent:
            with recovery.claimed(scratch):
                manifest = backups.build_backup(self.ctx.workspace, intent.part, instance_id, intent=intent.id)
                intent.publish()
            intent.complete({"file": str(out), "sha256": backups.sha256_file(out), "size": out.stat().st_size})
        return manifest


def restore(backup_file: Path, data_dir: Path, username: str, password: str, *, replace: bool = False,
            clock: Clock = utcnow) -> tuple[str, str]:
    """Bring a backup back into ``data_dir``; the restored workspace gets a new instance id.

    Everything is checked in a scratch folder first (hashes, password, integrity) and the restore is audited
    there; only then are the files swapped in, under a restore journal (storage/recovery.py): a process killed at
    any point leaves the old workspace or the restored one, completed at the next start. The old files go to
    ``backups/replaced-<time>``. Refused (``WorkspaceBusy``, nothing changed) while the workspace is open in a
    window or command (storage/sessions.py). Returns (old instance id, new instance id).
    """
    data_dir, backup_file = Path(data_dir), Path(backup_file)
    recovery.remember(recovery.finish_interrupted(data_dir))
    if Workspace.exists(data_dir) and not replace:
        raise WorkspaceExists(f"目录 {data_dir} 中已有工作区。若要用备份替换它，请加 --replace"
                              "（原文件会先移到 backups/）。")
    # Refused while a window or command has the workspace open (its connections would go on with files moved
    # away under them); counted again once the journal is written (recovery.replace_workspace).
    sessions.refuse_if_open(data_dir)
    make_private_dir(data_dir)
    try:
        with recovery.claimed(recovery.fresh_scratch(data_dir, recovery.RESTORE_SCRATCH)) as scratch:
            manifest = backups.unpack_backup(backup_file, scratch)
            crashpoints.step("workspace.restore/unpacked")
            keyring = Keyring.load(scratch / KEYRING_FILE)
            db_key = keyring.unlock(username, password)
            # An older schema is upgraded at the next login, with its own pre-upgrade backup and audit entry.
            ws = Workspace.attach(scratch, keyring, db_key, upgrade=False)
            try:
                problems = backups.integrity_problems(ws)
                if problems:
                    raise IntegrityFailure("备份中的数据库校验未通过：" + "；".join(problems))
                ctx = _context_for(ws, username, clock)
                ctx.require(Permission.BACKUP, action="workspace.restore", object_type="workspace")
                new_id = new_uuid()
                digest, size = backups.sha256_file(backup_file), backup_file.stat().st_size
                with ctx.transaction() as s:
                    old_id = s.scalars(select(WorkspaceInfo.id)).one()
                    s.execute(update(WorkspaceInfo).values(id=new_id, updated_at=clock()))
                    _settle_own_backup(ctx, s, manifest.get("intent"), backup_file.name, digest, size)
                    ctx.audit(s, "workspace.restore", "workspace", new_id, old={"instance_id": old_id},
                              new={"instance_id": new_id, "from": backup_file.name, "sha256": digest})
            finally:
                ws.close()
            crashpoints.step("workspace.restore/verified")
            backup_dir = data_dir / BACKUP_DIR
            make_private_dir(backup_dir)
            aside = recovery.unique_folder(backup_dir, f"replaced-{clock():%Y%m%d-%H%M%S}")
            recovery.replace_workspace(data_dir, scratch, aside, backup_file.name)
    except BaseException:
        # A swap that failed half way (a disk error, Ctrl-C) is undone now rather than at the next start.
        if (data_dir / recovery.RESTORE_JOURNAL).exists():
            with contextlib.suppress(Exception):
                recovery.remember(recovery.finish_interrupted(data_dir))
        raise
    return old_id, new_id


def _settle_own_backup(ctx: ServiceContext, s: Session, intent_id: str | None, name: str, digest: str,
                       size: int) -> None:
    """The database in a backup was copied while the backup's own intent was pending: in the restored workspace
    that intent is this very file, so it is recorded as completed here (not as an interrupted operation).
    Other operations pending in the copy are left for the next sign-in to settle."""
    if not inspect(s.connection()).has_table(PendingOperation.__tablename__):
        return  # a backup made before operations were journalled
    for other in s.scalars(select(PendingOperation).where(PendingOperation.id != (intent_id or ""))):
        # Whatever else was under way then ran in the workspace the backup was taken from, never in this copy:
        # the next sign-in settles it by what is on disk, without waiting for a process lock elsewhere.
        if (other.traces or {}).get("alive"):
            other.traces = {k: v for k, v in other.traces.items() if k != "alive"}
    row = s.get(PendingOperation, intent_id) if intent_id else None
    if row is None:
        return
    ctx.audit(s, row.action, row.object_type, row.object_id, None,
              {"stage": journal.COMPLETED, "intent": row.seq, "file": name, "sha256": digest, "size": size,
               "settled_by": "workspace.restore"})
    s.delete(row)
