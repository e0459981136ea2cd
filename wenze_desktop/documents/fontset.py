"""The fonts one document is set in: a ReportLab font per role, registered once per process (parsing a 16 MB
TrueType file takes a while) and embedded as a subset in every PDF."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from wenze_desktop.documents.fonts import FontFile, find_fonts, pick

ROLES = ("fangsong", "xbs", "hei", "kai", "song")
ROLE_NAMES = {"fangsong": "正文（仿宋）", "xbs": "标题（小标宋）", "hei": "一级标题（黑体）", "kai": "二级标题（楷体）",
              "song": "页码（宋体）"}
_lock = threading.Lock()
_registered: dict[tuple[str, int], str] = {}


def _register(font: FontFile) -> str:
    key = (str(font.path), font.subfont_index)
    with _lock:
        if key not in _registered:
            name = f"WenzeCJK{len(_registered)}"
            pdfmetrics.registerFont(TTFont(name, str(font.path), subfontIndex=font.subfont_index))
            _registered[key] = name
        return _registered[key]


@dataclass(frozen=True)
class FontSet:
    files: dict[str, FontFile]

    @classmethod
    def find(cls) -> FontSet:
        found = find_fonts()
        return cls({role: pick(found, role) for role in ROLES})

    def name(self, role: str) -> str:
        return _register(self.files[role])

    def families(self) -> list[str]:
        """Which font each role used, for the document register and the UI (e.g. 正文（仿宋）：霞鹜文楷)."""
        return [f"{ROLE_NAMES[r]}：{self.files[r].family}" for r in ROLES]

    def stand_ins(self) -> list[str]:
        """Roles set in a stand-in rather than the organ's official font."""
        return [ROLE_NAMES[r] for r in ROLES if not self.files[r].official]
