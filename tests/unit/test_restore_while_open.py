"""A restore never swaps the files under an open workspace (storage/sessions.py): every open workspace (a window, a
command) holds a session lock; a restore refuses while any is held, and a window opening while a restore is
under way stays out. The locks of killed programs do not count."""

from __future__ import annotations

import contextlib
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import ADMIN, ADMIN_PASSWORD
from tests.reliability.harness import wenze
from wenze_desktop import crashpoints
from wenze_desktop.domain.models import Case
from wenze_desktop.errors import WorkspaceBusy
from wenze_desktop.services.admin import AdminService, restore
from wenze_desktop.services.auth import login
from wenze_desktop.services.cases import CaseService
from wenze_desktop.storage import recovery, sessions
from wenze_desktop.storage.workspace import Workspace

BUSY = "工作区正被其他窗口或命令使用（{n} 个），请先关闭它们再恢复。未做任何改动。"


@pytest.fixture
def backed_up(ctx, tmp_path):
    """The workspace open (ctx), a backup of it (case 备份前), and a case made after the backup (备份后)."""
    CaseService(ctx).create_case("备份前", "备份之前的案件", "gz2009")
    backup = tmp_path / "b.wzbak"
    AdminService(ctx).backup(backup)
    CaseService(ctx).create_case("备份后", "备份之后的案件", "gz2009")
    return backup


def state(data_dir: Path) -> dict:
    """What a refused restore must leave as it was."""
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in data_dir.iterdir() if p.is_file()
             and not p.name.endswith(".lock")}
    return {"files": files, "folders": sorted(p.name for p in data_dir.rglob("*") if p.is_dir())}


def numbers(data_dir: Path, clock) -> set[str]:
    ctx = login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)
    try:
        with ctx.workspace.session() as s:
            return set(s.scalars(select(Case.number)))
    finally:
        ctx.workspace.close()


def test_a_restore_is_refused_while_the_workspace_is_open_here(ctx, backed_up, data_dir, clock):
    before = state(data_dir)
    with pytest.raises(WorkspaceBusy) as refused:
        restore(backed_up, data_dir, ADMIN, ADMIN_PASSWORD, replace=True, clock=clock)
    assert str(refused.value) == BUSY.format(n=1)
    assert state(data_dir) == before and not (data_dir / recovery.RESTORE_JOURNAL).exists()
    CaseService(ctx).create_case("之后", "拒绝恢复之后照常保存", "gz2009")  # the open window goes on as before
    ctx.workspace.close()
    restore(backed_up, data_dir, ADMIN, ADMIN_PASSWORD, replace=True, clock=clock)
    assert numbers(data_dir, clock) == {"备份前"}
    assert list(data_dir.glob(".session-*")) == []


OPEN_ELSEWHERE = """
import sys
from wenze_desktop.services.auth import login
from wenze_desktop.services.cases import CaseService
ctx = login(sys.argv[1], sys.argv[2], sys.argv[3])
print("open", flush=True)
sys.stdin.readline()                       # the window stays open until told
CaseService(ctx).create_case("窗口", "恢复被拒绝后窗口里新建的案件", "gz2009")
ctx.workspace.close()
print("closed", flush=True)
"""


def test_a_restore_is_refused_while_another_program_has_it_open_and_works_once_it_is_closed(ctx, backed_up,
                                                                                          data_dir, clock):
    ctx.workspace.close()
    window = subprocess.Popen([sys.executable, "-c", OPEN_ELSEWHERE, str(data_dir), ADMIN, ADMIN_PASSWORD],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert window.stdout.readline().strip() == "open"
        before = state(data_dir)
        # what the user runs in a terminal while the window is open: refused, exit code 12, in Chinese
        run = wenze("restore", backed_up, "--replace", "--data-dir", data_dir, "--user", ADMIN,
                    stdin=ADMIN_PASSWORD + "\n")
        assert run.returncode == 12 and BUSY.format(n=1) in run.stderr and "Traceback" not in run.stderr
        with pytest.raises(WorkspaceBusy, match="（1 个）"):
            restore(backed_up, data_dir, ADMIN, ADMIN_PASSWORD, replace=True, clock=clock)
        assert state(data_dir) == before
        window.stdin.write("\n")
        window.stdin.flush()
        assert window.stdout.readline().strip() == "closed"  # its write went to the workspace it had open
    finally:
        window.stdin.close()
        window.wait(30)
    assert numbers(data_dir, clock) == {"备份前", "备份后", "窗口"}
    restore(backed_up, data_dir, ADMIN, ADMIN_PASSWORD, replace=True, clock=clock)
    assert numbers(data_dir, clock) == {"备份前"}


def test_a_killed_programs_session_does_not_count(ctx, backed_up, data_dir, clock):
    ctx.workspace.close()
    killed = subprocess.run([sys.executable, "-c", "import os, sys\n"
                             "from wenze_desktop.services.auth import login\n"
                             "login(sys.argv[1], sys.argv[2], sys.argv[3])\n"
                             "os._exit(137)\n", str(data_dir), ADMIN, ADMIN_PASSWORD], timeout=120)
    assert killed.returncode == 137 and len(list(data_dir.glob(".session-*.lock"))) == 1
    restore(backed_up, data_dir, ADMIN, ADMIN_PASSWORD, replace=True, clock=clock)
    assert numbers(data_dir, clock) == {"备份前"} and list(data_dir.glob(".session-*")) == []


def test_every_open_workspace_counts_and_close_lets_go(ctx, data_dir, clock):
    second = login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)
    assert sessions.count_open(data_dir) == 2
    second.workspace.close()
    second.workspace.close()  # closing twice is harmless
    assert sessions.count_open(data_dir) == 1
    ctx.workspace.close()
    assert sessions.count_open(data_dir) == 0 and list(data_dir.glob(".session-*")) == []


