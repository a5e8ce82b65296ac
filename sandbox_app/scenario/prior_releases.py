"""`validate` of a scenario's prior releases: each file exists, parses as a share document, and names tables
and fields the scenario's departments really have (checked from the scenario, without a database).

A problem in an inline release is located at its own line of the scenario file (``prior_releases[0].share.
tables[0].fields.zipp``); a problem in a release file is located at the release's line of the scenario and
names the file, its line when the JSON syntax is broken, and the field path inside it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from sandbox_app.errors import ShareError
from sandbox_app.scenario.model import Scenario
from synthetic.check import SpecIssue, did_you_mean
from synthetic.expr import ExpressionError, parse

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _loc_of(path: str) -> tuple:
    """'tables[0].fields.zip.op' -> ('tables', 0, 'fields', 'zip', 'op')."""
    return tuple(int(index) if index else name for name, index in _PART.findall(path))


def reference_problems(doc, tables: dict[str, list[str]]) -> list[tuple[str, str, str | None]]:
    """(field path, message, hint) for every table, field and expression column of share `doc` that `tables`
    (table name -> its field names) does not have, and every aggregate field that is not a field of the share."""
    out: list[tuple[str, str, str | None]] = []
    for ti, table in enumerate(doc.tables):
        at = f"tables[{ti}]"
        columns = tables.get(table.table)
        if columns is None:
            out.append((f"{at}.table", f"unknown table '{table.table}'",
                        did_you_mean(table.table, tables) or f"tables: {', '.join(tables)}"))
            continue
        if table.where is not None:
            out += _expression_problems(table.where, columns, f"{at}.where")
        for name, op in table.fields.items():
            if op.op == "derive":
                out += _expression_problems(op.expr, columns, f"{at}.fields.{name}.expr")
            elif name not in columns:
                out.append((f"{at}.fields.{name}", f"unknown field '{name}' in {table.table}",
                            did_you_mean(name, columns) or "to add a new field, use op derive"))
    if doc.aggregate is not None and len(doc.tables) == 1:
        outputs = [n for n, op in doc.tables[0].fields.items() if op.op != "drop"]
        wanted = [(f"aggregate.group_by[{j}]", n) for j, n in enumerate(doc.aggregate.group_by)]
        wanted += [(f"aggregate.measures[{j}].field", m.field) for j, m in enumerate(doc.aggregate.measures)
                   if m.field is not None]
        out += [(path, f"'{name}' is not a field of the share", did_you_mean(name, outputs)
                 or "list it under the table's fields first") for path, name in wanted if name not in outputs]
    elif doc.aggregate is not None:
        out.append(("aggregate", f"an aggregate is computed from exactly one table; this share has "
                    f"{len(doc.tables)}", "make one release per table"))
    return out


def _expression_problems(text: str, columns: list[str], path: str) -> list[tuple[str, str, str | None]]:
    try:
        parse(text, columns)
    except ExpressionError as err:
        where = "" if err.position is None else f" at column {err.position + 1}"
        return [(path, f"expression error: {err.message}{where}", err.hint)]
    return []


def prior_release_issues(scenario: Scenario, base: Path | None) -> list[SpecIssue]:
    """Every problem of the scenario's prior releases (file references are looked for only with `base`)."""
    from sandbox_app.sharing.document import load_share, parse_share_text

    tables = {t.name: [f.name for f in t.fields] for d in scenario.departments for t in d.tables}
    issues: list[SpecIssue] = []
    for i, release in enumerate(scenario.prior_releases):
        loc = ("prior_releases", i, "share")
        ref = release.share
        if isinstance(ref, dict):
            try:
                doc = parse_share_text(json.dumps(ref), "inline")
            except ShareError as err:
                issues += [SpecIssue((*loc, *_loc_of(p.path)), f"prior release '{release.title}': {p.message}",
                                     p.hint) for p in err.problems]
                continue
            issues += [SpecIssue((*loc, *_loc_of(path)), f"prior release '{release.title}': {message}", hint)
                       for path, message, hint in reference_problems(doc, tables)]
            continue
        if base is None:
            continue
        if not (base / ref).is_file():
            issues.append(SpecIssue(loc, f"prior release file '{ref[:200]}' does not exist",
                                    f"paths are relative to the scenario's folder ({base})"))
            continue
        try:
            doc = load_share(base / ref)
        except ShareError as err:
            issues += [_in_file(loc, ref, p.line, p.path, p.message, p.hint) for p in err.problems]
            continue
        issues += [_in_file(loc, ref, None, path, message, hint)
                   for path, message, hint in reference_problems(doc, tables)]
    return issues


def _in_file(loc: tuple, ref: str, line: int | None, path: str, message: str, hint: str | None) -> SpecIssue:
    where = f"'{ref[:200]}'" + (f" line {line}" if line else "") + (f", {path}" if path else "")
    return SpecIssue(loc, f"prior release file {where}: {message}", hint)


__all__ = ["prior_release_issues", "reference_problems"]
