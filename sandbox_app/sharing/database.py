"""A generated city database (docs/database.md), opened read-only, with tables cached in memory.

The live risk meter re-applies a share on every edit, so everything read here is cached: a table is read
from SQLite once, and values derived from it (parsed dates, transformed columns) can be kept with `memo`.
The file is never written. One object may be used from several threads.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from sandbox_app.errors import DatabaseError, Problem, sqlite_reason
from sandbox_app.sharing.fast_read import read_columns
from sandbox_app.sharing.integrity import NOT_OURS, integrity_problem
from synthetic.check import did_you_mean

LOCK_TIMEOUT_SECONDS = 1.0
MEMO_ENTRIES = 256
ROW_ID = "_row_id"
_DICTIONARY_COLUMNS = {"table_name", "column_name", "category", "department", "facilitator_only", "data_type",
                       "format", "semantic"}
# Copy-on-Write (always on from pandas 3) makes a shallow copy safe to hand out: writes copy first.
_COPY_ON_WRITE = int(pd.__version__.split(".")[0]) >= 3 or bool(pd.get_option("mode.copy_on_write"))

T = TypeVar("T")


class CityDatabase:
    """Read-only access to a generated city: tables, data dictionary, metadata and (for scoring) ground truth."""

    def __init__(self, path: str | Path):
        """Open `path` read-only; DatabaseError (one plain sentence) if it is missing, not SQLite, damaged,
        locked, or not a generated city."""
        self.path = Path(path)
        self._lock = threading.RLock()
        self._tables: dict[str, dict[str, pd.Series]] = {}  # table -> column -> values in rowid order
        self._memo: OrderedDict[Hashable, Any] = OrderedDict()
        if not self.path.exists():
            self._fail("no such file", "generate a city first: city-sandbox generate SCENARIO")
        if self.path.is_dir():
            self._fail("is a folder, not a database file")
        if not self.path.is_file():
            self._fail(f"{NOT_OURS}: not a regular file (a pipe or a device?)", "give a generated .db file")
        uri = self.path.resolve().as_uri() + "?mode=ro"
        try:
            self._conn = sqlite3.connect(uri, uri=True, timeout=LOCK_TIMEOUT_SECONDS, check_same_thread=False)
        except sqlite3.Error as err:
            self._fail(f"cannot open the database: {err}")
        try:
            self._open()
        except BaseException:
            self._conn.close()
            raise

    def _open(self) -> None:
        names = {row[0] for row in self._query("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = sorted({"_data_dictionary", "_meta"} - names)
        if missing:
            self._fail(f"not a generated city: it has no {' or '.join(missing)} table",
                       "open a database made by city-sandbox generate")
        self.meta: dict[str, str] = {str(k): str(v) for k, v in self._query("SELECT key, value FROM _meta")}
        self.dictionary: pd.DataFrame = self._read_sql("SELECT * FROM _data_dictionary")
        if not _DICTIONARY_COLUMNS <= set(self.dictionary.columns):
            self._fail("not a generated city: its _data_dictionary lacks "
                       + ", ".join(sorted(_DICTIONARY_COLUMNS - set(self.dictionary.columns))))
        problem = integrity_problem(lambda sql: self._query(sql), names)
        if problem:
            self._fail(f"{NOT_OURS}: {problem}", "generate the city again: city-sandbox generate SCENARIO "
                       "--out FILE --force")
        self._existing = names
        self._info = {(str(r["table_name"]), str(r["column_name"])): r
                      for r in self.dictionary.to_dict("records")}

    # ---------------------------------------------------------------------------------- plumbing

    def _fail(self, message: str, hint: str | None = None) -> None:
        from sandbox_app.files import shown

        raise DatabaseError([Problem(shown(self.path), None, "", message, hint)])

    def _sqlite_problem(self, err: sqlite3.Error) -> None:
        reason = sqlite_reason(err)
        if reason is not None:
            self._fail(*reason)
        self._fail(f"cannot read the database: {err}")

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as err:
                self._sqlite_problem(err)
                raise  # unreachable: _sqlite_problem always raises

    def _read_sql(self, sql: str, params: tuple = ()) -> pd.DataFrame:
        with self._lock:
            try:
                return pd.read_sql_query(sql, self._conn, params=params)
            except (sqlite3.Error, pd.errors.DatabaseError) as err:
                self._sqlite_problem(err.__cause__ if isinstance(err.__cause__, sqlite3.Error) else err)
                raise

    def _read_fast(self, source: str, order: str, table: str, columns: list[str],
                   params: tuple = ()) -> dict[str, pd.Series] | None:
        """`columns` of `table` (rows of `source`, in `order`) through `fast_read`, or None where it does not
        apply (the caller then reads with `_read_sql`, which also reports any SQLite error)."""
        declared = self.memo((table, "declared-types"), lambda: {
            r[1]: str(r[2]).upper() for r in self._query(f"PRAGMA table_info({_quote(table)})")})
        with self._lock:
            try:
                return read_columns(self._conn, source, order, [(c, declared.get(c, "")) for c in columns], params)
            except (sqlite3.Error, ValueError, ArithmeticError):  # e.g. pyarrow's ArrowInvalid: read the usual way
                return None

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """A value derived from this (read-only) database, computed once and kept (least recently used out).

        Keys should start with the table they derive from, e.g. ``("ph_home_health_clients", "dates", col)``.
        Treat the value as read-only.
        """
        with self._lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
        value = compute()
        with self._lock:
            self._memo[key] = value
            while len(self._memo) > MEMO_ENTRIES:
                self._memo.popitem(last=False)
        return value

    # --------------------------------------------------------------------------------- catalogue

    def tables(self, include_facilitator: bool = False) -> list[str]:
        """Department tables and the public reference, in dictionary order; with `include_facilitator`,
        also the facilitator-only tables (_ground_truth, _residents, _meta). Never _data_dictionary."""
        def compute() -> list[str]:
            out: list[str] = []
            for name, only in self.dictionary[["table_name", "facilitator_only"]].itertuples(index=False):
                secret = bool(int(only or 0))
                if name in out or name == "_data_dictionary" or name not in self._existing:
                    continue
                if (not secret and not name.startswith("_")) or (secret and include_facilitator):
                    out.append(name)
            return out
        return list(self.memo(("_catalogue", include_facilitator), compute))

    def is_facilitator_only(self, table: str) -> bool:
        """True for tables trainees and datathon teams must not see."""
        rows = self.dictionary.loc[self.dictionary["table_name"] == table, "facilitator_only"]
        return table.startswith("_") or bool(len(rows) and int(rows.iloc[0] or 0))

    def _check_table(self, table: str) -> None:
        if table not in self._existing or table == "_data_dictionary":
            self._fail(f"no table '{table}' in this city", did_you_mean(table, self.tables()))

    def columns(self, table: str) -> list[str]:
        """The table's columns in order (not the `_row_id` that read_table adds)."""
        self._check_table(table)
        return self.memo((table, "columns"), lambda: [r[1] for r in self._query(
            f"PRAGMA table_info({_quote(table)})")])

    def column_info(self, table: str, column: str) -> dict:
        """The column's data-dictionary row (category, sensitivity, semantic, data_type, format, department…)."""
        info = self._info.get((table, column))
        if info is None:
            self._check_table(table)
            self._fail(f"no column '{column}' in table '{table}'", did_you_mean(column, self.columns(table)))
        return {k: ("" if v is None or (isinstance(v, float) and v != v) else v) for k, v in info.items()}

    def department_of(self, table: str) -> str:
        """The department id that holds `table` ('public' for the reference table)."""
        rows = self.dictionary.loc[self.dictionary["table_name"] == table, "department"]
        if not len(rows):
            self._check_table(table)
            return ""
        return str(rows.iloc[0])

    def reference_table(self) -> str | None:
        """The public reference dataset an attacker could hold (department 'public'), if the city has one."""
        return next((t for t in self.tables() if self.department_of(t) == "public"), None)

    # -------------------------------------------------------------------------------------- data

    def read_table(self, table: str, columns: list[str] | None = None) -> pd.DataFrame:
        """The table (or `columns` of it) with a leading `_row_id` column (the SQLite rowid), in rowid order.

        Each column is read from SQLite once, when first asked for, and cached: a score reads only the
        columns it uses (in a large city, whole tables take seconds). The frame returned is the caller's:
        under pandas Copy-on-Write it shares memory with the cache until written, so returning it is nearly
        free and writing to it is safe.
        """
        with self._lock:
            cached = self._tables.get(table)
            if cached is None:
                self._check_table(table)
            names = self.columns(table)
            if columns is None:
                wanted = names
            else:
                unknown = [c for c in columns if c != ROW_ID and c not in names]
                if unknown:
                    self._fail(f"no column '{unknown[0]}' in table '{table}'", did_you_mean(unknown[0], names))
                wanted = list(dict.fromkeys(c for c in columns if c != ROW_ID))
            cached = self._tables.setdefault(table, {})
            missing = [c for c in wanted if c not in cached]
            if missing or ROW_ID not in cached:
                cached.update(self._load(table, missing))
            frame = pd.DataFrame({ROW_ID: cached[ROW_ID], **{c: cached[c] for c in wanted}}, copy=False)
        return frame.copy(deep=not _COPY_ON_WRITE)

    def _load(self, table: str, columns: list[str]) -> dict[str, pd.Series]:
        """`columns` of `table` (and the rowid, the first time) in rowid order, in one query."""
        fresh = ROW_ID not in self._tables.get(table, {})
        fast = self._read_fast(_quote(table), "rowid", table, columns)
        if fast is not None:
            fast[ROW_ID] = fast.pop("rowid").rename(ROW_ID)
            frame = pd.DataFrame(fast, copy=False)
        else:
            selected = ([f"rowid AS {ROW_ID}"] if fresh else []) + [_quote(c) for c in columns]
            frame = self._read_sql(f"SELECT {', '.join(selected)} FROM {_quote(table)} ORDER BY rowid")
        out = {ROW_ID: frame[ROW_ID]} if fresh else {}
        for column in columns:
            data_type = str(self._info.get((table, column), {}).get("data_type") or "")
            out[column] = _typed(frame[column], data_type)
        return out

    def truth(self, table: str) -> pd.Series:
        """row_id -> resident_id for every row of `table` (facilitator data: for scoring only)."""
        def load() -> pd.Series:
            frame = self._read_fast("_ground_truth WHERE table_name = ?", "row_id", "_ground_truth",
                                    ["resident_id"], (table,))
            frame = pd.DataFrame(frame, copy=False) if frame is not None else self._read_sql(
                "SELECT row_id, resident_id FROM _ground_truth WHERE table_name = ? ORDER BY row_id", (table,))
            return pd.Series(frame["resident_id"].to_numpy(), index=frame["row_id"].to_numpy(), name="resident_id")
        if "_ground_truth" not in self._existing:
            self._fail("not a generated city: it has no _ground_truth table")
        return self.memo((table, "truth"), load)

    def residents(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The true population (_residents; facilitator data). Cached; treat as read-only.

        With `columns`, only `resident_id` and those columns are read: scoring needs a few, and the whole
        table of a large city takes seconds to read.
        """
        if columns is None:
            return self.read_table("_residents").drop(columns=[ROW_ID])
        wanted = ["resident_id", *sorted(set(columns) - {"resident_id"})]
        # Through read_table's per-column cache: two rules asking for different columns share the ids.
        return self.memo(("_residents", "columns", tuple(wanted)),
                         lambda: self.read_table("_residents", wanted)[wanted])

    def zip3_counts(self) -> dict[str, int]:
        """Residents per first three characters of their ZIP (counted by SQLite; nulls left out)."""
        return self.memo(("_residents", "zip3-counts"), lambda: {
            str(z): int(n) for z, n in self._query("SELECT substr(CAST(zip AS TEXT), 1, 3) AS z, count(*) "
                                                  "FROM _residents WHERE zip IS NOT NULL GROUP BY z")})

    def resident_places(self) -> pd.DataFrame:
        """zip, neighbourhood, address, lat, lon of every resident (facilitator data; the city's gazetteer)."""
        return self.memo(("_residents", "places"), lambda: self._read_sql(
            "SELECT zip, neighbourhood, address, lat, lon FROM _residents"))

    def neighbourhood_of_zip(self) -> dict[str, str]:
        """ZIP code -> the neighbourhood most of its residents live in."""
        def compute() -> dict[str, str]:
            # Counted by SQLite: reading every resident's place into pandas takes seconds in a large city.
            counts = self._read_sql("SELECT zip, neighbourhood, count(*) AS n FROM _residents WHERE zip IS NOT NULL "
                                    "AND neighbourhood IS NOT NULL GROUP BY zip, neighbourhood "
                                    "ORDER BY zip, neighbourhood")
            best = counts.sort_values(["zip", "n"], ascending=[True, False]).drop_duplicates("zip")
            return dict(zip(best["zip"].astype(str), best["neighbourhood"].astype(str), strict=True))
        return self.memo(("_residents", "neighbourhood_of_zip"), compute)

    def neighbourhood_centres(self) -> pd.DataFrame:
        """One row per neighbourhood: `neighbourhood`, `lat`, `lon` (mean of its residents' coordinates)."""
        def compute() -> pd.DataFrame:
            people = self.resident_places()[["neighbourhood", "lat", "lon"]].dropna()
            return people.groupby("neighbourhood", as_index=False)[["lat", "lon"]].mean()
        return self.memo(("_residents", "neighbourhood_centres"), compute)

    def close(self) -> None:
        """Close the file and drop the caches."""
        with self._lock:
            self._conn.close()
            self._tables.clear()
            self._memo.clear()

    def __enter__(self) -> CityDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"CityDatabase({str(self.path)!r})"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _typed(values: pd.Series, data_type: str) -> pd.Series:
    """Whole numbers stay whole when a column has nulls (nullable Int64, not float); empty columns get a type."""
    if data_type in ("integer", "flag") and values.dtype.kind == "f":
        present = values.dropna()
        if (present == present.round()).all():
            return values.astype("Int64")
    if values.dtype == object and values.isna().all():
        if data_type in ("integer", "flag"):
            return values.astype("Int64")
        return values.astype("float64" if data_type == "real" else "str")
    return values


__all__ = ["CityDatabase", "ROW_ID"]
