"""The scoring process: scores the trainee's share for the live meter in a process of its own (its own GIL).

    python -m sandbox_app.workspace.scoring_process      (started by workspace/scoring_client.py)

It reads messages on stdin and answers on stdout (workspace/scoring_wire.py). The first message is
("hello", scenario, database path, preview folder, warm-up) and the process loads the city once: it reads
the holding departments' tables and scores the warm-up share (if any) so its caches are as warm as the
window's, then says ("ready", pid). Then ("score", generation, exercise id, share JSON) asks for a score;
a newer request, or ("cancel", generation), supersedes it: the engine checks between its stages and gives
up, and the answer is ("cancelled", generation). A finished score is ("scored", generation, LiveResult),
its extract's rows in `<preview folder>/extract-<generation>.arrow`; a share that cannot be scored is
("failed", generation, sentence, details). The process exits as soon as stdin closes: the window quit,
closed the city, or died (so it never outlives the app), and on ("stop",).
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import traceback
from pathlib import Path

from sandbox_app.errors import BUG_MESSAGE, MEMORY_MESSAGE, SandboxError
from sandbox_app.workspace.scoring_wire import read_message, write_message
from synthetic.progress import Cancelled


class _Requests:
    """The newest request and what supersedes it; filled by the stdin thread, taken by the scoring loop."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._waiting: tuple | None = None
        self.newest = 0          # generation of the newest request seen
        self.cancelled_to = 0    # every generation up to this one was cancelled

    def offer(self, message: tuple) -> None:
        with self._changed:
            if message[0] == "score":
                self._waiting, self.newest = message, max(self.newest, message[1])
            elif message[0] == "cancel":
                self.cancelled_to = max(self.cancelled_to, message[1])
            self._changed.notify()

    def take(self) -> tuple:
        with self._changed:
            while self._waiting is None:
                self._changed.wait()
            message, self._waiting = self._waiting, None
            return message

    def superseded(self, generation: int) -> bool:
        return generation != self.newest or generation <= self.cancelled_to


class _State:
    """The engine's progress/cancel object for one request: cancelled once a newer request arrives."""

    def __init__(self, requests: _Requests, generation: int) -> None:
        self.requests, self.generation = requests, generation

    def set_progress(self, fraction: float, status: str = "") -> None:
        pass

    def is_cancelled(self) -> bool:
        return self.requests.superseded(self.generation)


def _watch_stdin(stream, requests: _Requests, preview_dir: str) -> None:
    """Pass requests on; when the window closes the pipe (or dies) or says stop, remove the preview files and
    end the process at once (mid-score too)."""
    while True:
        message = read_message(stream)
        if message is None or message[0] == "stop":
            shutil.rmtree(preview_dir, ignore_errors=True)
            os._exit(0)
        requests.offer(message)


class Scorer:
    """The city, loaded once, and the loop that answers requests."""

    def __init__(self, scenario, database: str, preview_dir: str, out) -> None:
        from sandbox_app.sharing.database import CityDatabase

        self.scenario, self.preview_dir, self.out = scenario, Path(preview_dir), out
        self.db = CityDatabase(database)
        self._last_preview: Path | None = None

    def warm(self, warm_up: tuple[str, str] | None) -> None:
        """Read what the window's city session had read, and score the first share once (its caches)."""
        holding = {e.holding_department for e in self.scenario.exercises}
        for table in self.db.tables():
            if self.db.department_of(table) in holding:
                self.db.read_table(table)
        if warm_up is not None:
            try:
                self.score(warm_up[0], warm_up[1])
            except Exception:  # the warm-up is a courtesy: the real request reports its own problem
                pass

    def score(self, exercise_id: str, share_json: str, state=None):
        from sandbox_app.privacy.score import score_share
        from sandbox_app.sharing import parse_share_text

        document = parse_share_text(share_json, "share")
        return score_share(self.db, self.scenario, exercise_id, document, state=state)

    def answer(self, message: tuple, requests: _Requests) -> tuple:
        from sandbox_app.workspace.live_result import live_result

        _, generation, exercise_id, share_json = message
        try:
            report = self.score(exercise_id, share_json, _State(requests, generation))
            if requests.superseded(generation):
                return ("cancelled", generation)
            path = self.preview_dir / f"extract-{generation}.arrow"
            result = live_result(report, path)
            if self._last_preview is not None and self._last_preview != path:
                self._last_preview.unlink(missing_ok=True)
            self._last_preview = path
            return ("scored", generation, result)
        except Cancelled:
            return ("cancelled", generation)
        except SandboxError as err:
            return ("failed", generation, str(err), "")
        except MemoryError:
            return ("failed", generation, MEMORY_MESSAGE, "")
        except Exception:  # a bug: the window shows a calm sentence and logs the details
            return ("failed", generation, BUG_MESSAGE, traceback.format_exc())

    def serve(self, requests: _Requests) -> None:
        while True:
            write_message(self.out, self.answer(requests.take(), requests))


def main() -> int:
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")   # the answers' pipe
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())    # anything printed by accident goes to stderr
    sys.stdout = sys.stderr
    stream = sys.stdin.buffer
    hello = read_message(stream)
    if hello is None or hello[0] != "hello":
        return 0
    _, scenario, database, preview_dir, warm_up = hello
    requests = _Requests()
    threading.Thread(target=_watch_stdin, args=(stream, requests, preview_dir), name="stdin", daemon=True).start()
    try:
        scorer = Scorer(scenario, database, preview_dir, out)
        scorer.warm(warm_up)
    except Exception as err:  # e.g. the database went missing: say so, and the window scores by itself
        write_message(out, ("unavailable", str(err) if isinstance(err, SandboxError) else repr(err)))
        return 1
    write_message(out, ("ready", os.getpid()))
    try:
        scorer.serve(requests)
    except (BrokenPipeError, OSError):  # the window is gone
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
