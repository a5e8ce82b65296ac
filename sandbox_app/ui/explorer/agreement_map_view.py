"""The city's agreement map: departments around a circle, each agreement a box joined to its parties,
labelled with the purposes it allows and the categories it excludes; read and drawn on a worker."""

from __future__ import annotations

import math
import textwrap

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from sandbox_app.explore.catalog import Catalog
from sandbox_app.explore.journey import agreement_map
from sandbox_app.ui.common.chart_image import WorkerChart


def draw_agreement_map(ax, city_map) -> dict[str, tuple[float, float]]:
    """Departments around a circle, each agreement a box joined to its parties (no Qt: runs on the worker).
    Returns each department's position."""
    ax.set_axis_off()
    departments = list(city_map.departments)
    n = max(len(departments), 1)
    positions = {d: (math.cos(math.pi / 2 - 2 * math.pi * i / n), math.sin(math.pi / 2 - 2 * math.pi * i / n))
                 for i, d in enumerate(departments)}
    hubs = len(city_map.agreements)
    for k, agreement in enumerate(city_map.agreements):
        hub = (0.0, 0.25 * (k - (hubs - 1) / 2))
        for party in agreement.parties:
            x, y = positions.get(party, (0, 0))
            ax.plot([hub[0], x], [hub[1], y], color="#3b6ea5", linewidth=1.5, zorder=1)
        lines = textwrap.wrap(agreement.title, 40) + [""]
        lines += textwrap.wrap("For: " + ", ".join(p.replace("_", " ") for p in agreement.purposes), 40)
        if agreement.prohibited_categories:
            lines += textwrap.wrap("Never: " + ", ".join(c.replace("_", " ")
                                                         for c in agreement.prohibited_categories), 40)
        ax.text(*hub, "\n".join(lines), ha="center", va="center", fontsize=7, zorder=3,
                bbox=dict(boxstyle="round", facecolor="#eef3fa", edgecolor="#3b6ea5"))
    for dept, (x, y) in positions.items():
        covered = any(dept in a.parties for a in city_map.agreements)
        ax.text(x, y, "\n".join(textwrap.wrap(city_map.departments[dept], 18)), ha="center", va="center",
                fontsize=8, zorder=3, bbox=dict(boxstyle="round", facecolor="#ffffff" if covered else "#f4f4f4",
                                                edgecolor="#333333" if covered else "#999999"))
    ax.set_xlim(-1.45, 1.45)
    ax.set_ylim(-1.3, 1.3)
    return positions


class AgreementMapView(QWidget):
    def __init__(self, catalog: Catalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.map = None
        self.picture = WorkerChart(self, fallback=(800, 600))
        self.picture.drawn.connect(self._drawn)
        self.picture.failed.connect(lambda text: self.note.setText(text))
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.picture, 1)
        layout.addWidget(self.note)
        self.positions: dict[str, tuple[float, float]] = {}
        self.note.setText("Reading the scenario's agreements…")

    @property
    def axes(self):
        """The drawn map's axes (tests read its labels back); None before it is drawn."""
        return self.picture.axes

    def draw(self) -> None:
        """Read the agreements and draw the map, on the worker (call once the catalogue's names are in)."""
        catalog = self.catalog
        self.picture.plot(draw_agreement_map, lambda _state: agreement_map(catalog))

    def _drawn(self, city_map, chart) -> None:
        self.map, self.positions = city_map, chart.drawn
        departments = list(city_map.departments)
        alone = [city_map.departments[d] for d in departments if not any(d in a.parties for a in city_map.agreements)]
        text = f"{len(city_map.agreements)} agreement{'s' if len(city_map.agreements) != 1 else ''} between " \
               f"{len(departments)} departments."
        if alone:
            text += f" No agreement covers {', '.join(alone)}: their records stay with them."
        if not city_map.agreements:
            text = "This city's scenario is not a built-in one, so its agreements are not known here."
        self.note.setText(text)

    def shutdown(self) -> None:
        self.picture.shutdown()
