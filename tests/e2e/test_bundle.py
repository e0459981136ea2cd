"""The PyInstaller one-folder bundle builds and passes its self-test with no display and no Python around it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


@pytest.mark.bundle
def test_bundle_builds_and_selftest_passes(tmp_path):
    dist, work = tmp_path / "dist", tmp_path / "build"
    build = subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                            "--distpath", str(dist), "--workpath", str(work), str(ROOT / "build.spec")],
                           cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert build.returncode == 0, build.stderr[-3000:]
    bundle = dist / "wenze"
    exe = bundle / ("wenze.exe" if sys.platform == "win32" else "wenze")
    assert (bundle / "_internal" / "db" / "migrations" / "versions").is_dir()
    assert list((bundle / "_internal" / "resources" / "fonts").glob("*.tt[fc]")), "no CJK font bundled"
    # Qt's own dialogs in Chinese (gui/app.py loads it): exactly this translation file, no other.
    assert sorted(p.name for p in (bundle / "_internal").rglob("*.qm")) == ["qtbase_zh_CN.qm"]

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    result = subprocess.run([str(exe), "selftest"], capture_output=True, text=True, timeout=120, env=env,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "自检通过" in result.stdout and "中文 PDF（嵌入字体）" in result.stdout
    size_mb = folder_size(bundle) / 2**20
    print(f"bundle size: {size_mb:.0f} MiB")
    assert size_mb < 260, f"bundle grew to {size_mb:.0f} MiB"
