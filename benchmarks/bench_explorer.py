"""Explorer benchmark: catalogue open, first and deep page of a 1M-row table, an unindexed sort, the GUI
thread while scrolling, and the studio's city profile, each against the naive way (count(*) on open,
fetchall, OFFSET paging, whole tables into pandas).

    python benchmarks/bench_explorer.py           # 1,000,000-resident winter-storm city (~15 s to generate once)
    python benchmarks/bench_explorer.py --json    # one JSON object on stdout
    python benchmarks/bench_explorer.py --tiny    # 5,000 residents; what the test runs so the script cannot rot

The city is generated once into $TMPDIR/city-sandbox-bench/ (or --cache DIR) and reused while the
generator's source does not change. The 1M-row table is `_residents` (opened in facilitator mode): exactly
one row per resident. Timings are medians of several runs in this process (SQLite's page cache warm, as when
a user scrolls); the first catalogue open and the first page are also timed cold (a fresh process, the OS
file cache warm). See benchmarks/README.md for what each figure means. Targets are printed, never enforced.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from explorer_session import measure_session  # noqa: E402 (beside this script)

TABLE = "_residents"
SORT_COLUMN = "last_name"  # no index
PAGE = 200
TARGETS = {"session_max_gap_ms": 50, "catalog_open_ms": 1000, "window_shown_ms": 1000, "first_page_ms": 200, "deep_page_ms": 200, "sort_progress_ms": 200,
           "sort_cancel_ms": 200, "gui_max_gap_ms": 50}


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def city(cache: Path, residents: int) -> Path:
    digest = hashlib.sha256()
    for source in sorted((ROOT / "synthetic").glob("*.py")):
        digest.update(source.read_bytes())
    path = cache / f"explorer-winter-storm-{residents}-{digest.hexdigest()[:12]}.db"
    if not path.exists():
        from sandbox_app.scenario import load_scenario
        from synthetic.generate import generate_city

        cache.mkdir(parents=True, exist_ok=True)
        _log(f"generating winter-storm at {residents:,} residents into {path} (kept for the next run)")
        scenario = load_scenario("winter-storm")
        generate_city(scenario, path, residents=residents, scenario_name=scenario.name)
    return path


def _median_ms(fn, runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def measure_catalog(path: Path, runs: int) -> dict:
    from sandbox_app.explore.catalog import Catalog

    def naive():  # what a generic browser does on open: count every table
        with contextlib.closing(sqlite3.connect(path)) as conn:
            names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}

    return {"catalog_open_ms": _median_ms(lambda: Catalog(path), runs),
            "naive_catalog_open_ms": _median_ms(naive, max(1, runs // 3)),
            "catalog_cold_ms": _cold(path, "from sandbox_app.explore.catalog import Catalog\nCatalog(p)")}


def _cold(path: Path, code: str) -> float:
    """Milliseconds of `code` (with `p` the database path) in a fresh Python process, imports excluded."""
    script = (f"import time, sys\nsys.path.insert(0, {str(ROOT)!r})\nimport sandbox_app.explore.paging\n"
              f"p = {str(path)!r}\nt0 = time.perf_counter()\n{code}\nprint((time.perf_counter() - t0) * 1000)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=600)
    return float(out.stdout.strip().splitlines()[-1])


WINDOW_PROBE = """
import os, sys, time
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, {root!r})
from PySide6.QtWidgets import QApplication
from sandbox_app.ui.explorer.explorer_view import ExplorerView
app = QApplication([])
t0 = time.perf_counter()
view = ExplorerView({path!r}, facilitator=True)
view.resize(1366, 768)
view.show()
app.processEvents()
shown = time.perf_counter() - t0
while view.table_view.model.rowCount() == 0 and time.perf_counter() - t0 < 30:
    app.processEvents()
