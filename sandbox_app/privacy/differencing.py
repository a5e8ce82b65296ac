"""Differencing: a cell of a new aggregate that, subtracted from (or by) a cell of a table the city already
published, leaves a count between 1 and min_cell_size - 1 gives that small count away.

Method (exact, on the records themselves): both tables are computed from the same source table, so every
published cell is a set of source rows. For every pair of published cells, one of the new share and one
of a declared prior release, the overlap is counted; when one cell's rows are all inside the other's,
their difference is a count anyone can work out by subtraction. Limits: only pairs of cells are compared
(not sums of three or more cells), only prior releases that are aggregates over the same table, and a
release is compared as the share document describes it today (the database the scenario generates).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sandbox_app.errors import SandboxError
from sandbox_app.privacy.catalogue import Finding, finding
from sandbox_app.privacy.context import ShareContext
from sandbox_app.sharing.apply import apply_share


def _cells(extract) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """(source row id -> published cell number, cell sizes, the published cells' group values)."""
    part, agg = extract.parts[0], extract.aggregate
    group_by = list(extract.share.aggregate.group_by)
    published = agg.frame[~agg.frame["suppressed"].astype(bool)].reset_index(drop=True)
    if group_by:
        keys = part.frame[group_by].astype(object).reset_index(drop=True)
        cells = published[group_by].astype(object).reset_index().rename(columns={"index": "_cell"})
        cell = keys.merge(cells, on=group_by, how="left")["_cell"].to_numpy()
    else:
        cell = np.zeros(len(part.frame)) if len(published) else np.full(len(part.frame), np.nan)
    ok = ~pd.isna(cell)
    of_row = pd.Series(cell[ok].astype(np.int64), index=part.row_ids[ok])
    return of_row, of_row.value_counts(), published


def _prior_extracts(ctx: ShareContext):
    from sandbox_app.privacy.answers import load_answer

    for release in getattr(ctx.scenario, "prior_releases", None) or []:
        try:
            doc = load_answer(ctx.scenario, release.share)
            extract = ctx.db.memo(("prior-release", doc.model_dump_json()), lambda d=doc: apply_share(ctx.db, d))
        except SandboxError:
            continue  # validate reports a broken prior release; scoring does not stop for it
        if extract.aggregate is not None and extract.parts and extract.parts[0].table == ctx.parts[0].table:
            yield release, extract


def check_differencing(ctx: ShareContext) -> list[Finding]:
    if ctx.extract.aggregate is None or not ctx.parts:
        return []
    n = ctx.agreement.min_cell_size
    new_of_row, new_size, new_cells = _cells(ctx.extract)
    out = []
    for release, prior in _prior_extracts(ctx):
        old_of_row, old_size, old_cells = _cells(prior)
        both = pd.DataFrame({"new": new_of_row}).join(pd.DataFrame({"old": old_of_row}), how="inner")
        overlap = both.groupby(["new", "old"]).size().rename("overlap").reset_index()
        overlap["new_size"] = new_size.reindex(overlap["new"]).to_numpy()
        overlap["old_size"] = old_size.reindex(overlap["old"]).to_numpy()
        inside = (overlap["overlap"] == overlap["new_size"]) | (overlap["overlap"] == overlap["old_size"])
        diff = (overlap["new_size"] - overlap["old_size"]).abs()
        hits = overlap[inside & (diff >= 1) & (diff < n)]
        if not len(hits):
            continue
        examples = []
        for row in hits.head(3).itertuples(index=False):
            new = {k: _plain(v) for k, v in new_cells.iloc[int(row.new)].items() if k != "suppressed"}
            old = {k: _plain(v) for k, v in old_cells.iloc[int(row.old)].items() if k != "suppressed"}
            examples.append({"new_cell": new, "prior_cell": old, "difference": int(abs(row.new_size - row.old_size))})
        out.append(finding("small_cells", f"{len(hits)} published cells differ by fewer than {n} people from a "
                           f"cell of '{release.title}': subtracting one from the other gives a small count "
                           f"(smallest: {int(diff[hits.index].min())}).", fields=list(ctx.share.aggregate.group_by),
                           rows=int(diff[hits.index].sum()), examples=examples, clause=ctx.clause_for("small_cells"),
                           evidence={"prior_release": release.title, "min_cell_size": n, "cells": len(hits)},
                           hint=f"publish the same cells as '{release.title}' (same filter and grouping), or "
                                "coarser ones that contain them whole"))
    return out


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value
