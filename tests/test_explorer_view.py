"""The explorer window on a small city: catalogue and badges, search, the table tab, the SQL console (refusals
inline, Stop, history), the chart builder's numbers, exports, and `city-sandbox explore`."""

from __future__ import annotations

import contextlib
import gc
import json
import sqlite3
import threading
from pathlib import Path

import pytest
from cityfixture import small_city
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from sandbox_app.cli import main
from sandbox_app.ui.common import chart_image
from sandbox_app.ui.common.badges import SENSITIVITY
from sandbox_app.ui.explorer.catalog_panel import build_catalog_model
from sandbox_app.ui.explorer.column_panel import ColumnPanel
from sandbox_app.ui.explorer.explorer_view import CHART_TAB, SQL_TAB, ExplorerView

S311 = "s311_service_requests"
RUNAWAY = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    return small_city(tmp_path_factory)


@pytest.fixture(autouse=True)
def private_settings(isolated_qt):
    """Every test here writes its settings (query history, window size) to a temp folder."""
    return isolated_qt


@pytest.fixture(autouse=True)
def thawed_heap():
    """The window freezes the garbage collector's start-up heap; thaw it so the rest of the suite collects."""
    yield
    gc.unfreeze()


def _sql(path, query):
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(query).fetchall()


@pytest.fixture()
def view(qtbot, path):
    v = ExplorerView(path)
    qtbot.addWidget(v)
    v.resize(1200, 800)
    v.show()
    qtbot.waitUntil(lambda: v.table_view.model.rowCount() > 0 and v.agreements.map is not None, timeout=10_000)
    yield v
    v.shutdown()


def _names(model, parent=None):
    from PySide6.QtCore import QModelIndex

    parent = parent or QModelIndex()
    out = []
    for row in range(model.rowCount(parent)):
        index = model.index(row, 0, parent)
        out.append(index.data())
        out += _names(model, index)
    return out


def test_the_catalogue_lists_departments_tables_and_counts_without_the_answer_key(view, path):
    names = _names(view.catalog_panel.model)
    assert S311 in names and "public_voter_roll" in names and "Public records" in names
    assert not {"_residents", "_ground_truth", "_meta"} & set(names)
    stored = json.loads(dict(_sql(path, "SELECT key, value FROM _meta"))["row_counts"])
    dept = next(view.catalog_panel.model.item(r) for r in range(view.catalog_panel.model.rowCount())
                if view.catalog_panel.model.item(r).text() == "311 Customer Service Center")
    assert dept.child(0, 0).text() == S311 and dept.child(0, 1).text() == f"{stored[S311]:,}"
    assert "facilitator mode" not in view.banner.text()
    assert view.banner.text().startswith("<b>Winter storm: reaching residents who depend on power</b>")


def test_once_started_the_window_freezes_its_heap_so_no_full_collection_stalls_a_scroll(view):
    assert gc.get_freeze_count() > 0  # frozen when the scenario's names arrived (the view fixture waits for them)


def test_facilitator_mode_shows_the_answer_key(qtbot, path):
    v = ExplorerView(path, facilitator=True)
    qtbot.addWidget(v)
    assert {"_residents", "_ground_truth", "_meta"} <= set(_names(v.catalog_panel.model))
    assert "facilitator mode" in v.banner.text()
    v.shutdown()


def test_sensitivity_badges_have_a_colour_and_a_word(view, qtmodeltester):
    model = view.catalog_panel.model
    qtmodeltester.check(model)
    table = model.item(0).child(0, 0)
    column_badge = table.child(0, 2)
    level = next(key for key, (word, _, _) in SENSITIVITY.items() if word == column_badge.text())
    assert column_badge.background().color().name() == SENSITIVITY[level][1]
    assert column_badge.toolTip().startswith(level)


def test_search_keeps_matching_columns_and_their_tables(view):
    model = build_catalog_model(view.catalog, "birth")
    names = _names(model)
    assert "birth_date" in names and "zip" not in names and "public_voter_roll" in names
    assert _names(build_catalog_model(view.catalog, "nothing-like-this")) == []
    view.catalog_panel.search.setText("nothing-like-this")
    view.catalog_panel.refresh()
    assert "Nothing matches" in view.catalog_panel.details.text()


