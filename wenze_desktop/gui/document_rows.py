"""The rows of a case's document list: one per document the procedure produces (its state in words), one per issued
copy under it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QTreeWidgetItem

from wenze_desktop.gui.issue_dialog import issued_note, issued_on, short_refusal
from wenze_desktop.services.documents import DocumentChoice

COLUMNS = ["文书", "状态", "盖章"]
RED, GREEN, GREY = QColor("#b00020"), QColor("#2e7d32"), QColor("#777")
KEY = Qt.ItemDataRole.UserRole  # (kind, document id or None) on every row


def status_of(choice: DocumentChoice) -> tuple[str, QColor | None]:
    """What the document's row says: issued (its number), voided, what a receipt would accompany, or why not."""
    live, issued = choice.current, choice.issued
    if live is not None:
        return f"已签发 {live.number}（{issued_on(live)}）", GREEN
    with_what = f"（随{choice.serves.label} {choice.serves.number}）" if choice.serves is not None else ""
    if issued and all(d.voided_at is not None for d in issued):
        status = f"已作废（{issued[-1].number}）"
        return status + ("，可重新签发" if choice.refusal is None else "；" + short_refusal(choice.refusal)), GREY
    if choice.refusal:
        return short_refusal(choice.refusal), RED
    return "可制作" + with_what, None


def choice_item(choice: DocumentChoice) -> QTreeWidgetItem:
    live, issued = choice.current, choice.issued
    status, colour = status_of(choice)
    if live is not None:
        seal = "已盖章" if live.sealed else "未盖章"
    else:
        seal = "默认盖章" if choice.sealed_by_default else "不盖章"
    item = QTreeWidgetItem([choice.label, status, seal])
    item.setData(0, KEY, (choice.kind, None))
    shown_whole = not choice.refusal or status == short_refusal(choice.refusal)  # else both: status and why
    item.setToolTip(1, choice.refusal or status if shown_whole else f"{status}\n{choice.refusal}")
    if colour is not None:
        item.setForeground(1, QBrush(colour))
    for info in issued:
        if info.voided_at is not None:
            state = f"已作废（{info.voided_at.astimezone():%Y-%m-%d}：{info.void_reason}）"
        elif info.id in choice.superseded:
            state = f"签发于 {issued_on(info)}（{info.issued_by}），随此前的文书送达"
        else:
            state = f"签发于 {issued_on(info)}（{info.issued_by}）"
        child = QTreeWidgetItem([info.number, state, "已盖章" if info.sealed else "未盖章"])
        child.setData(0, KEY, (choice.kind, info.id))
        child.setToolTip(1, issued_note(info))
        if info.voided_at is not None:
            child.setForeground(1, QBrush(GREY))
        item.addChild(child)
    return item
