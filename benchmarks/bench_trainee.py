"""Benchmark of the trainee window: launch, edit → meter on a 100k-row extract, and the extract preview.

    python benchmarks/bench_trainee.py [--quick] [--json]

Each figure runs beside its naive baseline in the same run, and ratios are printed:
- launch: `city-sandbox` to the start screen's first paint (CITY_SANDBOX_QUIT_AFTER_PAINT=1), against a bare
  PySide6 window doing the same (the floor: Python + Qt start-up);
- edit → meter: one field's operation changes (alternating between two shares, so nothing is replayed), then
  the real path (LiveScorer: debounce, cancellation, stale-result check) until the meter shows the new
  figures, twice: through the scoring process (the app's default) and through the worker thread (the old
  path, still the fallback), with ratios; baseline: scoring on the GUI thread. A 5 ms timer on the GUI thread
  records its longest gap: how long the window could not repaint;
- preview: first page of the extract in the table view, and a jump to its last row; baseline: building every
  cell's text up front, the way a widget-per-cell table would.
Nothing here asserts a time; tests/test_benchmark_runs.py only checks that --quick runs.
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

BARE_WINDOW = """
import sys, time
t0 = time.perf_counter()
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication(sys.argv)
w = QLabel("bare window")
class F(QObject):
    def eventFilter(self, o, e):
        if e.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, app.quit)
        return False
f = F(); w.installEventFilter(f); w.resize(1366, 768); w.show(); app.exec()
print(f"first paint after {time.perf_counter() - t0:.3f} s")
"""


@functools.cache
def _bench():
    """benchmarks/bench.py as a module: its benchmark city, its share and its median/p95, so both scripts
    measure the same way."""
    spec = importlib.util.spec_from_file_location("bench", HERE / "bench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def _median_p95(samples: list[float]) -> tuple[float, float]:
    return _bench()._median_p95(samples)


def launch(runs: int, data: Path) -> dict:
    env = {**os.environ, "CITY_SANDBOX_QUIT_AFTER_PAINT": "1", "CITY_SANDBOX_DATA": str(data)}
    app, bare = [], []
    for _ in range(runs):
        for command, out in (([sys.executable, "-m", "sandbox_app"], app), ([sys.executable, "-c", BARE_WINDOW], bare)):
            t0 = time.perf_counter()
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
            if done.returncode != 0:
                raise SystemExit(f"launch failed: {done.stderr[-500:]}")
            out.append(time.perf_counter() - t0)
    return {"app_median_s": statistics.median(app), "bare_median_s": statistics.median(bare),
            "ratio": statistics.median(app) / statistics.median(bare), "runs": runs}


def _wait(app, condition, seconds: float = 300, idle: bool = False) -> None:
    """Run the event loop until `condition()`; `idle` sleeps in the loop (as `exec()` does) instead of polling."""
    from PySide6.QtCore import QEventLoop

    flags = QEventLoop.ProcessEventsFlag.AllEvents
    if idle:
        flags |= QEventLoop.ProcessEventsFlag.WaitForMoreEvents
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        if idle:
            app.processEvents(flags)
        else:
            app.processEvents(flags, 5)


class GcMeter:
    """How long the window's own process spent in garbage collections (each holds the GIL: the GUI waits)."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._started = 0.0

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started:
            self.pauses.append(time.perf_counter() - self._started)

    def __enter__(self) -> GcMeter:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc) -> None:
        gc.callbacks.remove(self._callback)


