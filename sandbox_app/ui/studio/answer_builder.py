"""Build a model or known-bad answer in the trainees' own share builder, against the scenario's generated city.

The window prepares the city on a worker (as the trainee app does), loads the answer file (or starts from a
blank share), and shows the same `ShareBuilderView` and JSON tab trainees use, with undo/redo and a Score
button (the trainee's score report). Save writes the share JSON beside the scenario, atomically, and emits
`saved(ref)` so the Exercises view can reference it from the YAML.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from sandbox_app.errors import SandboxError
from sandbox_app.ui.common.tasks import TaskRunner
from sandbox_app.ui.common.window_size import fit_to_screen
from sandbox_app.ui.studio import studio_tasks


class AnswerBuilderWindow(QMainWindow):
    """One answer of one exercise in the share builder. `ready` when the builder shows, `saved(ref)` after Save."""

    ready = Signal()
    saved = Signal(str)
    failed = Signal(str)

    def __init__(self, text: str, path: Path, exercise_id: str, ref: str, what: str, parent=None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.path, self.exercise_id, self.ref, self.what = Path(path), exercise_id, ref, what
        self.setWindowTitle(f"{what} — {exercise_id} — answer builder")
        self.session = None
        self.editor = None
        self.builder = None
        self.saved_json: str | None = None
        self.problem: str | None = None  # why the builder could not open, in one sentence
        body = QWidget(self)
        layout = QVBoxLayout(body)
        head = QHBoxLayout()
        self.heading = QLabel(f"<b>{what}</b> of <b>{exercise_id}</b> → <code>{ref}</code>")
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        head.addWidget(self.heading, 1)
        self.score_button = QPushButton("Score it")
        self.score_button.setToolTip("Score this answer as a trainee's submit would (nothing is saved)")
        self.score_button.clicked.connect(self.score)
        self.save_button = QPushButton("Save answer")
        self.save_button.setToolTip(f"Write {ref} beside the scenario and reference it from the YAML")
        self.save_button.clicked.connect(self.save)
        for button in (self.score_button, self.save_button):
            button.setEnabled(False)
            head.addWidget(button)
        layout.addLayout(head)
        self.status = QLabel("Preparing the city…")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.split = QSplitter(Qt.Orientation.Horizontal, self)
        self.tabs = QTabWidget(self)
        self.split.addWidget(self.tabs)
        from sandbox_app.ui.trainee.report_view import ScoreReportView

        self.report = ScoreReportView(self)
        self.report.clear("Score it to see the verdict and every finding, as a trainee would.")
        self.split.addWidget(self.report)
        self.split.setSizes([780, 520])
        layout.addWidget(self.split, 1)
        self.setCentralWidget(body)
        self.undo_action = QAction("Undo", self)
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = QAction("Redo", self)
        self.redo_action.setShortcuts([QKeySequence.StandardKey.Redo, QKeySequence("Ctrl+Y")])
        for action in (self.undo_action, self.redo_action):
            self.addAction(action)
        self.runner = TaskRunner(self)
        self.runner.finished.connect(self._opened)
        self.runner.failed.connect(self._failed)
        self.scorer = TaskRunner(self)
        self.scorer.finished.connect(self._scored)
        self.scorer.failed.connect(lambda message: self.status.setText(f"Could not score it: {message}"))
        fit_to_screen(self, 1300, 720)
        self.runner.start(lambda state: studio_tasks.open_session(text, self.path, state))

    # ------------------------------------------------------------------------------------ opening
    def _failed(self, message: str) -> None:
        self.problem = message
        self.status.setText(f"The builder cannot open: {message}")
        self.status.setStyleSheet("color: #b71c1c;")
        self.failed.emit(message)

    def _opened(self, session) -> None:
        from sandbox_app.scenario.answer_files import answer_file, read_answer
        from sandbox_app.sharing import ShareDocument
        from sandbox_app.ui.trainee.json_tab import ShareJsonTab
        from sandbox_app.ui.trainee.report_view import finding_fix
        from sandbox_app.ui.trainee.share_builder import ShareBuilderView
        from sandbox_app.ui.trainee.share_editor import ShareEditor

        self.session = session
        exercise = session.scenario.exercise(self.exercise_id)
        if exercise is None:
            self._failed(f"the scenario has no exercise '{self.exercise_id}' (save the YAML's changes first?)")
            return
        note = ""
        try:
            exists = answer_file(self.path, self.ref).is_file()
            document = read_answer(self.path, self.ref) if exists else None
        except SandboxError as err:
            self._failed(f"{err} — fix or delete the file; nothing was changed.")
            return
        if document is None:
            document = ShareDocument(scenario=session.scenario.name, exercise=exercise.id,
                                     purpose=exercise.purpose)
            note = " A new share: nothing is shared until you tick it."
        self.editor = ShareEditor(document, self)
        self.builder = ShareBuilderView(self.editor, session.db, exercise,
                                        session.scenario.agreement(exercise.agreement), session.row_counts)
        self.builder.problem.connect(self.status.setText)
        self.report.finding_selected.connect(lambda finding: self.builder.highlight_fields(finding.fields))
        self.report.fix_requested.connect(lambda finding: self._edits(finding_fix(finding), f"fix {finding.rule}"))
        self.report.plan_requested.connect(lambda edits: self._edits(edits, "apply all fixes"))
        self.tabs.addTab(self.builder, "Share builder")
        self.tabs.addTab(ShareJsonTab(self.editor), "JSON")
        self.undo_action.triggered.connect(self.editor.stack.undo)
        self.redo_action.triggered.connect(self.editor.stack.redo)
        self.saved_json = self._json() if note == "" else None
        self.score_button.setEnabled(True)
        self.save_button.setEnabled(True)
        self.status.setText("Build the answer as a trainee would, then Save." + note)
        self.ready.emit()

    def _edits(self, edits: list[dict], text: str) -> None:
        """A fix from the report, as one undoable step of the builder (as in the trainee window)."""
        try:
            self.editor.edits(edits, text)
        except SandboxError as err:
            self.status.setText(f"The fix could not be applied: {err}")
            return
        self.status.setText("Applied; undo with Ctrl+Z. Score it again to see the effect.")

    def _json(self) -> str:
        from sandbox_app.sharing import share_to_json

        return share_to_json(self.editor.document)

    # ------------------------------------------------------------------------------------ actions
    def score(self) -> None:
        from sandbox_app.privacy.score import score_share

        if self.editor is None:
            return
        session, document = self.session, self.editor.document
        exercise = session.scenario.exercise(self.exercise_id)
        self.status.setText("Scoring…")
        self.scorer.start(lambda state: score_share(session.db, session.scenario, exercise, document, state=state))

    def _scored(self, report) -> None:
        self.report.show_report(report)
        self.status.setText(f"{self.what}: {report.verdict}, privacy {report.privacy_score}, "
                            f"usefulness {report.usefulness_score}.")

    def save(self) -> bool:
        """Write the answer file (atomically); False with one sentence if it cannot be written."""
        from sandbox_app.scenario.answer_files import write_answer

        if self.editor is None:
            return False
        try:
            written = write_answer(self.path, self.ref, self._json())
        except SandboxError as err:
            self.status.setText(f"Not saved: {err}")
            return False
        self.saved_json = self._json()
        self.status.setText(f"Saved {written}.")
        self.saved.emit(self.ref)
        return True

    @property
    def unsaved(self) -> bool:
        return self.editor is not None and self.saved_json != self._json()

    def closeEvent(self, event) -> None:  # noqa: N802
        if self.unsaved:
            answer = QMessageBox.question(self, "Unsaved answer", f"Save {self.ref} before closing?",
                                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                                          | QMessageBox.StandardButton.Cancel)
            if answer == QMessageBox.StandardButton.Cancel or (answer == QMessageBox.StandardButton.Save
                                                                and not self.save()):
                event.ignore()
                return
        self.runner.shutdown()
        self.scorer.shutdown()
        if self.session is not None:
            self.session.close()
            self.session = None
        super().closeEvent(event)
