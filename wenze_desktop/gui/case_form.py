"""The case form: create a case or edit one — clue, basic information, respondents, facts, evidence, attachments.

Edits collect in a ``CaseDraft``; 保存 (Ctrl+S) stores the whole case in one service transaction
(``CaseService.save_case``: all of it or none of it) on the database worker, as loading the case does, so the GUI
never waits on the database. The form stays usable meanwhile (保存 is greyed until the answer comes); a refusal
keeps everything typed and says why under the form. What changed reaches the other views through ``run_op``.
Discarding unsaved changes (放弃修改, closing the window, or a host's ``confirm_discard()`` before closing a tab)
asks first. Validation messages appear in red under the field they concern. A plain widget, so a tab can hold it.

Two people, one case: the form saves from the case's version it was loaded from. When someone else changed the
case meanwhile the service refuses (``CaseChanged``, nothing written); the form then says so, shows the case as
it is now, and keeps what the user typed aside: 恢复我的填写 puts their changes back on top of the fresh case
(``case_draft.reapply``) to check and save again. A change published on the hub (the wizard beside the form, a
calendar year) is read in: an untouched form shows it; a form being edited takes the new version only when nothing
it shows changed, so the clerk's own recording in the wizard never makes their case form stale.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, Qt, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QFrame,
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
from wenze_desktop.gui.case_draft import (
    AttachmentRow,
    CaseDraft,
    EvidenceRow,
    RespondentRow,
    apply_saved,
    load_draft,
    reapply,
    respondent_problems,
    save_data,
)
from wenze_desktop.gui.changes import ChangeHub, Changes
from wenze_desktop.gui.forms import error_label, show_message
from wenze_desktop.gui.messages import show_error
from wenze_desktop.gui.ops import run_op
from wenze_desktop.gui.respondent_dialog import RespondentDialog
from wenze_desktop.gui.settings import GuiSettings
from wenze_desktop.rules.profiles import Profile, all_profiles, load_profile
from wenze_desktop.security.permissions import Permission, permissions_of
from wenze_desktop.services.case_parts import CaseDetails, CaseSave, SavedCase
from wenze_desktop.services.cases import CaseService
from wenze_desktop.services.context import ServiceContext

ROLE_COLUMN, RESPONSIBILITY_COLUMN = 3, 4


class CaseForm(QWidget):
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
        self.received_on = QDateEdit()
        self.received_on.setCalendarPopup(True)
        self.received_on.setDisplayFormat("yyyy-MM-dd")
        self.provider = QLineEdit()
        self.provider.setPlaceholderText("提供线索的单位或个人（可不填）")
        self.clue_content = QPlainTextEdit()
        self.error = error_label()
        self.errors: dict[str, QLabel] = {}

        basic = parts.form_of([("案件编号：", self.number), ("适用规定：", self.regulation),
                               ("案件名称：", self._checked("title", self.title)), ("案件事实：", self.facts)])
        clue = parts.form_of([("线索来源：", self.clue_source),
                              ("收到日期：", self._checked("received_on", self.received_on)),
                              ("线索提供人：", self.provider), ("线索内容：", self.clue_content)])

        self.respondents = parts.plain_table(["类别", "姓名（单位全称）", "单位及职务（主要负责人）", "职责",
                                              "所负责任"])
        self.respondents.doubleClicked.connect(lambda index: self.edit_respondent(index.row()))
        people = parts.page_of([parts.action_row(("添加…", self.add_respondent), ("修改…", self.edit_respondent),
                                           ("删除", self.remove_respondent)),
                             self.respondents, self._error_line("respondents")])
        self.evidence = parts.plain_table(["序号", "证据名称", "种类", "来源", "取得日期", "对应附件"])
        self.evidence.doubleClicked.connect(lambda index: self.edit_evidence(index.row()))
        self.attachments = parts.plain_table(["文件名", "大小", "SHA-256"])
        self.attachments.doubleClicked.connect(lambda index: self.open_attachment(index.row()))
        proof = parts.page_of([QLabel("证据清单"), parts.action_row(("添加…", self.add_evidence),
                                                           ("修改…", self.edit_evidence),
                                                           ("删除", self.remove_evidence)),
                            self.evidence, self._error_line("evidence"),
                            QLabel("附件（存放在加密数据库中，每次打开都核对 SHA-256）"),
                            parts.action_row(("添加附件…", self.add_attachment), ("打开", self.open_attachment),
                                             ("删除", self.remove_attachment)),
                            self.attachments, self._error_line("attachments")])

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
        self.conflict_box = QFrame()
        self.conflict_box.setObjectName("caseChanged")
        self.conflict_box.setStyleSheet("#caseChanged { background: #fff4e5; border: 1px solid #e0a040; }")
        self.conflict = QLabel()
        self.conflict.setWordWrap(True)
        self.restore_button = QPushButton("恢复我的填写")
        self.restore_button.setToolTip("把您这次没有保存的修改填回表单（以最新内容为底），核对后再保存")
        self.restore_button.clicked.connect(self.restore_unsaved)
        self.dismiss_button = QPushButton("不用恢复")
        self.dismiss_button.setToolTip("放弃这次没有保存的修改，保留表单中的最新内容")
        self.dismiss_button.clicked.connect(self.dismiss_unsaved)
        conflict_layout = QVBoxLayout(self.conflict_box)
        conflict_layout.addWidget(self.conflict)
        conflict_layout.addLayout(parts.button_row([self.dismiss_button, self.restore_button]))
        self.conflict_box.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.conflict_box)
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
        received = draft.clue.get("received_on") or self._today()
        self.received_on.setDate(QDate(received.year, received.month, received.day))
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

    def _show_parts(self) -> None:
        profile = self.profile()
        parts.fill_table(self.respondents, parts.respondent_cells(self.draft))
        self.respondents.setColumnHidden(ROLE_COLUMN, not profile.respondent_roles)
        self.respondents.setColumnHidden(RESPONSIBILITY_COLUMN, not profile.responsibilities)
        parts.fill_table(self.evidence, parts.evidence_cells(self.draft))
        parts.fill_table(self.attachments, parts.attachment_cells(self.draft))

    def _collect(self) -> CaseDraft:
        draft = self.draft
        draft.regulation_id = self.regulation.currentData()
        draft.number, draft.title = self.number.text().strip(), self.title.text().strip()
        draft.facts = self.facts.toPlainText()
        draft.clue = {"source": self.clue_source.currentData(), "received_on": self.received_on.date().toPython(),
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
        if draft.clue["received_on"] > self._today():
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
            # Someone else saved first: show the case as it is now; what was typed is kept aside to put back.
            self._unsaved = (self._base, copy.deepcopy(self._collect()))
            show_message(self.error, "")
            self.conflict.setText(f"{error}\n\n表单现已显示案件的最新内容，您这次填写的内容没有保存。"
                                  "点击「恢复我的填写」可把您的修改填回最新内容上，核对后再保存。")
            self.conflict_box.show()
            self._load(self.draft.case_id)
            return
        # One transaction: nothing of this save was stored, and the form still holds everything typed.
        if isinstance(error, WenzeError):
            show_message(self.error, f"未能保存（案件未作任何改动，填写的内容仍在表单中）：{error}")
        else:
            show_message(self.error, "未能保存（案件未作任何改动，填写的内容仍在表单中）。")
            show_error(self, error)

    # -- another person's change ------------------------------------------------------------------------------

    def restore_unsaved(self) -> None:
        """Put the changes of the refused save back, on top of the case as it is now (still to be saved)."""
        if self._unsaved is None or self.loading:
            return
        base, typed = self._unsaved
        self.dismiss_unsaved()
        self.draft = reapply(base, typed, self._collect())
        self._show_draft()
        show_message(self.error, "已把您的填写放回表单（以最新内容为底），请核对后保存。")
        self._update_buttons()

    def dismiss_unsaved(self) -> None:
        self._unsaved = None
        self.conflict_box.hide()

    def _on_changed(self, changes: Changes) -> None:
        """The case (or every case's deadlines) changed elsewhere in this program: read it again."""
        case_id, own = self.draft.case_id, self._own_change
        self._own_change = False
        if not case_id or own or self.loading or self.saving or self._unreadable:
            return
        if case_id in changes.case_ids or changes.calendar or (changes.deadlines and not changes.case_ids):
            cases = self.cases
            run_op(self, "", lambda: cases.details(case_id), self._reread,
                   on_failure=lambda _error: self.reread.emit(), busy_dialog=False)

    def _reread(self, details: CaseDetails) -> None:
        try:
            self._take_fresh(details)
        finally:
            self.reread.emit()

    def _take_fresh(self, details: CaseDetails) -> None:
        if details.id != self.draft.case_id or self.loading or self.saving or details.version == self.draft.version:
            return
        if not self.is_dirty():
            self._loaded(details)  # nothing typed: show the case as it is now
        elif load_draft(details).state() == self._base.state():
            # Nothing the form shows changed (a record in the wizard, a deadline): the edits stand on the new version.
            self.draft.version = self._base.version = details.version
        # Otherwise the form keeps the old version: its save will be refused and say so, with the edits kept.

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

    # -- respondents ------------------------------------------------------------------------------------------

    def _row(self, table, row: int | None) -> int | None:
        row = parts.selected_row(table) if row is None else row
        return row if row is not None and 0 <= row < table.rowCount() else None

    def add_respondent(self) -> None:
        self._collect()
        dialog = RespondentDialog(self.profile(), parent=self)
        if self.exec_dialog(dialog):
            self.draft.respondents.append(RespondentRow(dialog.values()))
            self._show_parts()

    def edit_respondent(self, row: int | None = None) -> None:
        if (row := self._row(self.respondents, row)) is None:
            return
        self._collect()
        item = self.draft.respondents[row]
        dialog = RespondentDialog(self.profile(), item.fields, parent=self)
        if self.exec_dialog(dialog):
            item.fields = dialog.values()
            self._show_parts()

    def remove_respondent(self, row: int | None = None) -> None:
        self._remove(self.respondents, self.draft.respondents, self.draft.removed_respondents, row)

    def _remove(self, table, rows: list, removed: list[str], row: int | None) -> None:
        # Stored parts are deleted on save (so 放弃修改 can still bring them back).
        if (row := self._row(table, row)) is not None:
            if (item := rows.pop(row)).id:
                removed.append(item.id)
            self._show_parts()

    # -- evidence ------------------------------------------------------------------------------------------------

    def add_evidence(self) -> None:
        dialog = parts.EvidenceDialog(self.draft.attachments, parent=self)
        if self.exec_dialog(dialog):
            self.draft.evidence.append(EvidenceRow(dialog.values(), dialog.attachment_key()))
            self._show_parts()

    def edit_evidence(self, row: int | None = None) -> None:
        if (row := self._row(self.evidence, row)) is None:
            return
        item = self.draft.evidence[row]
        dialog = parts.EvidenceDialog(self.draft.attachments, item.fields, item.attachment_key, parent=self)
        if self.exec_dialog(dialog):
            item.fields, item.attachment_key = dialog.values(), dialog.attachment_key()
            self._show_parts()

    def remove_evidence(self, row: int | None = None) -> None:
        self._remove(self.evidence, self.draft.evidence, self.draft.removed_evidence, row)

    # -- attachments -----------------------------------------------------------------------------------------

    def add_attachment(self, path: str | None = None) -> None:
        path = path or self.choose_file(self)
        if not path:
            return
        row = parts.read_attachment_file(Path(path))
        show_message(self.errors["attachments"], row if isinstance(row, str) else "")
        if isinstance(row, AttachmentRow):
            self.draft.attachments.append(row)
            self._show_parts()

    def remove_attachment(self, row: int | None = None) -> None:
        """Evidence that pointed to the file keeps its place in the list, without the file."""
        if (row := self._row(self.attachments, row)) is None:
            return
        key = self.draft.attachments[row].key
        for item in self.draft.evidence:
            if item.attachment_key == key:
                item.attachment_key = None
        self._remove(self.attachments, self.draft.attachments, self.draft.removed_attachments, row)

    def open_attachment(self, row: int | None = None) -> None:
        """Open with the system viewer — only after the stored hash was checked (read_attachment, on the database
        worker)."""
        if (row := self._row(self.attachments, row)) is None:
            return
        item = self.draft.attachments[row]
        if item.id is None:
            self._view(item.filename, item.content or b"")
            return
        attachment_id, cases = item.id, self.cases
        run_op(self, f"正在读取附件「{item.filename}」…", lambda: cases.read_attachment(attachment_id),
               lambda answer: self._view(*answer), on_failure=lambda error: show_error(self, error, "无法打开附件"))

    def _view(self, filename: str, content: bytes) -> None:
        try:
            target = self.viewer_files.write(filename, content)
        except WenzeError as error:
            show_error(self, error, "无法打开附件")
            return
        self.open_url(QUrl.fromLocalFile(str(target)))

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
