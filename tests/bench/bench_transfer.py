"""USB transfer benchmark (on demand, not by pytest):  .venv/bin/python tests/bench/bench_transfer.py [N] [MB]

Two offices on encrypted workspaces, keys exchanged. Office A holds N cases (default 1,000) with 1–3 random
(incompressible, like scans) attachments each, MB (default 500) megabytes of attachments in total, created through
the public services (``cases.create``, ``cases.add_attachment``; timed separately as setup). Then:
1. ``transfer.export`` of all N cases to office B (tar streamed through age to B's X25519 recipient);
2. ``transfer.inspect`` (the dry run) and ``transfer.apply`` of that package in office B, three times, each into a
   fresh copy of B as it was before the import (the median run is reported: the machine is shared and noisy);
3. Debian's ``age`` CLI on the same data, as the reference: decrypting the package with B's identity (read from
   B's database) and encrypting the plaintext tar to B's recipient; and, as an independent reader,
   ``age -d | tar t`` must list manifest.json first.
Wall time, throughput, CPU time and each phase's peak RSS (Linux VmHWM, reset before each phase). MB = 10^6 bytes.
``--profile DIR`` also writes cProfile statistics of export and apply (main thread) into DIR.
Markdown goes to stdout for docs/benchmarks.md.
"""

from __future__ import annotations

import contextlib
import cProfile
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.conftest import ADMIN, ADMIN_PASSWORD
from tests.unit.procedure_helpers import new_case
from tests.unit.transfer_helpers import befriend, office
from wenze_desktop.domain.base import utcnow
from wenze_desktop.services import Workspace

MB = 1_000_000
TARGET = 50  # MB/s, export and import
RUNS = 3  # imports measured, each into a fresh copy of the receiver
AGE = "/usr/bin/age"
SENDER, RECEIVER = "示范市纪委监委", "示范市东湖区纪委监委"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉林文辉晓光宇浩鹏飞春梅海波东亮冬雪松"
PROFILES = ("gz2009", "wf2011", "jt2019")


@dataclass
class Phase:
    wall: float
    cpu: float
    peak_rss: int  # bytes


def attachment_sizes(n: int, total: int, rnd: random.Random) -> list[list[int]]:
    """1–3 files per case (70/20/10 %), log-uniform 20 KB … 5 MB before scaling, scaled to ``total`` bytes."""
    raw = [[int(10 ** rnd.uniform(4.3, 6.7)) for _ in range(rnd.choices((1, 2, 3), (70, 20, 10))[0])]
           for _ in range(n)]
    scale = total / sum(map(sum, raw))
    sizes = [[max(1, int(s * scale)) for s in files] for files in raw]
    sizes[-1][-1] += total - sum(map(sum, sizes))
    return sizes


def fill(ws: Workspace, n: int, total: int, seed: int = 11) -> tuple[list[str], int, float, float]:
    """N cases with their attachments; returns (case ids, file count, seconds for cases, seconds for files)."""
    rnd = random.Random(seed)
    case_ids, files, t_cases, t_files = [], 0, 0.0, 0.0
    for i, sizes in enumerate(attachment_sizes(n, total, rnd)):
        name = rnd.choice(SURNAMES) + "".join(rnd.choices(GIVEN, k=2))
        t = time.perf_counter()
        case_id = new_case(ws, PROFILES[i % len(PROFILES)], name=name, received=date(2026, 3, 2))
        t_cases += time.perf_counter() - t
        for j, size in enumerate(sizes):
            data = rnd.randbytes(size)
            t = time.perf_counter()
            ws.cases.add_attachment(case_id, f"现场照片{j + 1}.pdf", data, "application/pdf")
            t_files += time.perf_counter() - t
            files += 1
        case_ids.append(case_id)
        if (i + 1) % 100 == 0:
            sys.stderr.write(f"\rsetup: {i + 1}/{n} cases")
    sys.stderr.write("\n")
    return case_ids, files, t_cases, t_files


