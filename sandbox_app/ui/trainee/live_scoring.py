"""The live meter's engine: re-score the share off the GUI thread after every edit, debounced, cancellable.

An edit restarts a 150 ms single-shot timer; when it fires, the share as it stands is scored on a worker
with `score_share(..., state=...)`. A newer edit cancels the computation in flight (the engine checks the
state between its stages) and `TaskRunner`'s generation number drops any late result, so the meter only
ever shows the figures of the share on screen.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from sandbox_app.privacy.score import score_share
from sandbox_app.ui.common.tasks import TaskRunner

DEBOUNCE_MS = 150


class LiveScorer(QObject):
    updating = Signal()
    scored = Signal(object)          # ScoreReport of the share now on screen
    failed = Signal(str)

    def __init__(self, session, exercise, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.exercise = session, exercise
        self.runner = TaskRunner(self)
        self.runner.finished.connect(self._finished)
        self.runner.failed.connect(self.failed)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self._start)
        self._document = None
        self.completed = 0

    def schedule(self, document) -> None:
        """The share changed: score it once typing pauses."""
        self._document = document
        self.runner.cancel()
        self.updating.emit()
        self.timer.start()

    def _start(self) -> None:
        document, session, exercise = self._document, self.session, self.exercise
        if document is None:
            return
        self.runner.start(lambda state: score_share(session.db, session.scenario, exercise, document, state=state))

    def _finished(self, report) -> None:
        self.completed += 1
        self.scored.emit(report)

    def shutdown(self) -> None:
        self.timer.stop()
        self.runner.shutdown()
