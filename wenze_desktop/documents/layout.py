"""GB/T 9704-2012 on a ReportLab canvas: the 156 × 225 mm type area as a 22-line × 28-character grid, the red
issuing-organ mark and rule, 2号 title, 3号 body, signature with the seal pressing on organ and date, colophon and
"— 1 —" page numbers alternating sides.

Text is set line by line on the grid (CJK needs no hyphenation, and the standard counts characters per line), with
the usual line-breaking rules: closing punctuation never starts a line, opening brackets never end one.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from reportlab import rl_config
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Rect
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from wenze_desktop.documents.fontset import FontSet
from wenze_desktop.documents.spec import DocumentSpec, FieldTable, Para

# Binary (Flate) image streams, not ASCII85: a third smaller, and ReportLab's pure-Python encoder is slow.
rl_config.useA85 = 0

PAGE_W, PAGE_H = A4
LEFT, TOP = 28 * mm, 37 * mm
AREA_W, AREA_H = 156 * mm, 225 * mm
LINES, CHARS = 22, 28
PITCH = AREA_H / LINES            # 10.23 mm: one line of the grid
CHAR = AREA_W / CHARS             # 5.57 mm: one character of the grid
BODY, TITLE, SMALL = 16.0, 22.0, 14.0  # 3号, 2号, 4号
MARK_MAX = 40.0
SEAL_MM = 42.0
RED = Color(0.86, 0.08, 0.12)
NO_START = set("，。、；：？！）》〉」』】〕”’…—·%,.;:?!)]}")
NO_END = set("（《〈「『【〔“‘([{")
AREA_TOP = PAGE_H - TOP           # the type area's top edge in PDF coordinates
AREA_BOTTOM = AREA_TOP - AREA_H


@dataclass
class Box:
    """One item of the flow: a height, a drawing routine given the top of the box, and keep-with-next."""

    height: float
    draw: Callable[[Canvas, float], None]
    keep: bool = False


def wrap(text: str, font: str, size: float, width: float, indent: float = 0.0) -> list[str]:
    """Break ``text`` into lines that fit ``width`` on the character grid (first line indented by ``indent``)."""
    spacing = CHAR * size / BODY - size
    lines: list[str] = []
    line, used, avail = "", 0.0, width - indent
    for ch in text:
        w = stringWidth(ch, font, size) + spacing
        if line and used + w > avail + 0.01 and ch not in NO_START:
            carry = ""
            while line and line[-1] in NO_END:  # an opening bracket goes down with what it opens
                carry, line = line[-1] + carry, line[:-1]
            lines.append(line)
            line, used, avail = carry, sum(stringWidth(c, font, size) + spacing for c in carry), width
        line += ch
        used += w
    lines.append(line)
    return lines


def draw_line(c: Canvas, text: str, font: str, size: float, x: float, baseline: float, width: float | None,
              color=black, scale: float = 100.0) -> None:
    """Draw one line; with ``width`` the characters are spread (or squeezed) to fill it exactly."""
    natural = stringWidth(text, font, size)
    grid = CHAR * size / BODY - size
    spacing = (width - natural) / (len(text) - 1) if width is not None and len(text) > 1 else grid
    t = c.beginText(x, baseline)
    t.setFont(font, size)
    t.setCharSpace(spacing)
    t.setHorizScale(scale)
    t.setFillColor(color)
    t.textOut(text)
    c.drawText(t)


def line_width(text: str, font: str, size: float) -> float:
    return stringWidth(text, font, size) + max(len(text) - 1, 0) * (CHAR * size / BODY - size)


def draw_qr(c: Canvas, payload: str, x: float, y: float, size: float) -> None:
    """The QR code as filled rectangles straight on the canvas (a Drawing would bring in an unembedded font)."""
    widget = QrCodeWidget(payload, barLevel="M", barBorder=0, barWidth=size, barHeight=size)
    c.setFillColor(black)
    stack = [widget.draw()]
    while stack:
        for shape in stack.pop().contents:
            if isinstance(shape, Rect) and shape.fillColor == black:  # skip the white background
                c.rect(x + shape.x, y + shape.y, shape.width, shape.height, stroke=0, fill=1)
            elif hasattr(shape, "contents"):
                stack.append(shape)


def baseline_in(top: float, height: float, size: float) -> float:
    """The baseline that centres CJK glyphs of ``size`` in a line box whose top edge is at ``top``."""
    return top - height / 2 - 0.35 * size


class Layout:
    def __init__(self, spec: DocumentSpec, fonts: FontSet, seal_png: bytes | None = None) -> None:
        self.spec, self.fonts, self.seal_png = spec, fonts, seal_png

    # -- flow --------------------------------------------------------------------------------------------------------

    def text_boxes(self, text: str, role: str, size: float, align: str = "left", indent_chars: float = 0,
                   height: float = PITCH, color=black, keep_last: bool = False,
                   keep_all: bool = False) -> list[Box]:
        font = self.fonts.name(role)
        indent = indent_chars * CHAR
        lines = wrap(text, font, size, AREA_W, indent)
        boxes = []
        for i, line in enumerate(lines):
            last = i == len(lines) - 1
            x0 = LEFT + (indent if i == 0 else 0)
            justify = AREA_W - (indent if i == 0 else 0) if not last and align == "left" else None
            if align == "center":
                x0 = LEFT + (AREA_W - line_width(line, font, size)) / 2
            elif align == "right":
                x0 = LEFT + AREA_W - line_width(line, font, size)

            def draw(c, top, line=line, x0=x0, justify=justify):
                draw_line(c, line, font, size, x0, baseline_in(top, height, size), justify, color)

            boxes.append(Box(height, draw, keep=keep_all or (keep_last and last)))
        return boxes

    def para_boxes(self, para: Para) -> list[Box]:
        role = {"h1": "hei", "h2": "kai"}.get(para.style, "fangsong")
        indent = 2 if para.style in ("body", "h1", "h2") else 0
        align = para.style if para.style in ("center", "right") else "left"
        boxes = self.text_boxes(para.text, role, BODY, align, indent)
        if para.style in ("h1", "h2"):
            boxes[-1].keep = True  # a heading stays with the first line under it
        return boxes

    def table_boxes(self, table: FieldTable) -> list[Box]:
        font, label_w = self.fonts.name("fangsong"), 7 * CHAR
        boxes = []
        for label, value in table.rows:
            value_lines = wrap(value, font, BODY, AREA_W - label_w - CHAR) if value else [""]
            rows = max(table.min_lines, len(value_lines))
            height = rows * PITCH

            def draw(c, top, label=label, value_lines=value_lines, height=height):
                c.setLineWidth(0.8)
                c.rect(LEFT, top - height, AREA_W, height)
                c.line(LEFT + label_w, top, LEFT + label_w, top - height)
                label_font = self.fonts.name("hei")
                lw = line_width(label, label_font, BODY)
                draw_line(c, label, label_font, BODY, LEFT + (label_w - lw) / 2,
                          baseline_in(top - (height - PITCH) / 2, PITCH, BODY), None)
                for i, text in enumerate(value_lines):
                    draw_line(c, text, font, BODY, LEFT + label_w + CHAR / 2,
                              baseline_in(top - i * PITCH, PITCH, BODY), None)

            boxes.append(Box(height, draw))
        return boxes

    def signature_boxes(self) -> list[Box]:
        sig = self.spec.signature
        if sig is None:
            return []
        font = self.fonts.name("fangsong")
        date_w = line_width(sig.date, font, BODY)
        date_x = LEFT + AREA_W - 4 * CHAR - date_w                      # 成文日期右空四字
        centre = date_x + date_w / 2
        organ_w = line_width(sig.organ, font, BODY)
        organ_x = max(LEFT, min(centre - organ_w / 2, LEFT + AREA_W - organ_w))  # 署名以成文日期为准居中
        blank = Box(PITCH, lambda c, top: None, keep=True)

        def organ(c, top):
            draw_line(c, sig.organ, font, BODY, organ_x, baseline_in(top, PITCH, BODY), None)

        def date_line(c, top):
            draw_line(c, sig.date, font, BODY, date_x, baseline_in(top, PITCH, BODY), None)
            if sig.sealed and self.seal_png:
                self.draw_seal(c, centre, top)

        lead = [blank, Box(PITCH, lambda c, top: None, keep=True)] if sig.sealed else [blank]
        return [*lead, Box(PITCH, organ, keep=True), Box(PITCH, date_line)]

    def draw_seal(self, c: Canvas, centre_x: float, date_top: float) -> None:
        """Upright, pressing on organ and date so that they sit just below its centre (GB/T 9704 7.3.5.1)."""
        image = ImageReader(io.BytesIO(self.seal_png))
        iw, ih = image.getSize()
        w = SEAL_MM * mm
        h = w * ih / iw
        middle = date_top + PITCH * 0.3   # organ and date lines' common edge, raised a little
        c.drawImage(image, centre_x - w / 2, middle - h / 2, w, h, mask="auto")

    def flow(self) -> list[Box]:
        spec = self.spec
        boxes: list[Box] = []
        if spec.title:
            boxes += self.text_boxes(spec.title, "xbs", TITLE, "center", height=PITCH * 1.25, keep_all=True)
            if not spec.mark and spec.number:
                boxes += self.text_boxes(f"编号：{spec.number}", "fangsong", BODY, "center")
            boxes.append(Box(PITCH, lambda c, top: None, keep=True))   # 标题下空一行
        if spec.addressee:
            boxes += self.text_boxes(spec.addressee, "fangsong", BODY)
        for block in spec.blocks:
            boxes += self.table_boxes(block) if isinstance(block, FieldTable) else self.para_boxes(block)
        body_end = len(boxes)
        sign = self.signature_boxes()
        for text in spec.signing_lines:
            sign = [*sign, Box(PITCH, lambda c, top: None, keep=True), *self.text_boxes(text, "fangsong", BODY)]
        if sign:
            # The seal never lands on a page without text: the last two body lines travel with the signature.
            for box in boxes[max(0, body_end - 2):body_end]:
                box.keep = True
        return boxes + sign

    # -- pages -------------------------------------------------------------------------------------------------------

    def header_height(self) -> float:
        """Draw nothing; how far below the type area's top the first flow line starts on page one."""
        if not self.spec.mark:
            return 0.0
        mark_bottom = 35 * mm + MARK_MAX * 0.9
        rule = mark_bottom + 2 * PITCH + 4 * mm + 0.5 * PITCH
        return -(-(rule + 2 * PITCH) // PITCH) * PITCH   # 红线下空二行, on the grid

    def draw_header(self, c: Canvas) -> None:
        spec = self.spec
        font = self.fonts.name("xbs")
        size, scale = MARK_MAX, 100.0
        width = line_width(spec.mark, font, size)
        if width > AREA_W:
            scale = max(60.0, AREA_W / width * 100)
            size = size * min(1.0, AREA_W / (width * scale / 100))
            width = line_width(spec.mark, font, size) * scale / 100
        top = AREA_TOP - 35 * mm
        draw_line(c, spec.mark, font, size, LEFT + (AREA_W - width) / 2, top - size * 0.88, None, RED, scale)
        number_top = top - MARK_MAX * 0.9 - 2 * PITCH
        number_font = self.fonts.name("fangsong")
        if spec.number:
            nw = line_width(spec.number, number_font, BODY)
            draw_line(c, spec.number, number_font, BODY, LEFT + (AREA_W - nw) / 2, baseline_in(number_top, PITCH, BODY),
                      None)
        rule_y = number_top - PITCH / 2 - 0.35 * BODY - 4 * mm
        c.setStrokeColor(RED)
        c.setLineWidth(1.2)
        c.line(LEFT, rule_y, LEFT + AREA_W, rule_y)
        c.setStrokeColor(black)

    def paginate(self, boxes: list[Box], first_offset: float) -> list[list[tuple[Box, float]]]:
        """Place boxes on pages (offsets from the type area's top), moving keep-together runs as a whole."""
        pages: list[list[tuple[Box, float]]] = [[]]
        y, i = first_offset, 0
        while i < len(boxes):
            j, run = i, boxes[i].height
            while boxes[j].keep and j + 1 < len(boxes):   # the run i..j must stay on one page
                j += 1
                run += boxes[j].height
            if y + run > AREA_H + 0.1 and pages[-1] and run <= AREA_H:
                pages.append([])
                y = 0.0
            for box in boxes[i:j + 1]:
                if y + box.height > AREA_H + 0.1:   # a run longer than a page breaks anyway
                    pages.append([])
                    y = 0.0
                pages[-1].append((box, y))
                y += box.height
            i = j + 1
        self._last_y = y
        return pages

    def colophon_height(self) -> float:
        return 2 * PITCH if self.spec.colophon and self.spec.colophon.cc else PITCH if self.spec.colophon else 0.0

    def draw_colophon(self, c: Canvas) -> None:
        col = self.spec.colophon
        font = self.fonts.name("fangsong")
        rows = ([f"抄送：{col.cc}"] if col.cc else []) + [None]
        y = AREA_BOTTOM + len(rows) * PITCH
        c.setLineWidth(1.0)
        c.line(LEFT, y, LEFT + AREA_W, y)
        for row in rows:
            if row is None:
                printed = f"{col.printed}印发"
                draw_line(c, col.printer, font, SMALL, LEFT + CHAR, baseline_in(y, PITCH, SMALL), None)
                pw = line_width(printed, font, SMALL)
                draw_line(c, printed, font, SMALL, LEFT + AREA_W - CHAR - pw, baseline_in(y, PITCH, SMALL), None)
            else:
                draw_line(c, row, font, SMALL, LEFT + CHAR, baseline_in(y, PITCH, SMALL), None)
            y -= PITCH
            c.setLineWidth(1.0 if y <= AREA_BOTTOM + 0.1 else 0.7)
            c.line(LEFT, y, LEFT + AREA_W, y)

    def draw_page_number(self, c: Canvas, number: int) -> None:
        font = self.fonts.name("song")
        text = f"— {number} —"
        w = line_width(text, font, SMALL)
        x = LEFT + AREA_W - CHAR - w if number % 2 else LEFT + CHAR   # 单页居右、双页居左，各空一字
        draw_line(c, text, font, SMALL, x, AREA_BOTTOM - 7 * mm - SMALL * 0.8, None)

    def draw_verification(self, c: Canvas, number: int) -> None:
        spec = self.spec
        size = 16 * mm
        x = LEFT if number % 2 else LEFT + AREA_W - size      # opposite the page number
        y = AREA_BOTTOM - 4 * mm - size
        draw_qr(c, spec.qr_payload or spec.verification_code, x, y, size)
        label = f"核验码 {spec.verification_code}"
        font = self.fonts.name("song")
        lw = line_width(label, font, 8)
        tx = x + size + 2 * mm if number % 2 else x - 2 * mm - lw
        draw_line(c, label, font, 8, tx, y + size / 2 - 3, None)

    def draw_watermark(self, c: Canvas) -> None:
        c.saveState()
        c.setFillColor(Color(0.6, 0.6, 0.6, alpha=0.25))
        c.translate(PAGE_W / 2, PAGE_H / 2)
        c.rotate(35)
        c.setFont(self.fonts.name("hei"), 72)
        c.drawCentredString(0, 0, self.spec.watermark)
        c.restoreState()

    def render(self) -> bytes:
        spec = self.spec
        buffer = io.BytesIO()
        # The initial font is ours: otherwise every page names Helvetica, which is never embedded.
        c = Canvas(buffer, pagesize=A4, pageCompression=1, invariant=1, initialFontName=self.fonts.name("fangsong"),
                   initialFontSize=BODY)
        c.setTitle(spec.title)
        c.setAuthor(spec.author)
        # ASCII, so that verification finds the code in the raw file even when the rest has been altered
        c.setSubject(spec.kind + (f" wenze-verify:{spec.verification_code}" if spec.verification_code else ""))
        c.setKeywords(list(spec.keywords))
        c.setCreator("问责案件办理系统 Wenze Desktop")
        pages = self.paginate(self.flow(), self.header_height())
        if spec.colophon and self._last_y + self.colophon_height() > AREA_H + 0.1:
            pages.append([])   # the colophon sits at the foot of the last page; it needs a page of its own
        for n, placed in enumerate(pages, start=1):
            if n == 1 and spec.mark:
                self.draw_header(c)
            for box, offset in placed:
                box.draw(c, AREA_TOP - offset)
            self.draw_page_number(c, n)
            if n == len(pages):
                if spec.colophon:
                    self.draw_colophon(c)
                if spec.verification_code:
                    self.draw_verification(c, n)
            if spec.watermark:
                self.draw_watermark(c)
            c.showPage()
        c.save()
        return buffer.getvalue()
