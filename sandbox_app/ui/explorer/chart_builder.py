"""The chart builder: pick a table or the console's result, x, y and an aggregation; SQL computes the
points (charts.py) and matplotlib draws and rasterises them, both off the GUI thread (a chart takes
100-300 ms to draw); the picture is shown scaled to fit; save as PNG or SVG (also on a worker)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sandbox_app.errors import SandboxError
from sandbox_app.explore.catalog import Catalog
from sandbox_app.explore.charts import AGGREGATIONS, KINDS, ChartData, ChartSpec, chart_data
from sandbox_app.ui.common.chart_image import RenderedChart, WorkerChart
from sandbox_app.ui.common.tasks import TaskRunner

QUERY_SOURCE = "(the console's last query)"
ROWS = "(rows)"
KIND_NAMES = {"bar": "Bar", "line": "Line", "histogram": "Histogram", "scatter": "Scatter",
              "map": "Map (groups at their mean coordinates)"}
COLOUR, EDGE = "#3b6ea5", "#1f3f66"


def plot_chart(ax, data: ChartData) -> None:
    """Draw `data` on `ax` (no Qt: runs on the worker, in chart_image.WorkerChart)."""
    labels = ["(missing)" if v is None else str(v) for v in data.x]
    values = [0 if v is None else v for v in data.y]
    kind = data.spec.kind
    if kind == "bar":
        ax.bar(range(len(values)), values, color=COLOUR)
        ax.set_xticks(range(len(values)), labels, rotation=45, ha="right", fontsize=8)
    elif kind == "line":
        numeric = all(isinstance(v, int | float) for v in data.x)
        ax.plot(data.x if numeric else range(len(values)), values, marker="o", markersize=3, color=COLOUR)
        if not numeric:
            step = max(1, len(labels) // 20)
            ax.set_xticks(range(0, len(labels), step), labels[::step], rotation=45, ha="right", fontsize=8)
    elif kind == "histogram":
        ax.bar(data.x, values, width=data.bin_width, align="edge", color=COLOUR, edgecolor="white")
    elif kind == "map":
        biggest = max(values or [1])
        lats, lons = [p[0] for p in data.places], [p[1] for p in data.places]
        ax.scatter(lons, lats, s=[30 + 600 * v / biggest for v in values], alpha=0.5, color=COLOUR, edgecolor=EDGE)
        for label, lat, lon in zip(labels[:30], lats[:30], lons[:30], strict=False):
            ax.annotate(label, (lon, lat), fontsize=7, ha="center", va="center")
        ax.set_aspect("equal", adjustable="datalim")
    else:
        ax.scatter(data.x, values, s=6, alpha=0.6, color=COLOUR)
    ax.set_xlabel("longitude" if kind == "map" else data.x_label)
    ax.set_ylabel("latitude" if kind == "map" else data.y_label)
    source = "query result" if data.spec.source_is_query else data.spec.source
    title = f"{data.y_label} by {data.x_label} ({source})" if kind in ("bar", "line", "map") else \
        f"{data.x_label} ({source})"
    ax.set_title(title[:1].upper() + title[1:], fontsize=10)


class ChartBuilder(QWidget):
    """Draws one chart at a time; `drawn(ChartData)` after each."""

    def __init__(self, catalog: Catalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.query_sql = ""
        self.query_columns: list[str] = []
        self.data: ChartData | None = None
        self.picture = WorkerChart(self)
        self.picture.show_text("No chart yet.")
        self.picture.drawn.connect(self._plot)
        self.picture.failed.connect(self._failed)
        self.worker = self.picture.runner
        self.saver = TaskRunner(self)
        self.saver.finished.connect(lambda path: self.message.setText(f"Saved {path}"))
        self.saver.failed.connect(self._failed)
        self.source = QComboBox(self)
        self.source.addItems([t.name for t in catalog.tables])
        self.source.currentIndexChanged.connect(self._source_changed)
        self.kind = QComboBox(self)
        for kind in KINDS:
            self.kind.addItem(KIND_NAMES[kind], kind)
        self.x = QComboBox(self)
        self.y = QComboBox(self)
        self.aggregation = QComboBox(self)
        self.aggregation.addItems(list(AGGREGATIONS))
        self.draw_button = QPushButton("Draw", self)
        self.draw_button.clicked.connect(self.draw)
        self.save_button = QPushButton("Save…", self)
        self.save_button.setToolTip("Save the chart as PNG or SVG")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self._save_dialog)
        self.message = QLabel("Choose what to plot, then Draw. Values are aggregated in SQL.", self)
        self.message.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Data", self.source)
        form.addRow("Chart", self.kind)
        form.addRow("X (group by)", self.x)
        form.addRow("Y", self.y)
        form.addRow("Aggregation", self.aggregation)
        buttons = QHBoxLayout()
        buttons.addWidget(self.draw_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        side = QVBoxLayout()
        side.addLayout(form)
        side.addLayout(buttons)
        side.addWidget(self.message)
        side.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addLayout(side)
        layout.addWidget(self.picture, 1)
        self._source_changed()

    def set_query(self, sql: str, columns: list[str]) -> None:
        """Offer the console's result as a source."""
        self.query_sql, self.query_columns = sql, list(columns)
        if self.source.findText(QUERY_SOURCE) < 0:
            self.source.addItem(QUERY_SOURCE)
        if self.source.currentText() == QUERY_SOURCE:
            self._source_changed()

    def _columns(self) -> list[str]:
        if self.source.currentText() == QUERY_SOURCE:
            return self.query_columns
        name = self.source.currentText()
        return [c.name for c in self.catalog.table(name).columns] if name else []

    def _source_changed(self) -> None:
        columns = self._columns()
        self.x.clear()
        self.x.addItems(columns)
        self.y.clear()
        self.y.addItems([ROWS, *columns])

    def _coordinates(self) -> tuple[str, str] | None:
        """The source's latitude and longitude columns (by the dictionary's semantic, or named lat/lon)."""
        if self.source.currentText() == QUERY_SOURCE:
            names = set(self.query_columns)
            return ("lat", "lon") if {"lat", "lon"} <= names else None
        name = self.source.currentText()
        if not name:
            return None
        by_semantic = {c.semantic: c.name for c in self.catalog.table(name).columns}
        return (by_semantic["lat"], by_semantic["lon"]) if {"lat", "lon"} <= set(by_semantic) else None

    def spec(self) -> ChartSpec:
        is_query = self.source.currentText() == QUERY_SOURCE
        y = None if self.y.currentText() in ("", ROWS) else self.y.currentText()
        lat, lon = self._coordinates() or ("lat", "lon")
        return ChartSpec(self.query_sql if is_query else self.source.currentText(), self.x.currentText(), y,
                         self.aggregation.currentText(), self.kind.currentData(), source_is_query=is_query,
                         lat=lat, lon=lon)

    def draw(self) -> None:
        spec = self.spec()
        if not spec.x:
            self.message.setText("Choose an x column first.")
            return
        if spec.kind == "map" and self._coordinates() is None:
            self.message.setText("A map needs coordinates: choose a table with latitude and longitude "
                                 "(or a query with lat and lon columns).")
            return
        path, facilitator = self.catalog.path, self.catalog.facilitator
        self.message.setText("Computing…")
        self.picture.plot(plot_chart, lambda state: chart_data(path, spec, facilitator=facilitator, state=state))

    def _failed(self, message: str) -> None:
        self.message.setText(message)

    @property
    def chart(self) -> RenderedChart | None:
        return self.picture.chart

    @property
    def figure(self):
        """The last chart's matplotlib figure (None before the first)."""
        return self.picture.chart.figure if self.picture.chart is not None else None

    @property
    def axes(self):
        """The last chart's axes (tests read the bars and points back from it)."""
        return self.picture.axes

    def _plot(self, data: ChartData, _chart: RenderedChart) -> None:
        self.data = data
        self.save_button.setEnabled(True)
        kind = data.spec.kind
        self.message.setText(f"{len(data.y):,} {dict(bar='bars', histogram='bins', map='places').get(kind, 'points')}"
                             + (f"; {data.note}" if data.note else "") + ".")

    def save(self, path: str | Path) -> Path:
        """Save the last chart; the format follows the suffix (.png or .svg; anything else becomes .png)."""
        return save_figure(self.figure, path)

    def _save_dialog(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Save chart", "chart.png", "PNG image (*.png);;SVG image (*.svg)")
        if name and self.figure is not None:
            figure = self.figure
            self.message.setText("Saving…")
            self.saver.start(lambda _state: save_figure(figure, name))

    def shutdown(self) -> None:
        self.picture.shutdown()
        self.saver.shutdown()


def save_figure(figure, path: str | Path) -> Path:
    """Write `figure` as PNG or SVG by the suffix (anything else becomes .png); a failure is one sentence."""
    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg"):
        path = path.with_suffix(".png")
    try:
        figure.savefig(path, dpi=150)
    except OSError as err:
        raise SandboxError(f"Could not save the chart to {path}: {err.strerror or err}.") from None
    return path
