"""The regulations' own words in the program: the 规定原文 window, opened at a citation, from a refusal, from 帮助."""

from __future__ import annotations

from datetime import date
from html import escape

import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel

from wenze_desktop.errors import WenzeError
from wenze_desktop.gui.changes import ChangeHub
from wenze_desktop.gui.main_window import MainWindow
from wenze_desktop.gui.regulation_text import RegulationTextDialog, show_citation
from wenze_desktop.gui.wizard import CaseWizard
from wenze_desktop.rules.profiles import all_profiles
from wenze_desktop.rules.texts import load_text
from wenze_desktop.services import walkthrough
from wenze_desktop.services.cases import CaseService
from wenze_desktop.services.procedure import ProcedureService

MARKED = QColor("#ffe58a")


def opened(qtbot, profile_id: str, citation: str = "") -> RegulationTextDialog:
    dialog = show_citation(None, profile_id, citation)
    assert dialog is not None
    qtbot.addWidget(dialog)
    return dialog


def highlighted(dialog: RegulationTextDialog) -> list[str]:
    """The highlighted text in the article view, one entry per paragraph or item."""
    runs, block = [], dialog.view.document().begin()
    while block.isValid():
        it, run = block.begin(), ""
        while not it.atEnd():
            if it.fragment().charFormat().background().color() == MARKED:
                run += it.fragment().text()
            it += 1
        runs += [run] if run else []
        block = block.next()
    return runs


def shown_articles(dialog: RegulationTextDialog) -> list[str]:
    return [key for key, item in dialog.items.items() if not item.isHidden()]


def test_opens_at_wf2011_article_11_with_its_words_highlighted(qtbot):
    dialog = opened(qtbot, "wf2011", "第十一条")
    assert dialog.isVisible() and not dialog.isModal()
    assert dialog.windowTitle() == "规定原文 — 《潍坊学校安全稳定事故问责办法》"
    words = load_text("wf2011").article("", "第十一条").text
    assert "申辩" in words and words in dialog.view.toPlainText()
    assert highlighted(dialog) == [words]
    assert dialog.tree.currentItem() is dialog.items["第十一条"]
    assert "第十一条" in dialog.note.text()
    assert dialog.source.text().startswith("来源：") and "seeds/" in dialog.source.text()
    assert dialog.height() <= 640 and dialog.width() <= 900
    # The same regulation over the same window is reused, at the new citation.
    assert show_citation(None, "wf2011", "第十一条") is dialog


def test_a_paragraph_or_an_item_highlights_only_that_part(qtbot):
    text = load_text("wf2011")
    two = next(a for a in text.articles if len(a.paragraphs) >= 2 and not a.document)
    dialog = opened(qtbot, "wf2011", f"{two.citation}第二款")
    assert "\n".join(highlighted(dialog)) == two.paragraphs[1].full
    assert two.paragraphs[0].text in dialog.view.toPlainText()  # shown, not highlighted

    listed = next(a for a in text.articles if a.paragraphs and len(a.paragraphs[0].items) >= 3)
    dialog.open_at(f"{listed.citation}（三）")
    assert highlighted(dialog) == [listed.paragraphs[0].items[2][1]]

    dialog.open_at(f"{two.citation}第一款、{listed.citation}（一）")  # several parts: each highlighted
    assert "\n".join(highlighted(dialog)) == f"{two.paragraphs[0].full}\n{listed.paragraphs[0].items[0][1]}"


def test_search_filters_the_articles(qtbot):
    dialog = opened(qtbot, "wf2011")
    everything = shown_articles(dialog)
    dialog.search.setText("申辩")
    found = shown_articles(dialog)
    assert "第十一条" in found and len(found) < len(everything)
    assert all("申辩" in dialog.articles[key].text for key in found)
    assert "共 " in dialog.note.text()
    dialog.search.setText("没有这样的字词")
    assert shown_articles(dialog) == [] and "没有含" in dialog.note.text()
    dialog.search.clear()
    assert shown_articles(dialog) == everything


