"""The crash campaign's tools: run a `wenze` command in a child process, list the steps it passes through, and
kill it at one of them (``wenze_desktop/crashpoints.py``); then check what a user would find.

A template workspace is made once (cheap key derivation, so each child's sign-in is quick) and copied per trial.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from wenze_desktop.crashpoints import KILLED

ADMIN, PASSWORD = "admin", "Admin-密码-2026"
SCRATCH_PATTERNS = (".wzbak-*", ".restore-*", "*.part", ".*.tmp", ".wenze.db.creating", ".operation-*.lock")


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def killed(self) -> bool:
        return self.returncode == KILLED


def wenze(*args: str, stdin: str = "", crash_at: str | None = None, trace: Path | None = None,
          timeout: float = 180) -> Run:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WENZE_CRASH_")}
    if crash_at:
        env["WENZE_CRASH_AT"] = crash_at
    if trace:
        env["WENZE_CRASH_TRACE"] = str(trace)
    done = subprocess.run([sys.executable, "-m", "wenze_desktop", *map(str, args)], input=stdin,
                          capture_output=True, text=True, timeout=timeout, env=env)
    return Run(done.returncode, done.stdout, done.stderr)


def steps_of(*args: str, stdin: str = "", trace: Path) -> list[str]:
    """The named steps one successful run passes through, in order (each once)."""
    trace.unlink(missing_ok=True)
    run = wenze(*args, stdin=stdin, trace=trace)
    assert run.returncode == 0, run.stderr
    seen = trace.read_text("utf-8").split() if trace.exists() else []
    return list(dict.fromkeys(seen))


def scratch_left(*folders: Path) -> list[Path]:
    """Scratch files and folders an interrupted operation may leave (the next start must remove them)."""
    found: list[Path] = []
    for folder in folders:
        if folder.is_dir():
            for pattern in SCRATCH_PATTERNS:
                found += folder.rglob(pattern)
    return sorted(found)


def copy_workspace(template: Path, to: Path) -> Path:
    shutil.copytree(template, to)
    return to
