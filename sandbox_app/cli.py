"""Command line: `city-sandbox` (also `python -m sandbox_app`). A thin layer over the headless core.

Exit codes: 0 ok, 1 invalid input (or a share that is not approved), 2 usage error or unusable share.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sandbox_app import __version__
from sandbox_app.errors import SandboxError
from synthetic.progress import Cancelled

if TYPE_CHECKING:
    from sandbox_app.scenario.model import Scenario

# Commands import the scenario loader (pydantic), pandas and the engine when they run, never at start-up:
# `city-sandbox --help` stays well under half a second.

DEFAULT_SCENARIO = "winter-storm"


class TextProgress:
    """A progress bar on stderr, redrawn only when the shown percentage changes (and only on a terminal)."""

    def __init__(self, label: str, enabled: bool | None = None) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.shown = -1

    def set_progress(self, fraction: float, status: str = "") -> None:
        percent = int(fraction * 100)
        if not self.enabled or percent == self.shown:
            return
        self.shown = percent
        bar = "#" * (percent // 4)
        sys.stderr.write(f"\r{self.label} [{bar:<25}] {percent:3d}% {status[:40]:<40}")
        if percent >= 100:
            sys.stderr.write("\n")
        sys.stderr.flush()

    def is_cancelled(self) -> bool:
        return False


def _print_json(data) -> None:
    print(json.dumps(data, indent=2, default=str))


def cmd_list(args) -> int:
    from sandbox_app.scenario.loader import builtin_scenarios, load_scenario

    out = []
    for name in builtin_scenarios():
        scenario = load_scenario(name)
        out.append({"name": name, "title": scenario.title, "residents": scenario.city.residents,
                    "departments": [d.id for d in scenario.departments],
                    "exercises": [{"id": e.id, "title": e.title} for e in scenario.exercises]})
    if args.json:
        _print_json(out)
        return 0
    for item in out:
        print(f"{item['name']}: {item['title']}")
        print(f"  {item['residents']:,} residents; departments: {', '.join(item['departments'])}")
        for ex in item["exercises"]:
            print(f"  - {ex['id']}: {ex['title']}")
    return 0


def cmd_validate(args) -> int:
    from sandbox_app.scenario.loader import load_scenario

    results = []
    failed = False
    for path in args.paths:
        try:
            scenario = load_scenario(path, deep=True)
            results.append({"file": path, "valid": True, "scenario": scenario.name, "problems": []})
            if not args.json:
                print(f"{path}: OK ({scenario.name}: {len(scenario.departments)} departments, "
                      f"{len(scenario.exercises)} exercises)")
        except SandboxError as err:
            failed = True
            results.append({"file": path, "valid": False, "problems": [p.to_dict() for p in err.problems]})
            if not args.json:
                print(str(err), file=sys.stderr)
    if args.json:
        _print_json(results)
    return 1 if failed else 0


def cmd_generate(args) -> int:
    import sqlite3

    from sandbox_app.files import check_target, os_error_message, shown
    from synthetic.check import size_issues
    from synthetic.generate import generate_city

    scenario = _scenario_with_seed(args.scenario, args.seed)
    out = Path(args.out or f"{scenario.name}.db")
    if out.is_dir():
        print(f"{shown(out)}: is a folder; give a file name, e.g. --out {shown(out / (scenario.name + '.db'))}",
              file=sys.stderr)
        return 1
    check_target(out, force=args.force)
    for issue in size_issues(scenario, args.residents):
        print(f"{shown(args.scenario)}: {issue.message}" + (f" ({issue.hint})" if issue.hint else ""), file=sys.stderr)
        return 1
    progress = TextProgress(f"generating {scenario.name}", enabled=None if not args.json else False)
    try:
        result = generate_city(scenario, out, residents=args.residents, state=progress,
                               scenario_name=scenario.name, meta={"app_version": __version__})
    except OSError as err:  # disk full, no permission, …: the partial file is already removed
        print(f"{shown(out)}: cannot write the database: {os_error_message(err)}", file=sys.stderr)
        return 1
    except sqlite3.Error as err:  # SQLite's own words for the same: "unable to open", "disk is full"
        full = "full" in str(err)
        print(f"{shown(out)}: cannot write the database: "
              f"{'the disk is full' if full else 'no permission to write there, or not a folder'}", file=sys.stderr)
        return 1
    summary = {"database": str(result.database), "scenario": scenario.name, "seed": scenario.seed,
               "residents": result.residents, "tables": result.tables, "seconds": round(result.seconds, 3)}
    if args.json:
        _print_json(summary)
    else:
        print(f"Generated {scenario.name} ({result.residents:,} residents, seed {scenario.seed}) "
              f"in {result.seconds:.1f} s -> {result.database}")
        for table, rows in result.tables.items():
            print(f"  {table:<40} {rows:>9,} rows")
    return 0


def _scenario_with_seed(name: str, seed: int | None) -> Scenario:
    from sandbox_app.scenario.loader import load_scenario

    scenario = load_scenario(name)
    return scenario if seed is None else scenario.with_seed(seed)


def cmd_schema(args) -> int:
    from sandbox_app.scenario.schema import scenario_json_schema

    text = json.dumps(scenario_json_schema(), indent=2)
    if args.out:
        from sandbox_app.files import atomic_write, shown

        atomic_write(args.out, text + "\n", force=args.force)
        print(f"wrote {shown(args.out)}")
    else:
        print(text)
    return 0


def cmd_new(args) -> int:
    from sandbox_app.scenario.new import new_scenario

    path = new_scenario(args.name, args.source, args.dir, force=args.force).resolve()
    print(f"wrote {path} and its answers in {path.with_suffix('')}{'/'}; it validates. Next:")
    print(f"  city-sandbox validate {path}")
    print(f"  city-sandbox check {path}")
    return 0


def cmd_gui(args) -> int:
    """Open the desktop app: the start screen, or straight into SCENARIO (a built-in name, file or pack)."""
    import time

    started = time.perf_counter()
    from sandbox_app.ui.app import run_gui

    return run_gui(args.scenario, started=started)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="city-sandbox", description="City Data-Sharing Sandbox: practise "
                                     "what to share between city departments, on a synthetic city.",
                                     epilog="Exit codes: 0 ok; 1 invalid input, or a share that is not approved; "
                                     "2 usage error or a share that cannot be applied. Works offline.")
    parser.add_argument("--version", action="version", version=f"city-sandbox {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("gui", help="open the desktop app (the default command): the start screen, or straight "
                                   "into a scenario")
    p.add_argument("scenario", nargs="?", default=None, help="built-in scenario name, scenario file or .citypack "
                                                             "to open at once (default: the start screen)")
    p.set_defaults(func=cmd_gui)

    p = sub.add_parser("list", help="list the built-in scenarios and their exercises")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("validate", help="check scenario files and report every problem with file:line")
    p.add_argument("paths", nargs="+", metavar="PATH", help="scenario files (or built-in names)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("generate", help="generate a scenario's city into a SQLite database")
    p.add_argument("scenario", metavar="SCENARIO", help="built-in scenario name or a path to a scenario file")
    p.add_argument("--out", metavar="DB", help="database file to write (default: SCENARIO.db)")
    p.add_argument("--seed", type=_whole_number(-(10**100), 10**100), help="override the scenario's seed "
                   "(0 to 9,223,372,036,854,775,807, like a scenario file's seed)")
    p.add_argument("--residents", type=_whole_number(10, 5_000_000), help="override the number of residents")
    p.add_argument("--force", action="store_true", help="replace an existing database")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("schema", help="write the JSON Schema of scenario files (for editors)")
    p.add_argument("--out", metavar="FILE", help="file to write (default: print)")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("new", help="write a new scenario file (and its answers folder) to start from")
    p.add_argument("name", metavar="NAME", help="the new scenario's name, e.g. library-cards")
    p.add_argument("--from", dest="source", default="winter-storm", metavar="SCENARIO",
                   help="built-in scenario or file to copy (default: winter-storm)")
    p.add_argument("--dir", default=".", metavar="FOLDER", help="where to write NAME.yaml and NAME/ (default: here)")
    p.add_argument("--force", action="store_true", help="replace existing files")
    p.set_defaults(func=cmd_new)

    from sandbox_app.cli_engine import add_engine_commands

    add_engine_commands(sub)
    from sandbox_app.cli_explore import add_explore_commands

    add_explore_commands(sub)
    from sandbox_app.cli_packs import add_pack_commands

    add_pack_commands(sub)
    from sandbox_app.cli_grade import add_grade_command

    add_grade_command(sub)
    from sandbox_app.cli_studio import add_studio_command

    add_studio_command(sub)
    from sandbox_app.cli_debrief import add_debrief_command

    add_debrief_command(sub)
    return parser


def _whole_number(low: int, high: int):
    """An argparse type: a whole number from `low` to `high` (the message never echoes a huge argument)."""
    def parse(text: str) -> int:
        from sandbox_app.files import shown

        try:
            value = int(text) if len(text) <= 110 else None
        except ValueError:
            value = None
        if value is None:
            raise argparse.ArgumentTypeError(f"'{shown(text, 40)}' is not a whole number from {low:,} to {high:,}")
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:,} and {high:,}")
        return value
    return parse


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        args = parser.parse_args(["gui", *(argv or [])])
    if not sys.warnoptions:  # library warnings (pandas, numpy) are not the user's to read; -W shows them
        import warnings

        warnings.simplefilter("ignore")
    try:
        code = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, not in an "Exception ignored" at exit
        return code
    except BrokenPipeError:  # `city-sandbox validate --json | head`: the reader has gone, stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except SandboxError as err:
        print(str(err), file=sys.stderr)
        return err.exit_code
    except OSError as err:  # a file problem no command foresaw (a name too long, a device …): one sentence
        from sandbox_app.files import shown

        where = shown(err.filename) + ": " if err.filename else ""
        print(f"{where}{err.strerror or err}", file=sys.stderr)
        return 1
    except Cancelled:
        print("cancelled; nothing was written", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
