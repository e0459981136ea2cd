"""The registry page: filter bar (search, regulation, step, deadline, handler), the case table, the count.

Keys, rows and the handler list are read on the database worker (see ``registry_model``).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from wenze_desktop.gui.changes import ChangeHub, Changes
from wenze_desktop.gui.messages import show_error
from wenze_desktop.gui.ops import run_op
from wenze_desktop.gui.registry_model import COLUMNS, RegistryModel
from wenze_desktop.gui.settings import GuiSettings
from wenze_desktop.rules.profiles import all_profiles
from wenze_desktop.services.context import ServiceContext
from wenze_desktop.services.registry import MIN_SEARCH_CHARS, RegistryFilter, step_choices

SEARCH_DELAY_MS = 250
ALL_DEADLINES, OVERDUE, DUE_WITHIN = 0, 1, 2


class RegistryView(QWidget):
    case_activated = Signal(str)  # a case id: open it
    handlers_loaded = Signal()  # the handler filter lists everyone who handles a case

    def __init__(self, ctx: ServiceContext, hub: ChangeHub, settings: GuiSettings, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx, self.hub, self.settings = ctx, hub, settings
        self.first_page_shown = False
        self.model = RegistryModel(ctx, self)
        self._build_filters()
        self.table = QTableView()
        self.table.setObjectName("registryTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Several rows (Ctrl/Shift+click) for export; the current row is the one Enter opens.
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(False)  # overdue rows are coloured; stripes would blur them
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionsMovable(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, (_title, _sort, width) in enumerate(COLUMNS):
            self.table.setColumnWidth(column, width)
        # Sorting is the model's (a query), wired by hand: QTableView.setSortingEnabled would sort at once and
        # again on every restored state, each a full query on the worker before the first page.
        header.setSortIndicatorShown(True)
        header.setSectionsClickable(True)
        header.setSortIndicator(-1, Qt.SortOrder.DescendingOrder)  # most recently changed first, until clicked
        self.table.doubleClicked.connect(lambda index: self._activate(index.row()))
        self.table.activated.connect(lambda index: self._activate(index.row()))  # Enter on a row
        state = settings.header_state("registry")
        if state is not None:
            header.restoreState(state)
        self._apply_sort_indicator(reload=False)
        header.sortIndicatorChanged.connect(lambda _section, _order: self._apply_sort_indicator())

        self.count_label = QLabel()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.setTextVisible(False)
        self.busy.hide()
        status = QHBoxLayout()
        status.addWidget(self.count_label)
        status.addStretch(1)
        status.addWidget(self.busy)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(self.filter_bar)
        layout.addWidget(self.table, 1)
        layout.addLayout(status)

        self.model.loading_started.connect(self._loading)
        self.model.loaded.connect(self._loaded)
        hub.changed.connect(self._on_changes)
        self.reload()

    # -- filter bar -------------------------------------------------------------------------------
    def _build_filters(self) -> None:
        self.search = QLineEdit()
        self.search.setObjectName("registrySearch")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText("搜索：案件编号、名称、被问责对象、事实（至少两个字，空格分隔多个词）")
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self.reload)

        self.regulation = QComboBox()
        self.regulation.addItem("全部规定", None)
        for profile in all_profiles():
            self.regulation.addItem(profile.short_title, profile.id)
            self.regulation.setItemData(self.regulation.count() - 1, profile.title, Qt.ItemDataRole.ToolTipRole)
        self.step = QComboBox()
        self._fill_steps()
        self.regulation.currentIndexChanged.connect(lambda _i: (self._fill_steps(), self.reload()))
        self.step.currentIndexChanged.connect(lambda _i: self.reload())

        self.deadline = QComboBox()
        self.deadline.addItems(["全部期限", "已逾期", "N 天内到期"])
        self.within = QSpinBox()
        self.within.setRange(0, 365)
        self.within.setValue(7)
        self.within.setSuffix(" 天内")
        self.within.setEnabled(False)
        self.deadline.currentIndexChanged.connect(self._deadline_changed)
        self.within.valueChanged.connect(lambda _v: self.reload())

        self.handler = QComboBox()
        self._fill_handlers()
        self.handler.currentIndexChanged.connect(lambda _i: self.reload())

        self.filter_bar = QHBoxLayout()
        self.search.setMinimumWidth(120)
        self.filter_bar.addWidget(self.search, 3)
        for combo in (self.regulation, self.step, self.deadline, self.handler):
            # long regulation titles must not force a wide window; the list itself still shows them whole
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(5)
        for widget in (self.regulation, self.step, self.deadline, self.within, self.handler):
            self.filter_bar.addWidget(widget)

    def _fill_steps(self) -> None:
        current = self.step.currentData()
        self.step.blockSignals(True)
        self.step.clear()
        self.step.addItem("全部环节", None)
        for step_id, label in step_choices(self.regulation.currentData()):
            self.step.addItem(label, step_id)
        found = self.step.findData(current)
        self.step.setCurrentIndex(max(found, 0))
        self.step.blockSignals(False)

    def _fill_handlers(self) -> None:
        """Ask the worker for the handlers; the list is replaced when they arrive (the choice is kept)."""
        if self.handler.count() == 0:
            self.handler.addItem("全部承办人", None)
        service = self.model.service
        run_op(self, "", service.handlers, self._show_handlers, busy_dialog=False,
               on_failure=lambda error: show_error(self, error, "承办人列表未能载入"))

    def _show_handlers(self, handlers: list[tuple[str, str]]) -> None:
        current = self.handler.currentData()
        self.handler.blockSignals(True)
        self.handler.clear()
        self.handler.addItem("全部承办人", None)
        for user_id, name in handlers:
            self.handler.addItem(name, user_id)
        found = self.handler.findData(current)
        self.handler.setCurrentIndex(max(found, 0))
        self.handler.blockSignals(False)
        self.handlers_loaded.emit()
        if found < 0 and current is not None:  # the chosen handler no longer handles any case: show everyone
            self.reload()

    def _deadline_changed(self, index: int) -> None:
        self.within.setEnabled(index == DUE_WITHIN)
        self.reload()

    def current_filter(self) -> RegistryFilter:
        choice = self.deadline.currentIndex()
        return RegistryFilter(text=self.search.text().strip(), regulation_id=self.regulation.currentData(),
                              step=self.step.currentData(), handler_id=self.handler.currentData(),
                              overdue=choice == OVERDUE,
                              due_within=self.within.value() if choice == DUE_WITHIN else None)

    # -- loading ----------------------------------------------------------------------------------
    def reload(self) -> None:
        self._search_timer.stop()
        self.model.load(self.current_filter())

    def _apply_sort_indicator(self, reload: bool = True) -> None:
        header = self.table.horizontalHeader()
        section = header.sortIndicatorSection()
        key = COLUMNS[section][1] if 0 <= section < len(COLUMNS) else "updated"
        if key is None:  # a column the database cannot order by: keep the current order, and show it
            current = next(i for i, column in enumerate(COLUMNS) if column[1] == self.model.sort_key) \
                if self.model.sort_key in {c[1] for c in COLUMNS} else -1
            header.blockSignals(True)
            header.setSortIndicator(current, Qt.SortOrder.DescendingOrder if self.model.descending
                                    else Qt.SortOrder.AscendingOrder)
            header.blockSignals(False)
            return
        self.model.sort_key = key
        self.model.descending = header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder if section >= 0 else True
        if reload:
            self.model.load()

    def _loading(self) -> None:
        self.busy.show()
        self.count_label.setText("正在载入…")

    def _loaded(self, count: int) -> None:
        self.busy.hide()
        words = self.model.filter.text.split()
        if any(len(w) < MIN_SEARCH_CHARS for w in words):
            self.count_label.setText(f"每个搜索词至少 {MIN_SEARCH_CHARS} 个字。")
        else:
            self.count_label.setText(f"共 {count:,} 件" + ("（已筛选）" if self._filtered() else ""))
        self.first_page_shown = True

    def _filtered(self) -> bool:
        flt = self.model.filter
        return bool(flt.text or flt.regulation_id or flt.step or flt.handler_id or flt.overdue
                    or flt.due_within is not None)

    def _on_changes(self, changes: Changes) -> None:
        if changes.cases_added or changes.deadlines or changes.calendar:
            if changes.cases_added:
                self._fill_handlers()
            self.model.load()  # the set or order may differ; same filter and sort
        elif changes.case_ids:
            self.model.refresh_cases(changes.case_ids)

    # -- use --------------------------------------------------------------------------------------
    def _activate(self, row: int) -> None:
        case_id = self.model.case_id_at(row)
        if case_id:
            self.case_activated.emit(case_id)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def selected_case_id(self) -> str | None:
        index = self.table.currentIndex()
        return self.model.case_id_at(index.row()) if index.isValid() else None

    def selected_case_ids(self) -> list[str]:
        """Every selected row's case, in table order (the current one if nothing is selected)."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        ids = [case_id for case_id in self.model.case_ids_at(rows) if case_id]
        current = self.selected_case_id()
        return ids or ([current] if current else [])

    def save_layout(self) -> None:
        self.settings.save_header_state("registry", self.table.horizontalHeader().saveState())

