"""The studio's look at a generated city: row counts with each table's first rows, and four charts.

Tabs: "Tables" (row counts; pick a table to page through its rows, read off the GUI thread by the shared
paged model) and one tab per chart of city_charts.py. The profile is computed on the worker (studio_tasks.
generate_look), and so are the charts: each is drawn and rasterised there (100-300 ms a chart, too long
for the GUI thread), and shown here as a picture scaled to its tab (ChartImage).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QLabel,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from sandbox_app.ui.common.chart_image import ChartImage, picture_size
from sandbox_app.ui.common.paged_table import PagedTableView
from sandbox_app.ui.studio.check_model import RowsModel, rows_view

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
        self.counts_view = rows_view(self.counts_model, 1, self)
        self.counts_view.setObjectName("rowCounts")
        self.counts_view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
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
        self.canvases: dict[str, ChartImage] = {}
        self._drawn: dict[str, object] = {}  # chart -> what its draw function returned (bar containers)
        self.explanations: dict[str, QLabel] = {}
        for key, (label, explanation) in CHART_TABS.items():
            page = QWidget(self)
            layout = QVBoxLayout(page)
            layout.setContentsMargins(4, 4, 4, 4)
            words = QLabel(explanation, page)
            words.setWordWrap(True)
            self.explanations[key] = words
            canvas = ChartImage(page)
            canvas.setObjectName(f"chart-{key}")
            canvas.setAccessibleName(f"{label} chart")
            layout.addWidget(words)
            layout.addWidget(canvas, 1)
            self.canvases[key] = canvas
            self.tabs.addTab(page, label)
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
        for key, canvas in self.canvases.items():
            canvas.show_text(WAITING)
            self._drawn[key] = None

    def show_look(self, look) -> None:
        """Show a finished Generate's counts and the charts drawn on the worker."""
        self.look = look
        self.counts_model.set_rows([(c.table, c.department, c.rows) for c in look.counts])
        self.preview.show()
        for key, chart in look.charts.items():
            self.canvases[key].show_chart(chart)
            self._drawn[key] = chart.drawn
        if look.profile.notes:  # what could not be measured belongs beside the defects
            self.explanations["defects"].setText(" ".join([CHART_TABS["defects"][1], *look.profile.notes]))
        if look.profile.age_note:
            self.explanations["ages"].setText(f"{CHART_TABS['ages'][1]} {look.profile.age_note}")
        if look.counts:
            self.counts_view.selectRow(0)

    def chart_size(self) -> tuple[int, int]:
        """The pixels a chart should be drawn at to fill its tab now (before the tab was ever laid out: the
        Generate pane's likely size), times the screen's pixel ratio so text stays sharp."""
        return picture_size(self, margin=(16, 110))  # the tab bars and the sentence above a chart

    def chart(self, key: str):
        """The chart's bar containers (what city_charts returned); None before a Generate or when the chart
        has nothing to show."""
        return self._drawn.get(key)

    def _preview(self, row: int) -> None:
        if self.look is None or not (0 <= row < len(self.look.counts)):
            return
        count = self.look.counts[row]
        self.preview.open(self.look.db_path, count.table, known_rows=count.rows,
                          label=f"{count.table} ({count.department})")

    def shutdown(self) -> None:
        self.preview.shutdown()
