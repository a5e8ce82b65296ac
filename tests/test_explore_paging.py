"""Headless halves of the explorer: rows by position (keyset on rowid, sort and filter in SQL), console
results written to a scratch file, and chart data computed in SQL."""

from __future__ import annotations

import contextlib
import sqlite3

import pytest
from cityfixture import small_city

from sandbox_app.explore.charts import MAX_BARS, ChartError, ChartSpec, chart_data, chart_sql
from sandbox_app.explore.paging import READ_CHUNK, RowSource, ViewQuery, filter_clause
from sandbox_app.explore.results import run_to_file, unique_names
from sandbox_app.explore.sql import QueryError
from synthetic.progress import Cancelled

S311 = "s311_service_requests"
POWER = "power_medical_baseline_accounts"


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    return small_city(tmp_path_factory)


def _sql(path, query, params=()):
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(query, params).fetchall()


@pytest.fixture(scope="module")
def gappy(tmp_path_factory):
    """A table whose rowids have gaps (every third row deleted)."""
    path = tmp_path_factory.mktemp("gappy") / "gappy.db"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE t (n INTEGER, word TEXT)")
        conn.executemany("INSERT INTO t VALUES (?, ?)", [(i, f"w{i % 7}") for i in range(1000)])
        conn.execute("DELETE FROM t WHERE n % 3 = 0")
        conn.commit()
    return path


def test_an_unsorted_table_pages_by_rowid_without_an_order_list(path):
    total = _sql(path, f"SELECT count(*) FROM {S311}")[0][0]
    source = RowSource.prepare(path, ViewQuery(S311), known_rows=total)
    assert source.order is None and source.row_count == total
    everything = _sql(path, f"SELECT * FROM {S311} ORDER BY rowid")
    assert source.read(0, 5) == everything[:5]
    assert source.read(total - 3, 10) == everything[-3:]
    assert source.rows_read == 8
    source.close()


def test_a_page_read_pauses_between_small_chunks_and_can_be_given_up(path, gappy):
    total = _sql(path, f"SELECT count(*) FROM {S311}")[0][0]
    source = RowSource.prepare(path, ViewQuery(S311), known_rows=total)
    calls = []
    rows = source.read(0, 100, pause=lambda: calls.append(len(calls)))
    assert rows == _sql(path, f"SELECT * FROM {S311} ORDER BY rowid LIMIT 100")
    assert len(calls) == 1 + 100 // READ_CHUNK  # before the query, then after every full chunk

    def give_up():
        if len(calls) > 2:
            raise Cancelled()
        calls.append(0)

    calls.clear()
    with pytest.raises(Cancelled):
        source.read(0, 100, pause=give_up)
    source.close()
    by_order = RowSource.prepare(gappy, ViewQuery("t"))  # rowid gaps: the read goes through the order list
    assert by_order.read(0, 50, pause=lambda: None) == by_order.read(0, 50)
    by_order.close()


def test_gaps_in_rowids_fall_back_to_an_order_list(gappy):
    source = RowSource.prepare(gappy, ViewQuery("t"), known_rows=None)
    assert source.row_count == 666 and source.order is not None
    assert [r[0] for r in source.read(0, 4)] == [1, 2, 4, 5]
    source.close()


def test_sort_and_filter_are_pushed_down_to_sql(path):
    query = ViewQuery(S311).with_filter("zip", "4410").with_sort("request_type", descending=True)
    source = RowSource.prepare(path, query)
    expected = _sql(path, f"SELECT * FROM {S311} WHERE zip LIKE '%4410%' ORDER BY request_type DESC, rowid DESC")
    assert source.row_count == len(expected)
    assert source.read(0, source.row_count) == expected
    assert source.read(10, 5) == expected[10:15]
    source.close()


