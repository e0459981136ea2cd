"""Crash campaign: `wenze passwd`, `wenze useradd`, `wenze recover` and `wenze policy`, and the deactivation and
reactivation of an account (no command: a child process runs the service call, as the window does), killed at
every step a real run passes through (services/accounts.py: intent, slot written, completed).

After each kill: the next start (`wenze verify`) passes and settles what was left; the password that works is the
old one or the new one, never both or neither; the audit log then says the change completed exactly when the
slot file holds it, and the account's row says the same (active or not, when its password was changed, the
reactivation's own entry); no operation stays pending and no scratch is left. A user whose creation was cut
short has no row left and can be created again.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.reliability.harness import ADMIN, PASSWORD, Run, copy_workspace, scratch_left, wenze
from wenze_desktop.domain.models import AuditEntry, PendingOperation, StaffUser
from wenze_desktop.errors import WenzeError, WrongPassword
from wenze_desktop.security.audit import verify_chain
from wenze_desktop.security.kdf import FAST_TEST_PARAMS
from wenze_desktop.services.auth import create_workspace, login
from wenze_desktop.storage.keyring import Keyring
from wenze_desktop.storage.workspace import Workspace

NEW_PASSWORD = "Changed-密码-2027"
BOB_PASSWORD = "Bob-密码-2027"
BOB_NEW_PASSWORD = "Bob-新密码-2028"


@dataclass(frozen=True)
class Setup:
    data_dir: Path  # the administrator only
    recovery_key: str
    with_bob: Path  # and bob, an active handler
    bob_inactive: Path  # and bob, deactivated


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> Setup:
    """Workspaces (cheap key derivation) whose recovery key is known."""
    from wenze_desktop.services.accounts import AccountService

    root = tmp_path_factory.mktemp("accounts")
    data_dir = root / "ws"
    ctx, recovery_key = create_workspace(data_dir, ADMIN, PASSWORD, display_name="管理员", params=FAST_TEST_PARAMS)
    ctx.workspace.close()
    with_bob, bob_inactive = copy_workspace(data_dir, root / "with-bob"), root / "bob-inactive"
    ctx = login(with_bob, ADMIN, PASSWORD)
    try:
        bob = AccountService(ctx).create_user("bob", "鲍勃", ["handler"], BOB_PASSWORD)
    finally:
        ctx.workspace.close()
    copy_workspace(with_bob, bob_inactive)
    ctx = login(bob_inactive, ADMIN, PASSWORD)
    try:
        AccountService(ctx).deactivate(bob)
    finally:
        ctx.workspace.close()
    return Setup(data_dir, recovery_key, with_bob, bob_inactive)


# The window's account calls have no command: a child process makes the same service call, killed like a command.
SERVICE_CALL = """
import sys
from wenze_desktop.services import Workspace
data_dir, call, password = sys.argv[1:4]
ws = Workspace.open(data_dir, "admin", "{admin_password}")
bob = next(u.id for u in ws.accounts.list_users() if u.username == "bob")
ws.accounts.deactivate(bob) if call == "deactivate" else ws.accounts.reactivate(bob, password)
ws.close()
"""


def service_call(data_dir: Path, call: str, *, crash_at: str | None = None, trace: Path | None = None) -> Run:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WENZE_CRASH_")}
    if crash_at:
        env["WENZE_CRASH_AT"] = crash_at
    if trace:
        env["WENZE_CRASH_TRACE"] = str(trace)
    done = subprocess.run([sys.executable, "-c", SERVICE_CALL.format(admin_password=PASSWORD), str(data_dir), call,
                           BOB_NEW_PASSWORD], capture_output=True, text=True, timeout=180, env=env,
                          cwd=Path(__file__).resolve().parents[2])
    return Run(done.returncode, done.stdout, done.stderr)


def opens(data_dir: Path, username: str, password: str) -> bool:
    """Whether the slot file lets ``username`` in with ``password`` (without counting a failure)."""
    try:
        Keyring.load(Workspace.keyring_path_of(data_dir)).unlock(username, password)
        return True
    except WrongPassword:
        return False


@dataclass(frozen=True)
class Row:
    """The account row of ``username`` as a sign-in after the trial finds it (None: no row)."""
    active: bool
    password_changed_at: str
    reactivations: list[int | None]  # the intents named by its user.reactivate entries


@dataclass(frozen=True)
class Operation:
    action: str
    args: tuple[str, ...]  # of the command (empty: a service call in a child process)
    stdin: Callable[[Setup | None], str]
    done: Callable[[Path], bool]  # whether the slot file holds the change
    admin_password: Callable[[Path], str]  # the administrator's password after the trial
    base: Callable[[Setup], Path] = lambda s: s.data_dir  # the workspace the operation starts from
    call: str = ""  # the service call (``SERVICE_CALL``), for operations without a command
    row_of: str = ""  # whose account row the change concerns
    # the problems with that row (before, after, whether the slot file holds the change, intent's seq)
    row_check: Callable[[Row | None, Row | None, bool, int], list[str]] = field(default=lambda *a: [])

    def run(self, setup: Setup | None, data: Path, *, crash_at: str | None = None,
            trace: Path | None = None) -> Run:
        if self.call:
            return service_call(data, self.call, crash_at=crash_at, trace=trace)
        return wenze("--data-dir", str(data), *self.args, stdin=self.stdin(setup), crash_at=crash_at, trace=trace)


def admin_now(data_dir: Path) -> str:
    old, new = opens(data_dir, ADMIN, PASSWORD), opens(data_dir, ADMIN, NEW_PASSWORD)
    assert old != new, f"old password opens: {old}, new password opens: {new}"
    return NEW_PASSWORD if new else PASSWORD


def password_stamped(before: Row | None, after: Row | None, done: bool, seq: int) -> list[str]:
    if (after.password_changed_at != before.password_changed_at) != done:
        return [f"password_changed_at {'not ' if done else ''}moved although the slot file "
                f"{'holds' if done else 'lacks'} the new password"]
    return []


def created(before: Row | None, after: Row | None, done: bool, seq: int) -> list[str]:
    if done and (after is None or not after.active or not after.password_changed_at):
        return [f"bob's slot is there, his row is {after}"]
    if not done and after is not None:
        return [f"bob's creation failed, his row is left: {after}"]
    return []


def deactivated(before: Row | None, after: Row | None, done: bool, seq: int) -> list[str]:
    if after.active == done:
        return [f"bob's slot is {'gone' if done else 'there'}, his row says active={after.active}"]
    return []


def reactivated(before: Row | None, after: Row | None, done: bool, seq: int) -> list[str]:
    problems = []
    if after.active != done:
        problems.append(f"bob's new slot is {'' if done else 'not '}there, his row says active={after.active}")
    problems += password_stamped(before, after, done, seq)
    added = after.reactivations[len(before.reactivations):]
    if added != ([seq] if done else []):
        problems.append(f"user.reactivate entries added: {added} (intent {seq}, slot written: {done})")
    return problems


OPERATIONS = {
    "passwd": Operation("user.change_password", ("passwd", "--user", ADMIN),
                        lambda s: f"{PASSWORD}\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
                        lambda d: opens(d, ADMIN, NEW_PASSWORD), admin_now,
                        row_of=ADMIN, row_check=password_stamped),
    "recover": Operation("user.recover_password", ("recover", "--user", ADMIN),
                         lambda s: f"{s.recovery_key}\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
                         lambda d: opens(d, ADMIN, NEW_PASSWORD), admin_now,
                         row_of=ADMIN, row_check=password_stamped),
    "useradd": Operation("user.create", ("useradd", "--user", ADMIN, "--name", "bob", "--roles", "handler"),
                         lambda s: f"{PASSWORD}\n{BOB_PASSWORD}\n{BOB_PASSWORD}\n",
                         lambda d: opens(d, "bob", BOB_PASSWORD), lambda d: PASSWORD,
                         row_of="bob", row_check=created),
    "policy": Operation("config.login_policy", ("policy", "--user", ADMIN, "--min-password-length", "10"),
                        lambda s: f"{PASSWORD}\n",
                        lambda d: Keyring.load(Workspace.keyring_path_of(d)).policy.min_password_length == 10,
                        lambda d: PASSWORD),
    "deactivate": Operation("user.deactivate", (), lambda s: "",
                            lambda d: not Keyring.load(Workspace.keyring_path_of(d)).has_user("bob"),
                            lambda d: PASSWORD, base=lambda s: s.with_bob, call="deactivate",
                            row_of="bob", row_check=deactivated),
    "reactivate": Operation("user.reset_password", (), lambda s: "",
                            lambda d: opens(d, "bob", BOB_NEW_PASSWORD), lambda d: PASSWORD,
                            base=lambda s: s.bob_inactive, call="reactivate", row_of="bob",
                            row_check=reactivated),
}


def row(data_dir: Path, password: str, username: str) -> Row | None:
    ctx = login(data_dir, ADMIN, password)
    try:
        with ctx.workspace.session() as s:
            staff = s.scalars(select(StaffUser).where(StaffUser.username == username)).one_or_none()
            if staff is None:
                return None
            entries = s.scalars(select(AuditEntry.new_values).where(AuditEntry.action == "user.reactivate",
                                                                    AuditEntry.object_id == staff.id)
                                .order_by(AuditEntry.seq))
            return Row(staff.active, str(staff.password_changed_at),
                       [json.loads(v or "{}").get("intent") for v in entries])
    finally:
        ctx.workspace.close()


def intent_seq(data_dir: Path, password: str, action: str) -> int:
    """The number of the latest intent (``stage: started``) of ``action``."""
    ctx = login(data_dir, ADMIN, password)
    try:
        with ctx.workspace.session() as s:
            rows = s.execute(select(AuditEntry.seq, AuditEntry.new_values).where(AuditEntry.action == action))
            return max(seq for seq, new in rows if json.loads(new or "{}").get("stage") == "started")
    finally:
        ctx.workspace.close()


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


def problems_after(op: Operation, data: Path, before: Row | None) -> list[str]:
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
    if op.row_of:
        seq = intent_seq(data, password, op.action)
        problems += op.row_check(before, row(data, password, op.row_of), done, seq)
    if op.call:  # bob signs in with his new password once reactivated, with his old one until deactivated
        bob = login_works(data, "bob", BOB_NEW_PASSWORD if op.call == "reactivate" else BOB_PASSWORD)
        if bob != (done if op.call == "reactivate" else not done):
            problems.append(f"bob signs in: {bob}, although the slot file {'holds' if done else 'lacks'} the change")
    if op.action == "user.create":
        bob = wenze("verify", "--data-dir", data, "--user", "bob", stdin=BOB_PASSWORD + "\n")
        if (bob.returncode == 2) != (not done):  # bob is a handler: signs in, verify itself is refused
            problems.append(f"bob signs in: {bob.returncode != 2}, although his slot is {'' if done else 'not '}there")
        if not done:  # the name is not lost: creating it again works
            again = wenze("--data-dir", str(data), *op.args, stdin=op.stdin(None))
            if again.returncode != 0 or not op.done(data):
                problems.append(f"creating bob again failed ({again.returncode}): {again.stderr.strip()[:300]}")
    return problems


def login_works(data_dir: Path, username: str, password: str) -> bool:
    """Whether ``username`` signs in (the slot opens and the row lets him in)."""
    try:
        login(data_dir, username, password).workspace.close()
        return True
    except WenzeError:
        return False


EXPECTED = {"intent", "slot-written", "completed"}


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_account_change_killed_at_every_step(setup, tmp_path, name):
    op = OPERATIONS[name]
    base = op.base(setup)
    probe = copy_workspace(base, tmp_path / "probe")
    trace = tmp_path / "trace"
    ran = op.run(setup, probe, trace=trace)
    assert ran.returncode == 0, ran.stderr
    steps = list(dict.fromkeys(trace.read_text("utf-8").split()))  # each once, in order
    assert {f"{op.action}/{s}" for s in EXPECTED} <= set(steps), steps
    assert op.done(probe) and not op.done(base)
    before = row(copy_workspace(base, tmp_path / "before"), PASSWORD, op.row_of) if op.row_of else None
    problems = []
    for n, step in enumerate(steps):
        data = copy_workspace(base, tmp_path / f"trial-{n}")
        run = op.run(setup, data, crash_at=step)
        if not run.killed:
            problems.append(f"{step}: not killed ({run.returncode}): {run.stderr.strip()[:200]}")
            continue
        problems += [f"{step}: {p}" for p in problems_after(op, data, before)]
        shutil.rmtree(data)
    assert not problems, "\n".join(problems)
