"""What a killed process leaves in a data folder, finished or undone at the next open of the workspace.

A restore replaces two files (``wenze.db`` and ``wenze.keys``) that no single rename can swap. It therefore
first verifies the backup completely in a scratch folder (``.restore-*``), then writes a *restore journal*
(``wenze.restoring``, atomically) naming that folder and the folder the old files go to, moves the old files aside,
moves the new ones in, and removes the journal last. ``finish_interrupted`` finds a journal left by a killed
restore and rolls it forward (the scratch was verified; each new file is recognised by its SHA-256) or, when the
new files are no longer all there, back. Creating a workspace builds the database in a scratch folder
(``.wzinit-*``) and renames it in last; an interrupted creation is undone. Scratch folders of backups (``.wzbak-*``)
and restores are removed, unless the process that made them is still running: each such folder has a lock file
beside it (``<folder>.lock``) that its process takes before making the folder and keeps until the folder is
gone (the operating system releases the lock when the process dies). A restore never swaps the files under an
open workspace (storage/sessions.py).

Nothing here opens the database: this runs before anyone has signed in.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from wenze_desktop import crashpoints
from wenze_desktop.errors import IntegrityFailure, WorkspaceBusy
from wenze_desktop.paths import BACKUP_DIR, DB_FILE, KEYRING_FILE, LOGIN_STATE_FILE
from wenze_desktop.storage import sessions
from wenze_desktop.storage.atomic import fsync_dir, make_private_dir
from wenze_desktop.storage.filelock import Held
from wenze_desktop.storage.files import fsync_file, remove_path, sha256_file, sha256_or_none

RESTORE_JOURNAL = "wenze.restoring"
RESTORE_SCRATCH = ".restore-"
INIT_SCRATCH = ".wzinit-"
BACKUP_SCRATCH = ".wzbak-"
LEGACY_CREATING = f".{DB_FILE}.creating"
LOCK_SUFFIX = ".lock"
UPGRADE_LOCK = ".upgrade.lock"  # held while a sign-in upgrades the schema (services/auth.py)
RESTORE_BUSY_MESSAGE = ("上次从备份恢复工作区时程序被中断，需要先完成或撤销这次恢复，但工作区正被其他窗口或命令使用"
                        "（{count} 个）。请先关闭它们再登录。未做任何改动。")
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
def lock_of(folder: Path) -> Path:
    """The lock file of a scratch folder: beside it (``<folder>.lock``), taken before the folder is made and let
    go after it is removed, so that no other program ever sees the folder without its holder."""
    folder = Path(folder)
    return folder.with_name(folder.name + LOCK_SUFFIX)


def fresh_scratch(parent: Path, prefix: str) -> Path:
    """A new scratch folder's name under ``parent`` (made by ``claimed``)."""
    return Path(parent) / f"{prefix}{secrets.token_hex(6)}"


@contextlib.contextmanager
def claimed(folder: Path) -> Iterator[Path]:
    """Hold ``folder``'s lock, then create the folder (if needed), while the operation works in it; remove it
    afterwards, and only then let the lock go."""
    folder = Path(folder)
    if not folder.parent.is_dir():
        make_private_dir(folder.parent)
    held = _take_patiently(lock_of(folder))
    if held is None:
        raise WorkspaceBusy(f"临时目录 {folder} 正被另一个窗口或命令使用，请稍后再试。")
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        held.release()


def _take_patiently(lock: Path, patience: float = 5.0) -> Held | None:
    """A program sweeping abandoned scratch may hold a lock file that has no folder yet for an instant."""
    deadline = time.monotonic() + patience
    while True:
        held = Held.take(lock)
        if held is not None or time.monotonic() > deadline:
            return held
        time.sleep(0.02)


@contextlib.contextmanager
def abandoned(folder: Path) -> Iterator[bool]:
    """Whether ``folder`` is abandoned (nobody holds its lock); if so its lock is held for the block, then the
    folder (unless the block raised) and its lock file are removed."""
    try:
        held = Held.take(lock_of(folder))
    except OSError:
        held = None  # cannot tell (or the parent is going away): leave it alone
    if held is None:
        yield False
        return
    try:
        yield True
        remove_path(Path(folder))
    finally:
        held.release()


