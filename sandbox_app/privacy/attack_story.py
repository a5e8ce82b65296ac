"""The linkage attack told as a story: what an outsider with the voter roll did with an extract, step by step.

Everything here is read from a score report the engine already made (`report.linkage`, the extract and the
findings) plus the city's true population, to put names and faces on the residents who were re-identified:
the attack is never run a second time. Used by the trainee window's attack replay.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from synthetic.categories import SENSITIVE_CATEGORIES

MAX_PEOPLE = 25


@dataclass
class Person:
    """One resident an outsider named: who they are, and what the recipient now knows about them."""

    resident_id: int
    name: str
    age: int | None
    neighbourhood: str
    facts: list[str] = field(default_factory=list)   # "equipment is oxygen concentrator"
    table: str = ""                                  # the extract table the record came from

    @property
    def sentence(self) -> str:
        who = f"{self.name}, {self.age}" if self.age is not None else self.name
        where = f", {self.neighbourhood}" if self.neighbourhood else ""
        known = [f"is in {self.table.replace('_', ' ')}", *self.facts]
        return f"{who}{where}: {'; '.join(known)}"


@dataclass
class TableAttack:
    table: str
    join_on: list[str]              # extract columns the roll also carries
    join_grains: dict[str, str]     # column -> grain after the share's own generalisation
    records: int                    # rows in this table's extract
    attempted: int                  # rows with every join value present
    matched_uniquely: int           # rows with exactly one candidate voter
    reidentified: int               # residents correctly and uniquely named
    false_matches: int              # unique matches that named the wrong person
    people: list[Person] = field(default_factory=list)


@dataclass
class AttackStory:
    reference_table: str | None
    reference_rows: int
    reference_columns: list[str]
    tables: list[TableAttack] = field(default_factory=list)
    aggregated: bool = False
    names_people: list[str] = field(default_factory=list)   # tables that name people outright (no attack needed)
    stoppers: list[str] = field(default_factory=list)       # what would have stopped it (the engine's hints)

    @property
    def reidentified(self) -> int:
        return sum(t.reidentified for t in self.tables)


def _facts(part, row: int) -> list[str]:
    out = []
    for col in part.columns:
        if col.category in SENSITIVE_CATEGORIES and col.name in part.frame.columns:
            value = part.frame[col.name].iloc[row]
            if value is not None and str(value) not in ("", "nan", "None", "<NA>"):
                out.append(f"{col.name.replace('_', ' ')} is {str(value).replace('_', ' ')}")
    return out


def _people(db, part, resident_ids: list) -> list[Person]:
    wanted = [int(r) for r in resident_ids[:MAX_PEOPLE]]
    if not wanted:
        return []
    residents = db.residents(["first_name", "last_name", "age", "neighbourhood"]).set_index("resident_id")
    first_row = {}
    for position, resident in enumerate(np.asarray(part.truth)):
        if int(resident) in wanted and int(resident) not in first_row:
            first_row[int(resident)] = position
    people = []
    for resident in wanted:
        if resident not in residents.index:
            continue
        info = residents.loc[resident]
        age = info.get("age")
        person = Person(resident, f"{info.get('first_name', '')} {info.get('last_name', '')}".strip(),
                        None if age is None or age != age else int(age), str(info.get("neighbourhood") or ""),
                        table=part.table)
        if resident in first_row:
            person.facts = _facts(part, first_row[resident])
        people.append(person)
    return people


def attack_story(db, report) -> AttackStory:
    """The replay of `report`'s linkage attack (see module docstring)."""
    reference = db.reference_table()
    ref_rows, ref_columns = 0, []
    if reference is not None:
        frame = db.read_table(reference)
        ref_rows = len(frame)
        ref_columns = [c for c in frame.columns if not c.startswith("_")]
    story = AttackStory(reference, ref_rows, ref_columns)
    extract = report.extract
    if extract is None:
        return story
    story.aggregated = extract.aggregate is not None
    identified = (report.metrics.get("identified_tables") if isinstance(report.metrics, dict)
                  else getattr(report.metrics, "identified_tables", None)) or []
    story.names_people = list(identified)
    parts = {p.table: p for p in extract.parts}
    for table, result in report.linkage.items():
        part = parts.get(table)
        if part is None:
            continue
        grains = {c.name: c.grain for c in part.columns if c.name in result.on}
        story.tables.append(TableAttack(table, list(result.on), grains, len(part.frame), result.attempted,
                                        result.matched_uniquely, result.reidentified_residents,
                                        result.false_matches, _people(db, part, list(result.resident_ids))))
    story.stoppers = [f.hint for f in report.findings
                      if f.rule in ("linkage_attack", "k_anonymity", "reidentification_risk") and f.hint]
    return story