def median_phase(phases: list[Phase]) -> Phase:
    """The run with the median wall time (the machine is shared; single runs vary by a third)."""
    return sorted(phases, key=lambda ph: ph.wall)[len(phases) // 2]


def import_once(ws: Workspace, package: Path, n: int, profile: Path | None) -> tuple[Phase, Phase]:
    """The dry run, then the import, as the GUI does them."""
    preview, ph_inspect = measured(lambda: ws.transfer.inspect(package, progress=bar("inspect")))
    assert preview.count("new") == n, preview.summary()
    applied, ph_apply = measured(lambda: ws.transfer.apply(package, progress=bar("apply"),
                                                           expect_sha256=preview.package_sha256), profile)
    assert applied.count("new") == n, applied.summary()
    return ph_inspect, ph_apply


def reset_peak() -> None:
    with contextlib.suppress(OSError):  # Linux: resets VmHWM, the peak RSS, to the current RSS
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measured(fn: Callable[[], object], profile: Path | None = None) -> tuple[object, Phase]:
    reset_peak()
    profiler = cProfile.Profile() if profile else None
    c, t = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    result = fn()
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    if profiler:
        profiler.dump_stats(profile)
    return result, Phase(wall, cpu, peak_rss())


def bar(label: str) -> Callable[[int, int, str], bool]:
    shown = [-1]

    def progress(done: int, total: int, _message: str) -> bool:
        percent = 100 * done // max(total, 1)
        if percent != shown[0]:
            shown[0] = percent
            sys.stderr.write(f"\r{label}: {percent:3d}%")
            if done >= total:
                sys.stderr.write("\n")
        return True

    return progress


def run_age(args: list[str], output: Path) -> float:
    """Wall time of one age process plus the fsync of its output (our export fsyncs the package, the import
    commits its transaction)."""
    t = time.perf_counter()
    subprocess.run([AGE, *args], stdin=subprocess.DEVNULL, check=True)
    fd = os.open(output, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    return time.perf_counter() - t


def age_listing(identity: Path, package: Path) -> list[str]:
    """The independent reader: age decrypts, tar lists."""
    decrypt = subprocess.Popen([AGE, "-d", "-i", str(identity), str(package)], stdout=subprocess.PIPE)
    listing = subprocess.run(["tar", "t"], stdin=decrypt.stdout, capture_output=True, text=True, check=True)
    decrypt.stdout.close()
    if decrypt.wait() != 0:
        raise SystemExit("age -d failed on the package")
    return listing.stdout.splitlines()


def main(n: int, total_mb: int, profile_dir: Path | None) -> None:
    if not Path(AGE).exists():
        raise SystemExit(f"{AGE} is missing: apt-get install -y age (scripts/setup.sh installs it for tests)")
    total = total_mb * MB
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp_name:
        tmp = Path(tmp_name)
        a, b = office(tmp, SENDER, utcnow), office(tmp, RECEIVER, utcnow)
        befriend(a, b)
        t = time.perf_counter()
        case_ids, n_files, t_cases, t_files = fill(a, n, total)
        setup = time.perf_counter() - t
        with a.ctx.workspace.engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*), sum(size) FROM attachment")).one()
        assert tuple(stored) == (n_files, total), stored

        package = tmp / "cases.wzpkg"
        export, ph_export = measured(lambda: a.transfer.export(case_ids, package, to=RECEIVER,
                                                                 progress=bar("export")),
                                     profile_dir / "export.prof" if profile_dir else None)
        size = package.stat().st_size
        assert export.size == size and len(export.case_numbers) == n, export
        b_dir = b.ctx.workspace.data_dir
        b.close()
        pristine = tmp / "receiver-before-import"
        shutil.copytree(b_dir, pristine)
        inspects, applies = [], []
        for run in range(RUNS):  # the same import into identical copies of the receiver: the median is reported
            if run:
                shutil.rmtree(b_dir)
                shutil.copytree(pristine, b_dir)
            b = Workspace.open(b_dir, ADMIN, ADMIN_PASSWORD)
            ph_inspect, ph_apply = import_once(b, package, n, profile_dir / "apply.prof" if profile_dir and not run
                                               else None)
            inspects.append(ph_inspect)
            applies.append(ph_apply)
            if run < RUNS - 1:
                b.close()
        ph_inspect, ph_apply = median_phase(inspects), median_phase(applies)
        with b.ctx.workspace.engine.connect() as conn:
            received = conn.execute(text("SELECT count(*) FROM case_file")).scalar_one()
            got = conn.execute(text("SELECT count(*), sum(size) FROM attachment")).one()
            identity_text, recipient = conn.execute(text(
                "SELECT age_identity, recipient FROM office_key WHERE own = 1")).one()
        assert received == n and tuple(got) == (n_files, total), (received, got)

        identity = tmp / "receiver.agekey"
        identity.touch(mode=0o600)
        identity.write_text(identity_text + "\n")
        names = age_listing(identity, package)
        assert names[:2] == ["manifest.json", "manifest.sig"], names[:3]
        assert len(names) == 2 + 2 * n + n_files, len(names)

        plain, again = tmp / "plain.tar", tmp / "again.age"
        decrypt_runs, encrypt_runs = [], []
        for _ in range(3):
            decrypt_runs.append(run_age(["-d", "-i", str(identity), "-o", str(plain), str(package)], plain))
            encrypt_runs.append(run_age(["-r", recipient, "-o", str(again), str(plain)], again))
        plain_size = plain.stat().st_size
        age_dec, age_enc = statistics.median(decrypt_runs), statistics.median(encrypt_runs)
        a.close()
        b.close()

    def rate(nbytes: int, seconds: float) -> str:
        return f"{nbytes / MB / seconds:.1f} MB/s"

    def met(seconds: float) -> str:
        return "met" if total / MB / seconds >= TARGET else "**missed**"

    ours_enc, ours_dec = plain_size / ph_export.wall, plain_size / ph_apply.wall
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"age CLI {subprocess.run([AGE, '--version'], capture_output=True, text=True).stdout.strip()}")
    print(f"\n{n:,} cases, {n_files:,} attachments, {total / MB:,.0f} MB of attachments; package "
          f"{size / MB:,.1f} MB (plaintext tar {plain_size / MB:,.1f} MB)")
    print(f"setup through the services: {setup:.0f} s ({t_cases:.0f} s for {n:,} cases.create, {t_files:.0f} s "
          f"for {n_files:,} add_attachment)\n")
    print("| phase | wall | attachments / time | package / time | CPU time | peak RSS | target |")
    print("|---|---|---|---|---|---|---|")
    for label, ph, goal in (("**export** (`transfer.export`, to the office's key)", ph_export, met(ph_export.wall)),
                            ("inspect (dry run: decrypt, verify, plan)", ph_inspect, ""),
                            ("**import** (`transfer.apply`, one transaction)", ph_apply, met(ph_apply.wall))):
        print(f"| {label} | {ph.wall:.1f} s | {rate(total, ph.wall)} | {rate(size, ph.wall)} | {ph.cpu:.1f} s "
              f"| {ph.peak_rss / 2**20:.0f} MiB | {f'≥ {TARGET} MB/s: {goal}' if goal else ''} |")
    both = Phase(ph_inspect.wall + ph_apply.wall, ph_inspect.cpu + ph_apply.cpu,
                 max(ph_inspect.peak_rss, ph_apply.peak_rss))
    print(f"| import as the GUI does it (inspect, then apply) | {both.wall:.1f} s | {rate(total, both.wall)} "
          f"| {rate(size, both.wall)} | {both.cpu:.1f} s | {both.peak_rss / 2**20:.0f} MiB | |")
    print(f"\nInspect and import: the median of {RUNS} runs, each into a fresh copy of the receiver; import runs "
          f"{', '.join(f'{ph.wall:.1f} s' for ph in applies)}.")
    print("\nReference: Debian's age CLI on the same bytes (median of 3, including the fsync of its output):\n")
    print("| | age CLI | ours | ours / age |\n|---|---|---|---|")
    print(f"| encrypt (plaintext tar → package) | {age_enc:.2f} s, {rate(plain_size, age_enc)} | "
          f"{ph_export.wall:.1f} s, {rate(plain_size, ph_export.wall)} (export) | "
          f"{ours_enc / (plain_size / age_enc):.2f} |")
    print(f"| decrypt (package → plaintext tar) | {age_dec:.2f} s, {rate(size, age_dec)} | "
          f"{ph_apply.wall:.1f} s, {rate(size, ph_apply.wall)} (import) | {ours_dec / (size / age_dec):.2f} |")
    print(f"\n`age -d -i <identity> package | tar t` lists "
          f"{len(names):,} entries, manifest.json first, manifest.sig second: checked.")
    if profile_dir:
        print(f"\ncProfile statistics: {profile_dir}/export.prof, {profile_dir}/apply.prof")


if __name__ == "__main__":
    args = sys.argv[1:]
    profile = None
    if "--profile" in args:
        i = args.index("--profile")
        profile = Path(args[i + 1])
        profile.mkdir(parents=True, exist_ok=True)
        del args[i:i + 2]
    main(int(args[0]) if args else 1000, int(args[1]) if len(args) > 1 else 500, profile)