def sweep_scratch(parent: Path, prefix: str) -> None:
    """Remove the abandoned scratch folders ``<prefix>*`` in ``parent`` and the lock files of killed processes
    (taken and gone before their folder was made, or after it was removed)."""
    names = {p.name.removesuffix(LOCK_SUFFIX) for p in Path(parent).glob(prefix + "*")}
    for name in sorted(names):
        with abandoned(Path(parent) / name):
            pass


# -- files ---------------------------------------------------------------------------------------------------------


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
    _write_journal(data_dir, scratch, json.dumps(plan, ensure_ascii=False, indent=2))
    # Counted once the journal is there: a window opening from now on sees the journal and stays out
    # (Workspace.attach), one opened before is counted here.
    try:
        sessions.refuse_if_open(data_dir)
    except BaseException:
        _close_journal(data_dir)
        raise
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


def _write_journal(data_dir: Path, scratch: Path, text: str) -> None:
    """Write the journal durably, refusing if one is there (another restore under way): it is written in the
    restore's own scratch folder (nobody sweeps that while the restore holds it) and linked in under the
    journal's name, which fails rather than replaces."""
    journal = data_dir / RESTORE_JOURNAL
    fd, tmp = tempfile.mkstemp(prefix="journal.", suffix=".tmp", dir=scratch)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        busy = WorkspaceBusy(f"工作区 {data_dir} 正在从另一个备份恢复（另一个窗口或命令）。请等它完成后再试；"
                             "本次未做任何改动。")
        try:
            os.link(tmp, journal)
        except FileExistsError:
            raise busy from None
        except OSError:  # a file system without hard links (FAT): check, then rename
            if journal.exists():
                raise busy from None
            os.replace(tmp, journal)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    fsync_dir(data_dir)


def _close_journal(data_dir: Path) -> None:
    (data_dir / RESTORE_JOURNAL).unlink()
    fsync_dir(data_dir)


def _finish_restore(data_dir: Path) -> list[str]:
    journal = data_dir / RESTORE_JOURNAL
    try:
        text = journal.read_text("utf-8")
    except FileNotFoundError:
        return []  # the restore that wrote it has just finished
    try:
        plan = json.loads(text)
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
    with abandoned(scratch) as gone:
        if not gone:
            raise WorkspaceBusy(f"工作区 {data_dir} 正在从备份恢复（另一个窗口或命令）。请等恢复完成后再试。")
        if _read_text(journal) != text.strip():
            return []  # its restore finished between our reading and our taking its lock: nothing to do
        # The files are about to be swapped: not under a window that has them open.
        sessions.refuse_if_open(data_dir, RESTORE_BUSY_MESSAGE)
        note = _settle_restore(data_dir, scratch, aside, hashes, old, source)
        _close_journal(data_dir)
    return [note]


def _settle_restore(data_dir: Path, scratch: Path, aside: Path, hashes: dict[str, str], old: list[str],
                    source: str) -> str:
    ready = all(
        sha256_or_none(scratch / name) == hashes[name]
        or (not (scratch / name).exists() and sha256_or_none(data_dir / name) == hashes[name])
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
    return note


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
    for name in sorted({p.name.removesuffix(LOCK_SUFFIX) for p in data_dir.glob(INIT_SCRATCH + "*")}):
        scratch = data_dir / name
        with abandoned(scratch) as gone:
            ours = _read_text(scratch / INIT_KEYRING_ID) if gone else ""
            if ours and keys.exists() and not db.exists() and _keyring_id(keys) == ours:
                keys.unlink()
                fsync_dir(data_dir)
                notes.append(undone)
    # Left by earlier versions, which built the database beside the workspace and saved the key slots before
    # renaming it in (the same undo: key slots without their database are no workspace).
    legacy = data_dir / LEGACY_CREATING
    if legacy.exists():
        if keys.exists() and not db.exists():
            keys.unlink()
            notes.append(undone)
        for leftover in data_dir.glob(LEGACY_CREATING + "*"):
            remove_path(leftover)
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
    # Only what nobody holds: a folder's lock is taken before the folder is made and let go after it is removed.
    for folder, prefix in ((data_dir, RESTORE_SCRATCH), (data_dir, BACKUP_SCRATCH),
                           (data_dir / BACKUP_DIR, BACKUP_SCRATCH)):
        sweep_scratch(folder, prefix)
    sessions.sweep(data_dir)
    Held.sweep(data_dir, UPGRADE_LOCK)
    for name in ATOMIC_TEMP_OF:
        for leftover in data_dir.glob(f".{name}.*.tmp"):
            remove_path(leftover)
    return notes
