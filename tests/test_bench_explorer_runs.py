"""The explorer benchmark still runs end to end and reports every figure (it asserts nothing about speed)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_explorer.py"
KEYS = ["catalog_open_ms", "naive_catalog_open_ms", "first_page_ms", "deep_page_ms", "naive_fetchall_ms",
        "naive_offset_deep_page_ms", "sort_s", "sort_progress_ms", "gui_max_gap_ms", "gui_idle_max_gap_ms",
        "gui_cpu_per_jump_ms", "naive_gui_max_gap_ms", "naive_gui_cpu_per_jump_ms", "gui_reference_max_gap_ms",
        "gui_p99_gap_ms", "session_max_gap_ms", "window_shown_ms", "window_first_table_ms", "profile_s", "naive_profile_s"]


def test_explorer_benchmark_tiny_run_reports_every_figure(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, str(BENCH), "--tiny", "--json", "--cache", str(tmp_path)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    for key in KEYS:
        assert isinstance(result[key], int | float) and math.isfinite(result[key]) and result[key] >= 0, key
    assert result["table_rows"] == 5_000 and result["gui_rows_fetched"] < result["table_rows"] * 2
    assert len(result["session_steps"]) == 9 and all(s["s"] >= 0 for s in result["session_steps"].values())
    assert set(result["targets"]) == {"session_max_gap_ms", "catalog_open_ms", "window_shown_ms", "first_page_ms", "deep_page_ms", "sort_progress_ms",
                                      "sort_cancel_ms", "gui_max_gap_ms"}
