"""One open case in its own tab: the procedure wizard and the case's record (clue, respondents, facts, evidence)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from wenze_desktop.gui.case_form import CaseForm
from wenze_desktop.gui.changes import ChangeHub
from wenze_desktop.gui.ops import run_op
from wenze_desktop.gui.wizard import CaseWizard
from wenze_desktop.services.context import ServiceContext

WIZARD_TAB, RECORD_TAB = 0, 1


class CasePage(QWidget):
    """A case's tab. A new case starts with the record form alone; once saved, the wizard joins it."""

    title_changed = Signal(str)

    def __init__(self, ctx: ServiceContext, hub: ChangeHub, case_id: str | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx, self.hub, self.case_id = ctx, hub, case_id
        self.sections = QTabWidget()
        self.sections.setDocumentMode(True)
        self.form = CaseForm(ctx, hub, case_id)
        self.form.saved.connect(self._saved)
        self.form.loaded.connect(self._loaded)
        self.wizard: CaseWizard | None = None
        if case_id is not None:
            self._add_wizard(case_id)
        self.sections.addTab(self.form, "案件信息")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.sections)

    def _add_wizard(self, case_id: str) -> None:
        self.wizard = CaseWizard(self.ctx, self.hub)
        self.wizard.show_case(case_id)
        self.sections.insertTab(WIZARD_TAB, self.wizard, "办理流程")
        self.sections.setCurrentIndex(WIZARD_TAB)

    def _loaded(self) -> None:
        self.title_changed.emit(self.tab_title())  # the case's number has arrived from the database worker

    def _saved(self, case_id: str) -> None:
        if self.case_id is None:
            self.case_id = case_id
            self._add_wizard(case_id)
        self.title_changed.emit(self.tab_title())

    def tab_title(self) -> str:
        if self.case_id is None:
            return "新建案件"
        return self.form.case_number() or "案件"

    def save(self) -> None:
        self.form.save()  # on the database worker: ``saved`` tells when it is stored

    def has_unsaved(self) -> bool:
        """The case form holds edits not yet stored."""
        return self.form.is_dirty()

    def has_unsaved_action(self) -> bool:
        """An action form of the wizard is open with entries not yet recorded."""
        dialog = self.wizard.active_dialog if self.wizard is not None else None
        # ActionDialog has no public test for this yet: the comparison its own reject() makes before it asks.
        return dialog is not None and dialog._snapshot() != dialog._initial

    def save_then(self, done: Callable[[bool], None]) -> None:
        """Save the case form on the database worker; ``done(True)`` once it is stored and nothing is left unsaved,
        ``done(False)`` when the save was refused (the form says why under its fields and keeps the edits)."""
        if not self.form.save():  # refused at once: a field's message, or 保存 not possible now
            done(False)
            return
        stored: list[str] = []

        def note(case_id: str) -> None:
            stored.append(case_id)

        self.form.saved.connect(note)

        def answered(_result: object = None) -> None:
            # The single worker answers in order: the save's own answer has been handled by the time this one comes.
            self.form.saved.disconnect(note)
            done(bool(stored) and not self.form.is_dirty())

        run_op(self, "", lambda: None, answered, busy_dialog=False)
