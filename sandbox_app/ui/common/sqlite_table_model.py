"""A table model that pages rows from SQLite on demand: a million-row table opens at once and scrolls freely.

After DB Browser for SQLite's SqliteTableModel/RowLoader/RowCache: `rowCount()` is known up front (stored
row counts; a sort or filter is prepared in the background first); `data()` for a row not loaded yet
returns a placeholder (first column only: the rest stays blank, cheaper to paint) and asks for the page
around it; one background reader (page_reader.PageReader) reads pages, newest request first, into a bounded
LRU cache; every request carries the generation of the view it was made for, so pages of an old sort or
filter are dropped. Sort and filter run in SQL (paging.py).

Scrolling is paint-bound, so the GUI thread's share is kept small: a view that sets `rows_on_screen` gets
dataChanged only for the rows of a landed page it shows (Qt repaints the whole viewport for an off-screen
range), and requests for pages scrolled past are cancelled; the view's grid (paged_grid.py) paints a whole repaint
from `row_values` in one Python call; for any other view `multiData` answers the seven roles a delegate asks
for per cell in one call, and `flags()` is the base class's; the reader waits while the GUI thread paints
(page_reader.py).
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleDataSpan,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from sandbox_app.errors import sqlite_reason
from sandbox_app.explore.paging import RowSource, ViewQuery
from sandbox_app.ui.common.page_reader import PageReader
from synthetic.progress import Cancelled

PAGE_ROWS = 200
CACHE_PAGES = 64  # at most 12,800 rows in memory
MAX_PENDING = 12  # page requests beyond this are cancelled, oldest first
PLACEHOLDER = "…"  # an unloaded row shows it in its first column; its other cells stay blank (no text to lay out)
NULL_TEXT = "NULL"
_INDEX = QModelIndex | QPersistentModelIndex
_DISPLAY, _EDIT = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole
_FOREGROUND, _TOOLTIP = Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.ToolTipRole
_DISPLAY_N, _EDIT_N, _FOREGROUND_N, _TOOLTIP_N = (int(r.value) for r in (_DISPLAY, _EDIT, _FOREGROUND, _TOOLTIP))
_GREY = QColor("#888888")
_CHANGED_ROLES = [_DISPLAY, _FOREGROUND]


class SqliteTableModel(QAbstractTableModel):
    """Rows of one table (or a console result) in a SQLite file, read page by page off the GUI thread."""

    PLACEHOLDER, NULL_TEXT = PLACEHOLDER, NULL_TEXT  # what a view shows for a row being read and for NULL
    preparing = Signal(str)  # a sort or filter is being prepared ("sorting", "12,000 rows" …)
    ready = Signal(int)  # the view (re)opened with this many rows
    failed = Signal(str)  # one plain sentence
    recovered = Signal()  # pages read again after a failure (a lock was released)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._worker = PageReader(self)
        self._worker.finished.connect(self._arrived)
        self._worker.errored.connect(self.failed)
        self._worker.progress.connect(lambda _f, status: self.preparing.emit(status))
        self._path: Path | None = None
        self._known_rows: int | None = None
        self._headers: list[str] = []
        self._source: RowSource | None = None
        self._query: ViewQuery | None = None
        self._rows = 0
        self._pages: OrderedDict[int, list[tuple]] = OrderedDict()
        self._pending: OrderedDict[int, object] = OrderedDict()
        self._priority = 0
        self._retired: list[RowSource] = []
        self._failing = False
        self.pages_requested = 0
        # Set by a view: its first and last row on screen. Landed pages then repaint only what is shown.
        self.rows_on_screen: Callable[[], tuple[int, int]] | None = None

    # ------------------------------------------------------------------------------------ opening

    def open(self, path: str | Path, table: str, known_rows: int | None = None,
             headers: list[str] | None = None) -> None:
        """Show `table` of `path` (rowid order, no filter). `known_rows` is the stored row count, if any."""
        self._path, self._known_rows, self._headers = Path(path), known_rows, list(headers or [])
        self._prepare(ViewQuery(table))

    @property
    def query(self) -> ViewQuery | None:
        return self._query

    @property
    def busy(self) -> bool:
        return self._worker.busy

    def rows_fetched(self) -> int:
        """Rows read from SQLite so far for the current view (tests use it to prove paging)."""
        return self._source.rows_read if self._source is not None else 0

    def set_filter(self, column: str, text: str) -> None:
        if self._query is not None:
            self._prepare(self._query.with_filter(column, text))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort in SQL (column -1: back to rowid order)."""
        if self._query is None:
            return
        name = self.column_name(column) if 0 <= column < self.columnCount() else None
        self._prepare(self._query.with_sort(name, order == Qt.SortOrder.DescendingOrder))

    def stop(self) -> None:
        """Stop preparing a sort or filter; the view keeps showing what it showed."""
        self._worker.cancel()

    def _prepare(self, query: ViewQuery) -> None:
        path = self._path
        known = self._known_rows if not query.filters else None
        self._query = query
        self._pending.clear()
        retired, self._retired = self._retired, []

        def prepare(state) -> tuple[RowSource, list[tuple]]:
            for old in retired:
                old.close()
            source = RowSource.prepare(path, query, known_rows=known, state=state)
            first = source.read(0, PAGE_ROWS)
            return source, first

        self._worker.start(prepare, priority=1_000_000)
        self.preparing.emit("sorting" if query.sort_column else "filtering" if query.filters else "opening")

    def _arrived(self, result) -> None:
        if isinstance(result[0], RowSource):
            self._reset(*result)
            return
        page, rows, *problem = result
        self._pending.pop(page, None)
        if problem:
            if not self._failing:
                self._failing = True
                self.failed.emit(problem[0])
            return
        if rows is None:  # skipped (stale): may be asked for again
            return
        if self._failing:
            self._failing = False
            self.recovered.emit()
        self._pages[page] = rows
        self._pages.move_to_end(page)
        while len(self._pages) > CACHE_PAGES:
            self._pages.popitem(last=False)
        first = page * PAGE_ROWS
        last = min(first + len(rows), self._rows) - 1
        shown = self._shown()
        if shown is not None:
            first, last = max(first, shown[0]), min(last, shown[1])
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, self.columnCount() - 1), _CHANGED_ROLES)

    def _shown(self) -> tuple[int, int] | None:
        """The rows on screen (None: no view said; treat every row as shown)."""
        return self.rows_on_screen() if self.rows_on_screen is not None else None

    def _reset(self, source: RowSource, first: list[tuple]) -> None:
        old = self._source
        self.beginResetModel()
        self._source, self._rows = source, source.row_count
        if len(self._headers) != len(source.columns):
            self._headers = list(source.columns)
        self._pages.clear()
        self._pending.clear()
        if first:
            self._pages[0] = first
        self.endResetModel()
        if old is not None:  # closed on the reader thread by the next prepare (or at shutdown)
            self._retired.append(old)
        self.ready.emit(self._rows)

    # ------------------------------------------------------------------------------------- reading

    def _request(self, page: int) -> None:
        if page in self._pending or self._source is None:
            return
        source = self._source
        self._priority += 1
        self.pages_requested += 1
        shown = self._shown()
        if shown is not None:  # the view moved on: pages scrolled past are not worth reading any more
            first, last = shown[0] // PAGE_ROWS, shown[1] // PAGE_ROWS
            for old in [p for p in self._pending if not first <= p <= last]:
                self._pending.pop(old).cancel()

        def read(state):
            try:
                return page, source.read(page * PAGE_ROWS, PAGE_ROWS, pause=state.pause)
            except Cancelled:
                return page, None
            except sqlite3.ProgrammingError:  # its view was replaced and closed meanwhile
                return page, None
            except sqlite3.OperationalError as err:  # locked by a writer, say: said once, read again when asked
                reason = sqlite_reason(err)
                if reason is None:
                    raise
                return page, None, f"{reason[0]}; {reason[1]}"

        self._pending[page] = self._worker.submit(read, self._priority)
        while len(self._pending) > MAX_PENDING:
            _, stale = self._pending.popitem(last=False)
            stale.cancel()

    def row_values(self, row: int) -> tuple | None:
        """The row's values if its page is loaded (None: not yet, and it is now requested)."""
        page = row // PAGE_ROWS
        rows = self._pages.get(page)
        if rows is None:
            self._request(page)
            return None
        self._pages.move_to_end(page)
        offset = row - page * PAGE_ROWS
        return rows[offset] if offset < len(rows) else None

    # ---------------------------------------------------------------------------- the Qt interface

    def rowCount(self, parent: _INDEX = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent: _INDEX = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self._source is None else len(self._source.columns)

    def column_name(self, column: int) -> str:
        return self._source.columns[column] if self._source is not None else ""

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if not self._worker.holding:
            self._worker.hold()
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._headers[section] if 0 <= section < len(self._headers) else None
        return f"{section + 1:,}" if 0 <= section < self._rows else None

    def data(self, index: _INDEX, role: int = Qt.ItemDataRole.DisplayRole):
        # Called several times per visible cell on every repaint: keep the common path short.
        if not self._worker.holding:
            self._worker.hold()
        if role == _DISPLAY or role == _EDIT:
            values = self.row_values(index.row())
            if values is None:
                return PLACEHOLDER if role == _DISPLAY and index.column() == 0 else None
            value = values[index.column()]
            if value is None:
                return NULL_TEXT if role == _DISPLAY else None
            return value.hex() if type(value) is bytes else value
        if role == _FOREGROUND:
            page = self._pages.get(index.row() // PAGE_ROWS)
            if page is None:
                return _GREY
            offset = index.row() % PAGE_ROWS
            return _GREY if offset >= len(page) or page[offset][index.column()] is None else None
        if role == _TOOLTIP:
            values = self.row_values(index.row())
            text = "" if values is None or values[index.column()] is None else str(values[index.column()])
            return text if len(text) > 40 else None
        return None

    def painting(self) -> None:
        """A view is about to paint cells from this model (PagedGrid calls it once a repaint): reads wait."""
        if not self._worker.holding:
            self._worker.hold()

    def multiData(self, index: _INDEX, roleDataSpan: QModelRoleDataSpan) -> None:
        """What data() answers, for every role a delegate asks for at once (one Python call per painted cell)."""
        if not self._worker.holding:
            self._worker.hold()
        row = index.row()
        page = row // PAGE_ROWS
        rows = self._pages.get(page)
        if rows is None:
            self._request(page)
            value, loaded = None, False
        else:
            self._pages.move_to_end(page)
            offset = row - page * PAGE_ROWS
            loaded = offset < len(rows)
            value = rows[offset][index.column()] if loaded else None
        for item in roleDataSpan:  # Qt reuses the span from cell to cell: set or clear every role
            role = item.role()
            if role == _DISPLAY_N:
                if loaded:
                    item.setData(NULL_TEXT if value is None else value.hex() if type(value) is bytes else value)
                elif index.column() == 0:
                    item.setData(PLACEHOLDER)
                else:
                    item.clearData()
            elif role == _FOREGROUND_N and value is None:
                item.setData(_GREY)
            elif role == _EDIT_N and value is not None:
                item.setData(value.hex() if type(value) is bytes else value)
            elif role == _TOOLTIP_N and value is not None and len(str(value)) > 40:
                item.setData(str(value))
            else:
                item.clearData()

    def shutdown(self) -> None:
        """Stop the reader and close the file (call when the view closes)."""
        self._worker.shutdown()
        for source in [*self._retired, self._source]:
            if source is not None:
                source.close()
        self._source, self._retired = None, []
