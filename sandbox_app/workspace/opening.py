"""Open a workspace file safely: inspect it, and back it up and refuse it if it is not ours to use.

Merely opening and closing an SQLite file read-write can change it: the last connection to close
checkpoints the -wal into the main file and deletes it. So an existing file is inspected through a
read-only connection (which never writes the file or its -wal), and opened read-write only once accepted.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

from sandbox_app.errors import Problem, WorkspaceError

EXPECTED_TABLES = {"shares", "undo_states", "attempts", "recent"}
SIDE_FILES = ("-wal", "-journal")  # what SQLite may replay or delete when the file is opened
BUSY = ("is in use by another program (another copy of City Sandbox?)", "close the other copy and start again")
DAMAGED_HINT = "restore it from a backup, or move it away to start a new workspace"


def _free_name(path: Path, label: str) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    target, n = path.with_name(f"{path.name}.{label}-{stamp}"), 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.{label}-{stamp}-{n}")
    return target


def backup_copy(path: Path) -> Path:
    """Copy ``path`` and its side files to ``NAME.backup-STAMP`` (+ -wal/-journal) beside it; the copy."""
    target = _free_name(path, "backup")
    shutil.copy2(path, target)
    for suffix in SIDE_FILES:
        side = path.with_name(path.name + suffix)
        if side.exists():
            shutil.copy2(side, target.with_name(target.name + suffix))
    return target


def set_aside(path: Path) -> Path:
    """Move a refused workspace (with its side files) to ``NAME.set-aside-STAMP`` so a fresh one can start.

    Refuses (WorkspaceError) while another process holds it: starting afresh then would split the work.
    The files are moved while the checking connection is still open, so closing it cannot delete the -wal.
    """
    path = Path(path)
    if not path.exists():
        return path
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        except sqlite3.OperationalError as err:
            if "locked" in str(err) or "busy" in str(err):
                raise WorkspaceError([Problem(str(path), None, "", f"the workspace {BUSY[0]}", BUSY[1])]) from None
        except sqlite3.DatabaseError:
            pass  # damaged or not a database: nothing holds a lock on it that SQLite honours
        target = _free_name(path, "set-aside")
        try:
            for suffix in (*SIDE_FILES, "-shm"):  # a left-behind -wal would be replayed into the fresh one
                side = path.with_name(path.name + suffix)
                if side.exists():
                    side.replace(target.with_name(target.name + suffix))
            path.replace(target)
        except OSError as err:
            raise WorkspaceError([Problem(str(path), None, "", "could not move the workspace aside: "
                                          f"{err.strerror}")]) from None
    finally:
        conn.close()
    return target


class _Refused(Exception):
    def __init__(self, what: str, hint: str):
        self.what, self.hint = what, hint


def _inspect(conn: sqlite3.Connection) -> bool:
    """True for an empty file (make a workspace in it); raises _Refused unless it is a usable workspace."""
    from sandbox_app.workspace.store import APPLICATION_ID, SCHEMA_VERSION

    try:
        (app_id,) = conn.execute("PRAGMA application_id").fetchone()
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.OperationalError as err:
        if "locked" in str(err):
            raise _Refused(f"the workspace {BUSY[0]}", BUSY[1]) from None
        raise _Refused(f"the workspace cannot be read ({err})", DAMAGED_HINT) from None
    except sqlite3.DatabaseError as err:
        raise _Refused(f"the workspace is damaged or is not a database ({err})", DAMAGED_HINT) from None
    if app_id == 0 and version == 0 and not tables:
        return True
    if app_id != APPLICATION_ID or version < 1:
        raise _Refused("this file is an SQLite database but not a City Sandbox workspace",
                       "point CITY_SANDBOX_DATA elsewhere, or move the file away")
    if version > SCHEMA_VERSION:
        raise _Refused(f"the workspace was written by a newer version of City Sandbox (schema {version}; "
                       f"this version reads up to {SCHEMA_VERSION})", "update City Sandbox")
    try:
        problems = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
    except sqlite3.DatabaseError as err:
        problems = [str(err)]
    missing = EXPECTED_TABLES - tables
    if problems != ["ok"] or missing:
        detail = problems[0] if problems != ["ok"] else f"tables missing: {', '.join(sorted(missing))}"
        raise _Refused(f"the workspace is damaged ({detail})", DAMAGED_HINT)
    return False


def _prepare(conn: sqlite3.Connection, new: bool) -> None:
    """WAL, synchronous=FULL, and the write lock once (proving no other process holds it); the schema if new,
    else an older schema brought up to date (store.upgrade_schema)."""
    from sandbox_app.workspace.store import APPLICATION_ID, SCHEMA, SCHEMA_VERSION, upgrade_schema

    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("BEGIN IMMEDIATE")
        if new:  # statement by statement: executescript() would commit half way
            for statement in filter(str.strip, SCHEMA.split(";")):
                conn.execute(statement)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        else:
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            if version < SCHEMA_VERSION:
                upgrade_schema(conn, version)
        conn.execute("COMMIT")
    except sqlite3.OperationalError as err:
        if "locked" in str(err) or "busy" in str(err):
            raise _Refused(f"the workspace {BUSY[0]}", BUSY[1]) from None
        raise _Refused(f"the workspace cannot be written ({err})",
                       "check the disk has space and the folder is writable") from None


def open_connection(path: Path, timeout: float) -> sqlite3.Connection:
    """A connection to a checked workspace at ``path`` (created if absent or empty), WAL, synchronous=FULL."""
    existed = path.exists() and path.stat().st_size > 0
    try:
        new = True
        if existed:
            uri = f"{path.resolve().as_uri()}?mode=ro"
            probe = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
            try:
                new = _inspect(probe)
            finally:
                probe.close()
        conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
        try:
            _prepare(conn, new)
        except BaseException:
            conn.close()
            raise
    except _Refused as refused:
        raise _refusal(path, refused, backup=existed) from None
    except sqlite3.Error as err:
        raise _refusal(path, _Refused(f"the workspace cannot be opened ({err})", DAMAGED_HINT),
                       backup=existed) from None
    return conn


def _refusal(path: Path, refused: _Refused, backup: bool) -> WorkspaceError:
    """The WorkspaceError for a refused file, after copying it to a backup (if there was anything in it)."""
    if not backup:  # a new or empty file (another program is creating it?): nothing to keep
        return WorkspaceError([Problem(str(path), None, "", refused.what, refused.hint)])
    try:
        backup_path = backup_copy(path)
    except OSError as err:
        return WorkspaceError([Problem(str(path), None, "", f"{refused.what}; it was left as it is, and no "
                                       f"backup could be made ({err.strerror})", refused.hint)])
    return WorkspaceError([Problem(str(path), None, "", f"{refused.what}; it was left as it is and a backup "
                                   f"copy was kept at {backup_path}", refused.hint)])
