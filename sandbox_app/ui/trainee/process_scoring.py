"""The live meter's scoring process, seen from the GUI thread: one per opened city, shared by its exercises.

`ProcessScorer` wraps workspace/scoring_client.py in Qt signals with `TaskRunner`'s rules: `start` sends a
request with a new generation number (superseding the one in flight, which the process abandons), `cancel`
makes the answer in flight never land, and any answer whose generation is not the newest is dropped. The
process starts on the first `ensure_started` (lazily: opening a city costs nothing more) and is `ready` once
it has loaded the city and scored a warm-up share; until then, and for good once it has `died`, the meter
scores on a thread of the window (live_scoring.py). Answers are read on the client's thread and queued to
the GUI thread as one signal, so nothing here blocks typing.
"""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import QObject, Signal, Slot

from sandbox_app.sharing import share_to_json
from sandbox_app.workspace.scoring_client import ScoringClient

log = logging.getLogger("city_sandbox.ui")
MODE_VARIABLE = "CITY_SANDBOX_LIVE_SCORING"  # "process" (the default) or "thread": score inside the window


def process_scoring_wanted() -> bool:
    return os.environ.get(MODE_VARIABLE, "process").strip().lower() != "thread"


class _Bridge(QObject):
    message = Signal(object)  # emitted on the client's thread, delivered on the GUI thread


class ProcessScorer(QObject):
    """Scores shares of one city in a separate process; the signals carry only the newest request's answer."""

    finished = Signal(object)   # LiveResult
    failed = Signal(str)
    cancelled = Signal()
    busy_changed = Signal(bool)
    ready_changed = Signal(bool)
    died = Signal(str)          # a sentence for the trainee: the meter now scores inside the window

    def __init__(self, session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge = _Bridge(self)
        self._bridge.message.connect(self._on_message)
        self.client = ScoringClient(session.scenario, session.db_path, self._bridge.message.emit)
        self.ready = False
        self.dead = False
        self._generation = 0
        self._current: int | None = None     # generation awaiting its answer
        self._cancelled_to = 0
        self.dropped = 0                      # answers of superseded requests thrown away (tests read it)
        self.lost_in_flight = False           # it died with a request unanswered (the caller scores it again)

    @property
    def busy(self) -> bool:
        return self._current is not None

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def pid(self) -> int | None:
        return self.client.pid

    def ensure_started(self, exercise_id: str, document) -> None:
        """Start the process in the background (once), warming it up on this share."""
        if not self.dead and not self.client.started:
            self.client.start((exercise_id, share_to_json(document)))

    def start(self, exercise_id: str, document) -> int:
        """Ask for a score of `document`; the answer in flight (if any) will never land."""
        was_busy = self.busy
        self._generation += 1
        self._current = self._generation
        if not self.client.send(("score", self._generation, exercise_id, share_to_json(document))):
            self._gone()
            return self._generation
        if not was_busy:
            self.busy_changed.emit(True)
        return self._generation

    def cancel(self) -> None:
        if self._current is not None:
            self._cancelled_to = self._current
            self.client.send(("cancel", self._current))

    def shutdown(self) -> None:
        """End the process (the city closes or the window quits); it leaves no child behind."""
        self.cancel()
        self._current = None
        self.ready = False
        self.dead = True
        try:
            self._bridge.message.disconnect(self._on_message)
        except (RuntimeError, TypeError):
            pass
        self.client.close()

    # ------------------------------------------------------------------------------ answers

    def _done(self) -> None:
        self._current = None
        self.busy_changed.emit(False)

    @Slot(object)
    def _on_message(self, message: tuple) -> None:
        kind = message[0]
        if kind == "ready":
            self.ready = not self.dead
            self.ready_changed.emit(self.ready)
            return
        if kind == "unavailable":
            log.error("the scoring process could not load the city: %s", message[1])
            return
        if kind == "died":
            self._gone(message[1])
            return
        generation = message[1]
        if generation != self._current:
            self.dropped += 1
            return
        if kind == "failed" and message[3]:
            log.error("live scoring failed in the scoring process\n%s", message[3])
        self._done()
        if generation <= self._cancelled_to or kind == "cancelled":
            self.cancelled.emit()
        elif kind == "scored":
            self.finished.emit(message[2])
        else:
            self.failed.emit(message[2])

    def _gone(self, sentence: str | None = None) -> None:
        """The process is no more: say so once; whatever was in flight is the caller's to redo."""
        if self.dead:
            return
        from sandbox_app.workspace.scoring_client import DIED

        was_busy = self.busy
        self.lost_in_flight = was_busy
        self.dead, self.ready, self._current = True, False, None
        if was_busy:
            self.busy_changed.emit(False)
        self.ready_changed.emit(False)
        self.died.emit(sentence or DIED)
