"""The regulations' own words in the program: a window with one regulation's text, opened at a citation.

``show_citation(parent, profile_id, citation)`` opens (or brings forward) the window of that regulation at the
cited article, its cited 款/项 highlighted; the wizard's refusals, the action forms' headings and the timeline's
articles use the helpers below to link to it or show the words in a tooltip. The texts are resources
(``rules/texts.py``), read on the GUI thread.
"""

from __future__ import annotations

import re
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTextBrowser,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from wenze_desktop.errors import WenzeError
from wenze_desktop.gui.forms import contents_tree, search_field
from wenze_desktop.gui.messages import show_error
from wenze_desktop.procedure.citations import Refusal
from wenze_desktop.rules.profiles import load_profile
from wenze_desktop.rules.texts import Article, CitationError, Paragraph, load_text, numeral

MARK = "background-color: #ffe58a;"
REFUSED_STYLE = "color: #b00020;"
_REST = re.compile(r"^(?:第(.+?)款)?(?:（(.+?)）)?$")
_OPEN: dict[tuple[str, int], RegulationTextDialog] = {}

Marks = set[tuple[int, int]]  # the cited (款, 项): (0, 0) the whole article, (2, 0) its second 款, (1, 3) an item


def _marks(citation: str, article: Article) -> Marks:
    """Which part of the article a citation names (the citation resolved to this article)."""
    match = _REST.match(citation[len(article.citation):])
    paragraph, item = (numeral(g) if g else 0 for g in (match.groups() if match else ("", "")))
    if item and not paragraph:  # 第十四条（一）: the first 款 that has the item
        paragraph = next((i for i, p in enumerate(article.paragraphs, 1) if any(n == item for n, _ in p.items)), 1)
    return {(paragraph, item)}


def article_html(article: Article, marks: Marks = frozenset()) -> str:
    """One article as the window shows it: 款 as paragraphs, 项 indented, the cited part highlighted."""
    def line(text: str, style: str, marked: bool) -> str:
        shown = escape(text).replace("\n", "<br>")
        shown = f"<a name=hit></a><span style='{MARK}'>{shown}</span>" if marked else shown
        return f"<p style='margin: 4px 0; {style}'>{shown}</p>"

    parts = [f"<p style='color:#666; margin: 0'>{escape(article.chapter)}</p>" if article.chapter else "",
             f"<h3 style='margin: 6px 0'>{escape(article.citation)}</h3>"]
    for number, paragraph in enumerate(article.paragraphs, 1):
        whole = bool(marks & {(0, 0), (number, 0)})
        parts.append(line(paragraph.text, "text-indent: 26px;", whole))
        parts += [line(text, "margin-left: 2em;", whole or (number, item) in marks) for item, text in paragraph.items]
    return "".join(parts)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def words_tip(profile_id: str, citation: str, limit: int = 150) -> str:
    """The cited words as a (rich, wrapping) tooltip, cut to ``limit`` characters; "" when they cannot be found."""
    if not citation:
        return ""
    try:
        words = load_text(profile_id).words(citation)
    except WenzeError:
        return ""
    return escape(_short(words, limit)).replace("\n", "<br>")


def refusal_line(layout, profile_id: str, refusal: Refusal) -> QLabel:
    """A refusal under its action button; a cited one gets its article's words as tooltip and a 查看条文 link
    (``label.link``). An uncited reading gets neither: its text says the regulation is silent."""
    label = QLabel(str(refusal))
    label.setWordWrap(True)
    label.setStyleSheet(REFUSED_STYLE)
    label.link = _linked(QLabel("<a href='#'>查看条文</a>"), profile_id, refusal.article) if refusal.article else None
    if label.link is None:
        layout.addWidget(label)
        return label
    tip = words_tip(profile_id, refusal.article)
    label.setToolTip(f"{escape(str(refusal))}<br><br>{tip}" if tip else "")
    row = QWidget()
    line = QHBoxLayout(row)
    line.setContentsMargins(0, 0, 0, 0)
    line.addWidget(label, 1)
    line.addWidget(label.link, 0, Qt.AlignmentFlag.AlignTop)
    layout.addWidget(row)
    return label


def heading_link(label: QLabel, profile_id: str, citation: str) -> None:
    """Append a 查看条文 link to a rich-text heading that names the citation."""
    if citation:
        label.setText(f"{label.text()}　<a href='#cite'>查看条文</a>")
        _linked(label, profile_id, citation)


def _linked(label: QLabel, profile_id: str, citation: str) -> QLabel:
    label.setToolTip(words_tip(profile_id, citation) or f"查看{escape(citation)}的原文")
    label.linkActivated.connect(lambda _href: show_citation(label, profile_id, citation))
    return label


def show_citation(parent: QWidget | None, profile_id: str, citation: str = "") -> RegulationTextDialog | None:
    """Open the regulation's window at the citation (reusing the one open over the same window)."""
    window = parent.window() if parent is not None else None
    key = (profile_id, id(window))
    dialog = _OPEN.get(key)
    if dialog is None or not isValid(dialog):
        try:
            dialog = RegulationTextDialog(profile_id, window)
        except WenzeError as error:
            show_error(parent, error, "规定原文")
            return None
        _OPEN[key] = dialog
        dialog.finished.connect(lambda _result: _OPEN.pop(key, None))  # closed: deleted on the next event loop
        dialog.destroyed.connect(lambda _obj=None: _OPEN.pop(key, None))
    if citation:
        dialog.open_at(citation)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


def _column(top: QWidget, main: QWidget) -> QWidget:
    holder = QWidget()
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(top)
    layout.addWidget(main, 1)
    return holder


