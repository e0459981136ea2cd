"""The GB/T 9704 layout, read back from the PDF with pdfium: grid, header, seal placement, page numbers, fonts."""

from __future__ import annotations

import ctypes
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as raw
import pytest
from reportlab.lib.units import mm

from wenze_desktop.documents import layout
from wenze_desktop.documents.fonts import FontFile, pick
from wenze_desktop.documents.fontset import FontSet
from wenze_desktop.documents.layout import CHARS, NO_END, NO_START, Layout, wrap
from wenze_desktop.documents.seal_image import demo_seal_png
from wenze_desktop.documents.spec import Colophon, DocumentSpec, Para, Signature

FONTS = FontSet.find()
SEAL = demo_seal_png("测试机关")
ORGAN, DATE = "中共测试市纪律检查委员会", "2026年11月22日"


def spec(body: str | list[Para], *, sealed: bool = True, mark: str = "测试市纪委监委") -> DocumentSpec:
    blocks = tuple(body) if isinstance(body, list) else (Para(body),)
    return DocumentSpec(kind="decision", title="关于对张三同志问责的决定", blocks=blocks, mark=mark,
                        number="测纪问〔2026〕1号", signature=Signature(ORGAN, DATE, sealed),
                        colophon=Colophon("测试市纪委监委办公室", DATE, "测试市委组织部"))


def render(document: DocumentSpec) -> pdfium.PdfDocument:
    return pdfium.PdfDocument(Layout(document, FONTS, SEAL).render())


def page_text(page) -> str:
    return "".join(page.get_textpage().get_text_range().split())


def bounds(obj) -> tuple[float, float, float, float]:
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    raw.FPDFPageObj_GetBounds(obj.raw, left, bottom, right, top)
    return left.value, bottom.value, right.value, top.value


def text_box(page, needle: str) -> tuple[float, float, float, float]:
    textpage = page.get_textpage()
    full = textpage.get_text_range()
    start = full.index(needle)
    boxes = [textpage.get_charbox(i) for i in range(start, start + len(needle)) if not full[i].isspace()]
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def test_lines_hold_28_characters_and_the_first_is_indented_two():
    font = FONTS.name("fangsong")
    lines = wrap("中" * 60, font, layout.BODY, layout.AREA_W, 2 * layout.CHAR)
    assert [len(line) for line in lines] == [CHARS - 2, CHARS, 60 - (CHARS - 2) - CHARS]


def test_closing_punctuation_never_starts_a_line_and_opening_never_ends_one():
    font = FONTS.name("fangsong")
    text = ("问责工作应当坚持依规依纪、实事求是，失责必问、问责必严。" * 6 + "（见附件）《条例》“原文”") * 3
    for indent in range(0, 6):
        lines = wrap(text, font, layout.BODY, layout.AREA_W, indent * layout.CHAR)
        assert "".join(lines) == text
        assert not any(line[0] in NO_START for line in lines[1:])
        assert not any(line[-1] in NO_END for line in lines[:-1])


def test_a4_with_the_red_mark_number_rule_and_title_in_place():
    doc = render(spec("经查，" + "事实" * 30))
    page = doc[0]
    assert page.get_size() == pytest.approx((595.28, 841.89), abs=0.5)
    height = page.get_size()[1]
    mark = text_box(page, "测试市纪委监委")
    assert mark[3] == pytest.approx(height - 37 * mm - 35 * mm, abs=3 * mm), "mark 35 mm below the type area's top"
    red = []
    for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_TEXT]):
        r, g, b, a = (ctypes.c_uint() for _ in range(4))
        raw.FPDFPageObj_GetFillColor(obj.raw, r, g, b, a)
        if r.value > 180 and g.value < 60:
            red.append(bounds(obj))
    assert red and all(box[1] > mark[1] - 2 for box in red), "only the issuing-organ mark is red text"
    number, title = text_box(page, "测纪问〔2026〕1号"), text_box(page, "关于对张三同志问责的决定")
    assert mark[1] > number[3] > title[3]
    centre = 28 * mm + 78 * mm
    for box in (mark, number, title):
        assert (box[0] + box[2]) / 2 == pytest.approx(centre, abs=2 * mm), "centred on the type area"


