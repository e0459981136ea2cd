"""One date input for the whole program: typed in the forms clerks write, empty where it may be, an impossible date
said under the field, and a calendar in Chinese from Monday that opens where the date is likely to be."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QDate, QLocale, Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QTableView, QVBoxLayout, QWidget

from wenze_desktop.gui.action_fields import DateField
from wenze_desktop.gui.case_parts_widgets import EvidenceDialog, OptionalDateEdit
from wenze_desktop.gui.date_input import DateInput, parse_date, years_before
from wenze_desktop.gui.respondent_dialog import RespondentDialog
from wenze_desktop.rules.profiles import load_profile


def type_into(qtbot, widget: DateInput, text: str) -> None:
    """Type as a user does: ASCII by keys, Chinese through the input method (qtbot cannot key non-ASCII), then
    leave the field with Tab."""
    widget.window().activateWindow()
    widget.edit.setFocus()
    qtbot.waitUntil(widget.edit.hasFocus, timeout=2000)
    for char in text:
        if char.isascii():
            qtbot.keyClicks(widget.edit, char)
        else:
            event = QInputMethodEvent()
            event.setCommitString(char)
            QApplication.sendEvent(widget.edit, event)
    qtbot.keyClick(widget.edit, Qt.Key.Key_Tab)


def hosted(qtbot, *widgets: QWidget) -> QWidget:
    """Shown in a window with a line edit after them, where Tab leaves a date field to."""
    window = QWidget()
    layout = QVBoxLayout(window)
    for widget in (*widgets, QLineEdit()):
        layout.addWidget(widget)
    qtbot.addWidget(window)
    window.show()
    return window  # kept by the test: the window owns the fields


@pytest.mark.parametrize("text", ["1980-05-12", "19800512", "1980年5月12日", "1980/5/12", "1980.5.12",
                                  "１９８０－０５－１２", " 1980年05月12日 "])
def test_the_forms_clerks_write_are_read(text):
    assert parse_date(text) == (date(1980, 5, 12), "")


@pytest.mark.parametrize("text, message", [
    ("2026-02-30", "2026年2月只有 28 天，没有 30 日。"), ("20260230", "2026年2月只有 28 天，没有 30 日。"),
    ("2026年13月1日", "没有 13 月，月份应为 1 至 12。"), ("2024-02-30", "2024年2月只有 29 天，没有 30 日。"),
    ("9800512", "「9800512」不是日期"), ("明天", "「明天」不是日期"), ("0980-05-12", "年份 980 不对"),
])
def test_what_is_not_a_date_is_said_in_chinese(text, message):
    day, problem = parse_date(text)
    assert day is None and problem.startswith(message)


@pytest.mark.parametrize("text", ["1980-05-12", "19800512", "1980年5月12日"])
def test_typing_into_an_empty_optional_birth_date(qtbot, text):
    field = OptionalDateEdit()
    _window = hosted(qtbot, field)
    assert field.text() == "" and field.value() is None and field.problem() == ""  # empty: no date, no problem
    type_into(qtbot, field, text)
    assert field.value() == date(1980, 5, 12)
    assert field.text() == "1980-05-12"  # read back in one form once the field is left; never 未填写9800512
    assert not field.message.isVisible()


def test_an_impossible_date_stays_as_typed_with_a_message_under_the_field(qtbot):
    field = DateInput(date(2026, 11, 23))
    _window = hosted(qtbot, field)
    field.edit.clear()
    type_into(qtbot, field, "2026-02-30")
    assert field.text() == "2026-02-30" and field.value() is None  # not silently turned into 2026-02-28 or 03-02
    assert field.message.isVisible() and field.message.text() == "2026年2月只有 28 天，没有 30 日。"
    assert field.message.geometry().top() >= field.edit.geometry().bottom()  # under the field
    assert not field.check()
    field.edit.setText("2026-02-28")  # corrected: the message goes while typing
    assert not field.message.isVisible() and field.value() == date(2026, 2, 28)


def test_a_required_date_left_empty_asks_for_one_and_an_optional_one_does_not(qtbot):
    required, optional = DateInput(date(2026, 11, 23)), DateInput(optional=True)
    _window = hosted(qtbot, required, optional)
    required.edit.clear()
    assert required.value() is None and not required.check() and required.message.text() == "请填写日期。"
    assert optional.check() and optional.value() is None and not optional.message.isVisible()


def test_the_calendar_is_chinese_from_monday_and_opens_on_today_for_procedure_dates(qtbot):
    field = DateField("on", "办理日期", date(2026, 11, 23), True)
    qtbot.addWidget(field.widget)
    field.widget.show()
    popup = field.widget.open_calendar()
    calendar = popup.calendar
    assert popup.isVisible()
    assert calendar.locale().language() == QLocale.Language.Chinese
    assert calendar.locale().territory() == QLocale.Country.China
    assert calendar.firstDayOfWeek() == Qt.DayOfWeek.Monday
    assert calendar.locale().monthName(5) == "五月" and calendar.locale().dayName(1) == "星期一"
    assert (calendar.yearShown(), calendar.monthShown()) == (2026, 11)
    assert calendar.selectedDate() == QDate(2026, 11, 23)
    calendar.clicked.emit(QDate(2026, 11, 20))  # a day picked
    assert not popup.isVisible() and field.value() == date(2026, 11, 20) and field.widget.text() == "2026-11-20"


def test_alt_down_opens_the_calendar_from_the_keyboard(qtbot):
    field = DateInput(date(2026, 11, 23))
    _window = hosted(qtbot, field)
    field.edit.setFocus()
    qtbot.keyClick(field.edit, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert field.popup is not None and field.popup.isVisible()
    days = field.popup.calendar.findChild(QTableView)  # the calendar's grid takes the keys
    qtbot.keyClick(days, Qt.Key.Key_Left)  # a day earlier, then Enter picks it
    qtbot.keyClick(days, Qt.Key.Key_Return)
    assert not field.popup.isVisible() and field.value() == date(2026, 11, 22)


def test_an_empty_birth_date_opens_the_calendar_decades_back_and_a_filled_one_on_its_date(qtbot):
    field = OptionalDateEdit()
    qtbot.addWidget(field)
    field.show()
    field.today = lambda: date(2026, 11, 23)
    calendar = field.open_calendar().calendar
    assert (calendar.yearShown(), calendar.monthShown()) == (1986, 11)  # 40 years back, never January 1900
    field.popup.hide()
    field.set_value(date(1975, 3, 8))
    calendar = field.open_calendar().calendar
    assert (calendar.yearShown(), calendar.monthShown()) == (1975, 3)
    assert years_before(date(2024, 2, 29), 41) == date(1983, 2, 28)  # no 29 February that year


def test_clearing_an_optional_date_from_the_calendar(qtbot):
    field = OptionalDateEdit(years_back=0)
    qtbot.addWidget(field)
    field.show()
    field.set_value(date(2026, 3, 1))
    popup = field.open_calendar()
    buttons = {b.text(): b for b in popup.findChildren(QPushButton)}
    assert set(buttons) == {"今天", "清除"}
    buttons["清除"].click()
    assert field.value() is None and field.text() == ""


def test_the_respondents_birth_date_is_typed_and_kept(qtbot):
    dialog = RespondentDialog(load_profile("gz2009"))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.name.setText("张三")
    type_into(qtbot, dialog.birth_date, "19800512")
    assert dialog.values()["birth_date"] == date(1980, 5, 12)
    assert dialog.birth_date.text() == "1980-05-12"


def test_the_respondent_dialog_refuses_an_impossible_birth_date_instead_of_dropping_it(qtbot):
    dialog = RespondentDialog(load_profile("gz2009"))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.name.setText("张三")
    type_into(qtbot, dialog.birth_date, "1980-02-30")
    dialog.apply()
    assert dialog.isVisible() and dialog.result() == 0 and "birth_date" in dialog.problems()
    assert "没有 30 日" in dialog.birth_date.message.text()
    dialog.birth_date.set_value(date(1980, 2, 28))
    dialog.apply()
    assert dialog.result() == 1 and dialog.values()["birth_date"] == date(1980, 2, 28)


def test_the_evidence_dialog_refuses_an_impossible_date_instead_of_dropping_it(qtbot):
    dialog = EvidenceDialog([])
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.title.setText("询问笔录")
    type_into(qtbot, dialog.collected_on, "2026-13-01")
    dialog.apply()
    assert dialog.isVisible() and dialog.result() == 0
    assert dialog.collected_on.message.text() == "没有 13 月，月份应为 1 至 12。"
    dialog.collected_on.set_value(date(2026, 11, 2))
    dialog.apply()
    assert dialog.values()["collected_on"] == date(2026, 11, 2) and dialog.result() == 1
