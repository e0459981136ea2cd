"""Backup files (``.wzbak``): a tar of the encrypted database copy, its key slots and a manifest of hashes.

The database is copied with SQLite's online backup API into a file encrypted with the same key, so the copy
is consistent even while the application is writing, and no plaintext ever touches the disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import sqlcipher3

from wenze_desktop.errors import IntegrityFailure
from wenze_desktop.paths import DB_FILE, KEYRING_FILE, LOGIN_STATE_FILE
from wenze_desktop.storage import migrations
from wenze_desktop.storage.atomic import fsync_dir
from wenze_desktop.storage.engine import raw_key_literal
from wenze_desktop.storage.workspace import Workspace

BACKUP_FORMAT = 1
MANIFEST = "manifest.json"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def copy_database(ws: Workspace, target: Path) -> None:
    """A consistent encrypted copy of the live database (SQLite backup API, same key)."""
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


def write_backup(ws: Workspace, out: Path, instance_id: str | None = None) -> dict:
    """Write ``out`` atomically; returns its manifest."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".wzbak-") as tmp:
        db_copy = Path(tmp) / DB_FILE
        copy_database(ws, db_copy)
        keys = ws.keyring.to_json().encode("utf-8")
        manifest = {
            "format": BACKUP_FORMAT,
            "kind": "wenze-backup",
            "created_at": datetime.now(UTC).isoformat(),
            "instance_id": instance_id,
            "schema_revision": migrations.current_revision(ws.engine),
            "files": {DB_FILE: sha256_file(db_copy), KEYRING_FILE: hashlib.sha256(keys).hexdigest()},
        }
        partial = Path(tmp) / "backup.partial"
        with tarfile.open(partial, "w") as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2).encode())
            _add_bytes(tar, KEYRING_FILE, keys)
            tar.add(db_copy, arcname=DB_FILE)
        with open(partial, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(partial, out)
    fsync_dir(out.parent)
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


def move_aside(data_dir: Path, into: Path) -> None:
    """Move an existing workspace's files into ``into`` (used before a restore replaces them)."""
    into.mkdir(parents=True, exist_ok=True)
    for name in (DB_FILE, KEYRING_FILE, LOGIN_STATE_FILE):
        with contextlib.suppress(FileNotFoundError):
            os.replace(Path(data_dir) / name, into / name)
