"""Benchmarks: generation against a naive baseline and this machine's SQLite write limit, scale, and scoring.

    python benchmarks/bench.py            # quick (well under a minute)
    python benchmarks/bench.py --full     # 100k-resident generation, 1M-resident scale run, 1M-row linkage
    python benchmarks/bench.py --json     # one JSON object on stdout, nothing else
    python benchmarks/bench.py --tiny     # seconds; what the test runs so the script cannot rot

Every measurement runs in a fresh subprocess (this file with ``--child KIND``) that reports its own peak RSS,
so one measurement's memory never counts against another. See benchmarks/README.md for what each figure means.
Targets are printed as met or not; the script never fails on them.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCH_CITY = HERE / "bench_city.yaml"
GEN_SCENARIO = "winter-storm"
SIZES = {  # mode -> sizes
    "tiny": dict(repeats=1, naive_records=40, naive_pragmas_records=200, gen_residents=2_000,
                 bench_residents=10_000, score_runs=3, breakdown_runs=2, help_runs=2, cold_runs=1,
                 link_extract=10_000, link_reference=100_000),
    "quick": dict(repeats=3, naive_records=300, naive_pragmas_records=3_000, gen_residents=20_000,
                  bench_residents=None, score_runs=15, breakdown_runs=5, help_runs=3, cold_runs=2,
                  link_extract=100_000, link_reference=1_000_000),
    "full": dict(repeats=3, naive_records=1_000, naive_pragmas_records=3_000, gen_residents=100_000,
                 bench_residents=None, score_runs=15, breakdown_runs=5, help_runs=5, cold_runs=3,
                 link_extract=100_000, link_reference=1_000_000, scale_residents=1_000_000, real_link_residents=1_400_000),
}
TARGETS = {  # summary key -> (comparison, goal, label)
    "gen_vs_naive": (">=", 20.0, "generation vs naive (x)"),
    "gen_vs_naive_pragmas": (">=", 20.0, "generation vs naive with PRAGMAs (x)"),
    "gen_vs_write_limit": (">=", 0.5, "generation vs write limit (share)"),
    "scale_s": ("<", 60.0, "1M residents (s)"),
    "scale_peak_rss_mb": ("<", 1024.0, "1M residents peak RSS (MB)"),
    "score_median_ms": ("<", 100.0, "score {score} extract, median (ms)"),
    "score_change_median_ms": ("<", 150.0, "score after a one-field edit, median (ms)"),
    "score_cold_process_s": ("<", 3.0, "cold first score, fresh process (s)"),
    "score_cold_cpu_s": ("<", 3.0, "cold first score, fresh process, CPU (s)"),
    "help_s": ("<", 0.5, "city-sandbox --help (s)"),
    "linkage_s": ("<", 2.0, "linkage {synthetic}, synthetic (s)"),
    "linkage_real_s": ("<", 2.0, "linkage {real}, run_linkage (s)"),
}
SHARE = {  # the realistic share: pseudonymous id, birth year, zip3, a health field, a row filter
    "format": "city-sandbox/share@1", "scenario": "bench-city", "exercise": "capacity-planning",
    "purpose": "clinic_capacity_planning", "destroy_by": "2026-12-31", "deidentified": False,
    "redisclosure_notice": False, "aggregate": None,
    "tables": [{"table": "clinic_patients", "where": "programme != 'dental'",
                "fields": {"patient_id": {"op": "pseudonym"}, "birth_date": {"op": "generalize", "to": "year"},
                           "sex": {"op": "keep"}, "zip": {"op": "generalize", "to": "zip3"},
                           "neighbourhood": {"op": "keep"}, "diagnosis": {"op": "keep"}}}],
}
# "Score after changing one field": the live meter's cost. The share alternates between SHARE and this edit of
# one field op (birth date to month instead of year), so no run replays the share scored just before it.
CHANGED_FIELD = ("birth_date", {"op": "generalize", "to": "month"})
# The classic attack (Sweeney): exact birth date, sex and ZIP, for the linkage timings.
LINK_FIELDS = {"patient_id": {"op": "pseudonym"}, "birth_date": {"op": "keep"}, "sex": {"op": "keep"},
               "zip": {"op": "keep"}, "diagnosis": {"op": "keep"}}


# ------------------------------------------------------------------------------------------ children

def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def _count_rows(path: str) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def child_naive(scenario: str, out: str, records: int, pragmas: bool) -> dict:
    from naive import generate_naive

    from sandbox_app.scenario.loader import load_scenario
    spec = load_scenario(scenario)
    base = _peak_rss_mb()
    result = generate_naive(spec, out, records, pragmas=pragmas)
    return {**result, "rows": _count_rows(out), "rss_after_import_mb": base}


def child_generate(scenario: str, out: str, residents: int) -> dict:
    from sandbox_app.scenario.loader import load_scenario
    from synthetic.generate import generate_city
    spec = load_scenario(scenario)
    base = _peak_rss_mb()
    started = time.perf_counter()
    generate_city(spec, out, residents=residents, scenario_name=spec.name)
    seconds = time.perf_counter() - started
    rss = _peak_rss_mb()
    rows = _count_rows(out)
    return {"seconds": seconds, "records": sum(rows.values()), "rows": rows, "rss_after_import_mb": base,
            "peak_rss_mb": rss}


def child_write_limit(source: str, out: str) -> dict:
    """Raw executemany of the generator's own rows, read into memory first: this machine's write limit."""
    with contextlib.closing(sqlite3.connect(source)) as conn:
        tables = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY rowid")
        tables = tables.fetchall()
        data = [(name, sql, conn.execute(f'SELECT * FROM "{name}"').fetchall()) for name, sql in tables]
    base = _peak_rss_mb()
    started = time.perf_counter()
    conn = sqlite3.connect(out, isolation_level=None)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -200000")
    conn.execute("BEGIN")
    for name, sql, rows in data:
        conn.execute(sql)
        if rows:
            conn.executemany(f'INSERT INTO "{name}" VALUES ({", ".join("?" * len(rows[0]))})', rows)
    conn.execute("COMMIT")
    conn.close()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "records": sum(len(rows) for _, _, rows in data), "rss_after_import_mb": base}


def _median_p95(samples: list[float]) -> tuple[float, float]:
    import numpy as np
    return float(np.median(samples)), float(np.percentile(samples, 95))


def child_score(db_path: str, scenario: str, runs: int, breakdown_runs: int) -> dict:
    from sandbox_app.privacy.linkage import run_linkage
    from sandbox_app.privacy.metrics import risk_metrics
    from sandbox_app.privacy.score import score_share
    from sandbox_app.scenario.loader import load_scenario
    from sandbox_app.sharing import CityDatabase, apply_share, parse_share_text
    spec = load_scenario(scenario)
    share = parse_share_text(json.dumps(SHARE))
    exercise = spec.exercises[0]
    base = _peak_rss_mb()
    started = time.perf_counter()
    db = CityDatabase(db_path)
    report = score_share(db, spec, exercise.id, share)
    cold = time.perf_counter() - started
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        report = score_share(db, spec, exercise.id, share)
        times.append(time.perf_counter() - t0)
    median, p95 = _median_p95(times)
    # One-field edits, alternating: A, B, A, B … (each run differs from the one before it in one field op).
    changed = json.loads(json.dumps(SHARE))
    changed["tables"][0]["fields"][CHANGED_FIELD[0]] = CHANGED_FIELD[1]
    variants = [parse_share_text(json.dumps(changed)), share]
    t0 = time.perf_counter()
    score_share(db, spec, exercise.id, variants[0])  # the first time this op is seen: its column is computed
    first_change = time.perf_counter() - t0
    change_times = []
    for i in range(1, runs + 1):
        t0 = time.perf_counter()
        score_share(db, spec, exercise.id, variants[i % 2])
        change_times.append(time.perf_counter() - t0)
    change_median, change_p95 = _median_p95(change_times)
    # Where the time goes: the stages score_share runs, timed on their own (warm).
    part = report.extract.parts[0]
    stages = {"apply_share": lambda: apply_share(db, share, holding_department=exercise.holding_department),
              "risk_metrics": lambda: risk_metrics(part.frame, ["birth_date", "sex", "zip", "neighbourhood"],
                                                   ["diagnosis"]),
              "run_linkage": lambda: run_linkage(db, part, spec.reference_date)}
    breakdown = {}
    for name, fn in stages.items():
        samples = []
        for _ in range(breakdown_runs):
            t0 = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t0)
        breakdown[name + "_median_ms"] = _median_p95(samples)[0] * 1000
    # The baseline: the same risk figures the naive pandas way (groupby, merge), tables already in memory.
    from naive_score import naive_score
    roll = db.read_table(db.reference_table())
    roll_truth = db.truth(db.reference_table()).reindex(roll["_row_id"]).to_numpy()
    naive_times = []
    for _ in range(breakdown_runs):
        t0 = time.perf_counter()
        naive = naive_score(part.frame, part.truth, roll, roll_truth)
        naive_times.append(time.perf_counter() - t0)
    return {"extract_rows": len(part.frame), "table_rows": part.rows_before_filter, "cold_s": cold,
            "median_s": median, "p95_s": p95, "runs": runs,
            "change_first_s": first_change, "change_median_s": change_median, "change_p95_s": change_p95,
            "changed_field": CHANGED_FIELD[0], "changed_op": CHANGED_FIELD[1],
            "naive_median_s": _median_p95(naive_times)[0], "naive": naive, "verdict": report.verdict,
            "privacy_score": report.privacy_score, "usefulness_score": report.usefulness_score,
            "rules_fired": sorted({f.rule for f in report.findings}), "metrics": report.metrics.to_dict(),
            "reference_rows": len(db.read_table(db.reference_table(), ["sex"])),
            "breakdown": breakdown, "rss_after_import_mb": base, "peak_rss_mb": _peak_rss_mb()}


def _naive_cold() -> None:
    """The cold path as it was (the naive baseline of the cold score): every column read by
    pd.read_sql_query, and one `hmac.digest` call per pseudonymised value."""
    import hmac

    from sandbox_app.sharing import database, transforms

    database.read_columns = lambda *args, **kwargs: None
    transforms.hmac_sha256_hex16 = lambda key, texts: [hmac.digest(key, t.encode(), "sha256").hex()[:16]
                                                       for t in texts]


def child_score_cold(db_path: str, scenario: str, naive: bool = False) -> dict:
    """Everything a fresh `city-sandbox score` process does before its first report, each step timed (wall,
    and this process's CPU seconds, which other processes' load inflates much less)."""
    t0, c0 = time.perf_counter(), time.process_time()
    from sandbox_app.privacy.score import score_share
    from sandbox_app.scenario.loader import load_scenario
    from sandbox_app.sharing import CityDatabase, parse_share_text
    if naive:
        _naive_cold()
    t1 = time.perf_counter()
    spec = load_scenario(scenario)
    share = parse_share_text(json.dumps(SHARE))
    t2 = time.perf_counter()
    db = CityDatabase(db_path)
    report = score_share(db, spec, spec.exercises[0].id, share)
    t3 = time.perf_counter()
    return {"import_s": t1 - t0, "load_scenario_s": t2 - t1, "first_score_s": t3 - t2,
            "cpu_s": time.process_time() - c0, "verdict": report.verdict, "peak_rss_mb": _peak_rss_mb()}


def child_read_cold(db_path: str) -> dict:
    """The baseline for the cold score: a fresh process that imports pandas and reads, whole, the tables a
    score of SHARE reads (the extract's table, the voter roll, the residents, the ground truth)."""
    t0 = time.perf_counter()
    import pandas as pd
    t1 = time.perf_counter()
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        rows = sum(len(pd.read_sql_query(f"SELECT * FROM {table}", conn))
                   for table in ("clinic_patients", "public_voter_roll", "_residents", "_ground_truth"))
    t2 = time.perf_counter()
    return {"import_s": t1 - t0, "read_s": t2 - t1, "rows": rows, "peak_rss_mb": _peak_rss_mb()}


def child_linkage_synthetic(db_path: str, extract_rows: int, reference_rows: int) -> dict:
    """linkage_attack on frames drawn with numpy from the bench city's voter-roll values (see README)."""
    import numpy as np
    import pandas as pd

    from sandbox_app.privacy.metrics import linkage_attack
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        roll = pd.read_sql_query("SELECT birth_date, sex, zip FROM public_voter_roll", conn)
    rng = np.random.default_rng(7)
    # Independent draws from each column's observed values (the joint would repeat the few real rows).
    ref = pd.DataFrame({c: rng.choice(roll[c].to_numpy(dtype=object), reference_rows) for c in roll.columns})
    ref["_resident_id"] = np.arange(1, reference_rows + 1)
    ext = ref.iloc[rng.choice(reference_rows, extract_rows, replace=False)].reset_index(drop=True)
    ext = ext.copy(deep=True)  # its own string columns, as an extract would have
    base = _peak_rss_mb()
    started = time.perf_counter()
    result = linkage_attack(ext, ref, ["birth_date", "sex", "zip"])
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "extract_rows": extract_rows, "reference_rows": reference_rows,
            "attempted": result.attempted, "matched_uniquely": result.matched_uniquely,
            "reidentified": result.reidentified, "rss_after_import_mb": base, "peak_rss_mb": _peak_rss_mb()}


