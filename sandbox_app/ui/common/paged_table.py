"""A paged SQLite table on screen: the view, its filter boxes, a status line, progress and a Stop button.

Fixed row heights and column widths set once from the first page (never resizeRowsToContents or
ResizeToContents on a big model: both scan rows); sorting by a header click and the filter boxes both go
to SQL through the model. The view tells the model which rows it shows, so a landed page repaints only those,
and its cells are painted by paged_grid.PagedGrid (one Python call a repaint, not several a cell).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sandbox_app.ui.common.filter_header import FilterHeader
from sandbox_app.ui.common.paged_grid import PagedGrid
from sandbox_app.ui.common.sqlite_table_model import SqliteTableModel

COLUMN_WIDTH = 140
MIN_COLUMN_WIDTH, MAX_COLUMN_WIDTH = 60, 260


class PagedTableView(QWidget):
    """Shows one table of a SQLite file through SqliteTableModel; `open()` to change table."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = SqliteTableModel(self)
        self.table = PagedGrid(self)
        self.header = FilterHeader(self.table)
        self.table.setHorizontalHeader(self.header)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        rows = self.table.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.header.setDefaultSectionSize(COLUMN_WIDTH)
        self.header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.horizontalScrollBar().valueChanged.connect(self.header._place)
        self.status = QLabel("", self)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setToolTip("Stop sorting or filtering; the table keeps what it showed")
        self.stop_button.hide()
        self.stop_button.clicked.connect(self.model.stop)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.status, 1)
        bar.addWidget(self.progress)
        bar.addWidget(self.stop_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(bar)
        self.header.filterChanged.connect(lambda c, text: self.model.set_filter(self.model.column_name(c), text))
        self.model.preparing.connect(self._busy)
        self.model.ready.connect(self._ready)
        self.model.failed.connect(self._failed)
        self.model.recovered.connect(lambda: self._show_rows(self.model.rowCount()))
        self.model._worker.cancelled.connect(self._stopped)
        self.model.rows_on_screen = self.rows_on_screen
        self._label = ""
        self._fit = False

    def open(self, path: str | Path, table: str, known_rows: int | None = None, headers: list[str] | None = None,
             label: str = "") -> None:
        """Show `table`; `label` names it in the status line."""
        self._label = label or table
        self._fit = True
        self.header.clear_filters()
        self.header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.model.open(path, table, known_rows, headers)

    def _busy(self, status: str) -> None:
        self.progress.show()
        self.stop_button.show()
        self.status.setText(f"{self._label}: {status}…")

    def _ready(self, rows: int) -> None:
        # Wide enough for the last row's number at once: a header that grows while scrolling relays the view out.
        numbers = self.table.verticalHeader()
        numbers.setFixedWidth(numbers.fontMetrics().horizontalAdvance(f"{max(rows, 1):,}") + 16)
        self.progress.hide()
        self.stop_button.hide()
        self.header.set_columns(self.model.columnCount())
        if self._fit:  # a newly opened table; after a sort or filter the user's widths stay
            self._fit = False
            self.fit_columns()
        self._show_rows(rows)

    def _show_rows(self, rows: int) -> None:
        """The status line for the view shown: its rows, and whether it is filtered or sorted."""
        query = self.model.query
        what = []
        if query is not None and query.filters:
            what.append("filtered")
        if query is not None and query.sort_column:
            what.append(f"sorted by {query.sort_column}{' (descending)' if query.descending else ''}")
        self.status.setText(f"{self._label}: {rows:,} row{'s' if rows != 1 else ''}"
                            + (f", {', '.join(what)}" if what else ""))

    def fit_columns(self) -> None:
        """Column widths from the title and the first loaded rows (never a scan of the table)."""
        metrics = self.table.fontMetrics()
        rows = self.model._pages.get(0, [])[:40]
        for column in range(self.model.columnCount()):
            title = str(self.model.headerData(column, Qt.Orientation.Horizontal) or "")
            widest = max([metrics.horizontalAdvance(title) + 24] +
                         [metrics.horizontalAdvance(str(r[column])) + 12 for r in rows if r[column] is not None])
            self.header.resizeSection(column, max(MIN_COLUMN_WIDTH, min(widest, MAX_COLUMN_WIDTH)))

    def rows_on_screen(self) -> tuple[int, int]:
        """The first and last row the table shows now (a part-shown row counts)."""
        first = self.table.rowAt(0)
        if first < 0:
            return 0, -1
        last = self.table.rowAt(self.table.viewport().height() - 1)
        return first, last if last >= 0 else self.model.rowCount() - 1

    def _failed(self, message: str) -> None:
        self.progress.hide()
        self.stop_button.hide()
        self.status.setText(f"{self._label}: {message}")

    def _stopped(self) -> None:
        self.progress.hide()
        self.stop_button.hide()
        self.status.setText(f"{self._label}: stopped; showing the previous view")

    def shutdown(self) -> None:
        self.model.shutdown()
