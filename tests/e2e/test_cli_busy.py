"""A write lock held elsewhere (another window, another command): a command waits for it, and if it is held too
long, says the workspace is busy (exit 12, in Chinese, no traceback) having changed nothing (issue 15, point 5).

The busy timeout is shortened for the commands under test with ``WENZE_BUSY_TIMEOUT_MS`` (storage/engine.py);
the lock is held by a separate process, as another program would hold it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from wenze_desktop.security.kdf import FAST_TEST_PARAMS
from wenze_desktop.services.auth import create_workspace
from wenze_desktop.storage.engine import make_engine
from wenze_desktop.storage.workspace import Workspace

PASSWORD = "Busy-password-2026"
SHORT_MS = "1500"

HOLDER = """
import sys, time
from pathlib import Path
from wenze_desktop.storage.engine import make_engine
from wenze_desktop.storage.workspace import Workspace

data_dir, password, seconds = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
key = Workspace.load_keyring(data_dir).unlock("admin", password)
engine = make_engine(Workspace.db_path_of(data_dir), key)
with engine.connect() as conn:
    dbapi = conn.connection.dbapi_connection
    dbapi.execute("BEGIN IMMEDIATE")
    print("held", flush=True)
    time.sleep(seconds)
    dbapi.execute("ROLLBACK")
print("released", flush=True)
"""


def env(busy_ms: str | None = None) -> dict:
    out = {k: v for k, v in os.environ.items() if not k.startswith(("WENZE_CRASH_", "WENZE_BUSY_"))}
    if busy_ms:
        out["WENZE_BUSY_TIMEOUT_MS"] = busy_ms
    return out


def wenze(*args: str, stdin: str = "", busy_ms: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wenze_desktop", *args], input=stdin, capture_output=True,
                          text=True, timeout=120, env=env(busy_ms))


class Holder:
    """Another program holding the write lock (``BEGIN IMMEDIATE``) for ``seconds``."""

    def __init__(self, data_dir: Path, seconds: float):
        self.proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(data_dir), PASSWORD, str(seconds)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env())
        line = self.proc.stdout.readline()
        assert line.strip() == "held", self.proc.stderr.read()
        self.held_at = time.monotonic()

    def __enter__(self) -> Holder:
        return self

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()
        self.proc.stderr.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def logins(data_dir: Path) -> int:
    key = Workspace.load_keyring(data_dir).unlock("admin", PASSWORD)
    engine = make_engine(Workspace.db_path_of(data_dir), key)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM audit_entry WHERE action = 'login'")).scalar_one()
    finally:
        engine.dispose()


@pytest.fixture
def ws(tmp_path) -> Path:
    data_dir = tmp_path / "ws"
    ctx, _ = create_workspace(data_dir, "admin", PASSWORD, params=FAST_TEST_PARAMS)
    ctx.workspace.close()
    return data_dir


def assert_busy(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 12, (result.returncode, result.stderr)
    assert "工作区正忙" in result.stderr and "未做任何改动" in result.stderr
    assert "Traceback" not in result.stderr and "内部错误" not in result.stderr


def test_a_lock_held_too_long_makes_commands_say_busy(ws):
    keys = digest(Workspace.keyring_path_of(ws))
    with Holder(ws, 60):
        start = time.monotonic()
        result = wenze("verify", "--data-dir", str(ws), "--user", "admin", stdin=PASSWORD + "\n", busy_ms=SHORT_MS)
        assert time.monotonic() - start >= 1.5  # it waited before giving up
        assert_busy(result)
        result = wenze("useradd", "--data-dir", str(ws), "--user", "admin", "--name", "bob", "--roles", "handler",
                       stdin=f"{PASSWORD}\nBob-password-2026\nBob-password-2026\n", busy_ms=SHORT_MS)
        assert_busy(result)
    assert digest(Workspace.keyring_path_of(ws)) == keys
    result = wenze("verify", "--data-dir", str(ws), "--user", "admin", stdin=PASSWORD + "\n")
    assert result.returncode == 0 and "全部通过" in result.stdout, result.stderr
    refused = wenze("verify", "--data-dir", str(ws), "--user", "bob", stdin="Bob-password-2026\n")
    assert refused.returncode == 2


def test_a_command_busy_after_signing_in_changes_nothing(ws):
    """`wenze useradd` signs in, then the lock is taken before it writes: the account is not made, no key slot
    is written and no intent is left behind."""
    keys = digest(Workspace.keyring_path_of(ws))
    before = logins(ws)
    proc = subprocess.Popen([sys.executable, "-m", "wenze_desktop", "useradd", "--data-dir", str(ws), "--user",
                             "admin", "--name", "bob", "--roles", "handler"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(SHORT_MS))
    try:
        proc.stdin.write(PASSWORD + "\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 60
        while logins(ws) == before:  # signed in: now waiting for the new user's password
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.1)
        with Holder(ws, 60):
            out, err = proc.communicate("Bob-password-2026\nBob-password-2026\n", timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert_busy(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    assert digest(Workspace.keyring_path_of(ws)) == keys
    result = wenze("verify", "--data-dir", str(ws), "--user", "admin", stdin=PASSWORD + "\n")
    assert result.returncode == 0 and "全部通过" in result.stdout, result.stderr
    assert "中断" not in result.stdout + result.stderr  # no intent was left to settle
    assert wenze("verify", "--data-dir", str(ws), "--user", "bob", stdin="Bob-password-2026\n").returncode == 2


def test_a_lock_held_briefly_is_waited_for(ws):
    """With the real busy timeout (15 s) a command started during a short write (4 s) waits and succeeds."""
    with Holder(ws, 4) as holder:
        result = wenze("verify", "--data-dir", str(ws), "--user", "admin", stdin=PASSWORD + "\n")
        finished = time.monotonic()
        assert holder.proc.wait(timeout=30) == 0
    assert result.returncode == 0 and "全部通过" in result.stdout, result.stderr
    assert "工作区正忙" not in result.stderr
    assert finished - holder.held_at >= 4  # its sign-in could not write before the lock was released
