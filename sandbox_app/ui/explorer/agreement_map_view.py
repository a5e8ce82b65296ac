"""The city's agreement map: departments around a circle, each agreement a box joined to its parties,
labelled with the purposes it allows and the categories it excludes."""

from __future__ import annotations

import math
import textwrap
import warnings

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from sandbox_app.explore.catalog import Catalog
from sandbox_app.explore.journey import agreement_map


class AgreementMapView(QWidget):
    def __init__(self, catalog: Catalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.map = None
        self.figure = Figure(figsize=(8, 6))
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.axes = self.figure.add_subplot()
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.note)
        self.positions: dict[str, tuple[float, float]] = {}
        self.note.setText("Reading the scenario's agreements…")

    def draw(self) -> None:
        """Draw the map (reads the scenario if it has not been read: call once the catalogue's names are in)."""
        self.map = agreement_map(self.catalog)
        ax = self.axes
        ax.clear()
        ax.set_axis_off()
        departments = list(self.map.departments)
        n = max(len(departments), 1)
        self.positions = {d: (math.cos(math.pi / 2 - 2 * math.pi * i / n), math.sin(math.pi / 2 - 2 * math.pi * i / n))
                          for i, d in enumerate(departments)}
        hubs = len(self.map.agreements)
        for k, agreement in enumerate(self.map.agreements):
            hub = (0.0, 0.25 * (k - (hubs - 1) / 2))
            for party in agreement.parties:
                x, y = self.positions.get(party, (0, 0))
                ax.plot([hub[0], x], [hub[1], y], color="#3b6ea5", linewidth=1.5, zorder=1)
            lines = textwrap.wrap(agreement.title, 40) + [""]
            lines += textwrap.wrap("For: " + ", ".join(p.replace("_", " ") for p in agreement.purposes), 40)
            if agreement.prohibited_categories:
                lines += textwrap.wrap("Never: " + ", ".join(c.replace("_", " ")
                                                             for c in agreement.prohibited_categories), 40)
            label = "\n".join(lines)
            ax.text(*hub, label, ha="center", va="center", fontsize=7, zorder=3,
                    bbox=dict(boxstyle="round", facecolor="#eef3fa", edgecolor="#3b6ea5"))
        for dept, (x, y) in self.positions.items():
            covered = any(dept in a.parties for a in self.map.agreements)
            ax.text(x, y, "\n".join(textwrap.wrap(self.map.departments[dept], 18)), ha="center", va="center",
                    fontsize=8, zorder=3, bbox=dict(boxstyle="round", facecolor="#ffffff" if covered else "#f4f4f4",
                                                    edgecolor="#333333" if covered else "#999999"))
        ax.set_xlim(-1.45, 1.45)
        ax.set_ylim(-1.3, 1.3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            self.figure.tight_layout()
        self.canvas.draw_idle()
        alone = [self.map.departments[d] for d in departments if not any(d in a.parties for a in self.map.agreements)]
        text = f"{len(self.map.agreements)} agreement{'s' if len(self.map.agreements) != 1 else ''} between " \
               f"{len(departments)} departments."
        if alone:
            text += f" No agreement covers {', '.join(alone)}: their records stay with them."
        if not self.map.agreements:
            text = "This city's scenario is not a built-in one, so its agreements are not known here."
        self.note.setText(text)
