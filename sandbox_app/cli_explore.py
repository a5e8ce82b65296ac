"""Command line for the datathon explorer: `sql`, `export` and `explore` (thin layers over sandbox_app.explore)."""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

DEFAULT_LIMIT = 1000
TEXT_WIDTH = 40


def _limit(args) -> int | None:
    return None if args.limit == 0 else args.limit


def cmd_sql(args) -> int:
    try:
        return _sql(args)
    except BrokenPipeError:  # `… | head`: the reader has all it wants
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _sql(args) -> int:
    from sandbox_app.explore.sql import ReadOnlyDatabase

    with ReadOnlyDatabase(args.db, facilitator=args.facilitator) as db:
        result = db.query(args.query, timeout=args.timeout or None)
        limit = _limit(args)
        if args.csv:
            writer = csv.writer(sys.stdout, lineterminator="\n")
            writer.writerow(result.columns)
            for page in result.pages(limit=limit):
                writer.writerows(page)
        elif args.json:
            _write_json(result, limit)
        else:
            _write_text(result, limit)
        more = not result.exhausted and bool(result.page(1))
        result.close()
    if more:
        print(f"(stopped at {limit:,} rows; use --limit 0 for all of them)", file=sys.stderr)
    return 0


def cmd_export(args) -> int:
    from sandbox_app.cli import TextProgress

    if args.participants:
        from sandbox_app.explore.participant_copy import participant_copy

        if args.table or args.query:
            raise SystemExit(_usage(args, "--participants copies the whole database; leave out --table/--query"))
        out = participant_copy(args.db, args.out, force=args.force, state=TextProgress("copying"))
        print(f"wrote the participant-safe copy {out} (no ground truth, residents table or keys)")
        return 0
    from sandbox_app.explore.catalog import Catalog
    from sandbox_app.explore.export import export_query, export_table

    if not args.table and not args.query:
        raise SystemExit(_usage(args, "say what to export: --table NAME, --query SQL or --participants"))
    catalog = Catalog(args.db, facilitator=args.facilitator)
    written = [export_table(catalog, t, args.out, args.format, state=TextProgress(f"exporting {t}"))
               for t in args.table or []]
    if args.query:
        written.append(export_query(catalog, args.query, args.out, args.name, args.format, timeout=args.timeout or None))
    for path in written:
        print(f"wrote {path}")
    print(f"described in {Path(args.out) / 'datapackage.json'}")
    return 0


def cmd_explore(args) -> int:
    from sandbox_app.explore.catalog import Catalog

    db, label = explore_target(args.db)
    Catalog(db, facilitator=args.facilitator)  # a bad file is one plain line here, before any window
    from sandbox_app.ui.explorer.app import run

    return run(db, facilitator=args.facilitator, label=label)


def explore_target(target: str | None) -> tuple[Path, str]:
    """What `explore` opens, and the window's name for it: a city database as given; or a built-in scenario's
    name or a scenario file (default: the built-in default scenario): its city, generated once and cached
    (the same file the trainee window practises on)."""
    from sandbox_app.cli import DEFAULT_SCENARIO, TextProgress

    path = Path(target or DEFAULT_SCENARIO)
    if path.suffix.lower() not in (".yaml", ".yml") and path.is_file():
        return path, path.name
    if path.suffix.lower() in (".db", ".sqlite", ".sqlite3"):
        from sandbox_app.errors import DatabaseError, Problem
        from sandbox_app.files import shown

        raise DatabaseError([Problem(shown(path), None, "", "no such file",
                                     "make one with: city-sandbox generate SCENARIO --out FILE.db")])
    from sandbox_app.cache import cached_database
    from sandbox_app.scenario.loader import load_scenario

    scenario = load_scenario(str(path))
    return cached_database(scenario, state=TextProgress(f"generating {scenario.name}")), scenario.name


def _usage(args, message: str) -> int:
    args.parser.print_usage(sys.stderr)
    print(f"city-sandbox export: error: {message}", file=sys.stderr)
    return 2


def _write_json(result, limit: int | None) -> None:
    """A JSON array of objects, written page by page (a huge result never sits in memory)."""
    out = sys.stdout
    out.write("[")
    first = True
    for page in result.pages(limit=limit):
        for row in page:
            out.write(("\n  " if first else ",\n  ") + json.dumps(dict(zip(result.columns, row, strict=True)),
                                                               default=_json_value))
            first = False
    out.write("\n]\n" if not first else "]\n")


def _json_value(value):
    return value.hex() if isinstance(value, bytes) else str(value)


