"""Pieces of the case form: a date that may stay empty, a field with its error line, the evidence dialog."""

from __future__ import annotations

import mimetypes
import os
import shutil
import tempfile
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from wenze_desktop.domain.glossary import term
from wenze_desktop.errors import WenzeError
from wenze_desktop.gui.case_draft import AttachmentRow, CaseDraft
from wenze_desktop.gui.date_input import DateInput
from wenze_desktop.gui.forms import dialog_buttons, error_label, show_message
from wenze_desktop.rules.profiles import load_profile
from wenze_desktop.services.case_attachments import MAX_ATTACHMENT_BYTES
from wenze_desktop.services.case_parts import EVIDENCE_KINDS


class OptionalDateEdit(DateInput):
    """A date that may be "not recorded" (empty: ``value()`` None), typed or picked (gui/date_input.py).

    Mostly birth dates: on an empty field the calendar opens ``years_back`` years before today (40, a plausible
    birth year; 0 for dates such as when evidence was collected). What is typed but is not a date is shown under
    the field, and ``problem()`` says it for the dialog's check.
    """

    def __init__(self, parent: QWidget | None = None, *, years_back: int = 40) -> None:
        super().__init__(None, optional=True, years_back=years_back, parent=parent)


def with_error(widget: QWidget) -> tuple[QWidget, QLabel]:
    """The widget with a red line under it for its validation message (hidden until there is one)."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(widget)
    label = error_label()
    layout.addWidget(label)
    return box, label


def ask_discard(parent: QWidget) -> bool:
    answer = QMessageBox.question(parent, "放弃修改？", "表单中有尚未保存的修改。\n放弃这些修改并关闭吗？",
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def exec_dialog(dialog: QDialog) -> bool:
    return dialog.exec() == QDialog.DialogCode.Accepted


def read_attachment_file(path: Path) -> AttachmentRow | str:
    """The file as an unsaved attachment (with its SHA-256), or a message saying why it cannot be added."""
    try:
        if path.stat().st_size > MAX_ATTACHMENT_BYTES:
            return f"附件超过 {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB，请压缩或拆分后再添加。"
        content = path.read_bytes()
    except OSError as error:
        return f"无法读取文件「{path.name}」：{error.strerror or error}"
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return AttachmentRow.from_bytes(path.name, content, media_type)


VIEWER_PREFIX = "wenze-view-"


class ViewerFiles:
    """Copies handed to the system viewer, which needs a file: one private directory, removed with its owner.

    The one deliberate exception to "no temp files with case data" (the clerk asked to open the file); what a
    crash leaves behind is removed at the next start (``remove_stale_viewer_copies``).
    """

    def __init__(self) -> None:
        self.directory: Path | None = None

    def write(self, filename: str, content: bytes) -> Path:
        try:
            if self.directory is None:
                self.directory = Path(tempfile.mkdtemp(prefix=VIEWER_PREFIX))  # mode 0700: this user only
                weakref.finalize(self, shutil.rmtree, self.directory, True)
            target = self.directory / Path(filename).name
            target.write_bytes(content)
        except OSError as error:
            raise WenzeError(f"无法为查看程序准备附件副本：{error.strerror or error}") from error
        return target


def remove_stale_viewer_copies() -> int:
    """Delete viewer copies left by an earlier run that did not end cleanly; returns how many were found."""
    stale = [p for p in Path(tempfile.gettempdir()).glob(VIEWER_PREFIX + "*") if p.is_dir() and _mine(p)]
    for directory in stale:
        shutil.rmtree(directory, ignore_errors=True)
    return len(stale)


def _mine(path: Path) -> bool:
    try:
        return not hasattr(os, "getuid") or path.stat().st_uid == os.getuid()
    except OSError:
        return False


def ended_note(details) -> str:
    """The notice for a case that has ended (withdrawn, archived): the services keep its record closed."""
    profile = load_profile(details.regulation_id)
    if not profile.is_terminal(details.step):
        return ""
    return f"案件已终结（{profile.step_label(details.step)}），只能查阅，不能修改。"


def form_of(rows: list[tuple[str, QWidget]]) -> QFormLayout:
    form = QFormLayout()
    for label, widget in rows:
        form.addRow(label, widget)
    return form


def page_of(items: list) -> QWidget:
    page = QWidget()
    layout = QVBoxLayout(page)
    for item in items:
        layout.addLayout(item) if isinstance(item, QHBoxLayout) else layout.addWidget(item)
    return page


def action_row(*specs: tuple[str, Callable[[], Any]]) -> QHBoxLayout:
    """Buttons on the left, each calling its slot with no arguments (not with ``clicked``'s bool)."""
    buttons = []
    for text, slot in specs:
        button = QPushButton(text)
        button.clicked.connect(lambda _=False, slot=slot: slot())
        buttons.append(button)
    return button_row(buttons, stretch_first=False)


def button_row(buttons: list[QPushButton], stretch_first: bool = True) -> QHBoxLayout:
    row = QHBoxLayout()
    if stretch_first:
        row.addStretch(1)
    for button in buttons:
        row.addWidget(button)
    if not stretch_first:
        row.addStretch(1)
    return row


def format_size(size: int) -> str:
    if size < 1024:
        return f"{size} 字节"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def respondent_cells(draft: CaseDraft) -> list[list[str]]:
    rows = []
    for r in draft.respondents:
        f = r.fields
        where = " ".join(filter(None, (f.get("unit"), f.get("post")))) or f.get("principal", "")
        rows.append([term(f["kind"]), f["name"], where, f.get("role", ""), f.get("responsibility", "")])
    return rows


def evidence_cells(draft: CaseDraft) -> list[list[str]]:
    return [[str(n), e.fields["title"], e.fields["kind"], e.fields.get("source", ""),
             e.fields["collected_on"].isoformat() if e.fields.get("collected_on") else "",
             linked.filename if (linked := draft.attachment(e.attachment_key)) else ""]
            for n, e in enumerate(draft.evidence, start=1)]


def attachment_cells(draft: CaseDraft) -> list[list[str]]:
    return [[a.filename + ("" if a.id else "（未保存）"), format_size(a.size), a.sha256] for a in draft.attachments]


def fill_table(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            item = QTableWidgetItem(value)
            item.setToolTip(value)
            table.setItem(r, c, item)


def plain_table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)  # names and posts are read whole
    header.setStretchLastSection(True)
    return table


def selected_row(table: QTableWidget) -> int | None:
    rows = table.selectionModel().selectedRows()
    return rows[0].row() if rows else None


class EvidenceDialog(QDialog):
    """One item of the evidence list; it may point to one of the case's attachments."""

    def __init__(self, attachments: list[AttachmentRow], values: dict[str, Any] | None = None,
                 attachment_key: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        values = values or {}
        self.setWindowTitle("证据" if values else "添加证据")
        self.title = QLineEdit(values.get("title", ""))
        self.kind = QComboBox()
        self.kind.setEditable(True)  # the list is the usual kinds; another may be typed in
        self.kind.addItems(EVIDENCE_KINDS)
        self.kind.setCurrentText(values.get("kind") or EVIDENCE_KINDS[0])
        self.source = QLineEdit(values.get("source", ""))
        self.collected_on = OptionalDateEdit(years_back=0)
        self.collected_on.set_value(values.get("collected_on"))
        self.note = QPlainTextEdit(values.get("note", ""))
        self.note.setFixedHeight(70)
        self.attachment = QComboBox()
        self.attachment.addItem("（无）", None)
        for row in attachments:
            self.attachment.addItem(row.filename, row.key)
        self.attachment.setCurrentIndex(max(0, self.attachment.findData(attachment_key)))
        title_box, self.title_error = with_error(self.title)
        kind_box, self.kind_error = with_error(self.kind)
        form = QFormLayout()
        form.addRow("证据名称：", title_box)
        form.addRow("证据种类：", kind_box)
        form.addRow("来源（提供人）：", self.source)
        form.addRow("取得日期：", self.collected_on)
        form.addRow("证明事项及说明：", self.note)
        form.addRow("对应附件：", self.attachment)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(dialog_buttons("确定", "取消", self.apply, self.reject))

    def values(self) -> dict[str, Any]:
        return {"title": self.title.text().strip(), "kind": self.kind.currentText().strip(),
                "source": self.source.text().strip(), "collected_on": self.collected_on.value(),
                "note": self.note.toPlainText().strip()}

    def attachment_key(self) -> str | None:
        return self.attachment.currentData()

    def apply(self) -> None:
        values = self.values()
        show_message(self.title_error, "" if values["title"] else "请填写证据名称。")
        show_message(self.kind_error, "" if values["kind"] else "请选择或填写证据种类。")
        dated = self.collected_on.check()  # a typed non-date is said under the field, never dropped silently
        if values["title"] and values["kind"] and dated:
            self.accept()
