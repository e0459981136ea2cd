"""The action forms at the clerk's screen: a step recorded after its deadline asks why, and names the deadline; a
long form (the decision) is a page within the screen that the wheel scrolls, not the field under the pointer."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QComboBox, QWidget

from tests.gui.test_wizard import TODAY, new_case, open_form, show, submit
from tests.unit.procedure_helpers import PAPER
from wenze_desktop.gui.changes import ChangeHub
from wenze_desktop.gui.wizard import CaseWizard
from wenze_desktop.services import walkthrough
from wenze_desktop.services.procedure import ProcedureService

FILED = date(2026, 10, 9)  # the notice is due three working days later (Saturday 10 October is one): on the 13th


@pytest.fixture
def wizard(qtbot, ctx, clock) -> CaseWizard:
    widget = CaseWizard(ctx, ChangeHub())
    qtbot.addWidget(widget)
    widget.resize(800, 600)
    widget.show()
    return widget


def late_case(ctx) -> str:
    procedure = ProcedureService(ctx)
    case_id = new_case(ctx, received=date(2026, 9, 1))
    procedure.perform(case_id, "preliminary_check", on=FILED)
    procedure.perform(case_id, "file_case", on=FILED, approved_by="主要领导", paper_ref=PAPER)
    procedure.perform(case_id, "assign_investigators", on=FILED, staff=["调查员甲", "调查员乙"])
    procedure.perform(case_id, "declare_interest", on=FILED, staff=["调查员甲", "调查员乙"], interest=False)
    return case_id


def test_a_late_step_asks_for_the_reason_and_names_the_deadline_it_missed(qtbot, wizard, ctx):
    case_id = late_case(ctx)
    show(qtbot, wizard, case_id)
    dialog = open_form(qtbot, wizard, "serve_notice")
    delay = dialog.delay_field
    assert delay is not None and delay.label == "逾期原因"
    assert dialog.late_note.isVisible() and delay.widget.isVisible()  # dated today, 23 November: 41 days late
    assert "「送达调查通知」的期限（2026-10-13 到期），逾期 41 天" in dialog.late_note.text()

    dialog.on_field.set_value(date(2026, 10, 12))  # within the deadline: nothing to explain
    assert not dialog.late_note.isVisible() and not delay.widget.isVisible()
    assert "delay_reason" not in dialog.collect()[1]

    dialog.on_field.widget.edit.setText("20261123")  # typed: the form follows the date as it is typed
    assert dialog.late_note.isVisible() and delay.widget.isVisible()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and delay.error.text() == "此项必填。"  # asked before anything is sent
    delay.widget.setPlainText("被调查人在外地学习，返回后送达")
    submit(qtbot, wizard, dialog)

    notice = ProcedureService(ctx).view(case_id).last("serve_notice")
    assert notice.on == TODAY and notice.get("delay_reason") == "被调查人在外地学习，返回后送达"
    assert "逾期原因：被调查人在外地学习，返回后送达" in wizard.history.item(0).toolTip() + \
        wizard.history.item(0).text()


def test_an_action_without_a_deadline_has_no_delay_field(qtbot, wizard, ctx):
    case_id = new_case(ctx)
    show(qtbot, wizard, case_id)
    dialog = open_form(qtbot, wizard, "preliminary_check")
    assert dialog.delay_field is None and not dialog.late_note.isVisible()


def wheel(widget: QWidget, steps: int = -3) -> None:
    """The wheel turned over ``widget`` (negative: towards the user, scrolling down)."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0), QPoint(0, 120 * steps),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_the_decision_form_is_a_page_within_the_screen_that_the_wheel_scrolls(qtbot, wizard, ctx):
    case_id = new_case(ctx)
    walkthrough.walk(ProcedureService(ctx), case_id, until="reported", start=date(2026, 11, 2))
    show(qtbot, wizard, case_id)
    dialog = open_form(qtbot, wizard, "decide")
    screen = dialog.screen().availableGeometry()
    assert dialog.height() <= screen.height() and dialog.width() <= screen.width()
    bar = dialog.scroll.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == 0  # longer than the dialog: a page that scrolls

    combo = dialog.fields["paper_scan"].widget
    assert isinstance(combo, QComboBox) and not combo.hasFocus()
    dialog.scroll.ensureWidgetVisible(combo)
    before, index = bar.value(), combo.currentIndex()
    wheel(combo, steps=3)  # up: the page moves, not the choice under the pointer
    assert bar.value() < before and combo.currentIndex() == index

    bar.setValue(0)
    meeting_date = dialog.fields["meeting"].date
    wheel(meeting_date.edit)  # over a date field: the page, and the date stays
    assert bar.value() > 0 and meeting_date.value() == TODAY


def test_a_focused_choice_takes_the_wheel(qtbot, wizard, ctx):
    case_id = late_case(ctx)
    show(qtbot, wizard, case_id)
    dialog = open_form(qtbot, wizard, "serve_notice")
    method = dialog.fields["method"].widget
    method.setCurrentIndex(0)
    wheel(method)
    assert method.currentIndex() == 0  # not focused: left alone
    dialog.activateWindow()
    method.setFocus()
    qtbot.waitUntil(method.hasFocus, timeout=2000)
    wheel(method)
    assert method.currentIndex() == 1  # clicked or tabbed to: the wheel is the user's to turn the choice


def test_correcting_a_late_record_shows_its_reason_and_a_date_moved_in_time_drops_it(qtbot, wizard, ctx):
    case_id = late_case(ctx)
    procedure = ProcedureService(ctx)
    procedure.perform(case_id, "serve_notice", on=date(2026, 10, 20), delay_reason="被调查人出差")
    show(qtbot, wizard, case_id)
    wizard.history.setCurrentRow(0)  # the newest first: 送达调查通知
    dialog = wizard.correct_record()
    assert dialog.delay_field.value() == "被调查人出差" and dialog.delay_field.widget.isVisible()
    assert "逾期 7 天" in dialog.late_note.text()  # the deadline the record met, against its date
    dialog.on_field.set_value(date(2026, 10, 13))
    assert not dialog.delay_field.widget.isVisible()
    on, _reason, data = dialog.correction()
    assert on == date(2026, 10, 13) and data["delay_reason"] is None  # on time now: the reason goes
