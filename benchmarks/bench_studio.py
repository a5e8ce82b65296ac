"""Benchmark of the studio editor's live validation on the largest built-in scenario.

    python benchmarks/bench_studio.py [--quick] [--json]

Each edit alternates between breaking the scenario (a misspelt key) and mending it, so every validation does
real work and the problem list really changes. Figures, each beside its naive baseline in the same run:
- keystroke -> result: from the edit to the problem list shown, through the real path (the editor's debounce, the
  worker, the result landing); the issue's target is < 1 s;
- typing: 20 keystrokes 60 ms apart (faster than the debounce, so validation restarts as you type), then
  the result; the longest gap of a 5 ms timer on the GUI thread over the whole burst is how long the
  window could not repaint or take a key (target: never > 50 ms);
- baseline: validating on the GUI thread (its gap is the whole parse).
Nothing here asserts a time; tests/test_bench_studio_runs.py only checks that --quick runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

BROKEN_KEY = "titel"


def _trainee_bench():
    """benchmarks/bench_trainee.py as a module, for its GapMeter and event-loop wait (one way to measure)."""
    spec = importlib.util.spec_from_file_location("bench_trainee", HERE / "bench_trainee.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def largest_builtin(into: Path) -> Path:
    """A writable copy (file and answers folder) of the largest built-in scenario."""
    from sandbox_app.scenario.builtins import builtin_scenarios

    source = max(builtin_scenarios().values(), key=lambda p: p.stat().st_size)
    shutil.copy2(source, into / source.name)
    answers = source.with_suffix("")
    if answers.is_dir():
        shutil.copytree(answers, into / answers.name)
    return into / source.name


def _toggle(editor, broken: bool) -> None:
    """Misspell (or mend) the first exercise's `title:` key, as a facilitator typing would."""
    from PySide6.QtGui import QTextCursor

    document = editor.editor.document()
    needle = f"    {'title' if broken else BROKEN_KEY}:"
    found = document.find(needle)
    if found.isNull():
        raise SystemExit(f"benchmark: {needle!r} not found in the scenario")
    cursor = QTextCursor(found)
    cursor.insertText(f"    {BROKEN_KEY if broken else 'title'}:")


def measure(runs: int, burst: int, settle: bool) -> dict:
    """The figures with the heap settled as the app does after its first paint (`settle`), or without."""
    import gc

    from PySide6.QtWidgets import QApplication

    from sandbox_app.ui.common import heap
    from sandbox_app.ui.studio.scenario_editor import ScenarioEditor, validate_text

    tb = _trainee_bench()
    app = QApplication.instance() or QApplication([])
    folder = Path(tempfile.mkdtemp(prefix="city-sandbox-bench-studio-"))
    path = largest_builtin(folder)
    editor = ScenarioEditor()
    editor.resize(1000, 700)
    editor.show()
    landed = []
    editor.problems_changed.connect(lambda problems: landed.append(len(problems)))
    size_kb = round(path.stat().st_size / 1024)
    editor.open_file(path)
    tb._wait(app, lambda: landed, idle=True)
    if landed[-1]:
        raise SystemExit(f"benchmark: {path.name} does not validate ({landed[-1]} problems)")
    if settle:
        heap.settle()  # what run_window does once the window is up
    else:
        gc.unfreeze()

    gaps = tb.GapMeter()
    state = {"broken": False}

    def flip() -> None:  # one keystroke's worth of change: break the scenario, or mend it
        _toggle(editor, not state["broken"])
        state["broken"] = not state["broken"]

    def settled() -> bool:
        return bool(landed) and not editor.checking

    def check() -> None:
        if bool(landed[-1]) != state["broken"]:
            raise SystemExit("benchmark: the problem list does not reflect the edit")

    latency, burst_gaps, burst_latency = [], [], []
    for _ in range(runs):  # one keystroke, then wait
        landed.clear()
        gaps.start()
        t0 = time.perf_counter()
        flip()
        tb._wait(app, settled, idle=True)
        latency.append(time.perf_counter() - t0)
        gaps.stop()
        check()
    from PySide6.QtCore import QTimer

    typed: list[float] = []
    for _ in range(runs):  # a burst of keystrokes faster than the debounce, then the result
        typed.clear()
        gaps.start()
        for i in range(burst):
            QTimer.singleShot(60 * i, lambda: (flip(), typed.append(time.perf_counter())))
        tb._wait(app, lambda: len(typed) == burst, idle=True)
        landed.clear()
        tb._wait(app, settled, idle=True)
        burst_latency.append(time.perf_counter() - typed[-1])
        burst_gaps.append(gaps.stop())
        check()
    text, file, base = editor.text(), str(path), path.parent
    naive = []
    for _ in range(runs):
        t0 = time.perf_counter()
        validate_text(text, file, base)
        naive.append(time.perf_counter() - t0)
    editor.shutdown()
    editor.close()
    shutil.rmtree(folder, ignore_errors=True)
    from sandbox_app.ui.studio.scenario_editor import DEBOUNCE_MS

    return {"scenario": path.name, "scenario_kb": size_kb, "runs": runs, "debounce_ms": DEBOUNCE_MS,
            "keystroke_to_result_median_s": statistics.median(latency), "keystroke_to_result_max_s": max(latency),
            "burst_keys": burst, "burst_last_key_to_result_median_s": statistics.median(burst_latency),
            "gui_longest_gap_s": max(burst_gaps), "gui_longest_gap_median_s": statistics.median(burst_gaps),
            "naive_validate_on_gui_median_s": statistics.median(naive)}


def render(result: dict) -> str:
    r, raw = result["settled"], result["unsettled"]
    ms = lambda s: f"{s * 1000:,.0f} ms"  # noqa: E731
    return "\n".join([
        f"live validation of {r['scenario']} ({r['scenario_kb']} KB), {r['runs']} runs:",
        f"keystroke -> problem list: median {ms(r['keystroke_to_result_median_s'])}, worst "
        f"{ms(r['keystroke_to_result_max_s'])} ({r['debounce_ms']} ms of it is the debounce; target < 1 s)",
        f"typing {r['burst_keys']} keys 60 ms apart: last key -> result median "
        f"{ms(r['burst_last_key_to_result_median_s'])}; GUI thread longest gap {ms(r['gui_longest_gap_s'])} "
        f"(median of runs {ms(r['gui_longest_gap_median_s'])}; target 50 ms)",
        f"naive, validating on the GUI thread: the window is frozen {ms(r['naive_validate_on_gui_median_s'])} per "
        f"validation, {r['naive_validate_on_gui_median_s'] / max(r['gui_longest_gap_s'], 1e-9):.0f}x the longest "
        f"gap above",
        f"without settling the heap (gc.freeze after start-up, ui/common/heap.py): longest gap "
        f"{ms(raw['gui_longest_gap_s'])} (median of runs {ms(raw['gui_longest_gap_median_s'])}), "
        f"{raw['gui_longest_gap_s'] / max(r['gui_longest_gap_s'], 1e-9):.1f}x",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    runs, burst = (2, 4) if args.quick else (7, 20)
    result = {"unsettled": measure(runs, burst, settle=False), "settled": measure(runs, burst, settle=True)}
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
