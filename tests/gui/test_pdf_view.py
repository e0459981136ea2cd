"""Preview, print and save an issued PDF from memory: pages, zoom, 1:1 A4 printing, atomic save, bad input."""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen import canvas

from wenze_desktop.errors import WenzeError
from wenze_desktop.gui import pdf_view
from wenze_desktop.gui.pdf_view import PdfPreviewDialog, load_pdf, print_pdf, render_page_images

A4_PT = (595.0, 842.0)
BOX = (100, 600, 200, 100)  # x, y (from the bottom), width, height in points: the black box on every page


def two_page_pdf() -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for number in (1, 2):
        pdf.setFont("Helvetica", 14)
        pdf.drawString(72, 770, f"Test document, page {number}")
        pdf.rect(*BOX, stroke=0, fill=1)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def dark_in_box(page: pdfium.PdfPage) -> float:
    """Share of dark pixels inside the box, rendered at 72 dpi (1 px = 1 pt)."""
    image = page.render(scale=1, grayscale=True).to_pil()
    x, y, width, height = BOX
    top = round(page.get_height()) - (y + height)
    histogram = image.crop((x + 5, top + 5, x + width - 5, top + height - 5)).histogram()
    return sum(histogram[:64]) / sum(histogram)


def pages_in(path: Path) -> int:
    doc = pdfium.PdfDocument(path.read_bytes())
    try:
        return len(doc)
    finally:
        doc.close()


@pytest.fixture
def pdf() -> bytes:
    return two_page_pdf()


@pytest.fixture
def dialog(qtbot, pdf):
    view = PdfPreviewDialog(pdf, "预览：询问通知书", suggested_name="询问通知书.pdf", note="预览（未编号、未盖章）")
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    return view


def pdf_printer(path: Path) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    return printer


def test_dialog_shows_every_page_the_note_and_the_page_indicator(dialog, qtbot):
    assert dialog.page_count == 2
    assert all(not label.pixmap().isNull() for label in dialog.page_widgets)
    assert dialog.note_label.isVisible() and dialog.note_label.text() == "预览（未编号、未盖章）"
    assert dialog.page_label.text().strip() == "第 1 / 2 页"
    bar = dialog.scroll.verticalScrollBar()
    bar.setValue(bar.maximum())
    assert dialog.current_page() == 2 and dialog.page_label.text().strip() == "第 2 / 2 页"


def test_zoom_renders_larger_pages_and_stays_within_bounds(dialog, qtbot):
    dialog.set_zoom(1.0)  # opened scaled to the screen's width (at most 100 %)
    before = dialog.page_widgets[0].pixmap().deviceIndependentSize()
    assert dialog.zoom() == 1.0 and before.width() == pytest.approx(A4_PT[0] / 72 * 96, abs=2)  # 100 % = print size
    dialog.zoom_in_action.trigger()
    after = dialog.page_widgets[0].pixmap().deviceIndependentSize()
    assert dialog.zoom() == pytest.approx(1.25) and after.width() > before.width() * 1.2
    dialog.zoom_out_action.trigger()
    assert dialog.zoom() == pytest.approx(1.0)
    assert dialog.page_widgets[0].pixmap().deviceIndependentSize() == before
    dialog.set_zoom(100)
    assert dialog.zoom() == pdf_view.ZOOM_MAX and not dialog.zoom_in_action.isEnabled()
    dialog.set_zoom(0)
    assert dialog.zoom() == pdf_view.ZOOM_MIN and not dialog.zoom_out_action.isEnabled()


