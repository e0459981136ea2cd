"""Small file helpers shared by backups, restores and the journal of operations: hashing and removal."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from pathlib import Path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_or_none(path: Path) -> str | None:
    """The file's SHA-256, or None when it cannot be read (absent, a folder, no permission)."""
    try:
        return sha256_file(path)
    except OSError:
        return None


def remove_path(path: Path) -> None:
    """Remove a file or a folder tree, quietly (what is already gone, or cannot go, is left to the next start)."""
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())
