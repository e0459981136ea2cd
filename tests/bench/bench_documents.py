"""Document benchmark (on demand):  .venv/bin/python tests/bench/bench_documents.py [N]

1. one sealed 问责决定书: cold (first in the process: fonts parsed and registered) and warm render time, the full
   ``issue()`` (number, render, seal, store, audit) and the file size;
2. a batch of N (default 1,000) sealed decisions through ``DocumentService.issue_batch`` with a progress bar —
   throughput and peak memory.
"""

from __future__ import annotations

import resource
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from wenze_desktop.documents.seal_image import demo_seal_png
from wenze_desktop.security.kdf import FAST_TEST_PARAMS
from wenze_desktop.services import Workspace, walkthrough

CASES = 20


def decided_cases(ws: Workspace) -> list[str]:
    made = []
    for i in range(CASES):
        case_id = ws.cases.create(profile="gz2009", title=f"防汛失职问题{i}", clue_source="complaint",
                                  received_on=date(2026, 3, 2),
                                  facts="对防汛应急预案长期未修订、排涝泵站无备用电源的问题未及时督促整改，"
                                  "汛期发生内涝，造成不良影响。" * 3,
                                  respondents=[{"kind": "person", "name": f"马建华{i}", "gender": "male",
                                                "ethnicity": "汉族", "birth_date": "1970-08-21",
                                                "unit": "示范市东湖区水务局", "post": "局长", "rank": "正处级"}])
        walkthrough.walk(ws.procedure, case_id, start=date(2026, 3, 2), until="decided")
        made.append(case_id)
    return made


def bar(done: int, total: int, _label: str) -> bool:
    width = 40
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done == total:
        sys.stderr.write("\n")
    return True


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.create(Path(tmp) / "ws", "admin", "Admin-pass-2026", params=FAST_TEST_PARAMS,
                              organ_name="示范市纪委监委")
        ws.organ.set_letterhead(organ_code="示纪", cc="示范市委组织部")
        ws.organ.register_seal("示范市纪委监委（样章）", demo_seal_png("示范市纪委监委"))
        cases = decided_cases(ws)

        t = time.perf_counter()
        ws.documents.preview(cases[0], "decision")
        cold = time.perf_counter() - t
        warm = []
        for _ in range(15):
            t = time.perf_counter()
            ws.documents.preview(cases[0], "decision")
            warm.append(time.perf_counter() - t)
        issue_times, sizes = [], []
        for case_id in cases[:10]:
            t = time.perf_counter()
            info = ws.documents.issue(case_id, "decision")
            issue_times.append(time.perf_counter() - t)
            sizes.append(info.size)
        print(f"first render in the process (fonts parsed): {cold * 1000:.0f} ms")
        print(f"render (preview), median of 15: {statistics.median(warm) * 1000:.0f} ms")
        print("issue (number, render, seal, store, audit), median of 10: "
              f"{statistics.median(issue_times) * 1000:.0f} ms")
        print(f"sealed decision size: {statistics.median(sizes) / 1024:.0f} KiB (max {max(sizes) / 1024:.0f} KiB)")

        requests = [(cases[i % len(cases)], "decision") for i in range(n)]
        t = time.perf_counter()
        issued = ws.documents.issue_batch(requests, progress=bar)
        total = time.perf_counter() - t
        print(f"batch of {len(issued)} sealed decisions: {total:.1f} s ({len(issued) / total:.1f} per second, "
              f"{total / len(issued) * 1000:.0f} ms each)")
        print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
        ws.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