def child_linkage_real(db_path: str, scenario: str, extract_rows: int, runs: int) -> dict:
    """The real run_linkage path: a share's first `extract_rows` rows against the city's whole voter roll."""
    import dataclasses

    from sandbox_app.privacy.linkage import run_linkage
    from sandbox_app.scenario.loader import load_scenario
    from sandbox_app.sharing import CityDatabase, apply_share, parse_share_text
    spec = load_scenario(scenario)
    doc = json.loads(json.dumps(SHARE))
    doc["tables"][0]["fields"] = LINK_FIELDS
    share = parse_share_text(json.dumps(doc))
    db = CityDatabase(db_path)
    part = apply_share(db, share, holding_department=spec.exercises[0].holding_department).parts[0]
    n = min(extract_rows, len(part.frame))
    part = dataclasses.replace(part, frame=part.frame.iloc[:n], truth=part.truth[:n], row_ids=part.row_ids[:n])
    started = time.perf_counter()
    result = run_linkage(db, part, spec.reference_date)  # reads and caches the voter roll
    cold = time.perf_counter() - started
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = run_linkage(db, part, spec.reference_date)
        times.append(time.perf_counter() - t0)
    return {"cold_s": cold, "median_s": _median_p95(times)[0], "extract_rows": n,
            "reference_rows": len(db.read_table(db.reference_table(), ["sex"])), "on": result.on,
            "matched_uniquely": result.matched_uniquely, "reidentified": result.reidentified,
            "peak_rss_mb": _peak_rss_mb()}


