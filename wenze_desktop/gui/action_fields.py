"""The input widgets of the action forms, one per kind of field in the registry (procedure/fields.py).

Each field turns what the user typed or ticked into the data shape the services accept (the shapes the worked
examples in docs/procedure.md use). Fields only check that required input is present; whether the data satisfies
the regulation is the engine's answer, shown by the dialog.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from wenze_desktop.gui.date_input import DateInput
from wenze_desktop.gui.forms import error_label, show_message
from wenze_desktop.procedure.fields import EXTENSION_UNITS, meeting_name
from wenze_desktop.procedure.view import RespondentView
from wenze_desktop.rules.profiles import Profile

_SEPARATORS = re.compile(r"[\n,，、;；]+")


def parse_names(text: str) -> list[str]:
    """Names typed one per line or separated by 、 or commas, without blanks or repeats."""
    return list(dict.fromkeys(n.strip() for n in _SEPARATORS.split(text) if n.strip()))


def date_edit(value: date | None, *, optional: bool = False) -> DateInput:
    """A date typed or picked (gui/date_input.py); its calendar opens on the date, else on today."""
    return DateInput(value, optional=optional)


class _WheelToPage(QObject):
    """A combo box or spin box the pointer merely passes over does not take the wheel: the page scrolls."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.Wheel or not isinstance(watched, QWidget) or watched.hasFocus():
            return super().eventFilter(watched, event)
        page = watched.parentWidget()
        while page is not None and not isinstance(page, QAbstractScrollArea):
            page = page.parentWidget()
        if page is not None:  # handed to the page's scroll bar itself (Qt does not pass a filtered wheel on)
            vertical = abs(event.angleDelta().y()) >= abs(event.angleDelta().x())
            QApplication.sendEvent(page.verticalScrollBar() if vertical else page.horizontalScrollBar(), event)
        return True


_WHEEL_TO_PAGE = _WheelToPage()


def wheel_scrolls_page(root: QWidget) -> None:
    """Every combo box and spin box under ``root`` changes by the wheel only once focused (clicked or tabbed to);
    over a date field the wheel scrolls the page too."""
    for widget in [*root.findChildren(QComboBox), *root.findChildren(QAbstractSpinBox)]:
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the wheel alone does not focus it
        widget.installEventFilter(_WHEEL_TO_PAGE)
    for date_input in root.findChildren(DateInput):
        date_input.edit.installEventFilter(_WHEEL_TO_PAGE)


class Field:
    """One data key: its widget, its error line, and the conversion to and from the service's data shape."""

    def __init__(self, key: str, label: str, widget: QWidget, required: bool = False) -> None:
        self.key, self.label, self.widget, self.required = key, label, widget, required
        self.error = error_label()

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def empty(self) -> bool:
        value = self.value()
        return value is None or value == "" or value == [] or value == {}

    def problem(self) -> str:
        """What is missing, in words for the user ("" when the field is fine)."""
        return "此项必填。" if self.required and self.empty() else ""

    def put(self, data: dict[str, Any]) -> None:
        if not self.empty():
            data[self.key] = self.value()

    def check(self) -> bool:
        text = self.problem()
        show_message(self.error, text)
        return not text


class TextField(Field):
    def __init__(self, key: str, label: str, required: bool = False, *, long: bool = False,
                 placeholder: str = "") -> None:
        widget = QPlainTextEdit() if long else QLineEdit()
        if long:
            widget.setTabChangesFocus(True)
            widget.setFixedHeight(64)
        widget.setPlaceholderText(placeholder)
        super().__init__(key, label, widget, required)

    def value(self) -> str:
        w = self.widget
        return (w.toPlainText() if isinstance(w, QPlainTextEdit) else w.text()).strip()

    def set_value(self, value: Any) -> None:
        w = self.widget
        (w.setPlainText if isinstance(w, QPlainTextEdit) else w.setText)("" if value is None else str(value))


class NamesField(TextField):
    def __init__(self, key: str, label: str, required: bool = False) -> None:
        super().__init__(key, label, required, long=True, placeholder="每行一个姓名，或用顿号、逗号分隔")
        self.widget.setFixedHeight(52)

    def value(self) -> list[str]:
        return parse_names(self.widget.toPlainText())

    def set_value(self, value: Any) -> None:
        self.widget.setPlainText("\n".join([value] if isinstance(value, str) else list(value or [])))


