"""Locks between programs on one machine (the window, the command line, a second window), held on a file and
released by the operating system when the holder dies — which is what tells a live operation from a killed one."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


def _lock(fd: int, *, wait: bool) -> bool:
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
        except OSError:
            if wait:
                raise
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def _unlock(fd: int) -> None:
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Wait for, then hold, an exclusive lock on ``path`` for the block."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _lock(fd, wait=True)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


class Held:
    """A lock this process keeps until ``release`` (or its death): ``Held.take(path)`` or None if another has it."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path, self.fd = path, fd

    @classmethod
    def take(cls, path: Path) -> Held | None:
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            if not _lock(fd, wait=False):
                os.close(fd)
                return None
            if _same_file(fd, path):
                return cls(Path(path), fd)
            # Swept (unlinked) by another program between our open and our lock: what we hold names nothing.
            os.close(fd)

    @classmethod
    def sweep(cls, folder: Path, pattern: str) -> int:
        """Remove the lock files matching ``pattern`` that nobody holds (left by killed processes)."""
        removed = 0
        for path in Path(folder).glob(pattern):
            with contextlib.suppress(OSError):
                held = cls.take(path)
                if held is not None:
                    held.release()
                    removed += 1
        return removed

    def release(self, *, remove: bool = True) -> None:
        if self.fd < 0:
            return
        if remove:  # removed while still held, so nobody can lock a file that is about to vanish
            with contextlib.suppress(OSError):
                os.unlink(self.path)
        with contextlib.suppress(OSError):
            _unlock(self.fd)
        os.close(self.fd)
        self.fd = -1


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except OSError:
        return False