class RegulationTextDialog(QDialog):
    """One regulation's whole text: documents → chapters → articles on the left, the article on the right."""

    def __init__(self, profile_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.profile_id = profile_id
        self.text = load_text(profile_id)
        self.articles: dict[str, Article] = {}  # by citation, with each document's 文首
        self.short_title = load_profile(profile_id).short_title
        self.setWindowTitle(f"规定原文 — 《{self.short_title}》")
        self.cited: dict[str, Marks] = {}  # article citation → what the open citation highlights there
        self.search = search_field("查找字词，如：申辩", "条文", self.filter)
        self.tree = contents_tree(self._show_item)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.view = QTextBrowser()  # read-only, selectable, wrapping
        self.source = QLabel(f"来源：{self.text.source or '（未注明）'}")
        self.source.setWordWrap(True)
        self.source.setStyleSheet("color: #555;")
        self.source.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.source.setToolTip("<br>".join(escape(line) for line in self.text.header))
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(_column(self.search, self.tree))
        split.addWidget(_column(self.note, self.view))
        split.setStretchFactor(1, 1)
        split.setSizes([290, 610])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(self.source)
        layout.addWidget(buttons)
        self.items: dict[str, QTreeWidgetItem] = {}
        self._fill_tree()
        screen = self.screen().availableGeometry()  # 900×640, never more than the screen (1366×768 laptops)
        self.resize(min(900, screen.width() - 40), min(640, screen.height() - 60))
        if self.items:
            self.tree.setCurrentItem(next(iter(self.items.values())))

    def _fill_tree(self) -> None:
        """Documents (where several) → chapters → articles; a document's lines before its first article as 文首."""
        several = len(self.text.documents) > 1
        preambles = dict(self.text.preambles)
        for document in self.text.documents:
            title = document or (self.text.header[0] if self.text.header else self.short_title)
            top = QTreeWidgetItem(self.tree, [title]) if several else self.tree.invisibleRootItem()
            lines = preambles.get(document, "").splitlines()
            front = [Article(document, "文首", "", "", tuple(Paragraph(line) for line in lines))] if lines else []
            chapters: dict[str, QTreeWidgetItem] = {}
            for article in front + [a for a in self.text.articles if a.document == document]:
                self.articles[article.citation] = article
                if article.chapter and article.chapter not in chapters:
                    chapters[article.chapter] = QTreeWidgetItem(top, [article.chapter])
                first = article.paragraphs[0].text if article.paragraphs else ""
                item = QTreeWidgetItem(chapters.get(article.chapter, top), [f"{article.key}　{_short(first, 12)}"])
                item.setToolTip(0, article.citation)
                item.setData(0, Qt.ItemDataRole.UserRole, article.citation)
                self.items[article.citation] = item
        self.tree.expandAll()

    def _show_item(self, item: QTreeWidgetItem | None) -> None:
        key = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
        if key:
            self._render([(self.articles[key], self.cited.get(key, set()))])

    def _render(self, parts: list[tuple[Article, Marks]]) -> None:
        self.view.setHtml("<hr>".join(article_html(article, marks) for article, marks in parts))
        if any(marks for _, marks in parts):
            self.view.scrollToAnchor("hit")
        else:
            self.view.verticalScrollBar().setValue(0)

    def open_at(self, citation: str) -> None:
        """Show the cited articles, the cited 款/项 highlighted; a citation the text lacks is said so, in red."""
        self.search.clear()
        try:
            passages = self.text.find(citation)
        except CitationError as error:
            self.cited = {}
            self.note.setStyleSheet(REFUSED_STYLE)
            self.note.setText(f"{error}可在左侧目录中查找条文。")
            return
        cited: dict[str, tuple[Article, Marks]] = {}
        for passage in passages:
            article, marks = cited.get(passage.article.citation, (passage.article, set()))
            cited[article.citation] = (article, marks | _marks(passage.citation, article))
        self.cited = {key: marks for key, (_article, marks) in cited.items()}
        self.note.setStyleSheet("")
        self.note.setText(f"引用：<b>{escape(citation)}</b>（引用部分以底色标出）")
        first = self.items.get(next(iter(cited)))
        if first is not None:
            self.tree.blockSignals(True)
            self.tree.setCurrentItem(first)
            self.tree.blockSignals(False)
        self._render(list(cited.values()))

    def filter(self, words: str) -> None:
        """Show only the articles containing every word typed (and the chapters and documents they are under)."""
        wanted = words.split()
        found = 0
        for key, item in self.items.items():
            shown = all(word in f"{key}\n{self.articles[key].text}" for word in wanted)
            found += shown
            item.setHidden(not shown)
        self._hide_empty(self.tree.invisibleRootItem())
        self.tree.expandAll()
        first = next((item for item in self.items.values() if not item.isHidden()), None)
        if wanted and first is not None:  # show the first article found, the word selected in it
            self.tree.setCurrentItem(first)
            self._show_item(first)
            self.view.find(wanted[0])
        said = escape(" ".join(wanted))
        self.note.setStyleSheet("" if found else REFUSED_STYLE)
        self.note.setText("" if not wanted else f"含「{said}」的条文共 {found} 条。" if found
                          else f"没有含「{said}」的条文。")

    def _hide_empty(self, parent: QTreeWidgetItem) -> bool:
        """Hide headings (documents, chapters) with nothing shown under them; True when something is shown."""
        shown = False
        for child in (parent.child(i) for i in range(parent.childCount())):
            if child.data(0, Qt.ItemDataRole.UserRole) is None:
                child.setHidden(not self._hide_empty(child))
            shown = shown or not child.isHidden()
        return shown
