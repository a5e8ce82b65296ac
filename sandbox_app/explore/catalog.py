"""The catalogue of a city database: departments, their tables, row counts and the data dictionary.

Opening it never scans a table: row counts come from `_meta.row_counts` (written at generation) and, for
databases that lack them, from ``max(rowid)`` (one B-tree seek; exact for generated tables, whose rowids
run 1..n). Facilitator-only tables are left out unless the catalogue is opened for a facilitator.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from sandbox_app.errors import DatabaseError, Problem, sqlite_reason

SENSITIVITY_ORDER = ("public", "internal", "confidential", "restricted")
PARTICIPANT_COPY = "participants"
APPROVED_EXTRACT = "approved extract"  # `_meta.copy` of an extract written by `city-sandbox extract --format sqlite`
FIXED_NAMES = {"public": "Public records", "facilitator": "Facilitator only (answer key)"}


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    description: str = ""
    category: str = ""
    sensitivity: str = ""
    data_type: str = ""
    format: str = ""
    unit: str = ""
    semantic: str = ""


@dataclass
class TableInfo:
    name: str
    department: str
    rows: int | None  # None: not stored and the table has no rowid to ask
    columns: list[ColumnInfo] = field(default_factory=list)
    facilitator_only: bool = False

    @property
    def sensitivity(self) -> str:
        """The most sensitive level among the table's columns."""
        levels = [SENSITIVITY_ORDER.index(c.sensitivity) for c in self.columns if c.sensitivity in SENSITIVITY_ORDER]
        return SENSITIVITY_ORDER[max(levels)] if levels else ""

    def column(self, name: str) -> ColumnInfo | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True)
class SearchHit:
    table: str
    column: str | None  # None: the table's name matched
    text: str  # what matched, for display


def quote(name: str) -> str:
    """An SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def open_read_only(path: str | Path) -> sqlite3.Connection:
    """A plain read-only connection (mode=ro, query_only) for the explorer's own queries."""
    path = Path(path)
    if not path.exists():
        raise DatabaseError([Problem(str(path), None, "", "no such file",
                                     "generate a city first: city-sandbox generate SCENARIO")])
    if path.is_dir():
        raise DatabaseError([Problem(str(path), None, "", "is a folder, not a database file")])
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=1.0, check_same_thread=False,
                           isolation_level=None)
    conn.execute("PRAGMA query_only = ON")
    return conn


