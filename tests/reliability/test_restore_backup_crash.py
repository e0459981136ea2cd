"""Crash campaign: `wenze restore --replace`, `wenze backup` and the schema upgrade at sign-in, killed at every step
a real run passes through.

After each kill the next start (a `wenze verify`) must find a complete workspace — the old one or the restored
one, never none and never a mixture —, leave no scratch, and `wenze init` must refuse the folder. A backup file
exists only if the audit log (after that sign-in) holds its completed `workspace.backup` with its SHA-256. A
backup taken before a schema upgrade exists only if a committed `workspace.upgrade` entry names it, and the schema
is the old one or the new one, never between.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from tests.reliability.harness import ADMIN, PASSWORD, copy_workspace, scratch_left, steps_of, wenze
from wenze_desktop.domain.models import AuditEntry, Case, PendingOperation
from wenze_desktop.services.accounts import AccountService
from wenze_desktop.services.admin import AdminService, restore
from wenze_desktop.services.auth import login
from wenze_desktop.services.cases import CaseService
from wenze_desktop.storage import migrations, recovery
from wenze_desktop.storage.engine import make_engine
from wenze_desktop.storage.recovery import sha256_file
from wenze_desktop.storage.workspace import Workspace

NEW_PASSWORD = "Changed-密码-2027"  # the old workspace's password after the backup was taken
RESTORE_STEPS = {"workspace.restore/unpacked", "workspace.restore/verified", "workspace.restore/journal",
                 "workspace.restore/aside:wenze.db", "workspace.restore/aside:wenze.keys",
                 "workspace.restore/aside:login-state.json", "workspace.restore/in:wenze.keys",
                 "workspace.restore/in:wenze.db", "workspace.restore/done"}
BACKUP_STEPS = {"workspace.backup/intent", "workspace.backup/copied", "workspace.backup/written",
                "workspace.backup/before-publish", "workspace.backup/published", "workspace.backup/completed"}


@dataclass(frozen=True)
class Replacing:
    old: Path  # the workspace to be replaced: case 备份后, password NEW_PASSWORD, a failed login counted
    backup: Path  # taken before: case 备份前 only, password PASSWORD
    old_files: dict[str, str]  # SHA-256 of the old workspace's files
    backup_keys: str  # SHA-256 of the key slots inside the backup


@pytest.fixture(scope="module")
def replacing(template, tmp_path_factory) -> Replacing:
    root = tmp_path_factory.mktemp("replacing")
    old, backup = copy_workspace(template, root / "old"), root / "b.wzbak"
    ctx = login(old, ADMIN, PASSWORD)
    try:
        CaseService(ctx).create_case("备份前", "备份之前的案件", "gz2009")
        AdminService(ctx).backup(backup)
        CaseService(ctx).create_case("备份后", "备份之后的案件", "gz2009")
        AccountService(ctx).change_own_password(PASSWORD, NEW_PASSWORD)
    finally:
        ctx.workspace.close()
    assert wenze("verify", "--data-dir", old, "--user", ADMIN, stdin="wrong-password\n").returncode == 2
    assert (old / "login-state.json").exists()
    with tarfile.open(backup) as tar:
        backup_keys = hashlib.sha256(tar.extractfile("wenze.keys").read()).hexdigest()
    files = {name: sha256_file(old / name) for name in ("wenze.db", "wenze.keys", "login-state.json")}
    return Replacing(old, backup, files, backup_keys)


def audit(data_dir: Path, password: str, action: str) -> tuple[list[dict], list[str], list]:
    """(entries of ``action``, case numbers, pending operations) as the workspace holds them after a sign-in."""
    ctx = login(data_dir, ADMIN, password)
    try:
        with ctx.workspace.session() as s:
            rows = s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq))
            entries = [json.loads(e.new_values or "{}") | {"seq": e.seq, "success": e.success} for e in rows]
            return entries, sorted(s.scalars(select(Case.number))), list(s.scalars(select(PendingOperation)))
    finally:
        ctx.workspace.close()


def restore_problems(data: Path, setup: Replacing, restored: bool) -> list[str]:
    problems = []
    if not Workspace.exists(data):
        problems.append("before the next start the folder looks empty")
    if not restored and {n: sha256_file(data / n) for n in setup.old_files} != setup.old_files:
        problems.append("the old workspace's files changed before the journal was written")
    password = PASSWORD if restored else NEW_PASSWORD
    start = wenze("verify", "--data-dir", data, "--user", ADMIN, stdin=password + "\n")
    if start.returncode != 0:
        return [*problems, f"the next start failed ({start.returncode}): {start.stderr.strip()[:300]}"]
    if "恢复现已完成" in start.stderr and not restored:
        problems.append("said a restore was completed where the old workspace was expected")
    if left := scratch_left(data) + list(data.glob(recovery.RESTORE_JOURNAL)) + list(data.glob(".wzinit-*")):
        problems.append(f"left after the next start: {[p.name for p in left]}")
    keys = sha256_file(data / "wenze.keys")
    if keys != (setup.backup_keys if restored else setup.old_files["wenze.keys"]):
        problems.append("the key slots are not those of the expected side")
    restores, cases, pending = audit(data, password, "workspace.restore")
    if cases != (["备份前"] if restored else ["备份前", "备份后"]) or len(restores) != int(restored):
        problems.append(f"expected the {'restored' if restored else 'old'} workspace, found cases {cases}")
    if pending:
        problems.append(f"operations left pending: {[p.action for p in pending]}")
    aside = list((data / "backups").glob("replaced-*"))
    if restored and not (len(aside) == 1 and {n: sha256_file(aside[0] / n) for n in setup.old_files}
                         == setup.old_files):
        problems.append("the old workspace's files are not complete in backups/replaced-*")
    if not restored and aside:
        problems.append("a replaced-* folder exists although nothing was replaced")
    init = wenze("init", "--data-dir", data, "--user", ADMIN, stdin=PASSWORD + "\n")
    if init.returncode != 5:
        problems.append(f"`wenze init` did not refuse the folder ({init.returncode})")
    return problems


def test_restore_killed_at_every_step(replacing, tmp_path):
    args = ("restore", replacing.backup, "--replace", "--user", ADMIN)
    probe = copy_workspace(replacing.old, tmp_path / "probe")
    steps = steps_of(*args, "--data-dir", probe, stdin=PASSWORD + "\n", trace=tmp_path / "trace")
    assert set(steps) >= RESTORE_STEPS, steps
    committed = steps.index("workspace.restore/journal")
    problems = []
    for n, step in enumerate(steps):
        data = copy_workspace(replacing.old, tmp_path / f"trial-{n}")
        run = wenze(*args, "--data-dir", data, stdin=PASSWORD + "\n", crash_at=step)
        if not run.killed:
            problems.append(f"{step}: not killed ({run.returncode}): {run.stderr[:300]}")
            continue
        problems += [f"{step}: {p}" for p in restore_problems(data, replacing, restored=n >= committed)]
    assert not problems, "\n".join(problems)


def test_backup_killed_at_every_step(template, tmp_path):
    def args(data: Path, out: Path) -> tuple:
        return ("backup", "--data-dir", data, "--user", ADMIN, "--out", out)

    probe = copy_workspace(template, tmp_path / "probe")
    steps = steps_of(*args(probe, tmp_path / "probe.wzbak"), stdin=PASSWORD + "\n", trace=tmp_path / "trace")
    assert set(steps) >= BACKUP_STEPS, steps
    published = steps.index("workspace.backup/published")
    problems = []
    for n, step in enumerate(steps):
        data, out = copy_workspace(template, tmp_path / f"trial-{n}"), tmp_path / f"out-{n}" / "b.wzbak"
        run = wenze(*args(data, out), stdin=PASSWORD + "\n", crash_at=step)
        if not run.killed:
            problems.append(f"{step}: not killed ({run.returncode})")
            continue
        start = wenze("verify", "--data-dir", data, "--user", ADMIN, stdin=PASSWORD + "\n")
        if start.returncode != 0:
            problems.append(f"{step}: the next start failed: {start.stderr.strip()[:300]}")
            continue
        if left := scratch_left(data, out.parent):
            problems.append(f"{step}: left after the next start: {[p.name for p in left]}")
        entries, _, pending = audit(data, PASSWORD, "workspace.backup")
        settled = [e for e in entries if e["stage"] != "started"]
        if [e["stage"] for e in entries if e["stage"] == "started"] != ["started"] or len(settled) != 1 or pending:
            problems.append(f"{step}: expected one intent and one outcome, found {entries}, pending {pending}")
            continue
        if out.exists() != (n >= published):
            problems.append(f"{step}: the backup {'exists' if out.exists() else 'is missing'}")
        if out.exists():
            if not (settled[0]["stage"] == "completed" and settled[0]["sha256"] == sha256_file(out)
                    and settled[0]["size"] == out.stat().st_size):
                problems.append(f"{step}: the backup exists without its completed entry: {settled[0]}")
            restore(out, tmp_path / f"restored-{n}", ADMIN, PASSWORD)  # and it is a real, restorable backup
        elif settled[0]["stage"] != "failed" or settled[0]["success"]:
            problems.append(f"{step}: no backup, but the outcome says {settled[0]}")
        if wenze("init", "--data-dir", data, "--user", ADMIN, stdin=PASSWORD + "\n").returncode != 5:
            problems.append(f"{step}: `wenze init` did not refuse the folder")
    assert not problems, "\n".join(problems)


UPGRADE_STEPS = ["workspace.upgrade/intent", "workspace.upgrade/copied", "workspace.upgrade/written",
                 "workspace.upgrade/published", "workspace.upgrade/migrated", "workspace.upgrade/completed"]
OLD_SCHEMA = "0001"  # the oldest: the sign-in's models and the audit chain work at every revision


@dataclass(frozen=True)
class Upgrading:
    data: Path  # a workspace written by the first release (schema 0001)
    key: bytes
    old_tables: frozenset[str]


@pytest.fixture(scope="module")
def upgrading(template, tmp_path_factory) -> Upgrading:
    data = copy_workspace(template, tmp_path_factory.mktemp("upgrading") / "ws")
    ctx = login(data, ADMIN, PASSWORD)
    try:
        migrations.downgrade(ctx.workspace.engine, OLD_SCHEMA)
        key, tables = ctx.workspace.db_key, frozenset(inspect(ctx.workspace.engine).get_table_names())
    finally:
        ctx.workspace.close()
    return Upgrading(data, key, tables)


def upgrade_state(data: Path, key: bytes) -> tuple[str | None, set[str], list[dict]]:
    """(schema revision, tables, workspace.upgrade entries) read straight from the file, signing nobody in."""
    engine = make_engine(data / "wenze.db", key)
    try:
        revision, tables = migrations.current_revision(engine), set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT seq, new_values, success FROM audit_entry "
                                     "WHERE action = 'workspace.upgrade' ORDER BY seq")).all()
    finally:
        engine.dispose()
    return revision, tables, [json.loads(values) | {"seq": seq, "ok": bool(ok)} for seq, values, ok in rows]


def backup_files(data: Path) -> set[str]:
    return {p.name for p in (data / "backups").glob("*.wzbak")} if (data / "backups").is_dir() else set()


def test_upgrade_killed_at_every_step(upgrading, tmp_path):
    head = migrations.head_revision()
    args = ("verify", "--user", ADMIN)
    probe = copy_workspace(upgrading.data, tmp_path / "probe")
    steps = [step for step in steps_of(*args, "--data-dir", probe, stdin=PASSWORD + "\n", trace=tmp_path / "trace")
             if step.startswith("workspace.upgrade/")]
    assert steps == UPGRADE_STEPS, steps  # the order matters: the entry before the backup, the backup before
    _, head_tables, _ = upgrade_state(probe, upgrading.key)
    migrated = steps.index("workspace.upgrade/migrated")
    problems = []
    for n, step in enumerate(steps):
        data = copy_workspace(upgrading.data, tmp_path / f"trial-{n}")
        run = wenze(*args, "--data-dir", data, stdin=PASSWORD + "\n", crash_at=step)
        if not run.killed:
            problems.append(f"{step}: not killed ({run.returncode}): {run.stderr[:300]}")
            continue
        # What the kill left, before anyone signs in again.
        revision, tables, entries = upgrade_state(data, upgrading.key)
        if (revision, tables) not in ((OLD_SCHEMA, set(upgrading.old_tables)), (head, head_tables)):
            problems.append(f"{step}: the schema is half upgraded ({revision}, {sorted(tables)})")
        if (revision == head) != (n >= migrated):
            problems.append(f"{step}: schema {revision} after the kill")
        named = {e["backup"] for e in entries if e.get("stage") == "started"}
        if unnamed := backup_files(data) - named:
            problems.append(f"{step}: a backup no committed entry names: {unnamed}")

        # The next start.
        start = wenze(*args, "--data-dir", data, stdin=PASSWORD + "\n")
        if start.returncode != 0:
            problems.append(f"{step}: the next start failed ({start.returncode}): {start.stderr.strip()[:300]}")
            continue
        revision, tables, entries = upgrade_state(data, upgrading.key)
        started = [e for e in entries if e.get("stage") == "started"]
        outcomes = [e for e in entries if e.get("stage") != "started"]
        if revision != head or tables != head_tables:
            problems.append(f"{step}: not upgraded by the next start ({revision})")
        if sorted(e["intent"] for e in outcomes) != [e["seq"] for e in started]:
            problems.append(f"{step}: not every upgrade begun has one outcome: {entries}")
        completed = [e for e in outcomes if e["stage"] == "completed"]
        if len(completed) != 1 or completed[0]["to"] != head or not completed[0]["ok"]:
            problems.append(f"{step}: expected one completed upgrade, found {outcomes}")
        interrupted = step != "workspace.upgrade/completed"
        if interrupted != any(e.get("recovered") for e in outcomes) or interrupted != ("升级在完成前被中断" in
                                                                                      start.stderr):
            problems.append(f"{step}: the interruption was not recorded and told: {outcomes} / {start.stderr}")
        if len(started) != (1 if n >= migrated else 2):
            problems.append(f"{step}: {len(started)} upgrades begun")
        files = backup_files(data)
        if files != {e["backup"] for e in outcomes if e.get("backup")} or not files <= {e["backup"] for e in started}:
            problems.append(f"{step}: backups on disk {files} differ from those the audit log names: {entries}")
        if n >= steps.index("workspace.upgrade/published") and not files >= {started[0]["backup"]}:
            problems.append(f"{step}: the published backup is gone")
        if left := scratch_left(data) + [p for p in data.rglob("*.lock")]:
            problems.append(f"{step}: left after the next start: {[p.name for p in left]}")
    assert not problems, "\n".join(problems)
