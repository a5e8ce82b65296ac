"""What every rule looks at: the scenario, exercise, agreement, share, extract and the derived facts about it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sandbox_app.privacy.lineage import attributes_behind
from sandbox_app.scenario.model import Agreement, Exercise, Scenario
from sandbox_app.sharing.apply import Extract, OutputColumn, TablePart
from sandbox_app.sharing.database import CityDatabase
from sandbox_app.sharing.document import ShareDocument
from sandbox_app.sharing.grains import CODE_GRAINS, IDENTIFYING_GRAINS
from synthetic.categories import SENSITIVE_CATEGORIES
from synthetic.expr import parse
from synthetic.spec import Department

# Semantics the public voter roll also carries, so an attacker can join on them.
LINKABLE_SEMANTICS = {"birth_date", "sex", "zip", "full_name", "first_name", "last_name", "address", "age"}


def identifies(col: OutputColumn) -> bool:
    """Does this output column still name or contact a person?

    Any function of an identifier is that identifier (a yes/no flag is one bit, not a name), except the
    keyed pseudonym; so is any re-encoding measured to be one-to-one with it (`singles_out`, set by
    `disclosure.mark_reencodings`).
    """
    if getattr(col, "singles_out", False):
        return True
    if not col.has_category("direct_identifier") or col.op == "filter":
        return False
    if col.op == "derive":
        return col.grain != "flag"
    if col.grain == "masked":
        return int(col.params.get("keep_last") or 0) >= 4
    return col.grain in IDENTIFYING_GRAINS


def is_quasi(col: OutputColumn) -> bool:
    return col.has_category("quasi_identifier", "precise_location") and col.grain not in CODE_GRAINS \
        and col.op != "filter"


def is_sensitive(col: OutputColumn) -> bool:
    return col.op != "filter" and any(c in SENSITIVE_CATEGORIES for c in col.categories)


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
    measured: dict = field(default_factory=dict)   # table -> the TablePart the metrics were computed on
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

    def disclosed(self):
        """(part, column) for everything the recipient learns: the published columns, and each table's row
        filter (being on a list selected by a diagnosis tells the recipient the diagnosis)."""
        yield from self.columns()
        for part in self.extract.parts:
            if part.filter is not None and not self.selection_is_purpose(part, part.filter):
                yield part, part.filter

    def selection_is_purpose(self, part: TablePart, col: OutputColumn) -> bool:
        """Is this a row filter selecting exactly what the exercise says the purpose is about? (Its `needs.rows`
        reads a resident attribute behind every column the filter reads.)"""
        if col.op != "filter" or not self.exercise.needs.rows:
            return False
        wanted = set(parse(self.exercise.needs.rows).columns)
        return all(attributes_behind(self.scenario, part.table, s) & wanted for s in col.sources)

    def identified_parts(self) -> list[TablePart]:
        return [p for p in self.parts if any(identifies(c) for c in p.columns)]

    def deidentified(self) -> bool:
        return bool(self.share.deidentified or self.agreement.deidentified)

    def reference_date(self) -> dt.date:
        return self.scenario.reference_date

    def clause_for(self, rule: str, *categories: str) -> str | None:
        """The agreement clause that governs this rule or one of these categories: the first whose `covers`
        names the rule id, else the first that names a category (never guessed from the clause's wording)."""
        for wanted in (rule, *categories):
            for clause in self.agreement.clauses:
                if wanted in (getattr(clause, "covers", None) or ()):
                    return clause.id
        return None
