"""One applying pass of an import, inside its transaction: each verified case is planned as it arrives and
written; then deadlines, revisions, the senders' audit trails and our own audit entries.

A package may hold thousands of cases, so the work is batched: what is already here is read once per package
(``Planner``), new cases go in with plain inserts gathered per table (``NewCases``), and their deadlines are
computed from the incoming record itself rather than read back from the database.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from wenze_desktop import crashpoints
from wenze_desktop.domain.exchange import CaseRevision, ReceivedAuditEntry, TransferConflict
from wenze_desktop.domain.models import Case, CaseDeadline, ProcedureEvent, Respondent, WorkspaceInfo
from wenze_desktop.errors import IntegrityFailure
from wenze_desktop.procedure import deadlines as deadline_rules
from wenze_desktop.procedure.view import CaseView
from wenze_desktop.rules.calendar import WorkCalendar
from wenze_desktop.rules.profiles import load_profile
from wenze_desktop.security.audit import ENTRY_FIELDS
from wenze_desktop.services.calendar import load_calendar
from wenze_desktop.services.case_state import (
    case_view,
    deadline_rows,
    event_view,
    next_due,
    respondent_view,
    store_deadlines,
)
from wenze_desktop.services.context import ServiceContext
from wenze_desktop.services.transfer_conflicts import ConflictKeeper
from wenze_desktop.services.transfer_plan import (
    CONFLICT,
    KNOWN_CONFLICT,
    NEW,
    UPDATED,
    CasePlan,
    Planner,
    changed_rows,
)
from wenze_desktop.transfer.package import CaseSink, IncomingCase, Package
from wenze_desktop.transfer.snapshot import CaseWriter, NewCases, case_record, typed_values

AUDIT_FIELDS = (*ENTRY_FIELDS, "hash")
# SQLite's default 2 MiB page cache spills hundreds of times in an import of hundreds of megabytes; with
# 64 MiB the blob inserts run about a quarter faster (tests/bench/bench_transfer.py).
IMPORT_CACHE_KIB = 65536


class ImportRun:
    """Use as ``with ImportRun(ctx, session) as run:`` inside the import's transaction."""

    def __init__(self, ctx: ServiceContext, session: Session) -> None:
        self.ctx, self.session = ctx, session
        self.plans: list[CasePlan] = []
        self.planner: Planner | None = None
        self.new = NewCases(session)
        self.new_deadlines: list[dict[str, Any]] = []
        self.updated: list[str] = []
        self.changes: dict[str, dict] = {}  # case id → ids added, updated, removed by kind (for its audit entry)
        self.writing = False
        self.now = ctx.clock()
        self._calendar: WorkCalendar | None = None

    def __enter__(self) -> ImportRun:
        connection = self.session.connection()
        # The import's transaction holds the write lock from its start (Workspace.writing): no other connection
        # (the CLI, a second window) can change a case between its plan and its write.
        self.dbapi = connection.connection.dbapi_connection
        self.cache_size = self.dbapi.execute("PRAGMA cache_size").fetchone()[0]
        self.dbapi.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
        return self

    def __exit__(self, *_exc) -> None:
        # The pooled connection goes back with its usual cache, whatever state a failed import left it in.
        with contextlib.suppress(Exception):
            self.dbapi.execute(f"PRAGMA cache_size = {int(self.cache_size)}")

    def manifest(self, cases: list[IncomingCase]) -> None:
        self.planner = Planner(self.session, cases)

    def case(self, case: IncomingCase) -> CaseSink | None:
        plan = self.planner.plan(case)
        self.plans.append(plan)
        sink: CaseSink | None = None
        if plan.action == NEW:
            # Deadlines with our own calendar, from the record itself: the case row goes in with its next due date.
            view = record_view(case.record)
            rows = deadline_rows(case.id, deadline_rules.compute(load_profile(view.profile_id), view,
                                                                 self.calendar), self.now)
            self.new_deadlines += rows
            self.changes[case.id] = changed_rows(None, case.record)
            sink = self.new.writer(case.record, next_due=next_due(rows), updated_at=self.now)
        elif plan.action == UPDATED:
            self.updated.append(case.id)
            self.changes[case.id] = changed_rows(case_record(self.session, case.id), case.record)
            writer = CaseWriter(self.session, case.record)
            writer.begin()
            sink = writer
        elif plan.action == CONFLICT:
            return ConflictKeeper(self.session, case, plan)
        if sink is not None and not self.writing:
            self.writing = True
            crashpoints.step("transfer.import/writing")  # rows written inside the open transaction
        return sink

    @property
    def calendar(self) -> WorkCalendar:
        if self._calendar is None:
            self._calendar = load_calendar(self.session)
        return self._calendar

    def finish(self, package: Package) -> None:
        s = self.session
        with s.no_autoflush:
            self.new.flush()
            if self.new_deadlines:
                s.connection().execute(insert(CaseDeadline.__table__), self.new_deadlines)
            for case_id in self.updated:
                row = s.get(Case, case_id)
                store_deadlines(s, row, case_view(s, row), load_profile(row.regulation_id), self.calendar, self.now)
                self.ctx.touch(row)  # the registry lists what just arrived among the recently changed
            s.flush()
            self._bookkeeping(package, self.now)

    def _bookkeeping(self, package: Package, now: datetime) -> None:
        s = self.session
        plans = {p.case_id: p for p in self.plans}
        known = {(case_id, digest) for case_id, digests in self.planner.history.items() for digest in digests}
        revisions = []
        for case in package.cases:
            plan = plans[case.id]
            kept = {}
            if plan.action == CONFLICT:
                keeper = s.scalars(select(TransferConflict).where(
                    TransferConflict.case_id == case.id, TransferConflict.incoming_hash == case.content_hash)).one()
                kept = {"added": {"conflicts": [keeper.id]}}  # the local case itself is left as it is
                keeper.sender_name = package.sender.office_name
                keeper.sender_fingerprint = package.sender.fingerprint
                keeper.package_id, keeper.package_sha256 = package.package_id, package.sha256
                keeper.received_at = keeper.updated_at = now
            elif plan.action != KNOWN_CONFLICT and (case.id, case.content_hash) not in known:
                known.add((case.id, case.content_hash))
                revisions.append({"case_id": case.id, "content_hash": case.content_hash, "origin": "received",
                                  "recorded_at": now})
            if plan.action in (NEW, UPDATED, CONFLICT):
                # Names every row the import added, changed or removed (deadlines are derived here and not named).
                self.ctx.audit(s, "case.import", "case", case.id, new={
                    "result": plan.action, "reason": plan.reason, "from": package.sender.office_name,
                    "package": package.package_id, "content_hash": case.content_hash,
                    **(self.changes.get(case.id) or kept)})
        if revisions:
            s.execute(insert(CaseRevision.__table__), revisions)
        own_id = s.scalars(select(WorkspaceInfo.id)).one()
        _keep_trails(s, package.cases, own_id, package.sha256, now)


