"""The debrief dashboard: open a folder of result files, grade them in the background, and show per exercise
the room view (click a point for that trainee's share and report), distributions, rules broken most, fields
over- and under-shared, and flagged files; export as HTML or PDF. One toggle anonymises every name."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from sandbox_app.grading.grade import FLAGS
from sandbox_app.ui.common.tasks import TaskRunner
from sandbox_app.ui.studio.debrief_charts import draw_attempts, draw_histograms, draw_room, write_pdf
from sandbox_app.ui.studio.debrief_data import Debrief, ExerciseDebrief, TraineePoint, build_debrief
from sandbox_app.ui.trainee.report_view import ScoreReportView


def report_of(point: TraineePoint):
    """The engine's score of a trainee's share, shaped as ScoreReportView reads a report (read-only: no fixes)."""
    s = point.result.scored
    findings = [SimpleNamespace(rule=f["rule"], severity=f["severity"], title=f["title"], message=f["message"],
                                citation=f["citation"], clause="", fields=[], rows=0, examples=[], hint="")
                for f in s.findings]
    return SimpleNamespace(verdict=s.verdict, privacy_score=s.privacy, usefulness_score=s.usefulness,
                           findings=findings, usefulness=None, fix_plan=None)


def flag_reasons(result, anonymise: bool) -> list[str]:
    """Why a result is flagged, in words; anonymised, the general reason (the specific one may name files)."""
    return [FLAGS[code] if anonymise else reason for code, reason in result.flags.items()]


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: list[list]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            item = QTableWidgetItem(str(value))
            if isinstance(value, int):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()


class TraineePanel(QWidget):
    """One trainee's share and the engine's report, read-only, beside the chart."""

    path_requested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.heading = QLabel("Click a point in the room view to see that trainee's share and report.")
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        self.path_button = QPushButton("Show attempt path")
        self.path_button.setToolTip("Privacy and usefulness at each of this trainee's attempts")
        self.path_button.setEnabled(False)
        self.path_button.clicked.connect(self.path_requested)
        layout.addWidget(self.path_button)
        self.report = ScoreReportView()
        self.report.clear("No trainee chosen yet.")
        layout.addWidget(self.report, 3)
        layout.addWidget(QLabel("Share sent (read-only):"))
        self.share = QPlainTextEdit()
        self.share.setReadOnly(True)
        layout.addWidget(self.share, 2)
        self.point: TraineePoint | None = None

    def show_point(self, point: TraineePoint | None, name: str = "", anonymise: bool = False) -> None:
        self.point = point
        self.path_button.setEnabled(point is not None and bool(point.attempts))
        if point is None:
            self.heading.setText("Click a point in the room view to see that trainee's share and report.")
            self.report.clear("No trainee chosen yet.")
            self.share.setPlainText("")
            return
        flags = "; ".join(flag_reasons(point.result, anonymise))
        self.heading.setText(f"<b>{name}</b> · {point.result.attempts} attempt(s)"
                             + (f" · <span style='color:#8a1c1c'>{flags}</span>" if flags else ""))
        self.report.show_report(report_of(point))
        self.share.setPlainText(json.dumps(point.share, indent=2))


class DebriefView(QWidget):
    """Open result files, grade them on a worker (progress, Cancel), then explore the room per exercise."""

    loaded = Signal()          # a grading finished and is on screen
    load_failed = Signal(str)

    def __init__(self, parent=None, *, keys=(), packs=(), scenarios=()) -> None:
        super().__init__(parent)
        self.keys, self.packs, self.scenarios = list(keys), list(packs), list(scenarios)
        self.debrief: Debrief | None = None
        self.runner = TaskRunner(self)
        self.runner.progress.connect(self._progress)
        self.runner.finished.connect(self._finished)
        self.runner.failed.connect(self._failed)
        self.runner.cancelled.connect(lambda: self._status("Grading cancelled; nothing changed."))
        self.runner.busy_changed.connect(self._busy)
        self._build()
        self._busy(False)

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.open_button = QPushButton("Open folder…")
        self.open_button.setToolTip("Choose a folder of trainees' result files (*.json) to grade")
        self.open_button.clicked.connect(self.choose_folder)
        bar.addWidget(self.open_button)
        bar.addWidget(QLabel("Exercise:"))
        self.exercise = QComboBox()
        self.exercise.setMinimumContentsLength(24)
        self.exercise.currentIndexChanged.connect(lambda _i: self._show_exercise())
        bar.addWidget(self.exercise, 1)
        self.anonymise = QCheckBox("Anonymise names")
        self.anonymise.setToolTip("Show trainees as Trainee 1, 2… everywhere (for the projector)")
        self.anonymise.toggled.connect(lambda _on: self._show_exercise())
        bar.addWidget(self.anonymise)
        self.html_button = QPushButton("Save HTML…")
        self.html_button.clicked.connect(self.choose_html)
        self.pdf_button = QPushButton("Save PDF…")
        self.pdf_button.clicked.connect(self.choose_pdf)
        bar.addWidget(self.html_button)
        bar.addWidget(self.pdf_button)
        layout.addLayout(bar)
        busy = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.runner.cancel)
        self.status = QLabel("Open a folder of result files to start.")
        self.status.setWordWrap(True)
        busy.addWidget(self.status, 1)
        busy.addWidget(self.progress)
        busy.addWidget(self.cancel_button)
        layout.addLayout(busy)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.tabs = QTabWidget()
        self.room_figure = Figure(figsize=(6, 5), layout="constrained")
        self.room_canvas = FigureCanvasQTAgg(self.room_figure)
        self.room_canvas.mpl_connect("pick_event", self._picked)
        self.tabs.addTab(self.room_canvas, "Room view")
        self.dist_figure = Figure(figsize=(6, 5), layout="constrained")
        self.dist_canvas = FigureCanvasQTAgg(self.dist_figure)
        self.tabs.addTab(self.dist_canvas, "Distributions")
        self.rules = _table(["rule", "what it checks", "severity", "law or source", "trainees"])
        self.tabs.addTab(self.rules, "Rules broken")
        self.fields = _table(["field", "over-shared by (not needed)", "under-shared by (needed, left out)"])
        self.tabs.addTab(self.fields, "Fields")
        self.path_figure = Figure(figsize=(6, 5), layout="constrained")
        self.path_canvas = FigureCanvasQTAgg(self.path_figure)
        self.tabs.addTab(self.path_canvas, "Attempt path")
        self.trainees = _table(["trainee", "verdict", "privacy", "usefulness", "attempts", "flags"])
        self.tabs.addTab(self.trainees, "Trainees")
        self.flagged = _table(["file", "trainee", "why it is flagged"])
        self.tabs.addTab(self.flagged, "Flagged")
        self._stale: set = set()   # canvases whose figure changed while their tab was hidden
        self.tabs.currentChanged.connect(self._tab_shown)
        split.addWidget(self.tabs)
        self.panel = TraineePanel()
        self.panel.path_requested.connect(self.show_path)
        split.addWidget(self.panel)
        split.setSizes([760, 420])
        layout.addWidget(split, 1)
        self.room_collections: list = []

    # ------------------------------------------------------------------ loading
    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of result files")
        if folder:
            self.load([folder])

    def load(self, paths) -> None:
        """Grade `paths` (files or folders) on a worker; `loaded` when it is on screen."""
        paths = [str(p) for p in paths]
        keys, packs, scenarios = list(self.keys), list(self.packs), list(self.scenarios)
        self._status(f"Grading {', '.join(Path(p).name for p in paths)}…")
        self.progress.setValue(0)
        self.runner.start(lambda state: build_debrief(paths, keys=keys, packs=packs, scenarios=scenarios,
                                                      state=state))

    def _busy(self, on: bool) -> None:
        self.progress.setVisible(on)
        self.cancel_button.setVisible(on)
        self.open_button.setEnabled(not on)
        for button in (self.html_button, self.pdf_button):
            button.setEnabled(not on and self.debrief is not None)

    def _progress(self, fraction: float, status: str) -> None:
        self.progress.setValue(int(fraction * 100))
        if status:
            self._status(f"Grading: {status}")

    def _status(self, text: str) -> None:
        self.status.setText(text)

    def _failed(self, message: str) -> None:
        self._status(message)
        self.load_failed.emit(message)

    def _finished(self, debrief: Debrief) -> None:
        self.debrief = debrief
        g = debrief.grading
        self._status(f"{len(g.results)} result files, {len(g.flagged)} flagged; every share re-scored by the "
                     "engine (the scores written in the files are never used)." if g.results else
                     "No result files (*.json) were found there.")
        self.exercise.blockSignals(True)
        self.exercise.clear()
        for ex in debrief.exercises:
            self.exercise.addItem(f"{ex.label} — {ex.title}")
        self.exercise.blockSignals(False)
        self._busy(False)
        self._show_exercise()
        self.loaded.emit()

    # ------------------------------------------------------------------ showing
    @property
    def current(self) -> ExerciseDebrief | None:
        i = self.exercise.currentIndex()
        if self.debrief is None or not 0 <= i < len(self.debrief.exercises):
            return None
        return self.debrief.exercises[i]

    def names(self) -> dict[str, str]:
        return self.debrief.names(self.anonymise.isChecked()) if self.debrief else {"": "(no name)"}

    def _show_exercise(self) -> None:
        ex, names, anonymous = self.current, self.names(), self.anonymise.isChecked()
        self.room_figure.clear()
        self.dist_figure.clear()
        self.room_collections = []
        if ex is not None:
            chosen = self.panel.point if any(p is self.panel.point for p in ex.points) else None
            self.room_collections = draw_room(self.room_figure.add_subplot(), ex, chosen)
            draw_histograms(*self.dist_figure.subplots(2, 1), ex)
        self._redraw(self.room_canvas)
        self._redraw(self.dist_canvas)
        rules = ex.summary.rules() if ex else []
        _fill(self.rules, [[r.rule, r.title, r.severity, r.citation, r.results] for r in rules])
        self._fill_fields(ex)
        results = sorted(ex.summary.results, key=lambda r: (names[r.trainee].casefold(), r.file)) if ex else []
        _fill(self.trainees, [[names[r.trainee], r.verdict or "-", r.scored.privacy if r.scored else "-",
                               r.scored.usefulness if r.scored else "-", r.attempts, "; ".join(flag_reasons(r, anonymous))]
                              for r in results])
        flagged = self.debrief.grading.flagged if self.debrief else []
        _fill(self.flagged, [["(hidden)" if anonymous else Path(r.file).name, names.get(r.trainee, "(no name)"),
                              reason] for r in flagged for reason in flag_reasons(r, anonymous)])
        self.tabs.setTabText(self.tabs.indexOf(self.flagged), f"Flagged ({len(flagged)})")
        point = self.panel.point
        if point is not None and ex is not None and any(p is point for p in ex.points):
            self.panel.show_point(point, names[point.trainee], anonymous)
            self.show_path()
        else:
            self.panel.show_point(None)
            self.path_figure.clear()
            self._redraw(self.path_canvas)

    def _fill_fields(self, ex: ExerciseDebrief | None) -> None:
        if ex is None or ex.needed_fields is None:
            _fill(self.fields, [["(the exercise's needs could not be read: no counts)", "", ""]] if ex else [])
            return
        over, under = dict(ex.over_shared()), dict(ex.under_shared())
        names = sorted(set(over) | set(under), key=lambda f: (-over.get(f, 0), -under.get(f, 0), f))
        _fill(self.fields, [[f, over.get(f, 0), under.get(f, 0)] for f in names])

    def _picked(self, event) -> None:
        points = getattr(event.artist, "points", None)
        if points is None or not len(event.ind):
            return
        point = points[int(event.ind[0])]
        QTimer.singleShot(0, lambda: self.select_point(point))   # redraw after matplotlib finishes the click

    def select_point(self, point: TraineePoint) -> None:
        """Show `point`'s trainee beside the chart (what clicking the point does)."""
        self.panel.point = point
        self._show_exercise()   # redraws the room with the chosen point ringed, and its attempt path

    def show_path(self) -> None:
        point = self.panel.point
        self.path_figure.clear()
        if point is not None and point.attempts:
            draw_attempts(self.path_figure.add_subplot(), point, self.names()[point.trainee])
        self._redraw(self.path_canvas)

    def _redraw(self, canvas) -> None:
        """Draw `canvas` soon if its tab is the one shown, else when its tab is next shown (a hidden chart's
        layout and drawing would only delay the one on screen)."""
        if self.tabs.currentWidget() is canvas:
            self._stale.discard(canvas)
            canvas.draw_idle()
        else:
            self._stale.add(canvas)

    def _tab_shown(self, index: int) -> None:
        canvas = self.tabs.widget(index)
        if canvas in self._stale:
            self._stale.discard(canvas)
            canvas.draw_idle()

    # ------------------------------------------------------------------ export
    def choose_html(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the debrief as HTML", "debrief.html", "HTML (*.html)")
        if path:
            self.save_html(path)

    def choose_pdf(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the debrief as PDF", "debrief.pdf", "PDF (*.pdf)")
        if path:
            self.save_pdf(path)

    def save_html(self, path) -> Path | None:
        from sandbox_app.grading.report_html import write_debrief

        return self._save(lambda: write_debrief(self.debrief.grading, path, anonymise=self.anonymise.isChecked()))

    def save_pdf(self, path) -> Path | None:
        return self._save(lambda: write_pdf(self.debrief, path))

    def _save(self, write) -> Path | None:
        if self.debrief is None:
            return None
        try:
            out = write()
        except OSError as err:
            QMessageBox.warning(self, "Not saved", f"{err.filename or ''}: {err.strerror or err}; nothing was "
                                "written.")
            return None
        self._status(f"Saved {out}")
        return out

    def shutdown(self) -> None:
        self.runner.shutdown()
