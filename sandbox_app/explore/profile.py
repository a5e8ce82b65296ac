"""A column's profile: rows, missing values, distinct values, the most common values and (for numbers) a
histogram, each computed in SQL under its own time limit; a part that runs out of time says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sandbox_app.explore.catalog import quote
from sandbox_app.explore.charts import ChartError, ChartSpec, histogram_data
from sandbox_app.explore.sql import QueryTimeout, ReadOnlyDatabase
from synthetic.progress import TaskState

PART_TIMEOUT_S = 3.0
TOP_VALUES = 10


@dataclass
class ColumnProfile:
    table: str
    column: str
    rows: int | None = None
    nulls: int | None = None
    distinct: int | None = None
    top: list[tuple[object, int]] = field(default_factory=list)
    histogram: tuple[list[float], list[int], float] | None = None  # left edges, counts, bin width
    gave_up: list[str] = field(default_factory=list)  # "distinct values (after 3 s)", …

    def summary(self) -> str:
        """One line for a city employee: '3,249 rows · 507 missing (16%) · 51 different values'."""
        parts = []
        if self.rows is not None:
            parts.append(f"{self.rows:,} rows")
        if self.nulls is not None and self.rows:
            parts.append(f"{self.nulls:,} missing ({self.nulls / self.rows:.0%})")
        if self.distinct is not None:
            parts.append(f"{self.distinct:,} different value{'s' if self.distinct != 1 else ''}")
        text = " · ".join(parts)
        if self.gave_up:
            text += f" (gave up on {', '.join(self.gave_up)})"
        return text


def column_profile(db_path: str | Path, table: str, column: str, *, facilitator: bool = False,
                   timeout: float = PART_TIMEOUT_S, state: TaskState | None = None) -> ColumnProfile:
    """Profile `column` of `table` (the whole table, under the console's read-only rules)."""
    profile = ColumnProfile(table, column)
    col, src = quote(column), quote(table)
    with ReadOnlyDatabase(db_path, facilitator=facilitator) as db:
        def part(name: str, sql: str):
            try:
                return db.query(sql, timeout=timeout, state=state).page(TOP_VALUES + 1)
            except QueryTimeout:
                profile.gave_up.append(f"{name} (after {timeout:g} s)")
                return None

        counts = part("counting", f"SELECT count(*), count(*) - count({col}) FROM {src}")
        if counts:
            profile.rows, profile.nulls = counts[0]
        distinct = part("different values", f"SELECT count(DISTINCT {col}) FROM {src}")
        if distinct:
            profile.distinct = distinct[0][0]
        top = part("most common values", f"SELECT {col}, count(*) AS n FROM {src} GROUP BY {col} "
                                         f"ORDER BY n DESC, {col} LIMIT {TOP_VALUES}")
        profile.top = [(v, n) for v, n in top or []]
        try:
            data = histogram_data(db, ChartSpec(table, column, kind="histogram"), timeout, state)
            profile.histogram = (data.x, data.y, data.bin_width)
        except ChartError:
            pass  # not numbers: no histogram
        except QueryTimeout:
            profile.gave_up.append(f"the histogram (after {timeout:g} s)")
    return profile


__all__ = ["ColumnProfile", "column_profile"]
