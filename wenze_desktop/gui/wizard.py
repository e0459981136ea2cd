"""The procedure wizard of one case: its regulation's steps as a timeline, the actions open now, the record so far.

Everything shown comes from the services: the step and events (``view``), the actions with the engine's refusals
(``actions``), the derived deadlines (``deadlines``). Recording an action runs on the database worker; a refusal
comes back into the open form. Forms record against the case's version the wizard showed: when someone else
changed the case meanwhile (``CaseChanged``) the wizard reads the case again and the form offers 载入最新内容,
which reopens it on the fresh case with what the user had typed.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from wenze_desktop.errors import CaseChanged, WenzeError
from wenze_desktop.gui.action_forms import ActionContext, ActionDialog
from wenze_desktop.gui.changes import ChangeHub, Changes
from wenze_desktop.gui.documents_panel import DocumentsPanel
from wenze_desktop.gui.forms import show_message
from wenze_desktop.gui.messages import show_error
from wenze_desktop.gui.ops import run_op
from wenze_desktop.gui.record_history import WithdrawRecordDialog, event_line, revisions_text, withdrawn_line
from wenze_desktop.gui.regulation_text import refusal_line, words_tip
from wenze_desktop.gui.timeline import AHEAD, CURRENT, DONE, SKIPPED, StepRow, deadline_lines
from wenze_desktop.gui.wizard_state import WizardState, load_state
from wenze_desktop.procedure import engine
from wenze_desktop.procedure.actions import label_of
from wenze_desktop.procedure.citations import SILENT, basis
from wenze_desktop.procedure.deadlines import Deadline
from wenze_desktop.procedure.engine import ActionOption
from wenze_desktop.procedure.view import CaseView, EventView
from wenze_desktop.rules.profiles import Profile, load_profile
from wenze_desktop.services.context import ServiceContext
from wenze_desktop.services.procedure import ProcedureService


class CaseWizard(QWidget):
    """The procedure of one case: ``show_case(case_id)``; refreshes on the hub's changes of that case."""

    action_recorded = Signal(str, str)  # case id, action id — after the services recorded it
    dialog_opened = Signal(object)  # ActionDialog
    refreshed = Signal()  # the case was read again and redrawn

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
        self.state: WizardState | None = None
        self.loading = False  # a refresh is on the worker
        self._again = False  # another refresh was asked for meanwhile
        self._reopen: ActionDialog | None = None  # a form to reopen on the fresh case once it is read

        self.header = QLabel("请选择一件案件。")
        self.header.setWordWrap(True)
        self.timeline_box, self.timeline_layout = self._scroll_group("办理进程")
        self.actions_box, self.actions_layout = self._scroll_group("现在可以办理")
        self.history = QListWidget()
        self.history.setAlternatingRowColors(True)
        self.history.setWordWrap(True)
        self.history.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.history.customContextMenuRequested.connect(self._history_menu)
        self.history.itemDoubleClicked.connect(lambda _item: self.show_record_history())
        self.history.currentRowChanged.connect(lambda _row: self._update_record_buttons())
        self.correct_button = QPushButton("更正…")
        self.correct_button.setToolTip("更正所选记录的日期或内容（须写明理由，原记录保留）")
        self.correct_button.clicked.connect(lambda: self.correct_record())
        self.withdraw_button = QPushButton("撤回本条记录…")
        self.withdraw_button.setToolTip("撤回本案最新的一条记录，案件回到该记录之前的环节（须写明理由）")
        self.withdraw_button.clicked.connect(lambda: self.withdraw_record())
        self.record_note = QLabel()
        self.record_note.setWordWrap(True)
        self.record_note.setStyleSheet("color: #555;")
        record_buttons = QHBoxLayout()
        record_buttons.addWidget(self.correct_button)
        record_buttons.addWidget(self.withdraw_button)
        record_buttons.addWidget(self.record_note, 1)
        history_box = QGroupBox("办理记录")
        history_layout = QVBoxLayout(history_box)
        history_layout.addWidget(self.history)
        history_layout.addLayout(record_buttons)
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
        """Read the case on the database worker, then redraw (a refresh asked for meanwhile runs after)."""
        if self.case_id is None:
            self._clear()
            self.header.setText("请选择一件案件。")
            return
        if self.loading:
            self._again = True
            return
        self.loading, case_id, ctx = True, self.case_id, self.ctx
        run_op(self, "", lambda: load_state(ctx, case_id), lambda state: self._loaded(case_id, state),
               on_failure=lambda error: self._loaded(case_id, error), busy_dialog=False)

    def _loaded(self, case_id: str, state: WizardState | BaseException) -> None:
        self.loading = False
        if self._again or case_id != self.case_id:
            self._again = False
            self.refresh()
            return
        self._clear()
        if isinstance(state, BaseException):
            message = str(state) if isinstance(state, WenzeError) else "读取案件时出错，请稍后重试。"
            self.header.setText(f"无法显示案件：{message}")
            if self._reopen is not None:
                self._reopen.show_gone(f"无法读取案件的最新内容：{message}")
                self._reopen = None
            if not isinstance(state, WenzeError):
                show_error(self, state)
            return
        self.state, self.today, self.view = state, state.today, state.view
        self.options = {o.id: o for o in state.options}
        self.deadlines = list(state.deadlines)
        self.profile = load_profile(self.view.profile_id)
        profile, view = self.profile, self.view
        self.header.setText(f"<b>{view.number}</b>　《{profile.short_title}》　当前环节："
                            f"<b>{profile.step_label(view.step)}</b>")
        self._fill_timeline(profile, view)
        self._fill_actions(profile, view)
        self._fill_history(profile, view, state)
        if self._reopen is not None:
            dialog, self._reopen = self._reopen, None
            self._reopen_form(dialog)
        self.refreshed.emit()

    def _clear(self) -> None:
        for layout in (self.timeline_layout, self.actions_layout):
            while layout.count():
                widget = layout.takeAt(0).widget()
                if widget is not None:
                    widget.deleteLater()
        self.action_buttons, self.refusal_labels, self.timeline = {}, {}, {}
        self.actions_note = None
        self.history.clear()
        self._update_record_buttons()

    def _fill_history(self, profile: Profile, view: CaseView, state: WizardState) -> None:
        for event in reversed(view.events):
            item = QListWidgetItem(event_line(event, profile))
            item.setData(Qt.ItemDataRole.UserRole, event.id)
            tip = event_line(event, profile)
            if event.revisions:
                tip += "\n\n更正历史：\n" + revisions_text(event, profile)
            item.setToolTip(tip)
            self.history.addItem(item)
        for record in reversed(state.withdrawn):
            item = QListWidgetItem(withdrawn_line(record, profile))
            item.setForeground(Qt.GlobalColor.gray)
            item.setToolTip(withdrawn_line(record, profile))
            self.history.addItem(item)
        self._update_record_buttons()

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
            tip = words_tip(profile.id, step.article) if step.article else step.reading
            row = StepRow(step.id, f"{step.label}　{basis(step.article)}", state, details, tip)
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
            button.setToolTip((f"依据：{option.article}" if option.article else f"{SILENT}：{option.reading}") + where)
            button.clicked.connect(lambda _=False, action=option.id: self.open_action(action))
            self.action_buttons[option.id] = button
            self.actions_layout.addWidget(button)
            if option.refusal is not None:
                line = refusal_line(self.actions_layout, profile.id, option.refusal)
                button.setToolTip(line.toolTip() or str(option.refusal))
                self.refusal_labels[option.id] = line

    # -- recording ------------------------------------------------------------------------------------
    def _context(self, option: ActionOption, correcting: EventView | None = None) -> ActionContext:
        state = self.state
        notes = state.aggravations if option.id == "decide" and correcting is None else ()
        return ActionContext(self.profile, self.view, option, self.today, tuple(self.deadlines), notes,
                             state.attachments, correcting, state.version)

    def _open(self, context: ActionContext) -> ActionDialog:
        dialog = ActionDialog(context, self)
        dialog.submitted.connect(lambda on, data: self._record(dialog, on, data))
        dialog.corrected.connect(lambda on, reason, data: self._correct(dialog, on, reason, data))
        dialog.reload_requested.connect(lambda: self._reload(dialog))
        dialog.finished.connect(lambda _result: self._dialog_closed(dialog))
        self.active_dialog = dialog
        dialog.open()
        self.dialog_opened.emit(dialog)
        return dialog

    def open_action(self, action: str) -> ActionDialog | None:
        option = self.options.get(action)
        if option is None or not option.enabled or self.view is None or self.profile is None:
            return None
        return self._open(self._context(option))

    def _dialog_closed(self, dialog: ActionDialog) -> None:
        if self.active_dialog is dialog:
            self.active_dialog = None
        dialog.deleteLater()

    def _submit(self, dialog: ActionDialog, label: str, work, after=None) -> None:
        """Run ``work`` on the worker; a refusal comes back into the form, which keeps what was typed."""
        def done(_result) -> None:
            dialog.accept()
            if after:
                after()

        def failed(error: BaseException) -> None:
            if isinstance(error, CaseChanged) and isinstance(dialog, ActionDialog):
                dialog.show_changed(error)  # what was typed stays; 载入最新内容 reopens it on the fresh case
                self.refresh()
            elif isinstance(error, WenzeError):
                dialog.show_refusal(error)
                if isinstance(error, CaseChanged):
                    self.refresh()
            else:
                dialog.set_busy(False)
                show_error(dialog, error)

        run_op(dialog, label, work, done, on_failure=failed, hub=self.hub)

    def _record(self, dialog: ActionDialog, on: date, data: dict) -> None:
        case_id, action, service = self.case_id, dialog.context.option.id, self.procedure
        version = dialog.context.version
        self._submit(dialog, f"正在登记「{dialog.context.option.label}」…",
                     lambda: service.perform(case_id, action, on=on, expected_version=version, **data),
                     lambda: self.action_recorded.emit(case_id, action))

    # -- correcting and withdrawing records ----------------------------------------------------------------------
    def selected_event(self) -> EventView | None:
        item = self.history.currentItem()
        event_id = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return next((e for e in self.view.events if e.id == event_id), None) if event_id and self.view else None

    def _record_refusal(self, event: EventView | None, withdrawing: bool) -> str:
        """Why the selected record cannot be corrected or withdrawn from here ("" when it can)."""
        if self.state is None or self.view is None or self.profile is None:
            return "请先选择一条办理记录。"
        if self.state.correction_refusal:
            return self.state.correction_refusal
        if event is None:
            return "请先在办理记录中选择一条记录（已撤回的记录不能再更正）。"
        if withdrawing and event.id != self.view.events[-1].id:
            return "只能撤回本案最新的一条记录；更早的记录请用「更正」。"
        if self.profile.is_terminal(self.view.step) and not (withdrawing and event.id == self.view.events[-1].id):
            return f"案件已终结（{self.profile.step_label(self.view.step)}），记录不能再更正。"
        return ""

    def _update_record_buttons(self) -> None:
        event = self.selected_event() if self.view is not None else None
        correct, withdraw = self._record_refusal(event, False), self._record_refusal(event, True)
        self.correct_button.setEnabled(not correct)
        self.withdraw_button.setEnabled(not withdraw)
        self.correct_button.setToolTip(correct or "更正所选记录的日期或内容（须写明理由，原记录保留）")
        self.withdraw_button.setToolTip(withdraw or "撤回本案最新的一条记录，案件回到该记录之前的环节（须写明理由）")
        self.record_note.setText(correct if event is not None and correct else "")

    def _history_menu(self, point) -> None:
        if self.history.itemAt(point) is None:
            return
        self.history.setCurrentItem(self.history.itemAt(point))
        menu = QMenu(self)
        for text, slot, button in (("更正本条记录…", self.correct_record, self.correct_button),
                                   ("撤回本条记录…", self.withdraw_record, self.withdraw_button)):
            action = menu.addAction(text, slot)
            action.setEnabled(button.isEnabled())
            action.setToolTip(button.toolTip())
        event = self.selected_event()
        menu.addAction("查看更正历史…", self.show_record_history).setEnabled(bool(event and event.revisions))
        menu.popup(self.history.viewport().mapToGlobal(point))

    def show_record_history(self) -> None:
        event = self.selected_event()
        if event is None or not event.revisions:
            return
        QMessageBox.information(self, "更正历史", f"{event_line(event, self.profile)}\n\n"
                                + revisions_text(event, self.profile))

    def correct_record(self) -> ActionDialog | None:
        event = self.selected_event()
        if self._record_refusal(event, False) or event is None:
            return None
        return self._open(self._context(self._correction_option(event), correcting=event))

    def _correction_option(self, event: EventView) -> ActionOption:
        return engine.ActionOption(event.action, label_of(event.action), True, None,
                                   next((t.article for t in self.profile.transitions if t.action == event.action
                                         and event.step_before in t.sources), ""), event.path, event.step_after)

    def _correct(self, dialog: ActionDialog, on: date, reason: str, data: dict) -> None:
        case_id, event_id, service = self.case_id, dialog.context.correcting.id, self.procedure
        version = dialog.context.version
        self._submit(dialog, "正在保存更正…", lambda: service.amend(case_id, event_id, reason=reason, on=on, data=data,
                                                                  expected_version=version))

    # -- the case changed underneath a form -----------------------------------------------------------------------
    def _reload(self, dialog: ActionDialog) -> None:
        """载入最新内容: read the case again, then reopen the form on it with what was typed (``_reopen_form``)."""
        self._reopen = dialog
        self.refresh()

    def _reopen_form(self, old: ActionDialog) -> None:
        on, data, reason = old.changed_entries()
        correcting, action = old.context.correcting, old.context.option.id
        if correcting is not None:
            event = next((e for e in self.view.events if e.id == correcting.id), None)
            refusal = self._record_refusal(event, False) if event else "这条记录已被撤回。"
            if refusal:
                old.show_gone(f"这条记录现在不能更正：{refusal}")
                return
            context = self._context(self._correction_option(event), correcting=event)
        else:
            option = self.options.get(action)
            if option is None or not option.enabled:
                why = (option.refusal.message if option is not None and option.refusal is not None else
                       f"案件现在处于「{self.profile.step_label(self.view.step)}」，没有「{label_of(action)}」可办理。")
                old.show_gone(f"「{label_of(action)}」现在不能登记：{why}")
                return
            context = self._context(option)
        QDialog.reject(old)  # closed without asking: what was typed moves to the new form
        dialog = self._open(context)
        dialog.put_entries(on, data, reason)
        verb = "更正" if correcting is not None else "登记"
        show_message(dialog.error, f"已载入案件的最新内容，您改动过的填写已保留；请核对后再{verb}。")

    def withdraw_record(self) -> None:
        event = self.selected_event()
        if self._record_refusal(event, True) or event is None:
            return
        dialog = WithdrawRecordDialog(event_line(event, self.profile), self.profile.step_label(event.step_before),
                                      self)
        case_id, service, version = self.case_id, self.procedure, self.state.version
        dialog.submitted.connect(lambda reason: self._submit(
            dialog, "正在撤回记录…", lambda: service.withdraw_record(case_id, event.id, reason=reason,
                                                                    expected_version=version)))
        self.active_withdraw_dialog = dialog
        dialog.open()