def test_zoom_shortcuts(dialog, qtbot):
    dialog.activateWindow()
    qtbot.waitActive(dialog)
    dialog.set_zoom(1.0)
    qtbot.keyClick(dialog, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert dialog.zoom() == pytest.approx(1.25)
    qtbot.keyClick(dialog, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert dialog.zoom() == pytest.approx(1.0)


def test_zoom_keeps_the_place_in_the_document(dialog, qtbot):
    bar = dialog.scroll.verticalScrollBar()
    bar.setValue(bar.maximum())
    dialog.set_zoom(0.5)
    qtbot.waitUntil(lambda: dialog._keep_fraction is None)
    dialog.set_zoom(2.0)
    qtbot.waitUntil(lambda: dialog._keep_fraction is None)
    assert bar.value() == bar.maximum() > 0 and dialog.page_label.text().strip() == "第 2 / 2 页"


def test_fit_width_fills_the_view(dialog):
    dialog.resize(1200, 800)
    dialog.fit_width_action.trigger()
    page = dialog.page_widgets[0].pixmap().deviceIndependentSize()
    assert dialog.scroll.viewport().width() - 2 * pdf_view.PAGE_GAP - 2 - 1 <= page.width() \
        <= dialog.scroll.viewport().width()


def test_render_page_images_gives_one_image_per_page_at_the_resolution(pdf):
    images = render_page_images(pdf, 144)
    assert len(images) == 2
    assert abs(images[0].width() - A4_PT[0] * 2) <= 2 and abs(images[0].height() - A4_PT[1] * 2) <= 2
    x, y, width, height = BOX
    assert images[1].pixelColor(2 * (x + width // 2), 2 * (842 - y - height // 2)).lightness() < 30


def test_print_pdf_prints_every_page_on_a4_one_to_one(pdf, tmp_path):
    out = tmp_path / "printed.pdf"
    printer = pdf_printer(out)
    assert print_pdf(printer, pdf) == 2
    printed = pdfium.PdfDocument(out.read_bytes())
    try:
        assert len(printed) == 2
        for index in range(2):
            width, height = printed[index].get_size()
            assert abs(width - A4_PT[0]) <= 2 and abs(height - A4_PT[1]) <= 2
            assert dark_in_box(printed[index]) > 0.9  # the box is where the original has it: not blank, not shifted
    finally:
        printed.close()


def test_print_pdf_gives_each_page_its_own_orientation(tmp_path):
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.drawString(72, 770, "portrait")
    pdf.showPage()
    pdf.setPageSize(landscape(A4))
    pdf.drawString(72, 500, "landscape")
    pdf.showPage()
    pdf.save()
    out = tmp_path / "mixed.pdf"
    assert print_pdf(pdf_printer(out), buffer.getvalue()) == 2
    printed = pdfium.PdfDocument(out.read_bytes())
    try:
        sizes = [printed[index].get_size() for index in range(2)]
    finally:
        printed.close()
    assert [tuple(round(v) for v in size) for size in sizes] == [(595, 842), (842, 595)]


def test_print_pdf_honours_the_page_range(pdf, tmp_path):
    out = tmp_path / "page2.pdf"
    printer = pdf_printer(out)
    printer.setPrintRange(QPrinter.PrintRange.PageRange)
    printer.setFromTo(2, 2)
    assert print_pdf(printer, pdf) == 1
    assert pages_in(out) == 1


def test_print_pdf_that_cannot_start_raises_oserror(pdf, tmp_path):
    with pytest.raises(OSError, match="无法开始打印"):
        print_pdf(pdf_printer(tmp_path / "missing" / "out.pdf"), pdf)


def test_print_pdf_failing_midway_aborts_and_raises(pdf, tmp_path, monkeypatch):
    rendered = []

    def render_once(page, dpi):
        if rendered:
            raise MemoryError
        rendered.append(dpi)
        return real_render(page, dpi)

    real_render = pdf_view.render_page
    monkeypatch.setattr(pdf_view, "render_page", render_once)
    printer = pdf_printer(tmp_path / "half.pdf")
    with pytest.raises(MemoryError):
        print_pdf(printer, pdf)
    assert rendered == [pdf_view.MAX_PRINT_DPI] and not printer.paintingActive()  # 1200 dpi printer: capped


def test_print_action_prints_through_the_chosen_printer(dialog, tmp_path):
    out = tmp_path / "via-dialog.pdf"

    def accept(print_dialog) -> bool:
        printer = print_dialog.printer()
        assert printer.pageLayout().pageSize().id() == printer.pageLayout().pageSize().PageSizeId.A4
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(out))
        return True

    dialog.exec_dialog = accept
    assert dialog.print_document() == 2 and pages_in(out) == 2
    dialog.exec_dialog = lambda _d: False  # 取消
    assert dialog.print_document() == 0


def test_save_to_writes_identical_bytes_and_replaces_an_old_file(dialog, pdf, tmp_path):
    target = tmp_path / "询问通知书.pdf"
    target.write_bytes(b"old")
    dialog.save_to(target)
    assert target.read_bytes() == pdf
    assert sorted(p.name for p in tmp_path.iterdir()) == ["询问通知书.pdf"]


def test_save_to_a_missing_folder_raises_and_leaves_no_part_file(dialog, tmp_path):
    target = tmp_path / "missing" / "x.pdf"
    with pytest.raises(OSError):
        dialog.save_to(target)
    assert not target.with_name("x.pdf.part").exists() and list(tmp_path.iterdir()) == []


def test_save_as_on_a_full_disk_says_so_and_keeps_the_old_file(dialog, tmp_path, monkeypatch):
    target = tmp_path / "通知书.pdf"
    target.write_bytes(b"old")
    dialog.choose_save_path = lambda _w: str(tmp_path / "通知书")  # no suffix typed: .pdf is added

    def disk_full(_fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    shown = []
    monkeypatch.setattr(pdf_view.os, "fsync", disk_full)
    monkeypatch.setattr(pdf_view.QMessageBox, "critical", lambda _p, title, text: shown.append((title, text)))
    assert dialog.save_as() is None
    assert shown and shown[0][0] == "另存失败" and "磁盘空间不足" in shown[0][1]
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["通知书.pdf"]


def test_save_as_writes_the_chosen_file(dialog, pdf, tmp_path):
    dialog.choose_save_path = lambda _w: str(tmp_path / "通知书.PDF")
    assert dialog.save_as() == tmp_path / "通知书.PDF" and (tmp_path / "通知书.PDF").read_bytes() == pdf
    dialog.choose_save_path = lambda _w: ""  # 取消
    assert dialog.save_as() is None


def test_unreadable_pdf_raises_value_error_with_a_chinese_message(qtbot):
    with pytest.raises(ValueError, match="无法打开") as raised:
        load_pdf(b"not a pdf")
    assert isinstance(raised.value, WenzeError)  # show_error shows the message itself, not "internal error"
    with pytest.raises(ValueError, match="无法打开"):
        PdfPreviewDialog(two_page_pdf()[:200], "预览")


def test_dialog_geometry_is_remembered(qtbot, pdf, gui_settings):
    first = PdfPreviewDialog(pdf, "预览", settings=gui_settings)
    qtbot.addWidget(first)
    first.resize(700, 500)
    first.reject()
    second = PdfPreviewDialog(pdf, "预览", settings=gui_settings)
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (700, 500)
