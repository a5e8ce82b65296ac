"""A participant-safe copy of a city database: the tables teams may use and the dictionary, nothing else.

Written into a fresh file (not a copy with tables dropped, whose free pages would still hold the answer
key): no `_ground_truth`, no `_residents`, no pseudonym key and no seed (with the seed anyone could
regenerate the whole city, answer key included). Its `_meta` says it is a participant copy and is readable.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from sandbox_app.explore.catalog import PARTICIPANT_COPY, Catalog, quote
from sandbox_app.explore.export import _fail
from synthetic.progress import Cancelled, NullState, TaskState
from synthetic.sqlite_file import new_database

SAFE_META_KEYS = ("scenario", "residents", "reference_date", "generator_version", "faker_version", "app_version")
COPY_NOTE = ("Participant-safe copy: no ground truth, no residents table, no pseudonym key, no seed; "
             "made with city-sandbox export --participants")


def participant_copy(source: str | Path, out: str | Path, *, force: bool = False,
                     state: TaskState | None = None) -> Path:
    """Write the participant-safe copy of `source` to `out` (temp file, then renamed). Refuses to replace an
    existing file unless `force`; refuses to copy a database onto itself."""
    state = state or NullState()
    source, out = Path(source), Path(out)
    catalog = Catalog(source, facilitator=False)
    if out.exists() and out.resolve() == source.resolve():
        raise _fail(out, "is the database being copied", "give another file name")
    if out.is_dir():
        raise _fail(out, "is a folder", f"give a file name, e.g. --out {out / 'city-participants.db'}")
    if out.exists() and not force:
        raise _fail(out, "already exists", "use --force to replace it")
    if not out.parent.exists():
        raise _fail(out.parent, "no such folder")
    keep = [t for t in catalog.tables if t.name not in ("_data_dictionary", "_meta")]
    with new_database(out, uri=True) as conn:
        conn.execute("ATTACH DATABASE ? AS src", (source.resolve().as_uri() + "?mode=ro",))
        total = sum(t.rows or 0 for t in keep) or 1
        done = 0
        for info in keep:
            if state.is_cancelled():
                raise Cancelled()
            _copy_table(conn, info.name)
            done += info.rows or 0
            state.set_progress(done / total, f"copied {info.name}")
        _write_dictionary(conn, [t.name for t in keep])
        _write_meta(conn, catalog, keep)
    return out


def _copy_table(conn: sqlite3.Connection, table: str) -> None:
    create = conn.execute("SELECT sql FROM src.sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
    conn.execute(create[0])
    rowid = "WITHOUT ROWID" not in create[0].upper()
    if rowid:  # keep each row's rowid: record ids, the ground truth and exercises refer to it
        columns = ", ".join(quote(r[1]) for r in conn.execute(f"PRAGMA src.table_info({quote(table)})"))
        conn.execute(f"INSERT INTO main.{quote(table)} (rowid, {columns}) SELECT rowid, {columns} "
                     f"FROM src.{quote(table)} ORDER BY rowid")
    else:
        conn.execute(f"INSERT INTO main.{quote(table)} SELECT * FROM src.{quote(table)}")
    for (sql,) in conn.execute("SELECT sql FROM src.sqlite_master WHERE type = 'index' AND tbl_name = ? "
                               "AND sql IS NOT NULL ORDER BY name", (table,)).fetchall():
        conn.execute(sql)


def _write_dictionary(conn: sqlite3.Connection, tables: list[str]) -> None:
    create = conn.execute("SELECT sql FROM src.sqlite_master WHERE name = '_data_dictionary'").fetchone()[0]
    conn.execute(create)
    marks = ", ".join("?" * len(tables))
    conn.execute(f"INSERT INTO main._data_dictionary SELECT * FROM src._data_dictionary "
                 f"WHERE table_name IN ({marks}, '_data_dictionary') ORDER BY rowid", tables)
    columns = [r[1] for r in conn.execute("PRAGMA main.table_info(_data_dictionary)")]
    for column in ("key", "value"):
        row = {c: "" for c in columns} | {"table_name": "_meta", "column_name": column, "description": COPY_NOTE,
                                          "category": "operational", "sensitivity": "internal",
                                          "department": "public", "facilitator_only": 0, "data_type": "text",
                                          "semantic": column}
        conn.execute(f"INSERT INTO main._data_dictionary ({', '.join(columns)}) VALUES "
                     f"({', '.join('?' * len(columns))})", [row[c] for c in columns])


def _write_meta(conn: sqlite3.Connection, catalog: Catalog, keep) -> None:
    conn.execute("CREATE TABLE main._meta (key TEXT PRIMARY KEY, value TEXT)")
    values = {k: catalog.meta[k] for k in SAFE_META_KEYS if k in catalog.meta}
    values["copy"] = PARTICIPANT_COPY
    values["note"] = COPY_NOTE
    counts = {t.name: t.rows for t in keep if t.rows is not None}
    counts["_data_dictionary"] = conn.execute("SELECT count(*) FROM main._data_dictionary").fetchone()[0]
    counts["_meta"] = len(values) + 1
    values["row_counts"] = json.dumps(dict(sorted(counts.items())))
    conn.executemany("INSERT INTO main._meta VALUES (?, ?)", sorted(values.items()))


__all__ = ["participant_copy"]
