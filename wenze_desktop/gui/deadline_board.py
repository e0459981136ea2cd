"""The deadline board: every open deadline in the workspace, overdue first, provisional ones marked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from wenze_desktop.gui.changes import ChangeHub, Changes
from wenze_desktop.gui.forms import days_left_text
from wenze_desktop.gui.list_output import ListOutput, table_of
from wenze_desktop.gui.messages import show_error
from wenze_desktop.gui.ops import run_op
from wenze_desktop.rules.profiles import load_profile
from wenze_desktop.security.permissions import Permission, permissions_of
from wenze_desktop.services.context import ServiceContext
from wenze_desktop.services.procedure import OpenDeadline, ProcedureService

OVERDUE_BACKGROUND = QColor("#fdecea")
OVERDUE_FOREGROUND = QColor("#b00020")
PROVISIONAL_FOREGROUND = QColor("#8a5a00")

FILTER_ALL, FILTER_OVERDUE, FILTER_DUE_WITHIN = "all", "overdue", "due_within"


def step_label(deadline: OpenDeadline) -> str:
    """The step's label in the case's own regulation."""
    return load_profile(deadline.regulation_id).step_label(deadline.step)


def provisional_tooltip(years: tuple[int, ...]) -> str:
    named = "、".join(str(y) for y in years)
    return (f"暂定期限：{named} 年的节假日安排尚未录入，仅按周末推算。\n"
            f"请管理员录入国务院办公厅公布的 {named} 年安排，期限将自动重新计算。")


@dataclass(frozen=True)
class Column:
    title: str
    width: int = 0


COLUMNS = (Column("案件编号", 150), Column("案件名称", 240), Column("期限", 160), Column("应完成环节", 120),
           Column("截止日期", 100), Column("剩余天数", 100), Column("依据", 130), Column("暂定", 50))
(COL_NUMBER, COL_TITLE, COL_LABEL, COL_STEP, COL_DUE, COL_LEFT, COL_ARTICLE, COL_PROVISIONAL) = range(len(COLUMNS))

CASE_ID_ROLE = Qt.ItemDataRole.UserRole + 2


def default_order(today: date):
    """Overdue first (they are the earliest), then by due date."""
    return lambda d: (d.due >= today, d.due, d.case_number, d.rule_id)


def column_key(column: int):
    if column in (COL_DUE, COL_LEFT):
        return lambda d: (d.due, d.case_number)
    if column == COL_PROVISIONAL:
        return lambda d: (d.provisional, d.due)
    if column == COL_STEP:
        return lambda d: (step_label(d), d.due)
    attribute = {COL_NUMBER: "case_number", COL_TITLE: "case_title", COL_LABEL: "label", COL_ARTICLE: "article"}
    name = attribute[column]
    return lambda d: (getattr(d, name), d.due)


class DeadlineModel(QAbstractTableModel):
    """Open deadlines as loaded (earliest first, so overdue ones lead); cells are formatted on demand."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[OpenDeadline] = []
        self.today = date.today()
        self.sorted_by: tuple[int, Qt.SortOrder] | None = None  # None: the default order

    def set_rows(self, rows: list[OpenDeadline], today: date) -> None:
        self.beginResetModel()
        self.today = today
        self.rows = self._ordered(rows)
        self.endResetModel()

    def _ordered(self, rows: list[OpenDeadline]) -> list[OpenDeadline]:
        if self.sorted_by is None:
            return sorted(rows, key=default_order(self.today))
        column, order = self.sorted_by
        return sorted(rows, key=column_key(column), reverse=order == Qt.SortOrder.DescendingOrder)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorted here in Python (a proxy sort of 10k rows through data() takes a second); -1: the default."""
        self.beginResetModel()
        self.sorted_by = None if column < 0 else (column, order)
        self.rows = self._ordered(self.rows)
        self.endResetModel()

    def deadline(self, row: int) -> OpenDeadline:
        return self.rows[row]

    def is_overdue(self, row: int) -> bool:
        return self.rows[row].days_left(self.today) < 0

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].title
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        d, column = self.rows[index.row()], index.column()
        left = d.days_left(self.today)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(d, column, left)
        if role == CASE_ID_ROLE:
            return d.case_id
        if role == Qt.ItemDataRole.ForegroundRole:
            if left < 0:
                return QBrush(OVERDUE_FOREGROUND)
            if column == COL_PROVISIONAL and d.provisional:
                return QBrush(PROVISIONAL_FOREGROUND)
        if role == Qt.ItemDataRole.BackgroundRole and left < 0:
            return QBrush(OVERDUE_BACKGROUND)
        if role == Qt.ItemDataRole.ToolTipRole:
            if d.provisional and column in (COL_PROVISIONAL, COL_DUE):
                return provisional_tooltip(d.unknown_years)
            if column in (COL_TITLE, COL_ARTICLE):
                return d.case_title if column == COL_TITLE else d.article
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (COL_DUE, COL_LEFT, COL_PROVISIONAL):
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    @staticmethod
    def _display(d: OpenDeadline, column: int, left: int) -> str:
        if column == COL_NUMBER:
            return d.case_number
        if column == COL_TITLE:
            return d.case_title
        if column == COL_LABEL:
            return d.label
        if column == COL_STEP:
            return step_label(d)
        if column == COL_DUE:
            return d.due.isoformat()
        if column == COL_LEFT:
            return days_left_text(left)
        if column == COL_ARTICLE:
            return d.article
        return "暂定" if d.provisional else ""


class DeadlineFilter(QSortFilterProxyModel):
    """全部 / 已逾期 / N 天内到期, applied to the loaded rows (no database round trip)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.mode = FILTER_ALL
        self.days = 7

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.sourceModel().sort(column, order)  # the proxy only filters; it keeps the source's order

    def set_filter(self, mode: str, days: int) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt ≥ 6.10; invalidateFilter() is deprecated there
            self.beginFilterChange()
            self.mode, self.days = mode, days
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.mode, self.days = mode, days
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        if self.mode == FILTER_ALL:
            return True
        model: DeadlineModel = self.sourceModel()
        left = model.deadline(source_row).days_left(model.today)
        if self.mode == FILTER_OVERDUE:
            return left < 0
        return 0 <= left <= self.days