def test_choosing_a_table_opens_it_with_its_stored_row_count(qtbot, view, path):
    view.catalog_panel.select_table(S311)
    qtbot.waitUntil(lambda: view.table_view.model.rowCount() == _sql(path, f"SELECT count(*) FROM {S311}")[0][0],
                    timeout=10_000)
    assert view.table_view.status.text().startswith(f"{S311}: ")
    assert S311 in view.catalog_panel.details.text()
    header = view.table_view.header
    assert len(header.editors()) == view.table_view.model.columnCount()
    zip_column = [view.table_view.model.column_name(c) for c in range(view.table_view.model.columnCount())].index("zip")
    with qtbot.waitSignal(view.table_view.model.ready, timeout=10_000):
        header.editors()[zip_column].setText("44101")
        header.flush()
    assert view.table_view.model.rowCount() == _sql(path, f"SELECT count(*) FROM {S311} WHERE zip LIKE '%44101%'")[0][0]
    assert "filtered" in view.table_view.status.text()


def _run(qtbot, console, sql, signal):
    console.editor.setPlainText(sql)
    with qtbot.waitSignal(signal, timeout=10_000):
        console.run()


def test_the_console_shows_results_in_the_paged_view(qtbot, view, path):
    console = view.console
    sql = f"SELECT zip, count(*) AS n FROM {S311} GROUP BY zip ORDER BY n DESC"
    _run(qtbot, console, sql, console.resultReady)
    expected = _sql(path, sql)
    qtbot.waitUntil(lambda: console.results.model.rowCount() == len(expected), timeout=10_000)
    model = console.results.model
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(2)] == ["zip", "n"]
    assert model.data(model.index(0, 1)) == expected[0][1]
    assert console.message.text() == f"{len(expected)} rows"
    assert console.history[0] == sql


def test_a_refused_query_is_explained_inline_and_underlined(qtbot, view):
    console = view.console
    _run(qtbot, console, "SELECT 1;\n  DELETE FROM s311_service_requests", console.worker.failed)
    assert "one statement at a time" in console.message.text()
    _run(qtbot, console, "\n  DELETE FROM s311_service_requests", console.worker.failed)
    assert console.message.text().startswith("Line 2, column 3: DELETE is not allowed")
    (selection,) = console.editor.extraSelections()
    assert selection.cursor.selectedText() == "DELETE"
    console.editor.setPlainText("SELECT 1")
    assert console.editor.extraSelections() == []


def test_stop_interrupts_a_runaway_query(qtbot, view):
    console = view.console
    console.timeout.setValue(600)
    console.editor.setPlainText(RUNAWAY)
    with qtbot.waitSignal(console.worker.cancelled, timeout=10_000):
        console.run()
        qtbot.waitUntil(lambda: console.stop_button.isEnabled())
        console.stop()
    assert console.message.text() == "Stopped." and console.run_button.isEnabled()


def test_the_history_recalls_earlier_queries_after_a_restart(qtbot, view, path):
    console = view.console
    for sql in ("SELECT 1", "SELECT 2", "SELECT 1"):
        _run(qtbot, console, sql, console.resultReady)
    assert console.history == ["SELECT 1", "SELECT 2"]
    console._recall(1)
    assert console.editor.toPlainText() == "SELECT 2"
    again = ExplorerView(path)
    qtbot.addWidget(again)
    assert again.console.history == ["SELECT 1", "SELECT 2"] and again.console.history_box.count() == 2
    again.shutdown()


def _chart(qtbot, view, x: str, source: str = S311):
    """Draw a chart of `x` in the Chart tab and wait for it."""
    view.tabs.setCurrentIndex(CHART_TAB)
    charts = view.charts
    charts.source.setCurrentText(source)
    charts.x.setCurrentText(x)
    with qtbot.waitSignal(charts.worker.finished, timeout=10_000):
        charts.draw()
    return charts


