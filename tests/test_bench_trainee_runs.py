"""benchmarks/bench_trainee.py still runs end to end and reports every figure (nothing about speed)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_trainee.py"


def test_trainee_benchmark_quick_run_reports_every_figure(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, str(BENCH), "--quick", "--json", "--cache", str(tmp_path)],
                          capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    for key in ("app_median_s", "bare_median_s", "ratio"):
        assert math.isfinite(result["launch"][key]) and result["launch"][key] > 0
    edit = result["edit"]
    for key in ("worker_median_s", "worker_p95_s", "with_debounce_median_s", "gui_longest_gap_s", "naive_median_s",
                "naive_gui_longest_gap_s", "preview_first_page_s", "eager_all_cells_s"):
        assert math.isfinite(edit[key]) and edit[key] >= 0, key
    assert edit["extract_rows"] > 0
    assert edit["preview_cells_formatted"] < edit["preview_cells_total"]  # the preview never formats every cell
