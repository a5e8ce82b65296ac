"""The workspace database: shares with undo history, attempts, status, recent files, and refusing bad files."""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from sandbox_app.errors import SandboxError, WorkspaceError
from sandbox_app.scenario import load_scenario
from sandbox_app.workspace import store
from sandbox_app.workspace.results import build_result
from sandbox_app.workspace.store import Workspace, default_workspace_path, scenario_key

DATA = Path(__file__).parent / "data"
KEY, EX = "small-city@0123456789ab", "checks"


def _share(n: int) -> str:
    return json.dumps({"format": "city-sandbox/share@1", "exercise": EX, "purpose": f"edit {n}", "tables": []})


def _report(verdict: str, privacy: int, usefulness: int) -> dict:
    return {"verdict": verdict, "privacy_score": privacy, "usefulness_score": usefulness,
            "findings": [{"rule": "k_anonymity", "severity": "major"}], "metrics": {"k": float("nan")}}


@pytest.fixture
def ws(tmp_path):
    w = Workspace.open(tmp_path / "workspace.db")
    yield w
    w.close()


def test_default_path_honours_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CITY_SANDBOX_DATA", str(tmp_path / "here"))
    assert default_workspace_path() == tmp_path / "here" / "workspace.db"
    with Workspace.open() as w:
        assert w.path == tmp_path / "here" / "workspace.db"
    assert (tmp_path / "here" / "workspace.db").is_file()
    monkeypatch.delenv("CITY_SANDBOX_DATA")
    assert default_workspace_path().name == "workspace.db"
    assert "city-sandbox" in str(default_workspace_path())


def test_file_is_wal_full_sync_and_versioned(tmp_path, ws):
    conn = sqlite3.connect(ws.path)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert conn.execute("PRAGMA user_version").fetchone() == (store.SCHEMA_VERSION,)
    assert conn.execute("PRAGMA application_id").fetchone() == (store.APPLICATION_ID,)
    conn.close()
    assert ws._db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL


def test_save_and_load_share_with_undo_history_survives_reopening(tmp_path, ws):
    assert ws.load_share(KEY, EX) is None
    states = [_share(i) for i in range(5)]
    ws.save_share(KEY, EX, states[3], undo=states, undo_index=3)
    ws.close()
    with Workspace.open(tmp_path / "workspace.db") as again:
        saved = again.load_share(KEY, EX)
        assert (saved.share_json, saved.undo, saved.undo_index) == (states[3], states, 3)
        assert saved.saved_at.endswith("Z")
        assert again.load_share(KEY, "other") is None and again.load_share("other", EX) is None


SCHEMA_1_SHARES = ("CREATE TABLE shares (scenario_key TEXT NOT NULL, exercise_id TEXT NOT NULL, share_json TEXT NOT "
                   "NULL, undo_index INTEGER, saved_at TEXT NOT NULL, PRIMARY KEY (scenario_key, exercise_id))")


@pytest.mark.parametrize("with_base", [False, True], ids=["first schema 1", "schema 1 with undo_base"])
def test_a_workspace_from_an_earlier_version_opens_and_keeps_every_save(tmp_path, with_base):
    """Schema 1 stored shares without undo_base (its undo states at 0..n-1); some were written with the column."""
    path = tmp_path / "old.db"
    states = [_share(i) for i in range(4)]
    with sqlite3.connect(path) as conn:
        shares = store.SCHEMA.split(";")[0] if with_base else SCHEMA_1_SHARES
        for statement in [shares, *store.SCHEMA.split(";")[1:]]:
            if statement.strip():
                conn.execute(statement)
        conn.execute(f"PRAGMA application_id = {store.APPLICATION_ID}")
        conn.execute("PRAGMA user_version = 1")
        columns = "scenario_key, exercise_id, share_json, undo_index, saved_at"
        conn.execute(f"INSERT INTO shares ({columns}) VALUES (?, ?, ?, ?, ?)",
                     (KEY, EX, states[2], 2, "2026-11-30T10:00:00Z"))
        conn.executemany("INSERT INTO undo_states VALUES (?, ?, ?, ?)", [(KEY, EX, i, s) for i, s in enumerate(states)])
    conn.close()
    with Workspace.open(path) as ws:
        saved = ws.load_share(KEY, EX)
        assert (saved.share_json, saved.undo, saved.undo_index) == (states[2], states, 2)
        ws.save_share(KEY, EX, _share(9), undo=[*states, _share(9)], undo_index=4)
    with Workspace.open(path) as again:
        saved = again.load_share(KEY, EX)
        assert (saved.share_json, saved.undo, saved.undo_index) == (_share(9), [*states, _share(9)], 4)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (store.SCHEMA_VERSION,)
    conn.close()


