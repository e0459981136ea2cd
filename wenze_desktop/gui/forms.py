"""Small form-building helpers shared by the dialogs."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialogButtonBox, QLabel, QLineEdit, QTreeWidget, QTreeWidgetItem


def password_field(placeholder: str = "") -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setPlaceholderText(placeholder)
    return field


def search_field(placeholder: str, what: str, on_change: Callable[[str], None]) -> QLineEdit:
    """A search box that filters a list as the clerk types (several words, separated by spaces)."""
    field = QLineEdit()
    field.setPlaceholderText(placeholder)
    field.setClearButtonEnabled(True)
    field.setToolTip(f"只列出含有这些字词的{what}；多个字词用空格分开")
    field.textChanged.connect(on_change)
    return field


def contents_tree(on_item: Callable[[QTreeWidgetItem | None], None]) -> QTreeWidget:
    """A table of contents: a click or the keyboard opens the entry."""
    tree = QTreeWidget()
    tree.setHeaderHidden(True)
    tree.itemClicked.connect(lambda item, _column: on_item(item))
    tree.currentItemChanged.connect(lambda item, _old: on_item(item))
    return tree


def error_label() -> QLabel:
    label = QLabel()
    label.setObjectName("errorLabel")
    label.setWordWrap(True)
    label.setStyleSheet("color: #b00020;")
    label.hide()
    return label


def show_message(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


def dialog_buttons(ok_text: str, cancel_text: str, on_ok: Callable[[], None],
                   on_cancel: Callable[[], None]) -> QDialogButtonBox:
    """OK/Cancel with Chinese labels; Enter triggers OK, Esc triggers Cancel."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(cancel_text)
    buttons.accepted.connect(on_ok)
    buttons.rejected.connect(on_cancel)
    return buttons


def days_left_text(days: int | None) -> str:
    """How a deadline stands, in the words every view uses: 剩 N 天 / 今天到期 / 已逾期 N 天."""
    if days is None:
        return ""
    if days < 0:
        return f"已逾期 {-days} 天"
    return "今天到期" if days == 0 else f"剩 {days} 天"
