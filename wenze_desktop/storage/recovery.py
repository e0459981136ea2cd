"""What a killed process leaves in a data folder, finished or undone at the next open of the workspace.

A restore replaces two files (``wenze.db`` and ``wenze.keys``) that no single rename can swap. It therefore
first verifies the backup completely in a scratch folder (``.restore-*``), then writes a *restore journal*
(``wenze.restoring``, atomically) naming that folder and the folder the old files go to, moves the old files aside,
moves the new ones in, and removes the journal last. ``finish_interrupted`` finds a journal left by a killed
restore and rolls it forward (the scratch was verified; each new file is recognised by its SHA-256) or, when the
new files are no longer all there, back. Creating a workspace builds the database in a scratch folder
(``.wzinit-*``) and renames it in last; an interrupted creation is undone. Scratch folders of backups (``.wzbak-*``)
and restores are removed, unless the process that made them is still running: each such folder holds a lock file
that its process keeps locked (the operating system releases the lock when the process dies).

Nothing here opens the database: this runs before anyone has signed in.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

from wenze_desktop import crashpoints
from wenze_desktop.errors import IntegrityFailure, WorkspaceBusy
from wenze_desktop.paths import BACKUP_DIR, DB_FILE, KEYRING_FILE, LOGIN_STATE_FILE
from wenze_desktop.storage.atomic import atomic_write_text, fsync_dir
from wenze_desktop.storage.filelock import Held

RESTORE_JOURNAL = "wenze.restoring"
RESTORE_SCRATCH = ".restore-"
INIT_SCRATCH = ".wzinit-"
BACKUP_SCRATCH = ".wzbak-"
LEGACY_CREATING = f".{DB_FILE}.creating"
LOCK_FILE = "in-use.lock"
INIT_KEYRING_ID = "keyring-id"
# What makes up a workspace in its folder, moved aside together (a database's hot journal must never end up
# beside another database).
WORKSPACE_FILES = (DB_FILE, f"{DB_FILE}-journal", f"{DB_FILE}-wal", f"{DB_FILE}-shm", KEYRING_FILE,
                   LOGIN_STATE_FILE)
NEW_FILES = (KEYRING_FILE, DB_FILE)  # moved in by a restore, in this order
# Leftovers of atomic writes of this folder's own small files (storage/atomic.py names them ``.<name>.*.tmp``).
ATOMIC_TEMP_OF = (KEYRING_FILE, LOGIN_STATE_FILE, RESTORE_JOURNAL)

_unreported: list[str] = []
_unreported_lock = threading.Lock()


# -- notes for the user --------------------------------------------------------------------------------------------
def remember(notes: list[str]) -> None:
    """Keep notes found where nobody can show them (inside a sign-in); the CLI or the GUI shows them later."""
    with _unreported_lock:
        _unreported.extend(note for note in notes if note not in _unreported)


def take_notices() -> list[str]:
    with _unreported_lock:
        notes = list(_unreported)
        _unreported.clear()
    return notes


# -- locks of scratch folders --------------------------------------------------------------------------------------
@contextlib.contextmanager
def claimed(folder: Path) -> Iterator[Path]:
    """Create ``folder`` (if needed) and hold its lock while the operation works in it; remove it afterwards."""
    folder = Path(folder)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    held = Held.take(folder / LOCK_FILE)
    if held is None:
        raise WorkspaceBusy(f"临时目录 {folder} 正被另一个窗口或命令使用，请稍后再试。")
    try:
        yield folder
    finally:
        held.release()
        shutil.rmtree(folder, ignore_errors=True)


def in_use(folder: Path) -> bool:
    """Whether a running process holds ``folder``'s lock (a folder without a lock file is abandoned)."""
    lock = Path(folder) / LOCK_FILE
    if not lock.exists():
        return False
    try:
        held = Held.take(lock)
    except OSError:
        return True  # cannot tell (or the folder is going away): leave it alone
    if held is None:
        return True
    held.release(remove=False)
    return False


# -- files ---------------------------------------------------------------------------------------------------------
def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _digest_or_none(path: Path) -> str | None:
    try:
        return sha256_file(path)
    except OSError:
        return None


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _move(source: Path, target: Path) -> None:
    os.replace(source, target)
    fsync_dir(target.parent)


