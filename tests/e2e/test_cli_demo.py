"""`wenze demo` as a newcomer runs it: one command, then sign in with the printed credentials."""

import json

from tests.e2e.test_cli import wenze
from wenze_desktop.services.demo import DEMO_PASSWORD, DEMO_USERNAME


def test_demo_builds_a_workspace_and_prints_the_credentials(tmp_path):
    data_dir = tmp_path / "demo"
    result = wenze("demo", "--data-dir", str(data_dir), "--today", "2026-11-23")
    assert result.returncode == 0, result.stderr
    assert DEMO_USERNAME in result.stdout and DEMO_PASSWORD in result.stdout
    assert "RECOVERY KEY:" in result.stdout and "[1/" in result.stderr  # progress goes to stderr

    verify = wenze("verify", "--data-dir", str(data_dir), "--user", DEMO_USERNAME, stdin=DEMO_PASSWORD + "\n")
    assert verify.returncode == 0, verify.stderr
    overdue = wenze("deadlines", "--data-dir", str(data_dir), "--user", "clerk", "--overdue", "--today",
                    "2026-11-23", "--json", stdin=DEMO_PASSWORD + "\n")
    assert overdue.returncode == 0, overdue.stderr
    assert len({row["case"] for row in json.loads(overdue.stdout)}) >= 3

    again = wenze("demo", "--data-dir", str(data_dir), "--quiet")
    assert again.returncode != 0 and "已有工作区" in again.stderr
