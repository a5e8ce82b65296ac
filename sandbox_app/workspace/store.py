"""The trainee's workspace database: every edit, attempt and recently opened scenario, saved as it happens.

SQLite in WAL mode with ``synchronous=FULL``: each save is one transaction whose commit is fsynced, so a
save that has returned survives a killed process *and* a power cut. WAL + NORMAL would survive a killed
process too, but a power cut could roll back every commit since the last checkpoint (minutes of work);
FULL costs one fsync per save (0.12 ms measured on the dev VM, a few ms on a laptop SSD), which is cheap
next to a trainee's keystroke.

A file that is not a workspace, is corrupt, is locked by another process or comes from a newer version is
copied to a timestamped backup beside it first, then a WorkspaceError says what happened and where the
backup is; the app never starts empty over an existing file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

from sandbox_app.errors import Problem, WorkspaceError
from sandbox_app.workspace.fingerprint import scenario_sha256
from sandbox_app.workspace.opening import set_aside  # noqa: F401  (part of this module's API)
from sandbox_app.workspace.results import plain_json

APPLICATION_ID = 0x43535753  # "CSWS": marks the file as a city-sandbox workspace (PRAGMA application_id)
SCHEMA_VERSION = 2  # PRAGMA user_version; 2: shares.undo_base (undo states under increasing positions)
VERDICT_RANK = {"approve": 3, "revise": 2, "reject": 1}
RECENT_KEEP = 50

SCHEMA = """
CREATE TABLE shares (
    scenario_key TEXT NOT NULL, exercise_id TEXT NOT NULL, share_json TEXT NOT NULL,
    undo_base INTEGER, undo_index INTEGER, saved_at TEXT NOT NULL, PRIMARY KEY (scenario_key, exercise_id));
CREATE TABLE undo_states (
    scenario_key TEXT NOT NULL, exercise_id TEXT NOT NULL, position INTEGER NOT NULL, share_json TEXT NOT NULL,
    PRIMARY KEY (scenario_key, exercise_id, position));
CREATE TABLE attempts (
    scenario_key TEXT NOT NULL, exercise_id TEXT NOT NULL, number INTEGER NOT NULL,
    share_json TEXT NOT NULL, report_json TEXT NOT NULL, justification TEXT NOT NULL, submitted_at TEXT NOT NULL,
    verdict TEXT, privacy_score INTEGER, usefulness_score INTEGER,
    PRIMARY KEY (scenario_key, exercise_id, number));
CREATE TABLE recent (
    location TEXT PRIMARY KEY, title TEXT NOT NULL, opened_at TEXT NOT NULL, seq INTEGER NOT NULL);
"""


def upgrade_schema(db: sqlite3.Connection, version: int) -> None:
    """Bring a workspace written at schema `version` up to SCHEMA_VERSION, inside the caller's transaction
    (so a failure leaves it as it was). Schema 1 had no `shares.undo_base`: its undo states sit at positions
    0..n-1, so a share with undo states gets base 0 (NULL now means "no undo history")."""
    if version < 2:
        if "undo_base" not in {r[1] for r in db.execute("PRAGMA table_info(shares)")}:
            db.execute("ALTER TABLE shares ADD COLUMN undo_base INTEGER")
        db.execute("UPDATE shares SET undo_base = 0 WHERE undo_base IS NULL AND EXISTS (SELECT 1 FROM undo_states "
                   "AS u WHERE u.scenario_key = shares.scenario_key AND u.exercise_id = shares.exercise_id)")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def default_workspace_path() -> Path:
    """$CITY_SANDBOX_DATA/workspace.db if set, else the platform's user data folder (platformdirs)."""
    root = os.environ.get("CITY_SANDBOX_DATA")
    if not root:
        import platformdirs
        root = platformdirs.user_data_dir("city-sandbox", appauthor=False)
    return Path(root) / "workspace.db"


def scenario_key(scenario) -> str:
    """``name@sha12``: attempts on a changed scenario file are kept apart from the old file's."""
    return f"{scenario.name}@{scenario_sha256(scenario)[:12]}"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class SavedShare:
    """The share an exercise was left at, with its undo history (states and current index) if saved."""

    share_json: str
    undo: list[str] | None
    undo_index: int | None
    saved_at: str


@dataclass(frozen=True)
class Attempt:
    """One submission: the share as submitted, the full score report and the trainee's justification."""

    number: int
    share_json: str
    report: dict
    justification: str
    submitted_at: str
    verdict: str | None
    privacy_score: int | None
    usefulness_score: int | None

    def to_dict(self) -> dict:
        """The per-attempt entry of a result file (see results.build_result)."""
        return {"number": self.number, "submitted_at": self.submitted_at, "verdict": self.verdict,
                "privacy_score": self.privacy_score, "usefulness_score": self.usefulness_score,
                "justification": self.justification, "share_json": self.share_json}


