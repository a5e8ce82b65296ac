"""Command line for the debrief dashboard: `debrief [FOLDER] [--key KEYFILE] [--pack FILE] [--scenario FILE]`."""

from __future__ import annotations

import sys
from pathlib import Path


def cmd_debrief(args) -> int:
    if args.folder is not None and not Path(args.folder).exists():
        print(f"{args.folder}: no such file or folder", file=sys.stderr)
        return 2
    for path in (args.key or []) + (args.pack or []):
        if not Path(path).is_file():
            print(f"{path}: no such file", file=sys.stderr)
            return 2
    from sandbox_app.ui.studio.debrief_window import run

    return run(args.folder, keys=args.key or (), packs=args.pack or (), scenarios=args.scenario or ())


def add_debrief_command(sub) -> None:
    p = sub.add_parser("debrief", help="open the debrief dashboard on a folder of result files (a window)",
                       description="The facilitator's debrief: grade a folder of result files (as `grade` does) "
                       "and show the room view, score distributions, rules broken most and each trainee's share; "
                       "anonymise names for the projector; save as HTML or PDF.")
    p.add_argument("folder", nargs="?", metavar="FOLDER", help="a folder of result files (or one file); "
                   "choose one in the window if left out")
    p.add_argument("--key", action="append", metavar="KEYFILE", help="a pack's grading key (as for `grade`)")
    p.add_argument("--pack", action="append", metavar="FILE.citypack", help="a pack the results come from")
    p.add_argument("--scenario", action="append", metavar="SCENARIO", help="a scenario file results were made "
                   "from without a pack")
    p.set_defaults(func=cmd_debrief)
