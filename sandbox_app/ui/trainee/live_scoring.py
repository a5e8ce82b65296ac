"""The live meter's engine: re-score the share after every edit, debounced, cancellable, never on the GUI thread.

An edit restarts a 150 ms single-shot timer; when it fires, the share as it stands is scored. Where a
scoring process is ready (process_scoring.py: a process per opened city, with its own GIL, so the window's
thread never waits for the scorer's Python work), the share goes there; until it is ready, or if it dies,
the share is scored on a worker thread with `score_share(..., state=...)` as before. A newer edit cancels
the computation in flight (the engine checks between its stages) and generation numbers drop any late
result, so the meter only ever shows the figures of the share on screen. If the process dies with a score
in flight, that score is done again on the thread: no edit goes unmeasured.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from sandbox_app.privacy.score import score_share
from sandbox_app.ui.common.tasks import TaskRunner

DEBOUNCE_MS = 150


class LiveScorer(QObject):
    updating = Signal()
    scored = Signal(object)          # ScoreReport (thread) or LiveResult (process) of the share now on screen
    failed = Signal(str)
    notice = Signal(str)             # a sentence about how the meter works now (the scoring process died)

    def __init__(self, session, exercise, parent: QObject | None = None, process=None) -> None:
        super().__init__(parent)
        self.session, self.exercise = session, exercise
        self.thread_runner = TaskRunner(self)
        self.thread_runner.finished.connect(self._finished)
        self.thread_runner.failed.connect(self.failed)
        self.process = process       # a ProcessScorer shared by the city's exercises, or None
        if process is not None:
            process.finished.connect(self._finished)
            process.failed.connect(self.failed)
            process.died.connect(self._process_died)
        self._active = self.thread_runner
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self._start)
        self._document = None
        self.completed = 0

    @property
    def runner(self):
        """The runner of the latest score (the process or the thread): `busy` while it works."""
        return self._active

    @property
    def via_process(self) -> bool:
        return self._active is self.process and self.process is not None

    def schedule(self, document) -> None:
        """The share changed: score it once typing pauses."""
        self._document = document
        self._active.cancel()
        self.updating.emit()
        if self.process is not None and not self.process.dead:
            self.process.ensure_started(self.exercise.id, document)
        self.timer.start()

    def _start(self) -> None:
        document, session, exercise = self._document, self.session, self.exercise
        if document is None:
            return
        if self.process is not None and self.process.ready:
            if self._active is not self.process:
                self.thread_runner.cancel()
            self._active = self.process
            self.process.start(exercise.id, document)  # if the process is gone, _process_died scores it here
            return
        self._active = self.thread_runner
        self.thread_runner.start(lambda state: score_share(session.db, session.scenario, exercise, document,
                                                           state=state))

    def _finished(self, report) -> None:
        if getattr(report, "exercise", self.exercise.id) != self.exercise.id:
            return  # an answer for the exercise shown before this one
        self.completed += 1
        self.scored.emit(report)

    def _process_died(self, sentence: str) -> None:
        self.notice.emit(sentence)
        if self._active is self.process:
            self._active = self.thread_runner
            if self.process.lost_in_flight and not self.timer.isActive():
                self._start()  # what the process had in flight is scored here (a pending edit will be anyway)

    def shutdown(self) -> None:
        self.timer.stop()
        if self.process is not None:
            self.process.cancel()
            for signal, slot in ((self.process.finished, self._finished), (self.process.failed, self.failed),
                                 (self.process.died, self._process_died)):
                try:
                    signal.disconnect(slot)
                except (RuntimeError, TypeError):
                    pass
        self.thread_runner.shutdown()
