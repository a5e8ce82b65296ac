"""Killing the app at any moment loses no acknowledged edit and never damages the workspace.

A child process (tests/workspace_crash_child.py) edits a workspace and prints "ack …" after each committed
save; the test reads a seeded-random number of acks, SIGKILLs it wherever it is, reopens the workspace and
checks every acknowledged share, undo history, attempt and recent entry is there and integrity_check is ok.

The suite runs 30 trials. A longer run:  CITY_SANDBOX_CRASH_TRIALS=500 python -m pytest -q tests/test_workspace_crash.py
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from workspace_crash_child import EXERCISE, KEY, UNDO_DEPTH, edit_of, share_state

from sandbox_app.workspace.store import RECENT_KEEP, Workspace

CHILD = Path(__file__).with_name("workspace_crash_child.py")
TRIALS = int(os.environ.get("CITY_SANDBOX_CRASH_TRIALS", "30"))
TRIALS_PER_FILE = 10  # each workspace file is killed this many times in a row, then a fresh one starts


class Acked:
    """What the child acknowledged so far for one workspace file."""

    def __init__(self):
        self.share = 0
        self.attempts: dict[int, int] = {}  # attempt number -> the edit it submitted
        self.recent: set[int] = set()

    def take(self, line: str) -> None:
        kind, *args = line.split()[1:]
        if kind == "share":
            self.share = int(args[0])
        elif kind == "attempt":
            self.attempts[int(args[0])] = int(args[1])
        else:
            self.recent.add(int(args[0]))


def _run_and_kill(path: Path, seed: int, acks_wanted: int, acked: Acked) -> int:
    """Start the child, read ``acks_wanted`` acks, SIGKILL it; the edit it said it continued from."""
    child = subprocess.Popen([sys.executable, str(CHILD), str(path), str(seed)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        ready = child.stdout.readline()
        assert ready.startswith("ready "), f"child did not start: {ready!r} {child.stderr.read()}"
        for _ in range(acks_wanted):
            line = child.stdout.readline()
            assert line.startswith("ack "), f"child stopped: {line!r} {child.stderr.read()}"
            acked.take(line)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        child.stderr.close()
    return int(ready.split()[1])


def _check(path: Path, seed: int, acked: Acked) -> None:
    """Every acknowledged change is in the reopened workspace, and SQLite finds nothing wrong."""
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()
    with Workspace.open(path) as ws:
        saved = ws.load_share(KEY, EXERCISE)
        if acked.share:
            last = edit_of(saved.share_json)
            assert last >= acked.share  # the child may have committed one more than it managed to print
            assert saved.share_json == share_state(seed, last)
            first = max(1, last - UNDO_DEPTH + 1)
            assert saved.undo == [share_state(seed, j) for j in range(first, last + 1)]
            assert saved.undo_index == last - first
        attempts = {a.number: a for a in ws.attempts(KEY, EXERCISE)}
        assert sorted(attempts) == list(range(1, len(attempts) + 1))
        for number, edit in acked.attempts.items():
            assert attempts[number].share_json == share_state(seed, edit)
            assert attempts[number].report["privacy_score"] == edit % 101
        recent = {int(Path(r.location).stem) for r in ws.recent(limit=1000)}
        assert set(sorted(acked.recent)[-RECENT_KEEP:]) <= recent  # only the newest RECENT_KEEP are kept
    assert not [p for p in path.parent.iterdir() if ".backup-" in p.name]  # a crash is not a damaged file


def test_sigkill_at_random_moments_loses_no_acknowledged_edit(tmp_path):
    rng = random.Random(20261201)
    total_acks = 0
    for trial in range(TRIALS):
        if trial % TRIALS_PER_FILE == 0:
            path = tmp_path / f"workspace-{trial // TRIALS_PER_FILE}.db"
            acked = Acked()
        seed = trial // TRIALS_PER_FILE
        before = acked.share
        wanted = rng.randrange(0, 40)
        resumed_from = _run_and_kill(path, seed, wanted, acked)
        assert resumed_from >= before  # the child itself found every earlier acknowledged edit
        _check(path, seed, acked)
        total_acks += wanted
    assert total_acks > TRIALS  # the kills landed in the middle of real work, not only at start-up