def test_undo_history_follows_push_undo_and_truncate(ws):
    history, index = [_share(0)], 0
    rng = random.Random(3)
    for step in range(60):  # a random walk of edits, undos and edits after undo (which drop the redo tail)
        if rng.random() < 0.3 and index > 0:
            index -= 1
        else:
            history = history[: index + 1] + [_share(step + 1)]
            index = len(history) - 1
        ws.save_share(KEY, EX, history[index], undo=history, undo_index=index)
        saved = ws.load_share(KEY, EX)
        assert saved.undo == history and saved.undo_index == index and saved.share_json == history[index]
    ws.save_share(KEY, EX, _share(99))  # no undo given: the history is dropped
    saved = ws.load_share(KEY, EX)
    assert (saved.share_json, saved.undo, saved.undo_index) == (_share(99), None, None)


def test_undo_cache_is_not_fooled_by_another_connection(tmp_path, ws):
    ws.save_share(KEY, EX, _share(1), undo=[_share(0), _share(1)], undo_index=1)
    with Workspace.open(ws.path) as other:
        other.save_share(KEY, EX, _share(7), undo=[_share(7)], undo_index=0)
    ws.save_share(KEY, EX, _share(1), undo=[_share(7), _share(8)], undo_index=1)
    assert ws.load_share(KEY, EX).undo == [_share(7), _share(8)]


def test_a_save_writes_only_the_undo_states_that_changed(ws):
    history = [_share(i) for i in range(100)]
    ws.save_share(KEY, EX, history[-1], undo=history, undo_index=99)

    def rows_written(share, undo, index):
        before = ws._db.total_changes
        ws.save_share(KEY, EX, share, undo=undo, undo_index=index)
        assert ws.load_share(KEY, EX).undo == undo
        return ws._db.total_changes - before - 1  # minus the shares row

    assert rows_written(history[98], history, 98) == 0  # undo
    history = history[:99] + [_share(500)]
    assert rows_written(history[-1], history, 99) == 2  # edit after undo: one state deleted, one added
    history = history[1:] + [_share(501)]
    assert rows_written(history[-1], history, 99) == 2  # undo limit reached: oldest dropped, newest added
    ws._undo_saved.clear()  # as after reopening: read back from the file, same result
    history = history[1:] + [_share(502)]
    assert rows_written(history[-1], history, 99) == 2


def test_undo_history_capped_like_an_undo_limit(ws):
    history: list[str] = []
    for i in range(80):
        history = (history + [_share(i)])[-25:]
        ws.save_share(KEY, EX, history[-1], undo=history, undo_index=len(history) - 1)
        if i % 9 == 0:
            ws._undo_saved.clear()
        saved = ws.load_share(KEY, EX)
        assert saved.undo == history and saved.undo_index == len(history) - 1
    assert ws._db.execute("SELECT count(*) FROM undo_states").fetchone() == (25,)


def test_empty_undo_history_is_kept_apart_from_none(ws):
    ws.save_share(KEY, EX, _share(1), undo=[], undo_index=0)
    assert ws.load_share(KEY, EX).undo == []
    ws.save_share(KEY, EX, _share(1))
    assert ws.load_share(KEY, EX).undo is None


def test_bad_undo_index_is_refused_and_nothing_changes(ws):
    ws.save_share(KEY, EX, _share(1))
    with pytest.raises(ValueError):
        ws.save_share(KEY, EX, _share(2), undo=[_share(2)], undo_index=5)
    assert ws.load_share(KEY, EX).share_json == _share(1)


def test_attempts_are_numbered_and_keep_the_report(ws):
    first = ws.add_attempt(KEY, EX, _share(1), _report("reject", 20, 90), "first go")
    second = ws.add_attempt(KEY, EX, _share(2), _report("revise", 70, 85))
    ws.add_attempt(KEY, "other-exercise", _share(3), _report("approve", 95, 95))
    assert (first.number, second.number) == (1, 2)
    got = ws.attempts(KEY, EX)
    assert [a.number for a in got] == [1, 2]
    assert got[0] == first and got[1] == second
    assert got[0].report["findings"] == [{"rule": "k_anonymity", "severity": "major"}]
    assert got[0].report["metrics"] == {"k": None}
    assert (got[0].verdict, got[0].privacy_score, got[0].usefulness_score, got[0].justification) == \
        ("reject", 20, 90, "first go")
    assert ws.attempts(KEY, "nothing") == []


