"""What keeps the paged table smooth while scrolling, checked by counting, never by the clock: no SQLite on the
GUI thread, landed pages repaint only the rows on screen, pages scrolled past are dropped quietly, reads wait
while the GUI thread paints, multiData agrees with data(), and no header mode that scans rows."""

from __future__ import annotations

import contextlib
import sqlite3
import threading

import pytest
from PySide6.QtCore import QModelRoleData, QModelRoleDataSpan, Qt
from PySide6.QtWidgets import QHeaderView

from sandbox_app.ui.common import page_reader
from sandbox_app.ui.common.page_reader import PageReader
from sandbox_app.ui.common.paged_table import PagedTableView
from sandbox_app.ui.common.sqlite_table_model import PAGE_ROWS, PLACEHOLDER, SqliteTableModel

ROWS = 20_000


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("scroll") / "scroll.db"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE t (n INTEGER, name TEXT, note TEXT, blob BLOB)")
        conn.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT ?) "
                     "INSERT INTO t SELECT x, 'row ' || x, CASE WHEN x % 2 THEN NULL "
                     "ELSE printf('%050d', x) END, CASE WHEN x % 3 = 0 THEN x'cafe' END FROM c", (ROWS,))
        conn.commit()
    return path


@pytest.fixture()
def model(qtbot, db):
    m = SqliteTableModel()
    with qtbot.waitSignal(m.ready, timeout=10_000):
        m.open(db, "t", ROWS)
    yield m
    m.shutdown()


def _landed(qtbot, model, row):
    qtbot.waitUntil(lambda: model.row_values(row) is not None, timeout=10_000)


def test_an_unloaded_row_is_a_placeholder_and_sqlite_runs_only_on_the_reader_thread(qtbot, model):
    threads = []
    model._source.conn.set_trace_callback(lambda sql: threads.append(threading.get_ident()))
    row = 12_345
    assert model.data(model.index(row, 0)) == PLACEHOLDER
    assert model.data(model.index(row, 1)) is None  # the other cells of a row being read stay blank
    assert model.data(model.index(row, 1), Qt.ItemDataRole.ForegroundRole) is not None
    assert threads == []  # asking for the cell only queued the read
    _landed(qtbot, model, row)
    assert model.data(model.index(row, 1)) == f"row {row + 1}"
    assert threads and threading.get_ident() not in threads


def test_a_landed_page_repaints_only_the_rows_on_screen(qtbot, model):
    model.rows_on_screen = lambda: (10_010, 10_040)
    with qtbot.waitSignal(model.dataChanged, timeout=10_000) as changed:
        model.data(model.index(10_020, 0))
    top, bottom = changed.args[0], changed.args[1]
    assert (top.row(), bottom.row()) == (10_010, 10_040)
    assert (top.column(), bottom.column()) == (0, model.columnCount() - 1)


def test_a_page_that_lands_off_screen_repaints_nothing(qtbot, model):
    model.rows_on_screen = lambda: (0, 30)  # the view is back at the top when the page arrives
    with qtbot.assertNotEmitted(model.dataChanged):
        model.data(model.index(15_000, 0))
        _landed(qtbot, model, 15_000)
    assert model.data(model.index(15_000, 0)) == 15_001  # kept: scrolling there again shows it at once


def test_without_a_view_a_landed_page_repaints_all_its_rows(qtbot, model):
    with qtbot.waitSignal(model.dataChanged, timeout=10_000) as changed:
        model.data(model.index(PAGE_ROWS * 7 + 3, 0))
    assert (changed.args[0].row(), changed.args[1].row()) == (PAGE_ROWS * 7, PAGE_ROWS * 8 - 1)


