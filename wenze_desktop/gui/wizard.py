"""The procedure wizard of one case: its regulation's steps as a timeline, the actions open now, the record so far.

Everything shown comes from the services: the step and events (``view``), the actions with the engine's refusals
(``actions``), the derived deadlines (``deadlines``). Recording an action runs on the database worker; a refusal
comes back into the open form.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from wenze_desktop.errors import WenzeError
from wenze_desktop.gui.action_forms import ActionContext, ActionDialog
from wenze_desktop.gui.changes import ChangeHub, Changes
from wenze_desktop.gui.documents_panel import DocumentsPanel
from wenze_desktop.gui.forms import days_left_text
from wenze_desktop.gui.messages import show_error
from wenze_desktop.gui.ops import run_op
from wenze_desktop.procedure import engine
from wenze_desktop.procedure.actions import ACTION_FIELDS, label_of
from wenze_desktop.procedure.deadlines import Deadline
from wenze_desktop.procedure.engine import ActionOption
from wenze_desktop.procedure.view import CaseView, EventView
from wenze_desktop.rules.profiles import Profile, load_profile
from wenze_desktop.services.context import ServiceContext
from wenze_desktop.services.procedure import ProcedureService

DONE, CURRENT, AHEAD, SKIPPED = "done", "current", "ahead", "skipped"
STATE_TEXT = {DONE: "已完成", CURRENT: "当前环节", AHEAD: "待办", SKIPPED: "未经过"}
MARKERS = {DONE: ("●", "#2e7d32"), CURRENT: ("◉", "#1565c0"), AHEAD: ("○", "#777"), SKIPPED: ("·", "#bbb")}
REFUSED_STYLE = "color: #b00020;"


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


def event_summary(event: EventView) -> str:
    """The recorded data in the form's words, for the history list."""
    parts = []
    labels = {k.rstrip("*"): v.split("（")[0] for k, v in ACTION_FIELDS.get(event.action, {}).items()}
    for key, value in event.data.items():
        if key in ("held", "aggravation") or value in (None, "", [], {}):
            continue
        if isinstance(value, dict):
            value = "；".join(f"{k}：{v}" for k, v in value.items())
        elif isinstance(value, list):
            value = "、".join(str(v.get("form", v)) if isinstance(v, dict) else str(v) for v in value)
        elif isinstance(value, bool):
            value = "是" if value else "否"
        parts.append(f"{labels.get(key, key)}：{value}")
    return "；".join(parts)


class StepRow(QFrame):
    """One step of the timeline: marker, label and article, then when it was reached and its deadlines."""

    def __init__(self, step_id: str, title: str, state: str, details: list[str]) -> None:
        super().__init__()
        self.step_id, self.state, self.details = step_id, state, details
        marker_text, colour = MARKERS[state]
        marker = QLabel(marker_text)
        marker.setStyleSheet(f"color: {colour}; font-size: 16px;")
        marker.setAlignment(Qt.AlignmentFlag.AlignTop)
        shown = f"<b>{title}</b>" if state == CURRENT else title
        self.title = QLabel(f"{shown}　<span style='color:{colour}'>{STATE_TEXT[state]}</span>")
        self.title.setEnabled(state != SKIPPED)
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


