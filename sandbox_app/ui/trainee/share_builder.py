"""The share builder: tick tables and fields, pick each field's operation, filter rows, refuse if need be.

It is a view of the share document held by `ShareEditor`: every control turns a user action into one edit
of the engine's vocabulary, and `sync()` redraws the controls from the document after any change (an edit
here, undo, the JSON tab, an applied fix). Controls never keep state of their own.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sandbox_app.errors import ShareError
from sandbox_app.sharing import transforms as tf
from sandbox_app.sharing.op_help import GENERALIZE_HELP, OP_HELP
from sandbox_app.ui.common.badges import SENSITIVITY, badge_style, category_text
from sandbox_app.ui.common.frame_model import highlight_brush
from sandbox_app.ui.trainee.share_editor import ShareEditor
from synthetic.expr import ExpressionError, parse

FIELD_OPS = [op for op in tf.OPS if op not in ("derive", "drop")]
ERROR_STYLE = "color: #b71c1c;"
COL_SHARE, COL_FIELD, COL_SENS, COL_OP, COL_PARAM, COL_HELP = range(6)


def expression_message(err: ExpressionError) -> str:
    where = "" if err.position is None else f"at character {err.position + 1}: "
    return where + err.message + (f" ({err.hint})" if err.hint else "")


class ParamEditor(QWidget):
    """The parameters of one field's operation: a generalisation target, a width, a maximum…"""

    changed = Signal(dict)

    def __init__(self, op: str, params: dict, targets: list[str], parent=None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 0, 2, 0)
        self.op, self.params = op, dict(params)
        self._widgets: dict[str, QWidget] = {}
        if op == "generalize":
            combo = QComboBox()
            for to in targets:
                combo.addItem(to, to)
                combo.setItemData(combo.count() - 1, GENERALIZE_HELP.get(to, to), Qt.ItemDataRole.ToolTipRole)
            combo.setCurrentIndex(max(0, combo.findData(params.get("to"))))
            combo.setToolTip("What to generalise to")
            combo.setAccessibleName("generalise to")
            combo.currentIndexChanged.connect(lambda _: self._emit("to", combo.currentData()))
            layout.addWidget(combo)
            self._widgets["to"] = combo
            if params.get("to") == "band":
                self._number("width", "band width", params.get("width", 10), 1, 1000, 0)
            if params.get("to") == "grid":
                self._number("size", "grid square (degrees)", params.get("size", 0.01), 0.001, 1, 3)
        elif op == "mask":
            self._number("keep_last", "characters left visible", params.get("keep_last", 0), 0, 20, 0)
        elif op == "top_code":
            self._number("max", "largest value shown", params.get("max", 89), -1e9, 1e9, 0)
        elif op == "bottom_code":
            self._number("min", "smallest value shown", params.get("min", 0), -1e9, 1e9, 0)
        elif op == "suppress_rare":
            self._number("min_count", "records a value needs", params.get("min_count", 11), 1, 1000, 0)
        elif op == "derive":
            label = QLabel(str(params.get("expr", "")))
            label.setToolTip("The expression that computes this field")
            layout.addWidget(label)
        layout.addStretch(1)

    def _number(self, key: str, label: str, value, low, high, decimals: int) -> None:
        box = QDoubleSpinBox() if decimals else QSpinBox()
        if decimals:
            box.setDecimals(decimals)
            box.setSingleStep(10 ** -decimals)
        box.setRange(low, high)
        box.setValue(value)
        box.setToolTip(label)
        box.setAccessibleName(label)
        box.setPrefix(f"{label.split(' (')[0]}: ") if key in ("width", "max", "min") else None
        box.editingFinished.connect(lambda: self._emit(key, box.value()))
        self.layout().addWidget(box)
        self._widgets[key] = box

    def _emit(self, key: str, value) -> None:
        if isinstance(value, float) and value.is_integer() and key != "size":
            value = int(value)
        params = {**self.params, key: value}
        if key == "to":
            params = {"to": value, **({"width": 10} if value == "band" else {}),
                      **({"size": 0.01} if value == "grid" else {})}
        if params != self.params:
            self.params = params
            self.changed.emit(params)


