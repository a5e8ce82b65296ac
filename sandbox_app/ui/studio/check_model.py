"""Table models of the studio's results: every answer's Check row (misses in red AND the word "miss"), and
the row counts of a generated city."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHeaderView, QTableView, QWidget

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
MISS_BACKGROUND = QColor("#ffebee")
MISS_FOREGROUND = QColor("#b71c1c")


def short_answer(exercise: str, answer: str) -> str:
    """'welfare-checks.model.json' under exercise welfare-checks reads 'model.json' (the row names the exercise)."""
    return answer.removeprefix(f"{exercise}.") if answer != f"{exercise}." else answer


class RowsModel(QAbstractTableModel):
    """A read-only table of plain rows (tuples) under fixed headers; numbers align right."""

    def __init__(self, headers: list[str], parent=None) -> None:
        super().__init__(parent)
        self.headers = list(headers)
        self.rows: list[tuple] = []

    def set_rows(self, rows: list[tuple]) -> None:
        self.beginResetModel()
        self.rows = [tuple(r) for r in rows]
        self.endResetModel()

    def rowCount(self, parent: _Index = _ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = _ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self.rows)):
            return None
        value = self.rows[index.row()][index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.headers):
                return self.headers[section]
            if orientation == Qt.Orientation.Vertical and 0 <= section < len(self.rows):
                return str(section + 1)
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class CheckModel(RowsModel):
    """check_scenario_answers rows: exercise, answer, expected, got, privacy, usefulness, ok|miss, findings."""

    HEADERS = ["Exercise", "Answer", "Expected", "Got", "Privacy", "Usefulness", "Result", "Findings"]

    def __init__(self, parent=None) -> None:
        super().__init__(self.HEADERS, parent)
        self.checks: list = []

    def set_checks(self, checks: list) -> None:
        self.checks = list(checks)
        self.set_rows([(c.exercise, short_answer(c.exercise, c.answer), c.expected, c.verdict, c.privacy, c.usefulness,
                        "ok" if c.ok else "✗ miss", c.note) for c in self.checks])

    @property
    def misses(self) -> int:
        return sum(not c.ok for c in self.checks)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self.checks)):
            return None
        miss = not self.checks[index.row()].ok
        if miss and role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(MISS_BACKGROUND)
        if miss and role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(MISS_FOREGROUND)
        return super().data(index, role)


def rows_view(model, stretch: int, parent: QWidget | None = None) -> QTableView:
    """A read-only table of `model`: whole-row selection, no row numbers, columns sized to their text and
    column `stretch` taking the rest of the width."""
    view = QTableView(parent)
    view.setModel(model)
    view.setWordWrap(False)
    view.setAlternatingRowColors(True)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return view
