"""What every rule looks at: the scenario, exercise, agreement, share, extract and the derived facts about it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sandbox_app.scenario.model import Agreement, Exercise, Scenario
from sandbox_app.sharing.apply import Extract, OutputColumn, TablePart
from sandbox_app.sharing.database import CityDatabase
from sandbox_app.sharing.document import ShareDocument
from sandbox_app.sharing.grains import CODE_GRAINS, IDENTIFYING_GRAINS
from synthetic.categories import SENSITIVE_CATEGORIES
from synthetic.spec import Department

# Semantics the public voter roll also carries, so an attacker can join on them.
LINKABLE_SEMANTICS = {"birth_date", "sex", "zip", "full_name", "first_name", "last_name", "address", "age"}


def identifies(col: OutputColumn) -> bool:
    """Does this output column still name or contact a person?"""
    if col.category != "direct_identifier":
        return False
    if col.grain == "masked":
        return int(col.params.get("keep_last") or 0) >= 4
    return col.grain in IDENTIFYING_GRAINS


def is_quasi(col: OutputColumn) -> bool:
    return col.category in ("quasi_identifier", "precise_location") and col.grain not in CODE_GRAINS


def is_sensitive(col: OutputColumn) -> bool:
    return col.category in SENSITIVE_CATEGORIES


@dataclass
class ShareContext:
    scenario: Scenario
    exercise: Exercise
    agreement: Agreement
    share: ShareDocument
    extract: Extract
    db: CityDatabase
    metrics: dict = field(default_factory=dict)    # table -> RiskMetrics (row-level parts without identifiers)
    linkage: dict = field(default_factory=dict)    # table -> LinkageResult
    usefulness: object = None

    @property
    def requester(self) -> Department:
        return self.scenario.department(self.exercise.requesting_department)

    @property
    def holder(self) -> Department:
        return self.scenario.department(self.exercise.holding_department)

    @property
    def row_level(self) -> bool:
        return self.extract.aggregate is None

    @property
    def parts(self) -> list[TablePart]:
        return self.extract.parts

    def columns(self):
        """(part, column) for every column the recipient receives: every output column of a row-level share;
        only the grouping and measured fields of an aggregate (the rest is aggregated away)."""
        published = None
        if self.share.aggregate is not None:
            agg = self.share.aggregate
            published = set(agg.group_by) | {m.field for m in agg.measures if m.field}
        for part in self.extract.parts:
            for col in part.columns:
                if published is None or col.name in published:
                    yield part, col

    def identified_parts(self) -> list[TablePart]:
        return [p for p in self.parts if any(identifies(c) for c in p.columns)]

    def deidentified(self) -> bool:
        return bool(self.share.deidentified or self.agreement.deidentified)

    def reference_date(self) -> dt.date:
        return self.scenario.reference_date

    def clause_about(self, *words: str) -> str | None:
        """The agreement clause that mentions any of these words (for 'which clause' in a finding)."""
        for clause in self.agreement.clauses:
            text = clause.text.lower()
            if any(w.lower() in text for w in words):
                return clause.id
        return None
