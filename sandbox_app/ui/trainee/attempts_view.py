"""The attempt history: verdict and scores per attempt, a small chart, what changed, and the model answer."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from sandbox_app.errors import ShareError
from sandbox_app.sharing import parse_share_text
from sandbox_app.sharing.diff import field_by_field, share_changes


def _chart_canvas():
    from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4, 2.2), dpi=90, layout="constrained")
    canvas = FigureCanvasQTAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    return canvas, axes


class AttemptsView(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.summary = QLabel("No attempts yet.")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["#", "Verdict", "Privacy", "Usefulness", "What changed"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        split.addWidget(self.table)
        self.canvas, self.axes = _chart_canvas()
        self.canvas.setToolTip("Privacy and usefulness score of each attempt")
        self.canvas.setMinimumWidth(260)
        split.addWidget(self.canvas)
        layout.addWidget(split, 1)
        self.model_answer = QTextBrowser()
        self.model_answer.setMaximumHeight(170)
        self.model_answer.hide()
        layout.addWidget(self.model_answer)
        self.lines = {}

    def show_attempts(self, attempts: list) -> None:
        """`attempts`: the workspace's Attempt objects, oldest first."""
        self.table.setRowCount(len(attempts))
        previous = None
        for row, attempt in enumerate(attempts):
            try:
                share = parse_share_text(attempt.share_json, "<attempt>")
            except ShareError:
                share = None
            if previous is None or share is None:
                changed = "first attempt"
            else:
                changed = "; ".join(share_changes(previous, share)) or "no change"
            previous = share or previous
            values = [str(attempt.number), attempt.verdict, str(attempt.privacy_score),
                      str(attempt.usefulness_score), changed]
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.table.setItem(row, col, item)
        self.table.scrollToBottom()
        if attempts:
            best = max(attempts, key=lambda a: (a.verdict == "approve", a.privacy_score + a.usefulness_score))
            self.summary.setText(f"{len(attempts)} attempt{'s' if len(attempts) != 1 else ''}; best: attempt "
                                 f"{best.number}, {best.verdict}, privacy {best.privacy_score}, usefulness "
                                 f"{best.usefulness_score}.")
        else:
            self.summary.setText("No attempts yet.")
        self._chart(attempts)

    def _chart(self, attempts: list) -> None:
        axes = self.axes
        axes.clear()
        numbers = [a.number for a in attempts]
        self.lines["privacy"] = axes.plot(numbers, [a.privacy_score for a in attempts], "o-", label="privacy")[0]
        self.lines["usefulness"] = axes.plot(numbers, [a.usefulness_score for a in attempts], "s--",
                                             label="usefulness")[0]
        axes.set_ylim(-5, 105)
        axes.set_xlabel("attempt")
        axes.set_ylabel("score")
        if numbers:
            axes.set_xticks(numbers)
            axes.legend(loc="lower right", fontsize="small")
        self.canvas.draw_idle()

    def show_model_answer(self, mine, model) -> None:
        """Field by field, the trainee's share beside the model answer (shown only when the facilitator allows)."""
        if model is None:
            self.model_answer.hide()
            return
        rows = "".join(f"<tr><td>{t}</td><td>{f}</td><td>{a}</td><td>{b}</td></tr>"
                       for t, f, a, b in field_by_field(mine, model))
        notes = ""
        if getattr(model, "decision", "share") != "share":
            notes = f"<p>The model answer refuses: {getattr(model, 'reason', '')}</p>"
        self.model_answer.setHtml("<b>Your share beside the model answer</b>" + notes +
                                  "<table border='1' cellspacing='0' cellpadding='3'><tr><th>Table</th><th>Field</th>"
                                  f"<th>Yours</th><th>Model answer</th></tr>{rows}</table>")
        self.model_answer.show()