def _cell(value) -> str:
    text = "NULL" if value is None else value.hex() if isinstance(value, bytes) else str(value)
    return text if len(text) <= TEXT_WIDTH else text[: TEXT_WIDTH - 1] + "…"


def _write_text(result, limit: int | None) -> None:
    rows = [[_cell(v) for v in row] for page in result.pages(limit=limit) for row in page]
    if not result.columns:
        print("(no rows: the statement returns nothing)")
        return
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(result.columns)]
    print("  ".join(c.ljust(w) for c, w in zip(result.columns, widths, strict=True)).rstrip())
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    print(f"({len(rows):,} row{'s' if len(rows) != 1 else ''})")


def _limit_type(kind: type, what: str):
    """An argparse type for a limit of `kind` (float seconds or int count): 0 means no limit, negatives refused."""

    def parse(text: str):
        import argparse

        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not {what}") from None
        if value < 0:
            raise argparse.ArgumentTypeError("must be 0 (no limit) or more")
        return value

    return parse


_timeout = _limit_type(float, "a number of seconds")
_non_negative = _limit_type(int, "a whole number")


def add_explore_commands(sub) -> None:
    from sandbox_app.explore.sql import DEFAULT_TIMEOUT_S

    p = sub.add_parser("sql", help="run one read-only SQL query on a city database",
                       description="Run one read-only query. Writes, ATTACH, extensions, temporary tables and "
                       "facilitator-only tables are refused. Exit codes: 0 ok, 1 refused or failed, 2 usage.")
    p.add_argument("db", metavar="DB", help="city database (from city-sandbox generate)")
    p.add_argument("query", metavar="QUERY", help="one SQL statement, e.g. \"SELECT * FROM _data_dictionary\"")
    p.add_argument("--timeout", type=_timeout, default=DEFAULT_TIMEOUT_S, metavar="S",
                   help=f"stop the query after S seconds (default {DEFAULT_TIMEOUT_S:g}; 0 for no limit)")
    p.add_argument("--limit", type=_non_negative, default=DEFAULT_LIMIT, metavar="N",
                   help=f"print at most N rows (default {DEFAULT_LIMIT}; 0 for all)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print a JSON array of objects")
    fmt.add_argument("--csv", action="store_true", help="print CSV with a header row")
    p.add_argument("--facilitator", action="store_true", help="also allow the facilitator-only tables")
    p.set_defaults(func=cmd_sql)

    p = sub.add_parser("export", help="export tables or a query as CSV/Parquet with a datapackage.json, or "
                       "write a participant-safe copy of a city",
                       description="Export tables or a query result (CSV or Parquet, described by a Frictionless "
                       "datapackage.json carrying the data dictionary), or with --participants write a copy of the "
                       "database without the answer key (no ground truth, no residents table, no keys).")
    p.add_argument("db", metavar="DB", help="city database")
    p.add_argument("--out", required=True, metavar="PATH", help="folder for table/query exports; file for --participants")
    p.add_argument("--participants", action="store_true", help="write a participant-safe copy of the database")
    p.add_argument("--table", action="append", metavar="NAME", help="a table to export (repeatable)")
    p.add_argument("--query", metavar="SQL", help="a read-only query whose result to export")
    p.add_argument("--name", default="result", help="file name for the query result (default: result)")
    p.add_argument("--format", choices=["csv", "parquet"], default="csv", help="file format (default csv)")
    p.add_argument("--timeout", type=_timeout, default=DEFAULT_TIMEOUT_S, metavar="S",
                   help=f"time limit for --query (default {DEFAULT_TIMEOUT_S:g} s; 0 for none)")
    p.add_argument("--facilitator", action="store_true", help="also allow the facilitator-only tables")
    p.add_argument("--force", action="store_true", help="replace an existing participant copy")
    p.set_defaults(func=cmd_export, parser=p)

    p = sub.add_parser("explore", help="open the datathon explorer (catalogue, tables, SQL, charts, exports)",
                       description="Open a city in the datathon explorer: a city database, or a scenario (a "
                       "built-in name or a scenario file), whose city is generated once and kept.")
    p.add_argument("db", metavar="DB|SCENARIO", nargs="?", default=None,
                   help="city database (from city-sandbox generate), or a built-in scenario or scenario file "
                        "(default: the built-in winter-storm city)")
    p.add_argument("--facilitator", action="store_true", help="show the answer key (ground truth, residents)")
    p.set_defaults(func=cmd_explore)
