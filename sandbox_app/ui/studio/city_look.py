"""The studio's look at a generated city: row counts with each table's first rows, and four charts.

Tabs: "Tables" (row counts; pick a table to page through its rows, read off the GUI thread by the shared
paged model) and one tab per chart of city_charts.py. The profile is computed on the worker (studio_tasks.
generate_look); here it is only drawn, on the GUI thread, into matplotlib canvases. A chart is built and
rendered when its tab is first shown after a Generate (each takes 50-300 ms), never all four at once.
"""

from __future__ import annotations

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QLabel, QSplitter, QTableView, QTabWidget, QVBoxLayout, QWidget

from sandbox_app.ui.common.paged_table import PagedTableView
from sandbox_app.ui.studio.check_model import RowsModel
from sandbox_app.ui.studio.city_charts import CHARTS

CHART_TABS = {"departments": ("Departments", "How many departments hold a record about each resident: the "
                                             "people a linkage exercise can find in two places or more."),
              "defects": ("Defects", "What the departments got wrong, found by comparing every record with the "
                                     "answer key; the black ticks are what the scenario asks for."),
              "ages": ("Ages", "Residents by age band and sex, at the scenario's reference date."),
              "neighbourhoods": ("Neighbourhoods", "Residents per neighbourhood: small ones make small counts "
                                                   "that trainees must not publish.")}
WAITING = "Generate the city to see this chart."


class CityLookView(QWidget):
    """Row counts, first rows and the city's charts; `show_look(CityLook)` after a Generate, `clear()` on open."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counts_model = RowsModel(["Table", "Department", "Rows"], self)
        self.counts_view = QTableView(self)
        self.counts_view.setObjectName("rowCounts")
        self.counts_view.setModel(self.counts_model)
        self.counts_view.setWordWrap(False)
        self.counts_view.setAlternatingRowColors(True)
        self.counts_view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.counts_view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.counts_view.verticalHeader().hide()
        self.counts_view.verticalHeader().setDefaultSectionSize(self.counts_view.fontMetrics().height() + 8)
        header = self.counts_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.counts_view.selectionModel().currentRowChanged.connect(lambda current, _old: self._preview(current.row()))
        self.preview = PagedTableView(self)
        self.preview.status.setText("Pick a table above to see its first rows.")
        tables = QSplitter(Qt.Orientation.Vertical, self)
        tables.addWidget(self.counts_view)
        tables.addWidget(self.preview)
        tables.setStretchFactor(0, 2)
        tables.setStretchFactor(1, 3)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("cityLookTabs")
        self.tabs.addTab(tables, "Tables")
        self.figures: dict[str, Figure] = {}
        self.canvases: dict[str, FigureCanvasQTAgg] = {}
        self._drawn: dict[str, object] = {}  # chart -> what its draw function returned (bar containers)
        self._pending: set[str] = set()  # charts of the current look not built yet
        self._tab_keys = [None, *CHART_TABS]
        self.explanations: dict[str, QLabel] = {}
        for key, (label, explanation) in CHART_TABS.items():
            page = QWidget(self)
            layout = QVBoxLayout(page)
            layout.setContentsMargins(4, 4, 4, 4)
            words = QLabel(explanation, page)
            words.setWordWrap(True)
            self.explanations[key] = words
            figure = Figure(figsize=(5.4, 4.2), layout="constrained")
            canvas = FigureCanvasQTAgg(figure)
            canvas.setObjectName(f"chart-{key}")
            layout.addWidget(words)
            layout.addWidget(canvas, 1)
            self.figures[key], self.canvases[key] = figure, canvas
            self.tabs.addTab(page, label)
        self.tabs.currentChanged.connect(self._tab_shown)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self.look = None
        self.clear()

    def clear(self) -> None:
        """Back to the empty state: no counts, no preview, every chart saying how to get one."""
        self.look = None
        self.counts_model.set_rows([])
        self.preview.hide()  # it may still hold the previous city's rows
        for key, (_label, explanation) in CHART_TABS.items():
            self.explanations[key].setText(explanation)
        self._pending.clear()
        for key, figure in self.figures.items():
            figure.clear()
            figure.text(0.5, 0.5, WAITING, ha="center", va="center", color="#555")
            self._drawn[key] = None
            self.canvases[key].draw_idle()

    def show_look(self, look) -> None:
        """Show a finished Generate's counts; its charts are drawn as their tabs are shown."""
        self.look = look
        self.counts_model.set_rows([(c.table, c.department, c.rows) for c in look.counts])
        self.preview.show()
        self._pending = set(CHARTS)
        self._tab_shown(self.tabs.currentIndex())
        if look.profile.notes:  # what could not be measured belongs beside the defects
            self.explanations["defects"].setText(" ".join([CHART_TABS["defects"][1], *look.profile.notes]))
        if look.profile.age_note:
            self.explanations["ages"].setText(f"{CHART_TABS['ages'][1]} {look.profile.age_note}")
        if look.counts:
            self.counts_view.selectRow(0)

    def chart(self, key: str):
        """The chart's bar containers (what city_charts returned), drawing it first if it is pending; None
        before a Generate or when the chart has nothing to show."""
        if key in self._pending:
            self._pending.discard(key)
            figure = self.figures[key]
            figure.clear()
            self._drawn[key] = CHARTS[key](figure.add_subplot(), self.look.profile)
            self.canvases[key].draw_idle()
        return self._drawn[key]

    def _tab_shown(self, index: int) -> None:
        key = self._tab_keys[index] if 0 <= index < len(self._tab_keys) else None
        if key is not None:
            self.chart(key)

    def _preview(self, row: int) -> None:
        if self.look is None or not (0 <= row < len(self.look.counts)):
            return
        count = self.look.counts[row]
        self.preview.open(self.look.db_path, count.table, known_rows=count.rows,
                          label=f"{count.table} ({count.department})")

    def shutdown(self) -> None:
        self.preview.shutdown()