@dataclass(frozen=True)
class ExerciseStatus:
    """new (nothing saved), in progress (a share saved) or submitted; best = the best attempt's figures."""

    state: str
    attempts: int = 0
    best_verdict: str | None = None
    best_privacy: int | None = None
    best_usefulness: int | None = None
    best_attempt: int | None = None


@dataclass(frozen=True)
class RecentItem:
    """A scenario name, scenario file or pack path opened before."""

    location: str
    title: str
    opened_at: str


def best_attempt(attempts: list[Attempt]) -> Attempt | None:
    """Best verdict first, then the higher of the two scores' minimum, then their sum, then the latest."""
    if not attempts:
        return None
    return max(attempts, key=lambda a: (VERDICT_RANK.get(a.verdict or "", 0),
                                        min(a.privacy_score or 0, a.usefulness_score or 0),
                                        (a.privacy_score or 0) + (a.usefulness_score or 0), a.number))


@dataclass
class Workspace:
    """An open workspace database. Safe to use from more than one thread (one lock around the connection)."""

    path: Path
    _db: sqlite3.Connection
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _undo_saved: dict[tuple[str, str], tuple[str, int | None, list[str]]] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path | None = None, *, timeout: float = 2.0) -> Workspace:
        """Open (or create) the workspace; waits up to ``timeout`` s for another process's lock."""
        path = Path(path) if path is not None else default_workspace_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise WorkspaceError([Problem(str(path.parent), None, "",
                                          f"cannot create the workspace folder: {err.strerror}")]) from None
        from sandbox_app.workspace.opening import open_connection
        return cls(path, open_connection(path, timeout))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- writing ------------------------------------------------------------------------------------------
    def _write(self, what: str):
        return _Transaction(self, what)

    def save_share(self, scenario_key: str, exercise_id: str, share_json: str, undo: list[str] | None = None,
                   undo_index: int | None = None) -> None:
        """Save the exercise's current share (and undo history) in one transaction; durable on return.

        Undo states are stored once each under ever-increasing positions, and only the states that changed
        since the last save are written: an edit appends one, an undo writes none, and a history capped by
        an undo limit (oldest state dropped) deletes one — so a save costs the same however long it is.
        """
        if undo is not None and undo_index is not None and not 0 <= undo_index <= len(undo):
            raise ValueError(f"undo_index {undo_index} outside 0..{len(undo)}")
        key = (scenario_key, exercise_id)
        with self._write("save the share") as db:
            (saved_at,) = db.execute("SELECT saved_at FROM shares WHERE scenario_key = ? AND exercise_id = ?",
                                     key).fetchone() or (None,)
            cached = self._undo_saved.get(key)
            if cached is not None and cached[0] == saved_at:  # nobody else saved this exercise since
                base, saved = cached[1], cached[2]
            else:
                base, saved = _undo_states(db, key)
            if undo is None:
                new_base, same = None, 0
                db.execute("DELETE FROM undo_states WHERE scenario_key = ? AND exercise_id = ?", key)
            else:
                dropped = saved.index(undo[0]) if undo and undo[0] in saved else len(saved)
                same = 0
                while (same < len(undo) and dropped + same < len(saved)
                       and saved[dropped + same] == undo[same]):
                    same += 1
                new_base = (base or 0) + dropped
                db.execute("DELETE FROM undo_states WHERE scenario_key = ? AND exercise_id = ? AND "
                           "(position < ? OR position >= ?)", (*key, new_base, new_base + same))
                db.executemany("INSERT INTO undo_states VALUES (?, ?, ?, ?)",
                               [(*key, new_base + i, undo[i]) for i in range(same, len(undo))])
            now = _now()
            db.execute("INSERT INTO shares (scenario_key, exercise_id, share_json, undo_base, undo_index, saved_at) "
                       "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
                       "share_json = excluded.share_json, undo_base = excluded.undo_base, "
                       "undo_index = excluded.undo_index, saved_at = excluded.saved_at",
                       (*key, share_json, new_base, undo_index, now))
        self._undo_saved[key] = (now, new_base, list(undo) if undo is not None else [])

    def add_attempt(self, scenario_key: str, exercise_id: str, share_json: str, report: dict,
                    justification: str = "") -> Attempt:
        """Record a submission (numbered 1, 2, … per exercise) with its full score report."""
        report = plain_json(report)
        with self._write("record the attempt") as db:
            (number,) = db.execute("SELECT coalesce(max(number), 0) + 1 FROM attempts WHERE scenario_key = ? "
                                   "AND exercise_id = ?", (scenario_key, exercise_id)).fetchone()
            attempt = Attempt(number, share_json, report, justification, _now(), report.get("verdict"),
                              report.get("privacy_score"), report.get("usefulness_score"))
            db.execute("INSERT INTO attempts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (scenario_key, exercise_id, number, share_json, json.dumps(report), justification,
                        attempt.submitted_at, attempt.verdict, attempt.privacy_score, attempt.usefulness_score))
        return attempt

    def add_recent(self, location: str, title: str) -> None:
        """Put ``location`` at the top of the recent list (once), keeping the newest RECENT_KEEP."""
        with self._write("remember the recent file") as db:
            (seq,) = db.execute("SELECT coalesce(max(seq), 0) + 1 FROM recent").fetchone()
            db.execute("INSERT INTO recent VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET title = excluded.title, "
                       "opened_at = excluded.opened_at, seq = excluded.seq", (str(location), title, _now(), seq))
            db.execute("DELETE FROM recent WHERE seq <= ?", (seq - RECENT_KEEP,))

    # -- reading ------------------------------------------------------------------------------------------
    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as err:
                raise _failed(self.path, "read the workspace", err) from None

    def load_share(self, scenario_key: str, exercise_id: str) -> SavedShare | None:
        """The share last saved for the exercise, or None if it was never opened."""
        key = (scenario_key, exercise_id)
        with self._lock:
            try:
                row = self._db.execute("SELECT share_json, undo_index, saved_at FROM shares WHERE "
                                       "scenario_key = ? AND exercise_id = ?", key).fetchone()
                base, states = _undo_states(self._db, key)
            except sqlite3.Error as err:
                raise _failed(self.path, "read the workspace", err) from None
        if row is None:
            return None
        share_json, undo_index, saved_at = row
        return SavedShare(share_json, states if base is not None else None, undo_index, saved_at)

    def attempts(self, scenario_key: str, exercise_id: str) -> list[Attempt]:
        """Every attempt at the exercise, oldest first."""
        rows = self._read("SELECT number, share_json, report_json, justification, submitted_at, verdict, "
                          "privacy_score, usefulness_score FROM attempts WHERE scenario_key = ? AND exercise_id = ? "
                          "ORDER BY number", (scenario_key, exercise_id))
        return [Attempt(n, s, json.loads(r), j, t, v, p, u) for n, s, r, j, t, v, p, u in rows]

    def status(self, scenario_key: str, exercise_id: str) -> ExerciseStatus:
        """new / in progress / submitted, with the best attempt's verdict and scores."""
        tries = self.attempts(scenario_key, exercise_id)
        best = best_attempt(tries)
        if best is not None:
            return ExerciseStatus("submitted", len(tries), best.verdict, best.privacy_score,
                                  best.usefulness_score, best.number)
        saved = self._read("SELECT 1 FROM shares WHERE scenario_key = ? AND exercise_id = ?",
                           (scenario_key, exercise_id))
        return ExerciseStatus("in progress" if saved else "new")

    def recent(self, limit: int = 10) -> list[RecentItem]:
        """Recently opened scenarios and packs, newest first, each once."""
        rows = self._read("SELECT location, title, opened_at FROM recent ORDER BY seq DESC LIMIT ?", (limit,))
        return [RecentItem(*row) for row in rows]


