"""One date input for the whole program: typed or picked from a calendar in Chinese, empty where it may be.

Typing into the field works as clerks write dates: ``2026-11-27``, ``20261127``, ``2026年11月27日``, ``2026/11/27``,
``2026.11.27`` (full-width digits too). What is not a date — or a date that does not exist (2026-02-30, 13月) —
stays as typed, with a message in Chinese under the field: never silently turned into another date. A valid date
reads as ``2026-11-27`` once the field is left.

The calendar button opens a calendar in Chinese, weeks from Monday, on the field's date; on an empty field, on a
page the caller chooses: today for procedure dates, some decades back for birth dates (``years_back``).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QDate, QEvent, QLocale, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCalendarWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

EARLIEST, LATEST = date(1900, 1, 1), date(2100, 12, 31)
EXAMPLE = "2026-11-27、20261127 或 2026年11月27日"
SHORT_EXAMPLE = "2026-11-27 或 2026年11月27日"

_SEPARATED = re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})$")
_DIGITS = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_WRITTEN = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$")


def parse_date(text: str) -> tuple[date | None, str]:
    """(the date, "") for a date; (None, why) for what is not one; (None, "") for an empty text."""
    typed = unicodedata.normalize("NFKC", text or "").strip()  # full-width digits and separators as ASCII
    if not typed:
        return None, ""
    found = _SEPARATED.match(typed) or _DIGITS.match(typed) or _WRITTEN.match(typed)
    if found is None:
        shown = text.strip() if len(text.strip()) <= 12 else text.strip()[:11] + "…"
        return None, f"「{shown}」不是日期，请写成 {SHORT_EXAMPLE}。"
    year, month, day = (int(g) for g in found.groups())
    if not EARLIEST.year <= year <= LATEST.year:
        return None, f"年份 {year} 不对，应在 {EARLIEST.year} 至 {LATEST.year} 之间。"
    if not 1 <= month <= 12:
        return None, f"没有 {month} 月，月份应为 1 至 12。"
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        return None, f"{year}年{month}月只有 {last} 天，没有 {day} 日。"
    return date(year, month, day), ""


def chinese_locale() -> QLocale:
    return QLocale(QLocale.Language.Chinese, QLocale.Country.China)


def years_before(day: date, years: int) -> date:
    """The same day ``years`` earlier (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


class CalendarPopup(QFrame):
    """The calendar under a date field: a click picks the day; 今天, and 清除 for a date that may stay empty."""

    picked = Signal(object)  # date, or None for 清除

    def __init__(self, optional: bool, today: Callable[[], date], parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.today = today
        self.calendar = QCalendarWidget()
        self.calendar.setLocale(chinese_locale())
        self.calendar.setFirstDayOfWeek(Qt.DayOfWeek.Monday)
        self.calendar.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
        self.calendar.setGridVisible(True)
        self.calendar.setDateRange(QDate(EARLIEST.year, 1, 1), QDate(LATEST.year, 12, 31))
        self.calendar.clicked.connect(lambda day: self._pick(day.toPython()))
        self.calendar.activated.connect(lambda day: self._pick(day.toPython()))
        today = QPushButton("今天")
        today.setAutoDefault(False)
        today.clicked.connect(lambda _=False: self._pick(self.today()))
        row = QHBoxLayout()
        row.addWidget(today)
        if optional:
            clear = QPushButton("清除")
            clear.setToolTip("不填写日期")
            clear.setAutoDefault(False)
            clear.clicked.connect(lambda _=False: self._pick(None))
            row.addWidget(clear)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.calendar)
        layout.addLayout(row)

    def show_on(self, day: date, below: QWidget) -> None:
        """Open on ``day``'s month, under ``below`` (above it when the screen ends first)."""
        self.calendar.setSelectedDate(QDate(day.year, day.month, day.day))
        self.calendar.setCurrentPage(day.year, day.month)
        self.adjustSize()
        where = below.mapToGlobal(QPoint(0, below.height()))
        screen = (below.screen() or QGuiApplication.primaryScreen()).availableGeometry()
        x = max(screen.left(), min(where.x(), screen.right() - self.width()))
        y = where.y() if where.y() + self.height() <= screen.bottom() else where.y() - below.height() - self.height()
        self.move(x, max(screen.top(), y))
        self.show()
        self.calendar.setFocus()

    def _pick(self, day: date | None) -> None:
        self.hide()
        self.picked.emit(day)


class DateInput(QWidget):
    """A date typed or picked. ``optional``: empty means "no date" (``value()`` None) and is not a problem.
    ``years_back``: on an empty field the calendar opens this many years before today (birth dates: 40)."""

    changed = Signal()  # the text changed, by typing or picking

    def __init__(self, value: date | str | None = None, *, optional: bool = False, years_back: int = 0,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.optional, self.years_back = optional, years_back
        self.today: Callable[[], date] = date.today  # a host with its own clock may set it
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("未填写" if optional else "如 2026-11-27")
        self.edit.setToolTip(f"可直接输入，如 {EXAMPLE}；或点「日历」选择。Alt+↓ 打开日历。")
        self.edit.setMaxLength(24)
        self.edit.setMinimumWidth(self.edit.fontMetrics().horizontalAdvance("2026年11月27日") + 24)
        self.edit.editingFinished.connect(self._finished)
        self.edit.textChanged.connect(self._typed)
        self.edit.installEventFilter(self)
        self.setFocusProxy(self.edit)
        self.button = QToolButton()
        self.button.setText("日历")
        self.button.setToolTip("从日历中选择日期（Alt+↓）")
        self.button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.button.clicked.connect(lambda _=False: self.open_calendar())
        self.message = QLabel()
        self.message.setObjectName("errorLabel")
        # One line: a wrapped label under a narrow field was cut off in dialogs that do not grow in height.
        self.message.setWordWrap(False)
        self.message.setStyleSheet("color: #b00020;")
        self.message.hide()
        self.popup: CalendarPopup | None = None
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(self.edit)
        row.addWidget(self.button)
        row.addStretch(1)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addLayout(row)
        column.addWidget(self.message)
        self.set_value(value)

    # -- value ------------------------------------------------------------------------------------------------------
    def value(self) -> date | None:
        """The date typed or picked; None when the field is empty or holds what is not a date (see ``problem``)."""
        return parse_date(self.edit.text())[0]

    def set_value(self, value: date | str | None) -> None:
        if isinstance(value, str):
            value = date.fromisoformat(value[:10]) if value.strip() else None
        self.edit.setText(value.isoformat() if value else "")
        self._show("")

    def text(self) -> str:
        return self.edit.text()

    def is_empty(self) -> bool:
        return not self.edit.text().strip()

    def problem(self) -> str:
        """Why the field holds no usable date ("" when it holds one, or is empty and may be)."""
        if self.is_empty():
            return "" if self.optional else "请填写日期。"
        return parse_date(self.edit.text())[1]

    def check(self) -> bool:
        """Show the problem under the field (or clear it); whether the field is fine."""
        text = self.problem()
        self._show(text)
        return not text

    # -- calendar -------------------------------------------------------------------------------------------------
    def opens_on(self) -> date:
        """The day the calendar shows: the field's date, else today less ``years_back`` years."""
        return self.value() or years_before(self.today(), self.years_back)

    def open_calendar(self) -> CalendarPopup:
        if self.popup is None:
            self.popup = CalendarPopup(self.optional, lambda: self.today(), self)
            self.popup.picked.connect(self._picked)
        self.popup.show_on(self.opens_on(), self.edit)
        return self.popup

    def _picked(self, day: date | None) -> None:
        if day is None and not self.optional:
            return
        self.set_value(day)
        self.edit.setFocus()
        self.changed.emit()

    # -- typing ---------------------------------------------------------------------------------------------------
    def _typed(self, _text: str) -> None:
        if self.message.isVisible() and not self.problem():
            self._show("")  # fixed while typing: the message goes; a new one waits until the field is left
        self.changed.emit()

    def _finished(self) -> None:
        day, problem = parse_date(self.edit.text())
        if day is not None and self.edit.text() != day.isoformat():
            self.edit.setText(day.isoformat())  # 19800512 reads as 1980-05-12 once typed
        self._show(problem or ("" if self.optional or not self.is_empty() else "请填写日期。"))

    def _show(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.edit and event.type() == QEvent.Type.KeyPress:
            down = event.key() == Qt.Key.Key_Down and event.modifiers() & Qt.KeyboardModifier.AltModifier
            if down or event.key() == Qt.Key.Key_F4:
                self.open_calendar()
                return True
        return super().eventFilter(watched, event)

