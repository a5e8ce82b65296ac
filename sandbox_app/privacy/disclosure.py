"""Statistical disclosure control rules: small cells, k-anonymity, prosecutor risk, linkage, l-diversity."""

from __future__ import annotations

import pandas as pd

from sandbox_app.privacy.catalogue import Finding, finding
from sandbox_app.privacy.context import ShareContext, identifies, is_quasi, is_sensitive
from sandbox_app.privacy.linkage import run_linkage
from sandbox_app.privacy.metrics import k_anonymity, risk_metrics
from sandbox_app.sharing.aggregate import recoverable_cells

STRICT_L = {"health", "mental_health", "substance_use", "hiv_status", "criminal_history", "juvenile_justice"}


def measure(ctx: ShareContext) -> None:
    """Risk metrics and the linkage attack for every row-level table that does not name people outright."""
    if not ctx.row_level:
        return
    for part in ctx.parts:
        if any(identifies(c) for c in part.columns):
            continue
        qis = [c.name for c in part.columns if is_quasi(c)]
        sensitive = [c.name for c in part.columns if is_sensitive(c)]
        ctx.metrics[part.table] = risk_metrics(part.frame, qis, sensitive,
                                               risk_threshold=_risk_threshold(ctx))
        result = run_linkage(ctx.db, part, ctx.reference_date())
        if result is not None:
            ctx.linkage[part.table] = result


def _risk_threshold(ctx: ShareContext) -> float:
    return ctx.agreement.prosecutor_risk or 1.0 / ctx.agreement.k


def check_small_cells(ctx: ShareContext) -> list[Finding]:
    agg = ctx.extract.aggregate
    if agg is None:
        return []
    n = ctx.agreement.min_cell_size
    counts = agg.frame.loc[~agg.frame["suppressed"].astype(bool), "count"]
    small = counts[(counts >= 1) & (counts < n)]
    out = []
    group_by = ", ".join(ctx.share.aggregate.group_by)
    if len(small):
        out.append(finding("small_cells", f"{len(small)} published cells count fewer than {n} people "
                           f"(smallest: {int(small.min())}).", fields=list(ctx.share.aggregate.group_by),
                           rows=int(small.sum()), clause=ctx.clause_about("11", "cell", "count"),
                           hint=f"set min_cell_size to {n}, or group by fewer or coarser fields than {group_by}"))
    recoverable = recoverable_cells(agg)
    if recoverable:
        out.append(finding("small_cells", f"{recoverable} suppressed cells can be recomputed from the totals.",
                           severity="major", fields=list(ctx.share.aggregate.group_by), rows=recoverable,
                           hint="suppress a second cell in each row and column that has one (complementary "
                                "suppression)"))
    return out


def check_k_and_risk(ctx: ShareContext) -> list[Finding]:
    out = []
    k_needed = ctx.agreement.k
    for table, m in ctx.metrics.items():
        part = next(p for p in ctx.parts if p.table == table)
        if m.k_anonymity is None or not m.quasi_identifiers:
            continue
        hint = _k_hint(part.frame, m.quasi_identifiers, m.k_anonymity, k_needed) if (
            m.k_anonymity < k_needed or m.prosecutor_risk_max > _risk_threshold(ctx) + 1e-12) else ""
        if m.k_anonymity < k_needed:
            severity = "blocker" if ctx.agreement.release == "public" else "major"
            out.append(finding("k_anonymity", f"{table}: {m.unique_records:,} records are unique on "
                               f"{', '.join(m.quasi_identifiers)}; the smallest group has {m.k_anonymity} "
                               f"(needed: {k_needed}).", severity=severity, fields=m.quasi_identifiers,
                               rows=m.records_at_risk, examples=m.smallest_classes[:3],
                               hint=hint))
        threshold = _risk_threshold(ctx)
        if m.prosecutor_risk_max > threshold + 1e-12:
            out.append(finding("reidentification_risk", f"{table}: prosecutor risk {m.prosecutor_risk_max:.2f} "
                               f"(threshold {threshold:.2f}); {m.records_at_risk:,} records above it.",
                               fields=m.quasi_identifiers, rows=m.records_at_risk,
                               hint=hint))
        for attr, l_value in m.l_diversity.items():
            category = next(c.category for c in part.columns if c.name == attr)
            needed = max(ctx.agreement.l_threshold, 3 if category in STRICT_L else 2)
            if l_value < needed:
                out.append(finding("l_diversity", f"{table}: some groups share a single {attr} value "
                                   f"(l = {l_value}, needed {needed}), so membership alone reveals it.",
                                   fields=[attr, *m.quasi_identifiers],
                                   hint="generalize the quasi-identifiers further, or drop " + attr))
    return out


def _k_hint(frame, qis: list[str], k: int | None, needed: int) -> str:
    """Which quasi-identifiers to generalise or drop, and the k that gives.

    Greedy: remove, one at a time, the quasi-identifier whose removal leaves the fewest classes (the most
    people per class), until k reaches what is needed; name them in that order with the k reached.
    """
    codes = pd.DataFrame({q: pd.factorize(frame[q], use_na_sentinel=False)[0] for q in qis})  # factorise once
    kept, removed, reached = list(qis), [], k
    while kept and (reached or 0) < needed:
        best = None
        for q in kept:
            rest = [c for c in kept if c != q]
            classes = len(codes[rest].drop_duplicates()) if rest else 1
            if best is None or classes < best[1]:
                best = (q, classes)
        kept.remove(best[0])
        removed.append(best[0])
        reached = k_anonymity(codes, kept) if kept else len(frame)
    if not removed:
        return "generalize the quasi-identifiers"
    names = removed[0] if len(removed) == 1 else ", then ".join(removed)
    verb = "meets the" if (reached or 0) >= needed else "still short of the"
    return f"generalize or drop {names}: k rises from {k} to {reached} ({verb} {needed} needed)"


def check_linkage(ctx: ShareContext) -> list[Finding]:
    out = []
    for table, result in ctx.linkage.items():
        if result.reidentified_residents:
            out.append(finding("linkage_attack", f"{table}: joining the public voter roll on "
                               f"{', '.join(result.on)} correctly singles out {result.reidentified_residents:,} "
                               f"residents ({result.matched_uniquely:,} unique matches of "
                               f"{result.attempted:,} records).", fields=list(result.on),
                               rows=result.reidentified, examples=[int(i) for i in result.example_rows[:5]],
                               hint="generalize birth dates to year and ZIP to zip3 or neighbourhood, "
                                    "or drop sex"))
    return out
