"""A template workspace for the crash campaign: made once, copied per trial."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.harness import ADMIN, PASSWORD, copy_workspace
from wenze_desktop.security.kdf import FAST_TEST_PARAMS
from wenze_desktop.services.auth import create_workspace


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("template") / "ws"
    ctx, _ = create_workspace(data_dir, ADMIN, PASSWORD, display_name="管理员", workspace_name="演练工作区",
                              params=FAST_TEST_PARAMS)
    ctx.workspace.close()
    return data_dir


@pytest.fixture
def ws(template, tmp_path) -> Path:
    """A fresh copy of the template workspace for one trial."""
    return copy_workspace(template, tmp_path / "ws")
