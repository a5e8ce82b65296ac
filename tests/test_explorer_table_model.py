"""The paged SQLite table model and its background reader, without widgets: row count up front, rows read on
demand (never all), sort and filter in SQL, stale answers dropped, a bounded cache, qtmodeltester."""

from __future__ import annotations

import contextlib
import sqlite3
import threading

import pytest
from PySide6.QtCore import Qt

from sandbox_app.errors import SandboxError
from sandbox_app.ui.common.page_reader import PageReader
from sandbox_app.ui.common.sqlite_table_model import (
    CACHE_PAGES,
    NULL_TEXT,
    PAGE_ROWS,
    PLACEHOLDER,
    SqliteTableModel,
)
from synthetic.progress import Cancelled

BIG = 200_000


def _table(path, rows: int) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE people (n INTEGER, name TEXT, score INTEGER, note TEXT)")
        conn.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT ?) "
                     "INSERT INTO people SELECT x, 'person ' || x, (x * 7919) % 1000, "
                     "CASE WHEN x % 10 = 0 THEN NULL ELSE 'n' || (x % 3) END FROM c", (rows,))
        conn.commit()


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "big.db"
    _table(path, BIG)
    return path


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    path = tmp_path_factory.mktemp("small") / "small.db"
    _table(path, 1000)
    return path


@pytest.fixture()
def model(qtbot):
    m = SqliteTableModel()
    yield m
    m.shutdown()


def _open(qtbot, model, path, rows):
    with qtbot.waitSignal(model.ready, timeout=10_000):
        model.open(path, "people", rows)


def _value(qtbot, model, row, column):
    """The cell's value once its page has arrived."""
    qtbot.waitUntil(lambda: model.row_values(row) is not None, timeout=10_000)
    return model.data(model.index(row, column))


def test_a_200k_row_table_opens_with_its_row_count_and_reads_only_what_is_shown(qtbot, model, big):
    _open(qtbot, model, big, BIG)
    assert model.rowCount() == BIG and model.columnCount() == 4
    assert model.rows_fetched() == PAGE_ROWS  # the first page, read while opening
    assert model.data(model.index(0, 1)) == "person 1"
    deep = model.index(150_000, 0)
    assert model.data(deep) == PLACEHOLDER  # not loaded yet: asks for its page
    assert model.data(model.index(150_000, 1)) is None  # the row's other cells stay blank meanwhile
    assert _value(qtbot, model, 150_000, 1) == "person 150001"
    assert _value(qtbot, model, BIG - 1, 0) == BIG
    assert model.rows_fetched() == 3 * PAGE_ROWS
    assert model.headerData(149_999, Qt.Orientation.Vertical) == "150,000"


def test_the_page_cache_stays_bounded(qtbot, model, big):
    _open(qtbot, model, big, BIG)
    for page in range(CACHE_PAGES + 10):
        _value(qtbot, model, page * PAGE_ROWS * 3, 0)
    assert len(model._pages) <= CACHE_PAGES
    assert model.rows_fetched() <= (CACHE_PAGES + 11) * PAGE_ROWS


def test_sort_is_done_by_sqlite(qtbot, model, small):
    _open(qtbot, model, small, 1000)
    with qtbot.waitSignal(model.ready, timeout=10_000):
        model.sort(2, Qt.SortOrder.DescendingOrder)
    with contextlib.closing(sqlite3.connect(small)) as conn:
        expected = conn.execute("SELECT n FROM people ORDER BY score DESC, rowid DESC").fetchall()
    assert [_value(qtbot, model, r, 0) for r in (0, 1, 500, 999)] == [expected[r][0] for r in (0, 1, 500, 999)]
    with qtbot.waitSignal(model.ready, timeout=10_000):
        model.sort(-1)
    assert model.query.sort_column is None and model.data(model.index(0, 0)) == 1


def test_filter_is_done_by_sqlite_and_nulls_show_as_null(qtbot, model, small):
    _open(qtbot, model, small, 1000)
    with qtbot.waitSignal(model.ready, timeout=10_000):
        model.set_filter("note", "NULL")
    assert model.rowCount() == 100
    assert model.data(model.index(0, 3)) == NULL_TEXT
    assert model.data(model.index(0, 3), Qt.ItemDataRole.ForegroundRole) is not None
    with qtbot.waitSignal(model.ready, timeout=10_000):
        model.set_filter("score", ">900")
    with contextlib.closing(sqlite3.connect(small)) as conn:
        assert model.rowCount() == conn.execute("SELECT count(*) FROM people WHERE note IS NULL AND score > 900"
                                                ).fetchone()[0]


def test_pages_for_an_old_sort_are_dropped(qtbot, model, small):
    _open(qtbot, model, small, 1000)
    assert model.data(model.index(900, 0)) == PLACEHOLDER  # asked for in the old view
    with qtbot.waitSignal(model.ready, timeout=10_000):
        model.sort(0, Qt.SortOrder.DescendingOrder)
    assert _value(qtbot, model, 900, 0) == 100  # the new order's row, never the old page's 901


def test_stop_keeps_the_view_it_had(qtbot, model, big):
    _open(qtbot, model, big, BIG)
    with qtbot.waitSignal(model._worker.cancelled, timeout=10_000):
        model.sort(1)
        model.stop()
    assert model.rowCount() == BIG and model.data(model.index(0, 1)) == "person 1"


def test_the_model_passes_qtmodeltester(qtbot, qtmodeltester, model, small):
    _open(qtbot, model, small, 1000)
    qtmodeltester.check(model)


# -------------------------------------------------------------------------------------- the page reader

def test_a_new_start_cancels_the_old_task_and_drops_its_answer(qtbot):
    worker = PageReader()
    release = threading.Event()

    def slow(state):
        release.wait(10)
        return "old"

    worker.start(slow)
    with qtbot.waitSignal(worker.finished, timeout=10_000) as result:
        worker.start(lambda state: "new")
        release.set()
    assert result.args == ["new"]
    assert worker.shutdown()


def test_worker_errors_are_one_plain_sentence_and_stops_are_not_errors(qtbot):
    worker = PageReader()

    def bad(state):
        raise SandboxError("the database is locked by another program")

    with qtbot.waitSignal(worker.errored, timeout=10_000) as caught:
        worker.start(bad)
    assert caught.args == ["the database is locked by another program"]

    def stop(state):
        raise Cancelled()

    with qtbot.waitSignal(worker.cancelled, timeout=10_000), qtbot.assertNotEmitted(worker.errored):
        worker.start(stop)
    assert worker.shutdown()


def test_progress_is_sent_only_when_it_changes(qtbot):
    worker = PageReader()
    seen = []
    worker.progress.connect(lambda f, s: seen.append((round(f, 2), s)))

    def work(state):
        for i in range(1000):
            state.set_progress(i / 1000 // 0.25 * 0.25, "working")
        return True

    with qtbot.waitSignal(worker.finished, timeout=10_000):
        worker.start(work)
    qtbot.waitUntil(lambda: len(seen) == 4)
    assert seen == [(0.0, "working"), (0.25, "working"), (0.5, "working"), (0.75, "working")]
    assert worker.shutdown()