def test_status_new_in_progress_submitted_and_best(ws):
    assert ws.status(KEY, EX) == store.ExerciseStatus("new")
    ws.save_share(KEY, EX, _share(1))
    assert ws.status(KEY, EX).state == "in progress"
    ws.add_attempt(KEY, EX, _share(1), _report("revise", 60, 99))
    ws.add_attempt(KEY, EX, _share(2), _report("approve", 92, 80))
    ws.add_attempt(KEY, EX, _share(3), _report("reject", 100, 10))
    ws.add_attempt(KEY, EX, _share(4), _report("approve", 85, 85))
    status = ws.status(KEY, EX)
    assert status.state == "submitted" and status.attempts == 4
    # the best attempt is the best verdict, then the better worst score: approve 85/85 beats approve 92/80
    assert (status.best_verdict, status.best_privacy, status.best_usefulness, status.best_attempt) == \
        ("approve", 85, 85, 4)
    assert ws.status(KEY, "elsewhere").state == "new"


def test_recent_is_newest_first_and_deduplicated(ws):
    ws.add_recent("winter-storm", "Winter storm")
    ws.add_recent("/tmp/a.yaml", "A")
    ws.add_recent("winter-storm", "Winter storm (renamed)")
    ws.add_recent("/tmp/pack.zip", "Pack")
    got = ws.recent()
    assert [r.location for r in got] == ["/tmp/pack.zip", "winter-storm", "/tmp/a.yaml"]
    assert got[1].title == "Winter storm (renamed)"
    assert [r.location for r in ws.recent(limit=1)] == ["/tmp/pack.zip"]
    for i in range(store.RECENT_KEEP + 5):
        ws.add_recent(f"/tmp/{i}.yaml", str(i))
    assert len(ws.recent(limit=1000)) == store.RECENT_KEEP


def test_scenario_key_changes_with_the_file(tmp_path):
    path = tmp_path / "small-city.yaml"
    shutil.copy(DATA / "small-city.yaml", path)
    before = scenario_key(load_scenario(path))
    assert before.startswith("small-city@") and len(before) == len("small-city@") + 12
    assert scenario_key(load_scenario(path)) == before
    path.write_text(path.read_text() + "\n# a comment changes the bytes\n")
    assert scenario_key(load_scenario(path)) != before


def test_attempt_dicts_feed_a_result_file(ws):
    scenario = load_scenario(DATA / "small-city.yaml")
    ws.add_attempt(KEY, EX, _share(1), _report("reject", 20, 90), "first")
    ws.add_attempt(KEY, EX, _share(2), _report("approve", 95, 91))
    tries = ws.attempts(KEY, EX)
    data = build_result(trainee="T", scenario=scenario, exercise_id=EX, share_json=tries[-1].share_json,
                        report=tries[-1].report, attempts=[a.to_dict() for a in tries])
    assert [(a["number"], a["verdict"], a["privacy_score"]) for a in data["attempts"]] == \
        [(1, "reject", 20), (2, "approve", 95)]
    assert data["attempts"][0]["share"] == json.loads(_share(1))


def test_saves_from_two_threads_all_land(ws):
    def work(t):
        for i in range(25):
            ws.save_share(KEY, f"ex-{t}", _share(i), undo=[_share(j) for j in range(i + 1)], undo_index=i)
            ws.add_attempt(KEY, f"ex-{t}", _share(i), _report("revise", i, i))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for t in range(3):
        assert ws.load_share(KEY, f"ex-{t}").undo_index == 24
        assert [a.number for a in ws.attempts(KEY, f"ex-{t}")] == list(range(1, 26))


# -- files that must not be used ----------------------------------------------------------------------------
def _backups(path: Path) -> list[Path]:
    return sorted(p for p in path.parent.iterdir() if p.name.startswith(path.name + ".backup-")
                  and not p.name.endswith("-wal"))


def _refused(path: Path, match: str) -> Path:
    """Opening ``path`` fails with ``match``, the file's bytes are unchanged, and one backup equals them."""
    before = path.read_bytes()
    with pytest.raises(WorkspaceError, match=match) as err:
        Workspace.open(path, timeout=0.05)
    assert isinstance(err.value, SandboxError) and len(err.value.problems) == 1
    message = str(err.value)
    assert "\n" not in message and message.startswith(str(path))
    assert path.read_bytes() == before
    (backup,) = _backups(path)
    assert backup.read_bytes() == before
    assert str(backup) in message
    return backup


def test_random_bytes_are_refused_with_a_backup(tmp_path):
    path = tmp_path / "workspace.db"
    path.write_bytes(random.Random(1).randbytes(8192))
    _refused(path, "damaged or is not a database")


