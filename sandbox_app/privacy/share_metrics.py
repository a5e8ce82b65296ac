"""Metrics: the risk figures of one scored share (what the live meter shows), typed, with the thresholds they
are judged against."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from sandbox_app.privacy import disclosure
from sandbox_app.privacy.context import ShareContext


@dataclass
class Metrics:
    """Risk of one share across its tables.

    Row-level shares: k, l, unique records, records below k and prosecutor risk are over the tables that do not
    name people (`identified_tables` lists those that do; k is None when every table names people). An
    aggregate share: `records` counts its cells and `small_cells` the published cells below `min_cell_size`
    plus the suppressed cells that can be recomputed from the published ones.
    """

    records: int
    k_anonymity: int | None
    l_diversity: dict[str, int]
    unique_records: int
    records_below_k: int            # records in equivalence classes smaller than k_threshold
    prosecutor_risk_max: float
    reidentified_by_linkage: int    # residents correctly and uniquely matched to the public voter roll
    identified_tables: list[str]
    small_cells: int
    quasi_identifiers: dict[str, list[str]] = field(default_factory=dict)     # table -> columns
    sensitive_attributes: dict[str, list[str]] = field(default_factory=dict)  # table -> columns
    k_threshold: int = 0            # the agreement's k
    risk_threshold: float = 0.0     # the agreement's prosecutor risk (default 1/k)
    min_cell_size: int = 0          # the agreement's smallest publishable cell

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def share_metrics(ctx: ShareContext) -> Metrics:
    """The Metrics of a measured context (after `disclosure.measure`)."""
    ms = list(ctx.metrics.values())
    ks = [m.k_anonymity for m in ms if m.k_anonymity is not None and m.quasi_identifiers]
    l_div: dict[str, int] = {}
    for m in ms:
        for attr, value in m.l_diversity.items():
            l_div[attr] = min(int(value), l_div.get(attr, int(value)))
    records = (len(ctx.extract.aggregate.frame) if ctx.extract.aggregate is not None
               else sum(len(p.frame) for p in ctx.parts))
    return Metrics(
        records=int(records), k_anonymity=min(ks) if ks else None, l_diversity=l_div,
        unique_records=int(sum(m.unique_records for m in ms)),
        records_below_k=int(sum(m.records_below_k for m in ms if m.quasi_identifiers)),
        prosecutor_risk_max=float(max((m.prosecutor_risk_max for m in ms), default=0.0)),
        reidentified_by_linkage=int(sum(r.reidentified_residents for r in ctx.linkage.values())),
        identified_tables=[p.table for p in ctx.identified_parts()] if ctx.row_level else [],
        small_cells=disclosure.small_cell_count(ctx),
        quasi_identifiers={t: list(m.quasi_identifiers) for t, m in ctx.metrics.items()},
        sensitive_attributes={t: list(m.sensitive) for t, m in ctx.metrics.items()},
        k_threshold=int(ctx.agreement.k), risk_threshold=float(disclosure.risk_threshold(ctx)),
        min_cell_size=int(ctx.agreement.min_cell_size),
    )  # fmt: skip
