"""Exports: tables and query results as CSV or Parquet with a Frictionless `datapackage.json`, written atomically.

Rows stream page by page, so a million-row table never sits in memory. The data package carries the data
dictionary (Table Schema fields with `description` and the custom properties `category`, `sensitivity` and
`unit`), so other tools see what each column is and how sensitive. Several exports into one folder share
one `datapackage.json`, one resource each. The participant-safe copy lives in participant_copy.py.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from sandbox_app.errors import Problem, SandboxError
from sandbox_app.explore.catalog import (
    SENSITIVITY_ORDER,
    Catalog,
    ColumnInfo,
    open_read_only,
    quote,
    row_order,
)
from sandbox_app.explore.sql import DEFAULT_TIMEOUT_S, ReadOnlyDatabase
from synthetic.progress import Cancelled, NullState, TaskState

EXPORT_PAGE_ROWS = 20_000
FORMATS = ("csv", "parquet")
_FIELD_TYPES = {"text": "string", "integer": "integer", "real": "number", "date": "string", "flag": "boolean"}


class ExportError(SandboxError):
    """An export that cannot be written: the file exists, the folder is missing, pyarrow is not installed…"""


def _fail(where: str | Path, message: str, hint: str | None = None) -> ExportError:
    return ExportError([Problem(str(where), None, "", message, hint)])


def resource_name(text: str) -> str:
    """A Frictionless resource name (lower case letters, digits, '-', '_', '.')."""
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-") or "result"


def table_field(column: ColumnInfo) -> dict:
    """A Table Schema field for a dictionary column, with the sandbox's own properties."""
    out = {"name": column.name, "type": _FIELD_TYPES.get(column.data_type, "any")}
    if column.description:
        out["description"] = column.description
    if column.data_type == "flag":
        out.update(trueValues=["1", "true"], falseValues=["0", "false"])
    if column.data_type == "date" and column.format:
        out["dateFormat"] = column.format  # department formats (and their defects) vary, so kept as text
    for key in ("category", "sensitivity", "unit"):
        if getattr(column, key):
            out[key] = getattr(column, key)
    return out


def inferred_column(catalog: Catalog, name: str, values: list) -> ColumnInfo:
    """A query result column: its dictionary entry when the name is a known column (the most sensitive one
    if several tables have it), else a type inferred from the values seen."""
    known = [c for t in catalog.tables for c in t.columns if c.name == name]
    present = [v for v in values if v is not None]
    data_type = ("integer" if all(isinstance(v, int) for v in present) else
                 "real" if all(isinstance(v, int | float) for v in present) else "text") if present else "text"
    if not known:
        return ColumnInfo(name, "Computed by the query", data_type=data_type)
    worst = max(known, key=lambda c: SENSITIVITY_ORDER.index(c.sensitivity)
                if c.sensitivity in SENSITIVITY_ORDER else -1)
    kept_type = worst.data_type if worst.data_type in ("text", "date") or data_type == "integer" else data_type
    return ColumnInfo(name, worst.description, worst.category, worst.sensitivity, kept_type, worst.format,
                      worst.unit, worst.semantic)


def _pages(cursor: sqlite3.Cursor, state: TaskState, total: int | None) -> Iterator[list]:
    done = 0
    while True:
        if state.is_cancelled():
            raise Cancelled()
        rows = cursor.fetchmany(EXPORT_PAGE_ROWS)
        if not rows:
            return
        done += len(rows)
        if total:
            state.set_progress(min(done / total, 1.0), f"{done:,} rows")
        yield rows


def export_table(catalog: Catalog, table: str, out_dir: str | Path, fmt: str = "csv",
                 state: TaskState | None = None) -> Path:
    """Write `table` (a table the catalogue shows) to OUT_DIR/TABLE.csv|parquet and describe it in
    OUT_DIR/datapackage.json. Returns the data file."""
    info = catalog.table(table)
    conn = open_read_only(catalog.path)
    try:
        cursor = conn.execute(f"SELECT * FROM {quote(table)} ORDER BY {row_order(conn, table)}")
        names = [d[0] for d in cursor.description]
        columns = [info.column(n) or ColumnInfo(n) for n in names]
        return _write(out_dir, resource_name(table), columns, _pages(cursor, state or NullState(), info.rows), fmt,
                      f"Table {table} ({info.department})")
    finally:
        conn.close()


