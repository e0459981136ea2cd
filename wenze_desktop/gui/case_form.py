"""The case form: create a case or edit one — clue, basic information, respondents, facts, evidence, attachments.

Edits collect in a ``CaseDraft`` and are written through the case service on 保存 (Ctrl+S). Discarding unsaved
changes (放弃修改, closing the window, or a host's ``confirm_discard()`` before closing a tab) asks first.
Validation messages appear in red under the field they concern. A plain widget, so a tab can hold it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, Qt, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDateEdit,
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
from wenze_desktop.errors import WenzeError
from wenze_desktop.gui import case_parts_widgets as parts
from wenze_desktop.gui.case_draft import (
    AttachmentRow,
    CaseDraft,
    EvidenceRow,
    RespondentRow,
    load_draft,
    respondent_problems,
    save_draft,
)
from wenze_desktop.gui.changes import ChangeHub, Changes
from wenze_desktop.gui.forms import error_label, show_message
from wenze_desktop.gui.messages import show_error
from wenze_desktop.gui.respondent_dialog import RespondentDialog
from wenze_desktop.gui.settings import GuiSettings
from wenze_desktop.rules.profiles import Profile, all_profiles, load_profile
from wenze_desktop.security.permissions import Permission, permissions_of
from wenze_desktop.services.cases import CaseService
from wenze_desktop.services.context import ServiceContext

ROLE_COLUMN, RESPONSIBILITY_COLUMN = 3, 4


class CaseForm(QWidget):
    """``case_id=None``: a new case. ``saved`` carries the case id after every successful save."""

    saved = Signal(str)

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
        self._build()
        self.draft = self._blank_draft()
        if case_id is not None:
            try:
                details = self.cases.details(case_id)
                self.draft = load_draft(details)
                if ended := parts.ended_note(details):  # the services refuse every change: say so up front
                    self.save_button.setEnabled(False)
                    self.revert_button.setEnabled(False)
                    show_message(self.error, ended)
            except WenzeError as error:
                show_message(self.error, str(error))
                self.tabs.setEnabled(False)
                self.save_button.setEnabled(False)
        if Permission.CASE_EDIT not in permissions_of(ctx.user.roles):  # reading is allowed, saving would be refused
            self.save_button.setEnabled(False)
            self.save_button.setToolTip("当前用户没有“办理案件”的权限，只能查阅。")
        self._show_draft()
        self._mark_clean()
        if settings and (geometry := settings.window_state("case_form")[0]) is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(860, 640)

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
                            parts.action_row(("添加附件…", self.add_attachment), ("打开", self.open_attachment)),
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
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
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
        self.setWindowTitle(f"案件 {draft.number}" if draft.case_id else "新建案件")
        self.number.setText(draft.number)
        self.regulation.blockSignals(True)
        self.regulation.setCurrentIndex(max(0, self.regulation.findData(draft.regulation_id)))
        self.regulation.blockSignals(False)
        self.regulation.setEnabled(draft.case_id is None)  # the procedure so far was run under this regulation
        self.title.setText(draft.title)
        self.facts.setPlainText(draft.facts)
        self.clue_source.setCurrentIndex(max(0, self.clue_source.findData(draft.clue.get("source"))))
        received = draft.clue.get("received_on") or self._today()
        self.received_on.setDate(QDate(received.year, received.month, received.day))
        self.provider.setText(draft.clue.get("provider", ""))
        self.clue_content.setPlainText(draft.clue.get("content", ""))
        self._show_parts()

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
        # A case first stored by a save that then failed part-way is still "added" when a later save completes.
        self._clean, self._stored = self.draft.state(), self.draft.case_id is not None

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
        """Validate, then write through the services. Returns whether everything was saved."""
        show_message(self.error, "")
        if not self.save_button.isEnabled() or self.validate():
            return False
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            case_id, _ = save_draft(self.cases, self.draft)
            self.draft = load_draft(self.cases.details(case_id))
        except Exception as error:  # never a traceback
            QApplication.restoreOverrideCursor()
            # Parts saved before the error now have ids (a new case exists): show that; a repeat save goes on.
            self._show_draft()
            if isinstance(error, WenzeError):
                show_message(self.error, f"未能全部保存：{error}")
            else:
                show_error(self, error)
            return False
        QApplication.restoreOverrideCursor()
        self._show_draft()
        added = not self._stored
        self._mark_clean()
        self.saved.emit(case_id)
        if self.hub is not None:
            self.hub.publish(Changes.case(case_id, added=added))
        return True

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

    def open_attachment(self, row: int | None = None) -> None:
        """Open with the system viewer — only after the stored hash was checked (read_attachment)."""
        if (row := self._row(self.attachments, row)) is None:
            return
        item = self.draft.attachments[row]
        try:
            if item.id:
                filename, content = self.cases.read_attachment(item.id)
            else:
                filename, content = item.filename, item.content or b""
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
            try:
                self.draft = load_draft(self.cases.details(self.draft.case_id))
            except WenzeError as error:
                show_message(self.error, str(error))
                return
        else:
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
