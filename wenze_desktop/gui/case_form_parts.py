"""The case form's tables: respondents, evidence and attachments (mixed into CaseForm, gui/case_form.py).

Each table edits the form's ``CaseDraft``: rows are added and changed through their dialogs, and a stored row that
is removed is only deleted on save (so 放弃修改 can still bring it back). An attachment is opened with the system
viewer only after its stored SHA-256 was checked (``read_attachment``, on the database worker).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QLabel, QWidget

from wenze_desktop.errors import WenzeError
from wenze_desktop.gui import case_parts_widgets as parts
from wenze_desktop.gui.case_draft import AttachmentRow, EvidenceRow, RespondentRow
from wenze_desktop.gui.forms import show_message
from wenze_desktop.gui.messages import show_error
from wenze_desktop.gui.ops import run_op
from wenze_desktop.gui.respondent_dialog import RespondentDialog

ROLE_COLUMN, RESPONSIBILITY_COLUMN = 3, 4


class CasePartsEditing:
    """Needs the host's ``draft``, ``cases``, ``errors``, ``exec_dialog``, ``choose_file``, ``open_url``,
    ``viewer_files``, ``profile``, ``_collect`` and ``_error_line`` (gui/case_form.py)."""

    def _build_parts(self) -> tuple[QWidget, QWidget]:
        """The 被问责对象 and 证据与附件 pages."""
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
        return people, proof

    def _show_parts(self) -> None:
        profile = self.profile()
        parts.fill_table(self.respondents, parts.respondent_cells(self.draft))
        self.respondents.setColumnHidden(ROLE_COLUMN, not profile.respondent_roles)
        self.respondents.setColumnHidden(RESPONSIBILITY_COLUMN, not profile.responsibilities)
        parts.fill_table(self.evidence, parts.evidence_cells(self.draft))
        parts.fill_table(self.attachments, parts.attachment_cells(self.draft))

    def _row(self, table, row: int | None) -> int | None:
        row = parts.selected_row(table) if row is None else row
        return row if row is not None and 0 <= row < table.rowCount() else None

    def _remove(self, table, rows: list, removed: list[str], row: int | None) -> None:
        # Stored parts are deleted on save (so 放弃修改 can still bring them back).
        if (row := self._row(table, row)) is not None:
            if (item := rows.pop(row)).id:
                removed.append(item.id)
            self._show_parts()

    # -- respondents ------------------------------------------------------------------------------------------

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