def export_query(catalog: Catalog, sql: str, out_dir: str | Path, name: str = "result", fmt: str = "csv",
                 timeout: float | None = DEFAULT_TIMEOUT_S, state: TaskState | None = None) -> Path:
    """Run one read-only query (same rules as the console) and write its whole result, page by page."""
    state = state or NullState()
    with ReadOnlyDatabase(catalog.path, facilitator=catalog.facilitator) as db:
        result = db.query(sql, timeout=timeout, state=state)
        first = result.page(EXPORT_PAGE_ROWS)
        columns = [inferred_column(catalog, n, [r[i] for r in first]) for i, n in enumerate(result.columns)]

        def pages() -> Iterator[list]:
            if first:
                yield first
            yield from result.pages(EXPORT_PAGE_ROWS)
        return _write(out_dir, resource_name(name), columns, pages(), fmt, f"Query: {sql}")


def _write(out_dir: str | Path, name: str, columns: list[ColumnInfo], pages: Iterator[list], fmt: str,
           description: str) -> Path:
    if fmt not in FORMATS:
        raise _fail(out_dir, f"unknown format '{fmt}'", "use csv or parquet")
    out_dir = Path(out_dir)
    if not out_dir.exists() and out_dir.parent.is_dir():
        out_dir.mkdir()
    if not out_dir.is_dir():
        raise _fail(out_dir, "no such folder", "create it first, or give an existing folder")
    target = out_dir / f"{name}.{fmt}"
    tmp = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        (_write_csv if fmt == "csv" else _write_parquet)(tmp, columns, pages)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    resource = {"name": name, "path": target.name, "format": fmt,
                "mediatype": "text/csv" if fmt == "csv" else "application/vnd.apache.parquet",
                "description": description, "schema": {"fields": [table_field(c) for c in columns]}}
    if fmt == "csv":
        resource.update(encoding="utf-8", profile="tabular-data-resource")
    add_to_datapackage(out_dir, resource)
    return target


def _write_csv(path: Path, columns: list[ColumnInfo], pages: Iterator[list]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([c.name for c in columns])
        for page in pages:
            writer.writerows(page)


def _arrow_type(pa, column: ColumnInfo):
    return {"integer": pa.int64(), "real": pa.float64(), "flag": pa.bool_()}.get(column.data_type, pa.string())


def _write_parquet(path: Path, columns: list[ColumnInfo], pages: Iterator[list]) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise _fail(path.with_name(path.name.split(".partial-")[0].lstrip(".")), "Parquet needs pyarrow",
                    "pip install 'city-sandbox[parquet]', or export as CSV") from None
    fields = [pa.field(c.name, _arrow_type(pa, c), metadata={k: getattr(c, k) for k in
                                                             ("description", "category", "sensitivity", "unit")
                                                             if getattr(c, k)} or None) for c in columns]
    schema = pa.schema(fields)
    with pq.ParquetWriter(path, schema) as writer:
        for page in pages:
            arrays = []
            for i, (column, f) in enumerate(zip(columns, fields, strict=True)):
                values = [row[i] for row in page]
                try:
                    arrays.append(pa.array(values, type=pa.int64() if f.type == pa.bool_() else f.type).cast(f.type))
                except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
                    raise _fail(path.name.split(".partial-")[0].lstrip("."), f"column {column.name} mixes "
                                f"types ({err})", "CAST it to one type in the query") from None
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))


def add_to_datapackage(out_dir: Path, resource: dict) -> Path:
    """Add (or replace, by name) one resource in OUT_DIR/datapackage.json, written atomically."""
    path = out_dir / "datapackage.json"
    package = {"name": resource_name(out_dir.resolve().name), "profile": "data-package", "resources": []}
    if path.exists():
        try:
            package = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise _fail(path, f"is not valid JSON ({err})", "move it away, then export again") from None
    package["resources"] = [r for r in package.get("resources", []) if r.get("name") != resource["name"]]
    package["resources"].append(resource)
    package["resources"].sort(key=lambda r: r.get("name", ""))
    tmp = path.with_name(f".datapackage.json.partial-{os.getpid()}")
    tmp.write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


__all__ = ["ExportError", "FORMATS", "export_query", "export_table", "table_field"]
