"""'How my data moves': search a resident by name and birth date (facilitators can also pick one from the
ground truth), see every matching department record on a timeline, as that department wrote it, and where
the city's agreements let it go."""

from __future__ import annotations

import html

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from sandbox_app.explore.catalog import Catalog
from sandbox_app.explore.journey import (
    JourneyRecord,
    pick_resident,
    resident_card,
    resident_journey,
    search_residents,
)
from sandbox_app.ui.common.tasks import TaskRunner


def record_html(record: JourneyRecord, note: str = "") -> str:
    """One record as a card: when, which department, its fields as written, where it may flow."""
    when = html.escape(record.date) if record.date else "no date"
    head = (f"<p style='margin-top:10px'><b>{when}</b> · <b>{html.escape(record.department)}</b> · "
            f"<span style='color:#555'>{html.escape(record.table)}, row {record.row_id}</span>")
    if record.match:
        head += f"<br><i>Found because: {html.escape(record.match)}</i>"
    if note:
        head += f"<br><span style='color:#9b1c1c'>{note}</span>"
    cells = "".join(f"<tr><td style='color:#555'>{html.escape(k)}</td><td>"
                    + ("<span style='color:#999'>missing</span>" if v is None else html.escape(str(v)))
                    + "</td></tr>" for k, v in record.values.items())
    flows = []
    for flow in record.flows:
        to = ", ".join(flow.to) or "no other department"
        except_ = f" — but never {', '.join(flow.excluded_fields)}" if flow.excluded_fields else ""
        flows.append(f"Under <i>{html.escape(flow.agreement)}</i> it may go to {html.escape(to)}, for "
                     f"{html.escape(', '.join(p.replace('_', ' ') for p in flow.purposes))}{html.escape(except_)}.")
    if not flows:
        flows = ["Public record: anyone may buy or read it." if record.department == "Public records" else
                 f"No agreement covers it: it stays with {html.escape(record.department)}."]
    return head + f"</p><table cellspacing='2'>{cells}</table><p>" + "<br>".join(flows) + "</p>"


class JourneyView(QWidget):
    def __init__(self, catalog: Catalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.records: list[JourneyRecord] = []
        self.truth: list[JourneyRecord] = []
        self.missed: list[JourneyRecord] = []  # true records the search did not find (facilitator pick)
        self._turn = 0
        self.runner = TaskRunner(self)
        self.runner.finished.connect(self._show)
        self.runner.failed.connect(lambda text: self.status.setText(html.escape(text)))
        self.runner.progress.connect(lambda f, s: self.status.setText(f"Searching… {html.escape(s)}"))
        self.first = QLineEdit(self)
        self.first.setPlaceholderText("First name")
        self.last = QLineEdit(self)
        self.last.setPlaceholderText("Last name")
        self.birth = QLineEdit(self)
        self.birth.setPlaceholderText("Birth date, e.g. 1958-06-15")
        self.search_button = QPushButton("Find records", self)
        self.search_button.clicked.connect(self.search)
        for box in (self.first, self.last, self.birth):
            box.returnPressed.connect(self.search)
        self.pick_button = QPushButton("Pick a resident", self)
        self.pick_button.setToolTip("Facilitators: a resident with records in several departments, from the "
                                    "ground truth; the search then shows what record linkage finds and misses")
        self.pick_button.clicked.connect(self.pick)
        self.pick_button.setVisible(catalog.facilitator and {"_ground_truth", "_residents"} <= set(catalog.all_tables))
        self.status = QLabel("Type a name and a birth date: the search links records the way a department "
                             "would have to, by comparing names and dates.", self)
        self.status.setWordWrap(True)
        self.timeline = QTextBrowser(self)
        row = QHBoxLayout()
        for widget in (self.first, self.last, self.birth, self.search_button, self.pick_button):
            row.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.timeline, 1)

    def search(self) -> None:
        catalog, first, last, birth = self.catalog, self.first.text(), self.last.text(), self.birth.text()
        if not last.strip():
            self.status.setText("Type at least a last name.")
            return
        self.truth = []
        self.runner.start(lambda state: ("search", search_residents(catalog, first, last, birth, state), None))

    def pick(self, resident_id: int | None = None) -> None:
        """Facilitators: show a resident's true records and what a search by their name and birth date finds."""
        catalog, turn = self.catalog, self._turn
        self._turn += 1

        def work(state):
            rid = resident_id if resident_id is not None else pick_resident(catalog, turn)
            card = resident_card(catalog, rid)
            truth = resident_journey(catalog, rid)
            hits = search_residents(catalog, card["first_name"], card["last_name"], card["birth_date"], state)
            return "pick", hits, (card, truth)

        self.runner.start(work)

    def _show(self, result) -> None:
        kind, hits, extra = result
        self.records = hits
        if kind == "search":
            self.status.setText(f"{len(hits)} record{'s' if len(hits) != 1 else ''} found."
                                if hits else "No record matches: try another spelling, or check the date.")
            self.timeline.setHtml("".join(record_html(r) for r in hits))
            return
        card, truth = extra
        self.truth = truth
        self.first.setText(str(card["first_name"]))
        self.last.setText(str(card["last_name"]))
        self.birth.setText(str(card["birth_date"]))
        found = {(r.table, r.row_id) for r in hits}
        true_keys = {(r.table, r.row_id) for r in truth}
        missed = self.missed = [r for r in truth if (r.table, r.row_id) not in found]
        wrong = [r for r in hits if (r.table, r.row_id) not in true_keys]
        self.status.setText(
            f"Resident {card['resident_id']}: {html.escape(str(card['first_name']))} "
            f"{html.escape(str(card['last_name']))}, born {card['birth_date']}, has {len(truth)} records. "
            f"The search by name and birth date finds {len(truth) - len(missed)} of them"
            + (f" and {len(wrong)} about someone else" if wrong else "") + ".")
        cards = [record_html(r, "" if (r.table, r.row_id) in found else
                             "The search did not find this one: compare how this department wrote the name and "
                             "the birth date.") for r in truth]
        cards += [record_html(r, "Found by the search, but about someone else.") for r in wrong]
        self.timeline.setHtml("".join(cards))

    def shutdown(self) -> None:
        self.runner.shutdown()
