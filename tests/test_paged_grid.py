"""PagedGrid paints a repaint in one Python call and draws what QTableView's own cell-by-cell painting draws:
checked by counting calls and by reading the pixels of both paintings of the same rows, never by the clock."""

from __future__ import annotations

import contextlib
import random
import sqlite3
import string
import threading

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPalette

from sandbox_app.ui.common.paged_grid import GREY, PagedGrid
from sandbox_app.ui.common.paged_table import PagedTableView
from sandbox_app.ui.common.sqlite_table_model import PAGE_ROWS, SqliteTableModel

ROWS = 5_000
LONG = "a long free-text note that cannot fit in its column " * 4


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("grid") / "grid.db"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE t (n INTEGER, name TEXT, note TEXT, x REAL, raw BLOB)")
        conn.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT ?) "
                     "INSERT INTO t SELECT x, 'name ' || x, CASE WHEN x % 2 THEN NULL ELSE ? END, x / 4.0, "
                     "CASE WHEN x % 3 = 0 THEN x'cafe' END FROM c", (ROWS, LONG + "line\nbreak"))
        conn.commit()
    return path


class CountingModel(SqliteTableModel):
    """Counts the per-cell calls Qt makes into Python while painting."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = {"data": 0, "multiData": 0, "row_values": 0}

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        self.calls["data"] += 1
        return super().data(index, role)

    def multiData(self, index, span):
        self.calls["multiData"] += 1
        return super().multiData(index, span)

    def row_values(self, row):
        self.calls["row_values"] += 1
        return super().row_values(row)


@pytest.fixture()
def grid(qtbot, db):
    model = CountingModel()
    view = PagedGrid()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.setSelectionBehavior(view.SelectionBehavior.SelectRows)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    view.resize(700, 400)
    view.show()
    with qtbot.waitSignal(model.ready, timeout=10_000):
        model.open(db, "t", ROWS)
    for column, width in enumerate((60, 110, 150, 80, 70)):
        view.setColumnWidth(column, width)
    yield view
    model.shutdown()


def _shown_rows(view) -> range:
    first = view.rowAt(0)
    last = view.rowAt(view.viewport().height() - 1)
    return range(first, (last if last >= 0 else view.model().rowCount() - 1) + 1)


def test_a_repaint_asks_once_per_row_and_never_per_cell(qtbot, grid):
    model = grid.model()
    qtbot.waitUntil(lambda: model.row_values(0) is not None, timeout=10_000)
    for key in model.calls:
        model.calls[key] = 0
    grid.viewport().repaint()
    rows = len(_shown_rows(grid))
    assert model.calls["data"] == 0 and model.calls["multiData"] == 0
    assert 0 < model.calls["row_values"] <= rows
    grid.stock_paint = True  # the baseline really is per cell: the counter sees it
    grid.viewport().repaint()
    assert model.calls["multiData"] >= rows * 4


def _ink(image, rect, background: QColor) -> tuple[int, int] | None:
    """The leftmost and rightmost x with a pixel unlike `background` inside `rect` (None: an empty cell)."""
    xs = [x for x in range(rect.left(), rect.right() + 1) for y in range(rect.top() + 2, rect.bottom() - 1)
          if abs(QColor(image.pixel(x, y)).lightness() - background.lightness()) > 40]
    return (min(xs), max(xs)) if xs else None


def test_it_draws_what_the_stock_view_draws_cell_for_cell(qtbot, grid):
    model = grid.model()
    qtbot.waitUntil(lambda: model.row_values(0) is not None, timeout=10_000)
    grid.selectionModel().select(model.index(2, 0), QItemSelectionModel.SelectionFlag.Select |
                                 QItemSelectionModel.SelectionFlag.Rows)
    pictures = {}
    for stock in (False, True):
        grid.stock_paint = stock
        pictures[stock] = grid.viewport().grab().toImage()
    palette = grid.palette()
    for row in list(_shown_rows(grid))[:8]:
        for column in range(model.columnCount()):
            rect = grid.visualRect(model.index(row, column))
            if rect.right() >= grid.viewport().width():
                continue
            selected = row == 2
            background = palette.color(QPalette.ColorRole.Highlight) if selected else \
                palette.color(QPalette.ColorRole.AlternateBase if row % 2 else QPalette.ColorRole.Base)
            ours, theirs = (_ink(pictures[s], rect, background) for s in (False, True))
            assert (ours is None) == (theirs is None), (row, column)
            if ours is not None:
                assert abs(ours[0] - theirs[0]) <= 2, (row, column, ours, theirs)  # the same left edge
                assert ours[1] <= rect.right(), (row, column)  # cut with "…", never spilling into the next cell
            middle = pictures[False].pixelColor(rect.right() - 1, rect.center().y())
            assert middle.rgb() == background.rgb(), (row, column)  # the row's own colour (selection, alternate)


def test_null_is_grey_and_long_text_is_cut_with_an_ellipsis(qtbot, grid):
    model = grid.model()
    qtbot.waitUntil(lambda: model.row_values(0) is not None, timeout=10_000)
    assert model.row_values(0)[2] is None and model.row_values(1)[2].startswith(LONG)
    picture = grid.viewport().grab().toImage()
    rect = grid.visualRect(model.index(0, 2))
    inked = [picture.pixelColor(x, y) for x in range(rect.left(), rect.right())
             for y in range(rect.top(), rect.bottom()) if picture.pixelColor(x, y).lightness() < 200]
    assert inked and all(abs(c.red() - c.blue()) < 30 for c in inked)  # grey text ("NULL"), not the text colour
    darkest = min(inked, key=lambda c: c.lightness())
    assert darkest.lightness() >= GREY.lightness() - 60
    room = grid.columnWidth(2) - 1 - 8
    cut = grid._fitted(LONG, room)
    assert cut.endswith("…") and QFontMetrics(grid.font()).horizontalAdvance(cut) <= room


def test_the_ascii_width_table_never_says_fits_when_it_does_not(qtbot):
    view = PagedGrid()
    qtbot.addWidget(view)
    rng = random.Random(7)
    for size in (8, 10, 13, 18):
        font = QFont(view.font())
        font.setPointSize(size)
        view.setFont(font)
        view._fonts()
        metrics = QFontMetrics(font)
        for _ in range(2_000):
            text = "".join(rng.choice(string.printable[:95]) for _ in range(rng.randint(1, 50)))
            room = rng.randint(5, 400)
            assert view._fits(text, room) == (metrics.horizontalAdvance(text) <= room), (size, text, room)
            cut = metrics.horizontalAdvance(view._fitted(text, room))  # Qt's own elidedText rounds by up to 1 px
            assert cut <= max(room + 1, metrics.horizontalAdvance("…")), (size, text, room)


def test_a_row_still_being_read_shows_its_placeholder_in_the_first_column_on_screen(qtbot, db):
    view = PagedTableView()
    qtbot.addWidget(view)
    view.resize(700, 400)
    view.show()
    with qtbot.waitSignal(view.model.ready, timeout=10_000):
        view.open(db, "t", ROWS)
    release = threading.Event()
    view.model._worker.submit(lambda state: (release.wait(10), (-1, None))[1])  # the reader is busy meanwhile
    row = ROWS - 50
    view.table.scrollTo(view.model.index(row, 0), view.table.ScrollHint.PositionAtTop)
    picture = view.table.viewport().grab().toImage()
    assert view.model.row_values(row) is None
    background = view.table.palette().color(QPalette.ColorRole.AlternateBase if row % 2 else QPalette.ColorRole.Base)
    cells = [view.table.visualRect(view.model.index(row, c)) for c in range(3)]
    assert _ink(picture, cells[0], background) is not None  # "…"
    assert _ink(picture, cells[1], background) is None and _ink(picture, cells[2], background) is None
    release.set()
    qtbot.waitUntil(lambda: view.model.row_values(row) is not None, timeout=10_000)
    picture = view.table.viewport().grab().toImage()
    assert _ink(picture, cells[1], background) is not None  # its page landed and was painted
    assert row // PAGE_ROWS in view.model._pages
    view.shutdown()
