"""Workspace administration: verify, backup, restore."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update

from wenze_desktop.domain.base import new_uuid, utcnow
from wenze_desktop.domain.models import WorkspaceInfo
from wenze_desktop.errors import IntegrityFailure, WorkspaceExists
from wenze_desktop.paths import DB_FILE, KEYRING_FILE
from wenze_desktop.security.audit import verify_chain
from wenze_desktop.security.permissions import Permission
from wenze_desktop.services.auth import _context_for
from wenze_desktop.services.context import Clock, ServiceContext
from wenze_desktop.storage import backup as backups
from wenze_desktop.storage import migrations
from wenze_desktop.storage.atomic import fsync_dir, make_private_dir
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
        self.ctx.require(Permission.BACKUP, action="workspace.backup", object_type="workspace")
        instance_id = self.workspace_info().id
        manifest = backups.write_backup(self.ctx.workspace, Path(out), instance_id)
        # Audited once the file is really there, with the hash that identifies it.
        with self.ctx.transaction() as s:
            self.ctx.audit(s, "workspace.backup", "workspace", instance_id,
                           new={"file": str(out), "sha256": backups.sha256_file(Path(out))})
        return manifest


def restore(backup_file: Path, data_dir: Path, username: str, password: str, *, replace: bool = False,
            clock: Clock = utcnow) -> tuple[str, str]:
    """Bring a backup back into ``data_dir``; the restored workspace gets a new instance id.

    Everything is checked in a scratch folder first (hashes, password, integrity); only then are the files
    moved in. Returns (old instance id, new instance id).
    """
    data_dir = Path(data_dir)
    if Workspace.exists(data_dir) and not replace:
        raise WorkspaceExists(f"目录 {data_dir} 中已有工作区。若要用备份替换它，请加 --replace"
                              "（原文件会先移到 backups/）。")
    make_private_dir(data_dir)
    scratch = Path(tempfile.mkdtemp(dir=data_dir, prefix=".restore-"))
    try:
        backups.unpack_backup(Path(backup_file), scratch)
        keyring = Keyring.load(scratch / KEYRING_FILE)
        db_key = keyring.unlock(username, password)
        # An older schema is upgraded at the next login, with its own pre-upgrade backup and audit entry.
        ws = Workspace.attach(scratch, keyring, db_key, now=clock(), upgrade=False)
        try:
            problems = backups.integrity_problems(ws)
            if problems:
                raise IntegrityFailure("备份中的数据库校验未通过：" + "；".join(problems))
            ctx = _context_for(ws, username, clock)
            ctx.require(Permission.BACKUP, action="workspace.restore", object_type="workspace")
            new_id = new_uuid()
            with ctx.transaction() as s:
                old_id = s.scalars(select(WorkspaceInfo.id)).one()
                s.execute(update(WorkspaceInfo).values(id=new_id, updated_at=clock()))
                ctx.audit(s, "workspace.restore", "workspace", new_id, old={"instance_id": old_id},
                          new={"instance_id": new_id, "from": Path(backup_file).name})
        finally:
            ws.close()
        if Workspace.exists(data_dir):
            backups.move_aside(data_dir, data_dir / "backups" / f"replaced-{clock():%Y%m%d-%H%M%S}")
        keyring.path = Workspace.keyring_path_of(data_dir)
        shutil.move(scratch / KEYRING_FILE, data_dir / KEYRING_FILE)
        shutil.move(scratch / DB_FILE, data_dir / DB_FILE)
        fsync_dir(data_dir)
        return old_id, new_id
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
