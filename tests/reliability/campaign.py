"""The random kill -9 campaign (on demand; CI runs the step-by-step crash tests instead).

    .venv/bin/python -m tests.reliability.campaign --trials 120 --seed 1 --report docs/reliability-latest.md

Two offices are built once (the demo office A with ~30 cases, and office B that trusts A). Each trial copies
them, starts one `wenze` command in a child process — backup, restore, export, import, passwd, useradd, calendar
import, document issue, record correction —, kills it with SIGKILL after a random delay drawn over the command's
own measured duration, and then checks what a user would find:

- the workspace is there and complete: sign-in works (old or new password), ``verify`` passes (page integrity,
  schema, audit chain), no operation is left pending after the sign-in and no scratch file is left;
- anything outside the database exists only with its audit entry (a .wzbak / .wzpkg with a completed entry
  carrying its SHA-256; a password or account that works with its completed entry);
- an import applied all of the package or none of it; a restore left the old workspace or the restored one.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select

from tests.reliability.harness import scratch_left
from wenze_desktop.domain.models import AuditEntry, CalendarYear, Case, PendingOperation
from wenze_desktop.security.kdf import FAST_TEST_PARAMS
from wenze_desktop.services import Workspace
from wenze_desktop.services.demo import DEMO_PASSWORD, DEMO_USERNAME, build_demo
from wenze_desktop.services.journal import sha256_file

PW, NEW_PW = DEMO_PASSWORD, "Campaign-new-密码-9"
YEAR_2027 = """year = 2027
holidays = ["2027-01-01", "2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08", "2027-02-09", "2027-02-10",
            "2027-02-11", "2027-04-05", "2027-05-01", "2027-05-02", "2027-05-03", "2027-05-04", "2027-05-05",
            "2027-06-09", "2027-09-15", "2027-10-01", "2027-10-02", "2027-10-03", "2027-10-04", "2027-10-05",
            "2027-10-06", "2027-10-07"]
workdays = ["2027-02-14", "2027-02-20", "2027-04-25", "2027-09-26", "2027-10-09"]
"""


@dataclass
class Setup:
    root: Path
    a: Path  # the demo office
    b: Path  # the receiving office (trusts a)
    b_key: Path  # b's public key file, trusted by a
    backup: Path  # a backup of a taken before a case was added (restore target)
    package: Path  # a package of two cases from a to b
    package_cases: list[str]
    numbers: list[str]  # case numbers of a
    extra_case: str  # the case number added to a after the backup


@dataclass
class Trial:
    op: str
    delay: float
    killed: bool
    problems: list[str] = field(default_factory=list)


def build(root: Path) -> Setup:
    a_dir, b_dir = root / "a", root / "b"
    a = build_demo(a_dir, params=FAST_TEST_PARAMS, today=date(2026, 11, 20))
    b = Workspace.create(b_dir, DEMO_USERNAME, DEMO_PASSWORD, workspace_name="乙单位工作区", organ_name="乙单位",
                         params=FAST_TEST_PARAMS)
    try:
        a.keys.trust(b.keys.export_public()[0])
        b.keys.trust(a.keys.export_public()[0])
        b_key = root / "b.pub"
        b_key.write_text(b.keys.export_public()[0], "utf-8")
        a.admin.backup(root / "before.wzbak")
        extra = a.cases.create("gz2009", "演练新增案件", "complaint", date(2026, 11, 2))
        with a.ctx.workspace.session() as s:
            numbers = sorted(s.scalars(select(Case.number)))
            extra_number = s.get(Case, extra).number
        package_cases = numbers[:2]
        a_ids = [a.cases.id_of(n) for n in package_cases]
        a.transfer.export(a_ids, root / "two.wzpkg", to=str(b_key))
    finally:
        a.close()
        b.close()
    return Setup(root, a_dir, b_dir, b_key, root / "before.wzbak", root / "two.wzpkg", package_cases, numbers,
                 extra_number)


# -- the operations ----------------------------------------------------------------------------------------------

Command = tuple[list[str], str]  # argv after `wenze`, standard input


def commands(s: Setup, a: Path, b: Path, out: Path) -> dict[str, Command]:
    decided = next(n for n in s.numbers if n.startswith("gz2009"))  # the demo's first gz2009 case is archived
    return {
        "backup": (["backup", "--data-dir", a, "--user", DEMO_USERNAME, "--out", out / "b.wzbak"], PW + "\n"),
        "restore": (["restore", s.backup, "--replace", "--data-dir", a, "--user", DEMO_USERNAME], PW + "\n"),
        "export": (["export", "--data-dir", a, "--user", DEMO_USERNAME, "--case", *s.numbers[2:6],
                    "--to", s.b_key, "--out", out / "p.wzpkg"], PW + "\n"),
        "import": (["import", "--data-dir", b, "--user", DEMO_USERNAME, s.package], PW + "\n"),
        "passwd": (["passwd", "--data-dir", a, "--user", DEMO_USERNAME], f"{PW}\n{NEW_PW}\n{NEW_PW}\n"),
        "useradd": (["useradd", "--data-dir", a, "--user", DEMO_USERNAME, "--name", "newbie", "--roles", "handler"],
                    f"{PW}\n{NEW_PW}\n{NEW_PW}\n"),
        "calendar": (["calendar", "import", "--data-dir", a, "--user", DEMO_USERNAME, out / "2027.toml"], PW + "\n"),
        "document": (["document", "--data-dir", a, "--user", DEMO_USERNAME, "--case", decided,
                      "--kind", "decision", "--out", out / "doc.pdf", "--reissue"], PW + "\n"),
    }


def run(argv: list, stdin: str, kill_after: float | None) -> tuple[int, bool]:
    """Run `wenze argv`; kill it with SIGKILL after ``kill_after`` seconds. Returns (exit status, killed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WENZE_CRASH_")}
    proc = subprocess.Popen([sys.executable, "-m", "wenze_desktop", *map(str, argv)], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
    proc.stdin.write(stdin)
    proc.stdin.close()
    if kill_after is not None:
        try:
            proc.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return proc.returncode, True
    proc.wait(timeout=300)
    return proc.returncode, False


# -- what a user would find ----------------------------------------------------------------------------------------

def sign_in(data_dir: Path, passwords: tuple[str, ...]) -> tuple[Workspace | None, str | None, list[str]]:
    problems = []
    for password in passwords:
        try:
            return Workspace.open(data_dir, DEMO_USERNAME, password), password, problems
        except Exception as exc:
            problems.append(f"sign-in with {'new' if password == NEW_PW else 'old'} password: "
                            f"{type(exc).__name__}: {exc}")
    return None, None, problems


def audit(ws: Workspace, action: str) -> list[dict]:
    with ws.ctx.workspace.session() as s:
        return [json.loads(e.new_values) | {"_success": e.success}
                for e in s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq))]