def test_a_table_without_rowid_pages_sorts_and_filters_by_its_primary_key(path):
    """The answer key (`_ground_truth`, WITHOUT ROWID) opens in facilitator mode like any table."""
    total = _sql(path, "SELECT count(*) FROM _ground_truth")[0][0]
    plain = RowSource.prepare(path, ViewQuery("_ground_truth"), known_rows=total)
    try:
        assert plain.keys == ("table_name", "row_id") and plain.row_count == total
        every = _sql(path, "SELECT table_name, row_id, resident_id FROM _ground_truth ORDER BY table_name, row_id")
        assert plain.read(0, 200) == every[:200]
        assert plain.read(total - 150, 200) == every[-150:]  # the last page: short
        assert plain.read(total // 2, 7) == every[total // 2:total // 2 + 7]
    finally:
        plain.close()
    query = ViewQuery("_ground_truth").with_filter("table_name", "s311").with_sort("resident_id", descending=True)
    view = RowSource.prepare(path, query, known_rows=total)
    try:
        expected = _sql(path, "SELECT table_name, row_id, resident_id FROM _ground_truth WHERE table_name LIKE "
                              "'%s311%' ORDER BY resident_id DESC, table_name DESC, row_id DESC")
        assert view.row_count == len(expected) > 0 and view.read(0, 300) == expected[:300]
        with pytest.raises(sqlite3.OperationalError):  # the city's file is never written, temp table or not
            view.conn.execute("CREATE TABLE main.x (a)")
    finally:
        view.close()


def test_filter_boxes_understand_null_comparisons_and_contains(gappy):
    cases = {"NULL": 0, "not null": 666, ">990": 6, "<= 5": 4, "=7": 1, "!=7": 665, "w3": 95, "W3": 95, "%": 0}
    for text, rows in cases.items():
        source = RowSource.prepare(gappy, ViewQuery("t").with_filter("word" if "w" in text.lower() or text == "%"
                                                                     else "n", text))
        assert source.row_count == rows, text
        source.close()
    assert filter_clause("a", "") == ('CAST("a" AS TEXT) LIKE ? ESCAPE \'\\\'', ["%%"])
    assert ViewQuery("t").with_filter("n", "5").with_filter("n", " ").filters == ()


def test_preparing_a_sort_can_be_cancelled(path):
    class Stop:
        def set_progress(self, fraction, status=""):
            pass

        def is_cancelled(self):
            return True

    with pytest.raises(Cancelled):
        RowSource.prepare(path, ViewQuery(S311).with_sort("zip"), state=Stop())


# ---------------------------------------------------------------------------------------- query results

def test_a_console_result_is_written_to_a_scratch_table(path, tmp_path):
    out = run_to_file(path, f"SELECT zip, zip, count(*) FROM {S311} GROUP BY zip ORDER BY zip", tmp_path / "r.db")
    assert out.headers == ["zip", "zip", "count(*)"] and out.columns == ["zip", "zip_2", "count(*)"]
    expected = _sql(path, f"SELECT zip, zip, count(*) FROM {S311} GROUP BY zip ORDER BY zip")
    assert out.rows == len(expected) and out.note == ""
    source = RowSource.prepare(out.path, ViewQuery(out.table), known_rows=out.rows)
    assert source.read(0, out.rows) == expected
    source.close()
    assert unique_names(["a", "A", "", "a"]) == ["a", "A_2", "column", "a_3"]


def test_a_runaway_result_keeps_the_rows_read_and_says_so(path, tmp_path):
    endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c"
    out = run_to_file(path, endless, tmp_path / "r.db", timeout=0.05)
    assert out.rows > 0 and out.note.startswith("stopped after the time limit of 0.05 s: the first")
    with pytest.raises(QueryError, match="DELETE is not allowed"):
        run_to_file(path, f"DELETE FROM {S311}", tmp_path / "r.db")


# ------------------------------------------------------------------------------------------------ charts

def test_bar_chart_counts_come_from_sql_largest_first(path):
    data = chart_data(path, ChartSpec(S311, "request_type"))
    expected = _sql(path, f"SELECT request_type, count(*) FROM {S311} GROUP BY request_type ORDER BY 2 DESC, 1")
    assert list(zip(data.x, data.y, strict=True)) == expected[:MAX_BARS]
    assert data.y_label == "number of rows"


def test_line_chart_aggregates_y_by_x(path):
    data = chart_data(path, ChartSpec(POWER, "zip", "household_income", "avg", "line"))
    expected = _sql(path, f"SELECT zip, avg(household_income) FROM {POWER} WHERE zip IS NOT NULL "
                          "GROUP BY zip ORDER BY zip")
    assert list(zip(data.x, data.y, strict=True)) == expected
    assert data.y_label == "average of household_income"


def test_histogram_bins_in_sql_and_counts_every_value(path):
    data = chart_data(path, ChartSpec(POWER, "household_income", kind="histogram"))
    total = _sql(path, f"SELECT count(household_income) FROM {POWER}")[0][0]
    assert sum(data.y) == total and len(data.x) == 20 and data.bin_width > 0
    with pytest.raises(ChartError, match="holds text"):
        chart_data(path, ChartSpec("public_voter_roll", "full_name", kind="histogram"))


def test_scatter_reads_a_bounded_sample_of_a_query(path):
    spec = ChartSpec(f"SELECT lat, lon FROM {POWER}", "lat", "lon", kind="scatter", source_is_query=True)
    data = chart_data(path, spec)
    expected = _sql(path, f"SELECT lat, lon FROM {POWER} WHERE lat IS NOT NULL AND lon IS NOT NULL")
    assert list(zip(data.x, data.y, strict=True)) == expected  # fewer than 5,000: every point
    big = ChartSpec("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 12000) SELECT x, x * 2 "
                    "AS y FROM c", "x", "y", kind="scatter", source_is_query=True)
    sample = chart_data(path, big)
    assert len(sample.x) == 4000 and sample.x[:2] == [1, 4] and sample.y[:2] == [2, 8]
    assert sample.note == "4,000 of 12,000 points, spread evenly over the rows"
    with pytest.raises(ChartError, match="needs a y column"):
        chart_sql(ChartSpec(S311, "zip", kind="scatter"))
    with pytest.raises(QueryError, match="facilitators only"):
        chart_data(path, ChartSpec("_residents", "zip"))



# ---------------------------------------------------------------------------------------- column profile

def test_a_column_profile_matches_sql(path):
    from sandbox_app.explore.profile import column_profile

    profile = column_profile(path, POWER, "household_income")
    rows, nulls, distinct = _sql(path, f"SELECT count(*), count(*) - count(household_income), "
                                       f"count(DISTINCT household_income) FROM {POWER}")[0]
    assert (profile.rows, profile.nulls, profile.distinct) == (rows, nulls, distinct)
    assert sum(profile.histogram[1]) == rows - nulls and profile.gave_up == []
    text = column_profile(path, S311, "request_type")
    assert text.histogram is None
    assert text.top == _sql(path, f"SELECT request_type, count(*) AS n FROM {S311} GROUP BY request_type "
                                  "ORDER BY n DESC, request_type LIMIT 10")
    assert text.summary().startswith(f"{text.rows:,} rows · {text.nulls:,} missing")


def test_a_column_profile_says_when_it_gave_up(gappy):
    from sandbox_app.explore.profile import column_profile

    profile = column_profile(gappy, "t", "word", timeout=1e-9)
    assert profile.rows is None and "counting (after 1e-09 s)" in profile.gave_up
    assert "gave up on" in profile.summary()


def test_a_map_puts_each_group_at_its_mean_coordinates(path):
    data = chart_data(path, ChartSpec(POWER, "zip", kind="map"))
    expected = _sql(path, f"SELECT zip, count(*) AS n, avg(lat), avg(lon) FROM {POWER} WHERE lat IS NOT NULL AND "
                          "lon IS NOT NULL GROUP BY zip ORDER BY n DESC, zip")
    assert list(zip(data.x, data.y, strict=True)) == [(r[0], r[1]) for r in expected]
    assert data.places == [(r[2], r[3]) for r in expected] and data.y_label == "number of rows"
