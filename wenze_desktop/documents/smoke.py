"""A one-page Chinese PDF with an embedded font: the smallest proof that document output works here."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from wenze_desktop.documents.fonts import FontFile, best_font


def register(font: FontFile, name: str = "WenzeCJK") -> str:
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(font.path), subfontIndex=font.subfont_index))
    return name


def render_sample(text: str) -> tuple[bytes, FontFile]:
    font = best_font("fangsong")
    name = register(font)
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    page.setTitle("自检")
    page.setFont(name, 16)
    page.drawString(28 * mm, A4[1] - 37 * mm - 16, text)
    page.showPage()
    page.save()
    return buffer.getvalue(), font
