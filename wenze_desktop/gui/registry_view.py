"""The registry page: filter bar (我的案件/全部案件, search, regulation, step, deadline, handler), the case table, the
count.

A handler opens on 我的案件 (the cases they handle), most urgent first; everyone else on all cases, most recently
changed first. Keys, rows and the handler list are read on the database worker (see ``registry_model``).
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QItemSelectionModel, QObject, Qt, QTimer, Signal
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

from wenze_desktop.domain.glossary import Role
from wenze_desktop.gui.changes import ChangeHub, Changes
from wenze_desktop.gui.messages import show_error
from wenze_desktop.gui.ops import run_op
from wenze_desktop.gui.registry_model import COLUMNS, DAYS_LEFT_COLUMN, TITLE_COLUMN, RegistryModel
from wenze_desktop.gui.settings import GuiSettings
from wenze_desktop.rules.profiles import all_profiles
from wenze_desktop.services.context import ServiceContext
from wenze_desktop.services.registry import RegistryFilter, step_choices

SEARCH_DELAY_MS = 250
ALL_DEADLINES, OVERDUE, DUE_WITHIN = 0, 1, 2
# Widest a column sized to its contents may get (the title takes the rest): a long list of respondents or a
# provisional deadline's note must not squeeze the title.
CONTENT_WIDTH_CAP = 240
# The title keeps at least this share of the table's width (and this many pixels): on a narrow screen the other
# columns give way first (their full text is in the tooltip).
TITLE_SHARE, TITLE_MIN = 0.3, 220
DRAGGED_KEY = "registry_dragged"  # the saved widths are the clerk's own (never narrowed for a narrow window)


class RegistryView(QWidget):
    case_activated = Signal(str)  # a case id: open it
    handlers_loaded = Signal()  # the handler filter lists everyone who handles a case

    def __init__(self, ctx: ServiceContext, hub: ChangeHub, settings: GuiSettings, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx, self.hub, self.settings = ctx, hub, settings
        self.first_page_shown = False
        self._columns_fitted = False  # columns are fitted to the first rows shown, once
        self._content_widths: dict[int, int] = {}  # what each column but the title wants (fitted, capped)
        self._balancing = False
        self._user_sized = False  # the clerk dragged a column: their widths stand
        self._focus_results = False  # Enter/Down in the search box: move to the results once they are in
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
            header.restoreState(state)  # order, widths and (unless a handler) the sort
            if header.sectionResizeMode(TITLE_COLUMN) == QHeaderView.ResizeMode.Stretch:
                # saved by this layout: the widths fitted (or dragged) before stand; an older layout is refitted
                self._content_widths = {c: self.table.columnWidth(c) for c in range(len(COLUMNS))
                                        if c != TITLE_COLUMN}
                self._columns_fitted = True
                self._user_sized = settings.header_state(DRAGGED_KEY) == QByteArray(b"1")
        self._set_resize_modes()  # after the restore, which brings back the modes it saved
        header.sectionResized.connect(self._section_resized)
        self._viewport = self.table.viewport()
        self._viewport.installEventFilter(self)
        if self.mine:  # a handler's cases, the most urgent first (overdue, then fewest days left; none last)
            header.setSortIndicator(DAYS_LEFT_COLUMN, Qt.SortOrder.AscendingOrder)
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
        self.model.rows_arrived.connect(self._fit_columns)
        hub.changed.connect(self._on_changes)
        self.reload()

    # -- filter bar -------------------------------------------------------------------------------
    def _build_filters(self) -> None:
        # 我的案件 / 全部案件: only for handlers (others handle no case of their own)
        self.scope = QComboBox()
        self.scope.setObjectName("registryScope")
        self.scope.addItem("我的案件", True)
        self.scope.setItemData(0, "只列出由您承办的案件，期限最紧的在前", Qt.ItemDataRole.ToolTipRole)
        self.scope.addItem("全部案件", False)
        self.scope.setItemData(1, "列出工作区内的全部案件", Qt.ItemDataRole.ToolTipRole)
        self.scope.setToolTip("我的案件：由您承办的案件，期限最紧的在前；全部案件：工作区内的全部案件")
        self.handles_cases = Role.HANDLER.value in self.ctx.user.roles
        self._opening = self.handles_cases  # the first answer tells whether 我的案件 has anything to show
        self._none_of_mine = False
        self.scope.setCurrentIndex(0 if self.handles_cases else 1)
        self.scope.setVisible(self.handles_cases)
        self.scope.currentIndexChanged.connect(self._scope_changed)

        self.search = QLineEdit()
        self.search.setObjectName("registrySearch")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText("搜索编号、名称、人名、事实、证据、线索、附件名")
        self.search.setToolTip("可输入一个或多个词（空格分隔），单字亦可，如姓氏“孙”。\n"
                               "查找范围：案件编号、名称、被问责对象、事实、证据、线索内容和附件文件名。\n"
                               "按 Enter 或 ↓ 键转到搜索结果。")
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self._to_results)
        self.search.installEventFilter(self)  # ↓ goes to the results too

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
        self.handler.setEnabled(not self.mine)

        self.filter_bar = QHBoxLayout()
        self.filter_bar.setSpacing(4)
        self.filter_bar.addWidget(self.scope)
        self.search.setMinimumWidth(100)
        self.filter_bar.addWidget(self.search, 3)
        for combo in (self.regulation, self.step, self.deadline, self.handler):
            # long regulation titles must not force a wide window; the list itself still shows them whole
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(5)
        # Wide enough for 全部承办人 where there is room; the window's minimum width stays small.
        self.handler.setMinimumContentsLength(6)
        self.handler.setMinimumWidth(self.handler.minimumSizeHint().width() - 20)
        self.scope.setMinimumContentsLength(4)
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

    @property
    def mine(self) -> bool:
        """The table lists only the cases the signed-in user handles (我的案件)."""
        return self.handles_cases and bool(self.scope.currentData())

    def show_mine(self, mine: bool) -> None:
        self.scope.setCurrentIndex(0 if mine else 1)

    def _scope_changed(self, _index: int) -> None:
        # the handler filter means nothing while only one's own cases are listed
        self.handler.setEnabled(not self.mine)
        self.reload()

    def current_filter(self) -> RegistryFilter:
        choice = self.deadline.currentIndex()
        handler = self.ctx.user.id if self.mine else self.handler.currentData()
        return RegistryFilter(text=self.search.text().strip(), regulation_id=self.regulation.currentData(),
                              step=self.step.currentData(), handler_id=handler,
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
        mine = self.mine and self.model.filter.handler_id == self.ctx.user.id
        none_of_mine = mine and count == 0 and not self._filtered(handler=False)
        if self._opening:
            self._opening = False
            if none_of_mine:  # a handler with no case yet (the first administrator): all cases, not an empty page
                self._none_of_mine = True
                self.show_mine(False)  # loads again
                return
        self.busy.hide()
        if none_of_mine:
            self.count_label.setText("您名下暂无案件。点“全部案件”查看工作区内的全部案件。")
        else:
            scope = "我的案件" if mine else "全部案件" if self.handles_cases else ""
            marks = "，".join(m for m in (scope, "已筛选" if self._filtered(handler=not mine) else "",
                                          "您名下暂无案件" if self._none_of_mine and not mine else "") if m)
            self.count_label.setText(f"共 {count:,} 件" + (f"（{marks}）" if marks else ""))
        self.first_page_shown = True
        if self._focus_results:
            self._focus_results = False
            self._focus_first_row()

    def _filtered(self, handler: bool = True) -> bool:
        flt = self.model.filter
        return bool(flt.text or flt.regulation_id or flt.step or (handler and flt.handler_id) or flt.overdue
                    or flt.due_within is not None)

    # -- columns ----------------------------------------------------------------------------------
    def _set_resize_modes(self) -> None:
        """案件名称 takes the spare width; the other columns are fitted to their contents (``_fit_columns``) and
        stay adjustable by hand."""
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        for column in range(len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch if column == TITLE_COLUMN
                                        else QHeaderView.ResizeMode.Interactive)

    def _fit_columns(self) -> None:
        """Once, when the first rows are painted: every column but the title as wide as its header and the rows
        in view (capped), so the title gets what is left. (Not ResizeToContents: that would measure again on
        every page that arrives, and make the columns jump while scrolling.)"""
        if self._columns_fitted or not self.model.keys or not self.table.isVisible():
            return
        self._columns_fitted = True
        if self._user_sized:  # dragged before any row came: those widths stand
            return
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS)):
            if column != TITLE_COLUMN:
                wanted = max(self.table.sizeHintForColumn(column), header.sectionSizeHint(column)) + 8
                self._content_widths[column] = min(wanted, CONTENT_WIDTH_CAP)
        self._balance()

    def _balance(self) -> None:
        """The fitted widths, narrowed (widest first) where the title would get less than its share."""
        if not self._content_widths or self._user_sized:
            return
        available = self.table.viewport().width()
        budget = available - max(TITLE_MIN, int(available * TITLE_SHARE))
        header = self.table.horizontalHeader()
        floors = {c: header.sectionSizeHint(c) for c in self._content_widths}  # the header stays readable
        wanted = self._content_widths

        def capped(cap: int) -> dict[int, int]:
            return {c: max(min(w, cap), floors[c]) for c, w in wanted.items()}

        low, high = 0, max(wanted.values())  # the largest cap on the widest columns that fits the budget
        while low < high:
            middle = (low + high + 1) // 2
            low, high = (middle, high) if sum(capped(middle).values()) <= budget else (low, middle - 1)
        self._set_widths(capped(low))

    def _set_widths(self, widths: dict[int, int]) -> None:
        self._balancing = True
        try:
            for column, width in widths.items():
                self.table.setColumnWidth(column, width)
        finally:
            self._balancing = False

    def _section_resized(self, column: int, _old: int, _new: int) -> None:
        if not self._balancing and column != TITLE_COLUMN:
            self._user_sized = True


    # -- search box → results ---------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()  # (the type first: no call into a widget for the many other events)
        if kind == QEvent.Type.KeyPress and watched is self.search and event.key() == Qt.Key.Key_Down:
            self._to_results()
            return True
        if kind == QEvent.Type.Resize and watched is self._viewport:
            self._balance()  # a narrower window: the other columns give way before the title does
        return super().eventFilter(watched, event)

    def _to_results(self) -> None:
        """Enter or ↓ in the search box: search now if the text changed, then the first result is selected and
        has the focus (a search that finds nothing leaves the focus in the box)."""
        if self._search_timer.isActive() or self.model.filter != self.current_filter():
            self._focus_results = True
            self.reload()
        elif self.model.loading:
            self._focus_results = True
        else:
            self._focus_first_row()

    def _focus_first_row(self) -> None:
        if self.model.rowCount() == 0:
            return
        header = self.table.horizontalHeader()
        first = header.logicalIndex(0)  # the leftmost column as the clerk arranged them
        self.table.selectionModel().setCurrentIndex(
            self.model.index(0, first),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollToTop()
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

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
        """Order, widths, sort. The widths saved are the ones wanted (fitted or dragged), not those a narrow
        window squeezed them to for now."""
        narrowed = bool(self._content_widths) and not self._user_sized
        if narrowed:
            self._set_widths(self._content_widths)
        self.settings.save_header_state("registry", self.table.horizontalHeader().saveState())
        self.settings.save_header_state(DRAGGED_KEY, QByteArray(b"1" if self._user_sized else b"0"))
        if narrowed:
            self._balance()

