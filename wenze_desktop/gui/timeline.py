"""The timeline of a case's steps in the wizard: one row per step of its regulation, with dates and deadlines."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout

from wenze_desktop.gui.forms import days_left_text
from wenze_desktop.procedure.deadlines import Deadline

DONE, CURRENT, AHEAD, SKIPPED = "done", "current", "ahead", "skipped"
STATE_TEXT = {DONE: "已完成", CURRENT: "当前环节", AHEAD: "待办", SKIPPED: "未经过"}
MARKERS = {DONE: ("●", "#2e7d32"), CURRENT: ("◉", "#1565c0"), AHEAD: ("○", "#777"), SKIPPED: ("·", "#bbb")}


def deadline_lines(deadline: Deadline, today: date) -> list[str]:
    """Two short lines (a long wrapped line does not size well in the timeline): what, then when and where."""
    due = deadline.due.isoformat() + ("（暂按周末推算）" if deadline.provisional else "")
    if deadline.met_on is not None:
        late = (deadline.met_on - deadline.due).days
        state = f"已于 {deadline.met_on.isoformat()} 办结" + (f"，逾期 {late} 天" if late > 0 else "")
    elif not deadline.open:
        state = "不再适用"
    else:
        state = days_left_text(deadline.days_left(today))
    extended = f"，已延长{deadline.extended}次" if deadline.extended else ""
    return [f"期限：{deadline.label}", f"　　{due} 到期（{state}{extended}）　{deadline.article}"]


class StepRow(QFrame):
    """One step of the timeline: marker, label and article (its words as tooltip), then when it was reached and
    its deadlines."""

    def __init__(self, step_id: str, title: str, state: str, details: list[str], tip: str = "") -> None:
        super().__init__()
        self.step_id, self.state, self.details = step_id, state, details
        marker_text, colour = MARKERS[state]
        marker = QLabel(marker_text)
        marker.setStyleSheet(f"color: {colour}; font-size: 16px;")
        marker.setAlignment(Qt.AlignmentFlag.AlignTop)
        shown = f"<b>{title}</b>" if state == CURRENT else title
        self.title = QLabel(f"{shown}　<span style='color:{colour}'>{STATE_TEXT[state]}</span>")
        self.title.setEnabled(state != SKIPPED)
        self.title.setToolTip(tip)  # the article's words
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.title)
        for line in details:
            detail = QLabel(line)
            detail.setStyleSheet("color: #b00020;" if "已逾期" in line else "color: #444;")
            text.addWidget(detail)
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 2, 4, 2)
        row.addWidget(marker)
        row.addLayout(text, 1)
        self.setAccessibleName(self.text())

    def text(self) -> str:
        return "\n".join([f"{self.title.text()}", *self.details])
