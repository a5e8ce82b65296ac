"""A read-only Qt table model over a pandas DataFrame that formats cells only when a view asks for them.

The extract preview can hold 100,000 rows: nothing is copied into widgets, and cells are read in blocks of
BLOCK rows of one column, only when a view paints a cell of that block (a bounded cache keeps the recent
blocks), so the first page costs a few hundred values, not the whole column, and jumping to the last row
costs one block. The frame may also be a pyarrow Table (the live meter's extract, memory-mapped from the
scoring process's file): blocks are then sliced from it, so rows never painted are never read. Rows and
columns can be highlighted (a score
report finding points at them); highlighting is shown with a marker in the header as well as a colour.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QModelRoleDataSpan, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
MISSING = "—"
BLOCK = 256
CACHED_BLOCKS = 512
_DISPLAY, _TOOLTIP, _BACKGROUND = (int(r.value) for r in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                                                          Qt.ItemDataRole.BackgroundRole))


def cell_text(value: Any) -> str:
    """What a cell shows: numbers without float noise, nulls as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return MISSING
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    return str(value)


def _is_arrow(frame) -> bool:
    return hasattr(frame, "column_names")


def highlight_brush() -> QBrush:
    """The highlight colour of the current palette, softened so text stays readable in light and dark."""
    palette = QApplication.palette()
    base, high = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Highlight)
    mix = QColor((base.red() + high.red()) // 2, (base.green() + high.green()) // 2,
                 (base.blue() + high.blue()) // 2)
    return QBrush(mix)


class FrameModel(QAbstractTableModel):
    """A DataFrame shown as a table: lazy cell text, row numbers in the header, highlighted rows/columns."""

    def __init__(self, frame: pd.DataFrame | None = None, parent=None) -> None:
        super().__init__(parent)
        self._frame = pd.DataFrame()
        self._names: list[str] = []
        self._blocks: OrderedDict[tuple[int, int], np.ndarray | list] = OrderedDict()
        self._rows: set[int] = set()
        self._highlight_columns: set[str] = set()
        self.cells_formatted = 0  # how many cells were ever turned into text (tests: nothing eager)
        if frame is not None:
            self.set_frame(frame)

    # ---------------------------------------------------------------------------------- content

    @property
    def frame(self):
        """The DataFrame or pyarrow Table shown."""
        return self._frame

    def set_frame(self, frame) -> None:
        """Show a DataFrame or a pyarrow Table (anything with `column_names` and `slice`)."""
        self.beginResetModel()
        self._frame = frame
        self._names = [str(c) for c in (frame.column_names if _is_arrow(frame) else frame.columns)]
        self._blocks.clear()
        self._rows = set()
        self.endResetModel()

    def set_highlight(self, rows: set[int] | list[int] | None = None, columns: set[str] | list[str] | None = None):
        """Mark rows (positions) and columns (names); everything else unmarked."""
        self._rows = {int(r) for r in (rows or ()) if 0 <= int(r) < len(self._frame)}
        self._highlight_columns = set(columns or ())
        if self.rowCount() and self.columnCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1))
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, max(self.columnCount() - 1, 0))
        self.headerDataChanged.emit(Qt.Orientation.Vertical, 0, max(self.rowCount() - 1, 0))

    def clear_rows(self) -> None:
        """No rows, the same columns (a refusal shares nothing)."""
        self.set_frame(self._frame.slice(0, 0) if _is_arrow(self._frame) else self._frame.iloc[0:0])

    @property
    def highlighted_rows(self) -> set[int]:
        return set(self._rows)

    def _value(self, row: int, col: int):
        key = (col, row // BLOCK)
        block = self._blocks.get(key)
        if block is None:
            start = key[1] * BLOCK
            if _is_arrow(self._frame):
                block = self._frame.column(col).slice(start, BLOCK).to_pylist()
            else:
                block = self._frame.iloc[start:start + BLOCK, col].to_numpy(dtype=object)
            self._blocks[key] = block
            if len(self._blocks) > CACHED_BLOCKS:
                self._blocks.popitem(last=False)
        else:
            self._blocks.move_to_end(key)
        return block[row % BLOCK]

    # ------------------------------------------------------------------------------- Qt interface

    def rowCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._frame)

    def columnCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._names)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._frame) or index.column() >= len(self._names):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            self.cells_formatted += 1
            return cell_text(self._value(index.row(), index.column()))
        if role == Qt.ItemDataRole.BackgroundRole:
            name = self._names[index.column()]
            if index.row() in self._rows or name in self._highlight_columns:
                return highlight_brush()
        return None

    def multiData(self, index: _Index, roleDataSpan: QModelRoleDataSpan) -> None:
        """What data() answers, for every role a delegate asks for at once: one Python call per painted cell
        instead of seven (each a wait for the GIL while a score runs on a worker)."""
        row, col = index.row(), index.column()
        if not index.isValid() or row >= len(self._frame) or col >= len(self._frame.columns):
            for item in roleDataSpan:
                item.clearData()
            return
        text = None
        marked = bool(self._rows or self._highlight_columns) and (
            row in self._rows or str(self._frame.columns[col]) in self._highlight_columns)
        for item in roleDataSpan:  # Qt reuses the span from cell to cell: set or clear every role
            role = item.role()
            if role == _DISPLAY or role == _TOOLTIP:
                if text is None:
                    self.cells_formatted += 1
                    text = cell_text(self._value(row, col))
                item.setData(text)
            elif role == _BACKGROUND and marked:
                item.setData(highlight_brush())
            else:
                item.clearData()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal:
            if section >= len(self._names):
                return None
            name = self._names[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return f"▶ {name}" if name in self._highlight_columns else name
            if role == Qt.ItemDataRole.FontRole and name in self._highlight_columns:
                font = QFont()
                font.setBold(True)
                return font
            return None
        if section >= len(self._frame):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return f"▶ {section + 1}" if section in self._rows else str(section + 1)
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
