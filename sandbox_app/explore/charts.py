"""Chart data computed in SQL: a chart never pulls a raw million-row column into Python.

Bar and line charts group by x and aggregate y (count, sum, avg, min, max); a histogram bins a numeric x
in SQL; a scatter plot reads at most MAX_POINTS (x, y) pairs, spread evenly over the rows. The source is a
table or the console's query (as a subquery), and every chart query runs under the console's read-only rules.
A map groups rows by x (a ZIP code, a neighbourhood) and puts each group at the mean of its coordinates,
sized by its number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sandbox_app.errors import SandboxError
from sandbox_app.explore.catalog import quote
from sandbox_app.explore.sql import DEFAULT_TIMEOUT_S, ReadOnlyDatabase
from synthetic.progress import TaskState

KINDS = ("bar", "line", "histogram", "scatter", "map")
MAX_PLACES = 200
AGGREGATIONS = ("count", "sum", "avg", "min", "max")
MAX_BARS = 30
MAX_LINE_POINTS = 1_000
MAX_POINTS = 5_000
HISTOGRAM_BINS = 20


class ChartError(SandboxError):
    """A chart that cannot be drawn from the choices made (no numeric column for a histogram, …)."""


@dataclass(frozen=True)
class ChartSpec:
    """What to plot. `source` is a table name, or a SELECT when `source_is_query`."""

    source: str
    x: str
    y: str | None = None  # None with 'count': count rows
    aggregation: str = "count"
    kind: str = "bar"
    source_is_query: bool = False
    lat: str = "lat"  # maps: the coordinate columns
    lon: str = "lon"

    def from_clause(self) -> str:
        return f"({self.source.strip().rstrip(';')}) AS source" if self.source_is_query else quote(self.source)

    def y_label(self) -> str:
        if self.kind in ("histogram", "map"):
            return "number of rows"
        if self.kind == "scatter":
            return self.y or ""
        words = {"count": "number", "sum": "total", "avg": "average", "min": "smallest", "max": "largest"}
        return "number of rows" if self.aggregation == "count" and not self.y else \
            f"{words[self.aggregation]} of {self.y}"


@dataclass
class ChartData:
    spec: ChartSpec
    x: list = field(default_factory=list)
    y: list = field(default_factory=list)
    x_label: str = ""
    y_label: str = ""
    note: str = ""  # what was left out ("top 30 of 112 values")
    sql: str = ""
    bin_width: float | None = None  # histograms: x holds each bin's left edge
    places: list[tuple[float, float]] = field(default_factory=list)  # maps: (lat, lon) of each group


def chart_sql(spec: ChartSpec) -> str:
    """The aggregate query behind a bar, line or scatter chart (histograms need the range first)."""
    if spec.kind not in KINDS:
        raise ChartError(f"unknown chart type '{spec.kind}' (use {', '.join(KINDS)})")
    if spec.aggregation not in AGGREGATIONS:
        raise ChartError(f"unknown aggregation '{spec.aggregation}' (use {', '.join(AGGREGATIONS)})")
    x, src = quote(spec.x), spec.from_clause()
    if spec.kind == "scatter":
        if not spec.y:
            raise ChartError("a scatter plot needs a y column")
        y = quote(spec.y)
        step = f"((total + {MAX_POINTS - 1}) / {MAX_POINTS})"
        return (f"SELECT {x}, {y}, total FROM (SELECT {x}, {y}, row_number() OVER () - 1 AS n, count(*) OVER () "
                f"AS total FROM {src} WHERE {x} IS NOT NULL AND {y} IS NOT NULL) WHERE n % {step} = 0 "
                f"LIMIT {MAX_POINTS}")
    if spec.kind == "map":
        lat, lon = quote(spec.lat), quote(spec.lon)
        return (f"SELECT {x}, count(*) AS n, avg({lat}), avg({lon}) FROM {src} WHERE {lat} IS NOT NULL AND "
                f"{lon} IS NOT NULL GROUP BY {x} ORDER BY n DESC, {x}")
    if spec.aggregation == "count" and not spec.y:
        value = "count(*)"
    elif not spec.y:
        raise ChartError(f"'{spec.aggregation}' needs a y column (or choose count)")
    else:
        value = f"{spec.aggregation}({quote(spec.y)})"
    if spec.kind == "bar":
        return f"SELECT {x}, {value} AS value FROM {src} GROUP BY {x} ORDER BY value DESC, {x}"
    return f"SELECT {x}, {value} AS value FROM {src} WHERE {x} IS NOT NULL GROUP BY {x} ORDER BY {x}"


def chart_data(db_path: str | Path, spec: ChartSpec, *, facilitator: bool = False,
               timeout: float | None = DEFAULT_TIMEOUT_S, state: TaskState | None = None) -> ChartData:
    """Run the chart's aggregate query read-only and return the points to plot."""
    with ReadOnlyDatabase(db_path, facilitator=facilitator) as db:
        if spec.kind == "histogram":
            return histogram_data(db, spec, timeout, state)
        sql = chart_sql(spec)
        result = db.query(sql, timeout=timeout, state=state)
        limit = {"bar": MAX_BARS, "line": MAX_LINE_POINTS, "scatter": MAX_POINTS, "map": MAX_PLACES}[spec.kind]
        rows = [r for page in result.pages(limit=limit) for r in page]
        more = not result.exhausted and bool(result.page(1))
        result.close()
    data = ChartData(spec, [r[0] for r in rows], [r[1] for r in rows], spec.x, spec.y_label(), sql=sql)
    if spec.kind == "map":
        data.places = [(r[2], r[3]) for r in rows]
    if more:
        data.note = {"bar": f"the {MAX_BARS} largest values", "line": f"the first {MAX_LINE_POINTS:,} values",
                     "map": f"the {MAX_PLACES} largest groups"}[spec.kind]
    if spec.kind == "scatter" and rows:
        total = rows[0][2]
        data.note = f"all {total:,} points" if total == len(rows) else f"{len(rows):,} of {total:,} points, spread " \
            "evenly over the rows"
    return data


