"""The package file: a tar archive streamed through age encryption, and read back the same way.

Encryption to an office (X25519) streams: the tar is written into a pipe that a thread encrypts into the file,
so neither plaintext nor the whole package is ever held in memory or on disk. pyrage encrypts passphrase packages
only from memory, so those are built in memory (fine for the small transfers a passphrase is meant for).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tarfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyrage

from wenze_desktop.errors import IntegrityFailure, ValidationError

AGE_MAGIC = b"age-encryption.org/v1\n"
CHUNK = 1 << 20
PIPE_BYTES = 1 << 20  # the default ceiling for unprivileged users (/proc/sys/fs/pipe-max-size)
# tarfile's stream reader takes 10 KiB at a time; each small read (a header) copies what is left of the block,
# so the block is kept moderate: 64 KiB cuts the reads sixfold without large copies.
TAR_READ_BYTES = 64 << 10
# A passphrase package is built and opened in memory (twice its size at the peak), so it is kept small enough
# for the 4 GB machines in the offices; larger transfers go to an office key, which streams.
PASSPHRASE_MAX_BYTES = 256 << 20
AGE_CHUNK, AGE_CHUNK_OVERHEAD, AGE_HEADER_MAX = 64 << 10, 16, 4096  # payload chunks and their tags; header


def passphrase_too_large(plain_size: int) -> str:
    """Why a passphrase package of ``plain_size`` tar bytes is refused, or "" when it is not."""
    if plain_size <= PASSPHRASE_MAX_BYTES:
        return ""
    return (f"口令加密的数据包约 {plain_size / 2**20:,.0f} MB，超过上限 {PASSPHRASE_MAX_BYTES / 2**20:,.0f} MB"
            "（口令数据包须在内存中生成和打开）。请改用对方单位的密钥（不限大小），或分批导出。")


def plain_size_of(package_size: int) -> int:
    """At least how many tar bytes an age file of ``package_size`` bytes holds."""
    payload = max(package_size - AGE_HEADER_MAX, 0)
    return payload - AGE_CHUNK_OVERHEAD * -(-payload // (AGE_CHUNK + AGE_CHUNK_OVERHEAD))


def _pipe() -> tuple[BinaryIO, BinaryIO]:
    """A pipe between the crypto thread and the tar side, widened where the OS allows (Linux), so that one
    side can run ahead while the other waits on the database instead of both taking turns per 64 KiB."""
    read_fd, write_fd = os.pipe()
    with contextlib.suppress(ImportError, OSError, AttributeError):
        import fcntl

        fcntl.fcntl(write_fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    return os.fdopen(read_fd, "rb"), os.fdopen(write_fd, "wb")


class HashingWriter(io.RawIOBase):
    """Passes writes on, hashing and counting them (the package's SHA-256 is what the audit records)."""

    def __init__(self, sink: BinaryIO, on_bytes: Callable[[int], None] | None = None) -> None:
        self.sink, self.sha, self.size, self.on_bytes = sink, hashlib.sha256(), 0, on_bytes
        self.error: OSError | None = None  # pyrage wraps errors of the file in its own; the cause is kept here

    def writable(self) -> bool:
        return True

    def _emit(self, data) -> None:
        self.sink.write(data)

    def write(self, data) -> int:
        try:
            self._emit(data)
        except OSError as exc:
            self.error = exc
            raise
        self.sha.update(data)
        self.size += len(data)
        if self.on_bytes is not None:
            self.on_bytes(self.size)
        return len(data)


class HashingReader(io.RawIOBase):
    def __init__(self, source: BinaryIO, on_bytes: Callable[[int], None] | None = None) -> None:
        self.source, self.sha, self.size, self.on_bytes = source, hashlib.sha256(), 0, on_bytes

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.source.read(len(buffer))
        buffer[:len(data)] = data
        self.sha.update(data)
        self.size += len(data)
        if self.on_bytes is not None:
            self.on_bytes(self.size)
        return len(data)


def sniff(path: Path) -> str:
    """'x25519' or 'scrypt' from the age header; a file that is not an age file at all is refused here."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError as exc:
        raise ValidationError(f"无法读取数据包 {path}：{exc.strerror or exc}") from exc
    if not head.startswith(AGE_MAGIC):
        raise IntegrityFailure("文件不是问责系统的数据包（不是 age 加密格式），或文件开头已损坏。")
    stanza = head[len(AGE_MAGIC):].split(b"\n", 1)[0]
    if stanza.startswith(b"-> scrypt "):
        return "scrypt"
    if stanza.startswith(b"-> X25519 "):
        return "x25519"
    raise IntegrityFailure("数据包的加密方式不是本系统所用的（单位公钥或口令），无法打开。")


# -- writing ---------------------------------------------------------------------------------------------------

@contextlib.contextmanager
def tar_into(sink: BinaryIO, *, recipient: str | None = None, passphrase: str | None = None
             ) -> Iterator[tarfile.TarFile]:
    """Yield a streaming tar writer whose bytes end up age-encrypted in ``sink``."""
    if passphrase is not None:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            yield tar
        if reason := passphrase_too_large(buffer.tell()):
            raise ValidationError(reason)
        sink.write(pyrage.passphrase.encrypt(buffer.getbuffer().tobytes(), passphrase))
        return
    target = pyrage.x25519.Recipient.from_str(recipient)
    reader, writer = _pipe()
    failure: list[BaseException] = []

    def encrypt() -> None:
        try:
            pyrage.encrypt_io(reader, sink, [target])
        except BaseException as exc:
            failure.append(exc)
        finally:
            reader.close()  # a writer still writing gets a broken pipe instead of waiting forever

    thread = threading.Thread(target=encrypt, name="package-encrypt", daemon=True)
    thread.start()
    try:
        try:
            with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                yield tar
        finally:
            with contextlib.suppress(OSError):
                writer.close()
            thread.join()
    except (BrokenPipeError, OSError) as exc:
        if failure:
            raise failure[0] from exc
        raise
    if failure:
        raise failure[0]


def add_entry(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


# -- reading ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    name: str
    size: int
    stream: BinaryIO  # valid until the next entry is asked for


class DecryptFailed(Exception):
    pass


@contextlib.contextmanager
def open_tar(source: BinaryIO, *, identity: pyrage.x25519.Identity | None = None,
             passphrase: str | None = None) -> Iterator[Iterator[Entry]]:
    """Yield the archive's entries in order. Authentication of the last age chunk (truncation) is only known
    at the end of the stream, so the caller must iterate to the end before trusting anything."""
    if passphrase is not None:
        try:
            plain = pyrage.passphrase.decrypt(source.read(), passphrase)
        except pyrage.DecryptError as exc:
            raise DecryptFailed(str(exc)) from exc
        with tarfile.open(fileobj=io.BytesIO(plain), mode="r|", bufsize=TAR_READ_BYTES) as tar:
            yield _entries(tar, None)
        return
    reader, writer = _pipe()
    failure: list[BaseException] = []

    def decrypt() -> None:
        try:
            pyrage.decrypt_io(source, writer, [identity])
        except BaseException as exc:
            failure.append(exc)
        finally:
            with contextlib.suppress(OSError):
                writer.close()

    thread = threading.Thread(target=decrypt, name="package-decrypt", daemon=True)
    thread.start()
    try:
        try:
            with tarfile.open(fileobj=reader, mode="r|", bufsize=TAR_READ_BYTES) as tar:
                yield _entries(tar, reader)
        finally:
            reader.close()
            thread.join()
    except (tarfile.TarError, OSError, EOFError) as exc:
        if failure:
            raise DecryptFailed(str(failure[0])) from exc
        raise
    if failure:
        raise DecryptFailed(str(failure[0]))


def _entries(tar: tarfile.TarFile, raw: BinaryIO | None) -> Iterator[Entry]:
    for member in tar:
        if not member.isfile():
            raise IntegrityFailure(f"数据包中有不应出现的条目类型：{member.name}")
        yield Entry(member.name, member.size, tar.extractfile(member))
    if raw is not None:  # read to the true end, so that the final age chunk is authenticated
        while raw.read(CHUNK):
            pass
