"""Statistical disclosure control rules: small cells, k-anonymity, prosecutor risk, linkage, l-diversity."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd

from sandbox_app.privacy.catalogue import Finding, finding, rows_where
from sandbox_app.privacy.context import ShareContext, identifies, is_quasi, is_sensitive
from sandbox_app.privacy.examples import ClassExample, RowExample
from sandbox_app.privacy.fixes import remove_field, set_field
from sandbox_app.privacy.linkage import run_linkage
from sandbox_app.privacy.metrics import SIZE, classes_below, risk_metrics
from sandbox_app.privacy.targeting import selected_residents
from sandbox_app.privacy.usefulness import grain_satisfies
from sandbox_app.sharing.aggregate import recoverable_mask
from sandbox_app.sharing.database import ROW_ID
from sandbox_app.sharing.shared_codes import factorize
from sandbox_app.sharing.zip3 import large_areas, zip3_of
from synthetic.categories import STRICT_L_CATEGORIES


def mark_reencodings(ctx: ShareContext) -> None:
    """Mark columns that re-encode a direct identifier one-to-one (a band of width 1 over a client number,
    a masked code that is still unique…): they name people as surely as the identifier does."""
    for part in ctx.parts:
        for col in part.columns:
            if col.op in ("keep", "derive", "pseudonym", "hash", "drop") or identifies(col) \
                    or not col.has_category("direct_identifier") or not len(part.frame):
                continue
            frame = ctx.db.read_table(part.table, col.sources[:1])
            source = frame[col.sources[0]].iloc[pd.Index(frame[ROW_ID]).get_indexer(part.row_ids)]
            pairs = pd.DataFrame({"out": part.frame[col.name].to_numpy(), "src": source.to_numpy()}).dropna()
            if len(pairs) > 1 and pairs["src"].nunique() > 1 and \
                    pairs.groupby("out")["src"].nunique().max() == 1:
                col.singles_out = True


def recipient_views(parts) -> dict:
    """table -> what the recipient can put together from it: one part, or every part of a table listed more
    than once joined record by record (the same rows in two lists line up, by order or by any shared value:
    splitting the fields of one table over two entries hides nothing)."""
    views: dict[str, object] = {}
    for part in parts:
        if part.table not in views:
            views[part.table] = part
            continue
        first = views[part.table]
        taken = set(first.frame.columns)
        renamed = []
        for col in part.columns:
            name, i = col.name, 2
            while name in taken:
                name, i = f"{col.name} ({i})", i + 1
            taken.add(name)
            renamed.append(dataclasses.replace(col, name=name))
        left = first.frame.assign(_row=first.row_ids)
        right = part.frame.set_axis([c.name for c in renamed], axis=1).assign(_row=part.row_ids)
        both = left.merge(right, on="_row", how="outer", sort=False)
        truth = dict(zip(first.row_ids, first.truth, strict=True)) | dict(zip(part.row_ids, part.truth, strict=True))
        rows = both.pop("_row").to_numpy()
        views[part.table] = dataclasses.replace(
            first, frame=both.reset_index(drop=True), row_ids=rows,
            truth=np.array([truth[r] for r in rows], dtype=np.int64), columns=[*first.columns, *renamed])
    return views


def measure(ctx: ShareContext, between: Callable[[], None] | None = None) -> None:
    """Risk metrics and the linkage attack for every row-level table that does not name people outright.

    `between` runs before each table and before its linkage attack (the caller's cancel check)."""
    mark_reencodings(ctx)
    if not ctx.row_level:
        return
    ctx.measured = recipient_views(ctx.parts)
    for part in ctx.measured.values():
        if between is not None:
            between()
        if any(identifies(c) for c in part.columns):
            continue
        qis = [c.name for c in part.columns if is_quasi(c)]
        sensitive = [c.name for c in part.columns if is_sensitive(c)]
        ctx.metrics[part.table] = risk_metrics(part.frame, qis, sensitive, risk_threshold=risk_threshold(ctx),
                                               k_threshold=ctx.agreement.k)
        if between is not None:
            between()
        result = run_linkage(ctx.db, part, ctx.reference_date())
        if result is not None:
            ctx.linkage[part.table] = result


def risk_threshold(ctx: ShareContext) -> float:
    """The agreement's prosecutor-risk threshold, or by default 1/k of its k (docs/share-format.md)."""
    return ctx.agreement.prosecutor_risk or 1.0 / ctx.agreement.k


def _threshold_source(ctx: ShareContext) -> str:
    return "the agreement's" if ctx.agreement.prosecutor_risk else f"1/k, k = {ctx.agreement.k}"


def _small_published(ctx: ShareContext) -> tuple[np.ndarray, np.ndarray]:
    """Masks over an aggregate's cells: published cells counting 1..min_cell_size-1, and suppressed cells that
    can be recomputed from the published ones."""
    agg = ctx.extract.aggregate
    counts = agg.frame["count"]
    published = ~agg.frame["suppressed"].astype(bool).to_numpy()
    small = published & ((counts >= 1) & (counts < ctx.agreement.min_cell_size)).fillna(False).to_numpy(bool)
    return small, recoverable_mask(agg)


def small_cell_count(ctx: ShareContext) -> int:
    """How many cells of an aggregate share are small once published, or recoverable (0 for row level)."""
    if ctx.extract.aggregate is None:
        return 0
    small, recoverable = _small_published(ctx)
    return int(small.sum() + recoverable.sum())


def _flag_measures(ctx: ShareContext) -> list[tuple[str, str]]:
    """(measure op, field) of every sum/mean over a 0/1 field: a sum of yes/no values is a count of people,
    and a mean of them times the published count is one too."""
    agg, part = ctx.share.aggregate, ctx.parts[0]
    out = []
    for m in agg.measures:
        if m.op in ("sum", "mean") and m.field:
            values = pd.unique(pd.to_numeric(part.frame[m.field].astype("object"), errors="coerce"))
            values = [v for v in values if not pd.isna(v)]
            if values and set(values) <= {0, 1}:
                out.append((m.op, m.field))
    return out


def check_small_cells(ctx: ShareContext) -> list[Finding]:
    agg = ctx.extract.aggregate
    if agg is None:
        return []
    n = ctx.agreement.min_cell_size
    shown = ~agg.frame["suppressed"].astype(bool)
    small_mask, recoverable_cells = _small_published(ctx)
    small = agg.frame["count"][small_mask]
    table = ctx.parts[0].table
    out = []
    group_by = list(ctx.share.aggregate.group_by)
    clause = ctx.clause_for("small_cells")
    fix_min = [{"edit": "set_aggregate", "aggregate": {**ctx.share.aggregate.model_dump(mode="json"),
                                                       "min_cell_size": n}}]
    if len(small):
        out.append(finding("small_cells", f"{len(small)} published cells count fewer than {n} people "
                           f"(smallest: {int(small.min())}).", fields=group_by, rows=int(small.sum()),
                           clause=clause, evidence={"min_cell_size": n, "smallest": int(small.min())},
                           hint=f"set min_cell_size to {n}, or group by fewer or coarser fields than "
                                f"{', '.join(group_by)}", fix=fix_min,
                           row_positions=rows_where(table, agg.rows_in(small_mask))))
    for op, name in _flag_measures(ctx):
        column = agg.frame.loc[shown, f"{op}_{name}"].astype(float)
        hidden_counts = column if op == "sum" else (column * agg.frame.loc[shown, "count"].astype(float)).round()
        disguised = hidden_counts[(hidden_counts >= 1) & (hidden_counts < n)]
        if len(disguised):
            measures = [m.model_dump(mode="json", exclude_none=True) for m in ctx.share.aggregate.measures
                        if not (m.op == op and m.field == name)] or [{"op": "count"}]
            honest = {"group_by": group_by + [name], "measures": measures, "min_cell_size": n}
            out.append(finding("small_cells", f"{len(disguised)} published cells of {op} {name} (a yes/no "
                               f"field) count fewer than {n} people: a {op} of 0/1 values is a count "
                               f"(smallest: {int(disguised.min())}).", fields=[*group_by, name],
                               rows=int(disguised.sum()), clause=clause,
                               evidence={"min_cell_size": n, "measure": f"{op}_{name}"},
                               hint=f"group by {name} instead of measuring its {op}, with min_cell_size {n}",
                               fix=[{"edit": "set_aggregate", "aggregate": honest}],
                               row_positions=rows_where(table, agg.rows_in(
                                   shown.to_numpy() & agg.frame.index.isin(disguised.index)))))
    part = ctx.parts[0]
    selected = selected_residents(ctx, part, n)
    if part.filter is not None and 0 < selected < n:
        out.append(finding("small_cells", f"The row filter selects {selected} resident"
                           f"{'s' if selected != 1 else ''} (fewer than {n}): every cell, published, suppressed "
                           "or absent, is about them.", fields=[part.filter.name], rows=len(part.frame),
                           clause=clause, evidence={"selected_residents": selected, "min_cell_size": n},
                           hint="aggregate over a population of at least the minimum cell size",
                           fix=[{"edit": "set_where", "table": part.table, "where": None}]))
    recoverable = int(recoverable_cells.sum())
    if recoverable:
        out.append(finding("small_cells", f"{recoverable} suppressed cells can be recomputed from the totals.",
                           severity="major", fields=group_by, rows=recoverable, clause=clause,
                           hint="suppress a second cell in each row and column that has one (complementary "
                                "suppression)", fix=fix_min,
                           row_positions=rows_where(table, agg.rows_in(recoverable_cells))))
    return out


def check_k_and_risk(ctx: ShareContext) -> list[Finding]:
    """One finding per table for a k shortfall (with the prosecutor risk as evidence); a separate risk
    finding only when k is met but the agreement's stricter risk threshold is not."""
    out = []
    k_needed = ctx.agreement.k
    threshold = risk_threshold(ctx)
    for table, m in ctx.metrics.items():
        part = ctx.measured[table]
        if m.k_anonymity is None or not m.quasi_identifiers:
            continue
        short = m.k_anonymity < k_needed
        risky = m.prosecutor_risk_max > threshold + 1e-12
        evidence = {"k": m.k_anonymity, "k_needed": k_needed, "prosecutor_risk": round(m.prosecutor_risk_max, 4),
                    "risk_threshold": round(threshold, 4), "records_at_risk": m.records_at_risk}
        if short or risky:
            hint, fix = _k_hint(ctx, part, m.quasi_identifiers, m.k_anonymity, k_needed)
        risk_text = (f"prosecutor risk {m.prosecutor_risk_max:.2f}, threshold {threshold:.2f} "
                     f"({_threshold_source(ctx)}); {m.records_at_risk:,} records above it")
        if short:
            below = rows_where(table, classes_below(part.frame, m.quasi_identifiers, k_needed).to_numpy())
            severity = "blocker" if ctx.agreement.release == "public" else "major"
            out.append(finding("k_anonymity", f"{table}: {m.unique_records:,} records are unique on "
                               f"{', '.join(m.quasi_identifiers)}; the smallest group has {m.k_anonymity} "
                               f"(needed: {k_needed}); {risk_text}.", severity=severity,
                               fields=m.quasi_identifiers, rows=m.records_at_risk, examples=[ClassExample({k: v for k, v in c.items() if k != SIZE}, int(c[SIZE]))
                                         for c in m.smallest_classes[:3]],
                               hint=hint, fix=fix, evidence=evidence, clause=ctx.clause_for("k_anonymity"),
                               row_positions=below))
        elif risky:
            out.append(finding("reidentification_risk", f"{table}: k = {m.k_anonymity} meets {k_needed}, but "
                               f"{risk_text}.", fields=m.quasi_identifiers, rows=m.records_at_risk,
                               hint=hint, fix=fix, evidence=evidence,
                               clause=ctx.clause_for("reidentification_risk")))
        for attr, l_value in m.l_diversity.items():
            col = next(c for c in part.columns if c.name == attr)
            needed = max(ctx.agreement.l_threshold, 3 if col.has_category(*STRICT_L_CATEGORIES) else 2)
            if l_value < needed:
                out.append(finding("l_diversity", f"{table}: some groups share a single {attr} value "
                                   f"(l = {l_value}, needed {needed}), so membership alone reveals it.",
                                   fields=[attr, *m.quasi_identifiers], evidence={"l": l_value, "l_needed": needed},
                                   hint="generalize the quasi-identifiers further, or drop " + attr,
                                   fix=[remove_field(table, attr)]))
    return out


def _codes(values) -> np.ndarray:
    """Integer class codes of a column; a null is a value of its own (as in the risk metrics)."""
    return factorize(values, use_na_sentinel=False)[0].astype(np.int64)


def _class_sizes(columns: list[np.ndarray], rows: int) -> tuple[np.ndarray, int]:
    """(size of each record's class, number of classes) under integer-coded quasi-identifier columns."""
    if not columns:
        return np.full(rows, rows), 1 if rows else 0
    key = np.zeros(rows, dtype=np.int64)
    radix = 1
    for codes in columns:
        card = int(codes.max()) + 1 if rows else 1
        if radix > (2**62) // card:  # re-number before the mixed-radix key could overflow
            key = _codes(key)
            radix = int(key.max()) + 1
        key = key * card + codes
        radix *= card
    if radix > 8 * rows + 1024:  # sparse key: re-number (hashing) so the counts array stays small
        key = _codes(key)
        radix = int(key.max()) + 1
    counts = np.bincount(key, minlength=radix)
    return counts[key], int(np.count_nonzero(counts))


def _coarsenings(ctx: ShareContext, part, name: str) -> list[tuple[str, np.ndarray]]:
    """Successively coarser codings of a quasi-identifier that still serve the purpose:
    [(what to write in the share, integer codes), …]. Each distinct value is converted once."""
    col = next(c for c in part.columns if c.name == name)
    local, distinct = factorize(part.frame[name], use_na_sentinel=False)
    values = pd.Series(np.asarray(distinct, dtype=object))
    info = ctx.db.column_info(part.table, col.sources[0]) if col.sources else {}
    steps: list[tuple[str, str, pd.Series]] = []  # (grain, advice, coarser distinct values)
    source = col.sources[0] if col.sources else name
    edits = {"month": set_field(part.table, name, {"op": "generalize", "to": "month"}),
             "year": set_field(part.table, name, {"op": "generalize", "to": "year"}),
             "decade": set_field(part.table, name, {"op": "derive", "expr": f"floor(year({source}) / 10) * 10"}),
             "zip3": set_field(part.table, name, {"op": "generalize", "to": "zip3"}),
             "band10": set_field(part.table, name, {"op": "generalize", "to": "band", "width": 10}),
             "band20": set_field(part.table, name, {"op": "generalize", "to": "band", "width": 20})}

    if info.get("data_type") == "date" and col.grain in ("exact", "month", "quarter", "year"):
        if col.grain == "exact":
            dates = pd.to_datetime(values, format=info.get("format") or None, errors="coerce")
            years = dates.dt.year
            steps.append(("month", f"generalize {name} to month", dates.dt.to_period("M").astype("string")))
        else:
            years = pd.to_numeric(values.astype("string").str[:4], errors="coerce")
        if col.grain != "year":
            steps.append(("year", f"generalize {name} to year", years))
        if col.semantic == "birth_date":  # a decade of birth still serves many purposes; of an event, rarely
            steps.append(("decade", f"generalize {name} to decades (derive)", (years // 10) * 10))
    elif col.semantic == "zip" and col.grain == "exact":
        large = large_areas(ctx.db, ctx.scenario.zip3_populations)  # what the op will write: 000 for small areas
        steps.append(("zip3", f"generalize {name} to zip3", pd.Series(zip3_of(values, large), dtype="string")))
    elif col.semantic == "age" and col.grain == "exact":
        numbers = pd.to_numeric(values, errors="coerce")
        steps += [("band10", f"generalize {name} to bands of 10 years", (numbers // 10) * 10),
                  ("band20", f"generalize {name} to bands of 20 years", (numbers // 20) * 20)]
    needs = ctx.exercise.needs.fields
    need = next((needs[s] for s in col.sources if s in needs), None)
    return [(advice, _codes(coarse)[local], edits[grain]) for grain, advice, coarse in steps
            if need is None or grain_satisfies(grain, need)]


def _sources(part, name: str) -> list[str]:
    return next(c.sources for c in part.columns if c.name == name)


def _k_hint(ctx: ShareContext, part, qis: list[str], k: int | None, needed: int) -> tuple[str, list[dict]]:
    """What to generalise, and (if that is not enough) what to suppress or drop, with the k it gives.

    Greedy: each step takes the one-step generalisation that leaves the fewest classes (the most people per
    class). If generalising runs out before k is reached, the few records still in small groups can be
    suppressed (a filter); if they are many, the column that splits them most is dropped. Never advises
    coarsening a field below the grain the purpose needs, nor dropping a field the purpose needs.
    """
    rows = len(part.frame)
    codes = {q: _codes(part.frame[q]) for q in qis}
    ladders = {q: steps for q in qis if (steps := _coarsenings(ctx, part, q))}
    moves: dict[str, str] = {}
    edits: dict[str, dict] = {}
    reached = k

    def classes(coded: dict[str, np.ndarray]) -> int:
        return _class_sizes(list(coded.values()), rows)[1]

    while codes and (reached or 0) < needed:
        if ladders:
            _, q = min((classes({**codes, q: steps[0][1]}), q) for q, steps in ladders.items())
            moves[q], codes[q], edits[q] = ladders[q].pop(0)
            if not ladders[q]:
                del ladders[q]
        else:
            needs = ctx.exercise.needs.fields
            droppable = [q for q in codes if not any(s in needs for s in _sources(part, q))]
            small = int((_class_sizes(list(codes.values()), rows)[0] < needed).sum())
            if small <= 0.05 * rows or not droppable:  # never advise dropping what the purpose needs
                verb = "meets the" if rows - small else "still short of the"
                done = ", then ".join(moves.values())
                return (f"{done + ', then ' if done else ''}leave out the {small:,} records still in groups "
                        f"smaller than {needed} (a where filter): k rises from {k} to at least {needed} "
                        f"({verb} {needed} needed)"), list(edits.values())
            _, q = min((classes({c: v for c, v in codes.items() if c != q}), q) for q in droppable)
            del codes[q]
            moves[q] = f"drop {q}"
            edits[q] = remove_field(part.table, q)
        sizes, _ = _class_sizes(list(codes.values()), rows)
        reached = int(sizes.min()) if rows else None
    if not moves:
        return "generalize the quasi-identifiers", []
    verb = "meets the" if (reached or 0) >= needed else "still short of the"
    return (f"{', then '.join(moves.values())}: k rises from {k} to {reached} ({verb} {needed} needed)",
            list(edits.values()))


def check_linkage(ctx: ShareContext) -> list[Finding]:
    out = []
    for table, result in ctx.linkage.items():
        if result.reidentified_residents:
            fix = _linkage_fix(ctx, table, result.on)
            out.append(finding("linkage_attack", f"{table}: joining the public voter roll on "
                               f"{', '.join(result.on)} correctly singles out {result.reidentified_residents:,} "
                               f"residents ({result.matched_uniquely:,} unique matches of "
                               f"{result.attempted:,} records).", fields=list(result.on),
                               rows=result.reidentified, examples=[RowExample(table, int(i)) for i in result.example_rows[:5]],
                               row_positions={table: list(result.row_positions)},
                               hint=_linkage_hint(fix), fix=fix,
                               clause=ctx.clause_for("linkage_attack"),
                               evidence={"attempted": result.attempted, "matched_uniquely": result.matched_uniquely,
                                         "reidentified_residents": result.reidentified_residents}))
    return out


def _linkage_hint(fix: list[dict]) -> str:
    """The linkage fix in words, from its own edits: each joined field's next coarser step from where the
    share has it now (a birth date already cut to the year is dropped, never "cut to the year" again)."""
    steps = []
    for edit in fix:
        if edit["edit"] == "remove_field":
            steps.append(f"drop {edit['field']}")
        else:
            op = edit["op"]
            steps.append(f"generalize {edit['field']} to {op.get('to')}" if op["op"] == "generalize"
                         else f"{op['op']} {edit['field']}")
    if not steps:
        return "share fewer of the fields the public voter roll also has"
    text = ", ".join(steps[:-1]) + (" and " if len(steps) > 1 else "") + steps[-1]
    return f"{text} (the fields the voter roll is joined on)"


def _linkage_fix(ctx: ShareContext, table: str, on: list[str]) -> list[dict]:
    """Take away what the attacker joins on: birth dates to the year, ZIP codes to zip3 (or neighbourhood
    where the purpose allows it), names and addresses and derived values out, then sex."""
    part = ctx.measured[table]
    edits = []
    for col in part.columns:
        if col.name not in on:
            continue
        if col.op == "derive" or col.reads("full_name", "first_name", "last_name", "address"):
            edits.append(remove_field(table, col.name))
        elif col.reads("birth_date") and col.grain in ("exact", "month", "quarter"):
            edits.append(set_field(table, col.name, {"op": "generalize", "to": "year"}))
        elif col.reads("birth_date", "age"):
            edits.append(remove_field(table, col.name))
        elif col.reads("zip") and col.grain == "exact":
            edits.append(set_field(table, col.name, {"op": "generalize", "to": "zip3"}))
        elif col.reads("sex") or col.reads("zip"):
            edits.append(remove_field(table, col.name))
    return edits