def _undo_states(db: sqlite3.Connection, key: tuple[str, str]) -> tuple[int | None, list[str]]:
    """(position of the first undo state or None if no history is saved, the states in order)."""
    row = db.execute("SELECT undo_base FROM shares WHERE scenario_key = ? AND exercise_id = ?", key).fetchone()
    states = [s for (s,) in db.execute("SELECT share_json FROM undo_states WHERE scenario_key = ? AND "
                                       "exercise_id = ? ORDER BY position", key)]
    return (row[0] if row else None), states


def _failed(path: Path, what: str, err: sqlite3.Error) -> WorkspaceError:
    reason = "another copy of the app is using it" if "locked" in str(err) else str(err)
    return WorkspaceError([Problem(str(path), None, "", f"could not {what}: {reason}",
                                   "your earlier saves are kept; try again, or restart the app")])


class _Transaction:
    """``with ws._write(what) as db``: BEGIN IMMEDIATE … COMMIT under the lock; rollback and a plain error."""

    def __init__(self, ws: Workspace, what: str):
        self.ws, self.what = ws, what

    def __enter__(self) -> sqlite3.Connection:
        self.ws._lock.acquire()
        try:
            self.ws._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as err:
            self.ws._lock.release()
            raise _failed(self.ws.path, self.what, err) from None
        return self.ws._db

    def __exit__(self, kind, err, tb) -> bool:
        db = self.ws._db
        try:
            if kind is None:
                try:
                    db.execute("COMMIT")
                except sqlite3.Error as commit_err:
                    db.execute("ROLLBACK")
                    self.ws._undo_saved.clear()
                    raise _failed(self.ws.path, self.what, commit_err) from None
                return False
            if db.in_transaction:
                db.execute("ROLLBACK")
            self.ws._undo_saved.clear()  # what the cache says was saved may not be any more
            if isinstance(err, sqlite3.Error):
                raise _failed(self.ws.path, self.what, err) from None
            return False
        finally:
            self.ws._lock.release()
