"""Rows of a table by position, read page by page: the headless half of the explorer's table view.

Unsorted and unfiltered, a generated table's rowids run 1..n, so row i is rowid i + 1 and a page is one
keyset read (``WHERE rowid >= ? ORDER BY rowid LIMIT ?``): the same cost at row 10 as at row 999,990.
Sorted or filtered (both pushed down to SQL), the view first reads the matching rowids in display order
(``SELECT rowid … WHERE … ORDER BY col, rowid``: 8 bytes a row, cancellable, with progress), then reads
each page by those rowids. Tables whose rowids have gaps take that second path too. A WITHOUT ROWID table
(the answer key's `_ground_truth`) has no rowid to page by: its primary keys are written in display order
to a temporary table (in SQLite's temp store; the city's file stays read-only), whose own rowids then page it.
"""

from __future__ import annotations

import re
import sqlite3
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sandbox_app.explore.catalog import open_read_only, quote, without_rowid_keys
from synthetic.progress import Cancelled, NullState, TaskState

ORDER_CHUNK = 50_000
READ_CHUNK = 20  # rows fetched between two calls of read()'s `pause`
_COMPARISON = re.compile(r"^\s*(>=|<=|<>|!=|=|>|<)\s*(.*?)\s*$", re.S)


@dataclass(frozen=True)
class ViewQuery:
    """What the view shows: a table, per-column filter texts, and a sort column (None: rowid order)."""

    table: str
    filters: tuple[tuple[str, str], ...] = ()
    sort_column: str | None = None
    descending: bool = False

    def with_filter(self, column: str, text: str) -> ViewQuery:
        kept = tuple((c, t) for c, t in self.filters if c != column)
        return ViewQuery(self.table, kept + (((column, text),) if text.strip() else ()), self.sort_column,
                         self.descending)

    def with_sort(self, column: str | None, descending: bool = False) -> ViewQuery:
        return ViewQuery(self.table, self.filters, column, descending)


def filter_clause(column: str, text: str) -> tuple[str, list]:
    """One column's filter box as SQL with parameters.

    ``NULL`` / ``NOT NULL``; ``>10``, ``<=2020-01-01``, ``=44101``, ``!=x`` compare (as numbers when the value
    is one); anything else means 'contains' (any case).
    """
    col = quote(column)
    text = text.strip()
    upper = text.upper()
    if upper in ("NULL", "=NULL", "IS NULL", "EMPTY"):
        return f"{col} IS NULL", []
    if upper in ("NOT NULL", "!NULL", "!=NULL", "IS NOT NULL"):
        return f"{col} IS NOT NULL", []
    m = _COMPARISON.match(text)
    if m and m.group(2):
        op = "!=" if m.group(1) == "<>" else m.group(1)
        value = _number(m.group(2))
        return f"{col} {op} ?", [value]
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"CAST({col} AS TEXT) LIKE ? ESCAPE '\\'", [f"%{escaped}%"]