class TableSection(QGroupBox):
    """One source table: tick to share it, a row filter, and its fields."""

    def __init__(self, builder: ShareBuilderView, table: str, parent=None) -> None:
        super().__init__(parent)
        self.builder, self.table, self.db = builder, table, builder.db
        rows = builder.row_counts.get(table)
        self.setTitle(f"{table}" + (f"  ({rows:,} records)" if rows is not None else ""))
        self.setCheckable(True)
        self.setChecked(False)
        self.setToolTip(f"Tick to share records from {table}")
        self.toggled.connect(self._toggled)
        layout = QVBoxLayout(self)
        filter_row = QHBoxLayout()
        filter_row.addWidget(QLabel("Rows:"))
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("all rows — or a filter, e.g. equipment != 'none' and zip in ('44101')")
        self.filter.setToolTip("Which records to share: an expression over this table's fields. Leave empty "
                               "to share every record.")
        self.filter.setAccessibleName(f"row filter for {table}")
        self.filter.textEdited.connect(self._filter_edited)
        filter_row.addWidget(self.filter, 1)
        layout.addLayout(filter_row)
        self.filter_error = QLabel("")
        self.filter_error.setStyleSheet(ERROR_STYLE)
        self.filter_error.setWordWrap(True)
        self.filter_error.hide()
        layout.addWidget(self.filter_error)
        self.columns = self.db.columns(table)
        self.grid = QTableWidget(0, 6)
        self.grid.setHorizontalHeaderLabels(["Share", "Field", "Sensitivity", "Operation", "Settings", "What it does"])
        self.grid.verticalHeader().hide()
        self.grid.setWordWrap(False)
        header = self.grid.horizontalHeader()
        for col, mode in ((COL_SHARE, QHeaderView.ResizeMode.ResizeToContents),
                          (COL_FIELD, QHeaderView.ResizeMode.ResizeToContents),
                          (COL_SENS, QHeaderView.ResizeMode.ResizeToContents),
                          (COL_OP, QHeaderView.ResizeMode.ResizeToContents),
                          (COL_PARAM, QHeaderView.ResizeMode.Interactive),
                          (COL_HELP, QHeaderView.ResizeMode.Stretch)):
            header.setSectionResizeMode(col, mode)
        self.grid.setColumnWidth(COL_PARAM, 170)
        self.grid.itemChanged.connect(self._item_changed)
        self.grid.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(self.grid)
        derive_row = QHBoxLayout()
        self.derive_name = QLineEdit()
        self.derive_name.setPlaceholderText("new field name")
        self.derive_name.setAccessibleName(f"derived field name for {table}")
        self.derive_expr = QLineEdit()
        self.derive_expr.setPlaceholderText("expression, e.g. equipment != 'none'")
        self.derive_expr.setAccessibleName(f"derived field expression for {table}")
        self.derive_expr.textEdited.connect(self._check_derived)
        self.derive_add = QPushButton("Add derived field")
        self.derive_add.setToolTip("Share a field computed from others, e.g. a yes/no flag instead of a diagnosis")
        self.derive_add.clicked.connect(self._add_derived)
        derive_row.addWidget(self.derive_name)
        derive_row.addWidget(self.derive_expr, 1)
        derive_row.addWidget(self.derive_add)
        layout.addLayout(derive_row)
        self.derive_error = QLabel("")
        self.derive_error.setStyleSheet(ERROR_STYLE)
        self.derive_error.setWordWrap(True)
        self.derive_error.hide()
        layout.addWidget(self.derive_error)
        self._row_of: dict[str, int] = {}
        self._signatures: dict[str, tuple | None] = {}

    # ------------------------------------------------------------------------------ from the document

    def sync(self, share_table, highlighted: set[str]) -> None:
        self.blockSignals(True)
        self.setChecked(share_table is not None)
        self.blockSignals(False)
        for widget in (self.filter, self.grid, self.derive_name, self.derive_expr, self.derive_add):
            widget.setEnabled(share_table is not None)
        where = (share_table.where or "") if share_table is not None else ""
        if not self.filter.hasFocus() or self.filter_error.isHidden():
            if self.filter.text() != where and (self.filter_error.isHidden() or not self.filter.hasFocus()):
                self.filter.setText(where)
                self.filter_error.hide()
        fields = dict(share_table.fields) if share_table is not None else {}
        derived = [n for n, op in fields.items() if op.op == "derive"]
        names = self.columns + [n for n in derived if n not in self.columns]
        signatures = {n: (fields[n].op, tuple(sorted(fields[n].params().items()))) if n in fields else None
                      for n in names}
        if names != list(self._signatures):
            self._rebuild(names, fields)
        else:  # same rows: redraw only those whose operation changed (an edit touches one or two)
            self.grid.blockSignals(True)
            for name, signature in signatures.items():
                if signature != self._signatures[name]:
                    self._build_row(self._row_of[name], name, fields.get(name))
            self.grid.blockSignals(False)
        self._signatures = signatures
        self._highlight(highlighted)

    def _rebuild(self, names: list[str], fields: dict) -> None:
        self.grid.blockSignals(True)
        self.grid.setRowCount(len(names))
        self._row_of = {}
        for row, name in enumerate(names):
            self._row_of[name] = row
            self._build_row(row, name, fields.get(name))
        self.grid.blockSignals(False)
        self.grid.resizeRowsToContents()  # a dozen rows, not a big table: every row shows, the page scrolls
        height = self.grid.horizontalHeader().sizeHint().height() + sum(
            self.grid.rowHeight(r) for r in range(len(names))) + 2 * self.grid.frameWidth()
        self.grid.setFixedHeight(height)
        self.grid.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def _build_row(self, row: int, name: str, op) -> None:
        """Draw one field's row from its operation in the document (None: not shared)."""
        shared = op is not None and op.op != "drop"
        check = QTableWidgetItem()
        check.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
        check.setCheckState(Qt.CheckState.Checked if shared else Qt.CheckState.Unchecked)
        check.setToolTip(f"Tick to share {name}")
        check.setData(Qt.ItemDataRole.UserRole, name)
        self.grid.setItem(row, COL_SHARE, check)
        info = self._info(name)
        item = QTableWidgetItem(name)
        item.setToolTip(str(info.get("description") or "a field you derived"))
        self.grid.setItem(row, COL_FIELD, item)
        if self.grid.cellWidget(row, COL_SENS) is None or op is not None and op.op == "derive":
            level = str(info.get("sensitivity") or ("derived" if op is not None and op.op == "derive" else ""))
            text, background, foreground = SENSITIVITY.get(level, (level.capitalize() or "—", "#546e7a", "#fff"))
            badge = QLabel(text)
            badge.setStyleSheet(badge_style(background, foreground))
            category = str(info.get("category") or "")
            badge.setToolTip(f"{text}: {category_text(category)}" if category else text)
            self.grid.setCellWidget(row, COL_SENS, badge)
        if op is not None and op.op == "derive":
            label = QLabel("derived")
            label.setToolTip(OP_HELP["derive"])
            self.grid.setCellWidget(row, COL_OP, label)
            self.grid.setCellWidget(row, COL_PARAM, ParamEditor("derive", op.params(), []))
            remove = QPushButton("Remove")
            remove.setToolTip(f"Stop sharing the derived field {name}")
            remove.clicked.connect(lambda _=False, n=name: self.builder.remove_field(self.table, n))
            self.grid.setCellWidget(row, COL_HELP, remove)
            return
        combo = self.grid.cellWidget(row, COL_OP)
        current = op.op if shared else "keep"
        if not isinstance(combo, QComboBox):
            combo = QComboBox()
            combo.setAccessibleName(f"operation for {name}")
            for candidate in self._ops(info):
                combo.addItem(candidate.replace("_", " "), candidate)
                combo.setItemData(combo.count() - 1, OP_HELP[candidate], Qt.ItemDataRole.ToolTipRole)
            combo.currentIndexChanged.connect(lambda _=0, n=name, c=combo: self._op_chosen(n, c.currentData()))
            self.grid.setCellWidget(row, COL_OP, combo)
        combo.blockSignals(True)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.blockSignals(False)
        combo.setEnabled(shared)
        combo.setToolTip(OP_HELP.get(current, ""))
        if shared and op.params():
            editor = ParamEditor(op.op, op.params(), self._targets(info))
            editor.changed.connect(lambda params, n=name, o=op.op: self.builder.set_field(self.table, n, o, params))
            self.grid.setCellWidget(row, COL_PARAM, editor)
        else:
            self.grid.removeCellWidget(row, COL_PARAM)
            self.grid.setItem(row, COL_PARAM, QTableWidgetItem(""))
        help_item = QTableWidgetItem(OP_HELP.get(current, "") if shared else "not shared")
        help_item.setToolTip(OP_HELP.get(current, ""))
        self.grid.removeCellWidget(row, COL_HELP)
        self.grid.setItem(row, COL_HELP, help_item)

    def _highlight(self, fields: set[str]) -> None:
        brush = highlight_brush()
        self.grid.blockSignals(True)
        for name, row in self._row_of.items():
            item = self.grid.item(row, COL_FIELD)
            if item is not None:
                item.setBackground(brush if name in fields else QBrush())
                item.setText(f"▶ {name}" if name in fields else name)
        self.grid.blockSignals(False)

    def _info(self, name: str) -> dict:
        try:
            return self.db.column_info(self.table, name)
        except Exception:  # a derived field has no dictionary entry  # noqa: BLE001
            return {}

    def _targets(self, info: dict) -> list[str]:
        partner = {"lat": "lon", "lon": "lat"}.get(str(info.get("semantic")))
        has_partner = partner is not None and any(
            str(self._info(c).get("semantic")) == partner for c in self.columns)
        return [to for to in tf.GENERALIZE_TO if tf.applicability("generalize", to, info, has_partner) is None]

    def _ops(self, info: dict) -> list[str]:
        ops = []
        for op in FIELD_OPS:
            if op == "generalize":
                if self._targets(info):
                    ops.append(op)
            elif tf.applicability(op, None, info) is None:
                ops.append(op)
        return ops

    # -------------------------------------------------------------------------------- to the document

    def _toggled(self, on: bool) -> None:
        self.builder.set_table(self.table, on)

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() != COL_SHARE:
            return
        name = item.data(Qt.ItemDataRole.UserRole)
        if item.checkState() == Qt.CheckState.Checked:
            self.builder.set_field(self.table, name, "keep", {})
        else:
            self.builder.remove_field(self.table, name)

    def _op_chosen(self, name: str, op: str) -> None:
        info = self._info(name)
        params: dict = {}
        if op == "generalize":
            targets = self._targets(info)
            params = {"to": targets[0]} if targets else {}
            if params.get("to") == "band":
                params["width"] = 10
            if params.get("to") == "grid":
                params["size"] = 0.01
        elif op == "top_code":
            params = {"max": 89}
        elif op == "bottom_code":
            params = {"min": 0}
        self.builder.set_field(self.table, name, op, params)

    def _filter_edited(self, text: str) -> None:
        if not text.strip():
            self.filter_error.hide()
            self.builder.set_where(self.table, None)
            return
        try:
            parse(text, self.columns)
        except ExpressionError as err:
            self.filter_error.setText(expression_message(err))
            self.filter_error.show()
            return
        self.filter_error.hide()
        self.builder.set_where(self.table, text)

    def _check_derived(self, text: str) -> bool:
        if not text.strip():
            self.derive_error.hide()
            return False
        try:
            parse(text, self.columns)
        except ExpressionError as err:
            self.derive_error.setText(expression_message(err))
            self.derive_error.show()
            return False
        self.derive_error.hide()
        return True

    def _add_derived(self) -> None:
        name = self.derive_name.text().strip()
        if not name:
            self.derive_error.setText("Give the new field a name first.")
            self.derive_error.show()
            return
        if not self._check_derived(self.derive_expr.text()):
            if not self.derive_expr.text().strip():
                self.derive_error.setText("Write the expression that computes it.")
                self.derive_error.show()
            return
        if self.builder.set_field(self.table, name, "derive", {"expr": self.derive_expr.text()}):
            self.derive_name.clear()
            self.derive_expr.clear()


