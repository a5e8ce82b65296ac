"""The catalogue on screen: departments, their tables with row counts, every column with its sensitivity
badge (colour and word), a search box over names and descriptions, and the selected item's description."""

from __future__ import annotations

import datetime
import html

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QHeaderView, QLabel, QLineEdit, QTreeView, QVBoxLayout, QWidget

from sandbox_app.explore.catalog import Catalog, ColumnInfo, TableInfo
from sandbox_app.ui.common.badges import SENSITIVITY, category_text

TABLE_ROLE = Qt.ItemDataRole.UserRole + 1
COLUMN_ROLE = Qt.ItemDataRole.UserRole + 2
SENSITIVITY_TIPS = {
    "public": "public: may be published",
    "internal": "internal: city staff only",
    "confidential": "confidential: shared only under an agreement, for its purpose",
    "restricted": "restricted: identifies people or is sensitive (health, benefits); never shared as is"}


def badge_item(sensitivity: str) -> QStandardItem:
    """A tree cell that reads like the app's sensitivity badges (badges.SENSITIVITY): the word on its colour."""
    text, background, foreground = SENSITIVITY.get(sensitivity, (sensitivity, "", ""))
    item = QStandardItem(text)
    if sensitivity in SENSITIVITY:
        item.setBackground(QBrush(QColor(background)))
        item.setForeground(QBrush(QColor(foreground)))
        item.setToolTip(SENSITIVITY_TIPS[sensitivity])
    item.setEditable(False)
    return item


def _item(text: str, tip: str = "") -> QStandardItem:
    item = QStandardItem(text)
    item.setEditable(False)
    if tip:
        item.setToolTip(tip)
    return item


def rows_text(rows: int | None) -> str:
    return "?" if rows is None else f"{rows:,}"


def build_catalog_model(catalog: Catalog, search: str = "", model: QStandardItemModel | None = None
                        ) -> QStandardItemModel:
    """Departments -> tables -> columns; with `search`, only what matches (and the tables holding it)."""
    model = model or QStandardItemModel()
    model.clear()
    model.setHorizontalHeaderLabels(["Name", "Rows", "Sensitivity"])
    hits = catalog.search(search) if search.strip() else None
    table_hits = {h.table for h in hits if h.column is None} if hits is not None else set()
    column_hits = {(h.table, h.column) for h in hits if h.column} if hits is not None else set()
    bold = QFont()
    bold.setBold(True)
    for department, tables in catalog.departments().items():
        name = catalog.department_name(department, load=False)
        dept_item = _item(name, f"department id: {department}")
        dept_item.setFont(bold)
        for info in tables:
            if hits is not None and info.name not in table_hits and not any(t == info.name for t, _ in column_hits):
                continue
            table_item = _item(info.name, f"{info.name} ({department}): {rows_text(info.rows)} rows")
            table_item.setData(info.name, TABLE_ROLE)
            for column in info.columns:
                if hits is not None and info.name not in table_hits and (info.name, column.name) not in column_hits:
                    continue
                name = _item(column.name, column.description)
                name.setData(info.name, TABLE_ROLE)
                name.setData(column.name, COLUMN_ROLE)
                table_item.appendRow([name, _item(column.data_type), badge_item(column.sensitivity)])
            dept_item.appendRow([table_item, _item(rows_text(info.rows)), badge_item(info.sensitivity)])
        if dept_item.rowCount():
            model.appendRow([dept_item, _item(""), _item("")])
    return model


EXAMPLE_DAY = datetime.date(2026, 3, 9)


def describe(info: TableInfo, column: ColumnInfo | None, department: str = "") -> str:
    """Rich text for the details pane."""
    if column is None:
        return (f"<b>{html.escape(info.name)}</b>: held by <i>{html.escape(department or info.department)}</i>, "
                f"{rows_text(info.rows)} rows, {len(info.columns)} columns. Most sensitive column: "
                f"<b>{html.escape(info.sensitivity or 'not stated')}</b>.")
    extras = [f"type {column.data_type}"] if column.data_type else []
    if column.format:
        extras.append(f"written like {_example(column.format)}")
    if column.unit:
        extras.append(f"unit {column.unit}")
    sensitivity = SENSITIVITY_TIPS.get(column.sensitivity, column.sensitivity or "not stated")
    return (f"<b>{html.escape(info.name)}.{html.escape(column.name)}</b>: "
            f"{html.escape(column.description or 'no description')}<br>"
            f"{html.escape(', '.join(extras))}<br>category <i>{html.escape(category_text(column.category) if column.category else '-')}</i>; "
            f"{html.escape(sensitivity)}")


def _example(fmt: str) -> str:
    try:
        return f"{EXAMPLE_DAY.strftime(fmt)} (for 9 March 2026)"
    except ValueError:
        return fmt


class CatalogPanel(QWidget):
    """Emits `tableChosen(table)` when a table (or one of its columns) is selected."""

    tableChosen = Signal(str)

    def __init__(self, catalog: Catalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search tables, columns and descriptions")
        self.search.setClearButtonEnabled(True)
        self.model = QStandardItemModel(self)
        self.tree = QTreeView(self)
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.details = QLabel(self)
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setMinimumHeight(self.fontMetrics().height() * 4)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.details)
        self.tree.selectionModel().currentChanged.connect(self._current_changed)
        self._debounce = QTimer(self, singleShot=True, interval=120)
        self._debounce.timeout.connect(self.refresh)
        self.search.textChanged.connect(self._debounce.start)
        self._built_for: str | None = None
        self.refresh()

    def refresh(self, force: bool = False) -> None:
        """Rebuild the tree for the search text (unless it is the tree already shown)."""
        text = self.search.text()
        if not force and text == self._built_for:
            return
        self._built_for = text
        build_catalog_model(self.catalog, text, self.model)
        self.details.setText("")  # the tree is new: nothing is selected in it
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        for row in range(self.model.rowCount()):
            self.tree.expand(self.model.index(row, 0))
        if text.strip():
            self.tree.expandAll()
        if text.strip() and not self.model.rowCount():
            self.details.setText(f"Nothing matches “{html.escape(text.strip())}”.")

    def _current_changed(self, current, _previous) -> None:
        index = current.siblingAtColumn(0)
        table = index.data(TABLE_ROLE)
        if not table:
            return
        info = self.catalog.table(table)
        column = index.data(COLUMN_ROLE)
        self.details.setText(describe(info, info.column(column) if column else None,
                                      self.catalog.department_name(info.department, load=False)))
        self.tableChosen.emit(table)

    def select_table(self, table: str) -> None:
        for d in range(self.model.rowCount()):
            dept = self.model.item(d, 0)
            for t in range(dept.rowCount()):
                if dept.child(t, 0).data(TABLE_ROLE) == table:
                    self.tree.setCurrentIndex(dept.child(t, 0).index())
                    return