class GapMeter:
    """A 5 ms timer on the GUI thread; the longest gap between its ticks is how long the GUI was blocked."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.last = None
        self.longest = 0.0
        self.gaps: list[float] = []  # every gap since the meter was made (over all start/stop periods)

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.last is not None:
            self.longest = max(self.longest, now - self.last)
            self.gaps.append(now - self.last)
        self.last = now

    def over(self, seconds: float = 0.05) -> float:
        """The share of gaps longer than `seconds`."""
        return sum(g > seconds for g in self.gaps) / max(len(self.gaps), 1)

    def start(self) -> None:
        self.last, self.longest = time.perf_counter(), 0.0
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        return self.longest


def city(quick: bool, cache: Path) -> tuple[Path, object, dict]:
    from sandbox_app.scenario.loader import load_scenario

    bench = _bench()
    return bench.bench_city_db(cache, 20_000 if quick else None), load_scenario(str(bench.BENCH_CITY)), bench.SHARE


def _meter_runs(app, page, runs: int, mode: str) -> dict:
    """2 x `runs` edits of one field: the first `runs` tick the 5 ms gap timer, the rest time the latency with
    the loop idle, as exec() is (the timer's frequent wake-ups would themselves slow a worker thread)."""
    gaps = GapMeter()
    worker, debounced, gui_gaps, via_process, edit_calls = [], [], [], [], []
    fired: list[float] = []
    shown: list[float] = []
    scorer = page.scorer
    scorer.timer.timeout.connect(lambda: fired.append(time.perf_counter()))  # when the debounce ends
    scorer.scored.connect(lambda _report: shown.append(time.perf_counter()))  # the meter has the figures
    with GcMeter() as collections:
        for i in range(2 * runs + 1):
            timing = i > runs  # run 0 is a warm-up: the first score through this path
            op = {"op": "drop"} if i % 2 == 0 else {"op": "keep"}  # each edit differs from the one before
            fired.clear()
            shown.clear()
            if 0 < i <= runs:
                gaps.start()
            t0 = time.perf_counter()
            page.editor.edit({"edit": "set_field", "table": "clinic_patients", "field": "sex", "op": op}, "bench")
            edit_calls.append(time.perf_counter() - t0)  # the edit itself, on the GUI thread (builder, JSON, save)
            _wait(app, lambda: bool(shown) and not scorer.runner.busy, 120, idle=timing)
            if not shown:
                raise SystemExit("the meter never updated after an edit")
            via_process.append(scorer.via_process)
            if timing:
                debounced.append(shown[0] - t0)
                worker.append(shown[0] - fired[0])
            elif i:
                gui_gaps.append(gaps.stop())
    if via_process.count(mode == "process") != len(via_process):
        raise SystemExit(f"the {mode} path was not the one measured")
    w_med, w_p95 = _median_p95(worker)
    d_med, d_p95 = _median_p95(debounced)
    return {"worker_median_s": w_med, "worker_p95_s": w_p95, "with_debounce_median_s": d_med,
            "with_debounce_p95_s": d_p95, "gui_longest_gap_s": max(gui_gaps),
            "gui_gap_median_s": statistics.median(gui_gaps), "gui_gap_p95_s": _median_p95(gaps.gaps)[1],
            "gui_gaps_over_50ms": gaps.over(0.05), "gui_ticks": len(gaps.gaps),
            "edit_call_longest_s": max(edit_calls), "gc_pauses": len(collections.pauses), "gc_longest_s": max(collections.pauses, default=0.0)}


def _open(app, page, session, share, mode: str) -> dict:
    """Open the city in `mode`, put the benchmark share on screen, and wait until that mode can score it."""
    from sandbox_app.ui.trainee.process_scoring import MODE_VARIABLE

    os.environ[MODE_VARIABLE] = mode
    t0 = time.perf_counter()
    page.open_session(session)
    page.editor.edit({"edit": "replace", "document": share}, "bench share")
    opened = time.perf_counter() - t0  # GUI thread time: opening the exercise, the first edit, starting the process
    _wait(app, lambda: page.live_report is not None and not page.scorer.runner.busy)
    ready = 0.0
    if mode == "process":
        _wait(app, lambda: page.process_scorer.ready or page.process_scorer.dead, idle=True)
        if not page.process_scorer.ready:
            raise SystemExit("the scoring process did not start")
        ready = time.perf_counter() - t0
    return {"open_gui_s": opened, "process_ready_s": ready}


def _preview(page) -> dict:
    """First page of the live extract in the table view, and a jump to its last row."""
    model, frame = page.preview_model, page.live_report.extract.frame
    model.set_frame(frame.slice(0, 0) if hasattr(frame, "column_names") else frame.iloc[0:0])
    t0 = time.perf_counter()
    model.set_frame(frame)
    page.preview.repaint()
    first_page = time.perf_counter() - t0
    t0 = time.perf_counter()
    page.preview.scrollToBottom()
    page.preview.repaint()
    return {"preview_first_page_s": first_page, "preview_to_end_s": time.perf_counter() - t0}


def edit_to_meter(quick: bool, cache: Path, data: Path) -> dict:
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(data / "settings"))
    from sandbox_app.privacy.score import score_share
    from sandbox_app.sharing import parse_share_text
    from sandbox_app.ui.app import make_app
    from sandbox_app.ui.common.frame_model import FrameModel
    from sandbox_app.ui.trainee.exercise_page import ExercisePage
    from sandbox_app.workspace.city import open_city
    from sandbox_app.workspace.store import Workspace

    app = make_app()
    db_path, scenario, share = city(quick, cache)
    session = open_city("bench-city", scenario=scenario, database=db_path)
    workspace = Workspace.open(data / "workspace.db")
    page = ExercisePage(workspace)
    page.resize(1366, 768)
    page.show()
    runs = 6 if quick else 20
    idle = GapMeter()  # the noise floor: the same timer with nothing to do (other jobs on the machine show here)
    idle.start()
    _wait(app, lambda: False, 1.0, idle=True)
    idle_gap = idle.stop()
    idle_over = idle.over(0.05)
    paths = {}
    for mode in ("process", "thread"):  # the scoring process (the app's default), then the worker thread
        opened = _open(app, page, session, share, mode)
        paths[mode] = {**opened, **_meter_runs(app, page, runs, mode), **_preview(page)}
    # The naive way: score on the GUI thread, the window frozen meanwhile.
    gaps = GapMeter()
    naive, naive_gaps = [], []
    document = parse_share_text(json.dumps(share))
    for _ in range(max(3, runs // 3)):
        gaps.start()
        t0 = time.perf_counter()
        _wait(app, lambda: True, 0)
        score_share(session.db, scenario, scenario.exercises[0], document)
        app.processEvents()
        naive.append(time.perf_counter() - t0)
        naive_gaps.append(gaps.stop())
    extract = page.live_report.extract
    rows = len(extract.frame)
    formatted = page.preview_model.cells_formatted
    t0 = time.perf_counter()
    eager = FrameModel(extract.frame)
    _ = [[eager.data(eager.index(r, c)) for c in range(eager.columnCount())] for r in range(eager.rowCount())]
    eager_s = time.perf_counter() - t0
    page.shutdown()
    workspace.close()
    session.close()
    n_med, _ = _median_p95(naive)
    process, thread = paths["process"], paths["thread"]
    return {"extract_rows": rows, "runs": runs, **process, "thread": thread,
            "thread_over_process": {key: thread[key] / max(process[key], 1e-9) for key in
                                    ("worker_median_s", "worker_p95_s", "gui_longest_gap_s", "gui_gap_median_s",
                                     "gui_gap_p95_s")},
            "naive_median_s": n_med, "naive_gui_longest_gap_s": max(naive_gaps), "gui_idle_longest_gap_s": idle_gap,
            "gui_idle_over_50ms": idle_over,
            "preview_cells_formatted": formatted, "preview_cells_total": rows * len(extract.frame.columns),
            "eager_all_cells_s": eager_s, "load_average": list(os.getloadavg())}


def render(result: dict) -> str:
    la, em = result["launch"], result["edit"]
    th, ratio = em["thread"], em["thread_over_process"]
    ms = lambda s: f"{s * 1000:,.0f} ms"  # noqa: E731
    lines = [
        f"launch to first paint: {la['app_median_s']:.2f} s (bare PySide6 window {la['bare_median_s']:.2f} s, "
        f"{la['ratio']:.1f}x the floor; {la['runs']} runs)",
        f"edit -> meter, {em['extract_rows']:,}-row extract, scoring process: median {ms(em['worker_median_s'])}, "
        f"p95 {ms(em['worker_p95_s'])}; with the 150 ms debounce median {ms(em['with_debounce_median_s'])}",
        f"  worker thread (the old path): median {ms(th['worker_median_s'])}, p95 {ms(th['worker_p95_s'])} "
        f"({ratio['worker_median_s']:.2f}x / {ratio['worker_p95_s']:.2f}x the process)",
        f"GUI thread longest gap while scoring: process {ms(em['gui_longest_gap_s'])} (median of runs "
        f"{ms(em['gui_gap_median_s'])}); thread {ms(th['gui_longest_gap_s'])} (median {ms(th['gui_gap_median_s'])}; "
        f"{ratio['gui_longest_gap_s']:.1f}x); naive, scoring on the GUI thread: {ms(em['naive_gui_longest_gap_s'])}; "
        f"idle for 1 s (the noise floor): {ms(em['gui_idle_longest_gap_s'])}",
        f"  5 ms ticks: p95 gap process {ms(em['gui_gap_p95_s'])}, thread {ms(th['gui_gap_p95_s'])}; gaps over 50 ms: "
        f"process {em['gui_gaps_over_50ms']:.1%} of {em['gui_ticks']:,}, thread {th['gui_gaps_over_50ms']:.1%} of "
        f"{th['gui_ticks']:,}, idle {em['gui_idle_over_50ms']:.1%}",
        f"  the edit itself (builder, JSON tab, saving; before any scoring), longest: process path "
        f"{ms(em['edit_call_longest_s'])}, thread path {ms(th['edit_call_longest_s'])}",
        f"  garbage collections in the window's process while scoring: process path {em['gc_pauses']} (longest "
        f"{ms(em['gc_longest_s'])}), thread path {th['gc_pauses']} (longest {ms(th['gc_longest_s'])})",
        f"opening the exercise (GUI thread): process {ms(em['open_gui_s'])}, thread {ms(th['open_gui_s'])}; "
        f"scoring process ready {em['process_ready_s']:.2f} s after (the window scores by itself meanwhile)",
        f"preview: first page {ms(em['preview_first_page_s'])} from the process's Arrow file "
        f"({ms(th['preview_first_page_s'])} from the thread's DataFrame), jump to the last row "
        f"{ms(em['preview_to_end_s'])}; {em['preview_cells_formatted']:,} of {em['preview_cells_total']:,} cells ever "
        f"formatted (formatting all up front: {ms(em['eager_all_cells_s'])})",
        f"load average during the run: {' '.join(f'{x:.1f}' for x in em['load_average'])} (2 CPUs shared)",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 20,000-resident city and fewer runs")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "city-sandbox-bench")
    args = parser.parse_args(argv)
    data = Path(tempfile.mkdtemp(prefix="city-sandbox-bench-trainee-"))
    os.environ["CITY_SANDBOX_DATA"] = str(data)
    result = {"launch": launch(2 if args.quick else 5, data), "edit": edit_to_meter(args.quick, args.cache, data)}
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
