"""What a killed restore or creation leaves is finished or undone at the next open (storage/recovery.py), and a
new workspace is never created over an earlier one's remains.

A kill is imitated in-process: the named crash point raises ``Killed`` and scratch folders are not cleaned up
(no ``finally`` runs in a killed process); the subprocess campaign in tests/reliability/ kills for real.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import ADMIN, ADMIN_PASSWORD
from wenze_desktop import crashpoints
from wenze_desktop.domain.models import Case
from wenze_desktop.errors import IntegrityFailure, WorkspaceBusy, WorkspaceExists, WorkspaceMissing
from wenze_desktop.security.kdf import FAST_TEST_PARAMS
from wenze_desktop.services.admin import AdminService, restore
from wenze_desktop.services.auth import create_workspace, login
from wenze_desktop.services.cases import CaseService
from wenze_desktop.storage import recovery
from wenze_desktop.storage.workspace import Workspace

RESTORE_STEPS = ["workspace.restore/unpacked", "workspace.restore/verified", "workspace.restore/journal",
                 "workspace.restore/aside:wenze.db", "workspace.restore/aside:wenze.keys",
                 "workspace.restore/aside:login-state.json", "workspace.restore/in:wenze.keys",
                 "workspace.restore/in:wenze.db", "workspace.restore/done"]
ROLLED_FORWARD_FROM = RESTORE_STEPS.index("workspace.restore/journal")


class Killed(BaseException):
    """The process died here."""


@pytest.fixture
def kill_at(monkeypatch):
    def arm(name: str) -> None:
        def step(current: str) -> None:
            if current == name:
                raise Killed(name)

        @contextlib.contextmanager
        def claimed_without_clean_up(folder):
            Path(folder).mkdir(parents=True, exist_ok=True)
            yield Path(folder)

        monkeypatch.setattr(crashpoints, "step", step)
        monkeypatch.setattr(recovery, "claimed", claimed_without_clean_up)
        # nor does the failed restore's own attempt to undo a half-done swap
        monkeypatch.setattr(recovery, "finish_interrupted", lambda _data_dir: [])

    return arm


@pytest.fixture
def replaced(workspace, data_dir, tmp_path):
    """A workspace whose backup (case 备份前) differs from it now (case 备份后 added, a failed login counted)."""
    ctx, _ = workspace
    CaseService(ctx).create_case("备份前", "备份之前的案件", "gz2009")
    backup = tmp_path / "b.wzbak"
    AdminService(ctx).backup(backup)
    CaseService(ctx).create_case("备份后", "备份之后的案件", "gz2009")
    ctx.workspace.close()
    (data_dir / "login-state.json").write_text("{}", "utf-8")
    return backup


def case_numbers(data_dir: Path, clock) -> set[str]:
    ctx = login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)
    try:
        assert AdminService(ctx).verify().ok
        with ctx.workspace.session() as s:
            return set(s.scalars(select(Case.number)))
    finally:
        ctx.workspace.close()


def leftovers(data_dir: Path) -> list[str]:
    return sorted(p.name for pattern in (".restore-*", ".wzbak-*", ".wzinit-*", ".*.tmp", ".wenze.db.creating*",
                                         recovery.RESTORE_JOURNAL)
                  for p in data_dir.glob(pattern))


@pytest.mark.parametrize("step", RESTORE_STEPS)
def test_a_killed_restore_leaves_the_old_workspace_or_the_restored_one(replaced, data_dir, clock, kill_at, step,
                                                                      monkeypatch):
    kill_at(step)
    with pytest.raises(Killed):
        restore(replaced, data_dir, ADMIN, ADMIN_PASSWORD, replace=True, clock=clock)
    monkeypatch.undo()
    assert Workspace.exists(data_dir)  # never "no workspace", even before the next start
    notes = recovery.finish_interrupted(data_dir)
    assert leftovers(data_dir) == []
    forward = RESTORE_STEPS.index(step) >= ROLLED_FORWARD_FROM
    assert case_numbers(data_dir, clock) == ({"备份前"} if forward else {"备份前", "备份后"})
    if forward:
        aside = list((data_dir / "backups").glob("replaced-*"))
        assert len(aside) == 1 and {p.name for p in aside[0].iterdir()} == {"wenze.db", "wenze.keys",
                                                                          "login-state.json"}
        assert (notes == []) == (step == "workspace.restore/done")  # the journal was gone: nothing to finish
        assert all("恢复现已完成" in note and "replaced-" in note for note in notes)
    else:
        assert notes == []
        assert list((data_dir / "backups").glob("replaced-*")) == []
    with pytest.raises(WorkspaceExists):
        Workspace.create(data_dir, "other", "u2", ADMIN_PASSWORD, FAST_TEST_PARAMS)


@pytest.mark.parametrize("step", ["workspace.restore/aside:wenze.keys", "workspace.restore/in:wenze.keys"])
def test_a_restore_failing_half_way_is_undone_at_once(replaced, data_dir, clock, monkeypatch, step):
    def fail(current: str) -> None:
        if current == step:
            raise OSError("磁盘错误")

    monkeypatch.setattr(crashpoints, "step", fail)
    with pytest.raises(OSError):
        restore(replaced, data_dir, ADMIN, ADMIN_PASSWORD, replace=True, clock=clock)
    monkeypatch.undo()
    assert leftovers(data_dir) == [] and list((data_dir / "backups").glob("replaced-*")) == []
    assert "已退回" in recovery.take_notices()[-1]
    assert case_numbers(data_dir, clock) == {"备份前", "备份后"}


def test_a_restore_whose_new_files_are_lost_is_rolled_back(replaced, data_dir, clock, kill_at, monkeypatch):
    kill_at("workspace.restore/in:wenze.keys")  # the new key slots are in, the new database still in scratch
    with pytest.raises(Killed):
        restore(replaced, data_dir, ADMIN, ADMIN_PASSWORD, replace=True, clock=clock)
    monkeypatch.undo()
    scratch = next(data_dir.glob(".restore-*"))
    (scratch / "wenze.db").write_bytes(b"damaged")  # e.g. a disk error: it no longer matches the journal
    notes = recovery.finish_interrupted(data_dir)
    assert len(notes) == 1 and "已退回恢复前的工作区" in notes[0]
    assert leftovers(data_dir) == [] and (data_dir / "login-state.json").exists()
    assert case_numbers(data_dir, clock) == {"备份前", "备份后"}
    assert list((data_dir / "backups").glob("replaced-*")) == []


def test_the_next_sign_in_finishes_a_restore_and_keeps_the_note_for_the_user(replaced, data_dir, clock, kill_at,
                                                                           monkeypatch):
    kill_at("workspace.restore/aside:wenze.db")  # the worst moment before: no wenze.db at all
    with pytest.raises(Killed):
        restore(replaced, data_dir, ADMIN, ADMIN_PASSWORD, replace=True, clock=clock)
    monkeypatch.undo()
    assert not (data_dir / "wenze.db").exists()
    recovery.take_notices()
    ctx = login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)  # Workspace.load_keyring finishes it first
    ctx.workspace.close()
    notes = recovery.take_notices()
    assert len(notes) == 1 and "恢复现已完成" in notes[0] and ctx.notices == []
    assert case_numbers(data_dir, clock) == {"备份前"}


def test_a_restore_still_running_elsewhere_is_left_alone(replaced, data_dir, clock, kill_at, monkeypatch):
    kill_at("workspace.restore/aside:wenze.db")
    with pytest.raises(Killed):
        restore(replaced, data_dir, ADMIN, ADMIN_PASSWORD, replace=True, clock=clock)
    monkeypatch.undo()
    scratch = next(data_dir.glob(".restore-*"))
    with recovery.claimed(scratch), pytest.raises(WorkspaceBusy, match="正在从备份恢复"):
        recovery.finish_interrupted(data_dir)
    # Leaving claimed() removed the scratch with the new files in it: finishing can only go back.
    assert "已退回" in recovery.finish_interrupted(data_dir)[0]
    assert case_numbers(data_dir, clock) == {"备份前", "备份后"}


def test_a_damaged_restore_journal_is_refused_not_guessed(replaced, data_dir):
    (data_dir / recovery.RESTORE_JOURNAL).write_text("{not json", "utf-8")
    with pytest.raises(IntegrityFailure, match="恢复记录"):
        recovery.finish_interrupted(data_dir)
    (data_dir / recovery.RESTORE_JOURNAL).write_text(json.dumps(
        {"scratch": ".restore-x", "aside": "../../elsewhere", "files": {"wenze.db": "0", "wenze.keys": "0"},
         "old": []}),
        "utf-8")
    with pytest.raises(IntegrityFailure, match="以外"):
        recovery.finish_interrupted(data_dir)
    assert (data_dir / "wenze.db").exists() and (data_dir / "wenze.keys").exists()


def test_abandoned_scratch_is_removed_and_scratch_in_use_is_kept(workspace, data_dir):
    ctx, _ = workspace
    ctx.workspace.close()
    backups = data_dir / "backups"
    backups.mkdir()
    for folder in (data_dir / ".restore-abc", data_dir / ".wzbak-1", backups / ".wzbak-2"):
        folder.mkdir()
        (folder / "wenze.db").write_bytes(b"partial")
    (data_dir / ".wenze.keys.x1y2.tmp").write_text("{}", "utf-8")
    (data_dir / ".unrelated.tmp").write_text("kept", "utf-8")
    with recovery.claimed(backups / ".wzbak-live") as live:
        (live / "backup.partial").write_bytes(b"being written")
        assert recovery.finish_interrupted(data_dir) == []
        assert (live / "backup.partial").exists()
    assert not live.exists()  # its owner removed it when done
    assert leftovers(data_dir) == [".unrelated.tmp"] and list(backups.iterdir()) == []
    assert (data_dir / "wenze.db").exists() and (data_dir / "wenze.keys").exists()


def test_an_interrupted_creation_is_undone_and_init_can_run_again(data_dir, kill_at, monkeypatch, clock):
    kill_at("workspace.create/built")
    with pytest.raises(Killed):
        Workspace.create(data_dir, ADMIN, "u1", ADMIN_PASSWORD, FAST_TEST_PARAMS)
    monkeypatch.undo()
    assert not Workspace.exists(data_dir)
    # What a process killed right after saving the key slots leaves: the slots, the database still in scratch.
    scratch = next(data_dir.glob(".wzinit-*"))
    keyring_id = (scratch / recovery.INIT_KEYRING_ID).read_text("utf-8")
    (data_dir / "wenze.keys").write_text(json.dumps({"format": 1, "keyring_id": keyring_id, "slots": {}}), "utf-8")
    assert Workspace.exists(data_dir)
    notes = recovery.finish_interrupted(data_dir)
    assert len(notes) == 1 and "没有建成" in notes[0]
    assert not Workspace.exists(data_dir) and leftovers(data_dir) == []
    ctx, _ = create_workspace(data_dir, ADMIN, ADMIN_PASSWORD, params=FAST_TEST_PARAMS, clock=clock)
    ctx.workspace.close()


def test_a_creation_that_fails_leaves_nothing(data_dir, monkeypatch):
    def fail(current: str) -> None:
        if current == "workspace.create/keys-saved":
            raise OSError("磁盘已满")

    monkeypatch.setattr(crashpoints, "step", fail)
    with pytest.raises(OSError):
        Workspace.create(data_dir, ADMIN, "u1", ADMIN_PASSWORD, FAST_TEST_PARAMS)
    assert list(data_dir.iterdir()) == []


def test_only_the_creations_own_key_slots_are_removed(workspace, data_dir):
    ctx, _ = workspace
    ctx.workspace.close()
    os.replace(data_dir / "wenze.db", data_dir / "elsewhere.db")  # a workspace missing its database
    scratch = data_dir / ".wzinit-old"
    scratch.mkdir()
    (scratch / recovery.INIT_KEYRING_ID).write_text("another-keyring", "utf-8")
    assert recovery.finish_interrupted(data_dir) == []
    assert (data_dir / "wenze.keys").exists() and not scratch.exists()


def test_a_creation_left_by_an_earlier_version_is_undone(data_dir):
    data_dir.mkdir()
    (data_dir / "wenze.keys").write_text("{}", "utf-8")
    (data_dir / ".wenze.db.creating").write_bytes(b"built")
    (data_dir / ".wenze.db.creating-journal").write_bytes(b"")
    assert "没有建成" in recovery.finish_interrupted(data_dir)[0]
    assert list(data_dir.iterdir()) == []


@pytest.mark.parametrize("remain", ["wenze.db", "wenze.keys", "backups/replaced-1/wenze.db", "backups/old.wzbak"])
def test_a_new_workspace_is_refused_over_remains(data_dir, remain):
    target = data_dir / remain
    target.parent.mkdir(parents=True)
    target.write_bytes(b"kept")
    before = sorted(data_dir.rglob("*"))
    with pytest.raises(WorkspaceExists) as refused:
        Workspace.create(data_dir, ADMIN, "u1", ADMIN_PASSWORD, FAST_TEST_PARAMS)
    message = str(refused.value)
    assert Path(remain).name in message or "replaced-1" in message
    assert "未做任何改动" in message and "wenze restore" in message
    assert target.read_bytes() == b"kept" and sorted(data_dir.rglob("*")) == before


def test_a_new_workspace_is_refused_over_an_unreadable_restore_journal(data_dir):
    data_dir.mkdir()
    (data_dir / recovery.RESTORE_JOURNAL).write_text("{not json", "utf-8")
    with pytest.raises(IntegrityFailure, match="恢复记录"):
        Workspace.create(data_dir, ADMIN, "u1", ADMIN_PASSWORD, FAST_TEST_PARAMS)
    assert [p.name for p in data_dir.iterdir()] == [recovery.RESTORE_JOURNAL]
    assert "未完成的恢复记录" in Workspace.remains(data_dir)[0]


def test_no_workspace_but_remains_says_where_the_data_is(data_dir):
    (data_dir / "backups" / "replaced-20260101-000000").mkdir(parents=True)
    (data_dir / "backups" / "replaced-20260101-000000" / "wenze.db").write_bytes(b"old")
    with pytest.raises(WorkspaceMissing, match="replaced-20260101-000000"):
        login(data_dir, ADMIN, ADMIN_PASSWORD)


def private(path: Path) -> bool:
    """Readable by its owner only (checked where the platform has POSIX modes)."""
    return os.name != "posix" or path.stat().st_mode & 0o777 == 0o600


def test_the_database_is_readable_by_its_owner_only(workspace, data_dir, replaced, clock):
    assert private(data_dir / "wenze.db")
    assert private(replaced)  # the backup holds the database and its key slots
    restore(replaced, data_dir, ADMIN, ADMIN_PASSWORD, replace=True, clock=clock)
    assert private(data_dir / "wenze.db") and private(data_dir / "wenze.keys")
    os.chmod(data_dir / "wenze.db", 0o644)  # as earlier versions made it
    ctx = login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)
    try:
        assert private(data_dir / "wenze.db")
        from wenze_desktop.storage.backup import write_backup

        before_upgrade = data_dir / "backups" / "before-upgrade.wzbak"  # the path an upgrade takes
        write_backup(ctx.workspace, before_upgrade)
        assert private(before_upgrade) and not list(before_upgrade.parent.glob(".wzbak-*"))
    finally:
        ctx.workspace.close()


def test_a_restore_into_an_empty_folder_rolled_back_leaves_no_workspace(replaced, tmp_path, clock, kill_at,
                                                                        monkeypatch):
    target = tmp_path / "new"
    kill_at("workspace.restore/in:wenze.keys")
    with pytest.raises(Killed):
        restore(replaced, target, ADMIN, ADMIN_PASSWORD, clock=clock)
    monkeypatch.undo()
    next(target.glob(".restore-*")).joinpath("wenze.db").unlink()
    assert "回到恢复前的状态（其中没有工作区）" in recovery.finish_interrupted(target)[0]
    assert not Workspace.exists(target) and Workspace.remains(target) == [] and leftovers(target) == []


# -- the GUI's start (SessionLoop, offscreen) -----------------------------------------------------------------------
@pytest.fixture
def session_loop(qtbot, tmp_path):
    from PySide6.QtCore import QSettings
    from shiboken6 import isValid

    from wenze_desktop.gui.app import SessionLoop
    from wenze_desktop.gui.settings import GuiSettings

    loops = []

    def make(data_dir: Path) -> SessionLoop:
        settings = GuiSettings(QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat))
        loop = SessionLoop(data_dir, settings, exit_app=lambda code: exits.append(code))
        exits: list[int] = []
        loop.exits = exits
        loops.append(loop)
        return loop

    yield make
    for loop in loops:
        if loop.window is not None and isValid(loop.window):
            loop.window.close()
        if loop.dialog is not None and isValid(loop.dialog):
            loop.dialog.done(0)
        loop.shutdown()


def test_the_gui_offers_no_first_run_over_remains_and_says_what_is_there(session_loop, qtbot, data_dir):
    from PySide6.QtWidgets import QMessageBox

    kept = data_dir / "backups" / "replaced-20260101-090000" / "wenze.db"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"the old database")
    loop = session_loop(data_dir)
    loop.start()
    assert loop.dialog is None  # neither first-run set-up nor login
    notice = loop.notice
    assert "replaced-20260101-090000" in notice.text() and "wenze restore" in notice.text()
    notice.button(QMessageBox.StandardButton.Ok).click()
    assert loop.exits == [1] and not (data_dir / "wenze.keys").exists()


def test_the_gui_finishes_a_killed_restore_and_tells_after_sign_in(session_loop, qtbot, replaced, data_dir, clock,
                                                                   kill_at, monkeypatch):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDialogButtonBox

    from wenze_desktop.gui.login import LoginDialog

    kill_at("workspace.restore/aside:wenze.keys")
    with pytest.raises(Killed):
        restore(replaced, data_dir, ADMIN, ADMIN_PASSWORD, replace=True, clock=clock)
    monkeypatch.undo()
    loop = session_loop(data_dir)
    loop.start()
    assert isinstance(loop.dialog, LoginDialog)  # a workspace, not the first-run set-up
    loop.dialog.username.setText(ADMIN)
    loop.dialog.password.setText(ADMIN_PASSWORD)
    qtbot.mouseClick(loop.dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: loop.window is not None, timeout=10000)
    assert loop.notice is not None and loop.notice.parent() is loop.window
    assert "恢复现已完成" in loop.notice.text() and loop.notice.isVisible()


# -- scratch folders of live programs are never swept ---------------------------------------------------------------
def test_a_scratch_folder_is_locked_before_it_exists_and_until_it_is_gone(data_dir, monkeypatch):
    from wenze_desktop.storage.filelock import Held

    data_dir.mkdir()
    folder = data_dir / ".wzbak-live"
    made = []
    real_mkdir = Path.mkdir

    def mkdir(path, *args, **kwargs):
        if path == folder:  # at the moment the folder appears, its lock is already held
            made.append(Held.take(recovery.lock_of(folder)))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    with recovery.claimed(folder):
        monkeypatch.undo()
        assert made == [None]
        recovery.finish_interrupted(data_dir)
        assert folder.is_dir()
    assert list(data_dir.iterdir()) == []  # folder and lock file gone


def test_lock_files_and_folders_of_killed_programs_are_swept(data_dir):
    backups = data_dir / "backups"
    backups.mkdir(parents=True)
    (data_dir / ".restore-a.lock").write_bytes(b"")  # killed after taking its lock, before making the folder
    (backups / ".wzbak-b").mkdir()  # a folder whose lock went with its process (or an earlier version's)
    (backups / ".wzbak-b" / "in-use.lock").write_bytes(b"")
    (data_dir / ".wzinit-c.lock").write_bytes(b"")
    (data_dir / ".session-d.lock").write_bytes(b"")
    (data_dir / ".upgrade.lock").write_bytes(b"")
    assert recovery.finish_interrupted(data_dir) == []
    assert list(data_dir.iterdir()) == [backups] and list(backups.iterdir()) == []


SWEEPER = """
import sys, time
from wenze_desktop.errors import WorkspaceBusy
from wenze_desktop.storage.recovery import finish_interrupted
print("sweeping", flush=True)
until = time.monotonic() + float(sys.argv[2])
n = 0
while time.monotonic() < until:
    try:
        finish_interrupted(sys.argv[1]); n += 1
    except WorkspaceBusy as busy:  # a start during a restore's swap is told to wait: what a user would see
        assert "正在从备份恢复" in str(busy), busy
