"""A new SQLite file written in one go: into `.NAME.partial-PID` beside it, renamed onto NAME only when
everything is written, removed if anything fails (or the process is stopped: `generate.remove_stale_partials`
clears what a killed one left). So a reader never sees half a file, and a failed write keeps the old one."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path


def partial_path(out: Path) -> Path:
    """Where the file is written before it is renamed onto `out`."""
    return out.with_name(f".{out.name}.partial-{os.getpid()}")


@contextlib.contextmanager
def new_database(out: str | Path, *, uri: bool = False, pragmas: tuple[str, ...] = ()) -> Iterator[sqlite3.Connection]:
    """A connection to a fresh file, in one transaction (no journal, no syncs while writing: the rename is
    what makes it appear); committed and renamed onto `out` when the block ends, removed if it raises.
    `uri`: open it as a URI, so ATTACH accepts `file:…?mode=ro` names."""
    out = Path(out)
    tmp = partial_path(out)
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp.resolve().as_uri() if uri else tmp, uri=uri, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        for pragma in pragmas:
            conn.execute(f"PRAGMA {pragma}")
        conn.execute("BEGIN")
        yield conn
        conn.execute("COMMIT")
        conn.close()
        os.replace(tmp, out)
    except BaseException:
        conn.close()
        tmp.unlink(missing_ok=True)
        raise


__all__ = ["new_database", "partial_path"]
