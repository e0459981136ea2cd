"""Register the shipped CJK font with Qt so that Chinese never shows as boxes on a bare machine."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from wenze_desktop.documents.fonts import find_fonts

UI_FONT_ROLES = ("hei", "song", "kai", "fangsong")  # a sans face reads best on screen


def register_cjk_font(app: QApplication) -> str | None:
    """Load the best CJK font file into Qt and make it the application font; returns its family."""
    fonts = sorted(find_fonts(), key=lambda f: UI_FONT_ROLES.index(f.role) if f.role in UI_FONT_ROLES else 9)
    for font in fonts:
        font_id = QFontDatabase.addApplicationFont(str(font.path))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        if families:
            current = app.font()
            chosen = QFont(families[0], max(current.pointSize(), 10))
            app.setFont(chosen)
            return families[0]
    return None
