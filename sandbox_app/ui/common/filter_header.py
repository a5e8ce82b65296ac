"""A table header with one filter box under each column title (as in DB Browser for SQLite).

Edits are debounced (a restarted single-shot timer) and reported as `filterChanged(column, text)`.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import QHeaderView, QLineEdit, QWidget

DEBOUNCE_MS = 150
FILTER_HINT = "filter"
FILTER_TIP = ("Type text to keep rows that contain it, or >10, <=2020-01-01, =44101, != x, NULL, NOT NULL. "
              "Filters run in SQL on the whole table.")


class FilterHeader(QHeaderView):
    filterChanged = Signal(int, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self._editors: list[QLineEdit] = []
        self.setSectionsClickable(True)
        self.setSortIndicatorShown(True)
        self.setHighlightSections(False)
        self.setStretchLastSection(True)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self._emit)
        self._changed: dict[int, str] = {}
        self.sectionResized.connect(self._place)
        self.sectionMoved.connect(self._place)
        self.geometriesChanged.connect(self._place)

    def editors(self) -> list[QLineEdit]:
        return list(self._editors)

    def set_columns(self, count: int) -> None:
        """One filter box per column (recreated when the table changes)."""
        if count == len(self._editors):
            return
        for editor in self._editors:
            editor.deleteLater()
        self._editors = []
        for column in range(count):
            editor = QLineEdit(self)
            editor.setPlaceholderText(FILTER_HINT)
            editor.setToolTip(FILTER_TIP)
            editor.setClearButtonEnabled(True)
            editor.textChanged.connect(lambda text, c=column: self._edited(c, text))
            editor.show()
            self._editors.append(editor)
        self.updateGeometries()
        self._place()

    def clear_filters(self) -> None:
        for editor in self._editors:
            editor.blockSignals(True)
            editor.clear()
            editor.blockSignals(False)

    def _edited(self, column: int, text: str) -> None:
        self._changed[column] = text
        self._timer.start()

    def _emit(self) -> None:
        changed, self._changed = self._changed, {}
        for column, text in changed.items():
            self.filterChanged.emit(column, text)

    def flush(self) -> None:
        """Report pending edits now (tests, and Enter in a box)."""
        self._timer.stop()
        self._emit()

    def _editor_height(self) -> int:
        return self._editors[0].sizeHint().height() if self._editors else 0

    def sizeHint(self) -> QSize:
        size = super().sizeHint()
        return QSize(size.width(), size.height() + self._editor_height() + 2)

    def updateGeometries(self) -> None:
        height = self._editor_height()
        self.setViewportMargins(0, 0, 0, height + 2 if height else 0)
        super().updateGeometries()
        self._place()

    def _place(self, *args) -> None:
        height = self._editor_height()
        top = self.height() - height - 1
        for column, editor in enumerate(self._editors):
            editor.setGeometry(self.sectionViewportPosition(column), top, self.sectionSize(column), height)
            editor.setVisible(not self.isSectionHidden(column))

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self._place()
