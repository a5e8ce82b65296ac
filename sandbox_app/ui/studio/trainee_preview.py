"""Preview as trainee: the scenario in the editor opened in the trainee's own exercise page.

The page is the trainee app's `ExercisePage` (no needs, no answers, no lessons: it never shows them), on the
city the trainee app would generate, with a throwaway workspace in a temporary folder, so a facilitator can
try the exercise, submit and read the report without touching any trainee's work. Closing the window
removes the temporary workspace.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QMainWindow

from sandbox_app.ui.common.tasks import TaskRunner
from sandbox_app.ui.common.window_size import fit_to_screen
from sandbox_app.ui.studio import studio_tasks


class TraineePreviewWindow(QMainWindow):
    """One exercise as a trainee sees it. `ready` once the page shows it; `failed(str)` if it cannot open."""

    ready = Signal()
    failed = Signal(str)

    def __init__(self, text: str, path: Path, exercise_id: str, parent=None) -> None:
        super().__init__(parent)
        self.exercise_id = exercise_id
        self.setWindowTitle(f"Trainee preview — {exercise_id} (nothing here is saved)")
        self.page = None
        self.session = None
        self.workspace = None
        self._folder = Path(tempfile.mkdtemp(prefix="city-sandbox-preview-"))
        self.waiting = QLabel("Preparing the city as a trainee's laptop would…")
        self.waiting.setMargin(24)
        self.setCentralWidget(self.waiting)
        self.runner = TaskRunner(self)
        self.runner.finished.connect(self._opened)
        self.runner.failed.connect(self._failed)
        fit_to_screen(self, 1366, 768)
        self.runner.start(lambda state: studio_tasks.open_session(text, Path(path), state))

    def _failed(self, message: str) -> None:
        self.waiting.setText(f"The preview cannot open: {message}")
        self.waiting.setWordWrap(True)
        self.statusBar().showMessage(message, 20_000)
        self.failed.emit(message)

    def _opened(self, session) -> None:
        from sandbox_app.ui.trainee.exercise_page import ExercisePage
        from sandbox_app.workspace.store import Workspace

        self.session = session
        self.workspace = Workspace.open(self._folder / "preview-workspace.db")
        self.page = ExercisePage(self.workspace)
        self.page.back.hide()  # there is no start screen behind a preview
        self.page.message.connect(lambda text: self.statusBar().showMessage(text, 10_000))
        self.setCentralWidget(self.page)
        self.page.open_session(session, self.exercise_id)
        self.statusBar().showMessage("This is what a trainee sees. Submit to see their score report; nothing "
                                     "is kept when you close the preview.", 15_000)
        self.ready.emit()

    def closeEvent(self, event) -> None:  # noqa: N802
        self.runner.shutdown()
        if self.page is not None:
            self.page.shutdown()
        if self.session is not None:
            self.session.close()
        if self.workspace is not None:
            self.workspace.close()
        shutil.rmtree(self._folder, ignore_errors=True)
        super().closeEvent(event)