class PickNamesField(Field):
    """Names chosen from a known list (the investigation team), as checkable rows."""

    def __init__(self, key: str, label: str, choices: list[str], checked: list[str],
                 required: bool = False) -> None:
        widget = QListWidget()
        for name in choices:
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in checked else Qt.CheckState.Unchecked)
            widget.addItem(item)
        widget.setFixedHeight(min(120, 24 * max(2, len(choices)) + 6))
        super().__init__(key, label, widget, required)
        if not choices:
            self.error.setText("没有可选的人员。")

    def items(self) -> list[QListWidgetItem]:
        return [self.widget.item(i) for i in range(self.widget.count())]

    def value(self) -> list[str]:
        return [i.text() for i in self.items() if i.checkState() == Qt.CheckState.Checked]

    def set_value(self, value: Any) -> None:
        wanted = [value] if isinstance(value, str) else list(value or [])
        for item in self.items():
            item.setCheckState(Qt.CheckState.Checked if item.text() in wanted else Qt.CheckState.Unchecked)


class BoolField(Field):
    def __init__(self, key: str, label: str, default: bool) -> None:
        widget = QCheckBox(label)
        widget.setChecked(default)
        super().__init__(key, "", widget)

    def value(self) -> bool:
        return self.widget.isChecked()

    def set_value(self, value: Any) -> None:
        self.widget.setChecked(bool(value))

    def empty(self) -> bool:
        return False  # unticked is an answer too ("no interest", "not accountable")


class ChoiceField(Field):
    """A fixed choice (outcome, review kind, which deadline) or, when editable, a suggestion list."""

    def __init__(self, key: str, label: str, choices: list[tuple[str, str]], required: bool = False, *,
                 editable: bool = False) -> None:
        widget = QComboBox()
        widget.setEditable(editable)
        for text, data in choices:
            widget.addItem(text, data)
        if editable:
            widget.setCurrentIndex(-1)
        super().__init__(key, label, widget, required)

    def value(self) -> str:
        w = self.widget
        if w.isEditable():
            return w.currentText().strip()
        return "" if w.currentIndex() < 0 else str(w.currentData())

    def set_value(self, value: Any) -> None:
        index = self.widget.findData(value)
        if index < 0:
            index = self.widget.findText(str(value))
        if index >= 0:
            self.widget.setCurrentIndex(index)
        elif self.widget.isEditable():
            self.widget.setEditText(str(value))


class DateField(Field):
    """A date; an optional one may stay empty. What is typed but is not a date is shown under the field by the
    date input itself (the field's own error line stays for the form's messages)."""

    def __init__(self, key: str, label: str, default: date | None, required: bool = False) -> None:
        super().__init__(key, label, date_edit(default, optional=not required), required)

    def value(self) -> date | None:
        return self.widget.value()

    def set_value(self, value: Any) -> None:
        self.widget.set_value(value if isinstance(value, date) or value is None else str(value))

    def empty(self) -> bool:
        return self.widget.is_empty()

    def problem(self) -> str:
        return self.widget.problem()

    def check(self) -> bool:
        show_message(self.error, "")
        return self.widget.check()


class FormsField(Field):
    """Forms of accountability from the profile, only those that fit each respondent's kind.

    ``per_respondent``: with more than one respondent the choice is made for each (``[{respondent, form}]``);
    otherwise the value is a plain list of form names, as report recommendations and single-respondent decisions
    are recorded.
    """

    def __init__(self, key: str, label: str, profile: Profile, respondents: tuple[RespondentView, ...],
                 checked: list[str], required: bool = False, *, per_respondent: bool = True) -> None:
        widget = QTreeWidget()
        widget.setHeaderHidden(True)
        widget.setRootIsDecorated(False)
        self.per_respondent = per_respondent and len(respondents) > 1
        groups = [(r.name, (r.kind,)) for r in respondents] if self.per_respondent else \
            [("", tuple(dict.fromkeys(r.kind for r in respondents)) or ("person",))]
        for who, kinds in groups:
            parent = QTreeWidgetItem(widget, [f"{who}（{self._kind_label(kinds)}）"]) if who else None
            seen: set[str] = set()
            for form in profile.forms:
                if form.name in seen or not set(kinds) & set(form.applies_to):
                    continue
                seen.add(form.name)
                item = QTreeWidgetItem([f"{form.name}　{form.article}"])
                item.setData(0, Qt.ItemDataRole.UserRole, (who, form.name))
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(0, Qt.CheckState.Checked if form.name in checked else Qt.CheckState.Unchecked)
                (parent.addChild if parent else widget.addTopLevelItem)(item)
        widget.expandAll()
        widget.setRootIsDecorated(self.per_respondent)
        widget.setMinimumHeight(140)
        super().__init__(key, label, widget, required)

    @staticmethod
    def _kind_label(kinds: tuple[str, ...]) -> str:
        return "、".join("单位" if k == "unit" else "个人" for k in kinds)

    def form_items(self) -> list[QTreeWidgetItem]:
        found = []
        for i in range(self.widget.topLevelItemCount()):
            top = self.widget.topLevelItem(i)
            found.extend([top.child(j) for j in range(top.childCount())] if self.per_respondent else [top])
        return found

    def value(self) -> list:
        chosen = [i.data(0, Qt.ItemDataRole.UserRole) for i in self.form_items()
                  if i.checkState(0) == Qt.CheckState.Checked]
        if self.per_respondent:
            return [{"respondent": who, "form": form} for who, form in chosen]
        return [form for _who, form in chosen]

    def set_value(self, value: Any) -> None:
        """Form names (for every respondent) or ``[{"respondent", "form"}]``."""
        wanted = {(v["respondent"], v["form"]) if isinstance(v, dict) else ("*", v) for v in value or []}
        for item in self.form_items():
            who, form = item.data(0, Qt.ItemDataRole.UserRole)
            on = (who, form) in wanted or ("*", form) in wanted
            item.setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)