CHILDREN = {"naive": child_naive, "generate": child_generate, "write_limit": child_write_limit,
            "score": child_score, "score_cold": child_score_cold, "read_cold": child_read_cold,
            "linkage_synthetic": child_linkage_synthetic,
            "linkage_real": child_linkage_real}


# ------------------------------------------------------------------------------------------ parent

def _log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def run_child(kind: str, **params) -> dict:
    """Run one measurement in a fresh interpreter; its last stdout line is its JSON result."""
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", kind, json.dumps(params)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"bench: the {kind} measurement failed:\n{proc.stderr}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result.setdefault("peak_rss_mb", result.get("child_peak_rss_mb"))
    return result


def wall(command: list[str], repeats: int) -> dict:
    """Wall-clock seconds of a whole process (start-up included): best and median of `repeats` runs."""
    import statistics
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return {"best_s": min(times), "median_s": statistics.median(times), "all_s": times}


def cli_command() -> list[str]:
    """`city-sandbox` as the README installs it (the console script next to this Python), else `-m`."""
    script = Path(sys.executable).with_name("city-sandbox")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sandbox_app"]


def best_of(repeats: int, kind: str, **params) -> dict:
    """The fastest of `repeats` runs (the least disturbed by other work on the machine); every time is kept."""
    runs = []
    for _ in range(repeats):
        Path(params["out"]).unlink(missing_ok=True)
        runs.append(run_child(kind, **params))
    best = min(runs, key=lambda r: r["seconds"])
    return {**best, "all_seconds": [r["seconds"] for r in runs],
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs)}


