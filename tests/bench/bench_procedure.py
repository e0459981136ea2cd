"""Deadline recomputation benchmark (on demand):  .venv/bin/python tests/bench/bench_procedure.py [N]

N (default 10,000) open cases spread over the seven profiles and over their steps (templates walked through the
real services, then cloned). Measures:
1. the pure computation of every case's deadlines from its events (what the engine does per case);
2. ``ProcedureService.recompute_all()`` end to end on the encrypted workspace: read the events, compute,
   rewrite ``case_deadline`` — what happens after an administrator enters a year's holiday arrangement.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from wenze_desktop.domain.models import Case, ProcedureEvent, Respondent
from wenze_desktop.procedure import deadlines
from wenze_desktop.rules.calendar import WorkCalendar
from wenze_desktop.rules.profiles import load_profile, profile_ids
from wenze_desktop.security.kdf import FAST_TEST_PARAMS
from wenze_desktop.services import Workspace, walkthrough
from wenze_desktop.services.case_state import case_view

STOPS = ["filed", "investigating", "notified", "reported", "decided", "served"]


def templates(ws: Workspace) -> list[str]:
    """One case per profile and stopping step it has (open cases: not archived)."""
    made = []
    for profile_id in profile_ids():
        profile = load_profile(profile_id)
        kind = "person" if "person" in profile.applies_to else "unit"
        steps = {s.id for s in profile.steps}
        for stop in [s for s in STOPS if s in steps]:
            case_id = ws.cases.create(profile=profile_id, title="模板", clue_source="complaint",
                                      received_on=date(2026, 10, 1),
                                      respondents=[{"kind": kind, "name": "张三"}])
            try:
                walkthrough.walk(ws.procedure, case_id, until=stop, start=date(2026, 10, 12), kind=kind)
            except RuntimeError:
                continue  # the main path does not pass this step in this profile
            made.append(case_id)
    return made


def clone(ws: Workspace, template_ids: list[str], n: int) -> None:
    now = datetime.now(UTC)
    with ws.ctx.workspace.session() as s, s.begin():
        cases = {c.id: c for c in s.scalars(select(Case).where(Case.id.in_(template_ids)))}
        events = {cid: s.scalars(select(ProcedureEvent).where(ProcedureEvent.case_id == cid)).all()
                  for cid in template_ids}
        case_rows, event_rows, respondent_rows = [], [], []
        for i in range(n - len(template_ids)):
            source = cases[template_ids[i % len(template_ids)]]
            new_id = str(uuid.uuid4())
            case_rows.append({"id": new_id, "number": f"BENCH-{i:06d}", "title": source.title,
                              "regulation_id": source.regulation_id, "step": source.step, "facts": "事实",
                              "created_at": now, "updated_at": now, "version": 1})
            respondent_rows.append({"id": str(uuid.uuid4()), "case_id": new_id, "kind": source.respondents[0].kind,
                                    "name": f"被问责人{i}", "updated_at": now, "version": 1})
            event_rows += [{"id": str(uuid.uuid4()), "case_id": new_id, "seq": e.seq, "action": e.action,
                            "path": e.path, "step_before": e.step_before, "step_after": e.step_after,
                            "occurred_on": e.occurred_on, "data": e.data, "recorded_at": now, "updated_at": now,
                            "version": 1} for e in events[source.id]]
        s.execute(insert(Case), case_rows)
        s.execute(insert(Respondent), respondent_rows)
        s.execute(insert(ProcedureEvent), event_rows)


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.create(Path(tmp) / "ws", "admin", "Bench-密码-2026", params=FAST_TEST_PARAMS)
        made = templates(ws)
        clone(ws, made, n)
        runs = []
        for _ in range(4):
            start = time.perf_counter()
            ws.procedure.recompute_all()
            runs.append(time.perf_counter() - start)
        first, unchanged = runs[0], statistics.median(runs[1:])
        ws.calendar.import_year('year = 2027\nholidays = ["2027-01-01", "2027-02-06..2027-02-12"]\n'
                                'workdays = ["2027-02-14"]\n')  # a year nothing depends on: measured below
        start = time.perf_counter()
        ws.procedure.recompute_all()
        after_import = time.perf_counter() - start
        with ws.ctx.workspace.session() as s:
            views = [(load_profile(c.regulation_id), case_view(s, c)) for c in s.scalars(select(Case))]
        ws.close()
    calendar = WorkCalendar()
    pure = []
    for _ in range(5):
        start = time.perf_counter()
        total = sum(len(deadlines.compute(p, v, calendar)) for p, v in views)
        pure.append(time.perf_counter() - start)
    print(f"| cases (templates walked through the services: {len(made)}) | {len(views):,} |")
    print(f"| deadlines computed | {total:,} |")
    print(f"| pure computation of every case's deadlines (median of 5) | {statistics.median(pure) * 1000:.0f} ms |")
    print(f"| `recompute_all()`, first run (every row written) | {first * 1000:.0f} ms |")
    print(f"| `recompute_all()`, nothing changed (median of 3) | {unchanged * 1000:.0f} ms |")
    print(f"| `recompute_all()` after entering 2027 | {after_import * 1000:.0f} ms |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
