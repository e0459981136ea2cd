"""Crash campaign: `wenze passwd`, `wenze useradd`, `wenze recover` and `wenze policy`, killed at every step a real
run passes through (services/accounts.py: intent, slot written, completed).

After each kill: the next start (`wenze verify`) passes and settles what was left; the password that works is the
old one or the new one, never both or neither; the audit log then says the change completed exactly when the
slot file holds it; no operation stays pending and no scratch is left. A user whose creation was cut short can
be created again.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.reliability.harness import ADMIN, PASSWORD, copy_workspace, scratch_left, steps_of, wenze
from wenze_desktop.domain.models import AuditEntry, PendingOperation
from wenze_desktop.errors import WrongPassword
from wenze_desktop.security.audit import verify_chain
from wenze_desktop.security.kdf import FAST_TEST_PARAMS
from wenze_desktop.services.auth import create_workspace, login
from wenze_desktop.storage.keyring import Keyring
from wenze_desktop.storage.workspace import Workspace

NEW_PASSWORD = "Changed-密码-2027"
BOB_PASSWORD = "Bob-密码-2027"


@dataclass(frozen=True)
class Setup:
    data_dir: Path
    recovery_key: str


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> Setup:
    """A workspace (cheap key derivation) whose recovery key is known."""
    data_dir = tmp_path_factory.mktemp("accounts") / "ws"
    ctx, recovery_key = create_workspace(data_dir, ADMIN, PASSWORD, display_name="管理员", params=FAST_TEST_PARAMS)
    ctx.workspace.close()
    return Setup(data_dir, recovery_key)


def opens(data_dir: Path, username: str, password: str) -> bool:
    """Whether the slot file lets ``username`` in with ``password`` (without counting a failure)."""
    try:
        Keyring.load(Workspace.keyring_path_of(data_dir)).unlock(username, password)
        return True
    except WrongPassword:
        return False


@dataclass(frozen=True)
class Operation:
    action: str
    args: tuple[str, ...]
    stdin: Callable[[Setup], str]
    done: Callable[[Path], bool]  # whether the slot file holds the change
    admin_password: Callable[[Path], str]  # the administrator's password after the trial


def admin_now(data_dir: Path) -> str:
    old, new = opens(data_dir, ADMIN, PASSWORD), opens(data_dir, ADMIN, NEW_PASSWORD)
    assert old != new, f"old password opens: {old}, new password opens: {new}"
    return NEW_PASSWORD if new else PASSWORD


OPERATIONS = {
    "passwd": Operation("user.change_password", ("passwd", "--user", ADMIN),
                        lambda s: f"{PASSWORD}\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
                        lambda d: opens(d, ADMIN, NEW_PASSWORD), admin_now),
    "recover": Operation("user.recover_password", ("recover", "--user", ADMIN),
                         lambda s: f"{s.recovery_key}\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
                         lambda d: opens(d, ADMIN, NEW_PASSWORD), admin_now),
    "useradd": Operation("user.create", ("useradd", "--user", ADMIN, "--name", "bob", "--roles", "handler"),
                         lambda s: f"{PASSWORD}\n{BOB_PASSWORD}\n{BOB_PASSWORD}\n",
                         lambda d: opens(d, "bob", BOB_PASSWORD), lambda d: PASSWORD),
    "policy": Operation("config.login_policy", ("policy", "--user", ADMIN, "--min-password-length", "10"),
                        lambda s: f"{PASSWORD}\n",
                        lambda d: Keyring.load(Workspace.keyring_path_of(d)).policy.min_password_length == 10,
                        lambda d: PASSWORD),
}


def settled(data_dir: Path, password: str, action: str) -> tuple[list[str], list[str], bool]:
    """(stages of ``action``'s entries, pending operations, chain intact) as a sign-in leaves them."""
    ctx = login(data_dir, ADMIN, password)
    try:
        with ctx.workspace.session() as s:
            rows = s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq))
            stages = [json.loads(e.new_values or "{}").get("stage") for e in rows]
            pending = [p.action for p in s.scalars(select(PendingOperation))]
            return stages, pending, verify_chain(s).ok
    finally:
        ctx.workspace.close()


def problems_after(op: Operation, data: Path) -> list[str]:
    problems = []
    done = op.done(data)  # before the next start: what the killed process left in the slot file
    try:
        password = op.admin_password(data)
    except AssertionError as exc:
        return [str(exc)]
    start = wenze("verify", "--data-dir", data, "--user", ADMIN, stdin=password + "\n")
    if start.returncode != 0 or "全部通过" not in start.stdout:
        return [*problems, f"the next start failed ({start.returncode}): {start.stderr.strip()[:300]}"]
    if op.done(data) != done:
        problems.append("the next start changed the slot file")
    stages, pending, chain_ok = settled(data, password, op.action)
    if stages[-2:] != ["started", "completed" if done else "failed"]:
        problems.append(f"slot file {'holds' if done else 'lacks'} the change, audit says {stages}")
    if pending or not chain_ok:
        problems.append(f"pending: {pending}, chain intact: {chain_ok}")
    if left := scratch_left(data):
        problems.append(f"left after the next start: {[p.name for p in left]}")
    if op.action == "user.create":
        bob = wenze("verify", "--data-dir", data, "--user", "bob", stdin=BOB_PASSWORD + "\n")
        if (bob.returncode == 2) != (not done):  # bob is a handler: signs in, verify itself is refused
            problems.append(f"bob signs in: {bob.returncode != 2}, although his slot is {'' if done else 'not '}there")
        if not done:  # the name is not lost: creating it again works
            again = wenze("--data-dir", str(data), *op.args, stdin=op.stdin(None))
            if again.returncode != 0 or not op.done(data):
                problems.append(f"creating bob again failed ({again.returncode}): {again.stderr.strip()[:300]}")
    return problems


EXPECTED = {"intent", "slot-written", "completed"}


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_account_change_killed_at_every_step(setup, tmp_path, name):
    op = OPERATIONS[name]
    probe = copy_workspace(setup.data_dir, tmp_path / "probe")
    steps = steps_of("--data-dir", str(probe), *op.args, stdin=op.stdin(setup), trace=tmp_path / "trace")
    assert {f"{op.action}/{s}" for s in EXPECTED} <= set(steps), steps
    assert op.done(probe) and not op.done(setup.data_dir)
    problems = []
    for n, step in enumerate(steps):
        data = copy_workspace(setup.data_dir, tmp_path / f"trial-{n}")
        run = wenze("--data-dir", str(data), *op.args, stdin=op.stdin(setup), crash_at=step)
        if not run.killed:
            problems.append(f"{step}: not killed ({run.returncode}): {run.stderr.strip()[:200]}")
            continue
        problems += [f"{step}: {p}" for p in problems_after(op, data)]
        shutil.rmtree(data)
    assert not problems, "\n".join(problems)
