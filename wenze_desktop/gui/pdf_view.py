"""Preview, print and save an issued document's PDF from memory: no temp file ever holds case data."""

from __future__ import annotations

import ctypes
import os
from collections import OrderedDict
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PySide6.QtCore import QEvent, QObject, QRectF, QSizeF, QStandardPaths, Qt, QTimer
from PySide6.QtGui import QAction, QImage, QKeySequence, QPainter, QPixmap
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QLabel,
    QMessageBox,
    QScrollArea,
    QSizePolicy,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from wenze_desktop.gui.pdf_support import (  # noqa: F401  (re-exported: callers import them here)
    PdfUnreadable,
    load_pdf,
    match_paper,
    save_error_reason,
    screen_area,
)
from wenze_desktop.gui.settings import GuiSettings

SCREEN_DPI = 96.0  # 100 % = the printed size on a standard screen
MAX_SCREEN_DPI = 300.0  # zooming past this enlarges pixels instead of rendering ever bigger bitmaps
MAX_PRINT_DPI = 600.0  # enough for text and seals; 1200 dpi would be a 400 MB bitmap per A4 page
ZOOM_MIN, ZOOM_MAX, ZOOM_STEP = 0.25, 4.0, 1.25
CACHE_BYTES = 256 * 1024 * 1024  # rendered zoom levels kept for going back and forth
PAGE_GAP = 16
PREFERRED_WIDTH = 900  # an A4 page at about 100 % beside the scroll bar
SCREEN_MARGIN = 16  # kept free around the window
FRAME_ALLOWANCE = 40  # the title bar and borders, before the window manager has framed the window


def render_page(page: pdfium.PdfPage, dpi: float) -> QImage:
    """The page as an RGB image; pdfium draws straight into the QImage's own pixels (no second copy at 600 dpi)."""
    images: list[QImage] = []

    def into_qimage(width: int, height: int, format: int, rev_byteorder: bool = False) -> pdfium.PdfBitmap:
        image = QImage(width, height, QImage.Format.Format_BGR888)
        images.append(image)
        pixels = (ctypes.c_ubyte * image.sizeInBytes()).from_buffer(image.bits())
        return pdfium.PdfBitmap.new_native(width, height, format, rev_byteorder, buffer=pixels,
                                           stride=image.bytesPerLine())

    bitmap = page.render(scale=dpi / 72, bitmap_maker=into_qimage, force_bitmap_format=pdfium_c.FPDFBitmap_BGR)
    bitmap.close()
    return images[0]


def render_page_images(pdf: bytes, dpi: float) -> list[QImage]:
    doc = load_pdf(pdf)
    try:
        return [render_page(doc[index], dpi) for index in range(len(doc))]
    finally:
        doc.close()


def print_pdf(printer: QPrinter, pdf: bytes) -> int:
    """Paint the pages (or the range chosen in the print dialog) onto ``printer``; returns the pages printed.

    Each page is rendered at the printer's resolution (at most 600 dpi) and placed 1:1 on paper of its own size,
    shrunk only if the driver insists on smaller paper. Raises OSError when printing cannot start.
    """
    doc = load_pdf(pdf)
    painter = QPainter()
    try:
        first, last, previous = 1, len(doc), None
        if printer.printRange() == QPrinter.PrintRange.PageRange and printer.fromPage() > 0:
            first, last = max(1, printer.fromPage()), min(len(doc), printer.toPage() or len(doc))
        for number in range(first, last + 1):
            page = doc[number - 1]
            width, height = page.get_size()
            if (width, height) != previous:  # before begin()/newPage(): applies to the next page; not repeated
                match_paper(printer, width, height)  # for every page, as a native driver may reset itself for it
                previous = (width, height)
            if number == first:
                if not painter.begin(printer):
                    raise OSError("无法开始打印：打印机不可用，或输出文件无法写入。")
            elif not printer.newPage():
                raise OSError("打印中断：打印机未能开始新的一页。")
            resolution = printer.resolution()
            paper = printer.paperRect(QPrinter.Unit.DevicePixel)
            natural = QSizeF(width / 72 * resolution, height / 72 * resolution)
            fit = min(1.0, paper.width() / natural.width(), paper.height() / natural.height())
            target = QRectF(paper)
            target.setSize(natural * fit)
            target.moveCenter(paper.center())
            painter.drawImage(target, render_page(page, min(resolution, MAX_PRINT_DPI)))
        return max(0, last - first + 1)
    except BaseException:
        if painter.isActive():
            printer.abort()  # half an official document must not come out of the printer
        raise
    finally:
        if painter.isActive():
            painter.end()
        doc.close()


