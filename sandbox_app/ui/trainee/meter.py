"""The live risk and usefulness meter: what the current share would disclose, redrawn after every edit.

Each row is a figure from the engine's score of the share as it stands, a bar with the agreement's
threshold drawn on it, a word saying whether it passes (never colour alone), and a tooltip saying in one
sentence what the figure means.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from sandbox_app.ui.common.badges import VERDICT, badge_style

GOOD, BAD, NEUTRAL = "#2e7d32", "#b71c1c", "#546e7a"


def metric(report, name: str, default=None):
    """A figure of a score report's metrics (a dict or a typed object)."""
    metrics = getattr(report, "metrics", None)
    if metrics is None:
        return default
    if isinstance(metrics, dict):
        return metrics.get(name, default)
    return getattr(metrics, name, default)


class ThresholdBar(QWidget):
    """A horizontal bar: the value's share of the scale, with the threshold marked by a line and a notch."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.value: float | None = None
        self.threshold: float | None = None
        self.scale = 1.0
        self.ok: bool | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(120, 10)

    def set(self, value: float | None, threshold: float | None, scale: float, ok: bool | None) -> None:
        self.value, self.threshold, self.scale, self.ok = value, threshold, max(scale, 1e-9), ok
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 1.5, -0.5, -1.5)
        palette = self.palette()
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        painter.setBrush(palette.color(QPalette.ColorRole.Base))
        painter.drawRoundedRect(rect, 3, 3)
        if self.value is not None:
            width = rect.width() * max(0.0, min(self.value / self.scale, 1.0))
            colour = QColor(GOOD if self.ok else BAD if self.ok is False else NEUTRAL)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawRoundedRect(QRectF(rect.left(), rect.top(), width, rect.height()), 3, 3)
        if self.threshold is not None:
            x = rect.left() + rect.width() * max(0.0, min(self.threshold / self.scale, 1.0))
            painter.setPen(QPen(palette.color(QPalette.ColorRole.WindowText), 2))
            painter.drawLine(int(x), 0, int(x), self.height())
        painter.end()


@dataclass
class Reading:
    """One meter row as shown: the value text, pass/fail, and the bar."""

    text: str
    ok: bool | None
    value: float | None = None
    threshold: float | None = None
    scale: float = 1.0


ROWS = [
    ("k", "Smallest group (k)",
     "k-anonymity: every combination of the fields an outsider could know is shared by at least k records; "
     "the agreement asks for k of at least {k}."),
    ("below_k", "Records in groups below k",
     "Records whose combination of identifying fields is shared by fewer than {k} records: each one is easy to "
     "pick out."),
    ("unique", "Records unique on their own",
     "Records no other record shares on the fields an outsider could know: anyone who knows those facts about "
     "a person finds that person's record."),
    ("linkage", "Re-identified with the voter roll",
     "Residents an outsider holding the public voter roll can name, by joining it to this extract the way a "
     "real attacker would. The safe number is 0."),
    ("cells", "Small cells",
     "Published counts between 1 and {cell}, or hidden counts that can be worked out from the totals; the "
     "agreement allows none."),
    ("findings", "Rule findings",
     "Problems the privacy rules find in the share as it stands: blockers reject it, majors send it back for "
     "revision."),
    ("usefulness", "Usefulness",
     "How well the share serves the request: the residents it is about reached, and each needed field at a "
     "usable grain. Sharing too little means someone waits."),
]


def readings(report, agreement) -> dict[str, Reading]:
    """The meter's rows for a score report (engine figures only; nothing is recomputed here)."""
    k_needed = agreement.k if agreement else 11
    out: dict[str, Reading] = {}
    k = metric(report, "k_anonymity")
    identified = metric(report, "identified_tables") or []
    if k is None:
        out["k"] = Reading("not measured: it names people" if identified else "not measured", None)
    else:
        out["k"] = Reading(f"{k:,}  (needs {k_needed})", k >= k_needed, float(k), float(k_needed),
                           float(k_needed) * 2)
    below = metric(report, "records_below_k")
    records = metric(report, "records", 0) or 0
    if below is None:
        out["below_k"] = Reading("—", None)
    else:
        out["below_k"] = Reading(f"{below:,} of {records:,}", below == 0, float(below), 0.0, max(records, 1))
    unique = metric(report, "unique_records", 0) or 0
    out["unique"] = Reading(f"{unique:,}", unique == 0 if k is not None else None, float(unique), 0.0,
                            max(records, 1))
    linked = metric(report, "reidentified_by_linkage", 0) or 0
    out["linkage"] = Reading(f"{linked:,} residents", linked == 0, float(linked), 0.0, max(records, 1))
    small = metric(report, "small_cells")
    if small is None:
        small = sum(1 for f in report.findings if f.rule == "small_cells")
        out["cells"] = Reading("none" if not small else "some", small == 0)
    else:
        out["cells"] = Reading(f"{small:,}", small == 0, float(small), 0.0, max(records, 1))
    counts = {s: sum(1 for f in report.findings if f.severity == s and f.rule != "usefulness")
              for s in ("blocker", "major", "minor")}
    text = " · ".join(f"{n} {s}{'s' if n != 1 and s == 'blocker' else ''}" for s, n in counts.items() if n) or "none"
    out["findings"] = Reading(text, counts["blocker"] == 0 and counts["major"] == 0)
    useful = report.usefulness_score
    out["usefulness"] = Reading(f"{useful}/100", useful >= 90, float(useful), 90.0, 100.0)
    return out


