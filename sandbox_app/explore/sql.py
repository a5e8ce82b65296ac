"""Read-only SQL on a city database: refusals, a time limit, a cancel flag, located errors, paged results.

Read-only by construction, in four layers: the file is opened with ``mode=ro``; ``PRAGMA query_only`` is on;
an authorizer allows only reading (SELECT, recursive CTEs, a list of harmless functions and read-only
pragmas) and so refuses ATTACH/DETACH (and with it VACUUM INTO), every write, CREATE TEMP, transactions,
``load_extension`` and pragmas that write (``writable_schema``, ``journal_mode`` …); facilitator-only tables
(the answer key) are refused unless the database is opened for a facilitator. The time limit and the
cancel flag both work through SQLite's progress handler, so they also stop a query while its rows stream.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sandbox_app.errors import DatabaseError, Problem, SandboxError, sqlite_reason
from sandbox_app.explore.catalog import PARTICIPANT_COPY, hidden_by_default, open_read_only
from sandbox_app.files import shown
from synthetic.progress import Cancelled, TaskState

DEFAULT_TIMEOUT_S = 10.0
PAGE_ROWS = 500
_PROGRESS_EVERY = 2_000  # SQLite VM instructions between checks of the clock and the cancel flag
READ_ONLY_PRAGMAS = frozenset({"table_info", "table_xinfo", "table_list", "index_list", "index_info",
                               "index_xinfo", "foreign_key_list", "function_list", "pragma_list",
                               "collation_list", "database_list", "compile_options"})
REFUSED_FUNCTIONS = frozenset({"load_extension", "fts3_tokenizer", "readfile", "writefile", "edit"})
_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_PRAGMA,
            getattr(sqlite3, "SQLITE_RECURSIVE", 33)}
_WHAT = {sqlite3.SQLITE_INSERT: "INSERT", sqlite3.SQLITE_UPDATE: "UPDATE", sqlite3.SQLITE_DELETE: "DELETE",
         sqlite3.SQLITE_ATTACH: "ATTACH", sqlite3.SQLITE_DETACH: "DETACH", sqlite3.SQLITE_TRANSACTION:
         "a transaction", getattr(sqlite3, "SQLITE_SAVEPOINT", 32): "SAVEPOINT"}
_KEYWORD = {"INSERT": "insert|replace", "UPDATE": "update", "DELETE": "delete", "ATTACH": "attach",
            "DETACH": "detach", "a transaction": "begin|commit|rollback|end", "SAVEPOINT": "savepoint|release",
            "PRAGMA": "pragma"}


class QueryError(SandboxError):
    """A query that was refused, failed, ran out of time or was stopped; located where SQLite points."""

    def __init__(self, message: str, sql: str = "", offset: int | None = None, kind: str = "error",
                 hint: str | None = None, where: str = "query"):
        self.kind, self.offset, self.sql = kind, offset, sql
        self.line, self.column = _line_column(sql, offset) if offset is not None else (None, None)
        self.message, self.hint = message, hint
        super().__init__([Problem(where, self.line, f"column {self.column}" if self.column else "", message,
                                  hint)])


class QueryTimeout(QueryError):
    """The query ran past its time limit and was interrupted."""


class QueryCancelled(QueryError, Cancelled):
    """The user pressed Stop (also a `Cancelled`, so workers treat it as a stop, not a failure)."""


def _line_column(sql: str, offset: int) -> tuple[int, int]:
    before = sql[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _masked(sql: str) -> str:
    """`sql` with string literals and comments blanked out (same length, so offsets still hold)."""
    return re.sub(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", lambda m: " " * len(m.group()), sql, flags=re.S)


def _find_word(sql: str, word: str, start: int = 0) -> int | None:
    """Offset of the first `word` (case-insensitive, not inside a quoted literal) at or after `start`."""
    m = re.compile(rf"(?<![\w$]){re.escape(word)}(?![\w$])", re.I).search(_masked(sql), start)
    return m.start() if m else None


_SCHEMA_WORDS = r"(?:TEMP|TEMPORARY|UNIQUE|VIRTUAL|TABLE|VIEW|INDEX|TRIGGER|INTO|IF|NOT|EXISTS)"


def statement_head(sql: str) -> tuple[str, int]:
    """The statement's leading words as a reader would name it (`CREATE TEMP TABLE`, `VACUUM INTO`,
    `SELECT`) and their offset."""
    masked = _masked(sql)
    m = re.search(rf"[A-Za-z]+(?:\s+{_SCHEMA_WORDS}(?![\w$]))*", masked, re.I)
    if not m:
        return "", 0
    words = [w for w in m.group().split() if w.upper() not in ("IF", "NOT", "EXISTS")]
    return " ".join(words).upper(), m.start()


def is_read_statement(sql: str) -> bool:
    """True for SELECT, VALUES and WITH … SELECT (a WITH that leads to INSERT/UPDATE/DELETE is a write)."""
    head = statement_head(sql)[0].split(" ")[0]
    if head == "WITH":
        return re.search(r"(?<![\w$])(INSERT|UPDATE|DELETE|REPLACE)(?![\w$])", _masked(sql), re.I) is None
    return head in ("SELECT", "VALUES", "EXPLAIN")


def locate(sql: str, message: str) -> int | None:
    """Where in `sql` SQLite's error `message` points (the token it names), or None."""
    if "incomplete input" in message:
        return len(sql.rstrip())
    m = re.search(r'near "(.+?)"', message) or re.search(
        r"no such (?:column|table|function|collation sequence): (\S+)", message) or re.search(
        r"ambiguous column name: (\S+)", message) or re.search(r"wrong number of arguments to function (\w+)",
                                                               message)
    if not m:
        return None
    token = m.group(1)
    found = _find_word(sql, token) if re.fullmatch(r"[\w$]+", token) else sql.find(token)
    if (found is None or found < 0) and "." in token:
        found = _find_word(sql, token.rsplit(".", 1)[1])
    return None if found is None or found < 0 else found


