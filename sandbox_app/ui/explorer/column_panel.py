"""The column panel beside the table: missing and different values, the most common values with counts,
and a small histogram for numbers, computed (explore/profile.py) and drawn off the GUI thread."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from sandbox_app.explore.profile import ColumnProfile, column_profile
from sandbox_app.ui.common.chart_image import WorkerChart
from sandbox_app.ui.common.tasks import TaskRunner


class ColumnPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile: ColumnProfile | None = None
        self.runner = TaskRunner(self)
        self.runner.finished.connect(self._show)
        self.runner.failed.connect(lambda text: self.summary.setText(html.escape(text)))
        self.title = QLabel("Click a cell to see its column here.", self)
        self.title.setWordWrap(True)
        self.summary = QLabel("", self)
        self.summary.setWordWrap(True)
        self.top = QLabel("", self)
        self.top.setTextFormat(Qt.TextFormat.RichText)
        self.top.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.canvas = WorkerChart(self, fallback=(260, 160))
        self.canvas.setMinimumHeight(140)
        self.canvas.drawn.connect(lambda _data, _chart: self.canvas.show())
        self.canvas.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(self.top)
        layout.addWidget(self.canvas)
        layout.addStretch(1)
        self.setMinimumWidth(220)

    def clear(self) -> None:
        """Back to the hint (another table is shown); a profile still being computed is dropped."""
        self.runner.cancel()
        self.canvas.cancel()
        self.profile = None
        self.title.setText("Click a cell to see its column here.")
        self.summary.setText("")
        self.top.setText("")
        self.canvas.hide()

    def show_column(self, db_path: str | Path, table: str, column: str, facilitator: bool = False) -> None:
        if self.profile is not None and (self.profile.table, self.profile.column) == (table, column):
            return
        self.title.setText(f"<b>{html.escape(column)}</b> <span style='color:#666'>in {html.escape(table)}</span>")
        self.summary.setText("Counting…")
        self.top.setText("")
        self.canvas.hide()
        self.canvas.cancel()
        self.profile = None
        self.runner.start(lambda state: column_profile(db_path, table, column, facilitator=facilitator,
                                                       state=state))

    def _show(self, profile: ColumnProfile) -> None:
        self.profile = profile
        self.summary.setText(html.escape(profile.summary()) + " <span style='color:#666'>(whole table)</span>")
        if profile.top:
            rows = "".join(f"<tr><td>{html.escape('(missing)' if v is None else str(v))[:40]}</td>"
                           f"<td align='right'>&nbsp;{n:,}</td></tr>" for v, n in profile.top)
            self.top.setText(f"<b>Most common</b><table>{rows}</table>")
        if profile.histogram is not None:
            self.canvas.plot(lambda ax, _data: draw_histogram(ax, *profile.histogram))

    def shutdown(self) -> None:
        self.runner.shutdown()
        self.canvas.shutdown()


def draw_histogram(ax, edges, counts, width) -> None:
    """The column's small histogram (no Qt: drawn on the worker)."""
    ax.bar(edges, counts, width=width, align="edge", color="#3b6ea5", edgecolor="white")
    ax.tick_params(labelsize=7)