def test_the_chart_builder_plots_what_sql_counted(qtbot, view, path, tmp_path):
    charts = _chart(qtbot, view, "request_type")
    expected = _sql(path, f"SELECT request_type, count(*) FROM {S311} GROUP BY request_type ORDER BY 2 DESC, 1")
    heights = [bar.get_height() for bar in charts.axes.patches]
    assert heights == [n for _, n in expected]
    assert [t.get_text() for t in charts.axes.get_xticklabels()] == ["(missing)" if v is None else v for v, _ in expected]
    png, svg = charts.save(tmp_path / "chart.png"), charts.save(tmp_path / "chart.svg")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and b"<svg" in svg.read_bytes()[:500]


@pytest.fixture()
def drawing_threads(monkeypatch):
    """The thread of every chart drawn from now on (chart_image.render_figure is where all of them draw)."""
    threads = []
    real = chart_image.render_figure

    def spy(*args, **kwargs):
        threads.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(chart_image, "render_figure", spy)
    return threads


def test_the_chart_is_drawn_off_the_gui_thread_and_saved_there_too(qtbot, view, monkeypatch, tmp_path,
                                                                  drawing_threads):
    threads = drawing_threads
    charts = _chart(qtbot, view, "zip")
    assert threads and threading.get_ident() not in threads
    shown = charts.picture.pixmap()
    assert charts.chart.width >= 300 and not shown.isNull()
    room = charts.picture.size()  # the worker's picture, scaled to fit the tab: inside it, touching two sides
    assert shown.width() <= room.width() and shown.height() <= room.height()
    assert shown.width() >= room.width() - 1 or shown.height() >= room.height() - 1
    first = charts.chart
    view.resize(900, 520)  # a smaller window
    with qtbot.waitSignal(charts.worker.finished, timeout=10_000):
        pass  # once the resizing stops, drawn again at the new size, from the same points
    assert (charts.chart.width, charts.chart.height) == (charts.picture.width(), charts.picture.height())
    assert charts.chart.height < first.height and charts.data.y == [b.get_height() for b in charts.axes.patches]
    assert len(threads) == 2 and threading.get_ident() not in threads
    target = [str(tmp_path / "no such folder" / "chart.png")]
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (target[0], ""))
    with qtbot.waitSignal(charts.saver.failed, timeout=10_000):
        charts._save_dialog()
    assert charts.message.text().startswith("Could not save the chart to ") and "\n" not in charts.message.text()
    target[0] = str(tmp_path / "chart.svg")
    with qtbot.waitSignal(charts.saver.finished, timeout=10_000):
        charts._save_dialog()
    assert b"<svg" in (tmp_path / "chart.svg").read_bytes()[:500] and charts.message.text().startswith("Saved ")


def test_the_chart_builder_plots_the_consoles_result(qtbot, view):
    console = view.console
    _run(qtbot, console, f"SELECT zip, request_type FROM {S311}", console.resultReady)
    charts = view.charts
    charts.source.setCurrentText("(the console's last query)")
    assert [charts.x.itemText(i) for i in range(charts.x.count())] == ["zip", "request_type"]
    charts.x.setCurrentText("zip")
    with qtbot.waitSignal(charts.worker.finished, timeout=10_000):
        charts.draw()
    assert sum(bar.get_height() for bar in charts.axes.patches) == console.last_result.rows


def test_exports_from_the_window(qtbot, view, tmp_path):
    view.show_table(S311)
    with qtbot.waitSignal(view.worker.finished, timeout=10_000):
        view.export_current(tmp_path)
    assert (tmp_path / f"{S311}.csv").exists() and "datapackage.json" in view.status.text()
    _run(qtbot, view.console, "SELECT 1 AS one", view.console.resultReady)
    view.tabs.setCurrentIndex(SQL_TAB)
    with qtbot.waitSignal(view.worker.finished, timeout=10_000):
        view.export_current(tmp_path)
    assert (tmp_path / "result.csv").read_text() == "one\n1\n"
    with qtbot.waitSignal(view.worker.finished, timeout=10_000):
        view.participant_copy(tmp_path / "teams.db")
    assert "participant-safe copy" in view.status.text()
    assert not {"_residents", "_ground_truth"} & {r[0] for r in _sql(tmp_path / "teams.db",
                                                                       "SELECT name FROM sqlite_master")}


