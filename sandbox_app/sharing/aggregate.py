"""Aggregate tables with small-cell suppression: primary (counts 1..N-1) and complementary (so that no hidden
cell can be worked out from the published cells and a row or column total).

Cells are the combinations of group-by values that occur in the data; zero cells are never invented (a
zero is not disclosive and would only make tables huge). A *line* is a set of cells that share the values
of every group-by field but one: a row or a column of a 2-D table. If the recipient knows a line's total
(from another table, or because the share's totals are published), a line with exactly one hidden cell
gives it away; complementary suppression hides a second cell on every such line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sandbox_app.sharing.document import Measure
from sandbox_app.sharing.transforms import numbers

SUPPRESSED = "suppressed"
COUNT = "count"


@dataclass
class AggregateResult:
    """An aggregate table and what suppression did to it.

    `frame`: group-by columns, `count`, one column per sum/mean measure (`sum_x`, `mean_x`) and a boolean
    `suppressed`; suppressed cells have null count and measures. `counts_before_suppression` has the same
    cells in the same order with their true counts (for rules and usefulness, never for the recipient).
    """

    frame: pd.DataFrame
    cells: int
    primary_suppressed: int
    complementary_suppressed: int
    min_cell_size: int | None
    smallest_published_count: int | None
    counts_before_suppression: pd.DataFrame
    group_by: list[str] = field(default_factory=list)
    complementary: bool = True
    cell_of_row: np.ndarray | None = None  # per row of the aggregated frame: the position of its cell

    def rows_in(self, cells: np.ndarray) -> np.ndarray:
        """Boolean mask over the aggregated frame's rows: the rows counted in the `cells` (a boolean mask
        over `frame`'s cells)."""
        if self.cell_of_row is None:
            return np.zeros(0, dtype=bool)
        return np.asarray(cells, dtype=bool)[self.cell_of_row]

    @property
    def suppressed(self) -> int:
        return self.primary_suppressed + self.complementary_suppressed


def _measure(m: Measure | dict | tuple) -> Measure:
    if isinstance(m, Measure):
        return m
    if isinstance(m, tuple):
        return Measure(op=m[0], field=m[1] if len(m) > 1 else None)
    return Measure.model_validate(m)


