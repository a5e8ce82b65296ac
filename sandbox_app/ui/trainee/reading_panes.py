"""What a trainee reads before deciding: the brief, the agreement, and a catalog of the holding department.

Only what the requesting department and the agreement would show a real records officer appears here: the
exercise's `needs`, its model and known-bad answers and their lessons, ground truth and the pseudonym key
never do (the trainee view is built from `TraineeBrief`, which carries nothing else).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from sandbox_app.ui.common.badges import SENSITIVITY, category_text
from sandbox_app.ui.common.frame_model import FrameModel

SAMPLE_ROWS = 50
_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


@dataclass(frozen=True)
class TraineeBrief:
    """The parts of an exercise a trainee may see (never needs, answers, lessons or ground truth)."""

    id: str
    title: str
    brief: str
    requesting_department: str
    holding_department: str
    agreement: str
    purpose: str
    purpose_text: str

    @classmethod
    def of(cls, exercise) -> TraineeBrief:
        return cls(exercise.id, exercise.title, exercise.brief, exercise.requesting_department,
                   exercise.holding_department, exercise.agreement, exercise.purpose, exercise.purpose_text)


def department_name(scenario, department_id: str) -> str:
    department = scenario.department(department_id)
    return getattr(department, "name", None) or department_id


def email_html(text: str) -> str:
    """An e-mail as paragraphs: header lines ("From: …") keep their breaks, wrapped body lines are joined."""
    paragraphs = []
    for block in text.strip().split("\n\n"):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        header = all(":" in line.split(" ")[0] for line in lines)
        joined = "<br>".join(html.escape(line) for line in lines) if header else html.escape(" ".join(lines))
        paragraphs.append(f"<p>{joined}</p>")
    return "".join(paragraphs)


def brief_html(scenario, brief: TraineeBrief) -> str:
    text = email_html(brief.brief)
    header = ""
    if not brief.brief.lstrip().lower().startswith("from:"):
        header = (f"<b>From:</b> {html.escape(department_name(scenario, brief.requesting_department))}<br>"
                  f"<b>To:</b> {html.escape(department_name(scenario, brief.holding_department))} (you)<br>")
    return (f"<h3>{html.escape(brief.title)}</h3>"
            f"<p>{header}<b>Governed by:</b> <a href='agreement:'>the agreement</a> ({html.escape(brief.agreement)}). "
            f"You answer for {html.escape(department_name(scenario, brief.holding_department))}.</p>"
            f"{text}")


def agreement_html(scenario, agreement, highlight: str | None = None) -> str:
    if agreement is None:
        return "<p>No agreement governs this request.</p>"
    parties = ", ".join(html.escape(department_name(scenario, p)) for p in agreement.parties)
    purposes = ", ".join(html.escape(p.replace("_", " ")) for p in agreement.purposes) or "none listed"
    out = [f"<h3>{html.escape(agreement.title)}</h3>",
           f"<p><b>Parties:</b> {parties}<br><b>Legal basis:</b> {html.escape(agreement.legal_basis or '—')}<br>"
           f"<b>Permitted purposes:</b> {purposes}<br>"
           f"<b>Release:</b> {html.escape(agreement.release)} · smallest group k = {agreement.k} · "
           f"smallest published count {agreement.min_cell_size} · keep at most {agreement.retention_days} days</p>"]
    if agreement.prohibited_categories:
        out.append("<p><b>Excluded:</b> " + ", ".join(html.escape(category_text(c))
                                                     for c in agreement.prohibited_categories) + "</p>")
    for clause in agreement.clauses:
        text = html.escape(clause.text)
        anchor = f"<a name='clause-{html.escape(clause.id)}'></a>"
        if highlight is not None and clause.id == highlight:
            out.append(f"{anchor}<p style='background-color: palette(highlight); color: palette(highlighted-text);'>"
                       f"<b>▶ {html.escape(clause.id)}</b> {text}</p>")
        else:
            out.append(f"{anchor}<p><b>{html.escape(clause.id)}</b> {text}</p>")
    return "\n".join(out)


class BriefPane(QTextBrowser):
    agreement_requested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.anchorClicked.connect(lambda url: self.agreement_requested.emit())
        self.setAccessibleName("request brief")

    def show_brief(self, scenario, brief: TraineeBrief) -> None:
        self.setHtml(brief_html(scenario, brief))


class AgreementPane(QTextBrowser):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setAccessibleName("agreement")
        self._scenario = self._agreement = None

    def show_agreement(self, scenario, agreement, highlight: str | None = None) -> None:
        self._scenario, self._agreement = scenario, agreement
        self.setHtml(agreement_html(scenario, agreement, highlight))
        if highlight:
            self.scrollToAnchor(f"clause-{highlight}")


class DictionaryModel(QAbstractTableModel):
    """The data dictionary of one table: field, sensitivity (word), category, description."""

    HEADERS = ["Field", "Sensitivity", "What it is", "Description"]

    def __init__(self, rows: list[dict] | None = None, parent=None) -> None:
        super().__init__(parent)
        self._rows = rows or []

    def set_rows(self, rows: list[dict]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def rowCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        level = str(row.get("sensitivity") or "")
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return [str(row.get("column_name", "")), SENSITIVITY.get(level, (level or "—",))[0],
                    category_text(str(row.get("category") or "")), str(row.get("description") or "")][index.column()]
        if role == Qt.ItemDataRole.BackgroundRole and index.column() == 1 and level in SENSITIVITY:
            from PySide6.QtGui import QBrush, QColor

            return QBrush(QColor(SENSITIVITY[level][1]))
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 1 and level in SENSITIVITY:
            from PySide6.QtGui import QBrush, QColor

            return QBrush(QColor(SENSITIVITY[level][2]))
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal and section < 4:
            return self.HEADERS[section]
        return None


class CatalogPane(QWidget):
    """The holding department's tables: records, each field's description and sensitivity, sample rows."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel("Table:"))
        self.table_box = QComboBox()
        self.table_box.setToolTip("A table the holding department keeps")
        self.table_box.currentIndexChanged.connect(self._show_table)
        row.addWidget(self.table_box, 1)
        layout.addLayout(row)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        split = QSplitter(Qt.Orientation.Vertical)
        self.dictionary = DictionaryModel()
        self.dictionary_view = QTableView()
        self.dictionary_view.setModel(self.dictionary)
        self.dictionary_view.verticalHeader().hide()
        self.dictionary_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.dictionary_view.horizontalHeader().setStretchLastSection(True)
        split.addWidget(self.dictionary_view)
        box = QWidget()
        inner = QVBoxLayout(box)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(QLabel(f"A sample of real rows (the first {SAMPLE_ROWS}):"))
        self.sample = FrameModel()
        self.sample_view = QTableView()
        self.sample_view.setModel(self.sample)
        self.sample_view.verticalHeader().setDefaultSectionSize(22)
        inner.addWidget(self.sample_view)
        split.addWidget(box)
        layout.addWidget(split, 1)
        self._db = None
        self._counts: dict[str, int] = {}

    def show_department(self, db, department: str, row_counts: dict[str, int]) -> None:
        self._db, self._counts = db, row_counts
        tables = [t for t in db.tables() if db.department_of(t) == department]
        self.table_box.blockSignals(True)
        self.table_box.clear()
        for table in tables:
            self.table_box.addItem(table, table)
        self.table_box.blockSignals(False)
        self._show_table()

    def _show_table(self) -> None:
        table = self.table_box.currentData()
        if self._db is None or table is None:
            return
        info = self._db.dictionary
        rows = info[info["table_name"] == table].to_dict("records")
        self.dictionary.set_rows(rows)
        count = self._counts.get(table)
        self.summary.setText(f"<b>{table}</b>: {count:,} records, {len(rows)} fields." if count is not None
                             else f"<b>{table}</b>: {len(rows)} fields.")
        frame = self._db.read_table(table).head(SAMPLE_ROWS)
        self.sample.set_frame(frame.drop(columns=[c for c in frame.columns if c.startswith("_")]))
