"""The `wenze` command as scripts (and acceptance checks) drive it: passwords on standard input."""

import hashlib
import os
import re
import subprocess
import sys

import pytest

PASSWORD = "Cli-password-2026"


def wenze(*args: str, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wenze_desktop", *args], input=stdin, capture_output=True,
                          text=True, timeout=120, env={**os.environ, **(env or {})})


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    """One workspace made by `wenze init` with the real (calibrated) key derivation."""
    data_dir = tmp_path_factory.mktemp("cli") / "ws"
    result = wenze("init", "--data-dir", str(data_dir), "--user", "admin", stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    key = re.search(r"RECOVERY KEY: ([A-Z2-7-]+)", result.stdout)
    assert key, result.stdout
    return data_dir, key.group(1)


def test_init_creates_an_encrypted_workspace(ws):
    data_dir, _ = ws
    assert (data_dir / "wenze.db").read_bytes()[:16] != b"SQLite format 3\x00"


def test_init_refuses_an_existing_workspace(ws):
    data_dir, _ = ws
    before = digest(data_dir / "wenze.db"), digest(data_dir / "wenze.keys")
    result = wenze("init", "--data-dir", str(data_dir), "--user", "other", stdin="Another-pass-1\n")
    assert result.returncode != 0 and "已有工作区" in result.stderr
    assert (digest(data_dir / "wenze.db"), digest(data_dir / "wenze.keys")) == before


def test_verify_passes(ws):
    data_dir, _ = ws
    result = wenze("verify", "--data-dir", str(data_dir), "--user", "admin", stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    assert "审计链" in result.stdout and "全部通过" in result.stdout


def test_wrong_password_exit_2_and_file_unchanged(ws):
    data_dir, _ = ws
    before = digest(data_dir / "wenze.db")
    result = wenze("verify", "--data-dir", str(data_dir), "--user", "admin", stdin="not-the-password\n")
    assert result.returncode == 2
    assert "密码错误" in result.stderr
    assert digest(data_dir / "wenze.db") == before


def test_backup_and_restore(ws, tmp_path):
    data_dir, _ = ws
    out = tmp_path / "x.wzbak"
    assert wenze("backup", "--data-dir", str(data_dir), "--user", "admin", "--out", str(out),
                 stdin=PASSWORD + "\n").returncode == 0
    target = tmp_path / "restored"
    result = wenze("restore", "--data-dir", str(target), "--user", "admin", str(out), stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    assert "实例标识" in result.stdout
    assert wenze("verify", "--data-dir", str(target), "--user", "admin", stdin=PASSWORD + "\n").returncode == 0
    again = wenze("restore", "--data-dir", str(target), "--user", "admin", str(out), stdin=PASSWORD + "\n")
    assert again.returncode != 0 and "--replace" in again.stderr


def test_verify_fails_on_a_tampered_audit_chain(ws, tmp_path):
    """Work on a restored copy so the shared workspace stays intact."""
    data_dir, _ = ws
    out, target = tmp_path / "x.wzbak", tmp_path / "copy"
    wenze("backup", "--data-dir", str(data_dir), "--user", "admin", "--out", str(out), stdin=PASSWORD + "\n")
    wenze("restore", "--data-dir", str(target), "--user", "admin", str(out), stdin=PASSWORD + "\n")
    from sqlalchemy import text

    from wenze_desktop.services.auth import login

    ctx = login(target, "admin", PASSWORD)
    with ctx.workspace.engine.begin() as conn:
        conn.execute(text("UPDATE audit_entry SET action = 'nothing.happened' WHERE seq = 1"))
    ctx.workspace.close()
    result = wenze("verify", "--data-dir", str(target), "--user", "admin", stdin=PASSWORD + "\n")
    assert result.returncode == 1 and "[失败] 审计链" in result.stdout


def test_passwd_then_recover(ws, tmp_path):
    data_dir, recovery_key = ws
    out, target = tmp_path / "x.wzbak", tmp_path / "copy"
    wenze("backup", "--data-dir", str(data_dir), "--user", "admin", "--out", str(out), stdin=PASSWORD + "\n")
    wenze("restore", "--data-dir", str(target), "--user", "admin", str(out), stdin=PASSWORD + "\n")
    result = wenze("passwd", "--data-dir", str(target), "--user", "admin", stdin=f"{PASSWORD}\nChanged-pass-77\n")
    assert result.returncode == 0, result.stderr
    assert wenze("verify", "--data-dir", str(target), "--user", "admin", stdin=PASSWORD + "\n").returncode == 2
    assert wenze("verify", "--data-dir", str(target), "--user", "admin",
                 stdin="Changed-pass-77\n").returncode == 0
    result = wenze("recover", "--data-dir", str(target), "--user", "admin",
                   stdin=f"{recovery_key}\nRecovered-pass-88\n")
    assert result.returncode == 0, result.stderr
    assert wenze("verify", "--data-dir", str(target), "--user", "admin",
                 stdin="Recovered-pass-88\n").returncode == 0


def test_selftest_needs_no_workspace_and_no_display(tmp_path):
    env_free = wenze("selftest")
    assert env_free.returncode == 0, env_free.stdout + env_free.stderr
    assert "中文 PDF" in env_free.stdout and "自检通过" in env_free.stdout


def test_missing_workspace_is_explained(tmp_path):
    result = wenze("verify", "--data-dir", str(tmp_path / "none"), "--user", "admin", stdin=PASSWORD + "\n")
    assert result.returncode != 0 and "wenze init" in result.stderr


def test_useradd_and_policy_need_the_right_roles(tmp_path):
    data_dir = str(tmp_path / "ws")
    assert wenze("init", "--data-dir", data_dir, "--user", "admin", stdin=PASSWORD + "\n").returncode == 0
    made = wenze("useradd", "--data-dir", data_dir, "--user", "admin", "--name", "li", "--display-name", "李明",
                 "--roles", "handler", stdin=f"{PASSWORD}\nHandler-pass-1\n")
    assert made.returncode == 0, made.stderr
    refused = wenze("policy", "--data-dir", data_dir, "--user", "li", "--idle-minutes", "50",
                    stdin="Handler-pass-1\n")
    assert refused.returncode == 6 and "没有“修改系统配置”的权限" in refused.stderr
    changed = wenze("policy", "--data-dir", data_dir, "--user", "admin", "--max-failures", "2",
                    stdin=PASSWORD + "\n")
    assert changed.returncode == 0 and "连续失败 2 次" in changed.stdout
    assert wenze("verify", "--data-dir", data_dir, "--user", "li", stdin="bad-password\n").returncode == 2
    locked = wenze("verify", "--data-dir", data_dir, "--user", "li", stdin="bad-password\n")
    assert locked.returncode == 3 and "锁定" in locked.stderr


@pytest.fixture
def quick(tmp_path):
    """A workspace made in-process with the cheap key derivation (for tests that sign in many times)."""
    from wenze_desktop.security.kdf import FAST_TEST_PARAMS
    from wenze_desktop.services.auth import create_workspace

    data_dir = tmp_path / "quick"
    ctx, _ = create_workspace(data_dir, "admin", PASSWORD, params=FAST_TEST_PARAMS)
    return ctx


def test_init_refuses_a_folder_holding_a_replaced_workspace(tmp_path):
    data_dir = tmp_path / "ws"
    kept = data_dir / "backups" / "replaced-20260101-090000" / "wenze.db"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"the old database")
    missing = wenze("verify", "--data-dir", str(data_dir), "--user", "admin", stdin=PASSWORD + "\n")
    assert missing.returncode == 4 and "replaced-20260101-090000" in missing.stderr
    refused = wenze("init", "--data-dir", str(data_dir), "--user", "admin", stdin=PASSWORD + "\n")
    assert refused.returncode == 5, refused.stderr
    assert "replaced-20260101-090000" in refused.stderr and "wenze restore" in refused.stderr
    assert sorted(p.relative_to(data_dir).as_posix() for p in data_dir.rglob("*")) == [
        "backups", "backups/replaced-20260101-090000", "backups/replaced-20260101-090000/wenze.db"]


def test_a_restore_killed_half_way_is_finished_by_the_next_command_which_says_so(quick, tmp_path):
    from wenze_desktop.services.admin import AdminService
    from wenze_desktop.services.cases import CaseService

    data_dir, out = quick.workspace.data_dir, tmp_path / "b.wzbak"
    AdminService(quick).backup(out)
    CaseService(quick).create_case("备份后", "备份之后的案件", "gz2009")
    quick.workspace.close()
    killed = wenze("restore", "--data-dir", str(data_dir), "--user", "admin", "--replace", str(out),
                   stdin=PASSWORD + "\n", env={"WENZE_CRASH_AT": "workspace.restore/aside:wenze.db"})
    assert killed.returncode == 137 and not (data_dir / "wenze.db").exists()
    refused = wenze("init", "--data-dir", str(data_dir), "--user", "admin", stdin=PASSWORD + "\n")
    assert refused.returncode == 5 and "提示：" in refused.stderr and "恢复现已完成" in refused.stderr
    verified = wenze("verify", "--data-dir", str(data_dir), "--user", "admin", stdin=PASSWORD + "\n")
    assert verified.returncode == 0, verified.stderr
    assert "提示" not in verified.stderr  # told once


def test_what_the_sign_in_settled_is_printed(quick):
    from wenze_desktop.services import journal

    with quick.transaction() as s:  # what a killed export leaves
        intent = journal.begin(quick, s, "transfer.export", "package", product=quick.workspace.data_dir / "x.wzpkg")
    intent.alive.release(remove=False)  # as the operating system does when the process dies
    quick.workspace.close()
    result = wenze("verify", "--data-dir", str(quick.workspace.data_dir), "--user", "admin", stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    assert "提示：" in result.stderr and "导出数据包" in result.stderr and "中断" in result.stderr


def test_an_internal_error_does_not_claim_the_workspace_is_unchanged(monkeypatch, capsys):
    from wenze_desktop import cli

    def broken(args, secrets):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "cmd_selftest", broken)
    assert cli.main(["selftest"]) == 70
    err = capsys.readouterr().err
    assert "未被改动" not in err and "可能没有完成" in err and "wenze verify" in err
