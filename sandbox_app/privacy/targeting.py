"""Row filters that single people out: a selection of fewer than k residents, or one made by name, id or
birth date, discloses about those few people whatever fields the share keeps (aggregates: small_cells)."""

from __future__ import annotations

import pandas as pd

from sandbox_app.privacy.catalogue import Finding, finding
from sandbox_app.privacy.context import ShareContext, identifies

WHO_SEMANTICS = ("birth_date",)


def selected_residents(ctx: ShareContext, part, enough: int) -> int:
    """How many distinct residents a table's row filter selects, exactly when fewer than `enough`, else some
    number >= `enough` (the first few thousand rows usually settle it: the live meter asks on every edit)."""
    truth = part.truth[part.truth >= 0]
    head = int(len(pd.unique(truth[:4096])))
    if head >= enough or len(truth) <= 4096:
        return head
    key = (part.table, "selected-residents", part.filter.params.get("expr") if part.filter else None)
    return ctx.db.memo(key, lambda: int(len(pd.unique(truth))))


def check_targeted_filter(ctx: ShareContext) -> list[Finding]:
    if not ctx.row_level:
        return []
    out = []
    k = ctx.agreement.k
    for part in ctx.parts:
        row_filter = part.filter
        if row_filter is None or not len(part.frame):
            continue
        selected = selected_residents(ctx, part, k)
        if selected >= k:
            continue
        by_who = row_filter.has_category("direct_identifier") or row_filter.reads(*WHO_SEMANTICS)
        named = any(identifies(c) for c in part.columns)
        if named and not by_who:
            continue  # a short named list chosen by need: the names are the disclosure, judged elsewhere
        how = "by name, id or birth date" if by_who else "by its filter"
        out.append(finding("targeted_selection", f"{part.table}: the row filter selects {selected} resident"
                           f"{'s' if selected != 1 else ''} {how} (fewer than k = {k}): whatever the share "
                           "keeps is about them.", fields=[row_filter.name], rows=len(part.frame),
                           evidence={"selected_residents": selected, "k": k},
                           clause=ctx.clause_for("targeted_selection"),
                           hint=f"select by what the purpose is about, never by who a person is, and no fewer "
                                f"than {k} residents",
                           fix=[{"edit": "set_where", "table": part.table, "where": None}]))
    return out
