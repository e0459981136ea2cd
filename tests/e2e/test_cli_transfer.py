"""`wenze keys`, `export` and `import` as an acceptance check or a batch script runs them, and an import killed
half-way (the process dies; the workspace must be as it was)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.conftest import ADMIN_PASSWORD, FakeClock
from tests.e2e.test_cli import wenze
from tests.unit.transfer_helpers import befriend, dump, office, rich_case
from wenze_desktop.services import Workspace

LOGIN = ADMIN_PASSWORD + "\n"


@pytest.fixture
def two(tmp_path):
    """Two offices made with the services (cheap KDF); the CLI then does everything else."""
    a, b = office(tmp_path, "甲县纪委", FakeClock()), office(tmp_path, "乙市纪委", FakeClock())
    numbers = []
    for name in ("张三", "李四"):
        case_id = rich_case(a, name)
        numbers.append(a.cases.get_case(case_id).number)
    a.close()
    b.close()
    return tmp_path / "甲县纪委", tmp_path / "乙市纪委", numbers


def run(command, data_dir, *args, stdin=LOGIN):
    return wenze(command, "--data-dir", str(data_dir), "--user", "admin", *args, stdin=stdin)


def exchange_keys(a_dir, b_dir, tmp_path):
    for src, dst, name in ((a_dir, b_dir, "a.wzkey"), (b_dir, a_dir, "b.wzkey")):
        out = run("keys", src, "export", "--out", str(tmp_path / name))
        assert out.returncode == 0, out.stderr
        assert run("keys", dst, "import", str(tmp_path / name)).returncode == 0
    return tmp_path / "b.wzkey"


def test_keys_export_import_list(two, tmp_path):
    a_dir, b_dir, _ = two
    exchange_keys(a_dir, b_dir, tmp_path)
    listed = run("keys", a_dir, "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].startswith("本单位\t甲县纪委") and lines[1].startswith("可信单位\t乙市纪委")
    qr = run("keys", a_dir, "export", "--qr")
    assert qr.stdout.startswith("WZKEY1|")
    tampered = tmp_path / "bad.wzkey"
    tampered.write_text((tmp_path / "a.wzkey").read_text("utf-8").replace("甲县纪委", "冒名单位"), "utf-8")
    refused = run("keys", b_dir, "import", str(tampered))
    assert refused.returncode == 7 and "签名不符" in refused.stderr


def test_export_dry_run_import_and_reimport(two, tmp_path):
    a_dir, b_dir, numbers = two
    b_key = exchange_keys(a_dir, b_dir, tmp_path)
    pkg = tmp_path / "out.wzpkg"
    out = run("export", a_dir, "--case", *numbers, "--to", str(b_key), "--out", str(pkg))
    assert out.returncode == 0, out.stderr
    assert "2 件" in out.stdout and "乙市纪委" in out.stdout and pkg.exists()

    dry = run("import", b_dir, str(pkg), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.count("\t新增\t") == 2 and "预演（未写入任何内容）" in dry.stdout
    done = run("import", b_dir, str(pkg))
    assert done.returncode == 0, done.stderr
    assert "已导入：新增 2 件" in done.stdout
    again = run("import", b_dir, str(pkg))
    assert "无变化 2 件" in again.stdout
    with Workspace.open(b_dir, "admin", ADMIN_PASSWORD) as b:
        assert [b.cases.get_case(b.cases.id_of(n)).number for n in numbers] == numbers


def test_passphrase_export_and_import(two, tmp_path):
    a_dir, b_dir, numbers = two
    exchange_keys(a_dir, b_dir, tmp_path)
    pkg = tmp_path / "pw.wzpkg"
    phrase = "交换口令-2026"
    out = run("export", a_dir, "--case", numbers[0], "--passphrase-stdin", "--out", str(pkg),
              stdin=f"{ADMIN_PASSWORD}\n{phrase}\n{phrase}\n")
    assert out.returncode == 0, out.stderr
    asked = run("import", b_dir, str(pkg))
    assert asked.returncode == 7 and "--passphrase-stdin" in asked.stderr
    wrong = run("import", b_dir, str(pkg), "--passphrase-stdin", stdin=f"{ADMIN_PASSWORD}\nwrong-phrase\n")
    assert wrong.returncode == 8 and "口令错误" in wrong.stderr
    right = run("import", b_dir, str(pkg), "--passphrase-stdin", stdin=f"{ADMIN_PASSWORD}\n{phrase}\n")
    assert right.returncode == 0 and "新增 1 件" in right.stdout


def test_unknown_sender_is_refused(two, tmp_path):
    a_dir, b_dir, numbers = two
    run("keys", b_dir, "export", "--out", str(tmp_path / "b.wzkey"))
    assert run("keys", a_dir, "import", str(tmp_path / "b.wzkey")).returncode == 0  # 甲 trusts 乙, not back
    pkg = tmp_path / "p.wzpkg"
    assert run("export", a_dir, "--case", numbers[0], "--to", str(tmp_path / "b.wzkey"), "--out", str(pkg)
               ).returncode == 0
    refused = run("import", b_dir, str(pkg))
    assert refused.returncode == 8 and "不在本单位的可信单位名单中" in refused.stderr


def test_an_import_killed_half_way_leaves_the_workspace_as_it_was(tmp_path):
    a = office(tmp_path, "甲县纪委", FakeClock())
    b = office(tmp_path, "乙市纪委", FakeClock())
    b_key = tmp_path / "b.wzkey"
    b_key.write_text(b.keys.export_public()[0], "utf-8")
    a.keys.trust(b_key.read_text("utf-8"))
    b.keys.trust(a.keys.export_public()[0])
    cases = [rich_case(a, f"对象{i}", attachment=os.urandom(2_000_000)) for i in range(12)]
    pkg = a.transfer.export(cases, tmp_path / "big.wzpkg", to="乙市纪委").path
    a.close()
    before = dump(b)
    b.close()

    proc = subprocess.Popen([sys.executable, "-m", "wenze_desktop", "import", "--data-dir", str(tmp_path / "乙市纪委"),
                             "--user", "admin", str(pkg)], stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdin.write(LOGIN)
    proc.stdin.flush()
    seen = []
    for line in proc.stderr:  # importing advances in 10 % steps; kill it in the middle of writing
        seen.append(line)
        if line.startswith("正在导入 50%"):
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "".join(seen)

    b = Workspace.open(tmp_path / "乙市纪委", "admin", ADMIN_PASSWORD)
    try:
        assert dump(b) == before
        assert b.admin.verify().ok
        assert b.transfer.apply(pkg).count("new") == 12  # and the same package then goes in whole
    finally:
        b.close()


def test_an_error_after_the_import_committed_says_what_was_imported(two, tmp_path, monkeypatch, capsys):
    """In process, so that the step after the commit can be made to fail."""
    import io

    from wenze_desktop import cli
    from wenze_desktop.services.context import ServiceContext

    a_dir, b_dir, numbers = two
    with Workspace.open(a_dir, "admin", ADMIN_PASSWORD) as a, Workspace.open(b_dir, "admin", ADMIN_PASSWORD) as b:
        befriend(a, b)
        pkg = a.transfer.export([a.cases.id_of(n) for n in numbers], tmp_path / "p.wzpkg", to="乙市纪委").path

    def broken(_self, _changes):
        raise RuntimeError("通知失败")

    monkeypatch.setattr(ServiceContext, "changed", broken)
    code = cli.main(["import", "--data-dir", str(b_dir), "--user", "admin", str(pkg)],
                    stdin=io.StringIO(LOGIN))
    out, err = capsys.readouterr()
    assert code != 0 and "已导入：新增 2 件" in out and "数据包已导入：新增 2 件" in err and "通知失败" in err
    assert "未被改动" not in err and "未导入" not in err and "Traceback" not in err
    with Workspace.open(b_dir, "admin", ADMIN_PASSWORD) as b:
        assert [b.cases.get_case(b.cases.id_of(n)).number for n in numbers] == numbers