def test_several_documents_are_listed_each_with_its_articles(qtbot):
    dialog = opened(qtbot, "jc2017", "责任追究办法第一条")
    tops = [dialog.tree.topLevelItem(i).text(0) for i in range(dialog.tree.topLevelItemCount())]
    assert tops == list(load_text("jc2017").documents)
    assert dialog.tree.currentItem() is dialog.items["责任追究办法第一条"]


def test_an_unknown_citation_says_so_in_chinese(qtbot):
    dialog = opened(qtbot, "wf2011", "第九十九条")
    assert dialog.isVisible()
    assert "第九十九条" in dialog.note.text() and "问责办法》" in dialog.note.text()
    assert "wf2011" not in dialog.note.text() and highlighted(dialog) == []


@pytest.fixture
def wizard(qtbot, ctx, clock) -> CaseWizard:
    widget = CaseWizard(ctx, ChangeHub())
    qtbot.addWidget(widget)
    widget.resize(800, 600)
    widget.show()
    return widget


class Found(Exception):
    pass


def case_with_a_cited_refusal(ctx) -> str:
    """A case walked along its main path until an action it offers is refused citing an article (which one
    depends on the profiles, and they change: any will do)."""
    procedure = ProcedureService(ctx)
    for profile in ("gz2009", "wf2011", *(p.id for p in all_profiles())):
        try:
            case_id = CaseService(ctx).create(
                profile=profile, title="关于张三的问责案", clue_source="complaint", received_on=date(2026, 11, 2),
                respondents=[{"kind": "person", "name": "张三", "unit": "某单位", "post": "副职"}], facts="事实")
        except WenzeError:
            continue

        def check(*_step, case_id: str = case_id) -> None:
            if any(o.refusal is not None and o.refusal.article for o in procedure.actions(case_id)):
                raise Found

        try:
            check()
            walkthrough.walk(procedure, case_id, start=date(2026, 11, 2), on_step=check)
        except Found:
            return case_id
    raise AssertionError("no profile's main path offers an action refused with a citation")


def test_a_cited_refusal_links_to_its_article(qtbot, wizard, ctx):
    case_id = case_with_a_cited_refusal(ctx)
    with qtbot.waitSignal(wizard.refreshed, timeout=10000):
        wizard.show_case(case_id)

    cited = {a: line for a, line in wizard.refusal_labels.items() if wizard.options[a].refusal.article}
    assert cited
    for action, line in wizard.refusal_labels.items():  # uncited readings and facts get no link
        assert (line.link is not None) == (action in cited)
    action, line = next(iter(cited.items()))
    article = wizard.options[action].refusal.article
    assert line.text() == str(wizard.options[action].refusal)
    text = load_text(wizard.profile.id)
    assert line.toolTip().startswith(str(wizard.options[action].refusal)[:10])
    assert escape(text.find(article)[0].text[:8]) in line.toolTip()
    line.link.linkActivated.emit("#")
    dialog = wizard.findChild(RegulationTextDialog)
    assert dialog is not None and dialog.isVisible()
    assert article in dialog.note.text() and highlighted(dialog)
    first = text.find(article)[0].article.citation
    assert dialog.tree.currentItem() is dialog.items[first]

    # The timeline shows a step's article's words as tooltip.
    assert any(row.title.toolTip() for row in wizard.timeline.values())

    # An action form's heading links to its article too.
    button = next(b for a, b in wizard.action_buttons.items() if b.isEnabled() and wizard.options[a].article)
    button.click()
    form = wizard.active_dialog
    heading = next(label for label in form.findChildren(QLabel) if "查看条文" in label.text())
    heading.linkActivated.emit("#cite")
    from_form = form.findChild(RegulationTextDialog)
    assert from_form is not None and from_form.isVisible() and highlighted(from_form)
    form.reject()


def test_help_menu_opens_each_regulation(qtbot, ctx, gui_settings):
    window = MainWindow(ctx, gui_settings)
    qtbot.addWidget(window)
    window.show()
    entries = window.regulation_menu.actions()
    assert "《潍坊学校安全稳定事故问责办法》…" in [a.text() for a in entries]
    next(a for a in entries if "潍坊" in a.text()).trigger()
    dialog = window.findChild(RegulationTextDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.windowTitle() == "规定原文 — 《潍坊学校安全稳定事故问责办法》"
    assert dialog.view.toPlainText().strip()
