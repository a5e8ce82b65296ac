"""Command line for the sharing and privacy engine: `score`, `apply`, `extract` and `check`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox_app.scenario.model import Scenario


def _print_report(report) -> None:
    print(f"Verdict: {report.verdict.upper()}   privacy {report.privacy_score}/100   "
          f"usefulness {report.usefulness_score}/100")
    share = report.extract.share if report.extract is not None else None
    if share is not None and share.decision != "share":
        print(f"Decision: {share.decision.replace('_', ' ')} - {share.reason}")
    m = report.metrics
    k = m.k_anonymity
    if k is None:
        k = "n/a (the share names people)" if m.identified_tables else "n/a"
    aggregated = report.extract is not None and report.extract.aggregate is not None
    print(f"{'Cells' if aggregated else 'Records'} {m.records:,} · k-anonymity {k} · unique {m.unique_records:,} · prosecutor risk "
          f"{m.prosecutor_risk_max:.2f} · re-identified by linkage {m.reidentified_by_linkage:,}")
    u = report.usefulness
    if u is not None:
        fields = ", ".join(f"{name} {state}" for name, state in u.fields.items()) or "none named"
        link = "" if u.linkable is None else f" · linkable: {'yes' if u.linkable else 'no'}"
        counted = "counted in published cells" if aggregated else "shared"
        print(f"Usefulness: serves {u.covered:,} of the {u.needed_rows:,} residents the request is about "
              f"({u.recall:.0%}); {u.useful_rows:,} of {u.shared_rows:,} records {counted} are needed · "
              f"fields: {fields}{link}")
    for table, result in report.linkage.items():
        if result.reidentified_residents:
            ids = ", ".join(str(i) for i in result.resident_ids[:10])
            more = f" and {result.reidentified_residents - 10:,} more" if result.reidentified_residents > 10 else ""
            print(f"Facilitator view: {table} re-identifies residents {ids}{more} (see _residents).")
    if not report.findings:
        print("No findings.")
    for f in report.findings:
        where = f" [clause {f.clause}]" if f.clause else ""
        print(f"\n{f.severity.upper():8} {f.rule}{where}: {f.message}")
        print(f"         {f.citation}")
        if f.hint:
            print(f"         Fix: {f.hint}")


def cmd_score(args) -> int:
    from sandbox_app.cache import open_scenario_database
    from sandbox_app.privacy.score import score_share
    from sandbox_app.scenario.loader import load_scenario
    from sandbox_app.sharing.document import load_share

    scenario = load_scenario(args.scenario)
    share = load_share(share_path(scenario, args.share))
    if args.result:  # before scoring, which can take a while
        from sandbox_app.errors import ResultError
        from sandbox_app.workspace.results import check_result_target

        if not (args.trainee or "").strip():
            raise ResultError("--result needs --trainee NAME: the result file says whose work it is")
        check_result_target(args.result)
    db = open_scenario_database(scenario, args.db)
    try:
        report = score_share(db, scenario, args.exercise, share, file=args.share)
    finally:
        db.close()
    if args.result:
        _write_result(args, scenario, share, report)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        _print_report(report)
    return 0 if report.verdict == "approve" else 1


def _write_result(args, scenario: Scenario, share, report) -> None:
    """--result FILE: the signed result file the trainee app exports, for a share scored here."""
    from sandbox_app.sharing.document import share_to_json
    from sandbox_app.workspace.results import signed_result, write_result

    write_result(args.result, signed_result(trainee=args.trainee, scenario=scenario, exercise_id=args.exercise,
                                            share_json=share_to_json(share), report=report.to_dict()))
    print(f"wrote result file {args.result}", file=sys.stderr)


def cmd_apply(args) -> int:
    from sandbox_app.cache import open_scenario_database
    from sandbox_app.scenario.loader import load_scenario
    from sandbox_app.sharing.apply import apply_share, export_csv
    from sandbox_app.sharing.document import load_share

    scenario = load_scenario(args.scenario)
    share = load_share(share_path(scenario, args.share))
    exercise = scenario.exercise(share.exercise) if share.exercise else None
    db = open_scenario_database(scenario, args.db)
    try:
        extract = apply_share(db, share, holding_department=exercise.holding_department if exercise else None,
                              file=args.share, zip3_populations=scenario.zip3_populations)
        export_csv(extract, args.out, force=args.force)
    finally:
        db.close()
    print(f"wrote {len(extract.frame):,} rows to {args.out}")
    return 0


def cmd_extract(args) -> int:
    """Score the share; only if it is approved, write what the recipient gets with its data dictionary."""
    from sandbox_app.cache import open_scenario_database
    from sandbox_app.errors import Problem, SandboxError
    from sandbox_app.explore.approved_extract import extract_about, write_approved_extract
    from sandbox_app.explore.catalog import Catalog
    from sandbox_app.privacy.score import score_share
    from sandbox_app.scenario.loader import load_scenario
    from sandbox_app.sharing.document import load_share

    scenario = load_scenario(args.scenario)
    share = load_share(share_path(scenario, args.share))
    db = open_scenario_database(scenario, args.db)
    try:
        report = score_share(db, scenario, args.exercise, share, file=args.share)
        catalog = Catalog(db.path, facilitator=False)
    finally:
        db.close()
    if report.verdict != "approve" or report.extract is None:
        worst = next((f for f in report.findings if f.severity == "blocker"), report.findings[0] if report.findings
                     else None)
        why = f": {worst.rule}: {worst.message.rstrip('.')}" if worst is not None else ""
        raise SandboxError([Problem(args.share, None, "", f"not approved for {args.exercise} (verdict "
                                  f"{report.verdict}, privacy {report.privacy_score}, usefulness "
                                  f"{report.usefulness_score}){why}; nothing was written",
                                  f"see every finding: city-sandbox score {args.scenario} {args.exercise} "
                                  f"{args.share}")])
    about = extract_about(scenario, scenario.exercise(args.exercise), report, Path(args.share).name)
    written = write_approved_extract(catalog, report.extract, args.out, fmt=args.format,
                                     name=args.name or args.exercise, about=about, force=args.force)
    print(f"wrote {len(report.extract.frame):,} rows to {written}")
    if args.format != "sqlite":
        print(f"described in {Path(args.out) / 'datapackage.json'}")
    return 0


def cmd_check(args) -> int:
    from sandbox_app.cache import open_scenario_database
    from sandbox_app.privacy.answers import check_scenario_answers
    from sandbox_app.scenario.loader import load_scenario

    all_rows = []
    for name in args.scenarios:
        scenario = load_scenario(name)
        db = open_scenario_database(scenario, args.db)
        try:
            rows = check_scenario_answers(scenario, db)
        finally:
            db.close()
        all_rows += [(scenario.name, r) for r in rows]
    if args.json:
        print(json.dumps([{"scenario": s, **r.__dict__} for s, r in all_rows], indent=2))
    else:
        width = max([len("answer"), *(len(r.answer) for _, r in all_rows)])
        print(f"{'scenario':<20} {'exercise':<24} {'answer':<{width}} {'expect':<8} {'got':<8} priv  use  ok")
        for s, r in all_rows:
            print(f"{s:<20} {r.exercise:<24} {r.answer:<{width}} {r.expected:<8} {r.verdict:<8} {r.privacy:>4} "
                  f"{r.usefulness:>4}  {'ok' if r.ok else 'MISS'}{'  ' + r.note if r.note else ''}")
        misses = sum(not r.ok for _, r in all_rows)
        print(f"\n{len(all_rows) - misses} of {len(all_rows)} answers scored as expected.")
    return 0 if all(r.ok for _, r in all_rows) else 1


def share_path(scenario, text: str) -> Path:
    """A share file as given, else relative to the scenario's folder: `winter-storm/welfare-checks.model.json`
    names a built-in answer from any directory."""
    path = Path(text)
    if not path.exists() and not path.is_absolute() and scenario._source is not None:
        beside = scenario._source.parent / path
        if beside.is_file():
            return beside
    return path


def add_engine_commands(sub) -> None:
    p = sub.add_parser("score", help="score a share document against an exercise")
    p.add_argument("scenario", metavar="SCENARIO", help="built-in scenario name or file")
    p.add_argument("exercise", metavar="EXERCISE", help="exercise id")
    p.add_argument("share", metavar="SHARE.json", help="the share document")
    p.add_argument("--db", metavar="DB", help="generated database (default: generate and cache one)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--result", metavar="FILE", help="also write a signed result file, as the trainee app exports")
    p.add_argument("--trainee", metavar="NAME", help="the trainee's name for the result file (with --result)")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("apply", help="apply a share and write the extract as CSV")
    p.add_argument("scenario", metavar="SCENARIO", help="built-in scenario name or file")
    p.add_argument("share", metavar="SHARE.json", help="the share document")
    p.add_argument("--out", required=True, metavar="CSV", help="CSV file to write")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.add_argument("--db", metavar="DB", help="generated database (default: generate and cache one)")
    p.set_defaults(func=cmd_apply)

    p = sub.add_parser("extract", help="score a share and, only if it is approved, write the extract with its data "
                       "dictionary (CSV/Parquet with a datapackage.json, or a SQLite file the explorer opens)",
                       description="Score the share against the exercise; if the engine approves it, write what the "
                       "recipient gets, with a data dictionary saying where each column comes from, what was done "
                       "to it and how sensitive it is. A share that is not approved is refused and nothing is "
                       "written. Exit codes: 0 written, 1 refused or invalid, 2 usage.")
    p.add_argument("scenario", metavar="SCENARIO", help="built-in scenario name or file")
    p.add_argument("exercise", metavar="EXERCISE", help="exercise id")
    p.add_argument("share", metavar="SHARE.json", help="the share document")
    p.add_argument("--out", required=True, metavar="PATH", help="folder for csv/parquet; file for sqlite")
    p.add_argument("--format", choices=["csv", "parquet", "sqlite"], default="csv", help="file format (default csv)")
    p.add_argument("--name", metavar="NAME", help="the extract's file/table name (default: the exercise id)")
    p.add_argument("--force", action="store_true", help="replace an existing SQLite file")
    p.add_argument("--db", metavar="DB", help="generated database (default: generate and cache one)")
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser("check", help="score every model and known-bad answer of scenarios")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="built-in scenario names or files")
    p.add_argument("--db", metavar="DB", help="generated database (default: generate and cache one)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_check)

