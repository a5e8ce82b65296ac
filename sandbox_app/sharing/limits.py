"""Bounds on the work one share may ask for, checked before any of it is done (docs/share-format.md#limits).

`document_problems` runs on the parsed JSON, before validation (a document with 50,000 fields costs nothing to
refuse); `work_problems` runs when the share meets a database, where the row counts are known.
"""

from __future__ import annotations

from typing import Any

from sandbox_app.errors import Problem

MAX_TABLES = 20             # tables of one share
MAX_FIELDS = 500            # output fields of one table
MAX_DERIVED = 100           # derived fields in one share
MAX_DERIVED_VALUES = 50_000_000  # derived values computed: rows x derived fields, summed over tables
MAX_GROUP_BY = 20
MAX_MEASURES = 50


def document_problems(data: Any, file: str) -> list[Problem]:
    """Shares too big to validate or apply in bounded time: too many tables, fields or derived fields."""
    if not isinstance(data, dict):
        return []
    problems = []
    tables = data.get("tables")
    if isinstance(tables, list) and len(tables) > MAX_TABLES:
        problems.append(Problem(file, None, "tables", f"{len(tables):,} tables; a share has at most {MAX_TABLES}",
                                "share fewer tables, or make separate shares"))
        tables = tables[:MAX_TABLES]
    derived = 0
    for i, table in enumerate(tables if isinstance(tables, list) else []):
        fields = table.get("fields") if isinstance(table, dict) else None
        if not isinstance(fields, dict):
            continue
        if len(fields) > MAX_FIELDS:
            problems.append(Problem(file, None, f"tables[{i}].fields", f"{len(fields):,} fields; a table "
                                    f"shares at most {MAX_FIELDS}"))
        derived += sum(1 for op in fields.values() if isinstance(op, dict) and op.get("op") == "derive")
    if derived > MAX_DERIVED:
        problems.append(Problem(file, None, "tables", f"{derived:,} derived fields; a share has at most "
                                f"{MAX_DERIVED}", "derive only what the purpose needs"))
    aggregate = data.get("aggregate")
    if isinstance(aggregate, dict):
        for key, limit in (("group_by", MAX_GROUP_BY), ("measures", MAX_MEASURES)):
            value = aggregate.get(key)
            if isinstance(value, list) and len(value) > limit:
                problems.append(Problem(file, None, f"aggregate.{key}", f"{len(value):,} items; at most {limit}"))
    return problems


def work_problems(derived_rows: list[tuple[str, int, int]], file: str) -> list[Problem]:
    """`derived_rows`: (path of the table in the share, its rows, its derived fields). Refuses a share whose
    derived fields would compute more than MAX_DERIVED_VALUES values."""
    total = sum(rows * derived for _, rows, derived in derived_rows)
    if total <= MAX_DERIVED_VALUES:
        return []
    at = max(derived_rows, key=lambda t: t[1] * t[2])[0]
    return [Problem(file, None, at, f"its derived fields would compute {total:,} values; the limit is "
                    f"{MAX_DERIVED_VALUES:,} (rows x derived fields)", "derive fewer fields, or filter the rows")]