def test_a_window_opened_after_the_first_check_is_counted_once_the_journal_is_written(ctx, backed_up, data_dir,
                                                                                   clock, monkeypatch):
    """Someone signs in while the restore is verifying the backup: the swap is refused, nothing moved."""
    ctx.workspace.close()
    opened = []

    def step(name: str) -> None:
        if name == "workspace.restore/verified":
            opened.append(login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock))
            opened.append(state(data_dir)["files"])  # its sign-in is in the database

    monkeypatch.setattr(crashpoints, "step", step)
    with pytest.raises(WorkspaceBusy, match="（1 个）"):
        restore(backed_up, data_dir, ADMIN, ADMIN_PASSWORD, replace=True, clock=clock)
    monkeypatch.undo()
    assert state(data_dir)["files"] == opened[1] and not (data_dir / recovery.RESTORE_JOURNAL).exists()
    assert list(data_dir.glob(".restore-*")) == [] and not list((data_dir / "backups").glob("replaced-*"))
    CaseService(opened[0]).create_case("窗口", "照常保存", "gz2009")
    opened[0].workspace.close()
    assert numbers(data_dir, clock) == {"备份前", "备份后", "窗口"}


def test_a_window_does_not_open_while_a_restore_is_swapping_the_files(ctx, backed_up, data_dir, clock, monkeypatch):
    ctx.workspace.close()
    keyring = Workspace.load_keyring(data_dir)
    key = keyring.unlock(ADMIN, ADMIN_PASSWORD)
    refusals = []

    def step(name: str) -> None:
        if name == "workspace.restore/journal":
            with pytest.raises(WorkspaceBusy, match="正在从备份恢复") as refused:
                Workspace.attach(data_dir, keyring, key)
            refusals.append(str(refused.value))

    monkeypatch.setattr(crashpoints, "step", step)
    restore(backed_up, data_dir, ADMIN, ADMIN_PASSWORD, replace=True, clock=clock)
    monkeypatch.undo()
    assert len(refusals) == 1 and list(data_dir.glob(".session-*")) == []
    assert numbers(data_dir, clock) == {"备份前"}


def test_an_interrupted_restore_is_not_finished_under_an_open_workspace(ctx, backed_up, data_dir, clock,
                                                                        monkeypatch):
    """A restore killed after its journal: the next start completes it, but not while a program still has the
    old files open (here a session lock held in this process)."""
    ctx.workspace.close()

    class Killed(BaseException):
        pass

    def step(name: str) -> None:
        if name == "workspace.restore/aside:wenze.db":
            raise Killed(name)

    monkeypatch.setattr(crashpoints, "step", step)
    monkeypatch.setattr(recovery, "finish_interrupted", lambda _data_dir: [])  # a killed process undoes nothing

    @contextlib.contextmanager
    def claimed_without_clean_up(folder):  # no finally runs in a killed process
        Path(folder).mkdir(parents=True, exist_ok=True)
        yield Path(folder)

    monkeypatch.setattr(recovery, "claimed", claimed_without_clean_up)
    with pytest.raises(Killed):
        restore(backed_up, data_dir, ADMIN, ADMIN_PASSWORD, replace=True, clock=clock)
    monkeypatch.undo()
    assert (data_dir / recovery.RESTORE_JOURNAL).exists() and not (data_dir / "wenze.db").exists()

    still_open = sessions.open_session(data_dir)  # a program that had the old files open
    try:
        with pytest.raises(WorkspaceBusy, match="（1 个）") as refused:
            recovery.finish_interrupted(data_dir)
        assert "被中断" in str(refused.value) and "未做任何改动" in str(refused.value)
        assert (data_dir / recovery.RESTORE_JOURNAL).exists() and len(list(data_dir.glob(".restore-*"))) >= 1
    finally:
        still_open.release()
    notes = recovery.finish_interrupted(data_dir)
    assert len(notes) == 1 and "恢复现已完成" in notes[0]
    assert numbers(data_dir, clock) == {"备份前"}
