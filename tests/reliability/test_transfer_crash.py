"""Crash campaign: `wenze export` and `wenze import`, killed at every step a real run passes through.

Export: after the next start a .wzpkg exists only if the audit log holds its completed `transfer.export` with the
file's SHA-256 (and then it is a package the other office opens); no scratch is left; nothing stays pending; a
second export works. Import: all of the package or none of it, the audit saying which; `wenze verify` passes;
the same package then goes in (or is found unchanged).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.reliability.harness import ADMIN, PASSWORD, copy_workspace, scratch_left, steps_of, wenze
from tests.unit.transfer_helpers import befriend, office, rich_case
from wenze_desktop.domain.base import utcnow
from wenze_desktop.domain.models import Attachment, AuditEntry, Case, IssuedDocument, PendingOperation
from wenze_desktop.services import Workspace
from wenze_desktop.services.journal import sha256_file
from wenze_desktop.transfer.snapshot import case_record

EXPORT_STEPS = {"transfer.export/intent", "transfer.export/writing", "transfer.export/before-publish",
                "transfer.export/published", "transfer.export/completed"}
IMPORT_STEPS = {"transfer.import/writing", "transfer.import/before-commit", "transfer.import/committed"}
LOGIN = PASSWORD + "\n"


@dataclass(frozen=True)
class Exchange:
    a: Path  # the sending office: two cases with attachments, documents and records
    b: Path  # the receiving office, trusting a (and trusted by it), with none of a's cases
    b_key: Path  # b's public key file
    numbers: list[str]  # the cases' numbers at a
    package: Path  # the two cases, exported from a to b
    records: dict[str, dict]  # case id → its record as sent


@pytest.fixture(scope="module")
def exchange(tmp_path_factory) -> Exchange:
    """Built in process with the cheap key derivation and the real clock (the children that follow use it too)."""
    root = tmp_path_factory.mktemp("exchange")
    a, b = office(root, "甲县纪委", utcnow), office(root, "乙市纪委", utcnow)
    try:
        befriend(a, b)
        b_key = root / "b.wzkey"
        b_key.write_text(b.keys.export_public()[0], "utf-8")
        ids = [rich_case(a, "张三", attachment=bytes(range(256)) * 1200), rich_case(a, "李四")]
        package = a.transfer.export(ids, root / "sent.wzpkg", to="乙市纪委").path
        with a.ctx.workspace.session() as s:
            records = {cid: case_record(s, cid) for cid in ids}
        numbers = [a.cases.get_case(cid).number for cid in ids]
    finally:
        a.close()
        b.close()
    return Exchange(root / "甲县纪委", root / "乙市纪委", b_key, numbers, package, records)


def settled(data: Path, action: str) -> tuple[list[dict], list[str], int]:
    """After a sign-in: (``action``'s audit entries, pending operations, attachment and document rows)."""
    with Workspace.open(data, ADMIN, PASSWORD) as ws, ws.ctx.workspace.session() as s:
        entries = [json.loads(e.new_values or "{}") | {"success": e.success, "seq": e.seq} for e in s.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq))]
        pending = [p.action for p in s.scalars(select(PendingOperation))]
        files = s.scalar(select(func.count()).select_from(Attachment)) + s.scalar(
            select(func.count()).select_from(IssuedDocument))
        return entries, pending, files


def next_start(data: Path) -> list[str]:
    start = wenze("verify", "--data-dir", data, "--user", ADMIN, stdin=LOGIN)
    return [] if start.returncode == 0 else [f"the next start failed ({start.returncode}): {start.stderr[:300]}"]


def export_problems(data: Path, out: Path, setup: Exchange, receiver: Path) -> list[str]:
    problems = next_start(data)
    if problems:
        return problems
    if left := scratch_left(data, out.parent):
        problems.append(f"left after the next start: {[p.name for p in left]}")
    entries, pending, _ = settled(data, "transfer.export")
    if pending:
        problems.append(f"operations left pending: {pending}")
    intents = {e["seq"] for e in entries if e["stage"] == "started" and e["path"] == str(out)}
    entries = [e for e in entries if e["seq"] in intents or e.get("intent") in intents]  # this file's export
    completed = [e for e in entries if e["stage"] == "completed"]
    if out.exists():
        if not (len(completed) == 1 and completed[0]["sha256"] == sha256_file(out) and completed[0]["success"]
                and completed[0]["size"] == out.stat().st_size):
            problems.append(f"a package exists without its completed entry: {entries}")
        with Workspace.open(receiver, ADMIN, PASSWORD) as b:  # and it is a whole package the office opens
            if [p.action for p in b.transfer.inspect(out).cases] != ["new", "new"]:
                problems.append("the package does not open as the two cases")
    elif completed or [e["stage"] for e in entries] not in ([], ["started", "failed"]):
        problems.append(f"no package, but the audit says {entries}")
    with Workspace.open(data, ADMIN, PASSWORD) as a:  # and the office can export again
        again = a.transfer.export([a.cases.id_of(n) for n in setup.numbers], out.with_name("again.wzpkg"),
                                  to="乙市纪委")
        if again.sha256 != sha256_file(again.path):
            problems.append("a second export did not produce its package")
    return problems


