"""The Answers tab of the Exercises view: the model answer and the known-bad answers of one exercise.

Each answer is a share file beside the scenario, built in the trainees' share builder (`build_requested`);
the expected verdict and the lesson of a known-bad answer are edited here and written to the YAML (`edit`).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sandbox_app.scenario import authoring as au

VERDICTS = ("approve", "revise", "reject")
COL_FILE, COL_EXPECT, COL_TEACHES, COL_BUILD, COL_REMOVE = range(5)


def _text(value) -> str:
    return "" if value is None else str(value)


class AnswersPanel(QWidget):
    """`build_requested(ref, what, answer_index)` (-1: the model answer), `add_requested(label, expect, teaches)`,
    `edit(fn)` for a change to the YAML."""

    edit = Signal(object)
    build_requested = Signal(object, str, int)
    add_requested = Signal(str, str, str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        model_box = QGroupBox("Model answer (must be approved with privacy and usefulness 90+)")
        model_row = QHBoxLayout(model_box)
        self.model_label = QLabel("none yet")
        self.model_label.setWordWrap(True)
        model_row.addWidget(self.model_label, 1)
        self.model_button = QPushButton("Build in share builder…")
        self.model_button.setToolTip("Build the model answer in the same share builder trainees use")
        self.model_button.clicked.connect(lambda: self.build_requested.emit(self.model_ref, "Model answer", -1))
        model_row.addWidget(self.model_button)
        layout.addWidget(model_box)

        bad_box = QGroupBox("Known-bad answers: the verdict each must get, and what it teaches")
        bad_layout = QVBoxLayout(bad_box)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Answer file", "Expect", "What it teaches", "", ""])
        self.table.verticalHeader().hide()
        self.table.setAccessibleName("known-bad answers")
        header = self.table.horizontalHeader()
        for col, mode in ((COL_FILE, QHeaderView.ResizeMode.ResizeToContents),
                          (COL_EXPECT, QHeaderView.ResizeMode.ResizeToContents),
                          (COL_TEACHES, QHeaderView.ResizeMode.Stretch),
                          (COL_BUILD, QHeaderView.ResizeMode.ResizeToContents),
                          (COL_REMOVE, QHeaderView.ResizeMode.ResizeToContents)):
            header.setSectionResizeMode(col, mode)
        bad_layout.addWidget(self.table, 1)
        add = QFormLayout()
        self.new_label = QLineEdit()
        self.new_label.setPlaceholderText("a short name for the file, e.g. everything")
        self.new_expect = QComboBox()
        self.new_expect.addItems(list(VERDICTS))
        self.new_expect.setCurrentText("reject")
        self.new_teaches = QLineEdit()
        self.new_teaches.setPlaceholderText("what a trainee should learn from it (shown in the debrief)")
        self.add_button = QPushButton("Add known-bad answer and build it…")
        self.add_button.setToolTip("Starts from a copy of the model answer (or a blank share) in the builder")
        self.add_button.clicked.connect(self._add)
        for label, widget in (("Name", self.new_label), ("Expect", self.new_expect),
                              ("Teaches", self.new_teaches)):
            widget.setAccessibleName(f"new known-bad answer: {label.lower()}")
            add.addRow(label, widget)
        add.addRow("", self.add_button)
        bad_layout.addLayout(add)
        layout.addWidget(bad_box, 1)
        self.model_ref = None
        self.answers: list[dict] = []

    def show_exercise(self, exercise: dict) -> None:
        ref = exercise.get("model_answer")
        self.model_ref = ref
        self.model_label.setText(f"<code>{ref}</code>" if isinstance(ref, str) else
                                 "written inline in the YAML" if isinstance(ref, dict) else
                                 "none yet: build one, or Check reports “no model answer”")
        answers = exercise.get("bad_answers")
        answers = [a for a in answers if isinstance(a, dict)] if isinstance(answers, list) else []
        if answers == self.answers and self.table.rowCount() == len(answers):
            return  # nothing changed: keep the focus and the caret where the facilitator left them
        self.answers = answers
        self.table.setRowCount(len(answers))
        for row, answer in enumerate(answers):
            share = answer.get("share")
            item = QTableWidgetItem(share.rsplit("/", 1)[-1] if isinstance(share, str) else "(inline)")
            item.setToolTip(_text(share))
            self.table.setItem(row, COL_FILE, item)
            expect = QComboBox()
            expect.addItems(list(VERDICTS))
            expect.setCurrentText(_text(answer.get("expect")))
            expect.setAccessibleName(f"expected verdict of answer {row + 1}")
            expect.activated.connect(lambda _i, r=row, c=expect: self._set(r, expect=c.currentText()))
            self.table.setCellWidget(row, COL_EXPECT, expect)
            teaches = QLineEdit(_text(answer.get("teaches")))
            teaches.setAccessibleName(f"lesson of answer {row + 1}")
            teaches.setToolTip(_text(answer.get("teaches")))
            teaches.setCursorPosition(0)  # the lesson's start, not its end
            teaches.editingFinished.connect(lambda r=row, t=teaches: self._set(r, teaches=t.text().strip()))
            self.table.setCellWidget(row, COL_TEACHES, teaches)
            build = QPushButton("Build…")
            build.setToolTip("Open this answer in the share builder")
            build.clicked.connect(lambda _=False, r=row: self.build_requested.emit(
                self.answers[r].get("share"), f"Known-bad answer {r + 1}", r))
            self.table.setCellWidget(row, COL_BUILD, build)
            remove = QPushButton("Remove")
            remove.setToolTip("Remove it from the exercise (its file is kept)")
            remove.clicked.connect(lambda _=False, r=row: self.edit.emit(
                lambda text, index: au.remove_bad_answer(text, index, r)))
            self.table.setCellWidget(row, COL_REMOVE, remove)
        self.table.resizeRowsToContents()

    def _set(self, row: int, **values) -> None:
        if row >= len(self.answers) or all(_text(self.answers[row].get(k)) == v for k, v in values.items()):
            return
        self.answers[row] = {**self.answers[row], **values}
        self.edit.emit(lambda text, index: au.set_bad_answer(text, index, row, **values))

    def _add(self) -> None:
        self.add_requested.emit(self.new_label.text().strip() or "bad", self.new_expect.currentText(),
                                self.new_teaches.text().strip())
        self.new_label.clear()
        self.new_teaches.clear()
