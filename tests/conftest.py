"""Shared fixtures. Qt runs offscreen everywhere (set before any Qt import)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from wenze_desktop.security.kdf import FAST_TEST_PARAMS
from wenze_desktop.services.auth import create_workspace

ADMIN = "admin"
ADMIN_PASSWORD = "Admin-密码-2026"


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None):
        self.now = start or datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "ws"


@pytest.fixture
def workspace(data_dir: Path, clock: FakeClock):
    """A fresh workspace (cheap KDF) with the administrator signed in; yields (ctx, recovery_key)."""
    ctx, recovery_key = create_workspace(data_dir, ADMIN, ADMIN_PASSWORD, display_name="管理员",
                                         workspace_name="测试工作区", params=FAST_TEST_PARAMS, clock=clock)
    yield ctx, recovery_key
    _drain_gui_worker()
    ctx.workspace.close()


def _drain_gui_worker() -> None:
    """A GUI test may leave a view refreshing on the database worker: let it finish before the workspace
    closes under it (a read on a closed engine can crash the interpreter)."""
    import sys

    ops = sys.modules.get("wenze_desktop.gui.ops")
    if ops is not None:
        ops.on_worker(lambda: None)


@pytest.fixture
def ctx(workspace):
    return workspace[0]