def hidden_tables(conn: sqlite3.Connection) -> frozenset[str]:
    """Facilitator-only tables: those the data dictionary marks, plus the answer key whatever it says."""
    try:
        marked = {str(r[0]) for r in conn.execute(
            "SELECT DISTINCT table_name FROM _data_dictionary WHERE facilitator_only = 1")}
    except sqlite3.Error:
        marked = set()
    try:
        copy = conn.execute("SELECT value FROM _meta WHERE key = 'copy'").fetchone()
    except sqlite3.Error:
        copy = None
    return frozenset(marked | hidden_by_default(bool(copy) and copy[0] == PARTICIPANT_COPY))


@dataclass
class _Denial:
    message: str
    keyword: str
    name_the_statement: bool = False  # the message should name the statement, not the action SQLite saw


class ReadOnlyDatabase:
    """A city database opened for reading only; `query()` runs one statement under the rules above.

    One query at a time per object; open one per thread (`check_same_thread` is off so a worker may use it).
    """

    def __init__(self, path: str | Path, *, facilitator: bool = False):
        self.path = Path(path)
        self.facilitator = facilitator
        self.conn = open_read_only(self.path)
        try:
            self.hidden = frozenset() if facilitator else hidden_tables(self.conn)
        except sqlite3.Error as err:
            self.conn.close()
            raise DatabaseError([Problem(str(self.path), None, "", "not a SQLite database, or the file is "
                                         f"damaged ({err})", "generate the city again")]) from None
        self._denial: _Denial | None = None
        self._reading = True
        self._deadline = float("inf")
        self._cancel = threading.Event()
        self._state: TaskState | None = None
        self.conn.set_authorizer(self._authorize)
        self.conn.set_progress_handler(self._progress, _PROGRESS_EVERY)

    # ------------------------------------------------------------------------------------ the rules

    def _authorize(self, action: int, arg1, arg2, db_name, trigger) -> int:
        if action == sqlite3.SQLITE_READ and arg1 in self.hidden:
            return self._deny(f"table {arg1} is for facilitators only (the answer key)", arg1,
                              "facilitators: add --facilitator, or open the explorer in facilitator mode")
        if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() not in READ_ONLY_PRAGMAS:
            return self._deny(f"PRAGMA {arg1} is not allowed here: only pragmas that read "
                              f"({', '.join(sorted(READ_ONLY_PRAGMAS)[:4])} …)", "PRAGMA")
        if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in REFUSED_FUNCTIONS:
            return self._deny(f"the function {arg2}() is not allowed here", arg2)
        if action in _ALLOWED:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_UPDATE and arg1 in ("sqlite_master", "sqlite_temp_master") and not trigger \
                and self._reading:
            return sqlite3.SQLITE_OK  # SQLite declaring a pragma table-function (pragma_table_info) for a SELECT
        what = _WHAT.get(action) or _action_name(action)
        return self._deny(f"{what} is not allowed: this console only reads the city", what,
                          name_the_statement=not self._reading)

    def _deny(self, message: str, keyword: str, hint: str | None = None, name_the_statement: bool = False) -> int:
        if self._denial is None:
            self._denial = _Denial(message if hint is None else f"{message} ({hint})", keyword, name_the_statement)
        return sqlite3.SQLITE_DENY

    def _progress(self) -> int:
        if self._cancel.is_set() or (self._state is not None and self._state.is_cancelled()):
            return 1
        return 1 if time.monotonic() > self._deadline else 0

    # ------------------------------------------------------------------------------------- queries

    def cancel(self) -> None:
        """Stop the running query (safe from another thread); it raises QueryCancelled."""
        self._cancel.set()

    def query(self, sql: str, params: tuple | dict = (), *, timeout: float | None = DEFAULT_TIMEOUT_S,
              state: TaskState | None = None) -> QueryResult:
        """Start one statement; rows are read page by page from the result. QueryError if refused or wrong."""
        self._denial, self._state = None, state
        self._reading = is_read_statement(sql)
        self._cancel.clear()
        self._timeout = timeout
        self._deadline = time.monotonic() + timeout if timeout else float("inf")
        cursor = self.conn.cursor()
        try:
            cursor.execute(sql, params)
        except (sqlite3.Error, sqlite3.Warning) as err:
            cursor.close()
            raise self._translate(err, sql) from None
        columns = [d[0] for d in cursor.description or []]
        return QueryResult(self, cursor, sql, columns)

    def _translate(self, err: Exception, sql: str) -> QueryError:
        text = str(err)
        if self._denial is not None and ("not authorized" in text or "prohibited" in text or "denied" in text):
            denial = self._denial
            head, at = statement_head(sql)
            head = re.sub(r"^(INSERT|REPLACE) INTO", r"\1", head)
            if denial.name_the_statement and head and not head.startswith("WITH"):
                what = "temporary tables, views and triggers are" if "TEMP" in head else f"{head} is"
                return QueryError(f"{what} not allowed: this console only reads the city", sql, at, kind="refused")
            offset = next((o for k in _KEYWORD.get(denial.keyword, denial.keyword).split("|")
                           if (o := _find_word(sql, k)) is not None), None)
            return QueryError(denial.message, sql, offset, kind="refused")
        if "interrupted" in text:
            if self._cancel.is_set() or (self._state is not None and self._state.is_cancelled()):
                return QueryCancelled("stopped", sql, kind="cancelled")
            return QueryTimeout(f"stopped after the time limit of {self._timeout:g} s", sql, kind="timeout",
                                hint="narrow the query (WHERE, LIMIT) or raise the limit with --timeout")
        if "one statement at a time" in text:
            end = _end_of_first_statement(sql)
            return QueryError("one statement at a time: remove what follows the first ';'", sql, end)
        if "readonly" in text or "read-only" in text or "query_only" in text:
            return QueryError("this console only reads the city", sql, 0, kind="refused")
        if (reason := sqlite_reason(err)) is not None:  # the file, not the query: no place to underline
            return QueryError(reason[0], sql, None, hint=reason[1], where=shown(self.path))
        return QueryError(text, sql, locate(sql, text))

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> ReadOnlyDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _end_of_first_statement(sql: str) -> int | None:
    for i in range(len(sql)):
        if sql[i] == ";" and sqlite3.complete_statement(sql[: i + 1]):
            return i + 1 + (len(sql[i + 1:]) - len(sql[i + 1:].lstrip()))
    return None


