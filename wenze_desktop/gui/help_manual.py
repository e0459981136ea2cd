"""使用手册: the user manual in a window of its own (F1), from ``resources/`` only — nothing is fetched.

The contents are on the left (with a search over every page), the page on the right. Pages are Markdown from
``wenze_desktop.help.manual``: hand-written screen pages and regulation pages generated from the profiles. The
browser loads them through the ``manual:`` scheme, so links between pages, 后退/前进 and the images (scaled down to
the page's width) work without a file path; links to the web are not followed: the program runs offline.

``show_manual(parent, page)`` opens the window (one per main window) or brings it forward at ``page``;
``install_help(window)`` adds 帮助 → 使用手册 with F1, opening the page for what the clerk is looking at.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QImage, QKeySequence, QShortcut, QTextDocument
from PySide6.QtWidgets import (
    QApplication,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from wenze_desktop.errors import WenzeError
from wenze_desktop.gui.forms import contents_tree, search_field
from wenze_desktop.help import manual

SCHEME = "manual"
PAGE_ROLE = Qt.ItemDataRole.UserRole
OFFLINE_NOTE = "手册中的网址不会打开：本程序离线运行，使用手册的内容都在本机。"
_OPEN: dict[int, ManualWindow] = {}


def page_url(page_id: str) -> QUrl:
    return QUrl(f"{SCHEME}:/{manual.href(page_id)}")


def page_of_url(url: QUrl) -> str | None:
    if url.scheme() not in ("", SCHEME):
        return None
    return manual.page_of_href(url.path().lstrip("/"))


class ManualBrowser(QTextBrowser):
    """A page of the manual. Resources come from the manual alone: pages by id, images from its folder (scaled to
    the visible width), nothing else — no file outside it, no network."""

    MARGIN = 28  # the page's own margins and a scroll bar

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self._relayout = QTimer(self, singleShot=True, interval=150)
        self._relayout.timeout.connect(self._reflow_images)
        self._width = 0

    def loadResource(self, kind: int, url: QUrl):
        if url.scheme() not in ("", SCHEME):
            return None
        name = url.path().lstrip("/")
        if kind == QTextDocument.ResourceType.ImageResource.value or name.startswith("images/"):
            return self._image(name)
        page = manual.page_of_href(name)
        if page is None:
            return None
        try:
            return manual.markdown(page)
        except WenzeError as error:
            return f"# 无法显示此页\n\n{error}\n"

    def _image(self, name: str) -> QImage | None:
        root = manual.manual_dir().resolve()
        path = (root / name).resolve()
        if root not in path.parents or not path.is_file():  # only the manual's own images
            return None
        image = QImage(str(path))
        if image.isNull():
            return None
        width = max(200, self.viewport().width() - self.MARGIN)
        if image.width() > width:
            image = image.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
        return image

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if abs(self.viewport().width() - self._width) > 24:
            self._relayout.start()

    def _reflow_images(self) -> None:
        """Reload the page so that its images fit the new width, keeping the place the clerk was reading."""
        self._width = self.viewport().width()
        if self.source().isEmpty():
            return
        bar = self.verticalScrollBar()
        ratio = bar.value() / bar.maximum() if bar.maximum() else 0.0
        self.reload()
        bar.setValue(round(ratio * bar.maximum()))


def _column(*widgets: QWidget, stretch_last: bool = True) -> QWidget:
    holder = QWidget()
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    for index, widget in enumerate(widgets):
        layout.addWidget(widget, 1 if stretch_last and index == len(widgets) - 1 else 0)
    return holder


class ManualWindow(QWidget):
    """Contents and search on the left, the page on the right; not modal: the clerk works beside it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setObjectName("manualWindow")
        self.setWindowTitle("使用手册 — 问责案件办理系统")
        self.search = search_field("查找，如：签发 或 撤回", "页面", self.filter)
        self.tree = contents_tree(self._item_chosen)
        self.found = QLabel()
        self.found.setWordWrap(True)
        self.found.hide()
        self.view = ManualBrowser()
        self.view.anchorClicked.connect(self.follow)
        self.view.sourceChanged.connect(self._shown)
        self.back_button = QPushButton("后退")
        self.back_button.setToolTip("回到上一页（Alt+←）")
        self.back_button.clicked.connect(self.view.backward)
        self.forward_button = QPushButton("前进")
        self.forward_button.setToolTip("Alt+→")
        self.forward_button.clicked.connect(self.view.forward)
        self.view.backwardAvailable.connect(self.back_button.setEnabled)
        self.view.forwardAvailable.connect(self.forward_button.setEnabled)
        self.back_button.setEnabled(False)
        self.forward_button.setEnabled(False)
        home = QPushButton("首页")
        home.clicked.connect(lambda: self.open_page(manual.HOME))
        self.note = QLabel()
        self.note.setObjectName("errorLabel")
        self.note.setWordWrap(True)
        self.note.hide()
        bar = QWidget()
        row = QHBoxLayout(bar)
        row.setContentsMargins(0, 0, 0, 0)
        for button in (self.back_button, self.forward_button, home):
            row.addWidget(button)
        row.addStretch(1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(_column(self.search, self.found, self.tree))
        split.addWidget(_column(bar, self.note, self.view))
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(buttons)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Back), self, self.view.backward)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Forward), self, self.view.forward)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self, self.search.setFocus)
        self.items: dict[str, QTreeWidgetItem] = {}
        self._fill_tree()
        screen = self.screen().availableGeometry()  # never larger than the screen (1366×768 PCs)
        width, height = min(1200, screen.width() - 40), min(860, screen.height() - 60)
        self.resize(width, height)
        contents = min(self.tree.sizeHintForColumn(0) + 28, width // 3)  # the longest title, whole
        split.setSizes([contents, width - contents])

    def _fill_tree(self) -> None:
        for group, entries in manual.contents():
            top = QTreeWidgetItem(self.tree, [group])
            top.setFlags(top.flags() & ~Qt.ItemFlag.ItemIsSelectable)
            for entry in entries:
                item = QTreeWidgetItem(top, [entry.label])
                item.setData(0, PAGE_ROLE, entry.id)
                item.setToolTip(0, entry.title)
                self.items[entry.id] = item
        self.tree.expandAll()

    @property
    def page(self) -> str | None:
        """The page shown now."""
        return page_of_url(self.view.source())

    def open_page(self, page_id: str) -> None:
        if page_id not in self.items:
            page_id = manual.HOME
        if self.page != page_id:
            self.view.setSource(page_url(page_id), QTextDocument.ResourceType.MarkdownResource)
        else:
            self._shown(self.view.source())

    def _item_chosen(self, item: QTreeWidgetItem | None) -> None:
        page_id = item.data(0, PAGE_ROLE) if item is not None else None
        if page_id and page_id != self.page:
            self.open_page(page_id)

    def _shown(self, url: QUrl) -> None:
        """A page is shown (chosen, followed or by 后退): select it in the contents."""
        self.note.hide()
        item = self.items.get(page_of_url(url) or "")
        if item is not None and self.tree.currentItem() is not item:
            self.tree.blockSignals(True)
            self.tree.setCurrentItem(item)
            self.tree.blockSignals(False)

    def follow(self, url: QUrl) -> None:
        """A link on a page: another page of the manual opens; an address outside it does not (offline)."""
        page_id = page_of_url(url)
        if page_id is not None:
            if page_id != self.page:
                self.view.setSource(QUrl(f"{SCHEME}:/{manual.href(page_id)}"),
                                    QTextDocument.ResourceType.MarkdownResource)
            return
        self.note.setText(OFFLINE_NOTE if url.scheme() in ("http", "https", "ftp", "mailto")
                          else f"手册中没有这一页：{url.toString()}")
        self.note.show()

    def filter(self, words: str) -> None:
        """Show only the pages that contain every word typed; the first match opens, the word selected in it."""
        wanted = words.split()
        matches = set(manual.search(words)) if wanted else set(self.items)
        for page_id, item in self.items.items():
            item.setHidden(page_id not in matches)
        for index in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(index)
            top.setHidden(all(top.child(i).isHidden() for i in range(top.childCount())))
        said = " ".join(wanted)
        self.found.setVisible(bool(wanted))
        self.found.setText(f"含「{said}」的页面共 {len(matches)} 页。" if matches else f"没有含「{said}」的页面。")
        first = next((page_id for page_id in self.items if page_id in matches), None)
        if wanted and first is not None:
            self.open_page(first)
            self.view.find(wanted[0])


def show_manual(parent: QWidget | None = None, page: str | None = None) -> ManualWindow:
    """Open the manual (one window per main window) or bring it forward; at ``page`` when given."""
    window = parent.window() if parent is not None else None
    key = id(window)
    manual_window = _OPEN.get(key)
    if manual_window is None or not isValid(manual_window):
        manual_window = ManualWindow(window)
        _OPEN[key] = manual_window
        manual_window.destroyed.connect(lambda _obj=None: _OPEN.pop(key, None))
        page = page or manual.HOME
    if page:
        manual_window.open_page(page)
    manual_window.show()
    manual_window.raise_()
    manual_window.activateWindow()
    return manual_window


# -- the main window's F1 -----------------------------------------------------------------------------------------

def context_page(window: QWidget) -> str:
    """The manual's page for what the clerk is looking at in the main window: the deadline board, a case's
    documents, its record or procedure, else the registry. Best effort, read from the widgets on screen."""
    focus = QApplication.focusWidget()

    def holds(widget) -> bool:
        return focus is not None and isinstance(widget, QWidget) and (widget is focus or widget.isAncestorOf(focus))

    if holds(getattr(window, "board_dock", None)):
        return "deadlines"
    current = getattr(window, "current_page", None)
    case_page = current() if callable(current) else None
    if case_page is None:
        return "registry"
    wizard = getattr(case_page, "wizard", None)
    if holds(getattr(wizard, "documents", None)):
        return "documents"
    sections, form = getattr(case_page, "sections", None), getattr(case_page, "form", None)
    if sections is not None and form is not None and sections.currentWidget() is form:
        return "case-info"
    return "case-procedure"


def _help_menu(window: QMainWindow) -> QMenu:
    for action in window.menuBar().actions():
        menu = action.menu()
        if menu is not None and action.text().replace("&", "").startswith("帮助"):
            return menu
    return window.menuBar().addMenu("帮助(&H)")


def install_help(window: QMainWindow) -> QAction:
    """Add 帮助 → 使用手册 (F1) to the main window, first in its help menu; F1 opens the page for what is on
    screen (``context_page``)."""
    action = QAction("使用手册(&M)", window)
    action.setObjectName("manualAction")
    action.setShortcut(QKeySequence(Qt.Key.Key_F1))
    action.setToolTip("打开使用手册，显示当前界面的说明（F1）")
    action.triggered.connect(lambda _checked=False: show_manual(window, context_page(window)))
    menu = _help_menu(window)
    first = menu.actions()[0] if menu.actions() else None
    menu.insertAction(first, action)
    if first is not None:
        menu.insertSeparator(first)
    return action
