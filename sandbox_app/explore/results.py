"""A console query's result, written to a scratch SQLite file so the same paged view can show (and sort and
filter) a result of any size while memory stays bounded.

The query runs under the console's rules (sql.ReadOnlyDatabase). If the time limit or Stop interrupts it
while rows are streaming, the rows already read are kept and the result says so honestly.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sandbox_app.explore.catalog import quote
from sandbox_app.explore.sql import DEFAULT_TIMEOUT_S, QueryCancelled, QueryTimeout, ReadOnlyDatabase
from synthetic.progress import NullState, TaskState

RESULT_TABLE = "result"
MAX_RESULT_ROWS = 5_000_000
_PAGE = 5_000


@dataclass
class QueryResultFile:
    """Where a result was written: `table` in `path`, with the query's own column names for headers."""

    path: Path
    table: str
    headers: list[str]
    columns: list[str]  # unique names in the scratch table
    rows: int
    note: str = ""  # why the result is incomplete, in plain words ("" when complete)


def unique_names(headers: list[str]) -> list[str]:
    """Column names made unique (a, a_2, …), since a query may return the same name twice."""
    seen: dict[str, int] = {}
    out = []
    for h in headers:
        base = h or "column"
        n = seen.get(base.lower(), 0) + 1
        seen[base.lower()] = n
        out.append(base if n == 1 else f"{base}_{n}")
    return out


def run_to_file(db_path: str | Path, sql: str, out: str | Path, *, facilitator: bool = False,
                timeout: float | None = DEFAULT_TIMEOUT_S, state: TaskState | None = None) -> QueryResultFile:
    """Run `sql` read-only and write every row (up to MAX_RESULT_ROWS) to a new file `out`."""
    state = state or NullState()
    out = Path(out)
    out.unlink(missing_ok=True)
    with ReadOnlyDatabase(db_path, facilitator=facilitator) as db:
        result = db.query(sql, timeout=timeout, state=state)
        headers = list(result.columns)
        columns = unique_names(headers)
        note = ""
        with contextlib.closing(sqlite3.connect(out, isolation_level=None)) as conn:
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute(f"CREATE TABLE {RESULT_TABLE} ({', '.join(quote(c) for c in columns) or 'empty'})")
            insert = f"INSERT INTO {RESULT_TABLE} VALUES ({', '.join('?' * len(columns))})"
            rows = 0
            conn.execute("BEGIN")
            try:
                for page in result.pages(_PAGE, limit=MAX_RESULT_ROWS):
                    conn.executemany(insert, page)
                    rows += len(page)
                    state.set_progress(0.0, f"{rows:,} rows")
                if not result.exhausted and result.page(1):
                    note = f"only the first {MAX_RESULT_ROWS:,} rows are kept; add a WHERE or LIMIT"
            except QueryTimeout as err:
                if rows == 0:
                    raise
                note = f"{err.message}: the first {rows:,} rows are shown"
            except QueryCancelled:
                if rows == 0:
                    raise
                note = f"stopped: the first {rows:,} rows are shown"
            finally:
                result.close()
            conn.execute("COMMIT")
    return QueryResultFile(out, RESULT_TABLE, headers, columns, rows, note)


__all__ = ["MAX_RESULT_ROWS", "QueryResultFile", "RESULT_TABLE", "run_to_file", "unique_names"]