def _action_name(action: int) -> str:
    return next((name[7:] for name in dir(sqlite3) if name.startswith("SQLITE_") and getattr(sqlite3, name) ==
                 action and not name.startswith(("SQLITE_OK", "SQLITE_DENY", "SQLITE_IGNORE"))), f"action {action}")


class QueryResult:
    """The rows of a running query, read in pages; never all at once. The time limit runs until closed."""

    def __init__(self, db: ReadOnlyDatabase, cursor: sqlite3.Cursor, sql: str, columns: list[str]):
        self.db, self.cursor, self.sql, self.columns = db, cursor, sql, columns
        self.rows_read = 0
        self.exhausted = not columns

    def page(self, size: int = PAGE_ROWS) -> list[tuple]:
        """The next `size` rows (fewer at the end; [] once exhausted)."""
        if self.exhausted:
            return []
        try:
            rows = self.cursor.fetchmany(size)
        except (sqlite3.Error, sqlite3.Warning) as err:
            self.close()
            raise self.db._translate(err, self.sql) from None
        self.rows_read += len(rows)
        if len(rows) < size:
            self.close()
        return rows

    def pages(self, size: int = PAGE_ROWS, limit: int | None = None) -> Iterator[list[tuple]]:
        """Pages of rows until the result (or `limit` rows) is exhausted."""
        while not self.exhausted and (limit is None or self.rows_read < limit):
            want = size if limit is None else min(size, limit - self.rows_read)
            rows = self.page(want)
            if rows:
                yield rows

    def close(self) -> None:
        self.exhausted = True
        self.cursor.close()


__all__ = ["DEFAULT_TIMEOUT_S", "QueryCancelled", "QueryError", "QueryResult", "QueryTimeout", "ReadOnlyDatabase",
           "hidden_tables", "locate"]
