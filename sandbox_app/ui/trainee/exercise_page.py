"""The exercise page: read the request, build the share, watch the meter, submit, learn why, try again.

Layout (readable at 1366×768): the brief, agreement and catalog on the left; the share builder (and its JSON
tab) in the middle over the preview, score report, attack replay and attempts; the live meter and the
submit box on the right. Everything the trainee changes is an edit of the share document, saved to the
workspace as it is made.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from sandbox_app.errors import SandboxError, ShareError
from sandbox_app.privacy.attack_story import attack_story
from sandbox_app.privacy.score import score_share
from sandbox_app.sharing import ShareDocument, parse_share_text, share_to_json
from sandbox_app.ui.common import heap
from sandbox_app.ui.common.frame_model import FrameModel
from sandbox_app.ui.common.tasks import TaskRunner
from sandbox_app.ui.trainee.attack_view import AttackReplayView
from sandbox_app.ui.trainee.attempts_view import AttemptsView
from sandbox_app.ui.trainee.json_tab import ShareJsonTab
from sandbox_app.ui.trainee.live_scoring import LiveScorer
from sandbox_app.ui.trainee.meter import RiskMeter
from sandbox_app.ui.trainee.reading_panes import AgreementPane, BriefPane, CatalogPane, TraineeBrief
from sandbox_app.ui.trainee.report_view import ScoreReportView, finding_fix, finding_rows
from sandbox_app.ui.trainee.share_builder import ShareBuilderView
from sandbox_app.ui.trainee.share_editor import ShareEditor
from sandbox_app.workspace.store import scenario_key

log = logging.getLogger("city_sandbox.ui")
STATE_WORDS = {"new": "new", "in progress": "in progress", "submitted": "submitted"}


def blank_share(scenario, exercise) -> ShareDocument:
    return ShareDocument(scenario=scenario.name, exercise=exercise.id)


def status_text(status) -> str:
    if status is None or status.state == "new":
        return "new"
    if status.state == "submitted" and status.best_verdict:
        return f"submitted: {status.best_verdict}, privacy {status.best_privacy}, usefulness {status.best_usefulness}"
    return status.state


class ExercisePage(QWidget):
    back_requested = Signal()
    message = Signal(str)          # a sentence for the status bar
    submitted = Signal(object)     # ScoreReport

    def __init__(self, workspace, parent=None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.session = None
        self.exercise = None
        self.agreement = None
        self.key = ""
        self.builder: ShareBuilderView | None = None
        self.json_tab: ShareJsonTab | None = None
        self.scorer: LiveScorer | None = None
        self.editor: ShareEditor | None = None
        self.last_report = None
        self.live_report = None
        self._build()

    # ------------------------------------------------------------------------------------ layout

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        top = QHBoxLayout()
        self.back = QPushButton("◀ Scenarios")
        self.back.setToolTip("Back to the list of scenarios (your work is saved)")
        self.back.clicked.connect(self.back_requested)
        top.addWidget(self.back)
        self.title = QLabel("")
        top.addWidget(self.title)
        top.addSpacing(12)
        top.addWidget(QLabel("Exercise:"))
        self.exercise_box = QComboBox()
        self.exercise_box.setToolTip("The exercises of this scenario and how far you got with each")
        self.exercise_box.setMinimumWidth(320)
        self.exercise_box.currentIndexChanged.connect(self._exercise_chosen)
        top.addWidget(self.exercise_box, 1)
        self.previous = QPushButton("◀")
        self.previous.setToolTip("Previous exercise (Ctrl+PgUp)")
        self.previous.clicked.connect(lambda: self.step_exercise(-1))
        self.next = QPushButton("▶")
        self.next.setToolTip("Next exercise (Ctrl+PgDown)")
        self.next.clicked.connect(lambda: self.step_exercise(1))
        for button in (self.previous, self.next):
            button.setFixedWidth(36)
            top.addWidget(button)
        self.clock = QLabel("")
        self.clock.setToolTip("The time your facilitator set for each exercise")
        self.clock.hide()
        top.addWidget(self.clock)
        self.clock_timer = QTimer(self)
        self.clock_timer.setInterval(1000)
        self.clock_timer.timeout.connect(self._tick)
        self._deadline: float | None = None
        layout.addLayout(top)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.reading = QTabWidget()
        self.brief = BriefPane()
        self.agreement_pane = AgreementPane()
        self.catalog = CatalogPane()
        self.reading.addTab(self.brief, "Request")
        self.reading.addTab(self.agreement_pane, "Agreement")
        self.reading.addTab(self.catalog, "Data catalog")
        self.brief.agreement_requested.connect(lambda: self.reading.setCurrentWidget(self.agreement_pane))
        split.addWidget(self.reading)

        middle = self.middle = QSplitter(Qt.Orientation.Vertical)
        self.building = QTabWidget()
        self.builder_holder = QWidget()
        QVBoxLayout(self.builder_holder).setContentsMargins(0, 0, 0, 0)
        self.json_holder = QWidget()
        QVBoxLayout(self.json_holder).setContentsMargins(0, 0, 0, 0)
        self.building.addTab(self.builder_holder, "Share builder")
        self.building.addTab(self.json_holder, "JSON (advanced)")
        middle.addWidget(self.building)
        self.results = QTabWidget()
        self.preview_model = FrameModel()
        self.preview = QTableView()
        self.preview.setModel(self.preview_model)
        self.preview.verticalHeader().setDefaultSectionSize(22)
        self.preview.setAccessibleName("extract preview")
        preview_box = QWidget()
        preview_layout = QVBoxLayout(preview_box)
        preview_layout.setContentsMargins(0, 0, 0, 0)
        self.preview_label = QLabel("The extract your share produces appears here.")
        preview_layout.addWidget(self.preview_label)
        preview_layout.addWidget(self.preview, 1)
        self.report_view = ScoreReportView()
        self.report_view.finding_selected.connect(self.highlight_finding)
        self.report_view.fix_requested.connect(self.apply_fix)
        self.report_view.plan_requested.connect(self.apply_plan)
        self.report_view.clause_requested.connect(self.show_clause)
        self.attack_view = AttackReplayView()
        self.attempts_view = AttemptsView()
        self.results.addTab(preview_box, "Preview")
        self.results.addTab(self.report_view, "Score report")
        self.results.addTab(self.attack_view, "Attack replay")
        self.results.addTab(self.attempts_view, "Attempts")
        middle.addWidget(self.results)
        middle.setSizes([470, 260])
        split.addWidget(middle)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        self.meter = RiskMeter()
        right_layout.addWidget(self.meter, 1)
        self.justification = QLineEdit()
        self.justification.setPlaceholderText("Why this share? (optional)")
        self.justification.setToolTip("A sentence for the facilitator on why you chose this")
        self.justification.setAccessibleName("justification")
        right_layout.addWidget(self.justification)
        self.submit_button = QPushButton("Submit  (Ctrl+Enter)")
        self.submit_button.setToolTip("Score this share as a privacy officer would and see every finding")
        self.submit_button.clicked.connect(self.submit)
        self.submit_button.setMinimumHeight(34)
        self.submit_status = QLabel("")
        self.submit_status.setWordWrap(True)
        self.submit_status.setMinimumHeight(self.submit_status.fontMetrics().lineSpacing() * 2 + 4)
        right_layout.addWidget(self.submit_status)
        right_layout.addWidget(self.submit_button)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 6)
        split.setStretchFactor(2, 2)
        split.setSizes([360, 740, 260])
        layout.addWidget(split, 1)
        self.submit_runner = TaskRunner(self)
        self.submit_runner.finished.connect(self._submitted)
        self.submit_runner.failed.connect(self._submit_failed)

    # ---------------------------------------------------------------------------- opening things

    def open_session(self, session, exercise_id: str | None = None) -> None:
        self.session = session
        self.key = scenario_key(session.scenario)
        self.title.setText(f"<b>{session.scenario.title}</b>")
        hide_attack = bool((session.settings or {}).get("hide_attack_replay"))
        self.results.setTabVisible(self.results.indexOf(self.attack_view), not hide_attack)
        self.exercise_box.blockSignals(True)
        self.exercise_box.clear()
        for exercise in session.scenario.exercises:
            self.exercise_box.addItem(exercise.title, exercise.id)
        self.exercise_box.blockSignals(False)
        self._refresh_statuses()
        ids = [e.id for e in session.scenario.exercises]
        index = ids.index(exercise_id) if exercise_id in ids else 0
        self.exercise_box.setCurrentIndex(index)
        self._exercise_chosen(index)
        heap.settle()  # the city and the scenario just loaded: keep them out of full collections

    def _refresh_statuses(self) -> None:
        if self.session is None:
            return
        for i, exercise in enumerate(self.session.scenario.exercises):
            status = self.workspace.status(self.key, exercise.id)
            self.exercise_box.setItemText(i, f"{exercise.title} — {status_text(status)}")

    def step_exercise(self, delta: int) -> None:
        count = self.exercise_box.count()
        if count:
            self.exercise_box.setCurrentIndex((self.exercise_box.currentIndex() + delta) % count)

    def _exercise_chosen(self, index: int) -> None:
        if self.session is None or index < 0:
            return
        exercise = self.session.scenario.exercise(self.exercise_box.itemData(index))
        if exercise is None or exercise is self.exercise:
            return
        self.open_exercise(exercise)

    def open_exercise(self, exercise) -> None:
        session = self.session
        self.close_exercise()
        self.exercise = exercise
        self.agreement = session.scenario.agreement(exercise.agreement)
        brief = TraineeBrief.of(exercise)
        self.brief.show_brief(session.scenario, brief)
        self.agreement_pane.show_agreement(session.scenario, self.agreement)
        self.catalog.show_department(session.db, exercise.holding_department, session.row_counts)
        self.meter.set_agreement(self.agreement)
        document, history, index = blank_share(session.scenario, exercise), None, None
        saved = self.workspace.load_share(self.key, exercise.id)
        if saved is not None:
            try:
                document = parse_share_text(saved.share_json, "saved share")
                history, index = saved.undo, saved.undo_index
            except ShareError:
                log.warning("saved share for %s could not be read; starting afresh", exercise.id)
                self.message.emit("Your saved share for this exercise could not be read; it was kept in the "
                                  "workspace and a fresh share was started.")
        self.editor = ShareEditor(document, self)
        self.builder = ShareBuilderView(self.editor, session.db, exercise, self.agreement, session.row_counts)
        self.builder.problem.connect(self.message)
        self.builder_holder.layout().addWidget(self.builder)
        self.json_tab = ShareJsonTab(self.editor)
        self.json_holder.layout().addWidget(self.json_tab)
        self.scorer = LiveScorer(session, exercise, self)
        self.scorer.updating.connect(self.meter.set_updating)
        # The preview is redrawn when the score lands, not when the extract is ready mid-score: painting it
        # calls into Python for every visible cell, and each call waits for the worker to hand over the GIL,
        # which froze typing for 100-150 ms on a 100k-row extract (27-50 ms without).
        self.scorer.scored.connect(self._live_scored)
        self.scorer.failed.connect(self.meter.show_problem)
        self.editor.changed.connect(self._changed)
        self.editor.settled.connect(self._save)
        self.editor.reset(document, history, index)
        self.report_view.clear()
        self.attack_view.clear()
        self.last_report = None
        self._show_attempts()
        self.reading.setCurrentWidget(self.brief)
        self.results.setCurrentIndex(0)
        self.submit_status.setText("")
        self._start_clock()

    def _start_clock(self) -> None:
        """A facilitator's time limit (packs): a countdown per exercise; when it runs out, a nudge, not a lock."""
        minutes = (self.session.settings or {}).get("time_limit_minutes")
        if not minutes:
            self._deadline = None
            self.clock.hide()
            self.clock_timer.stop()
            return
        self._deadline = time.monotonic() + 60 * int(minutes)
        self.clock.show()
        self.clock_timer.start()
        self._tick()

    def _tick(self) -> None:
        if self._deadline is None:
            return
        left = int(self._deadline - time.monotonic())
        if left <= 0:
            self.clock.setText("<b>Time is up</b>: submit what you have")
            self.clock_timer.stop()
            self.message.emit("Time is up for this exercise: submit what you have.")
            return
        self.clock.setText(f"Time left: {left // 60}:{left % 60:02d}")

    def close_exercise(self) -> None:
        if self.scorer is not None:
            self.scorer.shutdown()
            self.scorer.deleteLater()
            self.scorer = None
        for holder in (self.builder_holder, self.json_holder):
            while holder.layout().count():
                widget = holder.layout().takeAt(0).widget()
                if widget is not None:
                    widget.deleteLater()
        self.builder = self.json_tab = None
        if self.editor is not None:
            self.editor.changed.disconnect(self._changed)
            self.editor.settled.disconnect(self._save)
            self.editor.deleteLater()
            self.editor = None
        self.exercise = None

    def shutdown(self) -> None:
        self.clock_timer.stop()
        self.close_exercise()
        self.submit_runner.shutdown()

    # ---------------------------------------------------------------------------- live updates

    def _save(self, document) -> None:
        """Every completed edit (and undo/redo) is written to the workspace at once, with the undo history."""
        history, index = self.editor.history()
        try:
            self.workspace.save_share(self.key, self.exercise.id, share_to_json(document), history, index)
        except SandboxError as err:
            self.message.emit(f"Could not save your work: {err}")

    def _changed(self, document) -> None:
        if getattr(document, "decision", "share") == "refuse":
            self.meter.show_refusal()
            self.preview_model.set_frame(self.preview_model.frame.iloc[0:0])
            self.preview_label.setText("You are refusing the request: nothing is shared.")
            return
        self.scorer.schedule(document)

    def _show_extract(self, extract) -> None:
        frame = extract.frame
        if frame is self.preview_model.frame:
            return  # the same extract again (delivered early, then with its score)
        self.preview_model.set_frame(frame)
        kind = "cells" if extract.aggregate is not None else "records"
        if not len(frame.columns):
            self.preview_label.setText("Nothing is shared yet: tick a table and the fields to share in the builder.")
        else:
            self.preview_label.setText(f"What the recipient gets: {len(frame):,} {kind}, "
                                       f"{len(frame.columns)} fields.")

    def _live_scored(self, report) -> None:
        self.live_report = report
        self.meter.show_report(report, self.agreement)
        if report.extract is not None:
            self._show_extract(report.extract)

    # ------------------------------------------------------------------------------------ submit

    def submit(self) -> None:
        if self.exercise is None:
            return
        if self.json_tab is not None and self.building.currentWidget() is self.json_holder:
            if not self.json_tab.commit():
                self.submit_status.setText("Fix the JSON first: " + self.json_tab.error.text())
                return
        document, session, exercise = self.editor.document, self.session, self.exercise
        self.submit_button.setEnabled(False)
        self.submit_status.setText("Scoring…")

        def work(state):
            report = score_share(session.db, session.scenario, exercise, document, state=state)
            return document, report, attack_story(session.db, report)

        self.submit_runner.start(work)

    def _submit_failed(self, message: str) -> None:
        self.submit_button.setEnabled(True)
        self.submit_status.setText(f"This share cannot be scored yet: {message}")

    def _submitted(self, result) -> None:
        document, report, story = result
        self.submit_button.setEnabled(True)
        attempt = self.workspace.add_attempt(self.key, self.exercise.id, share_to_json(document), report.to_dict(),
                                             self.justification.text())
        self.last_report = report
        self.report_view.show_report(report, attempt.number)
        self.attack_view.show_story(story)
        self.results.setCurrentWidget(self.report_view)
        total = sum(self.middle.sizes())
        if self.middle.sizes()[1] < total * 0.5:  # give the report room to be read
            self.middle.setSizes([int(total * 0.42), total - int(total * 0.42)])
        self.submit_status.setText(f"Attempt {attempt.number}: {report.verdict}, privacy {report.privacy_score}, "
                                   f"usefulness {report.usefulness_score}.")
        self._show_attempts()
        self._refresh_statuses()
        self.submitted.emit(report)

    def _show_attempts(self) -> None:
        attempts = self.workspace.attempts(self.key, self.exercise.id) if self.exercise else []
        self.attempts_view.show_attempts(attempts)
        self.attempts_view.show_model_answer(self.editor.document, self._model_answer(attempts))

    def _model_answer(self, attempts):
        """The model answer, when the facilitator's setting allows it (default: after an approving submit)."""
        mode = (self.session.settings or {}).get("show_model_answer", "after_approve")
        allowed = mode == "always" or (mode == "after_approve" and any(a.verdict == "approve" for a in attempts))
        if not allowed or self.exercise.model_answer is None:
            return None
        from sandbox_app.privacy.answers import load_answer

        try:
            return load_answer(self.session.scenario, self.exercise.model_answer)
        except SandboxError:
            return None

    # ------------------------------------------------------------------------- report ↔ builder

    def highlight_finding(self, finding) -> None:
        if self.builder is not None:
            self.builder.highlight_fields(finding.fields)
        rows = finding_rows(finding)
        positions: set[int] = set()
        extract = self.last_report.extract if self.last_report is not None else None
        if extract is not None:
            offset = 0
            for part in extract.parts:
                positions |= {offset + int(p) for p in rows.get(part.table, [])}
                offset += len(part.frame)
            self.preview_model.set_frame(extract.frame)
        self.preview_model.set_highlight(positions, finding.fields)
        if positions:
            self.preview.scrollTo(self.preview_model.index(min(positions), 0))
        self.message.emit(f"Highlighted {len(finding.fields)} field(s) and {len(positions):,} record(s) behind "
                          f"“{finding.title}”.")

    def apply_fix(self, finding) -> None:
        edits = finding_fix(finding)
        if not edits:
            return
        try:
            self.editor.edits(edits, f"apply fix: {finding.rule}")
        except ShareError as err:
            self.message.emit(f"The fix could not be applied: {err}")
            return
        self.message.emit(f"Applied the fix for “{finding.title}”; undo with Ctrl+Z. The meter shows its effect.")

    def apply_plan(self, edits: list[dict]) -> None:
        try:
            self.editor.edits(edits, "apply all fixes")
        except ShareError as err:
            self.message.emit(f"The fixes could not be applied: {err}")
            return
        self.message.emit(f"Applied {len(edits)} change(s); undo with Ctrl+Z. Submit again to see the new score.")

    def show_clause(self, clause: str) -> None:
        self.agreement_pane.show_agreement(self.session.scenario, self.agreement, highlight=clause)
        self.reading.setCurrentWidget(self.agreement_pane)

    def write_result(self, path, trainee: str) -> bool:
        """Write the signed result file of this exercise (its latest attempt); False if nothing was submitted."""
        from sandbox_app.workspace.results import build_result, result_key, sign_result, write_result

        attempts = self.workspace.attempts(self.key, self.exercise.id)
        if not attempts:
            return False
        last = attempts[-1]
        pack_id = (self.session.settings or {}).get("pack_id")
        data = build_result(trainee=trainee, scenario=self.session.scenario, exercise_id=self.exercise.id,
                            share_json=last.share_json, report=last.report,
                            attempts=[a.to_dict() for a in attempts], justification=last.justification,
                            started_at=attempts[0].submitted_at, pack_id=pack_id)
        key = self.session.result_key or result_key(self.session.scenario, pack_id)
        write_result(path, sign_result(data, key))
        return True

    def focus_filter(self) -> None:
        if self.builder is None:
            return
        section = next((s for s in self.builder.sections.values() if s.isChecked()), None)
        if section is None and self.builder.sections:
            section = next(iter(self.builder.sections.values()))
        if section is not None:
            self.building.setCurrentWidget(self.builder_holder)
            self.builder.ensureWidgetVisible(section.filter)
            section.filter.setFocus()
