"""The registry's table model: the ordered keys of the matching cases, rows fetched a page at a time on demand.

Keys (a list of integers even for 100,000 cases) are loaded on the database worker, and so are the rows: a page
being painted shows "…" until its rows arrive (one indexed query of about a millisecond), like Anki's browser.
Only a row the clerk acts on before it was ever painted (opening or exporting it) is read while the GUI waits —
still on the worker.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from wenze_desktop.gui import ops
from wenze_desktop.gui.forms import days_left_text
from wenze_desktop.gui.messages import show_error
from wenze_desktop.gui.ops import run_op
from wenze_desktop.services.context import ServiceContext
from wenze_desktop.services.registry import RegistryFilter, RegistryRow, RegistryService

PAGE = 100
CACHE_ROWS = 3000
# (header, sort key or None when the column cannot be sorted, initial width)
COLUMNS = [("案件编号", "number", 150), ("案件名称", "title", 360), ("适用规定", "regulation", 170),
           ("被问责对象", None, 120), ("当前环节", "step", 110), ("下一期限", "next_due", 190),
           ("剩余天数", "next_due", 90), ("承办人", "handler", 80)]
TITLE_COLUMN, DAYS_LEFT_COLUMN = 1, 6  # 案件名称 takes the spare width; 剩余天数 orders a handler's own cases
OVERDUE_BACKGROUND = QColor("#fde2e1")
OVERDUE_TEXT = QColor("#b00020")
SOON_TEXT = QColor("#a15c00")
CASE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
PLACEHOLDER = "…"  # a row whose data is on its way
WAIT_CHUNK = 1000  # keys per query when the GUI waits for rows (well under SQLite's variable limit)


class RegistryModel(QAbstractTableModel):
    loading_started = Signal()
    loaded = Signal(int)  # the number of matching cases
    rows_arrived = Signal()  # rows read on the worker are in the cache and repainted

    def __init__(self, ctx: ServiceContext, parent: QObject | None = None):
        super().__init__(parent)
        self.service = RegistryService(ctx)
        self.ctx = ctx
        self.keys: list[int] = []
        self.cache: OrderedDict[int, RegistryRow] = OrderedDict()
        self.filter = RegistryFilter()
        self.sort_key, self.descending = "updated", True
        self.loading = False
        self._generation = 0  # the newest keys asked for
        self._keys_version = 0  # bumped whenever ``keys`` is replaced: rows asked for older keys are dropped
        self._pages_asked: set[int] = set()  # first rows of the pages on their way
        self.gone: set[int] = set()  # keys of cases that no longer exist (never asked for again)
        self.today = self._today()

    def _today(self) -> date:
        return self.ctx.clock().astimezone().date()

    # -- loading ----------------------------------------------------------------------------------
    def load(self, flt: RegistryFilter | None = None, sort_key: str | None = None,
             descending: bool | None = None) -> None:
        """Ask the worker for the keys in the new filter/order; the newest request wins."""
        if flt is not None:
            self.filter = flt
        if sort_key is not None:
            self.sort_key = sort_key
        if descending is not None:
            self.descending = descending
        self._generation += 1
        generation, flt, sort_key, descending = self._generation, self.filter, self.sort_key, self.descending
        self.today = self._today()
        self.loading = True
        self.loading_started.emit()
        today = self.today
        run_op(self, "", lambda: self.service.keys(flt, sort_key, descending, today),
               lambda keys: self._keys_arrived(generation, keys), busy_dialog=False,
               on_failure=lambda error: self._failed(generation, error))

    def _keys_arrived(self, generation: int, keys: list[int]) -> None:
        if generation != self._generation:
            return  # an older request answered late
        self.beginResetModel()
        self.keys = keys
        self.cache.clear()
        self._keys_version += 1
        self._pages_asked.clear()
        self.gone.clear()
        self.endResetModel()
        self.loading = False
        self.loaded.emit(len(keys))

    def _failed(self, generation: int, error: BaseException) -> None:
        if generation == self._generation:
            self.loading = False
            self.loaded.emit(len(self.keys))
            show_error(self.parent(), error, "案件列表未能载入")

    def refresh_cases(self, case_ids: frozenset[str]) -> None:
        """Read the cached rows of changed cases again on the worker; they keep showing until the new ones arrive."""
        stale = [key for key, row in self.cache.items() if row.case_id in case_ids]
        if stale:
            self._ask_rows(stale)

    # -- rows -------------------------------------------------------------------------------------
    def row_at(self, row: int) -> RegistryRow | None:
        """The row if it is here; else None, and its page is asked for (``rows_arrived`` when it is in)."""
        if not 0 <= row < len(self.keys):
            return None
        key = self.keys[row]
        cached = self.cache.get(key)
        if cached is None:
            if key not in self.gone:
                self._ask_page(row)
        else:
            self.cache.move_to_end(key)
        return cached

    def _ask_page(self, row: int) -> None:
        start = row - row % PAGE
        if start in self._pages_asked:
            return
        wanted = [k for k in self.keys[start:start + PAGE] if k not in self.cache and k not in self.gone]
        if wanted:
            self._pages_asked.add(start)
            self._ask_rows(wanted, start)

    def _ask_rows(self, wanted: list[int], page: int | None = None) -> None:
        version, service = self._keys_version, self.service

        def failed(error: BaseException) -> None:  # the page stays asked for: no retry on every repaint
            if version == self._keys_version:
                show_error(self.parent(), error, "案件列表未能载入")

        run_op(self, "", lambda: service.rows(wanted), lambda rows: self._rows_arrived(version, page, wanted, rows),
               on_failure=failed, busy_dialog=False)

    def _rows_arrived(self, version: int, page: int | None, wanted: list[int], rows: dict[int, RegistryRow]) -> None:
        if version != self._keys_version:
            return  # the keys were replaced meanwhile
        self._pages_asked.discard(page)
        self._store(wanted, rows)
        if self.keys:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.keys) - 1, len(COLUMNS) - 1))
        self.rows_arrived.emit()

    def _store(self, wanted: list[int], rows: dict[int, RegistryRow]) -> None:
        for key in wanted:
            if key in rows:
                self.cache[key] = rows[key]
                self.cache.move_to_end(key)
            else:  # deleted meanwhile
                self.cache.pop(key, None)
                self.gone.add(key)
        while len(self.cache) > CACHE_ROWS:
            self.cache.popitem(last=False)

    def case_ids_at(self, rows: list[int]) -> list[str | None]:
        """The case ids of table rows; rows never painted are read now (on the worker, the GUI waiting)."""
        keys = [self.keys[r] if 0 <= r < len(self.keys) else None for r in rows]
        missing = list(dict.fromkeys(k for k in keys if k is not None and k not in self.cache and k not in self.gone))
        service = self.service
        for i in range(0, len(missing), WAIT_CHUNK):
            chunk = missing[i:i + WAIT_CHUNK]
            self._store(chunk, ops.on_worker(lambda chunk=chunk: service.rows(chunk)))
        return [self.cache[k].case_id if k in self.cache else None for k in keys]

    def case_id_at(self, row: int) -> str | None:
        return self.case_ids_at([row])[0]

    # -- Qt model interface -----------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.keys)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.row_at(index.row())
        if row is None:
            return PLACEHOLDER if role == Qt.ItemDataRole.DisplayRole else None
        days = row.days_left(self.today)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, index.column(), days)
        if role == CASE_ID_ROLE:
            return row.case_id
        if role == Qt.ItemDataRole.BackgroundRole and row.overdue(self.today):
            return QBrush(OVERDUE_BACKGROUND)
        if role == Qt.ItemDataRole.ForegroundRole and days is not None and index.column() in (5, 6):
            return QBrush(OVERDUE_TEXT if days < 0 else SOON_TEXT if days <= 3 else QColor("#1b5e20"))
        if role == Qt.ItemDataRole.ToolTipRole and index.column() in (1, 3):  # may be cut short on screen
            return self._text(row, index.column(), days) or None
        if role == Qt.ItemDataRole.ToolTipRole and row.next_due is not None:
            mark = "（暂定：该年度节假日安排尚未录入，按周末推算）" if row.provisional else ""
            return f"{row.next_label}：{row.next_due:%Y-%m-%d}，{days_left_text(days)}{mark}"
        return None

    @staticmethod
    def _text(row: RegistryRow, column: int, days: int | None) -> str:
        if column == 5:  # the date first: it stays readable when a narrow column cuts the label short
            return f"{row.next_due:%Y-%m-%d}{'（暂定）' if row.provisional else ''} {row.next_label}" \
                if row.next_due else ""
        return (row.number, row.title, row.regulation, row.respondents, row.step_label, "", days_left_text(days),
                row.handler)[column]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key, descending = COLUMNS[column][1], order == Qt.SortOrder.DescendingOrder
        if key is not None and (key, descending) != (self.sort_key, self.descending):  # the header may have asked
            self.load(sort_key=key, descending=descending)