class ShareBuilderView(QScrollArea):
    """The whole share: decision, purpose, retention, tables and fields, and counts instead of records."""

    problem = Signal(str)  # an edit the engine refused, said in one sentence

    def __init__(self, editor: ShareEditor, db, exercise, agreement, row_counts: dict[str, int] | None = None,
                 parent=None) -> None:
        super().__init__(parent)
        self.editor, self.db, self.exercise, self.agreement = editor, db, exercise, agreement
        self.row_counts = row_counts or {}
        self.highlighted: set[str] = set()
        self._pending_decision: str | None = None  # refusal chosen, waiting for its reason
        self.setWidgetResizable(True)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self._decision_box())
        self.sections: dict[str, TableSection] = {}
        tables = [t for t in db.tables() if db.department_of(t) == exercise.holding_department]
        self.tables_label = QLabel(f"<b>What to share</b> — tables held by {exercise.holding_department}. Nothing "
                                   "is shared unless you tick it.")
        self.tables_label.setWordWrap(True)
        layout.addWidget(self.tables_label)
        for table in tables:
            section = TableSection(self, table)
            self.sections[table] = section
            layout.addWidget(section)
        layout.addWidget(self._aggregate_box())
        layout.addStretch(1)
        self.setWidget(body)
        editor.changed.connect(self.sync)
        self.sync(editor.document)

    # ---------------------------------------------------------------------------------- the boxes

    def _decision_box(self) -> QGroupBox:
        box = QGroupBox("Decision and terms")
        layout = QVBoxLayout(box)
        row = QHBoxLayout()
        self.share_radio = QRadioButton("Share data")
        self.share_radio.setToolTip("Meet the request (wholly or in part) with the data chosen below")
        self.refuse_radio = QRadioButton("Refuse the request")
        self.refuse_radio.setToolTip("Share nothing: the request should not be met. Say why.")
        self.partial_radio = QRadioButton("Refuse in part")
        self.partial_radio.setToolTip("Share only part of what was asked and refuse the rest; say why.")
        self.decision_group = QButtonGroup(box)
        for value, radio in (("share", self.share_radio), ("refuse", self.refuse_radio),
                             ("refuse_in_part", self.partial_radio)):
            radio.setProperty("decision", value)
            self.decision_group.addButton(radio)
            row.addWidget(radio)
        self.decision_group.buttonClicked.connect(lambda button: self._decide(button.property("decision")))
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Why refuse? Cite the law or clause, e.g. clause 3.2 excludes …")
        self.reason.setAccessibleName("reason for refusing")
        self.reason.setToolTip("Why the request, or part of it, should not be met")
        self.reason.textEdited.connect(lambda text: self._decide(self._decision(), text, merge=True))
        row.addWidget(self.reason, 1)
        layout.addLayout(row)
        terms = QHBoxLayout()
        terms.addWidget(QLabel("Purpose:"))
        self.purpose = QComboBox()
        self.purpose.setToolTip("The purpose this share serves; the agreement lists the purposes it permits")
        self.purpose.addItem("(not stated)", "")
        purposes = list(self.agreement.purposes) if self.agreement else []
        if self.exercise.purpose not in purposes:
            purposes.append(self.exercise.purpose)
        for purpose in purposes:
            allowed = self.agreement is not None and purpose in self.agreement.purposes
            self.purpose.addItem(purpose.replace("_", " ") + ("" if allowed else "  (not in the agreement)"), purpose)
        self.purpose.currentIndexChanged.connect(
            lambda _: self._set("purpose", self.purpose.currentData() or "", "set purpose"))
        terms.addWidget(self.purpose, 1)
        self.destroy_on = QCheckBox("Destroy by")
        self.destroy_on.setToolTip("The date by which the recipient must destroy the data (the agreement's "
                                   "retention clause sets the longest allowed)")
        self.destroy_date = QDateEdit()
        self.destroy_date.setCalendarPopup(True)
        self.destroy_date.setDisplayFormat("yyyy-MM-dd")
        self.destroy_date.setAccessibleName("destroy-by date")
        self.destroy_date.setToolTip("Destroy-by date")
        self.destroy_on.toggled.connect(lambda _: self._destroy_changed())
        self.destroy_date.editingFinished.connect(self._destroy_changed)
        terms.addWidget(self.destroy_on)
        terms.addWidget(self.destroy_date)
        layout.addLayout(terms)
        flags = QHBoxLayout()
        self.deidentified = QCheckBox("Release as de-identified data")
        self.deidentified.setToolTip("Say the extract is de-identified: the HIPAA Safe Harbor rules then apply")
        self.deidentified.toggled.connect(lambda on: self._set("deidentified", on, "de-identified"))
        self.notice = QCheckBox("Attach the re-disclosure notice")
        self.notice.setToolTip("Tell the recipient in writing not to pass the data on (needed for some records)")
        self.notice.toggled.connect(lambda on: self._set("redisclosure_notice", on, "re-disclosure notice"))
        flags.addWidget(self.deidentified)
        flags.addWidget(self.notice)
        flags.addStretch(1)
        layout.addLayout(flags)
        return box

    def _aggregate_box(self) -> QGroupBox:
        box = QGroupBox("Publish counts instead of records")
        box.setCheckable(True)
        box.setChecked(False)
        box.setToolTip("Share a table of counts by the fields you choose, with small counts hidden")
        box.toggled.connect(self._aggregate_toggled)
        layout = QFormLayout(box)
        self.group_by = QListWidget()
        self.group_by.setToolTip("Count records by these shared fields")
        self.group_by.setMaximumHeight(110)
        self.group_by.itemChanged.connect(lambda _: self._aggregate_changed())
        layout.addRow("Count by:", self.group_by)
        self.min_cell = QSpinBox()
        self.min_cell.setRange(1, 1000)
        self.min_cell.setValue(self.agreement.min_cell_size if self.agreement else 11)
        self.min_cell.setToolTip("Counts below this are hidden (and enough others so they cannot be worked out)")
        self.min_cell.editingFinished.connect(self._aggregate_changed)
        layout.addRow("Hide counts below:", self.min_cell)
        self.aggregate_box = box
        return box

    # ------------------------------------------------------------------------------------- sync

    def sync(self, doc) -> None:
        decision = getattr(doc, "decision", "share") or "share"
        if decision != "share":
            self._pending_decision = None
        shown = self._pending_decision or decision
        for radio in (self.share_radio, self.refuse_radio, self.partial_radio):
            radio.blockSignals(True)
            radio.setChecked(radio.property("decision") == shown)
            radio.blockSignals(False)
        reason = getattr(doc, "reason", "") or ""
        if self.reason.text() != reason and not self.reason.hasFocus() and self._pending_decision is None:
            self.reason.setText(reason)
        self.reason.setEnabled(shown != "share")
        refusing = decision == "refuse"
        for widget in (self.tables_label, self.aggregate_box, *self.sections.values()):
            widget.setEnabled(not refusing)
        self.purpose.blockSignals(True)
        self.purpose.setCurrentIndex(max(0, self.purpose.findData(doc.purpose or "")))
        self.purpose.blockSignals(False)
        for widget, value in ((self.deidentified, doc.deidentified), (self.notice, doc.redisclosure_notice),
                              (self.destroy_on, doc.destroy_by is not None)):
            widget.blockSignals(True)
            widget.setChecked(bool(value))
            widget.blockSignals(False)
        self.destroy_date.blockSignals(True)
        day = doc.destroy_by or (dt.date.today() + dt.timedelta(days=30))
        self.destroy_date.setDate(QDate(day.year, day.month, day.day))
        self.destroy_date.setEnabled(doc.destroy_by is not None)
        self.destroy_date.blockSignals(False)
        by_table = {t.table: t for t in doc.tables}
        for table, section in self.sections.items():
            section.sync(by_table.get(table), self.highlighted)
        self._sync_aggregate(doc)

    def _sync_aggregate(self, doc) -> None:
        agg = doc.aggregate
        self.aggregate_box.blockSignals(True)
        self.aggregate_box.setChecked(agg is not None)
        self.aggregate_box.blockSignals(False)
        names = [name for t in doc.tables for name, op in t.fields.items() if op.op != "drop"]
        chosen = set(agg.group_by) if agg is not None else set()
        self.group_by.blockSignals(True)
        self.group_by.clear()
        for name in dict.fromkeys(names):
            item = QListWidgetItem(name)
            item.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            item.setCheckState(Qt.CheckState.Checked if name in chosen else Qt.CheckState.Unchecked)
            self.group_by.addItem(item)
        self.group_by.blockSignals(False)
        if agg is not None and agg.min_cell_size is not None:
            self.min_cell.setValue(agg.min_cell_size)

    def highlight_fields(self, fields: list[str] | set[str]) -> None:
        """Mark the rows of these fields (a score report finding points at them)."""
        self.highlighted = set(fields)
        self.sync(self.editor.document)
        for section in self.sections.values():
            row = next((section._row_of[f] for f in self.highlighted if f in section._row_of), None)
            if row is not None and section.isChecked():
                self.ensureWidgetVisible(section.grid)
                section.grid.scrollToItem(section.grid.item(row, COL_FIELD))
                break

    # ---------------------------------------------------------------------------------- edits

    def _apply(self, edit: dict, text: str, merge_key: str | None = None) -> bool:
        try:
            self.editor.edit(edit, text, merge_key)
        except ShareError as err:
            self.problem.emit(str(err))
            self.sync(self.editor.document)  # put the controls back as the document is
            return False
        return True

    def set_table(self, table: str, on: bool) -> bool:
        return self._apply({"edit": "add_table" if on else "remove_table", "table": table},
                           f"{'share' if on else 'stop sharing'} {table}")

    def set_field(self, table: str, name: str, op: str, params: dict) -> bool:
        return self._apply({"edit": "set_field", "table": table, "field": name, "op": {"op": op, **params}},
                           f"{name}: {op.replace('_', ' ')}")

    def remove_field(self, table: str, name: str) -> bool:
        return self._apply({"edit": "remove_field", "table": table, "field": name}, f"stop sharing {name}")

    def set_where(self, table: str, where: str | None) -> bool:
        return self._apply({"edit": "set_where", "table": table, "where": where}, f"filter {table}",
                           merge_key=f"where:{table}")

    def _set(self, key: str, value, text: str) -> None:
        self._apply({"edit": "set", "key": key, "value": value}, text)

    def _destroy_changed(self) -> None:
        if self.destroy_on.isChecked():
            day = self.destroy_date.date()
            self._set("destroy_by", dt.date(day.year(), day.month(), day.day()).isoformat(), "destroy-by date")
        else:
            self._set("destroy_by", None, "no destroy-by date")

    def _decision(self) -> str:
        button = self.decision_group.checkedButton()
        return button.property("decision") if button is not None else "share"

    def _decide(self, decision: str, reason: str | None = None, merge: bool = False) -> None:
        reason = self.reason.text() if reason is None else reason
        if decision != "share" and not reason.strip():
            # A refusal is recorded with its reason: hold the choice and ask for the reason first.
            self._pending_decision = decision
            if getattr(self.editor.document, "decision", "share") != "share":
                self._apply({"edit": "set_decision", "decision": "share", "reason": ""}, "share",
                            merge_key="reason" if merge else None)
            self.sync(self.editor.document)
            self.reason.setFocus()
            self.problem.emit("Say why you refuse (cite the clause or law); the refusal is recorded with its reason.")
            return
        self._pending_decision = None
        self._apply({"edit": "set_decision", "decision": decision, "reason": reason if decision != "share" else ""},
                    "refuse" if decision != "share" else "share", merge_key="reason" if merge else None)

    def _aggregate_toggled(self, on: bool) -> None:
        if not on:
            self._apply({"edit": "set_aggregate", "aggregate": None}, "publish records")
            return
        names = [name for t in self.editor.document.tables for name, op in t.fields.items() if op.op != "drop"]
        if not names:
            self.problem.emit("Tick the fields to count by first, then choose to publish counts.")
            self.sync(self.editor.document)
            return
        self._apply({"edit": "set_aggregate", "aggregate": {"group_by": names[:1], "measures": [{"op": "count"}],
                                                            "min_cell_size": self.min_cell.value()}},
                    "publish counts")

    def _aggregate_changed(self) -> None:
        if not self.aggregate_box.isChecked():
            return
        chosen = [self.group_by.item(i).text() for i in range(self.group_by.count())
                  if self.group_by.item(i).checkState() == Qt.CheckState.Checked]
        current = self.editor.document.aggregate
        measures = [m.model_dump(exclude_none=True) for m in current.measures] if current else [{"op": "count"}]
        self._apply({"edit": "set_aggregate", "aggregate": {"group_by": chosen, "measures": measures,
                                                            "min_cell_size": self.min_cell.value()}},
                    "count by " + ", ".join(chosen))
