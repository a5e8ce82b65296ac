"""The studio's Exercises view: list, add and edit a scenario's exercises, build their answers, Check them and
preview them as a trainee.

The YAML in the editor stays the one source of truth: a form edit rewrites the editor's text (only the
changed characters, as one undoable step, so live validation runs on it), and every change of the text
(typed, undone, reloaded) comes back into the form from live validation's own parse (one parse per pause,
off the GUI thread; the form is redrawn only when what it shows changed). Built-in scenarios
are read-only here too (the form is disabled; Check and Preview still work).
"""

from __future__ import annotations

import os

from PySide6.QtCore import Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from sandbox_app.errors import SandboxError
from sandbox_app.scenario import authoring as au
from sandbox_app.ui.studio.exercise_answers import AnswersPanel
from sandbox_app.ui.studio.exercise_check import CheckPanel
from sandbox_app.ui.studio.exercise_form import NeedsForm, RequestForm

READ_ONLY_HINT = "Built-in, read-only: New from built-in… to edit a copy."


def _utf16(text: str) -> int:
    """A Python string's length in the UTF-16 units Qt's text positions count."""
    return len(text.encode("utf-16-le")) // 2


class ExercisesView(QWidget):
    """Edits the exercises of the scenario open in `editor` (a ScenarioEditor). `outline_read` after each
    re-read of the text; `message(str)` for the status bar."""

    outline_read = Signal()
    message = Signal(str)
    windows_changed = Signal()  # an answer builder or a preview opened

    def __init__(self, editor, parent=None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.outline = None
        self.index = 0
        self.windows: list = []  # open answer builders and previews
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.picker = QComboBox()
        self.picker.setAccessibleName("exercise")
        self.picker.setToolTip("The scenario's exercises, in file order")
        self.picker.activated.connect(self.select)
        top.addWidget(self.picker, 1)
        self.add_button = QPushButton("Add exercise")
        self.add_button.clicked.connect(self.add_exercise)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove this exercise from the YAML (Ctrl+Z in the editor brings it back)")
        self.remove_button.clicked.connect(self.remove_exercise)
        self.preview_button = QPushButton("Preview as trainee")
        self.preview_button.setToolTip("Open this exercise exactly as a trainee sees it (no needs, no answers)")
        self.preview_button.clicked.connect(self.preview)
        for button in (self.add_button, self.remove_button, self.preview_button):
            top.addWidget(button)
        layout.addLayout(top)
        self.hint = QLabel("")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #8a5300;")
        self.hint.hide()
        layout.addWidget(self.hint)
        self.problems = QLabel("")
        self.problems.setObjectName("exerciseProblems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #b71c1c;")
        self.problems.setToolTip("Live validation's problems in this exercise (all of them are listed under the "
                                 "editor; click one there to go to its line)")
        self.problems.hide()
        layout.addWidget(self.problems)
        self.request = RequestForm()
        self.needs = NeedsForm()
        self.answers = AnswersPanel()
        self.check = CheckPanel()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.request)
        self.tabs = QTabWidget()
        self.tabs.addTab(scroll, "Request")
        self.tabs.addTab(self.needs, "Needs")
        self.tabs.addTab(self.answers, "Answers")
        self.tabs.addTab(self.check, "Check")
        layout.addWidget(self.tabs, 1)
        for form in (self.request, self.needs, self.answers):
            form.edit.connect(self.apply)
        self.answers.build_requested.connect(self.open_builder)
        self.answers.add_requested.connect(self.add_bad_answer)
        self.check.run_requested.connect(self.run_check)
        self.check.done.connect(self.message)
        self._shown = None  # what the forms show now: redrawn only when it changes
        editor.outline_changed.connect(self._outline)
        editor.problems_changed.connect(lambda _problems: self._show_problems())
        self._enable()

    # ---------------------------------------------------------------------------------- reading the text
    def file_opened(self) -> None:
        """A new file is in the editor: start at its first exercise, with nothing checked yet."""
        self.index = 0
        self.check.clear()
        self._shown = None  # the editor's validation of the new file brings its outline

    def reread(self) -> None:
        """Read the text into the form now (live validation does it after each pause in typing)."""
        self.editor.validate_now()

    @property
    def reading(self) -> bool:
        """The text changed and the form has not caught up yet."""
        return self.editor.checking

    def _outline(self, outline) -> None:
        if outline is None:
            self._unreadable()
        else:
            self._read(outline)

    def _unreadable(self) -> None:
        self.outline = None
        self._shown = None
        self.hint.setText("The form follows the YAML, which cannot be read just now: fix the problem listed "
                          "under the editor.")
        self.hint.show()
        self._enable()
        self.outline_read.emit()

    def _read(self, outline) -> None:
        self.outline = outline
        exercises = outline.exercises
        self.index = min(self.index, max(0, len(exercises) - 1))
        self.picker.blockSignals(True)
        self.picker.clear()
        for i, exercise in enumerate(exercises):
            self.picker.addItem(f"{i + 1}. {exercise.get('title') or '(no title)'}  ({exercise.get('id')})")
        self.picker.setCurrentIndex(self.index if exercises else -1)
        self.picker.blockSignals(False)
        shown = (self.index, exercises[self.index] if exercises else None, outline.departments, outline.agreements)
        if exercises and shown != self._shown:
            exercise = exercises[self.index]
            self.request.show_exercise(outline, exercise)
            self.needs.show_exercise(outline, exercise)
            self.answers.show_exercise(exercise)
        self._shown = shown
        self.hint.setText(READ_ONLY_HINT if self.read_only else
                          "" if exercises else "No exercises yet: Add exercise writes a first one.")
        self.hint.setVisible(bool(self.hint.text()))
        self._show_problems()
        self._enable()
        self.outline_read.emit()

    def _show_problems(self) -> None:
        """This exercise's problems (from live validation), in words, above the form."""
        from sandbox_app.ui.studio.scenario_editor import problem_text

        prefix = f"exercises[{self.index}]"
        mine = [p for p in self.editor.problems if p.path == prefix or p.path.startswith((f"{prefix}.",
                                                                                           f"{prefix}["))]
        shown = mine[:3]
        text = "\n".join("✗ " + problem_text(p).replace(prefix + ".", "", 1) for p in shown)
        if len(mine) > len(shown):
            text += f"\n… and {len(mine) - len(shown)} more, listed under the editor."
        self.problems.setText(text)
        self.problems.setVisible(bool(mine))

    @property
    def read_only(self) -> bool:
        return self.editor.path is None or self.editor.read_only

    @property
    def exercise(self) -> dict | None:
        if self.outline is None or not 0 <= self.index < len(self.outline.exercises):
            return None
        return self.outline.exercises[self.index]

    def _enable(self) -> None:
        has = self.exercise is not None
        editable = has and not self.read_only
        for widget in (self.request, self.needs, self.answers):
            widget.setEnabled(editable)
        self.add_button.setEnabled(self.outline is not None and not self.read_only)
        self.remove_button.setEnabled(editable)
        self.preview_button.setEnabled(has)
        self.check.check_one.setEnabled(has and not self.check.runner.busy)
        self.check.check_all.setEnabled(self.outline is not None and not self.check.runner.busy)

    def select(self, index: int) -> None:
        """Show exercise `index` in the form, and its first line at the top of the editor."""
        self.request.flush()
        self.index = index
        if self.outline is not None:
            self._read(self.outline)
        line = au.exercise_line(self.editor.text(), index)
        if line is not None:
            text_edit = self.editor.editor
            block = text_edit.document().findBlockByNumber(line - 1)
            text_edit.setTextCursor(QTextCursor(block))
            text_edit.verticalScrollBar().setValue(text_edit.verticalScrollBar().maximum())
            text_edit.ensureCursorVisible()  # from the bottom: the exercise's first line lands at the top

    # ---------------------------------------------------------------------------------- writing the text
    def apply(self, change) -> bool:
        """Rewrite the editor's text with `change(text, index)` as one undoable step; False (and one
        sentence) if the exercise cannot be edited as the text stands."""
        if self.read_only or self.exercise is None:
            return False
        try:
            new = change(self.editor.text(), self.index)
        except SandboxError as err:
            self.message.emit(f"The form cannot change this exercise: {err}")
            return False
        self.replace_text(new)
        return True

    def replace_text(self, new: str) -> None:
        """Replace only the characters that differ (the cursor and the scroll stay), as one undo step."""
        old = self.editor.text()
        if new == old:
            return
        head = len(os.path.commonprefix([old, new]))
        limit = min(len(old), len(new)) - head
        tail = len(os.path.commonprefix([old[::-1], new[::-1]]))
        tail = min(tail, limit)
        cursor = QTextCursor(self.editor.editor.document())
        cursor.beginEditBlock()
        cursor.setPosition(_utf16(old[:head]))
        cursor.setPosition(_utf16(old[:len(old) - tail]), QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(new[head:len(new) - tail])
        cursor.endEditBlock()

    def add_exercise(self) -> None:
        """Append an exercise that validates as written (its first agreement, a table of a party), and open it."""
        if self.read_only or self.outline is None:
            return
        outline = self.outline
        agreement = outline.agreements[0] if outline.agreements else None
        parties = [outline.department(p) for p in (agreement.parties if agreement else [])]
        holders = [d for d in parties if d is not None and d.tables] or [d for d in outline.departments if d.tables]
        holder = holders[0] if holders else None
        others = [d for d in (parties or outline.departments) if d is not None and d is not holder]
        fields = {
            "id": au.unique_id([str(e.get("id")) for e in outline.exercises]),
            "title": "New exercise",
            "brief": "From: …\nTo: …\n\nWrite the request here, the way the department would write it.",
            "requesting_department": (others[0] if others else holder).id if holder else "",
            "holding_department": holder.id if holder else "",
            "agreement": agreement.id if agreement else "",
            "purpose": (agreement.purposes[0] if agreement and agreement.purposes else "state_the_purpose"),
            "needs": {"tables": au.flow_list([next(iter(holder.tables))] if holder else [])},
        }
        text, index = au.add_exercise(self.editor.text(), fields)
        self.replace_text(text)
        self.index = index
        self.reread()
        self.message.emit(f"Added exercise {fields['id']}: write its brief, then its needs and answers.")

    def remove_exercise(self) -> None:
        exercise = self.exercise
        if self.read_only or exercise is None:
            return
        self.replace_text(au.remove_exercise(self.editor.text(), self.index))
        self.index = max(0, self.index - 1)
        self.message.emit(f"Removed exercise {exercise.get('id')}; Ctrl+Z in the editor brings it back.")

    # ---------------------------------------------------------------------------------- answers
    def _ready(self, what: str) -> bool:
        self.request.flush()
        if self.editor.path is None or self.exercise is None:
            self.message.emit(f"{what}: open a scenario with an exercise first.")
            return False
        if self.editor.checking or self.reading:
            self.message.emit(f"{what}: the scenario is still being checked; try again in a moment.")
            return False
        if self.editor.problems:
            count = len(self.editor.problems)
            self.message.emit(f"{what}: fix the {count} problem{'s' if count != 1 else ''} listed under the "
                              "editor first.")
            return False
        return True

    def open_builder(self, ref, what: str, answer: int, *, checked: bool = False) -> None:
        """The answer in the share builder (`answer` -1: the model answer; a new file if it has none).
        `checked`: the text has just validated (no need to wait for the form to catch up)."""
        from sandbox_app.scenario.answer_files import answer_ref
        from sandbox_app.ui.studio.answer_builder import AnswerBuilderWindow

        if self.read_only or not (checked or self._ready("Build")):
            return
        exercise_id = str(self.exercise.get("id"))
        if not isinstance(ref, str):
            ref = answer_ref(self.editor.path, exercise_id, "model" if answer < 0 else f"bad-{answer + 1}")
        window = AnswerBuilderWindow(self.editor.text(), self.editor.path, exercise_id, ref, what, self)
        window.saved.connect(lambda saved, i=self.index, a=answer: self._answer_saved(i, a, saved))
        self._keep(window)

    def _answer_saved(self, index: int, answer: int, ref: str) -> None:
        if self.index != index:
            self.select(index)
        if answer < 0:
            self.apply(lambda text, i: au.set_model_answer(text, i, ref))
        else:
            self.apply(lambda text, i: au.set_bad_answer(text, i, answer, share=ref))
        self.message.emit(f"Saved {ref}; the YAML refers to it.")

    def add_bad_answer(self, label: str, expect: str, teaches: str) -> None:
        """Write a new answer file (a copy of the model answer, or a blank share), list it with its expected
        verdict and lesson, and open it in the builder."""
        from sandbox_app.scenario.answer_files import answer_ref, read_answer, write_answer
        from sandbox_app.sharing import ShareDocument, share_to_json

        if self.read_only or not self._ready("Add a known-bad answer"):
            return
        exercise, path = self.exercise, self.editor.path
        answers = exercise.get("bad_answers") if isinstance(exercise.get("bad_answers"), list) else []
        ref = answer_ref(path, str(exercise.get("id")), label, [a.get("share") for a in answers])
        try:
            start = read_answer(path, exercise["model_answer"]) if exercise.get("model_answer") else None
        except SandboxError:
            start = None
        if start is None:
            start = ShareDocument(scenario=self.outline.name, exercise=str(exercise.get("id")),
                                  purpose=str(exercise.get("purpose") or ""))
        try:
            write_answer(path, ref, share_to_json(start))
        except SandboxError as err:
            self.message.emit(f"Could not add the answer: {err}")
            return
        if self.apply(lambda text, i: au.add_bad_answer(text, i, ref, expect, teaches)):
            self.editor.validate_now()
            self.answers.show_exercise({**exercise, "bad_answers": [*answers, {"share": ref, "expect": expect,
                                                                               "teaches": teaches}]})
            self.pending_build = (ref, f"Known-bad answer {len(answers) + 1}", len(answers))
            self.editor.problems_changed.connect(self._build_pending)

    def _build_pending(self, problems: list) -> None:
        self.editor.problems_changed.disconnect(self._build_pending)
        ref, what, answer = self.pending_build
        if not problems and self.exercise is not None:
            self.open_builder(ref, what, answer, checked=True)
        elif problems:
            self.message.emit(f"Added {ref}; fix the problems under the editor, then build it.")

    # ---------------------------------------------------------------------------------- check, preview
    def run_check(self, everything: bool) -> None:
        if not self._ready("Check"):
            return
        self.tabs.setCurrentWidget(self.check)
        self.check.start(self.editor.text(), self.editor.path, None if everything else str(self.exercise["id"]))

    def preview(self) -> None:
        from sandbox_app.ui.studio.trainee_preview import TraineePreviewWindow

        if not self._ready("Preview"):
            return
        self._keep(TraineePreviewWindow(self.editor.text(), self.editor.path, str(self.exercise["id"]), self))

    def _keep(self, window) -> None:
        from PySide6.QtCore import Qt

        window.setWindowFlag(Qt.WindowType.Window, True)
        self.windows = [w for w in self.windows if w.isVisible()] + [window]
        window.show()
        self.windows_changed.emit()

    def shutdown(self) -> None:
        self.check.shutdown()
        for window in self.windows:
            window.close()
        self.windows = []


__all__ = ["ExercisesView", "READ_ONLY_HINT"]
