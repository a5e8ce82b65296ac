"""Open a workspace file safely: inspect it read-only, back it up and refuse it if it is not ours to use."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

from sandbox_app.errors import Problem, WorkspaceError

EXPECTED_TABLES = {"shares", "undo_states", "attempts", "recent"}


def backup_copy(path: Path) -> Path:
    """Copy ``path`` (and its -wal, so the copy opens with every commit) to ``NAME.backup-STAMP`` beside it."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.backup-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.backup-{stamp}-{n}")
    shutil.copy2(path, target)
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        shutil.copy2(wal, target.with_name(target.name + "-wal"))
    return target


def _refuse(conn: sqlite3.Connection, path: Path, what: str, hint: str) -> WorkspaceError:
    conn.close()
    try:
        backup = backup_copy(path)
    except OSError as err:
        return WorkspaceError([Problem(str(path), None, "", f"{what}; it was left as it is, and no backup "
                                       f"could be made ({err.strerror})", hint)])
    return WorkspaceError([Problem(str(path), None, "", f"{what}; it was left as it is and a backup copy "
                                   f"was kept at {backup}", hint)])


def _inspect(conn: sqlite3.Connection) -> tuple[int, int, set[str]]:
    (app_id,) = conn.execute("PRAGMA application_id").fetchone()
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return app_id, version, tables


def open_connection(path: Path, timeout: float) -> sqlite3.Connection:
    """A connection to a checked workspace at ``path`` (created if absent or empty), WAL, synchronous=FULL."""
    from sandbox_app.workspace.store import APPLICATION_ID, SCHEMA, SCHEMA_VERSION

    try:
        conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as err:
        raise WorkspaceError([Problem(str(path), None, "", f"cannot open the workspace: {err}")]) from None
    busy = ("is in use by another program (another copy of City Sandbox?)",
            "close the other copy and start again")
    try:
        app_id, version, tables = _inspect(conn)
    except sqlite3.OperationalError as err:
        if "locked" in str(err):
            raise _refuse(conn, path, f"the workspace {busy[0]}", busy[1]) from None
        raise _refuse(conn, path, f"the workspace cannot be read ({err})", "restore it from a backup, or "
                      "move it away to start a new workspace") from None
    except sqlite3.DatabaseError as err:
        raise _refuse(conn, path, f"the workspace is damaged or is not a database ({err})",
                      "restore it from a backup, or move it away to start a new workspace") from None
    new = app_id == 0 and version == 0 and not tables
    if not new:
        if app_id != APPLICATION_ID or version < 1:
            raise _refuse(conn, path, "this file is an SQLite database but not a City Sandbox workspace",
                          "point CITY_SANDBOX_DATA elsewhere, or move the file away")
        if version > SCHEMA_VERSION:
            raise _refuse(conn, path, f"the workspace was written by a newer version of City Sandbox (schema "
                          f"{version}; this version reads up to {SCHEMA_VERSION})", "update City Sandbox")
        try:
            problems = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
        except sqlite3.DatabaseError as err:
            problems = [str(err)]
        missing = EXPECTED_TABLES - tables
        if problems != ["ok"] or missing:
            detail = problems[0] if problems != ["ok"] else f"tables missing: {', '.join(sorted(missing))}"
            raise _refuse(conn, path, f"the workspace is damaged ({detail})",
                          "restore it from a backup, or move it away to start a new workspace")
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("BEGIN IMMEDIATE")  # proves no other process holds the write lock
        if new:  # statement by statement: executescript() would commit half way
            for statement in filter(str.strip, SCHEMA.split(";")):
                conn.execute(statement)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except sqlite3.OperationalError as err:
        if "locked" in str(err) or "busy" in str(err):
            if new and not path.stat().st_size:
                conn.close()
                raise WorkspaceError([Problem(str(path), None, "", f"the workspace {busy[0]}", busy[1])]) from None
            raise _refuse(conn, path, f"the workspace {busy[0]}", busy[1]) from None
        raise _refuse(conn, path, f"the workspace cannot be written ({err})",
                      "check the disk has space and the folder is writable") from None
    return conn
