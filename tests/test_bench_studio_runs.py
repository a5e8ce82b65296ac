"""benchmarks/bench_studio.py still runs end to end and reports every figure (nothing about speed), and the heap
settling it measures keeps objects made later collectable."""

from __future__ import annotations

import gc
import json
import math
import os
import subprocess
import sys
from pathlib import Path

from sandbox_app.ui.common import heap

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_studio.py"


def test_studio_benchmark_quick_run_reports_every_figure():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, str(BENCH), "--quick", "--json"], capture_output=True, text=True,
                          timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    for variant in ("settled", "unsettled"):
        figures = result[variant]
        assert figures["scenario"].endswith(".yaml") and figures["runs"] == 2
        for key in ("keystroke_to_result_median_s", "keystroke_to_result_max_s", "burst_last_key_to_result_median_s",
                    "gui_longest_gap_s", "gui_longest_gap_median_s", "naive_validate_on_gui_median_s"):
            assert math.isfinite(figures[key]) and figures[key] > 0, (variant, key)


def test_settle_freezes_what_exists_and_later_cycles_are_still_collected():
    class Node:
        pass

    before = heap.settle()
    assert before == gc.get_freeze_count() > 0
    node = Node()
    node.me = node  # a reference cycle made after settling: still garbage-collected
    collected = []
    import weakref

    weakref.finalize(node, collected.append, True)
    del node
    gc.collect()
    assert collected == [True]