class CaseWizard(QWidget):
    """The procedure of one case: ``show_case(case_id)``; refreshes on the hub's changes of that case."""

    action_recorded = Signal(str, str)  # case id, action id — after the services recorded it
    dialog_opened = Signal(object)  # ActionDialog

    def __init__(self, ctx: ServiceContext, hub: ChangeHub, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.hub = ctx, hub
        self.case_id: str | None = None
        self.view: CaseView | None = None
        self.profile: Profile | None = None
        self.options: dict[str, ActionOption] = {}
        self.deadlines: list[Deadline] = []
        self.action_buttons: dict[str, QPushButton] = {}
        self.refusal_labels: dict[str, QLabel] = {}
        self.timeline: dict[str, StepRow] = {}
        self.active_dialog: ActionDialog | None = None
        self.actions_note: QLabel | None = None  # why no action is open (the case ended)
        self.today = date.today()  # replaced by the services' clock on each refresh

        self.header = QLabel("请选择一件案件。")
        self.header.setWordWrap(True)
        self.timeline_box, self.timeline_layout = self._scroll_group("办理进程")
        self.actions_box, self.actions_layout = self._scroll_group("现在可以办理")
        self.history = QListWidget()
        self.history.setAlternatingRowColors(True)
        self.history.setWordWrap(True)
        history_box = QGroupBox("办理记录")
        QVBoxLayout(history_box).addWidget(self.history)
        self.documents = DocumentsPanel(ctx, hub)
        documents_box = QGroupBox("文书")
        QVBoxLayout(documents_box).addWidget(self.documents)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.actions_box)
        right.addWidget(documents_box)
        right.addWidget(history_box)
        right.setSizes([260, 220, 140])  # the actions first: they are what the clerk came for
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.timeline_box)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([480, 320])  # the timeline's deadline lines need the room
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(split, 1)
        hub.changed.connect(self._on_changed)

    @staticmethod
    def _scroll_group(title: str) -> tuple[QGroupBox, QVBoxLayout]:
        box = QGroupBox(title)
        inner = QWidget()
        column = QVBoxLayout(inner)
        column.setAlignment(Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(inner)
        QVBoxLayout(box).addWidget(scroll)
        return box, column

    @property
    def procedure(self) -> ProcedureService:
        return ProcedureService(self.ctx)

    # -- showing --------------------------------------------------------------------------------------
    def show_case(self, case_id: str | None) -> None:
        self.case_id = case_id
        self.documents.show_case(case_id)
        self.refresh()

    def _on_changed(self, changes: Changes) -> None:
        if self.case_id and (self.case_id in changes.case_ids or changes.calendar
                             or (changes.deadlines and not changes.case_ids)):
            self.refresh()

    def refresh(self) -> None:
        for layout in (self.timeline_layout, self.actions_layout):
            while layout.count():
                widget = layout.takeAt(0).widget()
                if widget is not None:
                    widget.deleteLater()
        self.action_buttons, self.refusal_labels, self.timeline = {}, {}, {}
        self.actions_note = None
        self.history.clear()
        if self.case_id is None:
            self.header.setText("请选择一件案件。")
            return
        service = self.procedure
        try:
            self.today = service.today()
            self.view = service.view(self.case_id)
            self.options = {o.id: o for o in service.actions(self.case_id, self.today)}
            self.deadlines = service.deadlines(self.case_id)
            self.profile = load_profile(self.view.profile_id)
        except WenzeError as error:
            self.header.setText(f"无法显示案件：{error}")
            return
        profile, view = self.profile, self.view
        self.header.setText(f"<b>{view.number}</b>　《{profile.short_title}》　当前环节："
                            f"<b>{profile.step_label(view.step)}</b>")
        self._fill_timeline(profile, view)
        self._fill_actions(profile, view)
        for event in reversed(view.events):
            summary = event_summary(event)
            item = QListWidgetItem(f"{event.on.isoformat()}　{label_of(event.action)}"
                                   + (f"　{summary}" if summary else ""))
            item.setToolTip(summary)
            self.history.addItem(item)

    def _fill_timeline(self, profile: Profile, view: CaseView) -> None:
        reached = engine.reached_steps(profile, view)
        ahead = engine.reachable_steps(profile, view.step)
        by_step: dict[str, list[Deadline]] = {}
        for deadline in self.deadlines:
            by_step.setdefault(deadline.step, []).append(deadline)
        for step in profile.steps:
            if step.id == view.step:
                state = CURRENT
            elif step.id in reached:
                state = DONE
            else:
                state = AHEAD if step.id in ahead else SKIPPED
            details = []
            if step.id in reached and reached[step.id] is not None:
                details.append(f"日期：{reached[step.id].isoformat()}")
            for deadline in by_step.get(step.id, []):
                details += deadline_lines(deadline, self.today)
            row = StepRow(step.id, f"{step.label}　{step.article}", state, details)
            self.timeline[step.id] = row
            self.timeline_layout.addWidget(row)

    def _fill_actions(self, profile: Profile, view: CaseView) -> None:
        if not self.options:
            ended = profile.is_terminal(view.step)
            note = QLabel(f"案件已终结（{profile.step_label(view.step)}），不再办理任何事项。" if ended
                          else "当前环节没有可办理的事项。")
            note.setWordWrap(True)
            self.actions_note = note
            self.actions_layout.addWidget(note)
            return
        for option in self.options.values():
            button = QPushButton(option.label)
            button.setEnabled(option.enabled)
            where = f"　→ {profile.step_label(option.to)}" if option.to else ""
            button.setToolTip(f"依据：{option.article}{where}")
            button.clicked.connect(lambda _=False, action=option.id: self.open_action(action))
            self.action_buttons[option.id] = button
            self.actions_layout.addWidget(button)
            if option.refusal is not None:
                reason = f"{option.refusal.message}（依据：{option.refusal.article}）"
                button.setToolTip(reason)
                line = QLabel(reason)
                line.setWordWrap(True)
                line.setStyleSheet(REFUSED_STYLE)
                self.refusal_labels[option.id] = line
                self.actions_layout.addWidget(line)

    # -- recording ------------------------------------------------------------------------------------
    def open_action(self, action: str) -> ActionDialog | None:
        option = self.options.get(action)
        if option is None or not option.enabled or self.view is None or self.profile is None:
            return None
        notes: tuple[str, ...] = ()
        if action == "decide":
            notes = tuple(a.message for a in self.procedure.aggravations(self.case_id, self.today))
        context = ActionContext(self.profile, self.view, option, self.today, tuple(self.deadlines), notes)
        dialog = ActionDialog(context, self)
        dialog.submitted.connect(lambda on, data: self._record(dialog, on, data))
        dialog.finished.connect(lambda _result: self._dialog_closed(dialog))
        self.active_dialog = dialog
        dialog.open()
        self.dialog_opened.emit(dialog)
        return dialog

    def _dialog_closed(self, dialog: ActionDialog) -> None:
        if self.active_dialog is dialog:
            self.active_dialog = None
        dialog.deleteLater()

    def _record(self, dialog: ActionDialog, on: date, data: dict) -> None:
        case_id, action, service = self.case_id, dialog.context.option.id, self.procedure

        def done(_event_id) -> None:
            dialog.accept()
            self.hub.publish(Changes.case(case_id))
            self.action_recorded.emit(case_id, action)

        def failed(error: BaseException) -> None:
            if isinstance(error, WenzeError):
                dialog.show_refusal(error)  # a refusal belongs in the form, which keeps what was typed
            else:
                dialog.set_busy(False)
                show_error(dialog, error)

        run_op(dialog, f"正在登记「{dialog.context.option.label}」…",
               lambda: service.perform(case_id, action, on=on, **data), done, on_failure=failed)
