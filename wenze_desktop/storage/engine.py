"""The SQLCipher 4 engine. The database key is used as SQLCipher's raw key (no per-connection PBKDF2)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from wenze_desktop.errors import IntegrityFailure

SQLITE_PLAIN_HEADER = b"SQLite format 3\x00"


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
            # A wrong key is only noticed at the first read; read now and say so plainly.
            try:
                cur.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except Exception as exc:
                raise IntegrityFailure(
                    f"数据库文件 {db_path} 无法用此密钥解密：文件已损坏，或与密钥槽文件不匹配。"
                ) from exc
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute("PRAGMA synchronous = FULL")
            cur.execute("PRAGMA busy_timeout = 5000")
        finally:
            cur.close()

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def looks_plain_sqlite(db_path: Path) -> bool:
    with open(db_path, "rb") as fh:
        return fh.read(16) == SQLITE_PLAIN_HEADER
