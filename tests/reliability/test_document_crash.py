"""Crash campaign: `wenze document` (issue a document and write its PDF), killed at every step a real run passes
through.

Issuing is one transaction: the number, the PDF kept in the database and the `document.issue` audit entry are
committed together or not at all. A number is the series' highest this year plus one, read under the write lock,
so an issue killed before its commit gave no number and the next issue takes it: no gap, no number twice
(services/documents.py). The PDF written to a file is audited before it exists (`document.export`: intent, file
published, completion with its SHA-256; settled at the next start if killed between). After each kill, at the next
start: `wenze verify` passes; the case has no document, or one whose stored PDF matches its audit entry; a file on
disk is that document byte for byte with a completed export entry carrying its hash, and `wenze verify-document`
accepts it; nothing is pending, no scratch is left; running the command again ends with 〔year〕1号 and its file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.reliability.harness import ADMIN, PASSWORD, copy_workspace, scratch_left, steps_of, wenze
from tests.unit.procedure_helpers import PAPER, new_case
from wenze_desktop.domain.models import AuditEntry, IssuedDocument, PendingOperation
from wenze_desktop.services import Workspace

STEPS = {"document.issue/registered", "document.issue/committed", "document.export/intent",
         "document.export/before-publish", "document.export/published", "document.export/completed"}
LOGIN = PASSWORD + "\n"


@dataclass(frozen=True)
class Office:
    data_dir: Path
    case_number: str


@pytest.fixture(scope="module")
def office(template, tmp_path_factory) -> Office:
    """A filed gz2009 case: its 立案决定书 can be issued."""
    data_dir = copy_workspace(template, tmp_path_factory.mktemp("documents") / "ws")
    with Workspace.open(data_dir, ADMIN, PASSWORD) as ws:
        case_id = new_case(ws, "gz2009", received=date(2026, 3, 2))
        ws.procedure.perform(case_id, "preliminary_check", on=date(2026, 3, 2))
        ws.procedure.perform(case_id, "file_case", on=date(2026, 3, 3), approved_by="书记", paper_ref=PAPER)
        number = ws.cases.get_case(case_id).number
    return Office(data_dir, number)


def issue(data: Path, office: Office, out: Path, **kwargs):
    return wenze("document", "--case", office.case_number, "--kind", "filing_decision", "--out", out, "--no-seal",
                 "--data-dir", data, "--user", ADMIN, stdin=LOGIN, **kwargs)


def problems_after(data: Path, out: Path) -> list[str]:
    start = wenze("verify", "--data-dir", data, "--user", ADMIN, stdin=LOGIN)
    if start.returncode != 0 or "全部通过" not in start.stdout:
        return [f"the next start failed ({start.returncode}): {start.stderr.strip()[:300]}"]
    problems = []
    with Workspace.open(data, ADMIN, PASSWORD) as ws, ws.ctx.workspace.session() as s:
        docs = list(s.scalars(select(IssuedDocument)))
        issued = [json.loads(e.new_values) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.action == "document.issue").order_by(AuditEntry.seq))]
        exports = [json.loads(e.new_values) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.action == "document.export").order_by(AuditEntry.seq))]
        pending = list(s.scalars(select(PendingOperation.action)))
        stored = {d.number: (d.sha256, hashlib.sha256(d.content).hexdigest()) for d in docs}
    if len(docs) > 1:
        problems.append(f"{len(docs)} documents issued by one command: {sorted(stored)}")
    if [e["number"] for e in issued] != sorted(stored):
        problems.append(f"documents {sorted(stored)}, issue entries for {[e['number'] for e in issued]}")
    for number, (sha, actual) in stored.items():
        if sha != actual or [e["sha256"] for e in issued if e["number"] == number] != [sha]:
            problems.append(f"{number}: the stored PDF does not match its audit entry")
        if not number.endswith(f"〔{date.today().year}〕1号"):
            problems.append(f"{number}: not the series' first number (a gap)")
    completed = [e for e in exports if e.get("stage") == "completed"]
    if out.exists():
        digest = hashlib.sha256(out.read_bytes()).hexdigest()
        if digest not in {sha for sha, _ in stored.values()}:
            problems.append("the file on disk is not the issued document")
        if digest not in {e.get("sha256") for e in completed}:
            problems.append(f"the file exists without a completed document.export entry: {exports}")
    elif completed:
        problems.append(f"the export is recorded as completed, yet no file: {completed}")
    if pending:
        problems.append(f"pending operations: {pending}")
    if left := scratch_left(data, out.parent):
        problems.append(f"left after the next start: {[p.name for p in left]}")
    return problems


def test_document_issue_killed_at_every_step(office, tmp_path):
    probe = copy_workspace(office.data_dir, tmp_path / "probe")
    steps = steps_of("document", "--case", office.case_number, "--kind", "filing_decision", "--out",
                     tmp_path / "probe.pdf", "--no-seal", "--data-dir", probe, "--user", ADMIN, stdin=LOGIN,
                     trace=tmp_path / "trace")
    assert set(steps) >= STEPS, steps
    assert problems_after(probe, tmp_path / "probe.pdf") == []
    problems = []
    for n, step in enumerate(steps):
        data = copy_workspace(office.data_dir, tmp_path / f"trial-{n}")
        out = tmp_path / f"out-{n}" / "立案决定书.pdf"
        out.parent.mkdir()
        run = issue(data, office, out, crash_at=step)
        if not run.killed:
            problems.append(f"{step}: not killed ({run.returncode}): {run.stderr.strip()[:200]}")
            continue
        found = problems_after(data, out)
        problems += [f"{step}: {p}" for p in found]
        if found:
            continue
        again = issue(data, office, out)  # issues it, or writes out the one issued before the kill
        if again.returncode != 0:
            problems.append(f"{step}: running again failed ({again.returncode}): {again.stderr.strip()[:200]}")
            continue
        problems += [f"{step}, run again: {p}" for p in problems_after(data, out)]
        checked = wenze("verify-document", out, "--data-dir", data, "--user", ADMIN, stdin=LOGIN)
        if checked.returncode != 0 or "1号" not in again.stdout:
            problems.append(f"{step}: the document written again does not verify: {checked.stdout[:200]}")
    assert not problems, "\n".join(problems)