def _number(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def where_clause(query: ViewQuery) -> tuple[str, list]:
    parts, params = [], []
    for column, text in query.filters:
        sql, values = filter_clause(column, text)
        parts.append(sql)
        params += values
    return (" WHERE " + " AND ".join(parts)) if parts else "", params


@dataclass
class RowSource:
    """One prepared view of a table: its row count and how to read any page of it. Not thread-safe: use it
    from one thread at a time (the model's single reader thread)."""

    path: Path
    query: ViewQuery
    columns: list[str]
    row_count: int = 0
    order: array | None = None  # rowids in display order; None: row i is rowid first_rowid + i
    first_rowid: int = 1
    keys: tuple[str, ...] = ()  # a WITHOUT ROWID table: its primary key (display order in temp.view_order)
    rows_read: int = 0  # rows fetched from SQLite for pages (tests use it to prove paging)
    conn: sqlite3.Connection | None = field(default=None, repr=False)

    @classmethod
    def prepare(cls, path: str | Path, query: ViewQuery, known_rows: int | None = None,
                state: TaskState | None = None) -> RowSource:
        """Open the view: row count and display order (progress and cancel through `state`)."""
        state = state or NullState()
        conn = open_read_only(path)
        conn.set_progress_handler(lambda: 1 if state.is_cancelled() else 0, 10_000)
        try:
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({quote(query.table)})")]
            source = cls(Path(path), query, columns, keys=without_rowid_keys(conn, query.table), conn=conn)
            source._plan(known_rows, state)
        except sqlite3.OperationalError as err:
            conn.close()
            if "interrupted" in str(err):
                raise Cancelled() from None
            raise
        except BaseException:
            conn.close()
            raise
        return source

    def _plan(self, known_rows: int | None, state: TaskState) -> None:
        table = quote(self.query.table)
        if self.keys:
            self._plan_by_keys(state)
            return
        if not self.query.filters and self.query.sort_column is None:
            # Two statements: SQLite answers a lone min() or max() of rowid with one seek, both at once by a scan.
            low = self.conn.execute(f"SELECT min(rowid) FROM {table}").fetchone()[0]
            high = self.conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0]
            if low is None:
                return
            if known_rows is not None and high - low + 1 == known_rows:
                self.row_count, self.first_rowid = known_rows, low
                return
        where, params = where_clause(self.query)
        order = "rowid"
        if self.query.sort_column is not None:
            direction = " DESC" if self.query.descending else ""
            order = f"{quote(self.query.sort_column)}{direction}, rowid{direction}"
        state.set_progress(0.0, "sorting" if self.query.sort_column else "filtering")
        cursor = self.conn.execute(f"SELECT rowid FROM {table}{where} ORDER BY {order}", params)
        ids = array("q")
        expected = max(known_rows or 0, 1)
        while True:
            if state.is_cancelled():
                raise Cancelled()
            chunk = cursor.fetchmany(ORDER_CHUNK)
            if not chunk:
                break
            ids.extend(r[0] for r in chunk)
            state.set_progress(min(len(ids) / expected, 1.0), f"{len(ids):,} rows")
        self.order, self.row_count = ids, len(ids)

    def _plan_by_keys(self, state: TaskState) -> None:
        """A WITHOUT ROWID table: its primary keys in display order into temp.view_order (one statement,
        interruptible through the connection's progress handler)."""
        where, params = where_clause(self.query)
        keys = ", ".join(quote(k) for k in self.keys)
        direction = " DESC" if self.query.descending else ""
        order = ", ".join(f"{quote(k)}{direction}" for k in self.keys)
        if self.query.sort_column is not None:
            order = f"{quote(self.query.sort_column)}{direction}, {order}"
        state.set_progress(0.0, "sorting" if self.query.sort_column else "filtering" if where else "opening")
        self.conn.execute("PRAGMA query_only = OFF")  # for the temp table only: the file is opened read-only
        try:
            self.conn.execute("DROP TABLE IF EXISTS temp.view_order")
            self.conn.execute(f"CREATE TEMP TABLE view_order AS SELECT {keys} FROM {quote(self.query.table)}{where} "
                              f"ORDER BY {order}", params)
        finally:
            self.conn.execute("PRAGMA query_only = ON")
        self.row_count = self.conn.execute("SELECT coalesce(max(rowid), 0) FROM temp.view_order").fetchone()[0]

    def read(self, start: int, count: int, pause: Callable[[], None] | None = None) -> list[tuple]:
        """Rows [start, start + count) in display order (fewer at the end), each as its values.

        `pause()`, if given, is called before the query and after every READ_CHUNK rows: a background
        reader waits there while the GUI thread is busy, or raises Cancelled to give up the page.
        """
        count = max(0, min(count, self.row_count - start))
        if count == 0:
            return []
        table = quote(self.query.table)
        names = ", ".join(quote(c) for c in self.columns)
        if self.keys:  # CROSS JOIN: walk view_order by its rowid, look each row up by its primary key
            on = " AND ".join(f"t.{quote(k)} = o.{quote(k)}" for k in self.keys)
            sql = (f"SELECT {', '.join('t.' + quote(c) for c in self.columns)} FROM temp.view_order AS o "
                   f"CROSS JOIN {table} AS t ON {on} WHERE o.rowid > ? AND o.rowid <= ? ORDER BY o.rowid")
            rows = _fetch(self.conn, sql, (start, start + count), pause)
        elif self.order is None:
            sql, params = f"SELECT {names} FROM {table} WHERE rowid >= ? ORDER BY rowid LIMIT ?", \
                (self.first_rowid + start, count)
            rows = _fetch(self.conn, sql, params, pause)
        else:
            ids = self.order[start:start + count]
            sql = f"SELECT rowid, {names} FROM {table} WHERE rowid IN ({', '.join('?' * len(ids))})"
            found = {r[0]: r[1:] for r in _fetch(self.conn, sql, list(ids), pause)}
            rows = [found[i] for i in ids if i in found]
        self.rows_read += len(rows)
        return rows

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _fetch(conn: sqlite3.Connection, sql: str, params, pause: Callable[[], None] | None) -> list[tuple]:
    """All rows of `sql`; with `pause`, called before the query and between chunks of READ_CHUNK rows."""
    if pause is None:
        return conn.execute(sql, params).fetchall()
    pause()
    cursor = conn.execute(sql, params)
    rows: list[tuple] = []
    while chunk := cursor.fetchmany(READ_CHUNK):
        rows += chunk
        if len(chunk) < READ_CHUNK:
            break
        pause()
    return rows


__all__ = ["RowSource", "ViewQuery", "filter_clause", "where_clause"]