def test_cli_explore_opens_the_window_and_refuses_a_bad_file(qtbot, path, tmp_path, monkeypatch, capsys):
    import sandbox_app.ui.explorer.app as app

    opened = []

    def fake_run(db, facilitator=False, label=""):  # the real window, closed at once instead of app.exec()
        window = app.ExplorerWindow(db, facilitator, label)
        opened.append((window.windowTitle(), window.view.facilitator))
        window.close()
        return 0

    monkeypatch.setattr(app, "run", fake_run)
    assert main(["explore", str(path), "--facilitator"]) == 0
    assert opened == [(f"City Sandbox explorer: {path.name}", True)]
    bad = tmp_path / "notes.db"
    bad.write_text("not a database")
    assert main(["explore", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "notes.db" in err and "Traceback" not in err
    for wrong, says in ((tmp_path / "missing.db", "no such file"), ("winter-strom", "winter-storm")):
        assert main(["explore", str(wrong)]) != 0
        err = capsys.readouterr().err
        assert err.count("\n") <= 2 and says in err and "Traceback" not in err


def test_cli_explore_without_a_file_opens_the_default_city_generated_once(qtbot, tmp_path, monkeypatch):
    import sandbox_app.ui.explorer.app as app
    from sandbox_app.cli_explore import explore_target

    monkeypatch.setenv("CITY_SANDBOX_HOME", str(tmp_path / "cache"))
    opened = []

    def fake_run(db, facilitator=False, label=""):
        window = app.ExplorerWindow(db, facilitator, label)
        opened.append((Path(db), window.windowTitle(), window.view.catalog.meta.get("scenario")))
        window.close()
        return 0

    monkeypatch.setattr(app, "run", fake_run)
    assert main(["explore"]) == 0
    (db, title, city), = opened
    assert title == "City Sandbox explorer: winter-storm" and city == "winter-storm"
    assert db.is_relative_to(tmp_path / "cache") and db.stat().st_size > 0
    made = db.stat().st_mtime_ns
    assert explore_target("winter-storm") == (db, "winter-storm") and db.stat().st_mtime_ns == made  # kept


def test_clicking_a_cell_profiles_its_column(qtbot, view, path):
    view.show_table(S311)
    model = view.table_view.model
    qtbot.waitUntil(lambda: "request_type" in [model.column_name(c) for c in range(model.columnCount())],
                    timeout=10_000)
    column = [model.column_name(c) for c in range(model.columnCount())].index("request_type")
    with qtbot.waitSignal(view.column_panel.runner.finished, timeout=10_000):
        view.table_view.table.setCurrentIndex(model.index(3, column))
    profile = view.column_panel.profile
    assert profile.column == "request_type" and profile.rows == model.rowCount()
    assert view.column_panel.summary.text().startswith(f"{profile.rows:,} rows")
    assert "Most common" in view.column_panel.top.text()


def test_a_numeric_column_gets_a_histogram_drawn_off_the_gui_thread(qtbot, tmp_path, drawing_threads):
    db = tmp_path / "numbers.db"
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("CREATE TABLE t (n INTEGER)")
        conn.executemany("INSERT INTO t VALUES (?)", [(i % 37,) for i in range(2_000)])
        conn.commit()
    threads = drawing_threads
    panel = ColumnPanel()
    qtbot.addWidget(panel)
    panel.resize(260, 500)
    panel.show()
    with qtbot.waitSignal(panel.canvas.drawn, timeout=10_000):
        panel.show_column(db, "t", "n")
    edges, counts, _width = panel.profile.histogram
    assert [bar.get_height() for bar in panel.canvas.axes.patches] == list(counts) and sum(counts) == 2_000
    assert panel.canvas.isVisible() and threads and threading.get_ident() not in threads
    panel.clear()
    assert panel.canvas.isHidden()
    panel.shutdown()


def test_how_data_moves_for_a_picked_resident(qtbot, path):
    v = ExplorerView(path, facilitator=True)
    qtbot.addWidget(v)
    journey = v.journey
    assert not journey.pick_button.isHidden()
    with qtbot.waitSignal(journey.runner.finished, timeout=20_000):
        journey.pick()
    truth = _sql(path, "SELECT count(*) FROM _ground_truth WHERE resident_id = (SELECT resident_id FROM _residents "
                       f"WHERE first_name = '{journey.first.text()}' AND birth_date = '{journey.birth.text()}')")
    assert len(journey.truth) == truth[0][0] >= 3
    assert f"has {len(journey.truth)} records" in journey.status.text()
    html = journey.timeline.toHtml()
    assert all(r.department in html for r in journey.truth)
    v.shutdown()


def test_teams_search_by_name_and_see_the_agreement_map(qtbot, view, path):
    journey = view.journey
    assert journey.pick_button.isHidden()
    first, last, birth = _sql(path, "SELECT first_name, last_name, birth_date FROM ph_home_health_clients "
                                    "WHERE last_name IS NOT NULL AND birth_date IS NOT NULL LIMIT 1")[0]
    journey.first.setText(first)
    journey.last.setText(last)
    journey.birth.setText(birth)
    with qtbot.waitSignal(journey.runner.finished, timeout=20_000):
        journey.search()
    assert any(r.table == "ph_home_health_clients" for r in journey.records)
    assert "found" in journey.status.text()
    texts = [t.get_text() for t in view.agreements.axes.texts]
    assert any("Office of" in t for t in texts) and any("Memorandum" in t for t in texts)
    assert "No agreement covers 311 Customer Service Center" in view.agreements.note.text()


def test_the_chart_builder_draws_a_map_from_coordinates(qtbot, view):
    charts = view.charts
    charts.source.setCurrentText("power_medical_baseline_accounts")
    charts.kind.setCurrentIndex(charts.kind.findData("map"))
    charts.x.setCurrentText("zip")
    with qtbot.waitSignal(charts.worker.finished, timeout=10_000):
        charts.draw()
    (points,) = charts.axes.collections
    assert [tuple(p) for p in points.get_offsets()] == [(lon, lat) for lat, lon in charts.data.places]
    charts.source.setCurrentText("s311_service_requests")
    charts.draw()
    assert "needs coordinates" in charts.message.text()


def test_a_participant_copy_opens_without_an_answer_key(qtbot, path, tmp_path):
    from sandbox_app.explore.participant_copy import participant_copy

    copy = participant_copy(path, tmp_path / "teams.db")
    v = ExplorerView(copy, facilitator=True)
    qtbot.addWidget(v)
    assert "participant-safe copy" in v.banner.text() and "holds no answer key" in v.banner.text()
    assert v.journey.pick_button.isHidden()
    assert "_meta" in _names(v.catalog_panel.model) and "_residents" not in _names(v.catalog_panel.model)
    v.shutdown()


def test_every_window_opens_within_the_screens_free_area(qtbot, path):
    from sandbox_app.ui.common.window_size import fit_to_screen
    from sandbox_app.ui.explorer.app import ExplorerWindow

    window = ExplorerWindow(path)
    qtbot.addWidget(window)
    free = window.screen().availableGeometry()
    assert window.width() <= free.width() and window.height() <= free.height()
    fit_to_screen(window, 300, 200)  # smaller than the screen: as asked
    assert (window.width(), window.height()) == (300, 200)
    window.close()


def test_a_facilitator_opens_and_exports_the_answer_key_though_it_has_no_rowid(qtbot, path, tmp_path):
    from sandbox_app.explore.export import export_table

    v = ExplorerView(path, facilitator=True)
    qtbot.addWidget(v)
    with qtbot.waitSignal(v.table_view.model.ready, timeout=10_000):
        v.show_table("_ground_truth")
    model = v.table_view.model
    total = _sql(path, "SELECT count(*) FROM _ground_truth")[0][0]
    assert model.rowCount() == total
    qtbot.waitUntil(lambda: model.row_values(total - 1) is not None, timeout=10_000)
    assert model.row_values(total - 1) == _sql(path, "SELECT * FROM _ground_truth ORDER BY table_name DESC, "
                                                     "row_id DESC LIMIT 1")[0]
    assert "went wrong" not in v.table_view.status.text()
    written = export_table(v.catalog, "_ground_truth", tmp_path)
    assert written.read_text().count("\n") == total + 1
    v.shutdown()
