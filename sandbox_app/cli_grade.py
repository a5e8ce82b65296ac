"""Command line for grading: `grade RESULTS... [--json] [--csv FILE] [--html report.html] [--key KEYFILE]`.

Exit codes: 0 every result graded and none flagged; 1 at least one result flagged (or not gradable);
2 usage error: no result files found, a path that does not exist, or a --pack/--key/--scenario refused.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

EXIT_CLEAN, EXIT_FLAGGED, EXIT_USAGE = 0, 1, 2


def cmd_grade(args) -> int:
    from sandbox_app.cli import TextProgress
    from sandbox_app.errors import SandboxError
    from sandbox_app.grading.grade import grade_results, result_files
    from sandbox_app.grading.report_html import write_debrief
    from sandbox_app.grading.summary import text_report, write_csv

    missing = [p for p in args.results if not Path(p).exists()]
    if missing:
        print(f"{missing[0]}: no such file or folder", file=sys.stderr)
        return EXIT_USAGE
    if not result_files(args.results):
        print(f"{', '.join(args.results)}: no result files (*.json) found", file=sys.stderr)
        return EXIT_USAGE
    for out in (args.csv, args.html):
        if out and not Path(out).resolve().parent.is_dir():
            print(f"{out}: the folder does not exist", file=sys.stderr)
            return EXIT_USAGE
    progress = TextProgress("grading", enabled=None if not args.json else False)
    try:
        grading = grade_results(args.results, packs=args.pack or (), keys=args.key or (),
                                scenarios=args.scenario or (), state=progress, workers=args.workers,
                                references=bool(args.html))   # the HTML's room view marks the answers
    except SandboxError as err:   # the facilitator's own --pack, --key or --scenario
        print(str(err), file=sys.stderr)
        return EXIT_USAGE
    if args.csv:
        write_csv(grading, args.csv)
    if args.html:
        write_debrief(grading, args.html, title=args.title, anonymise=args.anonymise)
    code = EXIT_FLAGGED if grading.flagged else EXIT_CLEAN
    if args.json:
        print(json.dumps({"results": [r.to_dict() for r in grading.results], "notes": grading.sources,
                          "files": len(grading.results), "flagged": len(grading.flagged), "exit_code": code},
                         indent=2))
    else:
        print(text_report(grading))
        for label, out in (("CSV", args.csv), ("debrief", args.html)):
            if out:
                print(f"wrote {label}: {out}")
    return code


def add_grade_command(sub) -> None:
    p = sub.add_parser("grade", help="re-score trainees' result files and flag edited, foreign or repeated ones",
                       description="Grade result files: every share is scored again by the engine (the score "
                       "in the file is never trusted); results edited after signing, from another pack, "
                       "scenario or app version, or repeated are flagged.",
                       epilog="Exit codes: 0 all graded, none flagged; 1 some result flagged or not gradable; "
                       "2 usage error (no result files, a missing path, a refused --pack/--key/--scenario).")
    p.add_argument("results", nargs="+", metavar="RESULTS", help="result files, or folders of them")
    p.add_argument("--pack", action="append", metavar="FILE.citypack", help="a pack the results come from "
                   "(default: packs installed here, or named by a grading key)")
    p.add_argument("--key", action="append", metavar="KEYFILE", help="a pack's grading key (FILE.citypack.key; "
                   "default: the keys `pack` kept on this computer); its pack beside it is used too")
    p.add_argument("--scenario", action="append", metavar="SCENARIO", help="a scenario file results were "
                   "made from without a pack (built-in scenarios are found by name)")
    p.add_argument("--workers", type=int, metavar="N", help="processes that score shares when there are many "
                   "distinct ones (default: one per CPU, up to 4; 1: none)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--csv", metavar="FILE", help="also write one CSV row per result file")
    p.add_argument("--html", metavar="FILE", help="also write the debrief report (one offline HTML file)")
    p.add_argument("--title", default="Workshop debrief", help="title of the HTML debrief")
    p.add_argument("--anonymise", action="store_true", help="show trainees as Trainee 1, 2… in the HTML debrief")
    p.set_defaults(func=cmd_grade)