def test_export_killed_at_every_step(exchange, tmp_path):
    def args(data: Path, out: Path) -> tuple:
        return ("export", "--data-dir", data, "--user", ADMIN, "--case", *exchange.numbers, "--to",
                exchange.b_key, "--out", out)

    probe = copy_workspace(exchange.a, tmp_path / "probe")
    (tmp_path / "probe-out").mkdir()
    steps = steps_of(*args(probe, tmp_path / "probe-out" / "p.wzpkg"), stdin=LOGIN, trace=tmp_path / "trace")
    assert set(steps) >= EXPORT_STEPS, steps
    receiver = copy_workspace(exchange.b, tmp_path / "receiver")
    problems = []
    for n, step in enumerate(steps):
        data, out = copy_workspace(exchange.a, tmp_path / f"trial-{n}"), tmp_path / f"out-{n}" / "p.wzpkg"
        out.parent.mkdir()
        run = wenze(*args(data, out), stdin=LOGIN, crash_at=step)
        if not run.killed:
            problems.append(f"{step}: not killed ({run.returncode}): {run.stderr[:300]}")
            continue
        if out.exists() != (n >= steps.index("transfer.export/published")):
            problems.append(f"{step}: the package {'exists' if out.exists() else 'is missing'} right after the kill")
        problems += [f"{step}: {p}" for p in export_problems(data, out, exchange, receiver)]
    assert not problems, "\n".join(problems)


def import_problems(data: Path, setup: Exchange) -> list[str]:
    problems = next_start(data)
    if problems:
        return problems
    if left := scratch_left(data):
        problems.append(f"left after the next start: {[p.name for p in left]}")
    imports, pending, files = settled(data, "transfer.import")
    case_imports, _, _ = settled(data, "case.import")
    with Workspace.open(data, ADMIN, PASSWORD) as b, b.ctx.workspace.session() as s:
        present = [cid for cid in setup.records if s.get(Case, cid) is not None]
        whole = all(case_record(s, cid) == setup.records[cid] for cid in present)
    applied = [e for e in imports if e["success"]]
    if present and (present != list(setup.records) or not whole):
        problems.append(f"part of the package was imported: {len(present)} of {len(setup.records)} cases")
    elif present:
        if not (len(applied) == 1 and applied[0]["sha256"] == sha256_file(setup.package)
                and len(case_imports) == len(setup.records)):
            problems.append(f"the cases are here but the audit says {imports} / {len(case_imports)} case entries")
    elif applied or case_imports or files:
        problems.append(f"nothing was imported but the audit says {applied} / {case_imports} ({files} files)")
    if pending:
        problems.append(f"operations left pending: {pending}")
    with Workspace.open(data, ADMIN, PASSWORD) as b:  # and the same package goes in afterwards
        again = [p.action for p in b.transfer.apply(setup.package).cases]
        if again != (["unchanged"] * 2 if present else ["new"] * 2):
            problems.append(f"the second import found {again}")
        if not b.admin.verify().ok:
            problems.append("verify fails after the second import")
    return problems


def test_import_killed_at_every_step(exchange, tmp_path):
    def args(data: Path) -> tuple:
        return ("import", exchange.package, "--data-dir", data, "--user", ADMIN)

    steps = steps_of(*args(copy_workspace(exchange.b, tmp_path / "probe")), stdin=LOGIN, trace=tmp_path / "trace")
    assert set(steps) >= IMPORT_STEPS, steps
    problems = []
    for n, step in enumerate(steps):
        data = copy_workspace(exchange.b, tmp_path / f"trial-{n}")
        run = wenze(*args(data), stdin=LOGIN, crash_at=step)
        if not run.killed:
            problems.append(f"{step}: not killed ({run.returncode}): {run.stderr[:300]}")
            continue
        problems += [f"{step}: {p}" for p in import_problems(data, exchange)]
    assert not problems, "\n".join(problems)
