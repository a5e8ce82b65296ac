"""The Request and Needs forms of the studio's Exercises view: one exercise's keys as widgets.

Each form shows an exercise (plain data read from the YAML) and turns a finished edit into `edit(fn)`, where
`fn(text, index)` rewrites the scenario text (sandbox_app.scenario.authoring). The view applies it to the
editor; the form is then redrawn from the new text, so the YAML stays the one source of truth. A widget the
facilitator is typing in is never overwritten by a redraw.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sandbox_app.scenario import authoring as au
from sandbox_app.sharing.grains import NEED_GRAINS

LAWFUL_WORDS = {"share": "Share: the request is lawful", "refuse": "Refuse: the right answer is to refuse",
                "refuse_in_part": "Refuse in part: share only what `needs` describes"}
BRIEF_COMMIT_MS = 700


def _set_text(widget, value: str) -> None:
    """Show `value` unless the facilitator is typing in the widget."""
    if widget.hasFocus():
        return
    current = widget.toPlainText() if isinstance(widget, QPlainTextEdit) else widget.text()
    if current != value:
        widget.blockSignals(True)
        if isinstance(widget, QPlainTextEdit):
            widget.setPlainText(value)
        else:
            widget.setText(value)
            widget.setCursorPosition(0)  # a long value shows its start
        widget.blockSignals(False)


def _fill(combo: QComboBox, items: list[tuple[str, str]], current: str) -> None:
    """Items (id, label), the current id selected; an id the list lacks is shown as written."""
    combo.blockSignals(True)
    combo.clear()
    for value, label in items:
        combo.addItem(label, value)
    if current and combo.findData(current) < 0:
        combo.addItem(f"{current}  (not in the scenario)", current)
    combo.setCurrentIndex(combo.findData(current) if current else -1)
    combo.blockSignals(False)


def _text(value) -> str:
    return "" if value is None else str(value).rstrip("\n")


class RequestForm(QWidget):
    """Title, brief, who asks whom under which agreement, the purpose, and what the law lets the holder do."""

    edit = Signal(object)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.id_box = QLineEdit()
        self.id_box.setToolTip("The exercise id: lower-case letters, digits and '-' (result files name it)")
        self.title_box = QLineEdit()
        self.brief = QPlainTextEdit()
        self.brief.setToolTip("The request, written the way the department would write it (trainees read this)")
        self.brief.setMinimumHeight(150)
        self.requesting = QComboBox()
        self.holding = QComboBox()
        self.agreement = QComboBox()
        self.purpose = QComboBox()
        self.purpose.setEditable(True)
        self.purpose.setToolTip("A purpose id; the agreement's purposes are listed (a refusal exercise may name "
                                "one the agreement does not permit)")
        self.purpose_text = QLineEdit()
        self.purpose_text.setToolTip("The purpose in a sentence, as the request states it")
        self.lawful = QComboBox()
        for value, words in LAWFUL_WORDS.items():
            self.lawful.addItem(words, value)
        self.lawful.setToolTip("lawful_answer: what the law lets the holding department do")
        for label, widget in (("Id", self.id_box), ("Title", self.title_box), ("Brief", self.brief),
                              ("Requesting department", self.requesting), ("Holding department", self.holding),
                              ("Agreement", self.agreement), ("Purpose", self.purpose),
                              ("Purpose in words", self.purpose_text), ("Lawful answer", self.lawful)):
            widget.setAccessibleName(label)
            form.addRow(label, widget)
        self._brief_timer = QTimer(self)
        self._brief_timer.setSingleShot(True)
        self._brief_timer.setInterval(BRIEF_COMMIT_MS)
        self._brief_timer.timeout.connect(self._commit_brief)
        self.brief.textChanged.connect(self._brief_timer.start)
        for key, box in (("id", self.id_box), ("title", self.title_box), ("purpose_text", self.purpose_text)):
            box.editingFinished.connect(lambda k=key, b=box: self._key(k, b.text().strip()))
        for key, combo in (("requesting_department", self.requesting), ("holding_department", self.holding),
                           ("agreement", self.agreement), ("lawful_answer", self.lawful)):
            combo.activated.connect(lambda _i, k=key, c=combo: self._key(k, c.currentData()))
        self.purpose.activated.connect(lambda _i: self._purpose_chosen())
        self.purpose.lineEdit().editingFinished.connect(self._purpose_chosen)
        self.exercise: dict = {}

    def show_exercise(self, outline, exercise: dict) -> None:
        self.exercise = exercise
        _set_text(self.id_box, _text(exercise.get("id")))
        _set_text(self.title_box, _text(exercise.get("title")))
        if not self._brief_timer.isActive():
            _set_text(self.brief, _text(exercise.get("brief")))
        _set_text(self.purpose_text, _text(exercise.get("purpose_text")))
        departments = [(d.id, f"{d.name} ({d.id})" if d.name else d.id) for d in outline.departments]
        _fill(self.requesting, departments, _text(exercise.get("requesting_department")))
        _fill(self.holding, departments, _text(exercise.get("holding_department")))
        _fill(self.agreement, [(a.id, f"{a.title} ({a.id})" if a.title else a.id) for a in outline.agreements],
              _text(exercise.get("agreement")))
        agreement = outline.agreement(_text(exercise.get("agreement")))
        purposes = agreement.purposes if agreement else []
        if not self.purpose.hasFocus():
            _fill(self.purpose, [(p, p) for p in purposes], _text(exercise.get("purpose")))
            self.purpose.setEditText(_text(exercise.get("purpose")))
        lawful = _text(exercise.get("lawful_answer")) or "share"
        self.lawful.blockSignals(True)
        self.lawful.setCurrentIndex(max(0, self.lawful.findData(lawful)))
        self.lawful.blockSignals(False)

    def _key(self, key: str, value) -> None:
        if _text(self.exercise.get(key)) == _text(value) and not (key == "lawful_answer" and value != "share"):
            return
        self.exercise = {**self.exercise, key: value}
        self.edit.emit(lambda text, index: au.set_exercise_keys(text, index, **{key: value}))

    def _purpose_chosen(self) -> None:
        value = self.purpose.currentData() if self.purpose.currentText() == self.purpose.itemText(
            self.purpose.currentIndex()) else None
        self._key("purpose", (value or self.purpose.currentText()).split("  (")[0].strip())

    def _commit_brief(self) -> None:
        text = self.brief.toPlainText()
        if _text(self.exercise.get("brief")).rstrip() != text.rstrip():
            self._key("brief", text)

    def flush(self) -> None:
        """Commit a brief still waiting for its pause (before Check or Preview reads the text)."""
        if self._brief_timer.isActive():
            self._brief_timer.stop()
            self._commit_brief()


class NeedsForm(QWidget):
    """The tables the purpose draws on, the fields it needs and how coarse each may be, which residents
    (an expression), linkability, and counts instead of records."""

    edit = Signal(object)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        note = QLabel("What the purpose needs: usefulness is scored against it. Trainees never see it.")
        note.setWordWrap(True)
        layout.addWidget(note)
        form = QFormLayout()
        self.tables = QListWidget()
        self.tables.setMaximumHeight(90)
        self.tables.setAccessibleName("needed tables")
        self.tables.setToolTip("Tables of the holding department the purpose draws on")
        self.tables.itemChanged.connect(lambda _item: self._tables_changed())
        form.addRow("Tables", self.tables)
        self.rows = QLineEdit()
        self.rows.setPlaceholderText("which residents, e.g. power_equipment != 'none' and flood_zone")
        self.rows.setToolTip("An expression on the residents' true attributes: whose records are needed "
                             "(empty: everyone in the tables)")
        self.rows.setAccessibleName("needed rows")
        self.rows.editingFinished.connect(lambda: self._needs(rows=self.rows.text().strip() or None))
        form.addRow("Residents", self.rows)
        self.linkable = QCheckBox("Records must carry a stable (pseudonymous) id")
        self.linkable.toggled.connect(lambda on: self._needs(linkable=on))
        form.addRow("", self.linkable)
        layout.addLayout(form)
        self.fields = QTableWidget(0, 3)
        self.fields.setHorizontalHeaderLabels(["Needed", "Field", "Coarsest useful grain"])
        self.fields.verticalHeader().hide()
        self.fields.setAccessibleName("needed fields")
        header = self.fields.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.fields.itemChanged.connect(lambda _item: self._fields_changed())
        layout.addWidget(self.fields, 1)
        self.aggregate = QGroupBox("The answer is counts: group by")
        self.aggregate.setCheckable(True)
        self.aggregate.setToolTip("needs.aggregate: the purpose is served by counts grouped by these fields")
        self.aggregate.toggled.connect(lambda _on: self._aggregate_changed())
        agg_layout = QVBoxLayout(self.aggregate)
        self.group_by = QListWidget()
        self.group_by.setMaximumHeight(80)
        self.group_by.setAccessibleName("group by")
        self.group_by.itemChanged.connect(lambda _item: self._aggregate_changed())
        agg_layout.addWidget(self.group_by)
        layout.addWidget(self.aggregate)
        self.exercise: dict = {}
        self._grain_boxes: dict[str, QComboBox] = {}

    def show_exercise(self, outline, exercise: dict) -> None:
        self.exercise = exercise
        needs = exercise.get("needs") if isinstance(exercise.get("needs"), dict) else {}
        holder = outline.department(_text(exercise.get("holding_department")))
        available = holder.tables if holder else {}
        chosen = [str(t) for t in needs.get("tables") or []]
        self.tables.blockSignals(True)
        self.tables.clear()
        for table in list(available) + [t for t in chosen if t not in available]:
            item = QListWidgetItem(table if table in available else f"{table}  (not held by this department)")
            item.setData(Qt.ItemDataRole.UserRole, table)
            item.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            item.setCheckState(Qt.CheckState.Checked if table in chosen else Qt.CheckState.Unchecked)
            self.tables.addItem(item)
        self.tables.blockSignals(False)
        _set_text(self.rows, _text(needs.get("rows")))
        self.linkable.blockSignals(True)
        self.linkable.setChecked(bool(needs.get("linkable")))
        self.linkable.blockSignals(False)
        wanted = {str(k): _text(v) for k, v in (needs.get("fields") or {}).items()} \
            if isinstance(needs.get("fields"), dict) else {}
        names = list(dict.fromkeys(f for t in chosen for f in available.get(t, [])))
        names += [f for f in wanted if f not in names]
        self._show_fields(names, wanted)
        agg = needs.get("aggregate") if isinstance(needs.get("aggregate"), dict) else None
        self.aggregate.blockSignals(True)
        self.aggregate.setChecked(agg is not None)
        self.aggregate.blockSignals(False)
        grouped = [str(g) for g in (agg or {}).get("group_by") or []]
        self.group_by.blockSignals(True)
        self.group_by.clear()
        for name in list(wanted) + [g for g in grouped if g not in wanted]:
            item = QListWidgetItem(name)
            item.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            item.setCheckState(Qt.CheckState.Checked if name in grouped else Qt.CheckState.Unchecked)
            self.group_by.addItem(item)
        self.group_by.blockSignals(False)

    def _show_fields(self, names: list[str], wanted: dict[str, str]) -> None:
        self.fields.blockSignals(True)
        self.fields.setRowCount(len(names))
        self._grain_boxes = {}
        for row, name in enumerate(names):
            check = QTableWidgetItem()
            check.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            check.setCheckState(Qt.CheckState.Checked if name in wanted else Qt.CheckState.Unchecked)
            check.setData(Qt.ItemDataRole.UserRole, name)
            self.fields.setItem(row, 0, check)
            label = QTableWidgetItem(name)
            label.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.fields.setItem(row, 1, label)
            combo = QComboBox()
            combo.addItems(list(NEED_GRAINS) + ([wanted[name]] if wanted.get(name) not in (*NEED_GRAINS, None)
                                                else []))
            combo.setCurrentText(wanted.get(name, "exact"))
            combo.setEnabled(name in wanted)
            combo.setAccessibleName(f"grain of {name}")
            combo.activated.connect(lambda _i: self._fields_changed())
            self.fields.setCellWidget(row, 2, combo)
            self._grain_boxes[name] = combo
        self.fields.blockSignals(False)

    def chosen_fields(self) -> dict[str, str]:
        out = {}
        for row in range(self.fields.rowCount()):
            item = self.fields.item(row, 0)
            name = item.data(Qt.ItemDataRole.UserRole)
            if item.checkState() == Qt.CheckState.Checked:
                out[name] = self._grain_boxes[name].currentText()
        return out

    def _tables_changed(self) -> None:
        tables = [self.tables.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.tables.count())
                  if self.tables.item(i).checkState() == Qt.CheckState.Checked]
        self._needs(tables=tables)

    def _fields_changed(self) -> None:
        for name, combo in self._grain_boxes.items():
            combo.setEnabled(name in self.chosen_fields())
        self._needs(fields=self.chosen_fields())

    def _aggregate_changed(self) -> None:
        if not self.aggregate.isChecked():
            self._needs(aggregate=None)
            return
        grouped = [self.group_by.item(i).text() for i in range(self.group_by.count())
                   if self.group_by.item(i).checkState() == Qt.CheckState.Checked]
        if not grouped and self.group_by.count():
            grouped = [self.group_by.item(0).text()]
        old = ((self.exercise.get("needs") or {}).get("aggregate") or {})
        measures = old.get("measures") if isinstance(old, dict) else None
        self._needs(aggregate={"group_by": grouped, "measures": measures or ["count"]} if grouped else None)

    def _needs(self, **values) -> None:
        self.edit.emit(lambda text, index: au.set_needs(text, index, **values))
