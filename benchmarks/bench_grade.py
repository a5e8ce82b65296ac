"""Benchmark `grade`: 2,000 signed result files from a winter-storm pack, against a naive baseline.

    python benchmarks/bench_grade.py                 # 2,000 files (about a minute, most of it making them)
    python benchmarks/bench_grade.py --files 200     # quicker
    python benchmarks/bench_grade.py --json          # one JSON object on stdout
    python benchmarks/bench_grade.py --distinct      # worst case: every trainee's share differs
    python benchmarks/bench_grade.py --files 200 --debrief-only   # only the debrief dashboard opening

The results are made the way the trainee app makes them (score the share against the pack's city, build,
sign with the pack's key, write atomically). Shares vary: each is one of the exercise's model or known-bad
answers with up to two fields dropped, so the room holds many distinct shares, as a real room does.
`grade` is timed end to end in this process: read and verify every file, re-score every share, text table
and HTML debrief. The naive baseline grades a sample the obvious way: per file, load the scenario, open
the city, score, close; its time is scaled to the same number of files.

The debrief dashboard (Qt, offscreen) is timed opening the first `--debrief-files` results (200 by default)
from `load()` (what choosing the folder calls) to `loaded` with the room view and distributions drawn, a
few times, against the naive composition in benchmarks/naive_debrief.py swapped into the same view.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _variants(base: dict, rng: random.Random) -> dict:
    share = json.loads(json.dumps(base))
    for table in share.get("tables", []):
        fields = list(table.get("fields", {}))
        for name in rng.sample(fields, k=min(len(fields) - 1, rng.choice([0, 0, 1, 2]))) if len(fields) > 1 else []:
            del table["fields"][name]
    return share


def _shift_destroy_by(share: dict, days: int) -> dict:
    """The same decision with another destroy-by date: a distinct share document, scored anew."""
    import datetime as dt

    if share.get("destroy_by"):
        share = dict(share, destroy_by=(dt.date.fromisoformat(share["destroy_by"]) + dt.timedelta(days)).isoformat())
    return share


def make_room(folder: Path, files: int, seed: int = 7, distinct: bool = False):
    """Write a pack and `files` result files into `folder`; (pack, key path, results folder, distinct shares)."""
    from sandbox_app.errors import ShareError
    from sandbox_app.packs import open_pack, write_pack
    from sandbox_app.packs.manifest import canonical_json
    from sandbox_app.privacy.score import score_share
    from sandbox_app.scenario import load_scenario
    from sandbox_app.sharing.database import CityDatabase
    from sandbox_app.sharing.document import parse_share_text, share_to_json
    from sandbox_app.workspace.results import build_result, sign_result, write_result

    written = write_pack(load_scenario("winter-storm"), folder / "winter-storm.citypack", with_db=True)
    pack = open_pack(written.path)
    db = CityDatabase(pack.database)
    base = pack.scenario_path.parent
    answers = {}
    for ex in pack.scenario.exercises:
        refs = [ex.model_answer, *(b.share for b in ex.bad_answers)]
        answers[ex.id] = [json.loads((base / r).read_text(encoding="utf-8")) for r in refs if isinstance(r, str)]
    rng = random.Random(seed)
    results = folder / "results"
    results.mkdir()
    scored: dict[tuple, dict] = {}
    exercises = list(answers)
    for i in range(files):
        exercise = exercises[i % len(exercises)]
        original = rng.choice(answers[exercise])
        share = _variants(original, rng)
        if distinct:
            share = _shift_destroy_by(share, i % 89)
        key = (exercise, canonical_json(share))
        if key not in scored:
            try:
                doc = parse_share_text(json.dumps(share), "variant")
                scored[key] = (share_to_json(doc), score_share(db, pack.scenario, exercise, doc).to_dict())
            except ShareError:  # a dropped field the aggregate needed: a trainee would fix it; use the answer
                doc = parse_share_text(json.dumps(original), "answer")
                scored[key] = (share_to_json(doc), score_share(db, pack.scenario, exercise, doc).to_dict())
        share_json, report = scored[key]
        data = build_result(trainee=f"Trainee {i // len(exercises) + 1:04d}", scenario=pack.scenario,
                            exercise_id=exercise, share_json=share_json, report=report,
                            attempts=[{"verdict": report["verdict"], "privacy_score": report["privacy_score"],
                                       "usefulness_score": report["usefulness_score"], "share_json": share_json}],
                            pack_id=pack.pack_id)
        write_result(results / f"result-{i:05d}.json", sign_result(data, pack.result_key))
    db.close()
    return pack, written.key_path, results, len({v[0] for v in scored.values()})


def grade_fast(results: Path, key: Path, workers: int | None = None) -> tuple[float, dict]:
    from sandbox_app.grading.grade import grade_results
    from sandbox_app.grading.report_html import debrief_html
    from sandbox_app.grading.summary import text_report

    start = time.perf_counter()
    grading = grade_results([results], keys=[key], workers=workers, references=True)
    text_report(grading)
    debrief_html(grading)
    seconds = time.perf_counter() - start
    verdicts: dict[str, int] = {}
    for r in grading.results:
        verdicts[r.verdict or "none"] = verdicts.get(r.verdict or "none", 0) + 1
    return seconds, {"flagged": len(grading.flagged), "verdicts": verdicts}


def grade_naive(files: list[Path], pack) -> tuple[float, list[str]]:
    """Per file: read it, load the scenario, open the city, score the share, close."""
    from sandbox_app.privacy.score import score_share
    from sandbox_app.scenario import load_scenario
    from sandbox_app.sharing.database import CityDatabase
    from sandbox_app.sharing.document import parse_share_text
    from sandbox_app.workspace.results import read_result, verify_result

    verdicts = []
    start = time.perf_counter()
    for path in files:
        data = read_result(path)
        verify_result(data, pack.result_key)
        scenario = load_scenario(pack.scenario_path)
        db = CityDatabase(pack.database)
        try:
            doc = parse_share_text(json.dumps(data["share"]), str(path))
            verdicts.append(score_share(db, scenario, data["exercise"], doc).verdict)
        finally:
            db.close()
    return time.perf_counter() - start, verdicts


def debrief_open(folder: Path, key: Path, repeats: int, naive: bool = False) -> list[tuple[float, float]]:
    """Seconds from DebriefView.load(folder) to the dashboard on screen with its room view drawn, `repeats`
    times (offscreen Qt)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from sandbox_app.ui.studio import debrief_view

    app = QApplication.instance() or QApplication([])
    fast = debrief_view.build_debrief
    if naive:
        from naive_debrief import naive_build_debrief

        debrief_view.build_debrief = naive_build_debrief
    try:
        return [_open_once(app, debrief_view.DebriefView, folder, key) for _ in range(repeats)]
    finally:
        debrief_view.build_debrief = fast