class Catalog:
    """What a city database holds, read once: tables (by department), row counts and the dictionary."""

    def __init__(self, path: str | Path, *, facilitator: bool = False):
        self.path = Path(path)
        self.facilitator = facilitator
        with contextlib.closing(open_read_only(self.path)) as conn:
            try:
                self._read(conn)
            except sqlite3.DatabaseError as err:
                message, hint = sqlite_reason(err) or (f"cannot read the catalogue: {err}",
                                                       "open a database made by city-sandbox generate")
                raise DatabaseError([Problem(str(self.path), None, "", message, hint)]) from None

    def _read(self, conn: sqlite3.Connection) -> None:
        existing = {r[0]: r[1] for r in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'")}
        if "_data_dictionary" not in existing:
            raise DatabaseError([Problem(str(self.path), None, "", "not a generated city: it has no "
                                         "_data_dictionary table", "open a database made by city-sandbox generate")])
        self.meta = dict(conn.execute("SELECT key, value FROM _meta")) if "_meta" in existing else {}
        self.is_participant_copy = self.meta.get("copy") == PARTICIPANT_COPY
        stored = json.loads(self.meta.get("row_counts") or "{}")
        self.counts_stored = bool(stored)
        self.all_tables: dict[str, TableInfo] = {}
        rows = conn.execute("SELECT table_name, column_name, description, category, sensitivity, department, "
                            "facilitator_only, data_type, format, unit, semantic FROM _data_dictionary "
                            "ORDER BY rowid")
        for table, column, desc, cat, sens, dept, only, dtype, fmt, unit, sem in rows:
            if table not in existing:
                continue
            info = self.all_tables.get(table)
            if info is None:
                info = self.all_tables[table] = TableInfo(table, str(dept or ""), None,
                                                          facilitator_only=bool(int(only or 0)))
            info.columns.append(ColumnInfo(str(column), *(str(v or "") for v in (desc, cat, sens, dtype, fmt, unit,
                                                                                   sem))))
        for name, info in self.all_tables.items():
            info.rows = stored.get(name) if name in stored else _max_rowid(conn, name, existing[name])
        self.hidden = frozenset(t for t, i in self.all_tables.items() if i.facilitator_only) | hidden_by_default(
            self.is_participant_copy)
        self.tables = [i for t, i in self.all_tables.items()
                       if facilitator_visible(t, i, self.facilitator, self.hidden)]

    @functools.cached_property
    def _names(self) -> tuple[str, dict[str, str]]:
        return _scenario_names(self.meta.get("scenario", ""))

    @property
    def names_loaded(self) -> bool:
        """Whether the scenario's title and department names have been read (reading takes ~0.5 s)."""
        return "_names" in self.__dict__

    def load_names(self) -> None:
        """Read the title and department names now (from a worker thread, so a window need not wait)."""
        self._names  # noqa: B018 (computes and caches the property)

    @property
    def title(self) -> str:
        """The scenario's title ('' when the city is not from a built-in scenario, or not read yet)."""
        return self._names[0] if self.names_loaded else ""

    @property
    def department_names(self) -> dict[str, str]:
        return self._names[1] if self.names_loaded else {}

    def department_name(self, department: str, *, load: bool = True) -> str:
        """The department's name as the scenario gives it ('Office of Emergency Management'), else its id.
        With load=False, never reads the scenario (the id, or a plain word, until it has been read)."""
        if load:
            self.load_names()
        return self.department_names.get(department) or FIXED_NAMES.get(department, department)

    def table(self, name: str) -> TableInfo:
        for info in self.tables:
            if info.name == name:
                return info
        raise DatabaseError([Problem(str(self.path), None, "", f"no table '{name}' in this city"
                                     + ("" if name not in self.all_tables else " for datathon teams"))])

    def departments(self) -> dict[str, list[TableInfo]]:
        """Department id -> its visible tables, in dictionary order."""
        out: dict[str, list[TableInfo]] = {}
        for info in self.tables:
            out.setdefault(info.department, []).append(info)
        return out

    def search(self, text: str) -> list[SearchHit]:
        """Tables and columns whose name, description, category or semantic contains `text` (any case)."""
        needle = text.strip().lower()
        if not needle:
            return []
        hits: list[SearchHit] = []
        for info in self.tables:
            if needle in info.name.lower() or needle in info.department.lower():
                hits.append(SearchHit(info.name, None, info.name))
            for c in info.columns:
                for value in (c.name, c.description, c.category, c.semantic):
                    if needle in value.lower():
                        hits.append(SearchHit(info.name, c.name, value))
                        break
        return hits


@functools.lru_cache(maxsize=8)
def builtin_scenario(name: str):
    """The built-in scenario the city was made from (read once per process; treat as read-only), or None:
    the database itself holds department ids, not names, titles or agreements."""
    from sandbox_app.errors import SandboxError
    from sandbox_app.scenario.loader import builtin_scenarios, load_scenario

    if not name or name not in builtin_scenarios():
        return None
    try:
        return load_scenario(name)
    except SandboxError:
        return None


def _scenario_names(name: str) -> tuple[str, dict[str, str]]:
    """Title and department names of the city's built-in scenario ('' and {} if unknown)."""
    scenario = builtin_scenario(name)
    if scenario is None:
        return "", {}
    names = {d.id: d.name for d in scenario.departments}
    return scenario.title, {**names, **FIXED_NAMES}


def hidden_by_default(participant_copy: bool) -> frozenset[str]:
    """Tables hidden whatever the dictionary says: the answer key (and _meta, unless this is a participant copy,
    whose _meta holds no secret)."""
    return frozenset({"_ground_truth", "_residents"} | (set() if participant_copy else {"_meta"}))


def facilitator_visible(name: str, info: TableInfo, facilitator: bool, hidden: frozenset[str]) -> bool:
    if name == "_data_dictionary":
        return True
    return facilitator or name not in hidden


def without_rowid_keys(conn: sqlite3.Connection, table: str) -> tuple[str, ...]:
    """The primary key columns of a WITHOUT ROWID table (the answer key's `_ground_truth`); () for any other."""
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
    if not row or not row[0] or "WITHOUT ROWID" not in row[0].upper():
        return ()
    columns = sorted((r[5], r[1]) for r in conn.execute(f"PRAGMA table_info({quote(table)})") if r[5])
    return tuple(name for _, name in columns)


def row_order(conn: sqlite3.Connection, table: str) -> str:
    """What orders a table's rows as stored: `rowid`, or a WITHOUT ROWID table's primary key."""
    keys = without_rowid_keys(conn, table)
    return ", ".join(quote(k) for k in keys) if keys else "rowid"


def _max_rowid(conn: sqlite3.Connection, table: str, create_sql: str | None) -> int | None:
    if create_sql and "WITHOUT ROWID" in create_sql.upper():
        return None
    return int(conn.execute(f"SELECT coalesce(max(rowid), 0) FROM {quote(table)}").fetchone()[0])


__all__ = ["Catalog", "ColumnInfo", "PARTICIPANT_COPY", "SearchHit", "TableInfo", "open_read_only", "quote",
           "row_order", "without_rowid_keys"]
