"""The case form: create a case or edit one — clue, basic information, respondents, facts, evidence, attachments.

Edits collect in a ``CaseDraft``; 保存 (Ctrl+S) stores the whole case in one service transaction
(``CaseService.save_case``: all of it or none of it) on the database worker, as loading the case does, so the GUI
never waits on the database. The form stays usable meanwhile (保存 is greyed until the answer comes); a refusal
keeps everything typed and says why under the form. What changed reaches the other views through ``run_op``.
Discarding unsaved changes (放弃修改, closing the window, or a host's ``confirm_discard()`` before closing a tab)
asks first. Validation messages appear in red under the field they concern. A plain widget, so a tab can hold it.

The form saves from the case's version it was loaded from. Two mixins hold the rest: the respondent, evidence and
attachment tables (gui/case_form_parts.py), and what happens when the case changed underneath the form — a save
refused with ``CaseChanged`` and 恢复我的填写, a change read in from the hub (gui/case_form_conflict.py).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from wenze_desktop.domain.glossary import ClueSource, term
from wenze_desktop.errors import CaseChanged, WenzeError
from wenze_desktop.gui import case_parts_widgets as parts
from wenze_desktop.gui.case_draft import CaseDraft, apply_saved, load_draft, respondent_problems, save_data
from wenze_desktop.gui.case_form_conflict import CaseChangedHandling
from wenze_desktop.gui.case_form_parts import CasePartsEditing
from wenze_desktop.gui.changes import ChangeHub
from wenze_desktop.gui.date_input import DateInput
from wenze_desktop.gui.forms import error_label, show_message
from wenze_desktop.gui.messages import show_error
from wenze_desktop.gui.ops import run_op
from wenze_desktop.gui.settings import GuiSettings
from wenze_desktop.rules.profiles import Profile, all_profiles, load_profile
from wenze_desktop.security.permissions import Permission, permissions_of
from wenze_desktop.services.case_parts import CaseDetails, CaseSave, SavedCase
from wenze_desktop.services.cases import CaseService
from wenze_desktop.services.context import ServiceContext


class CaseForm(CasePartsEditing, CaseChangedHandling, QWidget):
    """``case_id=None``: a new case. ``saved`` carries the case id after every successful save; ``loaded`` comes
    when a stored case's record has arrived from the database worker (``loading`` until then)."""

    saved = Signal(str)
    loaded = Signal()
    reread = Signal()  # a change published elsewhere was read in (or found not to concern the form)

    def __init__(self, ctx: ServiceContext, hub: ChangeHub | None, case_id: str | None = None,
                 parent: QWidget | None = None, *, settings: GuiSettings | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.hub, self.settings = ctx, hub, settings
        self.cases = CaseService(ctx)
        # Seams for tests (and for a host that wants its own prompts): each returns what the user chose.
        self.ask_discard: Callable[[QWidget], bool] = parts.ask_discard
        self.exec_dialog: Callable[[QDialog], bool] = parts.exec_dialog
        self.choose_file: Callable[[QWidget], str] = lambda w: QFileDialog.getOpenFileName(w, "添加附件")[0]
        self.open_url: Callable[[QUrl], bool] = QDesktopServices.openUrl
        self.viewer_files = parts.ViewerFiles()
        self.loading = self.saving = False
        self._ended = ""  # the case has ended: the services refuse every change
        self._unreadable = False  # the case could not be loaded
        self._unsaved: tuple[CaseDraft, CaseDraft] | None = None  # (started from, typed) of a refused save
        self._own_change = False  # the change about to be published is this form's own save
        self._build()
        self.draft = self._blank_draft()
        self._show_draft()
        self._mark_clean()
        if case_id is not None:
            self._load(case_id)
        self._update_buttons()
        if settings and (geometry := settings.window_state("case_form")[0]) is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(860, 640)
        if hub is not None:
            hub.changed.connect(self._on_changed)

    # -- building -------------------------------------------------------------------------------------------------

    def _build(self) -> None:
        self.number = QLineEdit()
        self.number.setPlaceholderText("留空则自动编号")
        self.regulation = QComboBox()
        for profile in all_profiles():
            self.regulation.addItem(f"{profile.short_title}（{profile.status}）", profile.id)
            self.regulation.setItemData(self.regulation.count() - 1, profile.title, Qt.ItemDataRole.ToolTipRole)
        self.regulation.currentIndexChanged.connect(self._regulation_changed)
        self.title = QLineEdit()
        self.facts = QPlainTextEdit()
        self.facts.setPlaceholderText("经调查认定的事实（可在调查过程中补充）")
        self.clue_source = QComboBox()
        for source in ClueSource:
            self.clue_source.addItem(term(source), str(source))
        self.received_on = DateInput()  # required: typed or picked; the calendar opens on the date shown
        self.received_on.today = self._today
        self.provider = QLineEdit()
        self.provider.setPlaceholderText("提供线索的单位或个人（可不填）")
        self.clue_content = QPlainTextEdit()
        self.error = error_label()
        self.errors: dict[str, QLabel] = {"received_on": self.received_on.message}  # its own line, under it

        basic = parts.form_of([("案件编号：", self.number), ("适用规定：", self.regulation),
                               ("案件名称：", self._checked("title", self.title)), ("案件事实：", self.facts)])
        clue = parts.form_of([("线索来源：", self.clue_source),
                              ("收到日期：", self.received_on),
                              ("线索提供人：", self.provider), ("线索内容：", self.clue_content)])

        people, proof = self._build_parts()

        self.tabs = QTabWidget()
        for name, layout in (("基本信息", basic), ("问责线索", clue)):
            page = QWidget()
            page.setLayout(layout)
            self.tabs.addTab(page, name)
        self.tabs.addTab(people, "被问责对象")
        self.tabs.addTab(proof, "证据与附件")
        self._tab_of = {"title": 0, "received_on": 1, "respondents": 2, "evidence": 3, "attachments": 3}

        self.save_button = QPushButton("保存")
        self.save_button.setToolTip(f"保存（{QKeySequence(QKeySequence.StandardKey.Save).toString()}）")
        self.save_button.clicked.connect(self.save)
        self.revert_button = QPushButton("放弃修改")
        self.revert_button.setToolTip("恢复为上次保存的内容（会先询问）")
        self.revert_button.clicked.connect(self.revert)
        self.save_shortcut = QShortcut(QKeySequence.StandardKey.Save, self)
        self.save_shortcut.activated.connect(self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self._build_conflict_box())
        layout.addWidget(self.error)
        layout.addLayout(parts.button_row([self.revert_button, self.save_button]))

    def _checked(self, name: str, widget: QWidget) -> QWidget:
        box, self.errors[name] = parts.with_error(widget)
        return box

    def _error_line(self, name: str) -> QLabel:
        self.errors[name] = error_label()
        return self.errors[name]

    # -- showing and collecting ----------------------------------------------------------------------------------

    @property
    def case_id(self) -> str | None:
        return self.draft.case_id

    def case_number(self) -> str:
        return self.draft.number if self.draft.case_id else ""

    def profile(self) -> Profile:
        return load_profile(self.draft.regulation_id)

    def _blank_draft(self) -> CaseDraft:
        return CaseDraft(regulation_id=self.regulation.itemData(0), clue={
            "source": self.clue_source.itemData(0), "received_on": self._today(), "provider": "", "content": ""})

    def _today(self) -> date:
        return self.ctx.clock().astimezone().date()

    def _show_draft(self) -> None:
        draft = self.draft
        self.number.setText(draft.number)
        self.regulation.blockSignals(True)
        self.regulation.setCurrentIndex(max(0, self.regulation.findData(draft.regulation_id)))
        self.regulation.blockSignals(False)
        self._show_header()
        self.title.setText(draft.title)
        self.facts.setPlainText(draft.facts)
        self.clue_source.setCurrentIndex(max(0, self.clue_source.findData(draft.clue.get("source"))))
        self.received_on.set_value(draft.clue.get("received_on") or self._today())
        self.provider.setText(draft.clue.get("provider", ""))
        self.clue_content.setPlainText(draft.clue.get("content", ""))
        self._show_parts()

    def _show_header(self) -> None:
        self.setWindowTitle(f"案件 {self.draft.number}" if self.draft.case_id else "新建案件")
        # The procedure so far was run under this regulation; a new case is created under the one being saved.
        self.regulation.setEnabled(self.draft.case_id is None and not self.saving)

    def _update_buttons(self) -> None:
        may_edit = Permission.CASE_EDIT in permissions_of(self.ctx.user.roles)
        idle = not (self.loading or self.saving or self._unreadable)
        self.tabs.setEnabled(not (self.loading or self._unreadable))
        self.save_button.setEnabled(idle and may_edit and not self._ended)
        self.save_button.setText("正在保存…" if self.saving else "保存")
        self.save_button.setToolTip(
            "当前用户没有“办理案件”的权限，只能查阅。" if not may_edit  # reading is allowed, saving would be refused
            else f"保存（{QKeySequence(QKeySequence.StandardKey.Save).toString()}）")
        self.revert_button.setEnabled(idle and not self._ended)
        self._show_header()

    def _collect(self) -> CaseDraft:
        draft = self.draft
        draft.regulation_id = self.regulation.currentData()
        draft.number, draft.title = self.number.text().strip(), self.title.text().strip()
        draft.facts = self.facts.toPlainText()
        draft.clue = {"source": self.clue_source.currentData(), "received_on": self.received_on.value(),
                      "provider": self.provider.text().strip(), "content": self.clue_content.toPlainText()}
        return draft

    def is_dirty(self) -> bool:
        return self._collect().state() != self._clean

    def _mark_clean(self) -> None:
        self._clean = self.draft.state()
        self._base = copy.deepcopy(self.draft)  # what a refused save's changes are measured against

    def _regulation_changed(self) -> None:
        self.draft.regulation_id = self.regulation.currentData()
        self._show_parts()

    # -- validation and saving -----------------------------------------------------------------------------------

    def validate(self) -> dict[str, str]:
        """Messages by field; each is shown under its field (and the first one's tab is brought forward)."""
        draft, profile, problems = self._collect(), self.profile(), {}
        if not draft.title:
            problems["title"] = "请填写案件名称。"
        if wrong_date := self.received_on.problem():  # empty, or typed but not a date (said under the field too)
            problems["received_on"] = wrong_date
        elif draft.clue["received_on"] > self._today():
            problems["received_on"] = "收到日期不能晚于今天。"
        if wrong := respondent_problems(draft, profile):
            problems["respondents"] = "；".join(wrong) + "。请修改或删除。"
        for name, label in self.errors.items():
            show_message(label, problems.get(name, ""))
        if problems:
            self.tabs.setCurrentIndex(self._tab_of[next(iter(problems))])
        return problems

    def save(self) -> bool:
        """Validate, then store the whole case on the database worker. Returns whether the save was started:
        ``saved`` is emitted once it is stored; a refusal is shown under the form, which keeps what was typed."""
        show_message(self.error, "")
        if not self.save_button.isEnabled() or self.validate():
            return False
        data, submitted, cases = save_data(self.draft), self.draft.state(), self.cases  # validate() collected

        def work() -> tuple[SavedCase, CaseDetails | None]:
            saved = cases.save_case(data)
            try:
                return saved, cases.details(saved.case_id)
            except Exception:  # stored all the same: the form then keeps what it shows, with the new ids
                return saved, None

        self.saving = True
        self._update_buttons()
        run_op(self, "正在保存案件…", work, lambda answer: self._saved(data, submitted, *answer),
               on_failure=self._save_failed, busy_dialog=False, hub=self.hub)
        return True

    def _saved(self, data: CaseSave, submitted: tuple, saved: SavedCase, details: CaseDetails | None) -> None:
        self.saving = False
        unchanged = self._collect().state() == submitted
        self.dismiss_unsaved()
        if details is not None and unchanged:
            self.draft = load_draft(details)  # as stored: ids, the number given, cleaned-up values
            self._show_draft()
            self._mark_clean()
        else:  # edited while being stored: keep the edits, take the ids of what was added
            apply_saved(self.draft, data, saved)
            if not self.number.text().strip():
                self.number.setText(self.draft.number)
            self._show_parts()
            self._clean = self.draft.state() if unchanged else None
            if details is not None:
                self._base = load_draft(details)  # what is stored now
        self._update_buttons()
        self._own_change = True  # run_op publishes the save right after this: nothing to read again
        self.saved.emit(saved.case_id)

    def _save_failed(self, error: BaseException) -> None:
        self.saving = False
        self._update_buttons()
        if isinstance(error, CaseChanged) and self.draft.case_id:
            self._case_changed(error)  # someone else saved first (gui/case_form_conflict.py)
            return
        # One transaction: nothing of this save was stored, and the form still holds everything typed.
        if isinstance(error, WenzeError):
            show_message(self.error, f"未能保存（案件未作任何改动，填写的内容仍在表单中）：{error}")
        else:
            show_message(self.error, "未能保存（案件未作任何改动，填写的内容仍在表单中）。")
            show_error(self, error)

    # -- loading ---------------------------------------------------------------------------------------------

    def _load(self, case_id: str) -> None:
        """The stored case, read on the database worker (the form is greyed until it arrives)."""
        self.loading = True
        self._update_buttons()
        run_op(self, "正在读取案件…", lambda: self.cases.details(case_id), self._loaded,
               on_failure=self._load_failed, busy_dialog=False)

    def _loaded(self, details: CaseDetails) -> None:
        self.loading, self._unreadable = False, False
        self.draft = load_draft(details)
        self._ended = parts.ended_note(details)  # the services refuse every change: say so up front
        show_message(self.error, self._ended)
        for label in self.errors.values():
            show_message(label, "")
        self._show_draft()
        self._mark_clean()
        self._update_buttons()
        self.loaded.emit()

    def _load_failed(self, error: BaseException) -> None:
        self.loading = False
        self._unreadable = self.draft.case_id is None  # a revert that failed keeps the form as it was
        show_message(self.error, str(error) if isinstance(error, WenzeError) else "未能读取案件。")
        if not isinstance(error, WenzeError):
            show_error(self, error)
        self._update_buttons()

    # -- closing ---------------------------------------------------------------------------------------------

    def confirm_discard(self) -> bool:
        """True when nothing unsaved would be lost, or the user agreed to lose it (hosts ask before closing)."""
        return not self.is_dirty() or self.ask_discard(self)

    def revert(self) -> None:
        """Back to what is stored (a new form: back to empty), after asking."""
        if not self.confirm_discard():
            return
        if self.draft.case_id:
            self._load(self.draft.case_id)
            return
        self.draft = self._blank_draft()
        self._show_draft()
        for label in self.errors.values():
            show_message(label, "")
        self._mark_clean()

    def showEvent(self, event: QShowEvent) -> None:
        # In a host window's tab the host's own 保存 action owns Ctrl+S (two would make the key ambiguous).
        self.save_shortcut.setEnabled(self.isWindow())
        super().showEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.confirm_discard():
            event.ignore()
            return
        if self.settings is not None and self.isWindow():
            self.settings.save_window_state("case_form", self.saveGeometry())
        super().closeEvent(event)
