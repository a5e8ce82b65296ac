"""An approved extract, written for its recipient: what a share yields once the engine approves it.

As CSV or Parquet beside a Frictionless `datapackage.json` (export.py's writer), or as a small SQLite file
with a `_data_dictionary` and a `_meta`, which the explorer opens like a city (`city-sandbox explore
FILE.db`). Either way the data dictionary travels with it: each column says where it comes from and what
was done to it ("Date of birth, generalised to year"), with the category and sensitivity of what it was
computed from, so the recipient's tools see what they hold. Only what the recipient gets is written
(`Extract.frame`): never row ids, the ground truth or the counts before suppression.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd

from sandbox_app.explore.catalog import APPROVED_EXTRACT, Catalog, ColumnInfo, quote
from sandbox_app.explore.export import _fail, _write, resource_name
from sandbox_app.sharing.extract import SOURCE_TABLE, Extract, OutputColumn
from synthetic.categories import CATEGORIES
from synthetic.sqlite_file import new_database

FORMATS = ("csv", "parquet", "sqlite")
_DONE = {"generalize": "generalised to {grain}", "pseudonym": "replaced by a keyed pseudonym (not reversible "
         "without the department's key)", "hash": "replaced by an unkeyed hash", "mask": "masked",
         "top_code": "top-coded", "bottom_code": "bottom-coded", "suppress_rare": "with rare values suppressed"}
_DICTIONARY = ("table_name", "column_name", "description", "category", "sensitivity", "department",
               "facilitator_only", "data_type", "format", "unit", "semantic")


def _data_type(series: pd.Series) -> str:
    """The dictionary type of a column of the extract (a count with suppressed cells is float: still integer)."""
    if pd.api.types.is_bool_dtype(series):
        return "flag"
    if pd.api.types.is_integer_dtype(series) or (series.name == "count" and pd.api.types.is_float_dtype(series)):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        return "real"
    return "text"


def _described(catalog: Catalog, column: OutputColumn) -> ColumnInfo:
    table = catalog.all_tables.get(column.table)
    source = table.column(column.sources[0]) if table is not None and column.sources else None
    if column.op == "derive":  # computed from several columns: say which, and how
        expression = column.params.get("expr") or column.params.get("expression") or ""
        return ColumnInfo(column.name, f"Derived from {', '.join(column.sources) or 'no column'}"
                          + (f": {expression}" if expression else ""), column.category,
                          CATEGORIES.get(column.category, "internal"), semantic=column.semantic)
    base = (source.description if source is not None and source.description else
            f"{column.table}.{', '.join(column.sources) or column.name}")
    done = _DONE.get(column.op)
    if done is not None:
        base = f"{base.rstrip('.')}, {done.format(grain=column.grain)}"
    return ColumnInfo(column.name, base, column.category, CATEGORIES.get(column.category, "internal"),
                      source.data_type if source is not None and column.op == "keep" else "",
                      source.format if source is not None and column.op == "keep" else "",
                      source.unit if source is not None else "", column.semantic)


def extract_columns(catalog: Catalog, extract: Extract) -> list[ColumnInfo]:
    """The recipient's data dictionary: one ColumnInfo per column of `extract.frame`, in its order."""
    frame = extract.frame
    known = {c.name: c for c in extract.columns}
    out = []
    for name in frame.columns:
        if name in known:
            info = _described(catalog, known[name])
        elif name == SOURCE_TABLE:
            info = ColumnInfo(name, "The table the record comes from", "operational", "internal")
        elif name == "count":
            info = ColumnInfo(name, "Number of records in the cell (empty where the cell is suppressed)",
                              "operational", "internal")
        elif name == "suppressed":
            info = ColumnInfo(name, "Whether the cell is suppressed (its count and measures are withheld)",
                              "operational", "internal")
        elif name.startswith(("sum_", "mean_")):
            op, field = name.split("_", 1)
            source = known.get(field)
            info = (_described(catalog, source) if source is not None else ColumnInfo(field))
            info = ColumnInfo(name, f"{'Sum' if op == 'sum' else 'Mean'} of {field} in the cell: {info.description}",
                              info.category, info.sensitivity, unit=info.unit)
        else:
            info = ColumnInfo(name, "Computed by the share")
        if not info.data_type:  # a kept column keeps its dictionary type (a date in its department's format)
            info = dataclasses.replace(info, data_type=_data_type(frame[name]))
        out.append(info)
    return out