class MeetingField(Field):
    """The collective decision meeting: date, attendees, members who dissented."""

    def __init__(self, key: str, label: str, default: date, required: bool, body: str = "") -> None:
        box = QGroupBox(label)
        box.setCheckable(not required)  # when the regulation does not ask for one, recording it is optional
        box.setChecked(required)
        self.date = date_edit(default)
        # prefilled when the regulation names one body; "市委常委会议或市政府常务会议" is the clerk's to choose
        self.body = QLineEdit(meeting_name(body) if body and "或" not in body else "")
        self.body.setPlaceholderText("例如：市委常委会议")
        self.attendees = QPlainTextEdit()
        self.attendees.setPlaceholderText("每行一个姓名，或用顿号、逗号分隔")
        self.dissenting = QPlainTextEdit()
        self.dissenting.setPlaceholderText("没有持不同意见的成员则留空")
        for edit in (self.attendees, self.dissenting):
            edit.setTabChangesFocus(True)
            edit.setFixedHeight(52)
        form = QFormLayout(box)
        form.addRow("会议日期：", self.date)
        form.addRow("会议名称：", self.body)
        form.addRow("出席人员：", self.attendees)
        form.addRow("持不同意见的成员：", self.dissenting)
        super().__init__(key, "", box, required)

    def value(self) -> dict | None:
        if self.widget.isCheckable() and not self.widget.isChecked():
            return None
        held_on = self.date.value()
        return {"date": held_on.isoformat() if held_on else "", "body": self.body.text().strip(),
                "attendees": parse_names(self.attendees.toPlainText()),
                "dissenting": parse_names(self.dissenting.toPlainText())}

    def set_value(self, value: Any) -> None:
        if self.widget.isCheckable():
            self.widget.setChecked(value is not None)
        if value:
            on = value.get("date")
            self.date.set_value(on if isinstance(on, date) or not on else str(on))
            self.body.setText(str(value.get("body", "")))
            self.attendees.setPlainText("\n".join(value.get("attendees", [])))
            self.dissenting.setPlainText("\n".join(value.get("dissenting", [])))

    def empty(self) -> bool:
        return self.value() is None

    def problem(self) -> str:
        meeting = self.value()
        if meeting is None:
            return "请登记集体讨论会议。" if self.required else ""
        if not self.date.check():
            return "请填写正确的会议日期。"
        return "" if meeting["attendees"] else "请登记出席会议的人员。"


class ExtensionField(Field):
    """How long an extension is: N working days or N days (the service takes one of the two keys)."""

    def __init__(self, label: str, keys: tuple[str, ...] = ("working_days", "days")) -> None:
        box = QWidget()
        self.amount = QSpinBox()
        self.amount.setRange(1, 365)
        self.amount.setValue(15)
        self.unit = QComboBox()
        for key in keys:
            self.unit.addItem(EXTENSION_UNITS[key], key)
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.amount)
        row.addWidget(self.unit)
        row.addStretch(1)
        super().__init__("extension", label, box, True)

    def value(self) -> dict[str, int]:
        return {self.unit.currentData(): self.amount.value()}

    def set_value(self, value: Any) -> None:
        (key, amount), = dict(value).items()
        self.unit.setCurrentIndex(self.unit.findData(key))
        self.amount.setValue(int(amount))

    def put(self, data: dict[str, Any]) -> None:
        data.update(self.value())

    def load(self, data: Any) -> None:
        """From a record's data, where the amount is stored under its unit's key."""
        for index in range(self.unit.count()):
            key = self.unit.itemData(index)
            if data.get(key):
                self.set_value({key: data[key]})


def field_row(field: Field) -> tuple[str, QWidget]:
    """The label and a widget holding the field with its error line under it."""
    holder = QWidget()
    column = QFormLayout(holder)
    column.setContentsMargins(0, 0, 0, 0)
    column.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
    column.addRow(field.widget)
    column.addRow(field.error)
    mark = "＊" if field.required and field.label else ""
    return (f"{mark}{field.label}：" if field.label else ""), holder


def note_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: #555;")
    return label