def record_view(record: dict[str, Any]) -> CaseView:
    """The procedure's view of a case as an incoming record holds it: what ``case_view`` reads from the database
    once the record is stored (the record lists respondents by id, and an import stores them in that order)."""
    c = record["case"]
    respondents = (respondent_view(SimpleNamespace(**typed_values(Respondent, r)))
                   for r in record.get("respondents", []))
    events = sorted((SimpleNamespace(**typed_values(ProcedureEvent, e)) for e in record.get("events", [])),
                    key=lambda e: e.seq)
    return CaseView(c["id"], c["number"], c["regulation_id"], c["step"], c.get("facts") or "", tuple(respondents),
                    tuple(event_view(e) for e in events))


@contextlib.contextmanager
def constraint_failures():
    """A record that breaks the database's rules (a foreign key, a unique number) refuses the package like any
    other fault, inside the import's transaction."""
    try:
        yield
    except sa_exc.IntegrityError as exc:
        raise IntegrityFailure("数据包中的记录不满足本单位数据库的约束（引用缺失或编号重复），未导入任何内容。"
                               f"（{exc.orig}）") from exc


def _keep_trails(s: Session, cases: list[IncomingCase], own_id: str, package_sha: str, now: datetime) -> None:
    """The senders' audit entries about the cases, kept as theirs (ours that come back are already in our
    chain; entries received before, by an earlier package, are not added twice)."""
    entries = [(case.id, e) for case in cases for e in case.audit if e.get("origin_id") != own_id]
    ids = [e["id"] for _, e in entries]
    known = set()
    for i in range(0, len(ids), 500):
        known.update(s.scalars(select(ReceivedAuditEntry.id).where(ReceivedAuditEntry.id.in_(ids[i:i + 500]))))
    rows = []
    for case_id, e in entries:
        if e["id"] in known:
            continue
        known.add(e["id"])
        rows.append({**{k: e[k] for k in AUDIT_FIELDS}, "at": datetime.fromisoformat(e["at"]),
                     "origin_id": str(e["origin_id"]), "origin_name": str(e.get("origin_name", "")),
                     "case_id": case_id, "package_sha256": package_sha, "received_at": now})
    for i in range(0, len(rows), 2000):
        s.execute(insert(ReceivedAuditEntry.__table__), rows[i:i + 2000])
