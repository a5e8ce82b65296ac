"""The Check tab of the Exercises view: every answer of one exercise (or all), its verdict and scores, misses
in red with the word "miss", and the selected answer's findings as the trainee's score report shows them."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from sandbox_app.ui.common.tasks import TaskRunner
from sandbox_app.ui.studio import studio_tasks
from sandbox_app.ui.studio.check_model import CheckModel


class CheckPanel(QWidget):
    """`run_requested(all)` asks the view for the text to check; `done(str)` says how it went."""

    run_requested = Signal(bool)
    done = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        from sandbox_app.ui.trainee.report_view import ScoreReportView

        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.check_one = QPushButton("Check this exercise")
        self.check_one.setToolTip("Score its model answer and every known-bad answer on the generated city")
        self.check_one.clicked.connect(lambda: self.run_requested.emit(False))
        self.check_all = QPushButton("Check all exercises")
        self.check_all.clicked.connect(lambda: self.run_requested.emit(True))
        row.addWidget(self.check_one)
        row.addWidget(self.check_all)
        row.addStretch(1)
        layout.addLayout(row)
        self.summary = QLabel("Check scores the answers as they are in the editor (saved or not).")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.model = CheckModel(self)
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.setAccessibleName("checked answers")
        self.view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.view.verticalHeader().hide()
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(7, QHeaderView.ResizeMode.Stretch)
        self.view.selectionModel().currentRowChanged.connect(lambda current, _old: self.show_row(current.row()))
        self.report = ScoreReportView(self)
        self.report.clear("Select an answer to read the findings behind its verdict.")
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.view)
        split.addWidget(self.report)
        split.setSizes([200, 320])
        layout.addWidget(split, 1)
        self.reports: list = []
        self.runner = TaskRunner(self)
        self.runner.finished.connect(self._checked)
        self.runner.failed.connect(self._failed)
        self.runner.busy_changed.connect(lambda busy: [b.setEnabled(not busy) for b in (self.check_one,
                                                                                        self.check_all)])

    def start(self, text: str, path: Path, exercise_id: str | None) -> None:
        self.summary.setText("Checking… (the first check generates the city)")
        self.summary.setStyleSheet("")
        self.runner.start(lambda state: studio_tasks.check_exercise(text, path, exercise_id, state))

    def _failed(self, message: str) -> None:
        self.summary.setText(f"Check could not run: {message}")
        self.summary.setStyleSheet("color: #b71c1c;")
        self.done.emit(message)

    def _checked(self, results: list) -> None:
        self.model.set_checks([row for row, _report in results])
        self.reports = [report for _row, report in results]
        misses, total = self.model.misses, len(results)
        text = (f"✓ All {total} answers get the verdict the scenario expects." if not misses else
                f"✗ {misses} of {total} answers miss (in red, marked “✗ miss”): select one to read why.")
        self.summary.setText(text)
        self.summary.setStyleSheet("color: #2e7d32; font-weight: 600;" if not misses else
                                   "color: #b71c1c; font-weight: 600;")
        first = next((i for i, row in enumerate(self.model.checks) if not row.ok), 0 if results else None)
        if first is not None:
            self.view.selectRow(first)
            self.show_row(first)
        else:
            self.report.clear("This exercise has no answers to check yet.")
        self.done.emit(text)

    def show_row(self, row: int) -> None:
        if not 0 <= row < len(self.reports):
            return
        report = self.reports[row]
        if report is None:
            self.report.clear(f"Not scored: {self.model.checks[row].note}")
        else:
            self.report.show_report(report)
            for button in self.report.widget().findChildren(QPushButton):
                button.hide()  # "Apply fix": fixes are made in the answer's builder, not in a check result

    def clear(self) -> None:
        self.model.set_checks([])
        self.reports = []
        self.report.clear("Select an answer to read the findings behind its verdict.")

    def shutdown(self) -> None:
        self.runner.shutdown()
