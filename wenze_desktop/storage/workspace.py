"""A workspace: a data directory holding the encrypted database and its key-slot file.

This module opens and creates the files; who may log in, lockout and auditing are the services' business.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from wenze_desktop.errors import CaseChanged, IntegrityFailure, WorkspaceExists, WorkspaceMissing
from wenze_desktop.paths import BACKUP_DIR, DB_FILE, KEYRING_FILE, LOGIN_STATE_FILE
from wenze_desktop.security.kdf import Argon2Params
from wenze_desktop.storage import migrations
from wenze_desktop.storage.atomic import fsync_dir, make_private_dir
from wenze_desktop.storage.engine import begin_immediate, make_engine, make_session_factory
from wenze_desktop.storage.keyring import Keyring

STALE_MESSAGE = ("保存未完成：这条记录在您读取之后已被他人（另一窗口或命令）修改。本次未做任何改动；"
                 "请查看最新内容后重新操作。")


@dataclass
class Workspace:
    data_dir: Path
    keyring: Keyring
    db_key: bytes = field(repr=False)
    engine: Engine = field(repr=False)
    session_factory: sessionmaker[Session] = field(repr=False)
    migrated_from: str | None = None  # the schema revision found before an upgrade on open
    pre_migration_backup: Path | None = None

    # -- locations ------------------------------------------------------------------------------
    @staticmethod
    def db_path_of(data_dir: Path) -> Path:
        return Path(data_dir) / DB_FILE

    @staticmethod
    def keyring_path_of(data_dir: Path) -> Path:
        return Path(data_dir) / KEYRING_FILE

    @staticmethod
    def login_state_path_of(data_dir: Path) -> Path:
        return Path(data_dir) / LOGIN_STATE_FILE

    @classmethod
    def exists(cls, data_dir: Path) -> bool:
        return cls.db_path_of(data_dir).exists() or cls.keyring_path_of(data_dir).exists()

    @property
    def db_path(self) -> Path:
        return self.db_path_of(self.data_dir)

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / BACKUP_DIR

    # -- creation -------------------------------------------------------------------------------
    @classmethod
    def create(cls, data_dir: Path, username: str, user_id: str, password: str, params: Argon2Params,
               populate: Callable[[Workspace], None] | None = None) -> tuple[Workspace, str]:
        """Create the key slots and an empty database at the migration head; returns (workspace, recovery key).

        The database is built (and filled by ``populate``: workspace row, first user) under a temporary name
        and renamed last, so an interrupted set-up never leaves something that looks like a workspace.
        """
        data_dir = Path(data_dir)
        if cls.exists(data_dir):
            raise WorkspaceExists(f"目录 {data_dir} 中已有工作区，未做任何改动。如需重新建立，请先备份并移走原有文件。")
        make_private_dir(data_dir)
        keyring, db_key, recovery_key = Keyring.create(cls.keyring_path_of(data_dir), username, user_id,
                                                       password, params)
        building = data_dir / f".{DB_FILE}.creating"
        with contextlib.suppress(FileNotFoundError):
            building.unlink()
        engine = make_engine(building, db_key)
        try:
            migrations.upgrade(engine)
            if populate is not None:
                populate(cls(data_dir, keyring, db_key, engine, make_session_factory(engine)))
        finally:
            engine.dispose()
        keyring.save()
        os.replace(building, cls.db_path_of(data_dir))
        fsync_dir(data_dir)
        return cls.attach(data_dir, keyring, db_key), recovery_key

    # -- opening --------------------------------------------------------------------------------
    @classmethod
    def load_keyring(cls, data_dir: Path) -> Keyring:
        data_dir = Path(data_dir)
        if not cls.exists(data_dir):
            raise WorkspaceMissing(f"目录 {data_dir} 中没有工作区。请先运行“wenze init”或在程序中新建工作区。")
        if not cls.keyring_path_of(data_dir).exists():
            raise IntegrityFailure(f"工作区 {data_dir} 缺少密钥槽文件 {KEYRING_FILE}，无法解密数据库。请从备份恢复。")
        if not cls.db_path_of(data_dir).exists():
            raise IntegrityFailure(f"工作区 {data_dir} 缺少数据库文件 {DB_FILE}。请从备份恢复。")
        return Keyring.load(cls.keyring_path_of(data_dir))

    @classmethod
    def attach(cls, data_dir: Path, keyring: Keyring, db_key: bytes, *, now: datetime | None = None,
               upgrade: bool = True) -> Workspace:
        """Open the database with an unwrapped key; back up and upgrade an older schema first."""
        engine = make_engine(cls.db_path_of(data_dir), db_key)
        ws = cls(Path(data_dir), keyring, db_key, engine, make_session_factory(engine))
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            if upgrade:
                ws._upgrade_schema(now)
        except BaseException:
            engine.dispose()
            raise
        return ws

    def _upgrade_schema(self, now: datetime | None) -> None:
        current, head = migrations.current_revision(self.engine), migrations.head_revision()
        if current == head:
            return
        if current is not None and current not in migrations.known_revisions():
            raise IntegrityFailure(f"此工作区的数据结构版本（{current}）比本程序新，请使用更新版本的程序打开。")
        from wenze_desktop.storage.backup import write_backup  # backup imports this module

        stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
        self.pre_migration_backup = self.backup_dir / f"before-upgrade-{current or 'empty'}-{stamp}.wzbak"
        write_backup(self, self.pre_migration_backup)
        migrations.upgrade(self.engine)
        self.migrated_from = current or "empty"

    def session(self) -> Session:
        """A session for reading (its transactions begin deferred); write with ``writing``."""
        return self.session_factory()

    @contextlib.contextmanager
    def writing(self) -> Iterator[Session]:
        """One write transaction, holding the write lock from its start (``BEGIN IMMEDIATE``);
        committed at the end, rolled back on any exception. Audit entries are appended only in one of these.
        A row changed by someone else since it was read (its version moved) refuses the whole transaction."""
        try:
            with self.session_factory() as session, session.begin():
                begin_immediate(session)
                session.info["writing"] = True
                yield session
        except StaleDataError as exc:
            raise CaseChanged(STALE_MESSAGE) from exc

    def close(self) -> None:
        # SQLite's advice: let the planner refresh its statistics before the connection goes away.
        with contextlib.suppress(Exception), self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA optimize")
        self.engine.dispose()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