@pytest.mark.parametrize("chars", range(28 * 6, 28 * 40, 19))
def test_the_seal_presses_on_organ_and_date_and_never_sits_on_a_page_without_text(chars):
    doc = render(spec("甲" * chars))
    sealed_pages = [i for i in range(len(doc))
                    if list(doc[i].get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE]))]
    assert len(sealed_pages) == 1
    page = doc[sealed_pages[0]]
    assert "甲" in page_text(page), "the body's last lines travel with the signature"
    seal = bounds(next(page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE])))
    for needle in (ORGAN, DATE):  # the centre of each (a long organ name is wider than the seal)
        box = text_box(page, needle)
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        assert seal[0] < cx < seal[2] and seal[1] < cy < seal[3], f"the seal covers {needle}"
    date_box = text_box(page, DATE)
    assert (seal[1] + seal[3]) / 2 > (date_box[1] + date_box[3]) / 2, "organ and date sit below the seal's centre"
    assert seal[2] - seal[0] == pytest.approx(42 * mm, abs=0.5 * mm)


def test_the_date_is_four_characters_in_from_the_right():
    page = render(spec("乙" * 40))[0]
    right = text_box(page, DATE)[2]
    assert 28 * mm + 156 * mm - right == pytest.approx(4 * layout.CHAR, abs=4)  # glyph box inside its em


def test_page_numbers_alternate_sides_seven_mm_below_the_type_area():
    doc = render(spec("丙" * 28 * 60))
    assert len(doc) >= 3
    for n in range(1, len(doc) + 1):
        page = doc[n - 1]
        box = text_box(page, f"— {n} —")
        middle = page.get_size()[0] / 2
        assert (box[0] > middle) if n % 2 else (box[2] < middle), f"page {n}"
        bottom_of_area = page.get_size()[1] - 37 * mm - 225 * mm
        assert bottom_of_area - box[3] == pytest.approx(7 * mm, abs=2.5 * mm)


def test_every_font_is_embedded_and_no_base14_font_creeps_in(tmp_path: Path):
    pdf = Layout(spec([Para("一、标题", "h1"), Para("（一）小标题", "h2"), Para("正文 ABC 123")]), FONTS,
                 SEAL).render()
    doc = pdfium.PdfDocument(pdf)
    for i in range(len(doc)):
        for obj in doc[i].get_objects(filter=[raw.FPDF_PAGEOBJ_TEXT]):
            assert raw.FPDFFont_GetIsEmbedded(raw.FPDFTextObj_GetFont(obj.raw))
    assert b"/Helvetica" not in pdf


def test_official_fonts_win_and_the_nearest_open_font_stands_in():
    kai = FontFile("kai", "霞鹜文楷", Path("k.ttf"))
    hei = FontFile("hei", "文泉驿微米黑", Path("h.ttc"))
    fangsong = FontFile("fangsong", "仿宋_GB2312", Path("f.ttf"), official=True)
    xbs = FontFile("xbs", "方正小标宋", Path("x.ttf"), official=True)
    assert pick([fangsong, kai, hei], "fangsong") is fangsong
    assert pick([kai, hei], "fangsong") is kai, "楷 is nearest to 仿宋"
    assert pick([kai, hei], "xbs") is hei, "a heavy 黑 stands in for 小标宋"
    assert pick([xbs, kai, hei], "xbs") is xbs
    with pytest.raises(FileNotFoundError, match="字体"):
        pick([], "fangsong")


def test_the_colophon_sits_at_the_foot_of_the_last_page():
    doc = render(spec("丁" * 200))
    last = doc[len(doc) - 1]
    box = text_box(last, "抄送：测试市委组织部")
    area_bottom = last.get_size()[1] - 37 * mm - 225 * mm
    assert box[1] - area_bottom < 2 * layout.PITCH
    assert "印发" in page_text(last)


def test_the_verification_qr_code_is_a_pattern_opposite_the_page_number():
    document = DocumentSpec(**{**spec("戊" * 50).__dict__, "verification_code": "ABCD-EFGH-JKMN",
                               "qr_payload": "WZDOC|test|测纪问〔2026〕1号|ABCD-EFGH-JKMN"})
    page = pdfium.PdfDocument(Layout(document, FONTS, SEAL).render())[0]
    scale = 4
    image = page.render(scale=scale).to_pil().convert("L")
    size = 16 * mm
    left, top = 28 * mm, 37 * mm + 225 * mm + 4 * mm   # from the page's top-left; page one: code left, number right
    box = image.crop((int(left * scale), int(top * scale), int((left + size) * scale), int((top + size) * scale)))
    dark = sum(1 for v in box.tobytes() if v < 100) / (box.width * box.height)
    assert 0.3 < dark < 0.7, f"a QR code is about half dark, not a block or a blank ({dark:.2f})"
    assert "ABCD-EFGH-JKMN" in page_text(page)
