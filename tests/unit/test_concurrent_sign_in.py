"""Several programs signing in and writing audit entries on one workspace at the same moment (issue 15, point 5).

Each worker is a separate process (as a second window or a `wenze` command would be). Every attempt either
succeeds or says the workspace is busy (``WorkspaceBusy``): never a raw SQLite error such as
``UNIQUE constraint failed: audit_entry.seq``; and the audit chain afterwards is whole, without gaps.
"""

from __future__ import annotations

import multiprocessing
import traceback
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import ADMIN, ADMIN_PASSWORD
from wenze_desktop.domain.models import AuditEntry
from wenze_desktop.security.audit import verify_chain
from wenze_desktop.security.kdf import FAST_TEST_PARAMS
from wenze_desktop.security.lockout import LoginState
from wenze_desktop.services.accounts import AccountService
from wenze_desktop.services.auth import create_workspace, login
from wenze_desktop.storage.keyring import LoginPolicy
from wenze_desktop.storage.workspace import Workspace

WORKERS = 6
ROUNDS = 3
USERS = {ADMIN: ADMIN_PASSWORD, "bob": "Bob-password-2026", "carol": "Carol-password-2026"}


def _outcome(exc: BaseException) -> str:
    from wenze_desktop.errors import WorkspaceBusy

    if isinstance(exc, WorkspaceBusy) and "工作区正忙" in str(exc):
        return "busy"
    return "".join(traceback.format_exception(exc))


def sign_in_and_write(data_dir: str, username: str, barrier, results) -> None:
    """One program: sign in, write two audit entries in one transaction, sign out; a few times, all at once."""
    outcomes = []
    barrier.wait()
    for i in range(ROUNDS):
        try:
            ctx = login(Path(data_dir), username, USERS[username])
            try:
                with ctx.transaction() as s:
                    ctx.audit(s, "test.ping", "workspace", None, new={"round": i})
                    ctx.audit(s, "test.pong", "workspace", None, new={"round": i})
            finally:
                ctx.workspace.close()
            outcomes.append("ok")
        except BaseException as exc:  # what the worker met, to be judged by the test
            outcomes.append(_outcome(exc))
    results.put((username, outcomes))


def wrong_password(data_dir: str, barrier, results) -> None:
    from wenze_desktop.errors import WrongPassword

    barrier.wait()
    try:
        login(Path(data_dir), ADMIN, "not-the-password")
        results.put("signed in")
    except WrongPassword:
        results.put("refused")
    except BaseException as exc:
        results.put(_outcome(exc))


def run_all(target, args_of) -> list:
    mp = multiprocessing.get_context("spawn")  # a fresh interpreter each, as separate programs are
    barrier, results = mp.Barrier(WORKERS), mp.Queue()
    procs = [mp.Process(target=target, args=(*args_of(i), barrier, results)) for i in range(WORKERS)]
    for p in procs:
        p.start()
    got = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return got


@pytest.fixture
def shared(tmp_path) -> Path:
    """A workspace on the real clock (the workers' clock) with three accounts."""
    data_dir = tmp_path / "ws"
    ctx, _ = create_workspace(data_dir, ADMIN, ADMIN_PASSWORD, params=FAST_TEST_PARAMS)
    try:
        accounts = AccountService(ctx)
        accounts.create_user("bob", "鲍勃", ["handler"], USERS["bob"])
        accounts.create_user("carol", "卡罗尔", ["reviewer"], USERS["carol"])
        accounts.set_login_policy(LoginPolicy(max_failures=WORKERS + 2))
    finally:
        ctx.workspace.close()
    return data_dir


def test_simultaneous_sign_ins_and_audit_writes_never_collide(shared):
    names = list(USERS)
    got = run_all(sign_in_and_write, lambda i: (str(shared), names[i % len(names)]))
    outcomes = [o for _, per_worker in got for o in per_worker]
    assert all(o in ("ok", "busy") for o in outcomes), [o for o in outcomes if o not in ("ok", "busy")]
    done = outcomes.count("ok")
    assert done >= 1  # with a 15-second busy timeout, in practice all of them
    ctx = login(shared, ADMIN, ADMIN_PASSWORD)
    try:
        with ctx.workspace.session() as s:
            report = verify_chain(s)
            pings = s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "test.ping"))
            logins = s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "login"))
            seqs = list(s.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)))
        assert report.ok, report.problems
        assert seqs == list(range(1, len(seqs) + 1))  # no gaps, no duplicates
        assert pings == done and logins >= done + 1
    finally:
        ctx.workspace.close()


def test_simultaneous_wrong_passwords_all_count(shared):
    """Failures typed at the same moment in several programs are all counted (none lost to a race), and all
    reach the audit log at the next sign-in."""
    got = run_all(wrong_password, lambda i: (str(shared),))
    assert got == ["refused"] * WORKERS
    assert len(LoginState(Workspace.login_state_path_of(shared)).pending_failures(ADMIN)) == WORKERS
    ctx = login(shared, ADMIN, ADMIN_PASSWORD)
    try:
        with ctx.workspace.session() as s:
            failed = s.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.action == "login.failed"))
            assert failed == WORKERS and verify_chain(s).ok
    finally:
        ctx.workspace.close()
