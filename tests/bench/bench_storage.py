"""Storage benchmarks (run on demand, not by pytest):  .venv/bin/python tests/bench/bench_storage.py [N]

1. Unlock time: Argon2id with the parameters calibrated on this machine, as `wenze init` chooses them.
2. Open + first query on N (default 100,000) cases: SQLCipher vs. the same schema unencrypted, as a ratio.
Results go to stdout as a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from wenze_desktop.domain.models import Case
from wenze_desktop.security import kdf
from wenze_desktop.storage import migrations
from wenze_desktop.storage.engine import make_engine
from wenze_desktop.storage.keyring import Keyring

REGULATIONS = ["gz2009", "wf2011", "jt2019", "bx2019", "jc2017", "sh2022", "ccp2016"]
FIRST_QUERY = text("SELECT number, title, regulation_id, step FROM case_file ORDER BY updated_at DESC LIMIT 50")


def bench_unlock(tmp: Path, runs: int = 5) -> tuple[kdf.Argon2Params, float]:
    params = kdf.calibrate()
    ring, _, _ = Keyring.create(tmp / "k", "admin", "u", "Bench-password-1", params)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        ring.unlock("admin", "Bench-password-1")
        times.append(time.perf_counter() - start)
    return params, statistics.median(times)


def fill(engine, n: int) -> None:
    migrations.upgrade(engine)
    now = datetime.now(UTC)
    rows = [{"id": str(uuid.uuid4()), "number": f"穗纪问〔2026〕{i}号", "title": f"关于对第{i}号被问责人问责的案件",
             "regulation_id": REGULATIONS[i % 7], "step": "investigation", "facts": "事实" * 40,
             "created_at": now, "updated_at": now, "version": 1} for i in range(n)]
    with engine.begin() as conn:
        for start in range(0, n, 10_000):
            conn.execute(insert(Case), rows[start:start + 10_000])
    with engine.connect() as conn:  # what Workspace.close() leaves behind (PRAGMA optimize) after such a load
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()


def open_and_query(make) -> dict[str, float]:
    """What the app does when a workspace opens (connect, key check, schema check), then the first registry
    page and its row count. Timed in phases."""
    t0 = time.perf_counter()
    engine = make()
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert migrations.current_revision(engine) == migrations.head_revision()
    t1 = time.perf_counter()
    with engine.connect() as conn:
        conn.execute(FIRST_QUERY).all()
        t2 = time.perf_counter()
        conn.execute(text("SELECT count(*) FROM case_file")).scalar_one()
        t3 = time.perf_counter()
    engine.dispose()
    return {"open": t1 - t0, "page": t2 - t1, "first": t2 - t0, "count": t3 - t2}


def main(n: int = 100_000, runs: int = 9) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        params, unlock = bench_unlock(tmp)
        key = os.urandom(32)
        encrypted, plain = tmp / "enc.db", tmp / "plain.db"
        fill(make_engine(encrypted, key), n)
        fill(create_engine(f"sqlite:///{plain}"), n)
        makers = {"enc": lambda: make_engine(encrypted, key), "plain": lambda: create_engine(f"sqlite:///{plain}")}
        results: dict[str, list[dict]] = {"enc": [], "plain": []}
        for _ in range(runs):  # interleaved, so that machine noise hits both alike
            for name, make in makers.items():
                results[name].append(open_and_query(make))

        def median(name: str, phase: str) -> float:
            return statistics.median(r[phase] for r in results[name]) * 1000

        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        print("| measure | value |\n|---|---|")
        print(f"| unlock (Argon2id t={params.time_cost}, m={params.memory_kib // 1024} MiB, p={params.parallelism}) "
              f"| {unlock * 1000:.0f} ms |")
        print(f"| database size, {n:,} cases | {encrypted.stat().st_size / 2**20:.1f} MiB encrypted, "
              f"{plain.stat().st_size / 2**20:.1f} MiB plain |")
        print(f"\nOpen + first query, median of {runs} runs, ms:\n")
        print("| phase | encrypted | unencrypted | ratio |\n|---|---|---|---|")
        for phase, label in (("open", "open (connect, key check, schema check)"), ("page", "first page (50 rows)"),
                             ("first", "**open + first query**"), ("count", "afterwards: count(*) (full index scan)")):
            enc, pl = median("enc", phase), median("plain", phase)
            print(f"| {label} | {enc:.1f} | {pl:.1f} | {enc / pl:.2f}× |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
