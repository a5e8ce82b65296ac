"""The score report: the verdict, the two scores, and one card per finding with its law, evidence and fix.

Clicking a card asks the page to highlight the fields and rows behind the finding; a card whose finding
carries a machine-applicable fix (edits in the engine's vocabulary) has an "Apply fix" button.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from sandbox_app.ui.common.badges import SEVERITY, VERDICT, badge

VERDICT_WORDS = {
    "approve": "The privacy officer would sign this share.",
    "revise": "Close, but the privacy officer would send it back: fix the major findings below.",
    "reject": "The privacy officer would refuse this share: it breaks a rule that cannot be waived.",
}


def finding_fix(finding) -> list[dict]:
    """The finding's machine-applicable fix (a list of share edits), or [] if the engine offers none."""
    return list(getattr(finding, "fix", None) or [])


def finding_rows(finding) -> dict[str, list[int]]:
    """Positions of the extract rows behind the finding, per table (empty if the engine gives none)."""
    return dict(getattr(finding, "row_positions", None) or {})


class FindingCard(QFrame):
    clicked = Signal(object)
    fix_requested = Signal(object)
    clause_requested = Signal(str)

    def __init__(self, finding, parent=None) -> None:
        super().__init__(parent)
        self.finding = finding
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Click to highlight the fields and records behind this finding")
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        head.addWidget(badge(SEVERITY, finding.severity, tooltip=f"{finding.severity}: "
                             + {"blocker": "the share is refused until it is fixed",
                                "major": "the share goes back for revision",
                                "minor": "worth fixing; costs a few points"}.get(finding.severity, "")))
        title = QLabel(f"<b>{html.escape(finding.title)}</b>  <span style='color: gray;'>({finding.rule})</span>")
        title.setWordWrap(True)
        head.addWidget(title, 1)
        layout.addLayout(head)
        message = QLabel(html.escape(finding.message))
        message.setWordWrap(True)
        message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(message)
        law = html.escape(finding.citation)
        if finding.clause:
            law += f" · <a href='clause:{html.escape(finding.clause)}'>agreement clause {html.escape(finding.clause)}</a>"
        cite = QLabel(f"<i>Law or clause:</i> {law}")
        cite.setWordWrap(True)
        cite.setOpenExternalLinks(False)
        cite.linkActivated.connect(lambda link: self.clause_requested.emit(link.removeprefix("clause:")))
        layout.addWidget(cite)
        evidence = []
        if finding.fields:
            evidence.append("fields: " + ", ".join(finding.fields))
        if finding.rows:
            evidence.append(f"{int(finding.rows):,} records")
        if finding.examples:
            shown = "; ".join(str(e) for e in finding.examples[:3])
            evidence.append(f"e.g. {shown[:300]}")
        if evidence:
            label = QLabel("<i>Evidence:</i> " + html.escape(" · ".join(evidence)))
            label.setWordWrap(True)
            layout.addWidget(label)
        if finding.hint:
            row = QHBoxLayout()
            hint = QLabel(f"<i>Fix:</i> {html.escape(finding.hint)}")
            hint.setWordWrap(True)
            row.addWidget(hint, 1)
            if finding_fix(finding):
                button = QPushButton("Apply fix")
                button.setToolTip("Make this change to your share (one step you can undo)")
                button.clicked.connect(lambda: self.fix_requested.emit(self.finding))
                row.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
                self.fix_button = button
            layout.addLayout(row)

    def mousePressEvent(self, event) -> None:
        self.clicked.emit(self.finding)
        super().mousePressEvent(event)

    def set_selected(self, on: bool) -> None:
        self.setFrameShape(QFrame.Shape.Box if on else QFrame.Shape.StyledPanel)
        self.setLineWidth(2 if on else 1)


class ScoreReportView(QScrollArea):
    """The report of the last submit; empty until the trainee submits."""

    finding_selected = Signal(object)
    fix_requested = Signal(object)
    plan_requested = Signal(list)   # the report's whole fix plan (ordered edits), as one undoable step
    clause_requested = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.cards: list[FindingCard] = []
        self.report = None
        self.clear()

    def clear(self, text: str = "Submit your share to see how a privacy officer would score it.") -> None:
        body = QWidget()
        layout = QVBoxLayout(body)
        label = QLabel(text)
        label.setWordWrap(True)
        layout.addWidget(label)
        layout.addStretch(1)
        self.setWidget(body)
        self.cards = []
        self.report = None

    def show_report(self, report, attempt: int | None = None) -> None:
        self.report = report
        body = QWidget()
        layout = QVBoxLayout(body)
        head = QHBoxLayout()
        head.addWidget(badge(VERDICT, report.verdict))
        scores = QLabel(f"<b>Privacy {report.privacy_score}/100 · Usefulness {report.usefulness_score}/100</b>"
                        + (f"  — attempt {attempt}" if attempt else ""))
        head.addWidget(scores, 1)
        layout.addLayout(head)
        words = QLabel(VERDICT_WORDS.get(report.verdict, ""))
        words.setWordWrap(True)
        layout.addWidget(words)
        plan = list(getattr(report, "fix_plan", None) or [])
        if plan:
            row = QHBoxLayout()
            words = QLabel(f"The engine can make {len(plan)} change{'s' if len(plan) != 1 else ''} that "
                           "fix the findings below without contradicting each other.")
            words.setWordWrap(True)  # a narrow pane wraps it rather than clipping the cards beside it
            row.addWidget(words, 1)
            button = QPushButton("Apply all fixes")
            button.setToolTip("Make every fix below as one step you can undo, then watch the meter")
            button.clicked.connect(lambda: self.plan_requested.emit(plan))
            row.addWidget(button)
            self.plan_button = button
            layout.addLayout(row)
        usefulness = getattr(report, "usefulness", None)
        if usefulness is not None and usefulness.needed_rows:
            served = QLabel(f"Your share serves {usefulness.covered:,} of the {usefulness.needed_rows:,} residents "
                            f"the request is about ({usefulness.recall:.0%}).")
            served.setWordWrap(True)
            layout.addWidget(served)
        self.cards = []
        if not report.findings:
            layout.addWidget(QLabel("No findings: nothing in this share breaks a rule."))
        for finding in report.findings:
            card = FindingCard(finding)
            card.clicked.connect(self._select)
            card.fix_requested.connect(self.fix_requested)
            card.clause_requested.connect(self.clause_requested)
            layout.addWidget(card)
            self.cards.append(card)
        layout.addStretch(1)
        self.setWidget(body)

    def _select(self, finding) -> None:
        for card in self.cards:
            card.set_selected(card.finding is finding)
            if card.finding is finding:
                self.ensureWidgetVisible(card, 0, 10)
        self.finding_selected.emit(finding)