def write_atomically(path: Path, data: bytes) -> None:
    """Write beside the target, flush to disk, then rename: a full disk or a crash never leaves half a PDF."""
    part = path.with_name(path.name + ".part")
    try:
        with open(part, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(part, path)
    except OSError:
        with suppress(OSError):
            part.unlink()
        raise
    if os.name == "posix":  # make the rename itself durable; Windows cannot open a folder for fsync
        with suppress(OSError):
            folder = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)


class PdfPreviewDialog(QDialog):
    """Pages stacked on grey, with zoom, print and save as. Raises ``PdfUnreadable`` (a ValueError) for a bad PDF."""

    def __init__(self, pdf: bytes, title: str, parent: QWidget | None = None, *, suggested_name: str = "document.pdf",
                 note: str = "", settings: GuiSettings | None = None) -> None:
        super().__init__(parent)
        doc = load_pdf(pdf)  # before any widget: a bad PDF leaves nothing half-built
        try:
            self.page_sizes: list[tuple[float, float]] = [doc[index].get_size() for index in range(len(doc))]
        finally:
            doc.close()
        self.pdf, self.suggested_name, self.settings = pdf, suggested_name, settings
        self._zoom = 1.0
        self._cache: OrderedDict[float, list[QPixmap]] = OrderedDict()
        self._keep_fraction: float | None = None
        self._fitted = False  # the first show scales the page to the window's width
        # Seams for tests (and hosts with their own prompts).
        self.exec_dialog: Callable[[QDialog], bool] = lambda dialog: dialog.exec() == QDialog.DialogCode.Accepted
        default = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation))
        self.choose_save_path: Callable[[QWidget], str] = lambda widget: QFileDialog.getSaveFileName(
            widget, "另存为", str(default / suggested_name), "PDF 文件 (*.pdf)")[0]
        self.setWindowTitle(title)
        self._build(note)
        geometry = settings.window_state("pdf_preview")[0] if settings is not None else None
        self.fit_to_screen(keep=geometry is not None and self.restoreGeometry(geometry))
        self.set_zoom(1.0)

    def fit_to_screen(self, *, keep: bool = False) -> None:
        """The screen's free height (one reads a page downwards) and 900 wide, both within the screen: a 1366×768
        PC gets a window it can see whole. ``keep``: a size restored from last time, only cut down to this screen
        (it may have been saved on a bigger one)."""
        area = screen_area(self)
        frame = self.frameGeometry().height() - self.height() if self.isVisible() else FRAME_ALLOWANCE
        room = QSizeF(area.width() - 2 * SCREEN_MARGIN, area.height() - 2 * SCREEN_MARGIN - frame).toSize()
        wanted = self.size() if keep else QSizeF(PREFERRED_WIDTH, room.height()).toSize()
        self.resize(min(wanted.width(), room.width()), min(wanted.height(), room.height()))
        if keep and not area.contains(self.frameGeometry()):  # restored onto a screen that is not there now
            self.move(area.left() + SCREEN_MARGIN, area.top() + SCREEN_MARGIN)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._fitted:  # the viewport's width is known once shown: the page fits it (at most print size)
            self._fitted = True
            self.layout().activate()
            self.set_zoom(min(1.0, self.width_zoom()))

    def _build(self, note: str) -> None:
        toolbar = QToolBar()
        self.zoom_in_action = self._action(toolbar, "放大", self.zoom_in, "Ctrl++", "Ctrl+=")
        self.zoom_out_action = self._action(toolbar, "缩小", self.zoom_out, "Ctrl+-")
        self.fit_width_action = self._action(toolbar, "适合宽度", self.fit_width)
        self.fit_page_action = self._action(toolbar, "整页", self.fit_page)
        self.zoom_label = QLabel()
        toolbar.addWidget(self.zoom_label)
        toolbar.addSeparator()
        self.page_label = QLabel()
        toolbar.addWidget(self.page_label)
        toolbar.addSeparator()
        self.print_action = self._action(toolbar, "打印…", self.print_document, "Ctrl+P")
        self.save_action = self._action(toolbar, "另存为…", self.save_as, "Ctrl+Shift+S")
        self.close_action = self._action(toolbar, "关闭", self.reject)
        self.close_action.setToolTip("关闭（Esc）")  # QDialog itself closes on Esc

        self.note_label = QLabel(note)
        self.note_label.setWordWrap(True)
        self.note_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # e.g. copy SHA-256
        self.note_label.setVisible(bool(note))

        pages = QWidget()
        pages.setObjectName("pdfPages")
        pages.setStyleSheet("#pdfPages { background: #808080; } "
                            "QLabel { background: white; border: 1px solid #505050; }")
        column = QVBoxLayout(pages)
        column.setSpacing(PAGE_GAP)
        column.setContentsMargins(PAGE_GAP, PAGE_GAP, PAGE_GAP, PAGE_GAP)
        self.page_widgets: list[QLabel] = []
        for _ in self.page_sizes:
            label = QLabel()
            label.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            column.addWidget(label, 0, Qt.AlignmentFlag.AlignHCenter)
            self.page_widgets.append(label)
        column.addStretch(1)  # zoomed out, the pages stay together at the top
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(pages)
        self.scroll.viewport().installEventFilter(self)
        bar = self.scroll.verticalScrollBar()
        bar.valueChanged.connect(self._update_page_label)
        bar.rangeChanged.connect(self._range_changed)

        layout = QVBoxLayout(self)
        layout.addWidget(toolbar)
        layout.addWidget(self.note_label)
        layout.addWidget(self.scroll, 1)

    def _action(self, toolbar: QToolBar, text: str, slot: Callable[[], object], *keys: str) -> QAction:
        action = toolbar.addAction(text)
        action.triggered.connect(lambda _checked=False: slot())
        if keys:
            action.setShortcuts([QKeySequence(key) for key in keys])
            shortcut = QKeySequence(keys[0]).toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{text.rstrip('…')}（{shortcut}）")
        return action

    # -- pages and zoom -------------------------------------------------------------------------------------------

    @property
    def page_count(self) -> int:
        return len(self.page_sizes)

    def zoom(self) -> float:
        return self._zoom

    def set_zoom(self, zoom: float) -> None:
        zoom = round(min(ZOOM_MAX, max(ZOOM_MIN, zoom)), 4)
        bar = self.scroll.verticalScrollBar()
        if zoom != self._zoom:  # else the range does not change and a stale fraction would jump later
            self._keep_fraction = bar.value() / bar.maximum() if bar.maximum() else None
        self._zoom = zoom
        for label, pixmap in zip(self.page_widgets, self._pixmaps(zoom), strict=True):
            label.setPixmap(pixmap)
        self.zoom_label.setText(f" {round(zoom * 100)}% ")
        self.zoom_in_action.setEnabled(zoom < ZOOM_MAX)
        self.zoom_out_action.setEnabled(zoom > ZOOM_MIN)
        self._update_page_label()

    def zoom_in(self) -> None:
        self.set_zoom(self._zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self._zoom / ZOOM_STEP)

    def fit_width(self) -> None:
        self.set_zoom(self.width_zoom())

    def width_zoom(self) -> float:
        """The zoom at which the widest page fills the view's width (the vertical bar may appear)."""
        bar = self.scroll.verticalScrollBar()
        border = 2 * PAGE_GAP + 2 + (0 if bar.isVisible() else bar.sizeHint().width())
        widest = max(width for width, _ in self.page_sizes) / 72 * SCREEN_DPI
        return (self.scroll.viewport().width() - border) / widest

    def fit_page(self) -> None:
        """The whole page in view (for a look at the layout and the seal), whatever the window's height."""
        view = self.scroll.viewport()
        border = 2 * PAGE_GAP + 2
        width = max(w for w, _ in self.page_sizes) / 72 * SCREEN_DPI
        height = max(h for _, h in self.page_sizes) / 72 * SCREEN_DPI
        self.set_zoom(min((view.width() - border) / width, (view.height() - border) / height))

    def current_page(self) -> int:
        """1-based: the last page whose top is above the upper third of the view.

        Page tops come from the page sizes, not the labels' positions, which lag behind until the layout has run.
        """
        line = self.scroll.verticalScrollBar().value() + self.scroll.viewport().height() // 3
        top, current = PAGE_GAP, 1
        for number, label in enumerate(self.page_widgets, 1):
            if top <= line:
                current = number
            top += label.sizeHint().height() + PAGE_GAP
        return current

    def _pixmaps(self, zoom: float) -> list[QPixmap]:
        if zoom in self._cache:
            self._cache.move_to_end(zoom)
            return self._cache[zoom]
        ratio = self.devicePixelRatioF()
        dpi = min(SCREEN_DPI * zoom * ratio, MAX_SCREEN_DPI)
        pixmaps = []
        doc = load_pdf(self.pdf)  # reopened per zoom (cheap for a few pages): no pdfium handle outlives its use
        try:
            for index, (width, _) in enumerate(self.page_sizes):
                pixmap = QPixmap.fromImage(render_page(doc[index], dpi))
                pixmap.setDevicePixelRatio(pixmap.width() / (width / 72 * SCREEN_DPI * zoom))  # logical size = zoom
                pixmaps.append(pixmap)
        finally:
            doc.close()
        self._cache[zoom] = pixmaps
        while len(self._cache) > 1 and sum(p.width() * p.height() * 4 for ps in self._cache.values()
                                           for p in ps) > CACHE_BYTES:
            self._cache.popitem(last=False)
        return pixmaps

    def _update_page_label(self) -> None:
        self.page_label.setText(f" 第 {self.current_page()} / {self.page_count} 页 ")

    def _range_changed(self, _minimum: int, maximum: int) -> None:
        if self._keep_fraction is not None:  # after a zoom, stay at the same place in the document; the range
            self.scroll.verticalScrollBar().setValue(round(self._keep_fraction * maximum))  # may change twice (a
            QTimer.singleShot(0, self._forget_place)  # horizontal bar appears) in one layout pass
        self._update_page_label()

    def _forget_place(self) -> None:
        self._keep_fraction = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._update_page_label()
        elif event.type() == QEvent.Type.Wheel and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            if event.angleDelta().y():
                (self.zoom_in if event.angleDelta().y() > 0 else self.zoom_out)()
            return True
        return super().eventFilter(watched, event)

    # -- print and save -------------------------------------------------------------------------------------------

    def print_document(self) -> int:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self.suggested_name)
        match_paper(printer, *self.page_sizes[0])  # the print dialog offers the document's paper, not the default
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle("打印文书")
        dialog.setMinMax(1, self.page_count)
        if not self.exec_dialog(dialog):
            return 0
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            return print_pdf(printer, self.pdf)
        except OSError as error:
            QMessageBox.warning(self, "打印失败", f"文书未能打印。\n原因：{error}")
            return 0
        finally:
            QApplication.restoreOverrideCursor()

    def save_to(self, path: Path) -> None:
        write_atomically(Path(path), self.pdf)

    def save_as(self) -> Path | None:
        chosen = self.choose_save_path(self)
        if not chosen:
            return None
        path = Path(chosen)
        if path.suffix.lower() != ".pdf":
            path = path.with_name(path.name + ".pdf")
        try:
            self.save_to(path)
        except OSError as error:
            QMessageBox.critical(self, "另存失败", f"文书未能保存到：\n{path}\n\n原因：{save_error_reason(error)}。\n"
                                                   "同名的原有文件（如有）未被改动。请换一个位置再试。")
            return None
        return path

    def done(self, result: int) -> None:
        if self.settings is not None:
            self.settings.save_window_state("pdf_preview", self.saveGeometry())
        super().done(result)
