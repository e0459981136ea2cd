"""Backup files (``.wzbak``): a tar of the encrypted database copy, its key slots and a manifest of hashes.

The database is copied with SQLite's online backup API into a file encrypted with the same key, so the copy
is consistent even while the application is writing, and no plaintext ever touches the disk.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import sqlcipher3

from wenze_desktop import crashpoints
from wenze_desktop.errors import IntegrityFailure
from wenze_desktop.paths import DB_FILE, KEYRING_FILE
from wenze_desktop.storage import migrations, recovery
from wenze_desktop.storage.atomic import fsync_dir, make_private_dir
from wenze_desktop.storage.engine import raw_key_literal
from wenze_desktop.storage.files import sha256_file
from wenze_desktop.storage.workspace import Workspace, private_file, tighten_mode

BACKUP_FORMAT = 1
MANIFEST = "manifest.json"
PARTIAL = "backup.partial"  # the backup being written, inside its scratch folder


def copy_database(ws: Workspace, target: Path) -> None:
    """A consistent encrypted copy of the live database (SQLite backup API, same key), readable by its owner only."""
    private_file(target)
    dest = sqlcipher3.connect(str(target))
    try:
        dest.execute(f'PRAGMA key = "{raw_key_literal(ws.db_key)}"')
        raw = ws.engine.raw_connection()
        try:
            raw.driver_connection.backup(dest)
        finally:
            raw.close()
    finally:
        dest.close()


def scratch_for(out: Path) -> Path:
    """A fresh name for the scratch folder of a backup to ``out`` (beside it, so that publishing is a rename)."""
    return Path(out).absolute().parent / f"{recovery.BACKUP_SCRATCH}{secrets.token_hex(6)}"


def build_backup(ws: Workspace, part: Path, instance_id: str | None = None, *, intent: str | None = None,
                 step: str = "workspace.backup") -> dict:
    """Write the backup to ``part`` (in a scratch folder the caller holds, see ``recovery.claimed``) and make it
    durable; returns its manifest. ``intent``: the audit intent it is made under (a restore settles it)."""
    part = Path(part)
    db_copy = part.parent / DB_FILE
    copy_database(ws, db_copy)
    crashpoints.step(f"{step}/copied")
    keys = ws.keyring.to_json().encode("utf-8")
    manifest = {
        "format": BACKUP_FORMAT,
        "kind": "wenze-backup",
        "created_at": datetime.now(UTC).isoformat(),
        "instance_id": instance_id,
        "schema_revision": migrations.current_revision(ws.engine),
        "files": {DB_FILE: sha256_file(db_copy), KEYRING_FILE: hashlib.sha256(keys).hexdigest()},
    }
    if intent:
        manifest["intent"] = intent
    with open(private_file(part), "r+b") as fh:
        with tarfile.open(fileobj=fh, mode="w") as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2).encode())
            _add_bytes(tar, KEYRING_FILE, keys)
            tar.add(db_copy, arcname=DB_FILE)
        fh.flush()
        os.fsync(fh.fileno())
    db_copy.unlink()
    crashpoints.step(f"{step}/written")
    return manifest


def write_backup(ws: Workspace, out: Path, instance_id: str | None = None, *,
                 step: str = "workspace.upgrade") -> dict:
    """Write ``out`` atomically, without an audit intent of its own (the backup taken before a schema upgrade:
    the sign-in commits the upgrade's entry naming it first, services/auth.py); returns its manifest."""
    out = Path(out)
    make_private_dir(out.parent)
    with recovery.claimed(scratch_for(out)) as scratch:
        manifest = build_backup(ws, scratch / PARTIAL, instance_id, step=step)
        os.replace(scratch / PARTIAL, out)
        fsync_dir(out.parent)
    crashpoints.step(f"{step}/published")
    return manifest


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    tar.addfile(info, io.BytesIO(data))


def unpack_backup(backup_file: Path, into: Path) -> dict:
    """Extract a backup into ``into`` and check every hash; raises IntegrityFailure on any mismatch."""
    try:
        with tarfile.open(backup_file, "r:") as tar:
            names = set(tar.getnames())
            if not {MANIFEST, DB_FILE, KEYRING_FILE} <= names:
                raise IntegrityFailure(f"{backup_file} 不是完整的工作区备份文件。")
            manifest = json.loads(tar.extractfile(MANIFEST).read())
            for name in (DB_FILE, KEYRING_FILE):
                tar.extract(name, into, filter="data")
                tighten_mode(Path(into) / name)
    except (tarfile.TarError, OSError, ValueError) as exc:
        raise IntegrityFailure(f"备份文件 {backup_file} 无法读取或已损坏：{exc}") from exc
    if manifest.get("kind") != "wenze-backup" or manifest.get("format") != BACKUP_FORMAT:
        raise IntegrityFailure(f"{backup_file} 不是本程序支持的备份格式。")
    for name, expected in manifest["files"].items():
        if sha256_file(Path(into) / name) != expected:
            raise IntegrityFailure(f"备份文件中的 {name} 与清单中的哈希不符：文件已损坏或被改动，未恢复任何内容。")
    return manifest


def integrity_problems(ws: Workspace) -> list[str]:
    """SQLCipher's page HMAC check over the whole file, then SQLite's structural check."""
    problems = []
    raw = ws.engine.raw_connection()
    try:
        cur = raw.cursor()
        bad_pages = cur.execute("PRAGMA cipher_integrity_check").fetchall()
        problems += [f"加密页校验失败：{row[0]}" for row in bad_pages]
        result = [row[0] for row in cur.execute("PRAGMA integrity_check").fetchall()]
        if result != ["ok"]:
            problems += [f"数据库结构校验失败：{line}" for line in result]
    finally:
        raw.close()
    return problems


def move_aside(data_dir: Path, into: Path) -> list[str]:
    """Move an existing workspace's files (database with its journal, key slots, login state) into ``into``."""
    return recovery.move_aside(data_dir, into)
