"""Reading whole columns from SQLite without a Python object per value: SQLite joins each column into one
string (`group_concat`), pyarrow splits it back into an Arrow array, pandas wraps it (about 3x less CPU
than `pd.read_sql_query`, which builds a tuple per row and converts them column by column).

Used only where it gives what `pd.read_sql_query` gives: TEXT and INTEGER columns, in a non-empty result
whose order column comes back strictly increasing (the order the rows were concatenated in is checked,
not assumed). Anything else (REAL columns, an INTEGER column holding text or reals in a hand-edited file,
a separator or the null mark inside a value) returns None and the caller reads the ordinary way.
Integers with nulls are float64 with NaN, as read_sql_query gives them.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd

_SEP = "\x1f"  # the unit separator: never in generated text (checked: the piece count must match)
_NULL = "\x1e"  # stands for null (a value that is exactly this character makes the reader step aside)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pieces(text: str, expected: int):
    import pyarrow as pa
    import pyarrow.compute as pc

    pieces = pc.split_pattern(pa.array([text], pa.large_string()), _SEP)[0].values
    return pieces if len(pieces) == expected else None


def _text(text: str, rows: int, nulls: int):
    import pyarrow as pa
    import pyarrow.compute as pc

    pieces = _pieces(text, rows)
    if pieces is None:
        return None
    marked = pc.equal(pieces, _NULL)
    if (pc.sum(marked).as_py() or 0) != nulls:  # a value that is the null mark itself: not ours to read
        return None
    if nulls:
        pieces = pc.if_else(marked, pa.scalar(None, pa.large_string()), pieces)
    return pd.Series(pieces.cast(pa.string()).to_pandas())


def _integers(text: str, rows: int, nulls: int):
    import pyarrow as pa
    import pyarrow.compute as pc

    pieces = _pieces(text, rows)
    if pieces is None:
        return None
    try:  # text or a real in an INTEGER column fails the cast: not ours to read
        if nulls:
            pieces = pc.if_else(pc.equal(pieces, ""), pa.scalar(None, pa.large_string()), pieces)
            return pd.Series(pieces.cast(pa.int64()).cast(pa.float64()).to_numpy(zero_copy_only=False))
        return pd.Series(pieces.cast(pa.int64()).to_numpy())
    except pa.ArrowInvalid:
        return None


def read_columns(conn: sqlite3.Connection, source: str, order: str, columns: list[tuple[str, str]],
                 params: tuple = ()) -> dict[str, pd.Series] | None:
    """`columns` ((name, declared type)) of the rows `source` (a FROM clause, e.g. '"t"' or '_ground_truth
    WHERE table_name = ?') selects, in `order` (a column, strictly increasing), or None (read them the
    ordinary way). The order column itself is returned too, under its own name.

    No ORDER BY: a plain scan of a rowid table (or of a primary key's range) comes in key order, and the
    order column is concatenated alongside and checked, so rows in any other order make it step aside.
    """
    if any(kind not in ("TEXT", "INTEGER") for _, kind in columns):
        return None
    select = [f"group_concat({_quote(order)}, '{_SEP}')", "count(*)"]
    for name, kind in columns:
        q = _quote(name)
        select.append(f"count({q})")
        if kind == "TEXT":  # TEXT affinity stores text (or null): no per-value type check needed
            select.append(f"group_concat(ifnull({q}, '{_NULL}'), '{_SEP}')")
        else:  # INTEGER affinity may keep text or reals: the cast to int64 below refuses them
            select.append(f"group_concat(ifnull({q}, ''), '{_SEP}')")
    row = conn.execute(f"SELECT {', '.join(select)} FROM {source}", params).fetchone()
    ordering, rows = row[0], int(row[1] or 0)
    if not rows or ordering is None:
        return None
    keys = _integers(ordering, rows, 0)
    if keys is None or (rows > 1 and not bool(np.all(np.diff(keys.to_numpy()) > 0))):
        return None
    out = {order: keys}
    for i, (name, kind) in enumerate(columns):
        present, text = int(row[2 + 2 * i] or 0), row[3 + 2 * i]
        nulls = rows - present
        if text is None or (kind == "INTEGER" and nulls == rows):
            return None
        values = _text(text, rows, nulls) if kind == "TEXT" else _integers(text, rows, nulls)
        if values is None:
            return None
        out[name] = values.rename(name)
    return out


__all__ = ["read_columns"]