def bench_city_db(cache: Path, residents: int | None) -> Path:
    """The benchmark city, generated once per scenario text, generator version and size (then reused)."""
    digest = hashlib.sha256(BENCH_CITY.read_bytes())
    for source in sorted((HERE.parent / "synthetic").glob("*.py")):  # the generator's code, not just a version
        digest.update(source.read_bytes())
    key = digest.hexdigest()[:12]
    path = cache / f"bench-city-{residents or 'default'}-{key}.db"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        _log(f"generating the benchmark city ({f'{residents:,}' if residents else 'its default'} residents) "
             f"into {path} (kept for the next run)")
        run_child("generate", scenario=str(BENCH_CITY), out=str(path), residents=residents)
    return path


def _proc_field(path: str, name: str) -> str:
    """The value of the first `name: value` line of a /proc file ('' where there is none)."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return ""
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith(name)), "")


def machine() -> dict:
    mem_kb = _proc_field("/proc/meminfo", "MemTotal").split()
    return {"nproc": os.cpu_count(), "cpu": _proc_field("/proc/cpuinfo", "model name") or platform.processor(),
            "ram_mb": int(mem_kb[0]) // 1024 if mem_kb else 0, "load_average": list(os.getloadavg()),
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "platform": platform.platform()}


def measure(mode: str, work: Path, cache: Path) -> dict:
    size = SIZES[mode]
    details: dict = {"mode": mode}
    for key, pragmas in (("naive", False), ("naive_pragmas", True)):
        _log(f"naive baseline{' with PRAGMAs' if pragmas else ''}: {size[key + '_records']:,} records, Faker + "
             "sqlite-utils")
        details[key] = run_child("naive", scenario=GEN_SCENARIO, out=str(work / f"{key}.db"),
                                 records=size[key + "_records"], pragmas=pragmas)
    _log(f"generate_city {GEN_SCENARIO} at {size['gen_residents']:,} residents, best of {size['repeats']}")
    details["generate"] = gen = best_of(size["repeats"], "generate", scenario=GEN_SCENARIO,
                                        out=str(work / "gen.db"), residents=size["gen_residents"])
    _log(f"write limit: executemany of the same {gen['records']:,} rows, best of {size['repeats']}")
    details["write_limit"] = best_of(size["repeats"], "write_limit", source=str(work / "gen.db"),
                                     out=str(work / "limit.db"))
    if "scale_residents" in size:
        _log(f"scale: {GEN_SCENARIO} at {size['scale_residents']:,} residents")
        details["scale"] = run_child("generate", scenario=GEN_SCENARIO, out=str(work / "scale.db"),
                                     residents=size["scale_residents"])
        (work / "scale.db").unlink()
    for name in ("naive.db", "naive_pragmas.db", "gen.db", "limit.db"):
        (work / name).unlink(missing_ok=True)

    db = bench_city_db(cache, size["bench_residents"])
    _log(f"scoring: 1 cold run + {size['score_runs']} warm runs")
    details["score"] = score = run_child("score", db_path=str(db), scenario=str(BENCH_CITY),
                                         runs=size["score_runs"], breakdown_runs=size["breakdown_runs"])
    _log(f"cold first score in fresh processes, ours and the naive baseline alternating, best of "
         f"{size['cold_runs']}")
    cold_runs: dict[str, list[dict]] = {"score_cold": [], "score_cold_naive": []}
    for _ in range(size["cold_runs"]):
        for key, naive in (("score_cold", False), ("score_cold_naive", True)):
            started = time.perf_counter()
            steps = run_child("score_cold", db_path=str(db), scenario=str(BENCH_CITY), naive=naive)
            cold_runs[key].append({**steps, "process_s": time.perf_counter() - started})
    for key, runs in cold_runs.items():
        details[key] = min(runs, key=lambda r: r["process_s"])
        details[key]["all_process_s"] = [r["process_s"] for r in runs]
        details[key]["all_cpu_s"] = [r["cpu_s"] for r in runs]
    reads = []
    for _ in range(size["cold_runs"]):
        started = time.perf_counter()
        reads.append({**run_child("read_cold", db_path=str(db)), "process_s": time.perf_counter() - started})
    details["read_cold"] = min(reads, key=lambda r: r["process_s"])
    _log(f"city-sandbox --help, best of {size['help_runs']}, beside bare Python and Python importing pandas")
    details["help"] = {"command": " ".join(Path(c).name for c in cli_command()) + " --help",
                       "cli": wall([*cli_command(), "--help"], size["help_runs"]),
                       "python": wall([sys.executable, "-c", "pass"], size["help_runs"]),
                       "python_pandas": wall([sys.executable, "-c", "import pandas, pydantic"],
                                             size["help_runs"])}
    _log(f"linkage_attack: {size['link_extract']:,} vs {size['link_reference']:,} rows (synthetic)")
    details["linkage_synthetic"] = link = run_child("linkage_synthetic", db_path=str(db),
                                                    extract_rows=size["link_extract"],
                                                    reference_rows=size["link_reference"])
    if "real_link_residents" in size:
        big = bench_city_db(cache, size["real_link_residents"])
        _log(f"run_linkage: {size['link_extract']:,} rows vs the voter roll of {size['real_link_residents']:,} "
             "residents")
        details["linkage_real"] = run_child("linkage_real", db_path=str(big), scenario=str(BENCH_CITY),
                                            extract_rows=size["link_extract"], runs=3)

    rate = {k: details[k]["records"] / details[k]["seconds"]
            for k in ("naive", "naive_pragmas", "generate", "write_limit")}
    summary = {
        "gen_vs_naive": rate["generate"] / rate["naive"],
        "gen_vs_naive_pragmas": rate["generate"] / rate["naive_pragmas"],
        "gen_vs_write_limit": rate["generate"] / rate["write_limit"],
        "naive_records_per_s": rate["naive"],
        "naive_pragmas_records_per_s": rate["naive_pragmas"],
        "gen_records_per_s": rate["generate"],
        "write_limit_records_per_s": rate["write_limit"],
        "gen_peak_rss_mb": gen["peak_rss_mb"],
        "score_cold_ms": score["cold_s"] * 1000,
        "score_median_ms": score["median_s"] * 1000,
        "score_p95_ms": score["p95_s"] * 1000,
        "score_naive_ms": score["naive_median_s"] * 1000,
        "score_change_median_ms": score["change_median_s"] * 1000,
        "score_change_p95_ms": score["change_p95_s"] * 1000,
        "score_change_first_ms": score["change_first_s"] * 1000,
        "score_cold_process_s": details["score_cold"]["process_s"],
        "score_cold_cpu_s": min(details["score_cold"]["all_cpu_s"]),
        "score_cold_naive_process_s": details["score_cold_naive"]["process_s"],
        "score_cold_naive_cpu_s": min(details["score_cold_naive"]["all_cpu_s"]),
        "score_cold_vs_naive": details["score_cold_naive"]["process_s"] / details["score_cold"]["process_s"],
        "score_cold_cpu_vs_naive": min(details["score_cold_naive"]["all_cpu_s"])
        / min(details["score_cold"]["all_cpu_s"]),
        "read_cold_process_s": details["read_cold"]["process_s"],
        "help_s": details["help"]["cli"]["best_s"],
        "help_python_s": details["help"]["python"]["best_s"],
        "help_python_pandas_s": details["help"]["python_pandas"]["best_s"],
        "linkage_s": link["seconds"],
    }
    if "scale" in details:
        summary["scale_s"] = details["scale"]["seconds"]
        summary["scale_peak_rss_mb"] = details["scale"]["peak_rss_mb"]
    if "linkage_real" in details:
        summary["linkage_real_s"] = details["linkage_real"]["median_s"]
    ours = [gen, score, details["score_cold"], link, details.get("scale"), details.get("linkage_real")]
    summary["peak_rss_mb"] = max(d["peak_rss_mb"] for d in ours if d)
    sizes = {"score": f"{_k(score['extract_rows'])}-row",
             "synthetic": f"{_k(link['extract_rows'])} vs {_k(link['reference_rows'])}"}
    if "linkage_real" in details:
        real = details["linkage_real"]
        sizes["real"] = f"{_k(real['extract_rows'])} vs {_k(real['reference_rows'])}"
    targets = {}
    for key, (op, goal, label) in TARGETS.items():
        if key in summary:
            value = summary[key]
            targets[key] = {"label": label.format(**sizes), "value": value, "goal": f"{op} {goal:g}",
                            "met": value >= goal if op == ">=" else value < goal}
    return {**summary, "targets": targets, "details": details, "machine": machine()}


def _k(count: int) -> str:
    """12,345 -> '12k', 1,003,000 -> '1.0M': sizes in target labels."""
    return f"{count / 1e6:.1f}M" if count >= 999_500 else f"{count / 1e3:.0f}k" if count >= 1000 else str(count)


def _n(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}"


def _writes(label: str, r: dict, size: str = "") -> tuple[str, ...]:
    """A table row for a measurement that writes records."""
    size = size or f"{r['records']:,} records"
    return (label, size, _n(r["seconds"]), _n(r["records"] / r["seconds"]), _n(r["peak_rss_mb"]))


def _timed(label: str, size: str, seconds: float, rss: float | None = None) -> tuple[str, ...]:
    return (label, size, f"{seconds:.3f}", "", _n(rss) if rss else "")


def render(result: dict) -> str:
    d = result["details"]
    rows = [("measurement", "size", "seconds", "records/s", "peak RSS MB")]
    for key, label in (("naive", "naive: Faker + sqlite-utils insert"),
                       ("naive_pragmas", "naive, with PRAGMAs")):
        r = d[key]
        rows.append(_writes(label, r, f"{r['records']:,} records (Faker {r['faker_seconds']:.2f} s, "
                                      f"inserts {r['insert_seconds']:.2f} s)"))
    gen, limit = d["generate"], d["write_limit"]
    rows.append(_writes(f"generate_city {GEN_SCENARIO}, best of {len(gen['all_seconds'])}", gen,
                        f"{gen['rows']['_residents']:,} residents, {gen['records']:,} records"))
    rows.append(_writes(f"write limit: executemany, best of {len(limit['all_seconds'])}", limit))
    if "scale" in d:
        s = d["scale"]
        rows.append(_writes(f"scale: generate_city {GEN_SCENARIO}", s,
                            f"{s['rows']['_residents']:,} residents, {s['records']:,} records"))
    sc = d["score"]
    extract = f"{sc['extract_rows']:,}-row extract"
    rows.append(_timed("score_share, first run (reads tables)", extract, sc["cold_s"], sc["peak_rss_mb"]))
    rows.append(_timed(f"score_share, median of {sc['runs']}", extract, sc["median_s"]))
    rows.append(_timed(f"score_share, p95 of {sc['runs']}", extract, sc["p95_s"]))
    for stage, ms in sc["breakdown"].items():
        rows.append(_timed(f"  of which {stage.removesuffix('_median_ms')} (median)", extract, ms / 1000))
    rows.append(_timed("baseline: naive pandas k/l/merge (median)", extract, sc["naive_median_s"]))
    edit = f"{sc['changed_field']} year <-> {sc['changed_op']['to']}"
    rows.append(_timed("score after a one-field edit, median", edit, sc["change_median_s"]))
    rows.append(_timed("score after a one-field edit, p95", edit, sc["change_p95_s"]))
    rows.append(_timed("  the edit's first run (op never seen)", edit, sc["change_first_s"]))
    for key, label in (("score_cold", "cold first score, fresh process"),
                       ("score_cold_naive", "baseline: the same, naive reads + HMAC")):
        cold = d[key]
        rows.append(_timed(label, f"import {cold['import_s']:.2f} s, scenario {cold['load_scenario_s']:.2f} s, "
                           f"score {cold['first_score_s']:.2f} s, CPU {min(cold['all_cpu_s']):.2f} s",
                           cold["process_s"], cold["peak_rss_mb"]))
    rows.append(("  cold score vs its naive baseline", f"{result['score_cold_vs_naive']:.2f}x faster (wall), "
                 f"{result['score_cold_cpu_vs_naive']:.2f}x (CPU)", "", "", ""))
    rc = d["read_cold"]
    rows.append(_timed("baseline: fresh process, pandas reads", f"{rc['rows']:,} rows, 4 whole tables",
                       rc["process_s"], rc["peak_rss_mb"]))
    h = d["help"]
    rows.append(_timed(h["command"] + f", best of {len(h['cli']['all_s'])}", "", h["cli"]["best_s"]))
    rows.append(_timed("baseline: python -c pass", "", h["python"]["best_s"]))
    rows.append(_timed("baseline: python -c 'import pandas, pydantic'", "", h["python_pandas"]["best_s"]))
    lk = d["linkage_synthetic"]
    size = f"{lk['extract_rows']:,} vs {lk['reference_rows']:,}"
    rows.append(_timed("linkage_attack (synthetic frames)", size, lk["seconds"], lk["peak_rss_mb"]))
    if "linkage_real" in d:
        lr = d["linkage_real"]
        size = f"{lr['extract_rows']:,} vs {lr['reference_rows']:,}"
        rows.append(_timed("run_linkage, first run (reads roll)", size, lr["cold_s"], lr["peak_rss_mb"]))
        rows.append(_timed("run_linkage, median", size, lr["median_s"]))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(r[i].ljust(w) if i < 2 else r[i].rjust(w) for i, w in enumerate(widths)) for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines += ["", f"{'target':<40} {'value':>8}   {'goal':<9} met"]
    for t in result["targets"].values():
        lines.append(f"{t['label']:<40} {_n(t['value']):>8}   {t['goal']:<9} {'yes' if t['met'] else 'NO'}")
    m = result["machine"]
    busy = max(m["load_average_before"][0], m["load_average"][0]) > m["nproc"]
    lines += ["", f"machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram_mb']:,} MB RAM, Python {m['python']}, "
                  f"SQLite {m['sqlite']}",
              f"load average (1/5/15 min) before: {_loads(m['load_average_before'])}, after: "
              f"{_loads(m['load_average'])}"
              + (" - above the CPU count: other work shared the CPUs, so timings are noisier" if busy else "")]
    return "\n".join(lines)


def _loads(values: list[float]) -> str:
    return "/".join(f"{v:.2f}" for v in values)


def summary_line(result: dict) -> str:
    keys = [k for k in result if k not in ("targets", "details", "machine")]
    parts = []
    for k in keys:
        v = result[k]
        if k.startswith("gen_vs_naive"):
            parts.append(f"{k}={v:.1f}x")
        else:
            parts.append(f"{k}={v:.2f}" if v < 100 else f"{k}={v:.0f}")
    return "SUMMARY " + " ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="large runs: 100k generation, 1M scale, 1M linkage")
    parser.add_argument("--tiny", action="store_true", help="very small sizes (for the test)")
    parser.add_argument("--json", action="store_true", help="print one JSON object and nothing else")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "city-sandbox-bench",
                        help="where the benchmark city is generated once and reused")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PARAMS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, params = args.child
        result = CHILDREN[kind](**json.loads(params))
        result["child_peak_rss_mb"] = _peak_rss_mb()
        print(json.dumps(result, default=str))
        return 0
    if args.full and args.tiny:
        parser.error("choose --full or --tiny, not both")
    mode = "full" if args.full else "tiny" if args.tiny else "quick"
    work = Path(tempfile.mkdtemp(prefix="city-sandbox-bench-"))
    load_before = list(os.getloadavg())
    try:
        result = measure(mode, work, args.cache)
        result["machine"]["load_average_before"] = load_before
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(result, default=str))
    else:
        print(render(result))
        print(summary_line(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