def test_a_workspace_with_a_damaged_page_is_refused(tmp_path):
    path = tmp_path / "workspace.db"
    with Workspace.open(path) as w:
        for i in range(20):
            w.add_attempt(KEY, EX, _share(i) * 200, _report("revise", 1, 1))
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    raw = bytearray(path.read_bytes())
    page = 4096
    raw[3 * page: 5 * page] = random.Random(2).randbytes(2 * page)  # keep the header, smash two pages
    path.write_bytes(bytes(raw))
    _refused(path, "damaged")


def test_sqlite_that_is_not_a_workspace_is_refused(tmp_path):
    path = tmp_path / "workspace.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE residents (id INTEGER, name TEXT)")
    conn.execute("INSERT INTO residents VALUES (1, 'Maria')")
    conn.commit()
    conn.close()
    _refused(path, "an SQLite database but not a City Sandbox workspace")
    assert sqlite3.connect(path).execute("SELECT name FROM residents").fetchall() == [("Maria",)]


def test_a_future_schema_version_is_refused(tmp_path):
    path = tmp_path / "workspace.db"
    with Workspace.open(path) as w:
        w.save_share(KEY, EX, _share(1))
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {store.SCHEMA_VERSION + 1}")
    conn.execute("PRAGMA journal_mode = DELETE")  # fold the WAL in, so the file alone is the whole workspace
    conn.close()
    backup = _refused(path, "newer version of City Sandbox")
    assert "update City Sandbox" in str(pytest.raises(WorkspaceError, Workspace.open, path).value)
    conn = sqlite3.connect(backup)
    assert conn.execute("SELECT share_json FROM shares").fetchall() == [(_share(1),)]


def test_a_workspace_locked_by_another_process_is_refused(tmp_path):
    path = tmp_path / "workspace.db"
    with Workspace.open(path) as w:
        w.save_share(KEY, EX, _share(1))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        backup = _refused(path, "in use by another program")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with Workspace.open(path) as w:  # once the other program lets go, the workspace opens with its work
        assert w.load_share(KEY, EX).share_json == _share(1)
    conn = sqlite3.connect(backup)  # the backup took the -wal with it, so it holds the save too
    assert conn.execute("SELECT share_json FROM shares").fetchall() == [(_share(1),)]


def test_a_rollback_journal_lock_is_refused_too(tmp_path):
    path = tmp_path / "workspace.db"
    with Workspace.open(path) as w:
        w.save_share(KEY, EX, _share(1))
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE shares SET saved_at = saved_at")  # an exclusive lock with a write pending
    try:
        _refused(path, "in use by another program")
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_set_aside_moves_a_refused_file_and_its_wal_so_a_fresh_workspace_starts(tmp_path):
    path = tmp_path / "workspace.db"
    garbage = random.Random(5).randbytes(4096)
    path.write_bytes(garbage)
    wal = tmp_path / "workspace.db-wal"
    wal.write_bytes(b"stale write-ahead log")
    with pytest.raises(WorkspaceError):
        Workspace.open(path)
    assert wal.read_bytes() == b"stale write-ahead log"  # looking at it did not delete its -wal
    (backup,) = _backups(path)
    assert backup.with_name(backup.name + "-wal").read_bytes() == b"stale write-ahead log"
    kept = store.set_aside(path)
    assert kept.read_bytes() == garbage and not path.exists() and not wal.exists()
    assert kept.with_name(kept.name + "-wal").read_bytes() == b"stale write-ahead log"
    with Workspace.open(path) as fresh:
        assert fresh.recent() == [] and fresh.status(KEY, EX).state == "new"
    assert len(_backups(path)) == 1  # the backup made when it was refused is still there too


def test_set_aside_refuses_while_another_program_holds_the_workspace(tmp_path):
    path = tmp_path / "workspace.db"
    with Workspace.open(path) as w:
        w.save_share(KEY, EX, _share(1))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(WorkspaceError, match="in use by another program"):
            store.set_aside(path)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert path.exists()


def test_each_refusal_keeps_its_own_backup(tmp_path):
    path = tmp_path / "workspace.db"
    path.write_bytes(b"not a database at all" * 100)
    for _ in range(3):
        with pytest.raises(WorkspaceError):
            Workspace.open(path)
    assert len(_backups(path)) == 3


def test_an_empty_file_becomes_a_workspace(tmp_path):
    path = tmp_path / "workspace.db"
    path.write_bytes(b"")
    with Workspace.open(path) as w:
        w.save_share(KEY, EX, _share(1))
    assert _backups(path) == []


def test_a_folder_that_cannot_be_made_is_one_sentence(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be")
    with pytest.raises(WorkspaceError, match="cannot create the workspace folder") as err:
        Workspace.open(blocker / "workspace.db")
    assert str(err.value).startswith(str(blocker))