def extract_about(scenario, exercise, report, share: str | None = None) -> dict:
    """What an approved extract's `_meta` and data package say of it: where it comes from and how it scored."""
    about = {"scenario": scenario.name, "exercise": exercise.id, "department": exercise.holding_department,
             "agreement": exercise.agreement, "privacy_score": report.privacy_score,
             "usefulness_score": report.usefulness_score}
    return about | ({"share": share} if share else {})


def _value(v):
    """A cell as the files store it: numpy scalars as Python ones, flags as 1/0 (as the city writes them)."""
    v = v.item() if hasattr(v, "item") else v
    return int(v) if isinstance(v, bool) else v


def _rows(frame: pd.DataFrame) -> list[tuple]:
    clean = frame.astype(object).where(frame.notna(), None)
    return [tuple(_value(v) for v in row) for row in clean.itertuples(index=False, name=None)]


def write_approved_extract(catalog: Catalog, extract: Extract, out: str | Path, *, fmt: str = "csv",
                           name: str = "extract", about: dict | None = None, force: bool = False) -> Path:
    """Write `extract` for its recipient. csv/parquet: OUT is a folder (NAME.csv|parquet and datapackage.json);
    sqlite: OUT is the file (refused if it exists, unless `force`). `about`: what `_meta` and the data
    package say of it (scenario, exercise, verdict …). Returns the data file."""
    if fmt not in FORMATS:
        raise _fail(out, f"unknown format '{fmt}'", "use csv, parquet or sqlite")
    columns = extract_columns(catalog, extract)
    about = dict(about or {})
    described = "Approved extract" + (f" for {about['exercise']}" if about.get("exercise") else "") + \
        (f" ({about['scenario']})" if about.get("scenario") else "")
    if fmt != "sqlite":
        return _write(out, resource_name(name), columns, iter([_rows(extract.frame)]), fmt, described)
    return _write_sqlite(catalog, extract, columns, Path(out), resource_name(name).replace("-", "_"), about,
                         described, force)


def _write_sqlite(catalog: Catalog, extract: Extract, columns: list[ColumnInfo], out: Path, table: str,
                  about: dict, described: str, force: bool) -> Path:
    if out.is_dir():
        raise _fail(out, "is a folder", f"give a file name, e.g. --out {out / 'extract.db'}")
    if out.exists() and not force:
        raise _fail(out, "already exists", "use --force to replace it")
    if not out.parent.is_dir():
        raise _fail(out.parent, "no such folder")
    department = about.get("department", "")
    with new_database(out) as conn:
        kinds = {"integer": "INTEGER", "real": "REAL", "flag": "INTEGER"}
        conn.execute(f"CREATE TABLE {quote(table)} (" + ", ".join(f"{quote(c.name)} {kinds.get(c.data_type, 'TEXT')}"
                                                               for c in columns) + ")")
        rows = _rows(extract.frame)
        conn.executemany(f"INSERT INTO {quote(table)} VALUES ({', '.join('?' * len(columns))})", rows)
        conn.execute(f"CREATE TABLE _data_dictionary ({', '.join(f'{c} TEXT' for c in _DICTIONARY)})")
        entries = [(table, c.name, c.description, c.category, c.sensitivity, department, 0, c.data_type, c.format,
                    c.unit, c.semantic) for c in columns]
        entries += [(t, k, described, "operational", "internal", department, 0, "text", "", "", k)
                    for t, k in (("_meta", "key"), ("_meta", "value"))]
        conn.executemany(f"INSERT INTO _data_dictionary VALUES ({', '.join('?' * len(_DICTIONARY))})", entries)
        meta = {k: catalog.meta[k] for k in ("app_version", "generator_version") if k in catalog.meta}
        meta |= {k: str(v) for k, v in about.items() if v is not None}
        meta |= {"copy": APPROVED_EXTRACT, "note": described}
        meta["row_counts"] = json.dumps({table: len(rows), "_data_dictionary": len(entries), "_meta": len(meta) + 1})
        conn.execute("CREATE TABLE _meta (key TEXT PRIMARY KEY, value TEXT)")
        conn.executemany("INSERT INTO _meta VALUES (?, ?)", sorted(meta.items()))
    return out


__all__ = ["APPROVED_EXTRACT", "FORMATS", "extract_about", "extract_columns", "write_approved_extract"]