def move_aside(data_dir: Path, into: Path, step: str | None = None) -> list[str]:
    """Move the workspace files present in ``data_dir`` into ``into`` (made when something is to be moved);
    returns the names moved. ``step``: the crash point named after each move is ``<step>:<file name>``."""
    data_dir, into = Path(data_dir), Path(into)
    moved = []
    for name in WORKSPACE_FILES:
        source = data_dir / name
        if not source.exists():
            continue
        into.mkdir(mode=0o700, parents=True, exist_ok=True)
        _move(source, into / name)
        moved.append(name)
        if step:
            crashpoints.step(f"{step}:{name}")
    return moved


def unique_folder(parent: Path, name: str) -> Path:
    candidate, n = Path(parent) / name, 1
    while candidate.exists():
        n += 1
        candidate = Path(parent) / f"{name}-{n}"
    return candidate


# -- restore ------------------------------------------------------------------------------------------------------
def replace_workspace(data_dir: Path, scratch: Path, aside: Path, source: str) -> None:
    """Swap the verified files in ``scratch`` into ``data_dir``; the old ones (if any) go to ``aside``.

    The journal is written (and made durable) before anything moves and removed after everything has: a process
    killed in between leaves it for ``finish_interrupted``, which completes the same moves.
    """
    data_dir, scratch = Path(data_dir), Path(scratch)
    hashes = {}
    for name in NEW_FILES:
        fsync_file(scratch / name)
        hashes[name] = sha256_file(scratch / name)
    fsync_dir(scratch)
    plan = {"format": 1, "from": source, "scratch": scratch.name,
            "aside": Path(aside).relative_to(data_dir).as_posix(), "files": hashes,
            "old": [name for name in WORKSPACE_FILES if (data_dir / name).exists()]}
    atomic_write_text(data_dir / RESTORE_JOURNAL, json.dumps(plan, ensure_ascii=False, indent=2))
    crashpoints.step("workspace.restore/journal")
    _roll_forward(data_dir, scratch, Path(aside))
    _close_journal(data_dir)
    crashpoints.step("workspace.restore/done")


def _roll_forward(data_dir: Path, scratch: Path, aside: Path) -> None:
    waiting = [name for name in NEW_FILES if (scratch / name).exists()]
    if len(waiting) == len(NEW_FILES):  # nothing moved in yet: the old files may still (partly) be here
        move_aside(data_dir, aside, step="workspace.restore/aside")
    for name in waiting:
        _move(scratch / name, data_dir / name)
        crashpoints.step(f"workspace.restore/in:{name}")


def _roll_back(data_dir: Path, aside: Path, old: list[str]) -> None:
    for name in NEW_FILES:
        # A new file moved in goes (it is a copy of what the backup holds); an old one not yet moved aside stays.
        if (data_dir / name).exists() and (name not in old or (aside / name).exists()):
            (data_dir / name).unlink()
    if aside.is_dir():
        for name in WORKSPACE_FILES:
            if (aside / name).exists() and not (data_dir / name).exists():
                _move(aside / name, data_dir / name)
        with contextlib.suppress(OSError):
            aside.rmdir()  # only if empty: anything else stays where the user can find it


def _close_journal(data_dir: Path) -> None:
    (data_dir / RESTORE_JOURNAL).unlink()
    fsync_dir(data_dir)