print(n, flush=True)
"""


def test_backups_and_restores_succeed_while_other_programs_start(workspace, data_dir, clock, tmp_path):
    """Every start sweeps abandoned scratch (finish_interrupted): a start in another program at any moment must
    never take a live backup's or restore's folder."""
    import subprocess
    import sys
    import time

    ctx, _ = workspace
    os.umask(old := os.umask(0o022))
    try:
        os.umask(0o022)
        sweeper = subprocess.Popen([sys.executable, "-c", SWEEPER, str(data_dir), "6"], stdout=subprocess.PIPE,
                                   text=True)
        assert sweeper.stdout.readline().strip() == "sweeping"
        made, until = 0, time.monotonic() + 3
        while time.monotonic() < until:
            made += 1
            AdminService(ctx).backup(data_dir / "backups" / f"b{made}.wzbak")  # any failure fails the test
        ctx.workspace.close()
        restored = 0
        while sweeper.poll() is None and restored < 4:
            restored += 1
            restore(data_dir / "backups" / "b1.wzbak", data_dir, ADMIN, ADMIN_PASSWORD, replace=True, clock=clock)
        sweeps = int(sweeper.communicate(timeout=60)[0])
    finally:
        os.umask(old)
    assert sweeper.returncode == 0 and sweeps > 50 and made > 5 and restored >= 1
    assert len(list((data_dir / "backups").glob("b*.wzbak"))) == made
    assert os.name != "posix" or (data_dir / "backups").stat().st_mode & 0o777 == 0o700
    assert case_numbers(data_dir, clock) == set()
    recovery.finish_interrupted(data_dir)
    assert leftovers(data_dir) == [] and list((data_dir / "backups").glob(".*")) == []


def test_a_backup_into_a_new_backups_folder_makes_it_private(workspace, data_dir):
    ctx, _ = workspace
    old = os.umask(0o022)
    try:
        AdminService(ctx).backup(data_dir / "backups" / "x.wzbak")
        AdminService(ctx).backup(data_dir.parent / "新文件夹" / "y.wzbak")
    finally:
        os.umask(old)
    if os.name == "posix":
        assert (data_dir / "backups").stat().st_mode & 0o777 == 0o700
        assert (data_dir.parent / "新文件夹").stat().st_mode & 0o777 == 0o700