def _open_once(app, view_class, folder: Path, key: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one opening; CPU counts every thread of this process (worker and GUI)."""
    from PySide6.QtCore import QEventLoop

    view = view_class(keys=[key])
    view.resize(1366, 800)
    view.show()
    app.processEvents()
    loop, done, drawn = QEventLoop(), [], []

    def finished(*_args) -> None:
        done.append(1)
        loop.quit()

    def painted(_event) -> None:   # the room view drawn after the grading is on screen (its own draw_idle)
        if done:
            drawn.append((time.perf_counter(), time.process_time()))
            loop.quit()

    view.loaded.connect(finished)
    view.load_failed.connect(finished)
    view.room_canvas.mpl_connect("draw_event", painted)
    start, cpu = time.perf_counter(), time.process_time()
    view.load([folder])
    while not done or (view.debrief is not None and not drawn):
        loop.exec()
    if view.debrief is None:
        raise SystemExit(f"the debrief did not load: {view.status.text()}")
    view.shutdown()
    view.deleteLater()
    app.processEvents()
    return drawn[-1][0] - start, drawn[-1][1] - cpu


def _room_of(results: Path, files: int) -> Path:
    """The first `files` result files of `results`, copied to a folder of their own."""
    import shutil

    room = results.parent / f"room-{files}"
    room.mkdir()
    for path in sorted(results.glob("*.json"))[:files]:
        shutil.copy2(path, room / path.name)
    return room


def _debrief_figures(room: Path, key: Path, repeats: int) -> dict:
    """Median and worst of the dashboard opening, the naive composition's, interleaved, and their ratio."""
    fast, naive = [], []
    for _ in range(repeats):   # alternate, so a burst of load elsewhere hits both alike
        fast += debrief_open(room, key, 1)
        naive += debrief_open(room, key, 1, naive=True)
    med = statistics.median
    wall, naive_wall = [w for w, _ in fast], [w for w, _ in naive]
    cpu, naive_cpu = [c for _, c in fast], [c for _, c in naive]
    return {"debrief_files": len(list(room.glob("*.json"))), "debrief_runs": repeats,
            "debrief_median_s": round(med(wall), 3), "debrief_worst_s": round(max(wall), 3),
            "debrief_cpu_median_s": round(med(cpu), 3),
            "debrief_naive_median_s": round(med(naive_wall), 3), "debrief_naive_worst_s": round(max(naive_wall), 3),
            "debrief_naive_cpu_median_s": round(med(naive_cpu), 3),
            "debrief_speedup": round(med(naive_wall) / med(wall), 2),
            "debrief_cpu_speedup": round(med(naive_cpu) / med(cpu), 2), "debrief_target_s": 2.0,
            "debrief_met": med(wall) < 2.0, "load_average": round(os.getloadavg()[0], 1)}


def _print(args, figures: dict) -> None:
    if args.json:
        print(json.dumps(figures, indent=2))
    elif "debrief_median_s" in figures:
        f = figures
        print(f"debrief dashboard, {f['debrief_files']} files, load() to drawn, {f['debrief_runs']} runs: median "
              f"{f['debrief_median_s']:.2f} s, worst {f['debrief_worst_s']:.2f} s; naive composition median "
              f"{f['debrief_naive_median_s']:.2f} s, worst {f['debrief_naive_worst_s']:.2f} s; "
              f"{f['debrief_speedup']}x; CPU median {f['debrief_cpu_median_s']:.2f} s vs "
              f"{f['debrief_naive_cpu_median_s']:.2f} s ({f['debrief_cpu_speedup']}x); target < 2 s: "
              f"{'met' if f['debrief_met'] else 'NOT met'} (load average {f['load_average']})")


def main(argv=None) -> int:
    from sandbox_app.grading.parallel import PARALLEL_MIN, default_workers

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=2000, help="result files to grade (default 2000)")
    parser.add_argument("--naive-sample", type=int, default=60, help="files the naive baseline grades")
    parser.add_argument("--json", action="store_true", help="print one JSON object and nothing else")
    parser.add_argument("--distinct", action="store_true", help="worst case: (almost) every share distinct")
    parser.add_argument("--serial-too", action="store_true", help="also grade on one process (--workers 1)")
    parser.add_argument("--html", type=Path, help="also write the debrief of the graded room to this file "
                        "(docs/sample-debrief.html is made with --files 60 --html)")
    parser.add_argument("--debrief-files", type=int, default=200, help="result files the debrief dashboard "
                        "opens (default 200; 0: skip the dashboard)")
    parser.add_argument("--debrief-repeats", type=int, default=5, help="times each way of opening it is timed")
    parser.add_argument("--debrief-only", action="store_true", help="time only the dashboard opening")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-grade-") as tmp:
        folder = Path(tmp)
        os.environ["CITY_SANDBOX_HOME"] = str(folder / "cache")
        os.environ["CITY_SANDBOX_DATA"] = str(folder / "facilitator")
        start = time.perf_counter()
        pack, key, results, distinct = make_room(folder, args.files, distinct=args.distinct)
        made = time.perf_counter() - start
        debrief = {}
        if args.debrief_files > 0:
            room = _room_of(results, min(args.debrief_files, args.files))
            debrief_open(room, key, 1)   # imports, fonts and the installed pack: once, before either is timed
            debrief = _debrief_figures(room, key, args.debrief_repeats)
        if args.debrief_only:
            _print(args, {"files": args.files, "distinct_shares": distinct, **debrief})
            return 0
        fast_s, outcome = grade_fast(results, key)
        serial_s = grade_fast(results, key, workers=1)[0] if args.serial_too else None
        if args.html:
            from sandbox_app.grading.grade import grade_results
            from sandbox_app.grading.report_html import write_debrief

            write_debrief(grade_results([results], keys=[key], references=True), args.html,
                          title="Sample debrief: winter-storm, a made-up room")
        sample = sorted(results.glob("*.json"))[: args.naive_sample]
        naive_s, _ = grade_naive(sample, pack)
    naive_per_file = naive_s / max(len(sample), 1)
    figures = {"files": args.files, "distinct_shares": distinct, "make_s": round(made, 2),
               "grade_s": round(fast_s, 2), "grade_files_per_s": round(args.files / fast_s, 1),
               "naive_ms_per_file": round(naive_per_file * 1000, 1), "naive_sample": len(sample),
               "naive_projected_s": round(naive_per_file * args.files, 1),
               "speedup": round(naive_per_file * args.files / fast_s, 1), "target_s": 60.0,
               "met": fast_s < 60.0, "workers": default_workers(), "grade_serial_s": serial_s and round(serial_s, 2),
               **outcome, **debrief}
    if args.json:
        _print(args, figures)
        return 0
    print(f"made {args.files:,} result files ({distinct} distinct shares) in {made:.1f} s")
    print(f"grade: {fast_s:.2f} s for {args.files:,} files ({args.files / fast_s:,.0f} files/s), "
          f"text table and HTML debrief included; target < 60 s: {'met' if fast_s < 60 else 'NOT met'}")
    if serial_s is not None:
        print(f"grade on one process: {serial_s:.2f} s (above: up to {figures['workers']} workers, used from "
              f"{PARALLEL_MIN} distinct shares)")
    print(f"naive (load scenario + open city + score, per file): {naive_per_file * 1000:.0f} ms/file over "
          f"{len(sample)} files -> {naive_per_file * args.files:.0f} s projected; grade is "
          f"{figures['speedup']}x faster")
    print(f"verdicts {outcome['verdicts']}, flagged {outcome['flagged']}")
    _print(args, debrief)
    return 0


if __name__ == "__main__":
    sys.exit(main())
