"""办理记录 in plain Chinese: a record's line, its correction history, a withdrawn record, and the dialog that asks
why the latest record is withdrawn (the wizard shows them; the registry of action fields renders the values)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from wenze_desktop.gui.action_fields import TextField, field_row
from wenze_desktop.gui.action_forms import refusal_text
from wenze_desktop.gui.forms import dialog_buttons, error_label, show_message
from wenze_desktop.procedure import fields
from wenze_desktop.procedure.actions import label_of
from wenze_desktop.procedure.view import EventView
from wenze_desktop.rules.profiles import Profile


def event_summary(event: EventView, profile: Profile | None = None) -> str:
    """The recorded data in plain Chinese (the registry of action fields renders it)."""
    return fields.record_text(event.action, event.data, profile)


def event_line(event: EventView, profile: Profile | None = None) -> str:
    """One row of 办理记录: date, action, what was recorded, who typed it in, whether it was corrected."""
    summary = event_summary(event, profile)
    line = f"{fields.cn_date(event.on)}　{label_of(event.action)}" + (f"　{summary}" if summary else "")
    if event.recorded_by:
        line += f"　〔录入人：{event.recorded_by}〕"
    if event.revisions:
        line += f"〔已更正{len(event.revisions)}次〕"
    return line


def revisions_text(event: EventView, profile: Profile | None = None) -> str:
    """The record's history: each earlier version, why it was corrected, by whom and when."""
    lines = []
    for number, revision in enumerate(event.revisions, 1):
        data = revision.get("data") or {}
        text = fields.record_text(event.action, data, profile)
        lines.append(f"第{number}次更正（{fields.cn_date(revision.get('at', ''))}，{revision.get('by', '')}）："
                     f"理由：{fields.clean(revision.get('reason', ''))}\n"
                     f"　更正前：{fields.cn_date(revision.get('on', ''))}　{text}")
    return "\n".join(lines)


def withdrawn_line(record: dict, profile: Profile | None = None) -> str:
    summary = fields.record_text(record.get("action", ""), record.get("data") or {}, profile)
    return (f"〔已撤回〕{fields.cn_date(record.get('on', ''))}　{label_of(record.get('action', ''))}"
            + (f"　{summary}" if summary else "")
            + f"　——撤回理由：{fields.clean(record.get('reason', ''))}（{record.get('by', '')}，"
              f"{fields.cn_date(record.get('at', ''))}）")


class WithdrawRecordDialog(QDialog):
    """Asks why the latest record is withdrawn; the case then returns to the step before it."""

    submitted = Signal(str)

    def __init__(self, record: str, back_to: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("撤回本条记录")
        intro = QLabel(f"撤回后，案件回到「{back_to}」环节；这条记录连同撤回理由保留在办理记录中，不会删除。")
        intro.setWordWrap(True)
        shown = QPlainTextEdit(record)  # a long record scrolls instead of squeezing the form
        shown.setReadOnly(True)
        shown.setFixedHeight(96)
        self.reason = TextField("reason", "撤回理由", True, long=True, placeholder="例如：误登记，该事项尚未办理")
        label, holder = field_row(self.reason)
        self.error = error_label()
        self.buttons = dialog_buttons("撤回", "取消", self.submit, self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(shown)
        layout.addWidget(QLabel(label))
        layout.addWidget(holder)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(560, 340)

    def submit(self) -> None:
        if not self.reason.check():
            return
        self.set_busy(True)
        self.submitted.emit(self.reason.value())

    def set_busy(self, busy: bool) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not busy)

    def show_refusal(self, error: Exception) -> None:
        self.set_busy(False)
        show_message(self.error, refusal_text(error).replace("未能登记", "未能撤回"))
