"""Finding Chinese TrueType fonts: the organ's installed official fonts first, then the open fonts we ship.

ReportLab embeds only TrueType (glyf) outlines, so CFF/OTF fonts (Noto CJK, Source Han) are not candidates.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from wenze_desktop.paths import resources_dir


@dataclass(frozen=True)
class FontFile:
    role: str          # "fangsong", "xbs" (小标宋), "song", "hei", "kai"
    family: str        # a name for humans (shown in the UI and the document log)
    path: Path
    subfont_index: int = 0
    official: bool = False


def _windows_fonts() -> Path:
    return Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"


# (role, family, file names to look for, official?) in order of preference.
CANDIDATES: list[tuple[str, str, tuple[str, ...], bool]] = [
    ("fangsong", "仿宋_GB2312", ("仿宋_GB2312.ttf", "FangSong_GB2312.ttf", "fsgb2312.ttf"), True),
    ("fangsong", "仿宋 (SimFang)", ("simfang.ttf", "SIMFANG.TTF"), True),
    ("xbs", "方正小标宋", ("方正小标宋简体.ttf", "FZXBSJW.TTF", "fzxbsjw.ttf"), True),
    ("song", "宋体 (SimSun)", ("simsun.ttc", "SIMSUN.TTC"), True),
    ("hei", "黑体 (SimHei)", ("simhei.ttf", "SIMHEI.TTF"), True),
    ("kai", "楷体 (SimKai)", ("simkai.ttf", "SIMKAI.TTF"), True),
    ("kai", "霞鹜文楷 (LXGW WenKai)", ("LXGWWenKai-Regular.ttf",), False),
    ("hei", "文泉驿微米黑 (WenQuanYi Micro Hei)", ("wqy-microhei.ttc",), False),
    ("song", "AR PL 宋体 (gbsn00lp)", ("gbsn00lp.ttf",), False),
    ("kai", "AR PL 楷体 (gkai00mp)", ("gkai00mp.ttf",), False),
]


def search_dirs() -> list[Path]:
    dirs = [resources_dir() / "fonts"]
    if getattr(sys, "frozen", False):
        dirs.insert(0, Path(getattr(sys, "_MEIPASS", ".")) / "fonts")
    if sys.platform == "win32":
        dirs.insert(0, _windows_fonts())
        dirs.insert(1, Path(os.environ.get("LOCALAPPDATA", "")) / "Microsoft" / "Windows" / "Fonts")
    else:
        dirs += [Path.home() / ".local/share/fonts", Path.home() / ".fonts", Path("/usr/local/share/fonts"),
                 Path("/usr/share/fonts")]
    return dirs


def find_fonts(dirs: list[Path] | None = None) -> list[FontFile]:
    """Every candidate present, in order of preference (official fonts first)."""
    by_name: dict[str, Path] = {}
    for folder in dirs or search_dirs():
        if not folder.is_dir():
            continue
        for root, _subdirs, files in os.walk(folder):
            for name in files:
                by_name.setdefault(name.lower(), Path(root) / name)
    found = []
    for role, family, names, official in CANDIDATES:
        for name in names:
            path = by_name.get(name.lower())
            if path is not None:
                found.append(FontFile(role, family, path, 0, official))
                break
    return sorted(found, key=lambda f: not f.official)


# What stands in for a style that is missing, nearest look first: body 仿宋 → 楷; title 小标宋 → 黑 (a heavy face).
ROLE_CHAINS: dict[str, tuple[str, ...]] = {
    "fangsong": ("fangsong", "kai", "song", "hei"),
    "xbs": ("xbs", "hei", "song", "kai", "fangsong"),
    "hei": ("hei", "xbs", "song", "kai", "fangsong"),
    "kai": ("kai", "fangsong", "song", "hei"),
    "song": ("song", "fangsong", "kai", "hei"),
}

NO_FONT = ("没有找到可嵌入的中文 TrueType 字体。请安装 fonts-lxgw-wenkai 或 fonts-wqy-microhei（Linux），"
           "或使用自带字体的安装包。")


def pick(fonts: list[FontFile], role: str) -> FontFile:
    """The font for a role from those found: the role's own, else the nearest stand-in, else any."""
    if not fonts:
        raise FileNotFoundError(NO_FONT)
    for wanted in ROLE_CHAINS.get(role, (role,)):
        for font in fonts:
            if font.role == wanted:
                return font
    return fonts[0]


def best_font(role: str | None = None) -> FontFile:
    """The preferred font for a role (any CJK font if none of that role is present)."""
    fonts = find_fonts()
    return pick(fonts, role) if role else pick(fonts, fonts[0].role if fonts else "")
