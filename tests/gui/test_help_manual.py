"""The manual's window (F1): fits the screen, links between pages and 后退 work, the web is not reached, images
come from the manual alone, search filters the contents, and F1 on the main window opens the page for what is on
screen."""

from datetime import date

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QImage, QTextCursor, QTextDocument
from PySide6.QtWidgets import QMainWindow

from wenze_desktop.gui.help_manual import ManualWindow, context_page, install_help, show_manual
from wenze_desktop.gui.main_window import MainWindow
from wenze_desktop.help import manual
from wenze_desktop.services import Workspace


@pytest.fixture
def manual_window(qtbot):
    window = show_manual(None)
    qtbot.addWidget(window)
    qtbot.waitExposed(window)
    return window


def link_position(view, href: str):
    """Where on screen the page shows the link to ``href`` (a real click needs a real place)."""
    document = view.document()
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.charFormat().isAnchor() and fragment.charFormat().anchorHref() == href:
                cursor = QTextCursor(document)
                cursor.setPosition(fragment.position() + 1)
                return view.cursorRect(cursor).center()
            it += 1
        block = block.next()
    raise AssertionError(f"no link to {href} on the page")


def test_the_manual_opens_on_its_home_page_within_a_1366_by_768_screen(manual_window):
    assert isinstance(manual_window, ManualWindow) and not manual_window.isModal()
    assert manual_window.page == manual.HOME
    size = manual_window.frameGeometry()
    screen = manual_window.screen().availableGeometry()
    assert size.width() <= min(1366, screen.width()) and size.height() <= min(768, screen.height())
    groups = [manual_window.tree.topLevelItem(i).text(0) for i in range(manual_window.tree.topLevelItemCount())]
    assert groups == ["使用手册", "界面与操作", "问责规定"]
    assert manual_window.tree.currentItem().text(0) == "使用手册首页"
    assert "使用手册首页" in manual_window.view.toPlainText()


def test_clicking_a_link_opens_that_page_and_back_returns(qtbot, manual_window):
    manual_window.open_page("case-procedure")
    view = manual_window.view
    assert manual_window.page == "case-procedure"
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=link_position(view, "documents.md"))
    qtbot.waitUntil(lambda: manual_window.page == "documents", timeout=3000)
    assert view.toPlainText().startswith("文书（预览、签发")
    assert manual_window.tree.currentItem().text(0) == "文书"  # the contents follow the page
    assert manual_window.back_button.isEnabled()
    qtbot.mouseClick(manual_window.back_button, Qt.MouseButton.LeftButton)
    assert manual_window.page == "case-procedure"
    assert manual_window.tree.currentItem().text(0) == "案件页：办理流程"


def test_a_regulation_page_is_shown_from_the_contents_and_links_back_to_the_screens(qtbot, manual_window):
    item = manual_window.items["regulation-gz2009"]
    manual_window.tree.setCurrentItem(item)
    assert manual_window.page == "regulation-gz2009"
    text = manual_window.view.toPlainText()
    assert "送达调查通知" in text and "第二十一条第一款" in text
    qtbot.mouseClick(manual_window.view.viewport(), Qt.MouseButton.LeftButton,
                     pos=link_position(manual_window.view, "case-procedure.md"))
    qtbot.waitUntil(lambda: manual_window.page == "case-procedure", timeout=3000)


def test_an_address_on_the_web_is_not_opened(manual_window):
    manual_window.open_page("documents")
    manual_window.follow(QUrl("https://www.example.org/"))
    assert manual_window.page == "documents"
    assert manual_window.note.isVisibleTo(manual_window) and "离线" in manual_window.note.text()
    manual_window.open_page("registry")
    assert not manual_window.note.isVisibleTo(manual_window)


def test_images_come_from_the_manual_only_and_fit_the_page(manual_window):
    view = manual_window.view
    image = view.loadResource(QTextDocument.ResourceType.ImageResource.value, QUrl("manual:/images/main-window.png"))
    assert isinstance(image, QImage) and not image.isNull()
    assert image.width() <= max(200, view.viewport().width())
    assert view.loadResource(QTextDocument.ResourceType.ImageResource.value,
                             QUrl("manual:/images/../../regulations/gz2009.toml")) is None
    assert view.loadResource(QTextDocument.ResourceType.ImageResource.value,
                             QUrl("https://www.example.org/x.png")) is None


def test_search_lists_only_the_pages_with_the_words(manual_window):
    manual_window.search.setText("作废 核验码")
    shown = [page for page, item in manual_window.items.items() if not item.isHidden()]
    assert "documents" in shown and "registry" not in shown
    assert manual_window.page == shown[0]
    assert "页面共" in manual_window.found.text()
    manual_window.search.setText("没有这样的字词组合甲乙丙")
    assert all(item.isHidden() for item in manual_window.items.values())
    assert "没有含" in manual_window.found.text()
    manual_window.search.clear()
    assert not any(item.isHidden() for item in manual_window.items.values())


def test_show_manual_reuses_the_window_and_moves_it_to_the_page(qtbot):
    host = QMainWindow()
    qtbot.addWidget(host)
    first = show_manual(host, "transfer")
    assert first.page == "transfer"
    again = show_manual(host, "backup")
    assert again is first and first.page == "backup"
    assert show_manual(host) is first and first.page == "backup"  # F1 without a page keeps the place


def test_install_help_adds_f1_to_the_help_menu(qtbot):
    host = QMainWindow()
    qtbot.addWidget(host)
    help_menu = host.menuBar().addMenu("帮助(&H)")
    about = help_menu.addAction("关于(&A)")
    action = install_help(host)
    assert help_menu.actions()[0] is action and about in help_menu.actions()
    assert action.shortcut().toString() == "F1" and action.text() == "使用手册(&M)"
    host.show()
    qtbot.waitExposed(host)
    host.activateWindow()
    qtbot.waitUntil(host.isActiveWindow, timeout=3000)
    qtbot.keyClick(host, Qt.Key.Key_F1)
    opened = [w for w in host.findChildren(ManualWindow) if w.isVisible()]
    assert len(opened) == 1 and opened[0].page == "registry"  # no case page here: the desk's page
    qtbot.addWidget(opened[0])


def test_f1_on_the_main_window_opens_the_page_of_what_is_on_screen(qtbot, ctx, gui_settings):
    ws = Workspace(ctx)
    case_id = ws.cases.create(profile="gz2009", title="关于对某局问责的案件", clue_source="complaint",
                              received_on=date(2026, 11, 2), respondents=[{"kind": "person", "name": "吴九"}])
    window = MainWindow(ctx, gui_settings)
    qtbot.addWidget(window)
    action = window.help_action  # the main window installs it
    window.show()
    qtbot.waitUntil(lambda: not window.registry.model.loading, timeout=5000)
    assert context_page(window) == "registry"
    page = window.open_case(case_id)
    assert context_page(window) == "case-procedure"
    page.sections.setCurrentWidget(page.form)
    assert context_page(window) == "case-info"
    page.sections.setCurrentWidget(page.wizard)
    page.wizard.documents.tree.setFocus()
    qtbot.waitUntil(lambda: context_page(window) == "documents", timeout=3000)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    qtbot.keyClick(window, Qt.Key.Key_F1)
    opened = [w for w in window.findChildren(ManualWindow) if w.isVisible()]
    assert len(opened) == 1 and opened[0].page == "documents"
    assert action in window.menuBar().actions()[-1].menu().actions()
    opened[0].close()
