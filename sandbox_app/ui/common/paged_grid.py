"""The paged table's grid: a QTableView whose cells are painted in one Python call per repaint.

Qt's QTableView paints cell by cell, and with a model written in Python every cell costs several calls into
Python (rowCount and columnCount for its index, the delegate's seven roles through multiData) before Qt lays
its text out again with QTextLayout: a full 1200x800 repaint took 15-22 ms of the GUI thread, and a fast
drag through a million rows asks for one every few tens of milliseconds. Here the whole visible block is
painted by `paintEvent` from the model's page cache (`SqliteTableModel.row_values`): one call for the row's
values, then a drawText per cell; whether a text fits its column is estimated from a table of character
advances for ASCII text (QFontMetrics measures the rest, and anything near the edge; cached), and only text
too wide is cut with "…". Measured in benchmarks/bench_explorer.py.

Everything else is QTableView's own: headers, selection, keyboard and mouse, scrolling, tooltips, copying
and accessibility (they read the model's data()). What is painted matches the stock view: alternating row
colours, the selection in the highlight colours, NULL and the placeholder of a row still being read in grey,
the grid, and the focus frame of the current cell.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFontMetrics, QFontMetricsF, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QStyle, QStyleOptionFocusRect, QStyleOptionViewItem, QTableView

GREY = QColor("#888888")
MARGIN = 4  # text inset from the cell's left edge, as the stock delegate's
MAX_CHARS = 400  # longer values are cut before measuring (no cell shows more; the tooltip has the whole value)
MAX_CACHED = 50_000  # measured widths and cut texts kept; the caches are emptied when full
_UNPRINTABLE = str.maketrans({"\n": " ", "\r": " ", "\t": " ", "\v": " ", "\f": " ", "\x00": " "})


class PagedGrid(QTableView):
    """A QTableView for SqliteTableModel (anything with `row_values(row)` and `painting()`)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.stock_paint = False  # True: QTableView's own cell-by-cell painting (the benchmark's baseline)
        self._font_key: str | None = None
        self._metrics: QFontMetrics | None = None
        self._ascii: list[float] = []
        self._widest = 0.0
        self._slack = 4.0
        self._widths: dict[str, int] = {}
        self._cut: dict[tuple[str, int], str] = {}

    # ----------------------------------------------------------------------------------- text

    def _fonts(self) -> None:
        key = self.font().key()
        if key != self._font_key:  # a new font: every measured width is for the old one
            self._font_key, self._metrics = key, QFontMetrics(self.font())
            exact = QFontMetricsF(self.font())
            self._ascii = [exact.horizontalAdvance(chr(c)) for c in range(128)]
            self._widest = max(self._ascii[32:127])
            # Kerning, ligatures and rounding move a text's real width from the table's sum by at most ~2 px at
            # 9-14 pt (measured over 20,000 random strings, tests/test_paged_grid.py); twice that, scaled.
            self._slack = 2 + exact.height() / 6
            self._widths.clear()
            self._cut.clear()

    def _fits(self, text: str, room: int) -> bool:
        """Whether `text` fits in `room` pixels. ASCII text is first estimated from a table of its characters'
        advances (no layout); only an estimate within `_slack` pixels of the edge, or other text, is measured by Qt."""
        if len(text) * self._widest <= room - self._slack:  # short enough whatever its letters
            return True
        if text.isascii():
            estimate = sum(map(self._ascii.__getitem__, text.encode()))
            if estimate <= room - self._slack:
                return True
            if estimate > room + self._slack:
                return False
        width = self._widths.get(text)
        if width is None:
            if len(self._widths) >= MAX_CACHED:
                self._widths.clear()
            width = self._widths[text] = self._metrics.horizontalAdvance(text)
        return width <= room

    def _fitted(self, text: str, room: int) -> str:
        """`text` as it fits in `room` pixels: itself, or cut with "…"."""
        if self._fits(text, room):
            return text
        key = (text, room)
        cut = self._cut.get(key)
        if cut is None:
            if len(self._cut) >= MAX_CACHED:
                self._cut.clear()
            cut = self._cut[key] = self._metrics.elidedText(text, Qt.TextElideMode.ElideRight, room)
        return cut

    # ---------------------------------------------------------------------------------- paint

    def paintEvent(self, event: QPaintEvent) -> None:
        model = self.model()
        rows, columns = (model.rowCount(), model.columnCount()) if model is not None else (0, 0)
        if self.stock_paint or not hasattr(model, "row_values") or rows == 0 or columns == 0:
            super().paintEvent(event)
            return
        model.painting()
        self._fonts()
        area = event.rect()
        across, down = self.horizontalHeader(), self.verticalHeader()
        first, last = down.visualIndexAt(area.top()), down.visualIndexAt(area.bottom())
        if first < 0:
            return
        last = rows - 1 if last < 0 else last
        left, right = across.visualIndexAt(area.left()), across.visualIndexAt(area.right())
        left = 0 if left < 0 else left
        right = across.count() - 1 if right < 0 else right
        grid = 1 if self.showGrid() else 0
        cells = []  # (logical column, x, width) in visual order
        for visual in range(left, right + 1):
            column = across.logicalIndex(visual)
            if column < 0 or across.isSectionHidden(column):
                continue
            cells.append((column, across.sectionViewportPosition(column), across.sectionSize(column)))
        if not cells:
            return
        x0, x1 = cells[0][1], cells[-1][1] + cells[-1][2]
        leftmost = across.logicalIndexAt(0)  # the first column on screen carries a loading row's placeholder
        palette = self.palette()
        group = QPalette.ColorGroup.Active if self.isActiveWindow() else QPalette.ColorGroup.Inactive
        text_pen = QPen(palette.color(group, QPalette.ColorRole.Text))
        chosen_pen = QPen(palette.color(group, QPalette.ColorRole.HighlightedText))
        grey_pen = QPen(GREY)
        highlight = palette.brush(group, QPalette.ColorRole.Highlight)
        alternate = palette.brush(group, QPalette.ColorRole.AlternateBase) if self.alternatingRowColors() else None
        selection = self.selectionModel()
        if selection is not None and not selection.hasSelection():
            selection = None
        root = self.rootIndex()
        metrics = self._metrics
        baseline = metrics.ascent()
        line_height = metrics.height()
        fitted = self._fitted
        painter = QPainter(self.viewport())
        painter.setFont(self.font())
        edges = []  # (y, height) of each painted row, for the grid
        for row in range(first, last + 1):
            if down.isSectionHidden(row):
                continue
            y, height = down.sectionViewportPosition(row), down.sectionSize(row)
            edges.append((y, height))
            chosen = selection is not None and selection.isRowSelected(row, root)
            if chosen:
                painter.fillRect(x0, y, x1 - x0, height, highlight)
            elif alternate is not None and row & 1:
                painter.fillRect(x0, y, x1 - x0, height, alternate)
            text_y = y + (height - grid - line_height) // 2 + baseline
            values = model.row_values(row)
            pen = chosen_pen if chosen else text_pen
            faint = pen if chosen else grey_pen  # NULL and the placeholder: grey, or the highlight's text colour
            if values is None:  # still being read: its placeholder, in the first column shown
                painter.setPen(faint)
                for column, x, width in cells:
                    if column == leftmost:
                        painter.drawText(x + MARGIN, text_y, fitted(model.PLACEHOLDER, width - grid - 2 * MARGIN))
                continue
            painter.setPen(pen)
            current = pen
            for column, x, width in cells:
                value = values[column]
                if value is None:
                    if current is not faint:
                        painter.setPen(faint)
                        current = faint
                    text = model.NULL_TEXT
                else:
                    if current is not pen:
                        painter.setPen(pen)
                        current = pen
                    kind = type(value)
                    text = value if kind is str else value.hex() if kind is bytes else str(value)
                    if len(text) > MAX_CHARS or not text.isprintable():
                        text = text[:MAX_CHARS].translate(_UNPRINTABLE)
                room = width - grid - 2 * MARGIN
                if room > 0 and text:
                    painter.drawText(x + MARGIN, text_y, fitted(text, room))
        if grid and edges:
            colour = QColor.fromRgba(self.style().styleHint(QStyle.StyleHint.SH_Table_GridLineColor,
                                                            QStyleOptionViewItem(), self) & 0xFFFFFFFF)
            top, bottom = edges[0][0], edges[-1][0] + edges[-1][1]
            for y, height in edges:  # one-pixel rectangles: half the cost of drawLine on the raster engine
                painter.fillRect(x0, y + height - 1, x1 - x0, 1, colour)
            for _column, x, width in cells:
                painter.fillRect(x + width - 1, top, 1, bottom - top, colour)
        self._focus(painter)
        painter.end()

    def _focus(self, painter: QPainter) -> None:
        current = self.currentIndex()
        if not (self.hasFocus() and current.isValid()):
            return
        rect: QRect = self.visualRect(current)
        if rect.isEmpty():
            return
        frame = QStyleOptionFocusRect()
        frame.initFrom(self)
        frame.rect = rect
        frame.state |= QStyle.StateFlag.State_KeyboardFocusChange | QStyle.StateFlag.State_HasFocus
        frame.backgroundColor = self.palette().color(QPalette.ColorRole.Base)
        self.style().drawPrimitive(QStyle.PrimitiveElement.PE_FrameFocusRect, frame, painter, self)


__all__ = ["PagedGrid"]
