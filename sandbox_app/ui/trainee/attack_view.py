"""The attack replay: what an outsider holding the public voter roll does with the extract, one step at a time."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from sandbox_app.privacy.attack_story import AttackStory

GRAIN_WORDS = {"exact": "exactly as you shared it", "year": "cut to the year", "month": "cut to the month",
               "quarter": "cut to the quarter", "zip3": "first 3 ZIP digits", "neighbourhood": "neighbourhood"}


def _grain(grain: str) -> str:
    if grain.startswith("band"):
        return f"in bands of {grain.removeprefix('band')}"
    return GRAIN_WORDS.get(grain, grain.replace("_", " "))


def story_steps(story: AttackStory) -> list[str]:
    """The replay as HTML steps (headless, so tests can read it)."""
    roll = html.escape((story.reference_table or "public records").replace("_", " "))
    columns = ", ".join(html.escape(c.replace("_", " ")) for c in story.reference_columns) or "names and birth dates"
    steps = [f"<h3>1. The outsider's data</h3><p>Anyone can get the city's <b>{roll}</b>: {story.reference_rows:,} "
             f"people with their {columns}. An attacker starts from it.</p>"]
    if story.names_people:
        tables = ", ".join(html.escape(t) for t in story.names_people)
        steps.append(f"<h3>2. No attack needed</h3><p>{tables} names or contacts people directly: the recipient "
                     "knows who every record is about. That is only right when the purpose needs it and the "
                     "agreement allows it.</p>")
    if story.aggregated:
        steps.append("<h3>2. Counts, not records</h3><p>You published counts, so there are no records to join "
                     "to the voter roll. The small-cell rule checks that no count points at a handful of "
                     "people.</p>")
        return steps
    if not story.tables:
        if not story.names_people:
            steps.append("<h3>2. Nothing to join on</h3><p>Your extract carries none of the facts the voter roll "
                         "holds (name, birth date, sex, ZIP, address) at a grain that can be matched, so the "
                         "attacker cannot join the two.</p>")
        return steps
    keys = []
    for attack in story.tables:
        joins = ", ".join(f"<b>{html.escape(c)}</b> ({html.escape(_grain(attack.join_grains.get(c, 'exact')))})"
                          for c in attack.join_on)
        keys.append(f"<li>{html.escape(attack.table)}: {joins}</li>")
    steps.append("<h3>2. The join keys</h3><p>The attacker brings the voter roll to the same form as your extract "
                 "(same spelling, same generalisation) and joins on what both carry:</p><ul>" + "".join(keys) + "</ul>")
    lines = []
    for a in story.tables:
        lines.append(f"<li>{html.escape(a.table)}: {a.attempted:,} of {a.records:,} records can be tried; "
                     f"<b>{a.matched_uniquely:,}</b> match exactly one voter"
                     + (f" ({a.false_matches:,} of those point at the wrong person)" if a.false_matches else "")
                     + ".</li>")
    steps.append("<h3>3. The candidates</h3><p>A record that matches exactly one voter is singled out.</p><ul>"
                 + "".join(lines) + "</ul>")
    people = [p for a in story.tables for p in a.people]
    if story.reidentified:
        items = "".join(f"<li>{html.escape(p.sentence)}</li>" for p in people)
        more = story.reidentified - len(people)
        steps.append(f"<h3>4. Re-identified: {story.reidentified:,} residents</h3><p>These are synthetic people, "
                     f"but the attack is real: the outsider now knows who they are, and what your extract says "
                     f"about them:</p><ul>{items}</ul>"
                     + (f"<p>…and {more:,} more.</p>" if more > 0 else ""))
    else:
        steps.append("<h3>4. Nobody re-identified</h3><p>No record matched exactly one voter who really is that "
                     "person: your generalisation held.</p>")
    if story.stoppers:
        tips = "".join(f"<li>{html.escape(s)}</li>" for s in dict.fromkeys(story.stoppers))
        steps.append(f"<h3>5. What would have stopped it</h3><ul>{tips}</ul>")
    elif story.reidentified:
        steps.append("<h3>5. What would have stopped it</h3><p>Share fewer of the facts the voter roll holds, or "
                     "share them coarser (birth year instead of date, ZIP3 or neighbourhood instead of ZIP).</p>")
    return steps


class AttackReplayView(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.text = QTextBrowser()
        self.text.setAccessibleName("attack replay")
        layout.addWidget(self.text, 1)
        row = QHBoxLayout()
        self.position = QLabel("")
        row.addWidget(self.position, 1)
        self.back = QPushButton("◀ Back")
        self.back.setToolTip("The previous step of the attack")
        self.back.clicked.connect(lambda: self._show(self.shown - 1))
        self.next = QPushButton("Next step ▶")
        self.next.setToolTip("What the attacker does next")
        self.next.clicked.connect(lambda: self._show(self.shown + 1))
        self.all = QPushButton("Show all")
        self.all.setToolTip("Every step at once")
        self.all.clicked.connect(lambda: self._show(len(self.steps)))
        for button in (self.back, self.next, self.all):
            row.addWidget(button)
        layout.addLayout(row)
        self.steps: list[str] = []
        self.shown = 0
        self.clear()

    def clear(self) -> None:
        self.steps = []
        self.text.setHtml("<p>Submit your share, then come here to watch what an outsider holding the public "
                          "voter roll could do with it.</p>")
        self.position.setText("")
        for button in (self.back, self.next, self.all):
            button.setEnabled(False)

    def show_story(self, story: AttackStory) -> None:
        self.steps = story_steps(story)
        self._show(1)

    def _show(self, count: int) -> None:
        count = max(1, min(count, len(self.steps)))
        self.shown = count
        self.text.setHtml("".join(self.steps[:count]))
        self.text.verticalScrollBar().setValue(self.text.verticalScrollBar().maximum())
        self.position.setText(f"Step {count} of {len(self.steps)}")
        self.back.setEnabled(count > 1)
        self.next.setEnabled(count < len(self.steps))
        self.all.setEnabled(count < len(self.steps))
