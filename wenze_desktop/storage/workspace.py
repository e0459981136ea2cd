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

from wenze_desktop import crashpoints
from wenze_desktop.errors import CaseChanged, IntegrityFailure, WorkspaceBusy, WorkspaceExists, WorkspaceMissing
from wenze_desktop.paths import BACKUP_DIR, DB_FILE, KEYRING_FILE, LOGIN_STATE_FILE
from wenze_desktop.security.kdf import Argon2Params
from wenze_desktop.storage import migrations, recovery, sessions
from wenze_desktop.storage.atomic import atomic_write_text, fsync_dir, make_private_dir
from wenze_desktop.storage.engine import begin_immediate, make_engine, make_session_factory
from wenze_desktop.storage.filelock import Held
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
    migrated_from: str | None = None  # the schema revision found before an upgrade at sign-in
    pre_migration_backup: Path | None = None
    # held from attach to close: a restore does not swap the files under an open workspace (storage/sessions.py)
    session_lock: Held | None = field(default=None, repr=False)

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
        """A workspace is here (perhaps half restored: ``load_keyring`` finishes that first)."""
        return (cls.db_path_of(data_dir).exists() or cls.keyring_path_of(data_dir).exists()
                or (Path(data_dir) / recovery.RESTORE_JOURNAL).exists())

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

        Refused in a folder holding a workspace or its remains (``remains``). The database is built (and filled
        by ``populate``: workspace row, first user) in a scratch folder; the key slots are saved, then the
        database is renamed in last. A creation killed before that rename is undone at the next open
        (storage/recovery.py), so an interrupted set-up never leaves something that looks like a workspace.
        """
        data_dir = Path(data_dir)
        recovery.remember(recovery.finish_interrupted(data_dir))
        found = cls.remains(data_dir)
        if found:
            raise WorkspaceExists(remains_message(data_dir, found))
        make_private_dir(data_dir)
        keyring, db_key, recovery_key = Keyring.create(cls.keyring_path_of(data_dir), username, user_id,
                                                       password, params)
        keys_saved = db_moved = False
        try:
            with recovery.claimed(recovery.fresh_scratch(data_dir, recovery.INIT_SCRATCH)) as scratch:
                # Lets the next start tell these key slots from anyone else's if it has to undo this creation.
                atomic_write_text(scratch / recovery.INIT_KEYRING_ID, keyring.keyring_id)
                building = private_file(scratch / DB_FILE)
                engine = make_engine(building, db_key)
                try:
                    migrations.upgrade(engine)
                    if populate is not None:
                        populate(cls(data_dir, keyring, db_key, engine, make_session_factory(engine)))
                finally:
                    engine.dispose()
                recovery.fsync_file(building)
                crashpoints.step("workspace.create/built")
                keyring.save()
                keys_saved = True
                crashpoints.step("workspace.create/keys-saved")
                os.replace(building, cls.db_path_of(data_dir))
                db_moved = True
                fsync_dir(data_dir)
                crashpoints.step("workspace.create/db-moved")
        except BaseException:
            if keys_saved and not db_moved:  # key slots without their database are no workspace
                with contextlib.suppress(OSError):
                    cls.keyring_path_of(data_dir).unlink()
            raise
        return cls.attach(data_dir, keyring, db_key), recovery_key

    @classmethod
    def remains(cls, data_dir: Path) -> list[str]:
        """What in ``data_dir`` belongs to a workspace, existing or replaced (in Chinese); empty for a folder a
        new workspace may be created in."""
        data_dir = Path(data_dir)
        named = ((DB_FILE, f"数据库文件 {DB_FILE}"), (KEYRING_FILE, f"密钥槽文件 {KEYRING_FILE}"),
                 (recovery.RESTORE_JOURNAL, f"未完成的恢复记录 {recovery.RESTORE_JOURNAL}"))
        found = [label for name, label in named if (data_dir / name).exists()]
        backups = data_dir / BACKUP_DIR
        if backups.is_dir():
            replaced = sorted(p.name for p in backups.glob("replaced-*"))
            if replaced:
                found.append(f"被恢复操作替换下来的工作区文件 {BACKUP_DIR}/{replaced[-1]}"
                             + (f" 等 {len(replaced)} 个文件夹" if len(replaced) > 1 else ""))
            saved = sorted(p.name for p in backups.glob("*.wzbak"))
            if saved:
                found.append(f"备份文件 {BACKUP_DIR}/{saved[-1]}" + (f" 等 {len(saved)} 个" if len(saved) > 1 else ""))
        return found

    # -- opening --------------------------------------------------------------------------------
    @classmethod
    def load_keyring(cls, data_dir: Path) -> Keyring:
        """The slot file, read at every sign-in; what a killed restore or creation left is finished first (its
        notes wait in ``recovery.take_notices``)."""
        data_dir = Path(data_dir)
        recovery.remember(recovery.finish_interrupted(data_dir))
        if not cls.exists(data_dir):
            found = cls.remains(data_dir)
            if found:
                raise WorkspaceMissing(remains_message(data_dir, found))
            raise WorkspaceMissing(f"目录 {data_dir} 中没有工作区。请先运行“wenze init”或在程序中新建工作区。")
        if not cls.keyring_path_of(data_dir).exists():
            raise IntegrityFailure(f"工作区 {data_dir} 缺少密钥槽文件 {KEYRING_FILE}，无法解密数据库。请从备份恢复。")
        if not cls.db_path_of(data_dir).exists():
            raise IntegrityFailure(f"工作区 {data_dir} 缺少数据库文件 {DB_FILE}。请从备份恢复。")
        return Keyring.load(cls.keyring_path_of(data_dir))

    @classmethod
    def attach(cls, data_dir: Path, keyring: Keyring, db_key: bytes, *, upgrade: bool = False) -> Workspace:
        """Open the database with an unwrapped key, its schema as found (a sign-in upgrades an older one, backed
        up and audited: services/auth.py). The workspace counts as open (its session lock) until ``close``."""
        if upgrade:
            raise ValueError("an older schema is upgraded at sign-in (services.auth), audited")
        data_dir = Path(data_dir)
        session_lock = sessions.open_session(data_dir)
        try:
            # Checked once our lock is held: a restore writes its journal before it counts the open sessions.
            if (data_dir / recovery.RESTORE_JOURNAL).exists():
                raise WorkspaceBusy(f"工作区 {data_dir} 正在从备份恢复（另一个窗口或命令）。请等恢复完成后再登录。")
            tighten_mode(cls.db_path_of(data_dir))  # files made by earlier versions were readable by others
            engine = make_engine(cls.db_path_of(data_dir), db_key)
            try:
                with engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
            except BaseException:
                engine.dispose()
                raise
        except BaseException:
            session_lock.release()
            raise
        return cls(data_dir, keyring, db_key, engine, make_session_factory(engine), session_lock=session_lock)

    # -- schema upgrade (driven and audited by the sign-in, services/auth.py) ------------------------------------
    def schema_behind(self) -> str | None:
        """The schema revision found if it is older than this program's; None if current. A workspace from a
        newer program, or a database without a schema, is refused."""
        current, head = migrations.current_revision(self.engine), migrations.head_revision()
        if current == head:
            return None
        if current is None:
            raise IntegrityFailure(f"数据库文件 {self.db_path} 中没有工作区的数据结构"
                                   "（文件不完整或不是本程序的工作区）。请从备份恢复。")
        if current not in migrations.known_revisions():
            raise IntegrityFailure(f"此工作区的数据结构版本（{current}）比本程序新，请使用更新版本的程序打开。")
        return current

    def pre_upgrade_backup_path(self, current: str, now: datetime) -> Path:
        """A name in backups/ no earlier file has (a retried upgrade keeps the backup of the failed one)."""
        stem = f"before-upgrade-{current}-{now.astimezone():%Y%m%d-%H%M%S}"
        candidate, n = self.backup_dir / f"{stem}.wzbak", 1
        while candidate.exists():
            n += 1
            candidate = self.backup_dir / f"{stem}-{n}.wzbak"
        return candidate

    def upgrade_schema(self) -> None:
        """Migrate to the head in one transaction (``migrations.upgrade``): a migration that fails, or a process
        killed half way, leaves the schema as it was."""
        migrations.upgrade(self.engine)

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
        if self.session_lock is not None:
            self.session_lock.release()  # the last: the files are no longer open here

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def private_file(path: Path) -> Path:
    """Create an empty file only its owner may read (where the platform honours POSIX modes)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    tighten_mode(path)
    return Path(path)


def tighten_mode(path: Path) -> None:
    with contextlib.suppress(OSError):
        if os.stat(path).st_mode & 0o077:
            os.chmod(path, 0o600)


def remains_message(data_dir: Path, found: list[str]) -> str:
    """Why a workspace cannot be created in ``data_dir``, and what to do instead."""
    what = "；".join(found)
    if Workspace.exists(data_dir):
        return (f"目录 {data_dir} 中已有工作区（{what}），未做任何改动。请直接登录使用；若要用备份替换它，"
                "请运行“wenze restore 备份文件 --replace”。确实要新建工作区时，请换一个空目录，"
                "或先把这个目录整个移到别处（其中的文件请妥善保存）。")
    return (f"目录 {data_dir} 中没有完整的工作区，但有已有工作区留下的文件（{what}），未做任何改动。"
            f"若要找回原来的工作区，请运行“wenze restore 备份文件”从备份恢复（{BACKUP_DIR}/ 中的 .wzbak 文件），"
            f"或把 {BACKUP_DIR}/replaced-… 中的 {DB_FILE} 与 {KEYRING_FILE} 移回本目录；确实要新建工作区时，"
            "请换一个空目录，或先把这个目录整个移到别处（其中的文件请妥善保存）。")
