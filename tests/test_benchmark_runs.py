"""The benchmark script still runs end to end and reports every figure (it asserts nothing about speed)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench.py"
SUMMARY_KEYS = ["gen_vs_naive", "gen_vs_naive_pragmas", "gen_vs_write_limit", "naive_records_per_s",
                "naive_pragmas_records_per_s", "gen_records_per_s",
                "write_limit_records_per_s", "gen_peak_rss_mb", "score_cold_ms", "score_median_ms",
                "score_p95_ms", "score_naive_ms", "score_change_median_ms", "score_change_p95_ms",
                "score_change_first_ms", "score_cold_process_s", "score_cold_cpu_s", "score_cold_naive_process_s",
                "score_cold_naive_cpu_s", "score_cold_vs_naive", "score_cold_cpu_vs_naive", "read_cold_process_s", "help_s", "help_python_s",
                "help_python_pandas_s", "linkage_s", "peak_rss_mb"]


def test_benchmark_quick_run_reports_every_figure(tmp_path):
    """CI runs the quick mode once, from an empty cache, so the script cannot rot (about 20 s)."""
    proc = subprocess.run([sys.executable, str(BENCH), "--json", "--cache", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)  # --json: one object, nothing else on stdout
    for key in SUMMARY_KEYS:
        value = result[key]
        assert isinstance(value, int | float) and math.isfinite(value) and value > 0, (key, value)
    assert set(result["targets"]) >= {"gen_vs_naive", "gen_vs_write_limit", "score_median_ms", "linkage_s",
                                      "score_change_median_ms", "score_cold_process_s", "help_s"}
    assert all(isinstance(t["met"], bool) for t in result["targets"].values())
    details = result["details"]
    assert details["score"]["extract_rows"] > 0
    assert details["score"]["changed_op"] != {"op": "generalize", "to": "year"}  # the edit is a real change
    assert details["score_cold"]["verdict"] == details["score"]["verdict"] == details["score_cold_naive"]["verdict"]
    assert details["generate"]["rows"]["_residents"] == 20_000
    assert result["machine"]["nproc"] >= 1
