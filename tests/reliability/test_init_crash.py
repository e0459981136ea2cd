"""Crash campaign: `wenze init`, killed at every step a real run passes through.

A creation killed before its database is moved in is undone at the next start (the folder is empty again and
`wenze init` works); killed after it, the workspace is complete (sign-in, `wenze verify`) and `init` refuses.
Never a folder that looks like a workspace but cannot be opened.
"""

from __future__ import annotations

from pathlib import Path

from tests.reliability.harness import ADMIN, PASSWORD, scratch_left, steps_of, wenze
from wenze_desktop.storage.workspace import Workspace

INIT_STEPS = {"workspace.create/built", "workspace.create/keys-saved", "workspace.create/db-moved"}


def leftovers(data: Path) -> list[str]:
    return [p.name for p in scratch_left(data) + list(data.glob(".wzinit-*"))]


def test_init_killed_at_every_step(tmp_path):
    def init(data: Path, **kwargs):
        return wenze("init", "--data-dir", data, "--user", ADMIN, stdin=PASSWORD + "\n", **kwargs)

    steps = steps_of("init", "--data-dir", tmp_path / "probe", "--user", ADMIN, stdin=PASSWORD + "\n",
                     trace=tmp_path / "trace")
    assert set(steps) >= INIT_STEPS, steps
    complete_from = steps.index("workspace.create/db-moved")
    problems = []
    for n, step in enumerate(steps):
        data = tmp_path / f"trial-{n}"
        if not init(data, crash_at=step).killed:
            problems.append(f"{step}: not killed")
            continue
        start = wenze("verify", "--data-dir", data, "--user", ADMIN, stdin=PASSWORD + "\n")
        if leftovers(data):
            problems.append(f"{step}: left after the next start: {leftovers(data)}")
        if n >= complete_from:
            if start.returncode != 0:
                problems.append(f"{step}: the workspace is not complete: {start.stderr.strip()[:300]}")
            if init(data).returncode != 5:
                problems.append(f"{step}: `wenze init` did not refuse the folder")
            continue
        if start.returncode != 4 or Workspace.exists(data) or Workspace.remains(data):
            problems.append(f"{step}: expected no workspace and nothing of one, got {start.returncode}: "
                            f"{start.stderr.strip()[:300]}")
        if step == "workspace.create/keys-saved" and "提示：" not in start.stderr:
            problems.append(f"{step}: the undone creation was not told")
        again = init(data)
        if again.returncode != 0:
            problems.append(f"{step}: `wenze init` could not run again: {again.stderr.strip()[:300]}")
        elif wenze("verify", "--data-dir", data, "--user", ADMIN, stdin=PASSWORD + "\n").returncode != 0:
            problems.append(f"{step}: the workspace made again does not verify")
    assert not problems, "\n".join(problems)
