"""Who has a workspace open: one lock file per open workspace (a window, a command), ``.session-<id>.lock`` in the
data folder, held from ``Workspace.attach`` to ``close`` (the operating system lets go when its process dies).

A restore replaces the files under every open connection; it refuses while any of these is held. A new session
looks for a restore journal only once its own lock is held, and a restore counts the sessions only once its
journal is written: whichever comes second sees the other (storage/recovery.py).
"""

from __future__ import annotations

import contextlib
import secrets
import time
from pathlib import Path

from wenze_desktop.errors import WorkspaceBusy
from wenze_desktop.storage.filelock import Held

SESSION_PREFIX = ".session-"
SESSION_GLOB = f"{SESSION_PREFIX}*.lock"
BUSY_MESSAGE = "工作区正被其他窗口或命令使用（{count} 个），请先关闭它们再恢复。未做任何改动。"


def open_session(data_dir: Path) -> Held:
    """Hold a fresh session lock in ``data_dir`` until ``release``."""
    for _ in range(100):
        held = Held.take(Path(data_dir) / f"{SESSION_PREFIX}{secrets.token_hex(8)}.lock")
        if held is not None:
            return held
        # Another program sweeping killed sessions held this new file for an instant: take another name.
    raise WorkspaceBusy(f"无法在 {data_dir} 中登记本窗口的使用（另一个程序一直占用），请稍后再试。")


def count_open(data_dir: Path) -> int:
    """How many sessions of ``data_dir`` are open (in any program, this one included); the lock files of killed
    processes are removed on the way."""
    count = 0
    for path in Path(data_dir).glob(SESSION_GLOB):
        try:
            held = Held.take(path)
        except FileNotFoundError:
            continue  # the folder itself went away
        except OSError:
            count += 1  # cannot tell: count it rather than replace files under it
            continue
        if held is None:
            count += 1
        else:
            held.release()  # nobody had it: a killed process's
    return count


def sweep(data_dir: Path) -> None:
    """Remove the session locks of killed processes."""
    with contextlib.suppress(OSError):
        count_open(data_dir)


def refuse_if_open(data_dir: Path, message: str = BUSY_MESSAGE) -> None:
    """Raise ``WorkspaceBusy`` (``message`` with the count) while any session of ``data_dir`` is open."""
    for attempt in range(3):
        count = count_open(data_dir)
        if not count:
            return
        # A program sweeping a killed session's file holds it for an instant: look again before refusing.
        time.sleep(0.05 * (attempt + 1))
    raise WorkspaceBusy(message.format(count=count))