def completed_with(ws: Workspace, action: str, product: Path) -> bool:
    digest = sha256_file(product)
    return any(e.get("stage") == "completed" and e.get("sha256") == digest for e in audit(ws, action))


def check(s: Setup, op: str, a: Path, b: Path, out: Path) -> list[str]:
    target = b if op == "import" else a
    passwords = (PW, NEW_PW) if op == "passwd" else (PW,)
    ws, password, problems = sign_in(target, passwords)
    if ws is None:
        return problems
    problems = []
    try:
        report = ws.admin.verify()
        problems += [f"verify: {name}: {detail}" for name, passed, detail in report.checks if not passed]
        with ws.ctx.workspace.session() as db:
            if db.scalars(select(PendingOperation)).first() is not None:
                problems.append("an operation is still pending after sign-in")
            numbers = set(db.scalars(select(Case.number)))
            year = db.scalars(select(CalendarYear).where(CalendarYear.year == 2027)).first()
        left = scratch_left(target, out)
        if left:
            problems.append(f"scratch left after sign-in: {[str(p) for p in left]}")
        if op == "backup" and (out / "b.wzbak").exists() and not completed_with(ws, "workspace.backup",
                                                                                 out / "b.wzbak"):
            problems.append("a .wzbak exists without a completed workspace.backup entry carrying its hash")
        if op == "export" and (out / "p.wzpkg").exists() and not completed_with(ws, "transfer.export",
                                                                                out / "p.wzpkg"):
            problems.append("a .wzpkg exists without a completed transfer.export entry carrying its hash")
        if op == "import":
            arrived = numbers & set(s.package_cases)
            if arrived and arrived != set(s.package_cases):
                problems.append(f"import half applied: {sorted(arrived)} of {s.package_cases}")
        if op == "restore" and numbers not in (set(s.numbers), set(s.numbers) - {s.extra_case}):
            problems.append("after restore the cases are neither the old workspace's nor the backup's")
        if op == "passwd" and password == NEW_PW and not any(
                e.get("stage") == "completed" for e in audit(ws, "user.change_password")):
            problems.append("the new password works without a completed user.change_password entry")
        if op == "useradd" and _signs_in(target, "newbie", NEW_PW) and not any(
                e.get("stage") == "completed" for e in audit(ws, "user.create")):
            problems.append("the new account signs in without a completed user.create entry")
        if op == "calendar" and (behind := ws.procedure.deadlines_behind()).changed_cases:
            problems.append(f"deadlines of {behind.changed_cases} cases do not follow the calendar "
                            f"(year 2027 {'entered' if year is not None else 'not entered'})")
    finally:
        ws.close()
    return problems


