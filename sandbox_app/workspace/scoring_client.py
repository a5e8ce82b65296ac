"""The window's end of the scoring process (workspace/scoring_process.py): start it, ask, hear back, stop it.

`ScoringClient.start()` returns at once: a background thread starts the process, sends it the scenario,
the database path and the warm-up share, and then reads its answers, calling `on_message(message)` on that
thread for each one (a "scored" answer arrives with its preview file already memory-mapped, so the caller's
thread does no I/O). When the process ends without being asked to (it crashed or was killed), the last
message is ("died", sentence). The process runs in a session of its own, so a terminal's Ctrl+C or hang-up
reaches only the app, which then closes it. `close()` closes the process's stdin, which ends it; a process that does not
end within two seconds is killed. The process also ends by itself when this one dies (its stdin closes),
and an `atexit` hook closes every client still open, so no scoring process outlives the app.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import weakref
from collections.abc import Callable
from pathlib import Path

from sandbox_app.workspace.scoring_wire import read_message, write_message

log = logging.getLogger("city_sandbox.scoring")
_OPEN: weakref.WeakSet[ScoringClient] = weakref.WeakSet()
DIED = ("The background scorer stopped unexpectedly, so the meter now scores inside the window (typing may "
        "lag while it works); your work is safe.")


def _command() -> tuple[list[str], dict]:
    root = str(Path(__file__).resolve().parents[2])  # the folder holding sandbox_app/ and synthetic/
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    env.pop("QT_QPA_PLATFORM", None)
    return [sys.executable, "-m", "sandbox_app.workspace.scoring_process"], env


class ScoringClient:
    """One scoring process for one opened city; thread-safe `send`, answers through `on_message`."""

    def __init__(self, scenario, database: str | Path, on_message: Callable[[tuple], None]) -> None:
        self.scenario, self.database, self.on_message = scenario, str(database), on_message
        self.process: subprocess.Popen | None = None
        self.preview_dir: Path | None = None
        self._lock = threading.Lock()
        self._closing = False
        self._thread: threading.Thread | None = None
        self._stderr = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def started(self) -> bool:
        return self._thread is not None

    def start(self, warm_up: tuple[str, str] | None = None) -> None:
        """Start the process in the background; `warm_up` is (exercise id, share JSON) to score once first."""
        if self._thread is not None:
            return
        _OPEN.add(self)
        self._thread = threading.Thread(target=self._run, args=(warm_up,), name="scoring-client", daemon=True)
        self._thread.start()

    def send(self, message: tuple) -> bool:
        """Send a request; False if the process is not running (it died or was never started)."""
        with self._lock:
            process = self.process
            if process is None or self._closing or process.poll() is not None:
                return False
            try:
                write_message(process.stdin, message)
                return True
            except (BrokenPipeError, OSError, ValueError):
                return False

    def close(self, wait_s: float = 2.0) -> None:
        """End the process (close its stdin; kill it if it lingers) and remove its preview files."""
        with self._lock:
            self._closing = True
            process = self.process
        if process is not None:
            try:
                process.stdin.close()
            except OSError:
                pass
            try:
                process.wait(wait_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(wait_s)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(wait_s)
        if self.preview_dir is not None:
            shutil.rmtree(self.preview_dir, ignore_errors=True)
        if self._stderr is not None:
            self._stderr.close()
        _OPEN.discard(self)

    # ------------------------------------------------------------------------------ the thread

    def _run(self, warm_up) -> None:
        try:
            self.preview_dir = Path(tempfile.mkdtemp(prefix="city-sandbox-scoring-"))
            self._stderr = open(self.preview_dir / "scoring.log", "w+b")  # noqa: SIM115 (closed in close())
            command, env = _command()
            with self._lock:
                if self._closing:
                    return
                self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                                stderr=self._stderr, env=env, close_fds=True,
                                                start_new_session=True)  # Ctrl+C in a terminal: the app decides
            hello = ("hello", self.scenario, self.database, str(self.preview_dir), warm_up)
            if not self.send(hello):
                raise OSError("the scoring process did not take its first message")
        except Exception as err:  # no process: the window scores by itself
            log.error("could not start the scoring process: %r", err)
            self._deliver(("died", DIED))
            return
        self._read(self.process)

    def _read(self, process: subprocess.Popen) -> None:
        from sandbox_app.workspace.live_result import read_preview

        while True:
            try:
                message = read_message(process.stdout)
            except Exception as err:  # a damaged frame: treat the process as gone
                log.error("unreadable answer from the scoring process: %r", err)
                message = None
            if message is None:
                break
            if message[0] == "scored" and message[2].extract is not None and message[2].extract.path:
                try:
                    message[2].extract.frame = read_preview(message[2].extract.path)
                except OSError:  # already replaced by a newer score: this answer is stale anyway
                    message = ("cancelled", message[1])
            self._deliver(message)
        with self._lock:
            closing = self._closing
        if not closing:
            try:
                code = process.wait(2.0)
            except subprocess.TimeoutExpired:
                code = None
            log.error("the scoring process ended unexpectedly (exit code %s)%s", code, self._stderr_tail())
            process.kill()
            self._deliver(("died", DIED))

    def _deliver(self, message: tuple) -> None:
        try:
            self.on_message(message)
        except Exception:  # the window closed meanwhile: nobody is listening
            log.debug("scoring answer not delivered", exc_info=True)

    def _stderr_tail(self) -> str:
        try:
            self._stderr.flush()
            self._stderr.seek(0)
            text = self._stderr.read().decode("utf-8", "replace")[-2000:]
        except (OSError, ValueError, AttributeError):
            return ""
        return f":\n{text}" if text.strip() else ""


@atexit.register
def _close_all() -> None:
    for client in list(_OPEN):
        client.close(wait_s=1.0)
