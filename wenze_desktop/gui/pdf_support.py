"""What the PDF preview and printing stand on: opening a PDF (a clear message for a bad one), paper of the page's
own size, the screen's free area, the words for a failed save."""

from __future__ import annotations

import errno

import pypdfium2 as pdfium
from PySide6.QtCore import QMarginsF, QRect, QSizeF
from PySide6.QtGui import QGuiApplication, QPageLayout, QPageSize
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QWidget

from wenze_desktop.errors import WenzeError


class PdfUnreadable(WenzeError, ValueError):
    """A ValueError for callers; a WenzeError so that ``show_error`` shows the message, not "internal error"."""


def load_pdf(pdf: bytes) -> pdfium.PdfDocument:
    try:
        doc = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError as error:
        raise PdfUnreadable("文书 PDF 无法打开：内容已损坏或不是 PDF 文件。"
                            "请重新生成该文书；若反复出现，请联系技术支持。") from error
    if len(doc) == 0:
        doc.close()
        raise PdfUnreadable("文书 PDF 没有任何页面，无法预览或打印。")
    return doc


def match_paper(printer: QPrinter, width_pt: float, height_pt: float) -> None:
    """Paper of the page's own size (A4 stays A4, the id drivers know), no margins: printing is 1:1 in millimetres."""
    size = QPageSize(QSizeF(min(width_pt, height_pt), max(width_pt, height_pt)), QPageSize.Unit.Point, "",
                     QPageSize.SizeMatchPolicy.FuzzyMatch)
    orientation = QPageLayout.Orientation.Landscape if width_pt > height_pt else QPageLayout.Orientation.Portrait
    printer.setFullPage(True)
    if not printer.setPageLayout(QPageLayout(size, orientation, QMarginsF())):
        printer.setPageSize(size)  # a driver with minimum margins refuses zero ones; full-page mode ignores them
        printer.setPageOrientation(orientation)


def save_error_reason(error: OSError) -> str:
    locked = "没有写入权限，或同名文件正被其他程序（如 PDF 阅读器）打开"
    reasons = {errno.ENOSPC: "磁盘空间不足", getattr(errno, "EDQUOT", -1): "磁盘配额已用完", errno.EACCES: locked,
               errno.EPERM: locked, errno.ENOENT: "所选文件夹不存在", errno.EROFS: "该位置只读（如写保护的 U 盘）"}
    return reasons.get(error.errno, error.strerror or str(error))


def screen_area(widget: QWidget) -> QRect:
    """The free part of the screen ``widget`` is on (without task bars): what the preview may fill."""
    return (widget.screen() or QGuiApplication.primaryScreen()).availableGeometry()