def _signs_in(data_dir: Path, username: str, password: str) -> bool:
    try:
        ws = Workspace.open(data_dir, username, password)
    except Exception:
        return False
    ws.close()
    return True


# -- the campaign ----------------------------------------------------------------------------------------------------

def measure(s: Setup, work: Path) -> dict[str, float]:
    """Each command's own duration, unkilled, on fresh copies (the kill delays are drawn over it)."""
    started = time.perf_counter()
    # the interpreter's start-up and the program's imports, up to the sign-in: a command on a missing workspace
    run(["verify", "--data-dir", work / "nowhere", "--user", DEMO_USERNAME], PW + "\n", None)
    durations = {"(start-up)": time.perf_counter() - started}
    for op in commands(s, s.a, s.b, work):
        a, b, out = fresh(s, work / f"measure-{op}")
        argv, stdin = commands(s, a, b, out)[op]
        started = time.perf_counter()
        status, _ = run(argv, stdin, None)
        durations[op] = time.perf_counter() - started
        if status != 0:
            raise SystemExit(f"{op} fails even without a kill (exit {status}); fix that first")
    return durations


def fresh(s: Setup, where: Path) -> tuple[Path, Path, Path]:
    shutil.rmtree(where, ignore_errors=True)
    a, b, out = where / "a", where / "b", where / "out"
    shutil.copytree(s.a, a)
    shutil.copytree(s.b, b)
    out.mkdir(parents=True)
    (out / "2027.toml").write_text(YEAR_2027, "utf-8")
    return a, b, out


def campaign(trials: int, seed: int, work: Path, log: Callable[[str], None] = print) -> tuple[list[Trial], dict]:
    rng = random.Random(seed)
    s = build(work / "setup")
    durations = measure(s, work)
    log("durations: " + ", ".join(f"{op} {d:.2f}s" for op, d in durations.items()))
    durations = dict(durations)
    results = []
    startup = durations.pop("(start-up)")
    ops = sorted(durations)
    for n in range(trials):
        op = ops[n % len(ops)] if n < len(ops) else rng.choice(ops)
        a, b, out = fresh(s, work / "trial")
        argv, stdin = commands(s, a, b, out)[op]
        delay = rng.uniform(startup * 0.85, durations[op] * 0.98)  # mostly while the command does its work
        status, killed = run(argv, stdin, delay)
        trial = Trial(op, delay, killed)
        if not killed and status != 0:
            trial.problems.append(f"exit {status} without a kill")
        trial.problems += check(s, op, a, b, out)
        results.append(trial)
        log(f"[{n + 1}/{trials}] {op:9} kill after {delay:5.2f}s {'killed' if killed else 'finished':8} "
            + ("OK" if not trial.problems else "PROBLEMS: " + "; ".join(trial.problems)))
    return results, {"(start-up)": startup, **durations}


def report(results: list[Trial], durations: dict, seed: int) -> str:
    by_op: dict[str, Counter] = defaultdict(Counter)
    for t in results:
        by_op[t.op]["trials"] += 1
        by_op[t.op]["killed"] += t.killed
        by_op[t.op]["problems"] += bool(t.problems)
    lines = [f"Random kill -9 campaign: {len(results)} trials, seed {seed}, "
             f"{sum(t.killed for t in results)} killed mid-run, "
             f"{sum(bool(t.problems) for t in results)} with problems.", "",
             "| operation | duration unkilled | trials | killed mid-run | with problems |",
             "|---|---|---|---|---|"]
    lines.insert(1, f"Start-up of the interpreter alone: {durations.get('(start-up)', 0):.2f} s; kills are drawn "
                    "between 0.85 × that and 0.98 × each command's unkilled duration.")
    for op in sorted(by_op):
        c = by_op[op]
        lines.append(f"| {op} | {durations.get(op, 0):.2f} s | {c['trials']} | {c['killed']} | {c['problems']} |")
    bad = [t for t in results if t.problems]
    if bad:
        lines += ["", "Problems:"] + [f"- {t.op} after {t.delay:.2f}s: {'; '.join(t.problems)}" for t in bad]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--report", type=Path, help="write the summary (Markdown) here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="wenze-campaign-") as tmp:
        results, durations = campaign(args.trials, args.seed, Path(tmp))
    text = report(results, durations, args.seed)
    print(text)
    if args.report:
        args.report.write_text(text, "utf-8")
    return 1 if any(t.problems for t in results) else 0


if __name__ == "__main__":
    sys.exit(main())