def value_html(reading: Reading) -> str:
    """'✖ 1,140 of 1,331' with the mark in colour: the symbol says pass or fail, the colour only repeats it."""
    text = html.escape(reading.text)
    if reading.ok is None:
        return text
    mark = "✔" if reading.ok else "✖"
    return f"<span style='color: {GOOD if reading.ok else BAD}; font-weight: 600;'>{mark}</span>&nbsp; {text}"


class RiskMeter(QFrame):
    """The meter panel. `show_report` fills it; `set_updating` says a new figure is on its way."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumWidth(260)
        layout = QVBoxLayout(self)
        title = QLabel("<b>Risk and usefulness</b>")
        layout.addWidget(title)
        self.status = QLabel("Choose what to share; the figures follow every change.")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("meter status")
        layout.addWidget(self.status)
        self.verdict = QLabel("")
        self.verdict.setAlignment(Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.verdict)
        grid = QGridLayout()
        grid.setVerticalSpacing(1)
        self.values: dict[str, QLabel] = {}
        self.bars: dict[str, ThresholdBar] = {}
        self._tooltips = {key: tip for key, _, tip in ROWS}
        for row, (key, label, _) in enumerate(ROWS):
            name = QLabel(label)
            name.setWordWrap(True)
            value = QLabel("—")
            value.setWordWrap(True)
            value.setTextFormat(Qt.TextFormat.RichText)
            bar = ThresholdBar()
            for widget in (name, value, bar):
                widget.setToolTip(self._tooltips[key].format(k=11, cell=11))
            grid.addWidget(name, row * 3, 0)
            grid.addWidget(value, row * 3 + 1, 0)
            grid.addWidget(bar, row * 3 + 2, 0)
            grid.setRowMinimumHeight(row * 3 + 2, 14)
            self.values[key], self.bars[key] = value, bar
        layout.addLayout(grid)
        layout.addStretch(1)
        self.problem = QLabel("")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {BAD};")
        layout.addWidget(self.problem)
        self.notice = QLabel("")
        self.notice.setWordWrap(True)
        self.notice.setAccessibleName("meter notice")
        self.notice.hide()
        layout.addWidget(self.notice)

    def set_agreement(self, agreement) -> None:
        k = agreement.k if agreement else 11
        cell = agreement.min_cell_size if agreement else 11
        for key, tip in self._tooltips.items():
            text = tip.format(k=k, cell=cell)
            for widget in (self.values[key], self.bars[key]):
                widget.setToolTip(text)

    def set_updating(self) -> None:
        self.status.setText("updating…")

    def show_problem(self, message: str) -> None:
        """The share cannot be scored as it stands (e.g. an unknown field): say why, keep the old figures dim."""
        self.status.setText("The share cannot be measured yet:")
        self.problem.setText(message)

    def show_notice(self, sentence: str) -> None:
        """How the meter works now (e.g. its background scorer stopped and it scores inside the window)."""
        self.notice.setText(sentence)
        self.notice.setVisible(bool(sentence))

    def show_refusal(self) -> None:
        self.status.setText("You are refusing this request: nothing is shared. Submit to see how the refusal "
                            "scores.")
        self.problem.setText("")

    def show_report(self, report, agreement) -> None:
        self.problem.setText("")
        self.status.setText(f"As it stands: privacy {report.privacy_score}/100, usefulness "
                            f"{report.usefulness_score}/100.")
        text, background, foreground = VERDICT.get(report.verdict, (report.verdict, NEUTRAL, "#fff"))
        self.verdict.setText(f"If submitted now: {text}")
        self.verdict.setStyleSheet(badge_style(background, foreground))
        for key, reading in readings(report, agreement).items():
            self.values[key].setText(value_html(reading))
            self.bars[key].set(reading.value, reading.threshold, reading.scale, reading.ok)