def _sort_key(value: object) -> tuple:
    """Nulls last, numbers before text, numbers by value (mixed columns such as top-coded ages sort too)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return (2, 0, "")
    if isinstance(value, bool | np.bool_):
        return (0, int(value), "")
    if isinstance(value, int | float | np.integer | np.floating):
        return (0, float(value), "")
    return (1, 0, str(value))


def _sorted_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes that sort like the values (nulls a value of their own, last) and the distinct values in order."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    uniques = np.asarray(uniques, dtype=object)
    order = sorted(range(len(uniques)), key=lambda i: _sort_key(uniques[i]))
    rank = np.empty(len(uniques), dtype=np.int64)
    rank[order] = np.arange(len(uniques))
    return rank[codes], uniques[order]


def _column(values: np.ndarray, dtype: object) -> pd.Series:
    """The cells' values of one group-by field, in the field's own dtype where it can hold them."""
    try:
        return pd.Series(values, dtype=dtype)
    except (TypeError, ValueError):
        return pd.Series(values, dtype=object)


def _lines(cells: np.ndarray, dim: int) -> np.ndarray:
    """For each cell, the id of its line along `dim` (cells equal on every other dimension)."""
    others = np.delete(cells, dim, axis=1)
    if others.shape[1] == 0:
        return np.zeros(len(cells), dtype=np.int64)
    return np.unique(others, axis=0, return_inverse=True)[1].reshape(-1)


def _on_line_with_one(line: np.ndarray, flagged: np.ndarray) -> np.ndarray:
    """Per cell: is it on a line where exactly one cell is flagged, and that line has other cells too?
    (A line total then gives the flagged cell away.)"""
    size = np.bincount(line)
    n_flagged = np.bincount(line, weights=flagged.astype(float), minlength=len(size))
    return ((n_flagged == 1) & (size > 1))[line]


def _complementary(cells: np.ndarray, counts: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """Hide the smallest visible cell on every line that has exactly one hidden cell, until none has."""
    hidden = hidden.copy()
    lines = [_lines(cells, dim) for dim in range(cells.shape[1])]
    changed = True
    while changed:
        changed = False
        for line in lines:
            candidates = np.flatnonzero(_on_line_with_one(line, hidden) & ~hidden)
            if not len(candidates):
                continue
            order = np.lexsort((candidates, counts[candidates], line[candidates]))
            picks = candidates[order]
            first = np.r_[True, line[picks][1:] != line[picks][:-1]]
            hidden[picks[first]] = True
            changed = True
    return hidden


def aggregate(frame: pd.DataFrame, group_by: Sequence[str], measures: Sequence[Measure | dict | tuple] = (),
              min_cell_size: int | None = None, *, complementary: bool = True) -> AggregateResult:
    """Count the rows of `frame` per observed combination of `group_by` values (nulls form their own group),
    compute the sum/mean measures, and suppress small cells when `min_cell_size` is given.

    `complementary=False` skips complementary suppression (to show what it protects against).
    """
    group_by = list(group_by)
    wanted = [m for m in (_measure(m) for m in measures) if m.op != COUNT]
    if group_by:
        coded = [_sorted_codes(frame[c]) for c in group_by]
        coded_by = list(zip(group_by, coded, strict=True))
        matrix = np.column_stack([codes for codes, _ in coded]) if len(frame) else np.empty((0, len(group_by)), int)
        cells, inverse, counts = np.unique(matrix, axis=0, return_inverse=True, return_counts=True)
        inverse = inverse.reshape(-1)
        out = {c: _column(values[cells[:, i]], frame[c].dtype) for i, (c, (_, values)) in enumerate(coded_by)}
    else:
        cells = np.zeros((1 if len(frame) else 0, 0), dtype=np.int64)
        inverse = np.zeros(len(frame), dtype=np.int64)
        counts = np.array([len(frame)] if len(frame) else [], dtype=np.int64)
        out = {}
    n = len(counts)
    hidden = np.zeros(n, dtype=bool)
    if min_cell_size:
        hidden = (counts >= 1) & (counts < min_cell_size)
    primary = int(hidden.sum())
    if min_cell_size and complementary and group_by and hidden.any():
        hidden = _complementary(cells, counts, hidden)
    before = pd.DataFrame({**{c: s.copy() for c, s in out.items()}, COUNT: counts.astype(np.int64)})
    result = pd.DataFrame(out)
    result[COUNT] = pd.array(np.where(hidden, 0, counts), dtype="Int64")
    result.loc[hidden, COUNT] = pd.NA
    for m in wanted:
        x = numbers(frame[m.field]).to_numpy()
        present = ~np.isnan(x)
        total = np.bincount(inverse, weights=np.where(present, x, 0.0), minlength=n)
        seen = np.bincount(inverse, weights=present.astype(float), minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = total if m.op == "sum" else total / seen
        value = np.where(seen > 0, value, np.nan)
        result[m.column] = np.where(hidden, np.nan, value)
    result[SUPPRESSED] = hidden
    published = counts[~hidden]
    return AggregateResult(
        frame=result, cells=n, primary_suppressed=primary, complementary_suppressed=int(hidden.sum()) - primary,
        min_cell_size=min_cell_size, smallest_published_count=int(published.min()) if len(published) else None,
        counts_before_suppression=before, group_by=group_by, complementary=complementary,
        cell_of_row=inverse,
    )


def recoverable_cells(result: AggregateResult) -> int:
    """How many suppressed cells a recipient can work out from the published cells and the line totals.

    Repeats until nothing more can be learnt (a recovered cell may expose another). 0 after proper
    complementary suppression.
    """
    return int(recoverable_mask(result).sum())


def recoverable_mask(result: AggregateResult) -> np.ndarray:
    """Boolean mask over the cells of `result.frame`: the suppressed cells `recoverable_cells` counts."""
    hidden = result.frame[SUPPRESSED].to_numpy(dtype=bool).copy()
    if not result.group_by or not hidden.any():
        return np.zeros(len(hidden), dtype=bool)
    cells = np.column_stack([pd.factorize(result.counts_before_suppression[c], use_na_sentinel=False)[0]
                             for c in result.group_by])
    lines = [_lines(cells, dim) for dim in range(cells.shape[1])]
    unknown = hidden.copy()
    changed = True
    while changed:
        changed = False
        for line in lines:
            found = _on_line_with_one(line, unknown) & unknown
            if found.any():
                unknown[found] = False
                changed = True
    return hidden & ~unknown


__all__ = ["AggregateResult", "aggregate", "recoverable_cells", "recoverable_mask"]
