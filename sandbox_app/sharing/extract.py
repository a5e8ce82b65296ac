"""What applying a share yields: the extract, its table parts, and each output column with its lineage
(every category and meaning of the columns it is computed from). Built by `sharing.apply`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sandbox_app.sharing.aggregate import AggregateResult
from sandbox_app.sharing.document import ShareDocument
from synthetic.categories import CATEGORIES

SOURCE_TABLE = "source_table"
_LEVELS = {"public": 0, "internal": 1, "confidential": 2, "restricted": 3}


@dataclass
class OutputColumn:
    """One column of an extract and where it comes from (for rules, risk and usefulness).

    A derived column (or a row filter, op "filter") carries *every* category and meaning of the columns it
    reads: `categories` and `semantics` list them all; `category` is the most sensitive one.
    """

    name: str
    table: str
    op: str
    params: dict
    sources: list[str]  # original columns; for derive and filter, the columns the expression reads
    category: str  # for derive, the most sensitive category among its sources
    semantic: str  # the source column's; "derived" for derive, "filter" for a row filter
    grain: str  # exact, year, quarter, month, band10, zip3, neighbourhood, grid, flag, derived, pseudonym, …
    categories: tuple[str, ...] = ()  # every source's category (most sensitive first)
    semantics: tuple[str, ...] = ()  # every source's semantic (birth_date, ssn, zip, resident_attribute:x …)
    singles_out: bool = False  # measured by the privacy engine: a one-to-one re-encoding of an identifier
    zip3_kept: frozenset[str] | None = None  # generalize zip3: the areas written as 3 digits (the rest: 000)

    def __post_init__(self) -> None:
        if not self.categories:
            self.categories = (self.category,) if self.category else ()
        if not self.semantics:
            self.semantics = (self.semantic,) if self.semantic else ()

    def has_category(self, *categories: str) -> bool:
        return any(c in self.categories for c in categories)

    def reads(self, *semantics: str) -> bool:
        """Does the column (or any column it is computed from) carry one of these meanings?"""
        return any(s in self.semantics for s in semantics)


@dataclass(eq=False)  # parts compare by identity: comparing their frames is ambiguous (and slow)
class TablePart:
    """The rows and fields one table contributes. `truth[i]` is the resident behind row i (facilitator data)."""

    table: str
    frame: pd.DataFrame  # output columns only, in the order the share lists them; index 0..n-1
    truth: np.ndarray  # resident_id per row (-1 if the ground truth has none)
    row_ids: np.ndarray  # SQLite rowid per row
    columns: list[OutputColumn]
    rows_before_filter: int
    filter: OutputColumn | None = None  # the row filter: membership discloses what it reads


@dataclass
class Extract:
    """What a share yields: one part per table, and the aggregate table if the share asks for one."""

    share: ShareDocument
    parts: list[TablePart] = field(default_factory=list)
    aggregate: AggregateResult | None = None

    @property
    def is_aggregate(self) -> bool:
        return self.aggregate is not None

    @property
    def frame(self) -> pd.DataFrame:
        """What the recipient gets: the aggregate table, the single part's rows, or every part's rows with a
        leading `source_table` column."""
        if self.aggregate is not None:
            return self.aggregate.frame
        if not self.parts:
            return pd.DataFrame()
        if len(self.parts) == 1:
            return self.parts[0].frame
        frames = [p.frame.assign(**{SOURCE_TABLE: p.table})[[SOURCE_TABLE, *p.frame.columns]] for p in self.parts]
        return pd.concat(frames, ignore_index=True)

    @property
    def columns(self) -> list[OutputColumn]:
        return [c for p in self.parts for c in p.columns]


def most_sensitive(categories: list[str]) -> str:
    if not categories:
        return "public"
    return max(categories, key=lambda c: _LEVELS.get(CATEGORIES.get(c, "internal"), 1))


def by_sensitivity(categories: list[str]) -> tuple[str, ...]:
    """Distinct categories, most sensitive first (ties in the order given)."""
    distinct = list(dict.fromkeys(categories))
    return tuple(sorted(distinct, key=lambda c: -_LEVELS.get(CATEGORIES.get(c, "internal"), 1)))
