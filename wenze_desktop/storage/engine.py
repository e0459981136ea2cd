"""The SQLCipher 4 engine. The database key is used as SQLCipher's raw key (no per-connection PBKDF2).

The driver begins a transaction before the first write (reads hold no lock between statements). A transaction
that writes is begun ``IMMEDIATE`` instead (``begin_immediate``): the write lock is taken before anything is read,
so the audit chain's head read inside it is still the head when the entry is appended, and two writers queue
instead of one failing on the upgrade of a read lock. The pool (SingletonThreadPool) gives a thread one
connection. A lock held longer than ``BUSY_TIMEOUT_MS`` elsewhere becomes ``WorkspaceBusy``, not a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from wenze_desktop.errors import IntegrityFailure, WorkspaceBusy

SQLITE_PLAIN_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 15000


def busy_timeout_ms() -> int:
    """How long a statement waits for another program's lock (``WENZE_BUSY_TIMEOUT_MS`` overrides, for tests)."""
    try:
        return max(0, int(os.environ.get("WENZE_BUSY_TIMEOUT_MS", BUSY_TIMEOUT_MS)))
    except ValueError:
        return BUSY_TIMEOUT_MS
BUSY_MESSAGE = ("工作区正忙：另一个窗口或命令正在写入，等待 {seconds} 秒后仍未结束。本次操作未做任何改动，"
                "请稍后重试。")


REPLACED_MESSAGE = ("工作区的文件已被替换（另一个窗口或命令恢复了备份），本程序打开的是替换前的数据。本次操作未保存。"
                    "请关闭本程序后重新登录。")


def raw_key_literal(db_key: bytes) -> str:
    if len(db_key) != 32:
        raise ValueError("database key must be 256 bits")
    return f"x'{db_key.hex()}'"


def make_engine(db_path: Path, db_key: bytes) -> Engine:
    url = URL.create("sqlite+pysqlcipher", password=raw_key_literal(db_key), database=str(db_path))
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        try:
            cur.execute("PRAGMA cipher_log_level = NONE")
            # Before the first read: that read waits for a writer elsewhere like any other statement.
            cur.execute(f"PRAGMA busy_timeout = {busy_timeout_ms()}")
            # A wrong key is only noticed at the first read; read now and say so plainly.
            try:
                cur.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except Exception as exc:
                if is_busy(exc):  # another program's long write, not a wrong key
                    raise busy_error() from exc
                raise IntegrityFailure(
                    f"数据库文件 {db_path} 无法用此密钥解密：文件已损坏，或与密钥槽文件不匹配。"
                ) from exc
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute("PRAGMA synchronous = FULL")
        finally:
            cur.close()

    @event.listens_for(engine, "handle_error")
    def _on_error(context):
        if is_busy(context.original_exception):
            raise busy_error() from context.original_exception
        if "readonly database" in str(context.original_exception):
            # SQLite's answer once the file was moved away under an open connection (a restore elsewhere)
            raise WorkspaceBusy(REPLACED_MESSAGE) from context.original_exception

    return engine


def begin_immediate(session: Session) -> None:
    """Take the write lock now, unless this thread's connection is already in a write transaction."""
    dbapi = session.connection().connection.dbapi_connection
    if not dbapi.in_transaction:
        begin_immediate_raw(dbapi)


def begin_immediate_raw(dbapi) -> None:
    """``BEGIN IMMEDIATE`` on the driver's connection (which bypasses the engine's error hook: busy is said here)."""
    try:
        dbapi.execute("BEGIN IMMEDIATE")
    except Exception as exc:
        if is_busy(exc):
            raise busy_error() from exc
        raise


def busy_error() -> WorkspaceBusy:
    return WorkspaceBusy(BUSY_MESSAGE.format(seconds=max(1, round(busy_timeout_ms() / 1000))))


def is_busy(exc: BaseException | None) -> bool:
    """SQLite's "database is locked" / "database is busy" (the lock was not released within the busy timeout)."""
    text = str(exc or "").lower()
    return exc.__class__.__name__ == "OperationalError" and ("database is locked" in text or "is busy" in text)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def looks_plain_sqlite(db_path: Path) -> bool:
    with open(db_path, "rb") as fh:
        return fh.read(16) == SQLITE_PLAIN_HEADER
