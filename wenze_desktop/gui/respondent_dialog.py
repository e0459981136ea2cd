"""One respondent (被问责对象): a person or a unit, with the role and responsibility the regulation names."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtWidgets import QComboBox, QDialog, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from wenze_desktop.domain.glossary import Gender, RespondentKind, term
from wenze_desktop.gui.case_draft import respondent_fields
from wenze_desktop.gui.case_parts_widgets import OptionalDateEdit, with_error
from wenze_desktop.gui.forms import dialog_buttons, show_message
from wenze_desktop.rules.profiles import Profile

_ID_NUMBER = re.compile(r"^\d{17}[\dXx]$|^\d{15}$")
PERSON_ONLY = ("gender", "ethnicity", "birth_date", "unit", "post", "rank", "id_number")


class RespondentDialog(QDialog):
    """``values()`` gives the kind and that kind's fields ("" for an empty box), ready for the case service."""

    def __init__(self, profile: Profile, values: dict[str, Any] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        values = dict(values or {})
        self.profile = profile
        self.setWindowTitle("被问责对象" if values else "添加被问责对象")
        self.kind = QComboBox()
        for kind in profile.applies_to:
            self.kind.addItem(term(kind), kind)
        self.kind.setCurrentIndex(max(0, self.kind.findData(values.get("kind", RespondentKind.PERSON))))
        self.name = QLineEdit(values.get("name") or "")
        self.gender = QComboBox()
        self.gender.addItem("未填写", "")
        for gender in Gender:
            self.gender.addItem(term(gender), str(gender))
        self.gender.setCurrentIndex(max(0, self.gender.findData(values.get("gender") or "")))
        self.ethnicity = QLineEdit(values.get("ethnicity") or "")
        self.ethnicity.setPlaceholderText("如：汉族")
        self.birth_date = OptionalDateEdit()
        self.birth_date.set_value(values.get("birth_date") or None)
        self.unit = QLineEdit(values.get("unit") or "")
        self.post = QLineEdit(values.get("post") or "")
        self.rank = QLineEdit(values.get("rank") or "")
        self.id_number = QLineEdit(values.get("id_number") or "")
        self.principal = QLineEdit(values.get("principal") or "")
        self.role = self._choices(profile.respondent_roles, values.get("role"))
        self.responsibility = self._choices(profile.responsibilities, values.get("responsibility"))

        name_box, self.name_error = with_error(self.name)
        id_box, self.id_number_error = with_error(self.id_number)
        self.form = QFormLayout()
        self.form.addRow("类别：", self.kind)
        self.name_label = QLabel()
        self.form.addRow(self.name_label, name_box)
        self._person_rows = [
            ("性别：", self.gender), ("民族：", self.ethnicity), ("出生日期：", self.birth_date),
            ("所在单位：", self.unit), ("职务：", self.post), ("职级：", self.rank), ("公民身份号码：", id_box)]
        for label, widget in self._person_rows:
            self.form.addRow(label, widget)
        self.form.addRow("主要负责人：", self.principal)
        # Only where the regulation's text distinguishes them (profile [respondents]), citing where it does.
        self.form.addRow(f"职责（{profile.respondent_roles_article}）：", self.role)
        self.form.addRow(f"所负责任（{profile.responsibilities_article}）：", self.responsibility)
        self.form.setRowVisible(self.role, bool(profile.respondent_roles))
        self.form.setRowVisible(self.responsibility, bool(profile.responsibilities))
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(dialog_buttons("确定", "取消", self.apply, self.reject))
        self.kind.currentIndexChanged.connect(self._show_kind)
        self._show_kind()

    @staticmethod
    def _choices(options: tuple[str, ...], current: str | None) -> QComboBox:
        combo = QComboBox()
        combo.addItem("未填写", "")
        for option in options:
            combo.addItem(option, option)
        if current and combo.findData(current) < 0:  # a value the profile no longer names: keep it visible
            combo.addItem(f"{current}（本规定未列）", current)
        combo.setCurrentIndex(max(0, combo.findData(current or "")))
        return combo

    def current_kind(self) -> str:
        return self.kind.currentData()

    def _show_kind(self) -> None:
        person = self.current_kind() == RespondentKind.PERSON
        self.name_label.setText("姓名：" if person else "单位全称：")
        for _, widget in self._person_rows:
            self.form.setRowVisible(widget, person)
        self.form.setRowVisible(self.principal, not person)

    def values(self) -> dict[str, Any]:
        raw = {
            "name": self.name.text().strip(), "gender": self.gender.currentData(),
            "ethnicity": self.ethnicity.text().strip(), "birth_date": self.birth_date.value(),
            "unit": self.unit.text().strip(), "post": self.post.text().strip(), "rank": self.rank.text().strip(),
            "id_number": self.id_number.text().strip().upper(), "principal": self.principal.text().strip(),
            "role": self.role.currentData(), "responsibility": self.responsibility.currentData()}
        return respondent_fields(self.current_kind(), raw)

    def problems(self) -> dict[str, str]:
        values, problems = self.values(), {}
        if not values["name"]:
            problems["name"] = "请填写姓名。" if values["kind"] == RespondentKind.PERSON else "请填写单位全称。"
        if values.get("id_number") and not _ID_NUMBER.match(values["id_number"]):
            problems["id_number"] = "公民身份号码应为18位（或旧式15位）数字，末位可为X。"
        if wrong := self.birth_date.problem():  # an impossible date typed: never saved as "no date"
            problems["birth_date"] = wrong
        return problems

    def apply(self) -> None:
        problems = self.problems()
        show_message(self.name_error, problems.get("name", ""))
        show_message(self.id_number_error, problems.get("id_number", ""))
        self.birth_date.check()  # its message under the field
        if not problems:
            self.accept()