def histogram_data(db: ReadOnlyDatabase, spec: ChartSpec, timeout, state) -> ChartData:
    """HISTOGRAM_BINS equal bins between the column's min and max, counted in SQL (ChartError: not numbers)."""
    x, src = quote(spec.x), spec.from_clause()
    low, high, numbers, present = db.query(
        f"SELECT min({x}), max({x}), sum(typeof({x}) IN ('integer', 'real')), count({x}) FROM {src}",
        timeout=timeout, state=state).page()[0]
    if not present:
        raise ChartError(f"column {spec.x} has no values to count")
    if numbers == 0:
        raise ChartError(f"a histogram needs numbers, and {spec.x} holds text (try a bar chart)")
    if numbers != present:
        raise ChartError(f"{spec.x} mixes numbers and text; a histogram needs numbers (try a bar chart)")
    width = (high - low) / HISTOGRAM_BINS or 1
    sql = (f"SELECT min(CAST(({x} - ?) / ? AS INTEGER), {HISTOGRAM_BINS - 1}) AS bin, count(*) FROM {src} "
           f"WHERE {x} IS NOT NULL GROUP BY bin ORDER BY bin")
    counts = dict(db.query(sql, (low, width), timeout=timeout, state=state).page(HISTOGRAM_BINS + 1))
    edges = [low + i * width for i in range(HISTOGRAM_BINS + 1)]
    return ChartData(spec, edges[:-1], [counts.get(i, 0) for i in range(HISTOGRAM_BINS)], spec.x, spec.y_label(),
                     note=f"{HISTOGRAM_BINS} bins of width {width:g}", sql=sql, bin_width=width)


__all__ = ["AGGREGATIONS", "ChartData", "ChartError", "ChartSpec", "KINDS", "chart_data", "chart_sql"]