class DeadlineBoard(QWidget):
    """A page (or dock content) listing every open deadline; double-click or Enter opens the case."""

    case_activated = Signal(str)  # case id
    loaded = Signal()  # the table shows fresh rows

    def __init__(self, ctx: ServiceContext, hub: ChangeHub, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.hub = ctx, hub
        self.loading = False
        self._stale = False
        self.year_buttons: dict[int, QPushButton] = {}
        self.calendar_dialog = None
        self.can_enter_years = Permission.CONFIG_MANAGE in permissions_of(ctx.user.roles)

        self.model = DeadlineModel(self)
        self.proxy = DeadlineFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setObjectName("deadlineTable")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(False)  # the overdue background must stay visible
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        for i, column in enumerate(COLUMNS):
            header.resizeSection(i, column.width)
        header.setSectionResizeMode(COL_TITLE, QHeaderView.ResizeMode.Stretch)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # loaded order until a header is clicked
        self.table.setSortingEnabled(True)
        self.table.activated.connect(self._activated)

        self.filter_box = QComboBox()
        self.filter_box.addItem("全部未完成期限", FILTER_ALL)
        self.filter_box.addItem("已逾期", FILTER_OVERDUE)
        self.filter_box.addItem("即将到期", FILTER_DUE_WITHIN)
        self.days_box = QSpinBox()
        self.days_box.setRange(1, 365)
        self.days_box.setValue(7)
        self.days_box.setSuffix(" 天内到期")
        self.days_box.setEnabled(False)
        self.filter_box.currentIndexChanged.connect(self._filter_changed)
        self.days_box.valueChanged.connect(self._filter_changed)
        self.summary = QLabel()
        self.summary.setObjectName("deadlineSummary")
        self.refresh_button = QPushButton("刷新")
        self.refresh_button.clicked.connect(self.refresh)
        self.output = ListOutput(self, ctx, lambda: table_of(self.table, "deadlines", self.filter_text()))

        bar = QHBoxLayout()
        bar.addWidget(QLabel("显示："))
        bar.addWidget(self.filter_box)
        bar.addWidget(self.days_box)
        bar.addStretch(1)
        bar.addWidget(self.summary)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.output.print_button)
        bar.addWidget(self.output.export_button)

        self.provisional_banner = QFrame()
        self.provisional_banner.setObjectName("provisionalBanner")
        self.provisional_banner.setStyleSheet("#provisionalBanner { background: #fff4e0; border: 1px solid #e0b060; }")
        self.banner_text = QLabel()
        self.banner_text.setWordWrap(True)
        self.banner_layout = QHBoxLayout(self.provisional_banner)
        self.banner_layout.addWidget(self.banner_text, 1)
        self.provisional_banner.hide()

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.provisional_banner)
        layout.addWidget(self.table, 1)

        hub.changed.connect(self._on_changed)
        self.refresh()

    def filter_text(self) -> str:
        """The chosen filter in words (printed and saved with the list)."""
        if self.filter_box.currentData() == FILTER_DUE_WITHIN:
            return f"{self.days_box.value()}天内到期"
        return self.filter_box.currentText()

    # -- loading ------------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload on the database worker; a refresh asked for while one runs is done once it ends."""
        if self.loading:
            self._stale = True
            return
        self.loading = True
        self._stale = False
        self.summary.setText("正在加载…")
        service = ProcedureService(self.ctx)

        def load() -> tuple[list[OpenDeadline], date]:
            today = service.today()
            return service.open_deadlines(today=today), today

        run_op(self, "正在加载期限…", load, self._show, on_failure=self._load_failed, busy_dialog=False)

    def _show(self, result: tuple[list[OpenDeadline], date]) -> None:
        rows, today = result
        self.loading = False
        self.model.set_rows(rows, today)
        self._update_banner(rows)
        self._update_summary()
        self.loaded.emit()
        if self._stale:
            self.refresh()

    def _load_failed(self, error: BaseException) -> None:
        self.loading = False
        self.summary.setText("期限未能加载")
        show_error(self, error, "期限未能加载")

    def _on_changed(self, changes: Changes) -> None:
        if changes.deadlines or changes.calendar or changes.case_ids:
            self.refresh()

    # -- presentation -------------------------------------------------------------------------------------------

    def _update_summary(self) -> None:
        overdue = sum(1 for d in self.model.rows if d.due < self.model.today)
        provisional = sum(1 for d in self.model.rows if d.provisional)
        text = f"共 {len(self.model.rows)} 项未完成期限，已逾期 {overdue} 项"
        if provisional:
            text += f"，暂定 {provisional} 项"
        if self.proxy.rowCount() != len(self.model.rows):
            text += f"；当前显示 {self.proxy.rowCount()} 项"
        self.summary.setText(text)

    def _update_banner(self, rows: list[OpenDeadline]) -> None:
        years = sorted({y for d in rows if d.provisional for y in d.unknown_years})
        for button in self.year_buttons.values():
            self.banner_layout.removeWidget(button)
            button.deleteLater()
        self.year_buttons = {}
        if not years:
            self.provisional_banner.hide()
            return
        named = "、".join(str(y) for y in years)
        advice = "录入后期限将自动重新计算。" if self.can_enter_years else "请联系系统管理员录入。"
        self.banner_text.setText(f"标有「暂定」的期限涉及 {named} 年，该年节假日安排尚未录入，"
                                 f"目前仅按周末推算；{advice}")
        for year in years:
            button = QPushButton(f"录入 {year} 年节假日安排…")
            button.setObjectName(f"enterYear{year}")
            button.setEnabled(self.can_enter_years)
            if not self.can_enter_years:
                button.setToolTip("需要“系统配置管理”权限（系统管理员）。")
            button.clicked.connect(lambda _checked=False, y=year: self.open_calendar_dialog(y))
            self.banner_layout.addWidget(button)
            self.year_buttons[year] = button
        self.provisional_banner.show()

    def _filter_changed(self) -> None:
        mode = self.filter_box.currentData()
        self.days_box.setEnabled(mode == FILTER_DUE_WITHIN)
        self.proxy.set_filter(mode, self.days_box.value())
        self._update_summary()

    def set_filter(self, mode: str, days: int | None = None) -> None:
        """Choose 全部 / 已逾期 / N 天内到期 (``FILTER_ALL``, ``FILTER_OVERDUE``, ``FILTER_DUE_WITHIN``)."""
        if days is not None:
            self.days_box.setValue(days)
        self.filter_box.setCurrentIndex(self.filter_box.findData(mode))

    # -- actions ------------------------------------------------------------------------------------------------

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.case_activated.emit(index.data(CASE_ID_ROLE))

    def open_calendar_dialog(self, year: int | None = None):
        """Open the year-arrangement dialog (non-blocking) and return it."""
        from wenze_desktop.gui.calendar_dialog import CalendarYearDialog

        if self.calendar_dialog is not None and not self.calendar_dialog.running:
            self.calendar_dialog.deleteLater()  # the previous one, closed
        self.calendar_dialog = CalendarYearDialog(self.ctx, self.hub, year=year, parent=self)
        self.calendar_dialog.open()
        return self.calendar_dialog
