"""Named steps of the operations that take more than one durable step (restore, backup, export, import, password
changes, calendar years, accounts, documents).

The project's crash campaign (``tests/reliability/``) lists the steps an operation passes through
(``WENZE_CRASH_TRACE=file``) and then kills the process at each one in turn (``WENZE_CRASH_AT=name``), as a power
cut or ``kill -9`` would: no ``finally`` block, no clean-up. Outside that campaign a step costs one lookup.
"""

from __future__ import annotations

import os

KILLED = 137  # the exit status of a process killed by SIGKILL, as a shell reports it


def step(name: str) -> None:
    trace = os.environ.get("WENZE_CRASH_TRACE")
    if trace:
        with open(trace, "a", encoding="utf-8") as fh:
            fh.write(name + "\n")
    if os.environ.get("WENZE_CRASH_AT") == name:
        os._exit(KILLED)