def _finish_restore(data_dir: Path) -> list[str]:
    journal = data_dir / RESTORE_JOURNAL
    try:
        plan = json.loads(journal.read_text("utf-8"))
        scratch = data_dir / Path(plan["scratch"]).name
        aside = data_dir / plan["aside"]
        hashes = {name: str(plan["files"][name]) for name in NEW_FILES}
        old = [str(name) for name in plan["old"]]
        source = str(plan.get("from", ""))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IntegrityFailure(
            f"工作区 {data_dir} 中的恢复记录 {RESTORE_JOURNAL} 无法读取（{exc}），"
            "无法判断上次从备份恢复进行到了哪一步。请不要手工移动其中的文件，请联系技术支持；"
            "也可以把备份恢复到另一个空目录中使用。") from exc
    if Path(plan["aside"]).is_absolute() or ".." in Path(plan["aside"]).parts:
        raise IntegrityFailure(f"工作区 {data_dir} 中的恢复记录 {RESTORE_JOURNAL} 指向工作区目录以外，已被改动。"
                               "请联系技术支持。")
    if in_use(scratch):
        raise WorkspaceBusy(f"工作区 {data_dir} 正在从备份恢复（另一个窗口或命令）。请等恢复完成后再试。")
    ready = all(
        _digest_or_none(scratch / name) == hashes[name]
        or (not (scratch / name).exists() and _digest_or_none(data_dir / name) == hashes[name])
        for name in NEW_FILES)
    where = aside.relative_to(data_dir).as_posix()
    if ready:
        _roll_forward(data_dir, scratch, aside)
        note = (f"上次从备份“{source}”恢复工作区时程序被中断；恢复现已完成。"
                + (f"原工作区的文件保存在 {where} 中。" if aside.is_dir() else ""))
    else:
        _roll_back(data_dir, aside, old)
        note = (f"上次从备份“{source}”恢复工作区时程序被中断，而备份中取出的文件已不完整；"
                + ("已退回恢复前的工作区，其内容未被改动。" if old else "目录已回到恢复前的状态（其中没有工作区）。")
                + "如仍需恢复，请重新运行恢复。")
    _close_journal(data_dir)
    _remove(scratch)
    return [note]


# -- creation -----------------------------------------------------------------------------------------------------
def _keyring_id(path: Path) -> str | None:
    try:
        return str(json.loads(path.read_text("utf-8")).get("keyring_id"))
    except (OSError, ValueError, AttributeError):
        return None


def _finish_create(data_dir: Path) -> list[str]:
    """An interrupted creation saved the key slots but never moved its database in: undo it (nobody has seen
    its recovery key, and it holds nothing but its first administrator)."""
    notes = []
    keys, db = data_dir / KEYRING_FILE, data_dir / DB_FILE
    undone = ("上次建立工作区时程序在完成前被中断，工作区没有建成；未完成的文件已清除。"
              "请重新建立工作区（wenze init，或在程序的首次使用向导中）。")
    for scratch in sorted(data_dir.glob(INIT_SCRATCH + "*")):
        if in_use(scratch):
            continue
        ours = _read_text(scratch / INIT_KEYRING_ID)
        if ours and keys.exists() and not db.exists() and _keyring_id(keys) == ours:
            keys.unlink()
            fsync_dir(data_dir)
            notes.append(undone)
        _remove(scratch)
    # Left by earlier versions, which built the database beside the workspace and saved the key slots before
    # renaming it in (the same undo: key slots without their database are no workspace).
    legacy = data_dir / LEGACY_CREATING
    if legacy.exists():
        if keys.exists() and not db.exists():
            keys.unlink()
            notes.append(undone)
        for leftover in data_dir.glob(LEGACY_CREATING + "*"):
            _remove(leftover)
        fsync_dir(data_dir)
    return notes


def _read_text(path: Path) -> str:
    try:
        return path.read_text("utf-8").strip()
    except OSError:
        return ""


# -- the whole check ----------------------------------------------------------------------------------------------
def finish_interrupted(data_dir: Path) -> list[str]:
    """Finish or undo what an interrupted restore or creation left in ``data_dir`` and remove abandoned scratch;
    returns a sentence (Chinese) for each thing finished or undone, to show the user."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        return []
    notes = []
    try:
        if (data_dir / RESTORE_JOURNAL).exists():
            notes += _finish_restore(data_dir)
        notes += _finish_create(data_dir)
    except OSError as exc:
        raise IntegrityFailure(f"无法完成工作区 {data_dir} 中上次被中断的操作（{exc}）。请检查该目录的权限和磁盘空间后"
                               "重试；在此之前请不要手工移动其中的文件。") from exc
    for folder, pattern in ((data_dir, RESTORE_SCRATCH + "*"), (data_dir, BACKUP_SCRATCH + "*"),
                            (data_dir / BACKUP_DIR, BACKUP_SCRATCH + "*")):
        for scratch in folder.glob(pattern):
            if not in_use(scratch):
                _remove(scratch)
    for name in ATOMIC_TEMP_OF:
        for leftover in data_dir.glob(f".{name}.*.tmp"):
            _remove(leftover)
    return notes
