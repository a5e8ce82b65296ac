"""A datathon session in the explorer window, step by step, with the GUI thread's longest gap in each step.

Used by bench_explorer.py: the window opens the city as a facilitator, then the steps a team takes: open
the biggest table, click a cell (its column profile), sort by an unindexed column, two console queries (an
aggregate and a million-row result), a chart, a resident's journey, the agreement map. A 5 ms timer on
the GUI thread records its gaps; every step's work is in the background, so the gaps stay short while the
step takes as long as it takes. Imports excluded; nothing here is asserted.
"""

from __future__ import annotations

import time
from pathlib import Path


def measure_session(path: Path, table: str, sort_column: str, query_column: str, timeout_s: float = 120) -> dict:
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from sandbox_app.ui.explorer.app import ExplorerWindow
    from sandbox_app.ui.explorer.explorer_view import AGREEMENTS_TAB, CHART_TAB, JOURNEY_TAB, SQL_TAB

    app = QApplication.instance() or QApplication([])
    gaps, last = [], [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    def run_until(done) -> None:
        end = time.perf_counter() + timeout_s
        while not done() and time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.002)
        settle = time.perf_counter() + 0.3
        while time.perf_counter() < settle:
            app.processEvents()
            time.sleep(0.002)

    steps: dict[str, dict] = {}

    def step(name: str, action, done=lambda: True) -> None:
        gaps.clear()
        last[0] = start = time.perf_counter()
        action()
        run_until(done)
        steps[name] = {"s": time.perf_counter() - start, "gap_ms": 1000 * max(gaps or [0.0])}

    ticker = QTimer(interval=5)
    ticker.timeout.connect(tick)
    ticker.start()
    window = ExplorerWindow(path, facilitator=True)
    window.resize(1366, 768)
    window.show()
    view = window.view
    step("first table shown, scenario read", lambda: None,
         lambda: view.agreements.map is not None and view.table_view.model.rowCount() > 0)
    model = view.table_view.model
    step(f"open {table}", lambda: view.show_table(table), lambda: model.rowCount() > 0 and not model.busy)
    column = [model.column_name(c) for c in range(model.columnCount())].index(sort_column)
    panel = view.column_panel
    step(f"click a cell: profile {sort_column}", lambda: view.table_view.table.setCurrentIndex(model.index(5, column)),
         lambda: panel.profile is not None or "gave up" in panel.summary.text())
    step(f"sort by {sort_column}", lambda: view.table_view.header.setSortIndicator(column, Qt.SortOrder.AscendingOrder),
         lambda: not model.busy and model.query is not None and model.query.sort_column == sort_column)
    console = view.console

    def query(sql: str):
        def run():
            view.tabs.setCurrentIndex(SQL_TAB)
            console.last_result = None
            console.editor.setPlainText(sql)
            console.run()
        return run

    step("SQL: an aggregate", query(f"SELECT {query_column}, count(*) FROM {table} GROUP BY 1"),
         lambda: console.run_button.isEnabled() and console.last_result is not None)
    step("SQL: every row", query(f"SELECT * FROM {table}"),
         lambda: console.run_button.isEnabled() and console.last_result is not None)
    charts = view.charts

    def chart():
        view.tabs.setCurrentIndex(CHART_TAB)
        charts.data = None
        charts.source.setCurrentText(table)
        charts.x.setCurrentText(query_column)
        charts.draw()

    step(f"chart: rows by {query_column}", chart, lambda: charts.data is not None)
    journey = view.journey

    def pick():
        view.tabs.setCurrentIndex(JOURNEY_TAB)
        journey.truth = []
        journey.pick()

    step("journey: pick a resident and search", pick, lambda: bool(journey.truth))
    step("agreement map", lambda: view.tabs.setCurrentIndex(AGREEMENTS_TAB))
    ticker.stop()
    window.close()
    app.processEvents()
    worst = max((s for n, s in steps.items() if not n.startswith("first")), key=lambda s: s["gap_ms"])
    return {"session_steps": steps, "session_max_gap_ms": worst["gap_ms"]}


__all__ = ["measure_session"]
