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
    "tiny": dict(naive_records=200, gen_residents=2_000, bench_residents=20_000, score_runs=3, breakdown_runs=2,
                 link_extract=10_000, link_reference=100_000),
    "quick": dict(naive_records=3_000, gen_residents=20_000, bench_residents=None, score_runs=15, breakdown_runs=5,
                  link_extract=100_000, link_reference=1_000_000),
    "full": dict(naive_records=3_000, gen_residents=100_000, bench_residents=None, score_runs=15, breakdown_runs=5,
                 link_extract=100_000, link_reference=1_000_000, scale_residents=1_000_000,
                 real_link_residents=1_270_000),
}
TARGETS = {  # summary key -> (comparison, goal, label)
    "gen_vs_naive": (">=", 20.0, "generation vs naive (x)"),
    "gen_vs_write_limit": (">=", 0.5, "generation vs write limit (share)"),
    "scale_s": ("<", 60.0, "1M residents (s)"),
    "scale_peak_rss_mb": ("<", 1024.0, "1M residents peak RSS (MB)"),
    "score_median_ms": ("<", 150.0, "score {score} extract, median (ms)"),
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
# The classic attack (Sweeney): exact birth date, sex and ZIP, for the linkage timings.
LINK_FIELDS = {"patient_id": {"op": "pseudonym"}, "birth_date": {"op": "keep"}, "sex": {"op": "keep"},
               "zip": {"op": "keep"}, "diagnosis": {"op": "keep"}}


# ------------------------------------------------------------------------------------------ children

def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def _count_rows(path: str) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def child_naive(scenario: str, out: str, records: int) -> dict:
    from naive import generate_naive

    from sandbox_app.scenario.loader import load_scenario
    spec = load_scenario(scenario)
    base = _peak_rss_mb()
    result = generate_naive(spec, out, records)
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
    with sqlite3.connect(source) as conn:
        tables = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY rowid").fetchall()
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
    return {"extract_rows": len(part.frame), "table_rows": part.rows_before_filter, "cold_s": cold,
            "median_s": median, "p95_s": p95, "runs": runs, "verdict": report.verdict,
            "privacy_score": report.privacy_score, "usefulness_score": report.usefulness_score,
            "rules_fired": sorted({f.rule for f in report.findings}), "metrics": report.metrics,
            "reference_rows": len(db.read_table(db.reference_table(), ["sex"])),
            "breakdown": breakdown, "rss_after_import_mb": base, "peak_rss_mb": _peak_rss_mb()}


def child_linkage_synthetic(db_path: str, extract_rows: int, reference_rows: int) -> dict:
    """linkage_attack on frames drawn with numpy from the bench city's voter-roll values (see README)."""
    import numpy as np
    import pandas as pd

    from sandbox_app.privacy.metrics import linkage_attack
    with sqlite3.connect(db_path) as conn:
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
            "score": child_score, "linkage_synthetic": child_linkage_synthetic, "linkage_real": child_linkage_real}


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


def bench_city_db(cache: Path, residents: int | None) -> Path:
    """The benchmark city, generated once per scenario text, generator version and size (then reused)."""
    from synthetic import GENERATOR_VERSION
    key = hashlib.sha256(BENCH_CITY.read_bytes() + GENERATOR_VERSION.encode()).hexdigest()[:12]
    path = cache / f"bench-city-{residents or 'default'}-{key}.db"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        _log(f"generating the benchmark city ({f'{residents:,}' if residents else 'its default'} residents) "
             f"into {path} (kept for the next run)")
        run_child("generate", scenario=str(BENCH_CITY), out=str(path), residents=residents)
    return path


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    mem = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0) if Path("/proc/meminfo").exists() else 0
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_mb": mem, "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "platform": platform.platform()}


