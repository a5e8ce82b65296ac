"""Child process for tests/test_workspace_crash.py: edits a workspace in a loop, acknowledging each commit.

    python tests/workspace_crash_child.py WORKSPACE.db SEED

Prints "ready N" once open (N = the edit it continues from), then forever one line per committed change:
"ack share I" (share_json == share_state(SEED, I), undo history = states max(1, I-29)..I),
"ack attempt NUMBER I" or "ack recent I". A line is printed only after the save returned.
"""

from __future__ import annotations

import json
import random
import sys

KEY, EXERCISE = "crash-city@000000000000", "crash-exercise"
UNDO_DEPTH = 30


def share_state(seed: int, i: int) -> str:
    """Edit ``i``'s share document: deterministic, from 100 bytes to ~12 KB so some span several pages."""
    rng = random.Random(seed * 1_000_003 + i)
    fields = {f"field_{n}": {"op": rng.choice(["keep", "drop", "generalize"]), "note": "x" * rng.randrange(120)}
              for n in range(rng.randrange(1, 70))}
    return json.dumps({"format": "city-sandbox/share@1", "exercise": EXERCISE, "edit": i,
                       "tables": [{"table": "t", "fields": fields}]}, sort_keys=True)


def edit_of(share_json: str) -> int:
    return json.loads(share_json)["edit"]


def main(path: str, seed: int) -> None:
    from sandbox_app.workspace.store import Workspace

    ws = Workspace.open(path)
    saved = ws.load_share(KEY, EXERCISE)
    i = edit_of(saved.share_json) if saved else 0
    print(f"ready {i}", flush=True)
    rng = random.Random(seed * 7919 + i)
    undo = [share_state(seed, j) for j in range(max(1, i - UNDO_DEPTH + 2), i + 1)]
    while True:
        i += 1
        undo = (undo + [share_state(seed, i)])[-UNDO_DEPTH:]  # an undo stack with a limit
        ws.save_share(KEY, EXERCISE, undo[-1], undo=undo, undo_index=len(undo) - 1)
        print(f"ack share {i}", flush=True)
        roll = rng.random()
        if roll < 0.15:
            attempt = ws.add_attempt(KEY, EXERCISE, undo[-1],
                                     {"verdict": "revise", "privacy_score": i % 101, "usefulness_score": 50})
            print(f"ack attempt {attempt.number} {i}", flush=True)
        elif roll < 0.25:
            ws.add_recent(f"/scenarios/{i}.yaml", f"Scenario {i}")
            print(f"ack recent {i}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
