"""The case form when the case changed underneath it (mixed into CaseForm, gui/case_form.py).

Two people, one case: the form saves from the case's version it was loaded from. When someone else changed the
case meanwhile the service refuses (``CaseChanged``, nothing written); the form then says so in the conflict box,
shows the case as it is now, and keeps what the user typed aside: 恢复我的填写 puts their changes back on top of the
fresh case (``case_draft.reapply``) to check and save again. A change published on the hub (the wizard beside the
form, a calendar year) is read in: an untouched form shows it; a form being edited takes the new version only when
nothing it shows changed, so the clerk's own recording in the wizard never makes their case form stale.
"""

from __future__ import annotations

import copy

from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QVBoxLayout

from wenze_desktop.errors import CaseChanged
from wenze_desktop.gui import case_parts_widgets as parts
from wenze_desktop.gui.case_draft import load_draft, reapply
from wenze_desktop.gui.changes import Changes
from wenze_desktop.gui.forms import show_message
from wenze_desktop.gui.ops import run_op
from wenze_desktop.services.case_parts import CaseDetails


class CaseChangedHandling:
    """Needs the host's ``draft``, ``_base``, ``error``, ``cases``, ``reread``, the ``loading`` / ``saving`` /
    ``_unreadable`` / ``_own_change`` flags, ``_collect``, ``_show_draft``, ``_update_buttons``, ``is_dirty``,
    ``_load`` and ``_loaded`` (gui/case_form.py); ``_unsaved`` (None) is set there too."""

    def _build_conflict_box(self) -> QFrame:
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
        return self.conflict_box

    def _case_changed(self, error: CaseChanged) -> None:
        """Someone else saved first: show the case as it is now; what was typed is kept aside to put back."""
        self._unsaved = (self._base, copy.deepcopy(self._collect()))
        show_message(self.error, "")
        self.conflict.setText(f"{error}\n\n表单现已显示案件的最新内容，您这次填写的内容没有保存。"
                              "点击「恢复我的填写」可把您的修改填回最新内容上，核对后再保存。")
        self.conflict_box.show()
        self._load(self.draft.case_id)

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