def measure(mode: str, work: Path, cache: Path) -> dict:
    size = SIZES[mode]
    details: dict = {"mode": mode}
    _log(f"naive baseline: {size['naive_records']:,} records with Faker + sqlite-utils")
    details["naive"] = run_child("naive", scenario=GEN_SCENARIO, out=str(work / "naive.db"),
                                         records=size["naive_records"])
    _log(f"generate_city {GEN_SCENARIO} at {size['gen_residents']:,} residents")
    details["generate"] = gen = run_child("generate", scenario=GEN_SCENARIO, out=str(work / "gen.db"),
                                          residents=size["gen_residents"])
    _log(f"write limit: executemany of the same {gen['records']:,} rows")
    details["write_limit"] = run_child("write_limit", source=str(work / "gen.db"), out=str(work / "limit.db"))
    if "scale_residents" in size:
        _log(f"scale: {GEN_SCENARIO} at {size['scale_residents']:,} residents")
        details["scale"] = run_child("generate", scenario=GEN_SCENARIO, out=str(work / "scale.db"),
                                     residents=size["scale_residents"])
        (work / "scale.db").unlink()
    for name in ("naive.db", "gen.db", "limit.db"):
        (work / name).unlink(missing_ok=True)

    db = bench_city_db(cache, size["bench_residents"])
    _log(f"scoring: 1 cold run + {size['score_runs']} warm runs")
    details["score"] = score = run_child("score", db_path=str(db), scenario=str(BENCH_CITY),
                                         runs=size["score_runs"], breakdown_runs=size["breakdown_runs"])
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

    rate = {k: details[k]["records"] / details[k]["seconds"] for k in ("naive", "generate", "write_limit")}
    summary = {
        "gen_vs_naive": rate["generate"] / rate["naive"],
        "gen_vs_write_limit": rate["generate"] / rate["write_limit"],
        "naive_records_per_s": rate["naive"],
        "gen_records_per_s": rate["generate"],
        "write_limit_records_per_s": rate["write_limit"],
        "gen_peak_rss_mb": gen["peak_rss_mb"],
        "score_cold_ms": score["cold_s"] * 1000,
        "score_median_ms": score["median_s"] * 1000,
        "score_p95_ms": score["p95_s"] * 1000,
        "linkage_s": link["seconds"],
    }
    if "scale" in details:
        summary["scale_s"] = details["scale"]["seconds"]
        summary["scale_peak_rss_mb"] = details["scale"]["peak_rss_mb"]
    if "linkage_real" in details:
        summary["linkage_real_s"] = details["linkage_real"]["median_s"]
    ours = [gen, score, link, details.get("scale"), details.get("linkage_real")]
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


def render(result: dict) -> str:
    d = result["details"]
    rows = [("measurement", "size", "seconds", "records/s", "peak RSS MB")]
    naive, gen, limit = d["naive"], d["generate"], d["write_limit"]
    rows.append(("naive: Faker + sqlite-utils insert", f"{naive['records']:,} records (Faker "
                 f"{naive['faker_seconds']:.2f} s, inserts {naive['insert_seconds']:.2f} s)", _n(naive["seconds"]),
                 _n(naive["records"] / naive["seconds"]), _n(naive["peak_rss_mb"])))
    rows.append((f"generate_city {GEN_SCENARIO}", f"{gen['rows']['_residents']:,} residents, "
                 f"{gen['records']:,} records", _n(gen["seconds"]), _n(gen["records"] / gen["seconds"]),
                 _n(gen["peak_rss_mb"])))
    rows.append(("write limit: sqlite3 executemany", f"{limit['records']:,} records", _n(limit["seconds"]),
                 _n(limit["records"] / limit["seconds"]), _n(limit["peak_rss_mb"])))
    if "scale" in d:
        s = d["scale"]
        rows.append((f"scale: generate_city {GEN_SCENARIO}", f"{s['rows']['_residents']:,} residents, "
                     f"{s['records']:,} records", _n(s["seconds"]), _n(s["records"] / s["seconds"]),
                     _n(s["peak_rss_mb"])))
    sc = d["score"]
    extract = f"{sc['extract_rows']:,}-row extract"
    rows.append(("score_share, first run (reads tables)", extract, _n(sc["cold_s"]), "", _n(sc["peak_rss_mb"])))
    rows.append((f"score_share, median of {sc['runs']}", extract, f"{sc['median_s']:.3f}", "", ""))
    rows.append((f"score_share, p95 of {sc['runs']}", extract, f"{sc['p95_s']:.3f}", "", ""))
    for stage, ms in sc["breakdown"].items():
        rows.append((f"  of which {stage.removesuffix('_median_ms')} (median)", extract, f"{ms / 1000:.3f}", "", ""))
    lk = d["linkage_synthetic"]
    rows.append(("linkage_attack (synthetic frames)", f"{lk['extract_rows']:,} vs {lk['reference_rows']:,}",
                 f"{lk['seconds']:.3f}", "", _n(lk["peak_rss_mb"])))
    if "linkage_real" in d:
        lr = d["linkage_real"]
        size = f"{lr['extract_rows']:,} vs {lr['reference_rows']:,}"
        rows.append(("run_linkage, first run (reads roll)", size, f"{lr['cold_s']:.3f}", "", _n(lr["peak_rss_mb"])))
        rows.append(("run_linkage, median", size, f"{lr['median_s']:.3f}", "", ""))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
             for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines += ["", "target                                     value       goal      met"]
    for t in result["targets"].values():
        lines.append(f"{t['label']:<40} {_n(t['value']):>8}   {t['goal']:<9} {'yes' if t['met'] else 'NO'}")
    m = result["machine"]
    lines += ["", f"machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram_mb']:,} MB RAM, Python {m['python']}, "
                  f"SQLite {m['sqlite']}"]
    return "\n".join(lines)


def summary_line(result: dict) -> str:
    keys = [k for k in result if k not in ("targets", "details", "machine")]
    parts = []
    for k in keys:
        v = result[k]
        parts.append(f"{k}={v:.1f}x" if k == "gen_vs_naive" else f"{k}={v:.2f}" if v < 100 else f"{k}={v:.0f}")
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
    try:
        result = measure(mode, work, args.cache)
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
