"""Is this database one the generator wrote, unchanged in shape? Checked once when a city is opened.

A hand-edited `_meta`, a `_data_dictionary` or `_ground_truth` with values of the wrong type, or an emptied
`_ground_truth` would otherwise surface later as a traceback or, worse, as a plausible score (an empty ground
truth scores usefulness 100). Each check is one SQL aggregate, a few milliseconds for a 20,000-resident city.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

NOT_OURS = "not a database this version wrote"
META_KEYS = ("scenario", "seed", "residents", "reference_date", "generator_version", "pseudonym_key")
DATA_TYPES = ("text", "integer", "real", "date", "flag")
_TEXT_COLUMNS = ("table_name", "column_name", "description", "category", "sensitivity", "department",
                 "data_type", "format", "unit", "semantic")


def integrity_problem(query: Callable[[str], list[tuple]], tables: set[str]) -> str | None:
    """The first sign that the database was not written by this version's generator, as a short phrase."""
    for name in ("_meta", "_data_dictionary", "_ground_truth", "_residents"):
        if name not in tables:
            return f"it has no {name} table"
    meta_types = dict(query("SELECT key, typeof(value) FROM _meta"))
    for key in META_KEYS:
        if key not in meta_types:
            return f"_meta has no '{key}'"
        if meta_types[key] != "text":
            return f"_meta '{key}' holds a value of type {meta_types[key]}"
    meta = dict(query("SELECT key, value FROM _meta"))
    for key in ("seed", "residents"):
        if not re.fullmatch(r"\d{1,19}", meta[key]):
            return f"_meta '{key}' is not a whole number"
    try:
        dt.date.fromisoformat(meta["reference_date"])
    except ValueError:
        return "_meta 'reference_date' is not a date"
    if not re.fullmatch(r"[0-9a-f]{64}", meta["pseudonym_key"]):
        return "_meta 'pseudonym_key' is not a key this version writes"
    columns = {row[1] for row in query("PRAGMA table_info(_data_dictionary)")}
    wrong = [c for c in _TEXT_COLUMNS if c in columns and _count(query, f"SELECT COUNT(*) FROM _data_dictionary "
                                                                       f"WHERE typeof({c}) NOT IN ('text', 'null')")]
    if wrong:
        return f"_data_dictionary.{wrong[0]} holds values that are not text"
    if _count(query, "SELECT COUNT(*) FROM _data_dictionary WHERE typeof(facilitator_only) != 'integer' "
                     "OR facilitator_only NOT IN (0, 1)"):
        return "_data_dictionary.facilitator_only holds values other than 0 and 1"
    listed = ", ".join(f"'{t}'" for t in DATA_TYPES)
    if _count(query, f"SELECT COUNT(*) FROM _data_dictionary WHERE data_type NOT IN ({listed})"):
        return "_data_dictionary.data_type holds an unknown data type"
    truth_columns = {row[1] for row in query("PRAGMA table_info(_ground_truth)")}
    if not {"table_name", "row_id", "resident_id"} <= truth_columns:
        return "_ground_truth lacks table_name, row_id or resident_id"
    if _count(query, "SELECT COUNT(*) FROM _ground_truth WHERE typeof(row_id) != 'integer' "
                     "OR typeof(resident_id) != 'integer' OR typeof(table_name) != 'text'"):
        return "_ground_truth holds values of the wrong type"
    truth_rows = dict(query("SELECT table_name, COUNT(*) FROM _ground_truth GROUP BY table_name"))
    department_tables = [t for (t,) in query("SELECT DISTINCT table_name FROM _data_dictionary "
                                             "WHERE facilitator_only = 0 AND table_name NOT LIKE '\\_%' ESCAPE '\\'")]
    for table in department_tables:
        if table not in tables:
            return f"the data dictionary lists a table '{table[:60]}' that is missing"
        rows = _count(query, f'SELECT COUNT(*) FROM "{table.replace(chr(34), chr(34) * 2)}"')
        if rows != truth_rows.get(table, 0):
            return f"_ground_truth has {truth_rows.get(table, 0):,} rows for '{table[:60]}', which has {rows:,}"
    return None


def _count(query: Callable[[str], list[tuple]], sql: str) -> int:
    return int(query(sql)[0][0])
