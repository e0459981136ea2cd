#!/usr/bin/env bash
# Set up what Wenze Desktop needs on Debian 12 (and Kylin/UOS, which are Debian-based):
#   system packages (installed when run as root; otherwise listed for the administrator), a virtual
#   environment in .venv, and the Python packages from pyproject.toml.
# Usage: scripts/setup.sh run|test     (test also installs the tools for tests, lint and the bundle)
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-run}

# Fonts: open TrueType CJK fonts (the organ's own fonts are used when installed). Qt: the libraries the
# xcb and offscreen platforms load. Tests: Xvfb for screenshots, poppler for PDF checks, binutils for PyInstaller.
apt_run=(fonts-lxgw-wenkai fonts-wqy-microhei libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1
         libdbus-1-3 libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-randr0
         libxcb-render-util0 libxcb-image0 libxcb-xinerama0 libxcb-xkb1)
apt_test=(xvfb poppler-utils binutils age)  # age: an independent reader of our packages
packages=("${apt_run[@]}")
[ "$profile" = test ] && packages+=("${apt_test[@]}")

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "需要 Python 3.11 或更高版本（找到：$("$python" --version 2>&1 || echo 无)）。" >&2
  exit 1
fi
"$python" -c 'import ensurepip, venv' 2>/dev/null || packages+=(python3-venv)

if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      echo "安装系统软件包：${missing[*]}"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
      echo "缺少系统软件包，请让管理员安装：" >&2
      echo "  sudo apt-get install ${missing[*]}" >&2
      exit 1
    fi
  fi
else
  echo "注意：不是 Debian 系统，跳过系统软件包检查（需要中文 TrueType 字体和 Qt 6 的运行库）。" >&2
fi

if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
# Reinstall only when pyproject.toml changed since the last set-up of this profile.
stamp=".venv/.setup-$profile"
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  if [ "$profile" = test ]; then extra=".[dev]"; else extra="."; fi
  .venv/bin/python -m pip install --quiet -e "$extra"
  echo "$want" > "$stamp"
fi