print(shown * 1000, (time.perf_counter() - t0) * 1000)
view.shutdown()
"""


def measure_window(path: Path) -> dict:
    """A fresh process: the explorer window constructed and painted (catalogue filled), then its first table
    shown. Imports excluded; the built-in scenario (department names, agreements) is read in the window time."""
    out = subprocess.run([sys.executable, "-c", WINDOW_PROBE.format(root=str(ROOT), path=str(path))],
                         capture_output=True, text=True, check=True, timeout=600)
    shown, table = (float(v) for v in out.stdout.split()[-2:])
    return {"window_shown_ms": shown, "window_first_table_ms": table}


def naive_profile(path: Path) -> dict:
    """The city profile the way a first pandas script does it: read the answer key and every department table
    whole, then group and merge in memory. It counts less than city_profile (no birth dates or names)."""
    import pandas as pd

    with contextlib.closing(sqlite3.connect(path)) as conn:
        dictionary = pd.read_sql("SELECT * FROM _data_dictionary", conn)
        truth = pd.read_sql("SELECT * FROM _ground_truth", conn)
        residents = pd.read_sql("SELECT * FROM _residents", conn)
        departments = dictionary[~dictionary.department.isin(["public", "facilitator"])
                                 & ~dictionary.table_name.str.startswith("_")]
        owner = dict(zip(departments.table_name, departments.department, strict=False))
        tables = {t: pd.read_sql(f'SELECT rowid AS row_id, * FROM "{t}"', conn) for t in owner}
    known = truth[truth.table_name.isin(owner)].assign(department=lambda t: t.table_name.map(owner))
    spread = known.groupby("resident_id").department.nunique().value_counts().to_dict()
    defects = {}
    for table, frame in tables.items():
        rows = frame.merge(known[known.table_name == table], on="row_id").merge(
            residents[["resident_id", "zip"]].rename(columns={"zip": "true_zip"}), on="resident_id")
        zips = departments[(departments.table_name == table) & (departments.semantic == "zip")].column_name
        defects[table] = (int(frame.isna().sum().sum()),
                          sum(int((rows[c].notna() & (rows[c] != rows.true_zip)).sum()) for c in zips),
                          len(rows) - rows.resident_id.nunique())
    age = residents.groupby([(residents.age // 10).clip(upper=9), "sex"]).size().to_dict()
    places = residents.neighbourhood.value_counts().to_dict()
    return {"spread": spread, "defects": defects, "age": age, "places": places}


def measure_profile(path: Path, runs: int) -> dict:
    """city_profile (what the studio shows after Generate), warm median, against naive_profile once."""
    from sandbox_app.explore.city_profile import city_profile
    from sandbox_app.scenario import load_scenario

    scenario = load_scenario("winter-storm")
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        city_profile(path, scenario)
        samples.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    naive_profile(path)
    return {"profile_s": statistics.median(samples), "profile_worst_s": max(samples),
            "naive_profile_s": time.perf_counter() - t0}


def measure_pages(path: Path, rows: int, runs: int) -> dict:
    from sandbox_app.explore.paging import RowSource, ViewQuery

    def first():
        source = RowSource.prepare(path, ViewQuery(TABLE), known_rows=rows)
        source.read(0, PAGE)
        source.close()

    source = RowSource.prepare(path, ViewQuery(TABLE), known_rows=rows)
    deep = _median_ms(lambda: source.read(rows - PAGE - 10, PAGE), runs)
    source.close()

    def naive_fetchall():  # a model that loads the whole table first
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute(f"SELECT * FROM {TABLE}").fetchall()

    def naive_offset_deep():
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute(f"SELECT * FROM {TABLE} LIMIT {PAGE} OFFSET {rows - PAGE - 10}").fetchall()

    return {"first_page_ms": _median_ms(first, runs), "deep_page_ms": deep,
            "first_page_cold_ms": _cold(path, f"from sandbox_app.explore.paging import RowSource, ViewQuery\n"
                                              f"RowSource.prepare(p, ViewQuery({TABLE!r}), known_rows={rows})"
                                              f".read(0, {PAGE})"),
            "naive_fetchall_ms": _median_ms(naive_fetchall, 1),
            "naive_offset_deep_page_ms": _median_ms(naive_offset_deep, max(1, runs // 3))}


class _Clock:
    """A TaskState that notes when progress first arrives and can be told to stop at a given moment."""

    def __init__(self, stop_after_s: float | None = None) -> None:
        self.t0 = time.perf_counter()
        self.first_progress: float | None = None
        self.stop_at = None if stop_after_s is None else self.t0 + stop_after_s

    def set_progress(self, fraction: float, status: str = "") -> None:
        if self.first_progress is None:
            self.first_progress = time.perf_counter() - self.t0

    def is_cancelled(self) -> bool:
        return self.stop_at is not None and time.perf_counter() >= self.stop_at


def measure_sort(path: Path, rows: int) -> dict:
    from sandbox_app.explore.paging import RowSource, ViewQuery
    from synthetic.progress import Cancelled

    query = ViewQuery(TABLE).with_sort(SORT_COLUMN)
    clock = _Clock()
    source = RowSource.prepare(path, query, known_rows=rows, state=clock)
    total = time.perf_counter() - clock.t0
    source.read(rows // 2, PAGE)
    source.close()
    stop = _Clock(stop_after_s=min(0.1, total / 4))
    try:
        RowSource.prepare(path, query, known_rows=rows, state=stop)
        cancel_ms = None
    except Cancelled:
        cancel_ms = (time.perf_counter() - stop.stop_at) * 1000
    return {"sort_s": total, "sort_progress_ms": clock.first_progress * 1000, "sort_cancel_ms": cancel_ms,
            "sort_order_mb": rows * 8 / 1e6}


def _drag(view, seconds: float, work=None) -> dict:
    """Jump through the whole table in 100 steps and back (a step every seconds/200) while a 5 ms timer records
    the gaps between its ticks. `work`: call it instead of moving the view (the machine's reference job)."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer

    loop = QEventLoop()
    clock, gaps, last = QElapsedTimer(), [], [0]
    clock.start()

    def tick():
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    ticker = QTimer(interval=5)
    ticker.timeout.connect(tick)
    bar = view.table.verticalScrollBar() if view is not None else None
    steps = [0]

    def scroll():
        steps[0] += 1
        if work is not None:
            work()
            return
        fraction = (steps[0] % 200) / 100
        bar.setValue(int(bar.maximum() * (fraction if fraction <= 1 else 2 - fraction)))

    scroller = QTimer(interval=int(seconds * 1000 / 200))
    scroller.timeout.connect(scroll)
    ticker.start()
    QTimer.singleShot(200, loop.quit)  # settle the timer first
    loop.exec()
    gaps.clear()
    scroller.start()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    cpu = time.thread_time()  # the GUI thread's own CPU time: what the drag costs, whatever else the machine runs
    loop.exec()
    cpu = time.thread_time() - cpu
    ticker.stop()
    scroller.stop()
    return {"gaps": sorted(gaps[1:]), "steps": steps[0], "cpu_ms": cpu * 1000 / max(steps[0], 1)}


def _idle(seconds: float) -> list[float]:
    """The same timer with nothing to do at each step: the machine's own noise floor."""
    return _drag(None, seconds, work=lambda: None)["gaps"]


def _cpu_job(ms: float):
    """A pure-Python job calibrated to take `ms` of CPU: what this machine does to work of a repaint's size."""
    def spin(n):
        total = 0
        for i in range(n):
            total += i * i
        return total
    n = 100_000
    for _ in range(4):  # scale n until one call takes `ms` of CPU (the fastest of 3 calls, to skip noise)
        took = []
        for _ in range(3):
            t0 = time.thread_time()
            spin(n)
            took.append(time.thread_time() - t0)
        n = max(1, int(n * ms / 1000 / max(min(took), 1e-9)))
    return lambda: spin(n)


def measure_gui(path: Path, rows: int, seconds: float, rounds: int = 3) -> dict:
    """The GUI thread while dragging a PagedTableView (1200x800) through the table: ours (PagedGrid paints a
    repaint in one Python call) against the same view and model painted by QTableView itself (cell by cell,
    several Python calls a cell, text laid out by QStyledItemDelegate), in alternating rounds; the idle timer; and a fixed CPU job of our median jump's
    size on the same timer (the machine's own noise for that much work)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from sandbox_app.ui.common.paged_table import PagedTableView

    app = QApplication.instance() or QApplication([])
    runs: dict[str, list[dict]] = {"ours": [], "stock": []}
    pages = fetched = 0
    for _ in range(rounds):
        for kind in ("ours", "stock"):
            view = PagedTableView()
            view.table.stock_paint = kind == "stock"
            view.resize(1200, 800)
            view.show()
            loop = QEventLoop()
            view.model.ready.connect(loop.quit)
            view.open(path, TABLE, rows)
            loop.exec()
            runs[kind].append(_drag(view, seconds))
            if kind == "ours":
                pages, fetched = pages + view.model.pages_requested, fetched + view.model.rows_fetched()
            view.shutdown()
            view.deleteLater()
            app.processEvents()
    idle = _idle(min(1.0, seconds))
    job_ms = statistics.median(r["cpu_ms"] for r in runs["ours"])
    reference = _drag(None, seconds, work=_cpu_job(job_ms))

    def figures(prefix: str, rs: list[dict]) -> dict:
        gaps = sorted(g for r in rs for g in r["gaps"])
        return {f"{prefix}max_gap_ms": float(gaps[-1]), f"{prefix}median_gap_ms": float(statistics.median(gaps)),
                f"{prefix}p95_gap_ms": float(gaps[int(len(gaps) * 0.95)]),
                f"{prefix}p99_gap_ms": float(gaps[int(len(gaps) * 0.99)]),
                f"{prefix}gaps_over_50ms": sum(g > 50 for g in gaps), f"{prefix}ticks": len(gaps),
                f"{prefix}round_max_gaps_ms": [float(r["gaps"][-1]) for r in rs],
                f"{prefix}cpu_per_jump_ms": statistics.median(r["cpu_ms"] for r in rs),
                f"{prefix}scroll_steps": sum(r["steps"] for r in rs)}

    return {**figures("gui_", runs["ours"]), **figures("naive_gui_", runs["stock"]),
            **figures("gui_reference_", [reference]), "gui_reference_job_ms": job_ms,
            "gui_idle_max_gap_ms": float(idle[-1]), "gui_idle_median_gap_ms": float(statistics.median(idle)),
            "gui_rounds": rounds, "gui_pages_requested": pages, "gui_rows_fetched": fetched // rounds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="5,000 residents, few runs (seconds)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "city-sandbox-bench")
    args = parser.parse_args(argv)
    residents, runs, scroll_s, rounds = (5_000, 3, 0.5, 1) if args.tiny else (1_000_000, 15, 4.0, 3)
    path = city(args.cache, residents)
    from sandbox_app.explore.catalog import Catalog

    rows = Catalog(path, facilitator=True).table(TABLE).rows
    _log(f"{TABLE}: {rows:,} rows in {path.name} ({path.stat().st_size / 1e6:,.0f} MB)")
    result = {"residents": residents, "table_rows": rows, "db_mb": path.stat().st_size / 1e6}
    for name, fn in (("catalogue", lambda: measure_catalog(path, runs)),
                     ("window", lambda: measure_window(path)),
                     ("pages", lambda: measure_pages(path, rows, runs)),
                     ("sort", lambda: measure_sort(path, rows)),
                     ("gui", lambda: measure_gui(path, rows, scroll_s, rounds)),
                     ("session", lambda: measure_session(path, TABLE, SORT_COLUMN, "zip")),
                     ("city profile", lambda: measure_profile(path, 3))):
        _log(f"measuring {name}")
        result.update(fn())
    result["targets"] = {k: {"goal": f"< {v}", "met": result.get(k) is not None and result[k] < v}
                         for k, v in TARGETS.items()}
    result["machine"] = {"nproc": os.cpu_count(), "sqlite": sqlite3.sqlite_version, "python": sys.version.split()[0],
                         "load_average": list(os.getloadavg())}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    lines = [("catalogue open (stored row counts)", "catalog_open_ms", "naive_catalog_open_ms", "count(*) every table"),
             (f"first page of the {rows:,}-row table", "first_page_ms", "naive_fetchall_ms", "fetchall"),
             (f"deep page (row {rows - PAGE - 10:,})", "deep_page_ms", "naive_offset_deep_page_ms", "LIMIT/OFFSET")]
    for label, ours, naive, how in lines:
        print(f"{label:<40} {result[ours]:9.2f} ms   naive ({how}) {result[naive]:10.1f} ms   "
              f"x{result[naive] / max(result[ours], 1e-6):,.0f}")
    print(f"{'cold (fresh process): catalogue / first page':<40} {result['catalog_cold_ms']:9.2f} ms / "
          f"{result['first_page_cold_ms']:.2f} ms")
    print(f"{'explorer window, fresh process':<40} painted with its catalogue {result['window_shown_ms']:.0f} ms, "
          f"first table shown {result['window_first_table_ms']:.0f} ms")
    cancel = "n/a" if result["sort_cancel_ms"] is None else f"{result['sort_cancel_ms']:.1f} ms"
    print(f"{'sort by an unindexed column':<40} {result['sort_s']:9.2f} s    first progress "
          f"{result['sort_progress_ms']:.1f} ms, Stop takes {cancel}, order list {result['sort_order_mb']:.0f} MB")
    for label, prefix in (("GUI thread while scrolling", "gui_"), ("  naive (QTableView paints each cell)", "naive_gui_"),
                          (f"  a {result['gui_reference_job_ms']:.0f} ms CPU job a step, in one piece", "gui_reference_")):
        print(f"{label:<40} longest gap {result[prefix + 'max_gap_ms']:.0f} ms (per round "
              f"{', '.join(f'{g:.0f}' for g in result[prefix + 'round_max_gaps_ms'])}; median "
              f"{result[prefix + 'median_gap_ms']:.0f}, p95 {result[prefix + 'p95_gap_ms']:.0f}, p99 "
              f"{result[prefix + 'p99_gap_ms']:.0f} ms; {result[prefix + 'gaps_over_50ms']} of "
              f"{result[prefix + 'ticks']} over 50 ms), GUI thread CPU {result[prefix + 'cpu_per_jump_ms']:.1f} ms a step")
    print(f"{'  the timer alone (idle)':<40} longest gap {result['gui_idle_max_gap_ms']:.0f} ms (median "
          f"{result['gui_idle_median_gap_ms']:.0f} ms); ours read {result['gui_rows_fetched']:,} rows a round, "
          f"longest gap x{result['naive_gui_max_gap_ms'] / max(result['gui_max_gap_ms'], 1e-6):.2f} shorter than "
          f"naive, CPU x{result['naive_gui_cpu_per_jump_ms'] / max(result['gui_cpu_per_jump_ms'], 1e-6):.2f} less")
    for name, figures in result["session_steps"].items():
        print(f"{'session: ' + name:<40} {figures['s']:9.2f} s    longest GUI gap {figures['gap_ms']:.0f} ms")
    print(f"{'city profile (studio, after Generate)':<40} {result['profile_s']:9.2f} s    (worst of 3 "
          f"{result['profile_worst_s']:.2f} s)   naive (pandas, whole tables) {result['naive_profile_s']:.2f} s   "
          f"x{result['naive_profile_s'] / max(result['profile_s'], 1e-6):,.1f}")
    for key, target in result["targets"].items():
        print(f"target {key} {target['goal']}: {'met' if target['met'] else 'NOT met'}")
    print("SUMMARY " + " ".join(f"{k}={result[k]:.2f}" for k in TARGETS if result.get(k) is not None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