def test_reads_of_pages_scrolled_past_are_dropped_without_saying_stopped(qtbot, model):
    release = threading.Event()

    def busy(state):  # keeps the one reader thread busy meanwhile; answers like a skipped page
        release.wait(10)
        return -1, None

    model._worker.submit(busy)
    shown = [(5_000, 5_030)]
    model.rows_on_screen = lambda: shown[0]
    model.data(model.index(5_000, 0))
    shown[0] = (9_000, 9_030)  # scrolled on before the first read started
    with qtbot.assertNotEmitted(model._worker.cancelled):
        model.data(model.index(9_000, 0))
        assert list(model._pending) == [9_000 // PAGE_ROWS]
        release.set()
        _landed(qtbot, model, 9_000)
    assert 5_000 // PAGE_ROWS not in model._pages


def test_multidata_answers_what_data_answers(qtbot, model):
    _landed(qtbot, model, 0)
    roles = [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole, Qt.ItemDataRole.ForegroundRole,
             Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.FontRole, Qt.ItemDataRole.BackgroundRole,
             Qt.ItemDataRole.TextAlignmentRole, Qt.ItemDataRole.CheckStateRole, Qt.ItemDataRole.DecorationRole]
    cells = [(r, c) for r in (0, 1, 2, 5) for c in range(4)] + [(ROWS - 1, 0), (ROWS - 1, 2)]  # the last: unloaded
    items = {role: QModelRoleData(int(role.value)) for role in roles}  # reused from cell to cell, as Qt does
    for row, column in cells + cells[::-1]:
        index = model.index(row, column)
        for role, item in items.items():
            model.multiData(index, QModelRoleDataSpan(item))
            assert item.data() == model.data(index, role), (row, column, role)


def test_reads_wait_while_the_gui_thread_is_busy_with_the_model(qtbot, monkeypatch):
    monkeypatch.setattr(page_reader, "HOLD_LIMIT_S", 60.0)  # only the release can let the read go on
    reader = PageReader()
    seen = []

    def read(state):
        state.pause()
        seen.append(reader.holding)
        return "page"

    reader.hold()  # what the model does on the first cell a repaint asks for
    with qtbot.waitSignal(reader.finished, timeout=10_000) as done:
        reader.submit(read)
    assert done.args == ["page"] and seen == [False]  # it went on only once the event loop had the GUI back
    assert reader.shutdown()


def test_the_view_never_sizes_rows_or_columns_from_their_contents(qtbot, db):
    view = PagedTableView()
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    with qtbot.waitSignal(view.model.ready, timeout=10_000):
        view.open(db, "t", ROWS)
    rows, columns = view.table.verticalHeader(), view.table.horizontalHeader()
    assert rows.sectionResizeMode(0) == QHeaderView.ResizeMode.Fixed and rows.sectionResizeMode(ROWS - 1) == \
        QHeaderView.ResizeMode.Fixed
    assert all(columns.sectionResizeMode(c) == QHeaderView.ResizeMode.Interactive
               for c in range(view.model.columnCount()))
    view.table.scrollTo(view.model.index(ROWS // 2, 0), view.table.ScrollHint.PositionAtTop)
    view.grab()  # a repaint at the new place asks for the pages on screen, and only those
    first, last = view.rows_on_screen()
    assert first == ROWS // 2 and last > first
    assert set(view.model._pending) | set(view.model._pages) <= {0, first // PAGE_ROWS, last // PAGE_ROWS}
    view.shutdown()


def test_a_page_read_while_a_writer_locks_the_file_says_so_once_and_reads_again_later(qtbot, tmp_path, db):
    import shutil

    locked = tmp_path / "locked.db"
    shutil.copy(db, locked)
    view = PagedTableView()
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.model.ready, timeout=10_000):
        view.open(locked, "t", ROWS, label="t")
    model = view.model
    with contextlib.closing(sqlite3.connect(locked, isolation_level=None, timeout=0)) as writer:
        writer.execute("BEGIN EXCLUSIVE")
        writer.execute("CREATE TABLE scratch (x)")
        with qtbot.waitSignal(model.failed, timeout=10_000) as failed:
            model.row_values(ROWS - 1)
        assert failed.args[0].startswith("the database is locked by another program") and "\n" not in failed.args[0]
        assert view.status.text().startswith("t: the database is locked")
        with qtbot.assertNotEmitted(model.failed):  # said once, not once a page
            model.row_values(ROWS // 2)
            qtbot.waitUntil(lambda: not model._pending, timeout=10_000)
        writer.execute("ROLLBACK")
    with qtbot.waitSignal(model.recovered, timeout=10_000):
        qtbot.waitUntil(lambda: model.row_values(ROWS - 1) is not None, timeout=10_000)
    assert model.row_values(ROWS - 1)[0] == ROWS and view.status.text() == f"t: {ROWS:,} rows"
    view.shutdown()
