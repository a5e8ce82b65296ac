"""HIPAA de-identification rules (45 CFR 164.514): safe harbor identifiers, dates, ZIP3, ages over 89, and
the limited data set. A derived value is judged by what it still carries of its sources (see lineage.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sandbox_app.privacy.catalogue import Finding, catalogue, finding
from sandbox_app.privacy.context import ShareContext, identifies
from sandbox_app.privacy.fixes import drop_fields, set_field
from sandbox_app.privacy.lineage import PERSON_DATE_SEMANTICS, date_precision, places_over_89, true_ages
from sandbox_app.sharing import zip3
from synthetic.categories import HEALTH_CATEGORIES

FINE_DATE_GRAINS = ("exact", "month", "quarter")


def _fields(pairs) -> list[str]:
    return sorted({col.name for _, col in pairs})


def _rows(pairs) -> int:
    return sum(len(p.frame) for p in {id(p): p for p, _ in pairs}.values())


def _date_sources(ctx: ShareContext, part, col) -> set[str]:
    return {s for s in col.sources if ctx.db.column_info(part.table, s).get("data_type") == "date"}


def finer_than_year(ctx: ShareContext, part, col) -> bool:
    """Does the column still show a date (of a person's record) more precisely than its year?"""
    dates = _date_sources(ctx, part, col)
    if not dates or col.grain == "flag":
        return False
    if col.op == "derive":
        return date_precision(col.params["expr"], dates) == "exact"
    return col.grain in FINE_DATE_GRAINS


def check_safe_harbor(ctx: ShareContext) -> list[Finding]:
    if not ctx.deidentified():
        return []
    out = _check_age_90(ctx)
    if not ctx.row_level:
        return out
    ids = [(p, c) for p, c in ctx.columns() if identifies(c)]
    if ids:
        out.append(finding("hipaa_safe_harbor", f"Called de-identified but carries identifiers: "
                           f"{', '.join(_fields(ids))}.", fields=_fields(ids), rows=_rows(ids),
                           hint="drop them, or use a keyed pseudonym for record ids",
                           fix=drop_fields(ids)))
    dates = [(p, c) for p, c in ctx.columns() if finer_than_year(ctx, p, c)]
    if dates:
        out.append(finding("hipaa_dates_year", f"Dates finer than the year: {', '.join(_fields(dates))}.",
                           fields=_fields(dates), rows=_rows(dates), hint="generalize the dates to year",
                           fix=[set_field(p.table, c.name, {"op": "generalize", "to": "year"}) if c.op != "derive"
                                else {"edit": "remove_field", "table": p.table, "field": c.name}
                                for p, c in dates]))
    out += _check_zip3(ctx)
    return out


# ------------------------------------------------------------------------------------------------ ZIP3

def zip3_populations(ctx: ShareContext) -> tuple[dict[str, int], str]:
    """Population of every ZIP3 area and where the figure comes from (sharing/zip3.py, which the
    `generalize … zip3` op uses too)."""
    return zip3.zip3_populations(ctx.db, ctx.scenario.zip3_populations)


def _check_zip3(ctx: ShareContext) -> list[Finding]:
    limit = zip3.zip3_limit()  # the catalogue's setting, not a copy
    populations, source = zip3_populations(ctx)
    large = sorted(z for z, n in populations.items() if n > limit and z != "000")
    five, small, fields = False, set(), []
    for part, col in ctx.columns():
        if not col.reads("zip") or col.grain in ("flag", "neighbourhood", "pseudonym", "hash"):
            continue
        values = {str(v).strip() for v in pd.unique(part.frame[col.name].dropna())}
        shaped = {v for v in values if v.isdigit()}
        bad_five = any(len(v) >= 4 for v in shaped)
        bad_small = {v for v in shaped if len(v) == 3 and v != "000" and populations.get(v, 0) <= limit}
        if bad_five or bad_small:
            five, small = five or bad_five, small | bad_small
            fields.append((part, col))
    if not fields:
        return []
    what = "five-digit ZIP codes" if five else \
        f"ZIP3 areas of {limit:,} people or fewer ({', '.join(sorted(small))}; population {source})"
    keep = " or ".join(f"startswith(zip, '{z}')" for z in large)
    fixes = []
    for part, col in fields:
        source_zip = next((s for s in col.sources if ctx.db.column_info(part.table, s).get("semantic") == "zip"),
                          None)
        if large and source_zip and col.op != "derive":  # the op writes 000 for the small areas itself
            fixes.append(set_field(part.table, col.name, {"op": "generalize", "to": "zip3"}))
        elif large and source_zip:
            expr = "'000'"
            for z in reversed(large):
                expr = f"if(startswith({source_zip}, '{z}'), '{z}', {expr})"
            fixes.append(set_field(part.table, col.name, {"op": "derive", "expr": expr}))
        else:
            fixes.append({"edit": "remove_field", "table": part.table, "field": col.name})
    derived = all(col.op == "derive" for _, col in fields)
    hint = (f"publish the first three digits only where the area has over {limit:,} people ({keep}) and 000 "
            "elsewhere (" + ("derive" if derived else "generalize to zip3 does this") + ")" if large else f"no ZIP3 area has over {limit:,} people: drop the ZIP, or use "
            "neighbourhood counts")
    return [finding("hipaa_zip3", f"The share keeps {what}.", fields=_fields(fields), rows=_rows(fields),
                    hint=hint, fix=fixes, evidence={"population_source": source, "limit": limit})]


# --------------------------------------------------------------------------------------------- age 90+

def _published_rows(ctx: ShareContext, part) -> np.ndarray:
    """Rows of `part` whose values the recipient sees: all of them, or only those in published cells."""
    agg = ctx.extract.aggregate
    if agg is None:
        return np.ones(len(part.frame), dtype=bool)
    group_by = list(ctx.share.aggregate.group_by)
    if not group_by:
        return np.full(len(part.frame), not bool(agg.frame["suppressed"].all()))
    cells = agg.frame[group_by + ["suppressed"]].astype({c: object for c in group_by})
    rows = part.frame[group_by].astype(object).merge(cells, on=group_by, how="left")
    return ~rows["suppressed"].fillna(True).astype(bool).to_numpy()


def _check_age_90(ctx: ShareContext) -> list[Finding]:
    """Ages, birth years, age bands and derived ages that place a person above 89 (one open 90+ band is
    allowed). Judged on the true ages of the residents behind the published values."""
    if not ctx.deidentified():
        return []
    max_age = int(catalogue()["hipaa_age_90"].settings["max_age"])
    hits = []
    for part, col in ctx.columns():
        if not col.reads(*PERSON_DATE_SEMANTICS) or not len(part.frame):
            continue
        shown = _published_rows(ctx, part)
        ages = np.where(shown, true_ages(ctx.db, part.truth), np.nan)
        values = places_over_89(part.frame[col.name], ages, col.grain, max_age)
        if values:
            hits.append((part, col, values, int(np.nansum(ages > max_age))))
    if not hits:
        return []
    fixes = []
    for part, col, _, _ in hits:
        if col.op != "derive" and ctx.db.column_info(part.table, col.sources[0]).get("semantic") == "age":
            fixes.append(set_field(part.table, col.name, {"op": "top_code", "max": max_age}))
        else:
            fixes.append({"edit": "remove_field", "table": part.table, "field": col.name})
    shown = "; ".join(f"{c.name}: {', '.join(map(str, v[:4]))}" for _, c, v, _ in hits)
    pairs = [(p, c) for p, c, _, _ in hits]
    return [finding("hipaa_age_90", f"Values that tell a reader the person is over {max_age} ({shown}); only "
                    f"one open {max_age + 1}+ group is allowed.", fields=_fields(pairs),
                    rows=sum(n for *_, n in hits), evidence={"max_age": max_age}, fix=fixes,
                    hint=f"top_code age with max {max_age} (ages become {max_age + 1}+); share age, not birth years")]


# ---------------------------------------------------------------------------------------- limited data set

def check_limited_data_set(ctx: ShareContext) -> list[Finding]:
    """Health records without names but with full dates or five-digit ZIPs are a HIPAA limited data set:
    allowed only under a data use agreement (45 CFR 164.514(e))."""
    if not (ctx.row_level and ctx.holder and ctx.holder.kind == "health" and not ctx.deidentified()):
        return []
    if ctx.agreement.data_use_agreement or ctx.identified_parts():
        return []
    pairs = list(ctx.disclosed())
    if not any(c.has_category(*HEALTH_CATEGORIES) for _, c in pairs):
        return []
    pairs = list(ctx.columns())
    dated = [(p, c) for p, c in pairs if finer_than_year(ctx, p, c)]
    zips = [(p, c) for p, c in pairs if c.reads("zip") and c.grain in ("exact", "derived")
            and any(len(str(v)) == 5 and str(v).isdigit() for v in pd.unique(p.frame[c.name].dropna()))]
    if not (dated or zips):
        return []
    fixes = [set_field(p.table, c.name, {"op": "generalize", "to": "year"}) if c.op != "derive" else
             {"edit": "remove_field", "table": p.table, "field": c.name} for p, c in dated]
    fixes += [set_field(p.table, c.name, {"op": "generalize", "to": "zip3"}) if c.op != "derive" else
              {"edit": "remove_field", "table": p.table, "field": c.name} for p, c in zips]
    return [finding("hipaa_limited_data_set", "Health records with " + " and ".join(
        what for what, present in (("dates", dated), ("five-digit ZIP codes", zips)) if present)
        + " form a limited data set, which needs a data use agreement; this agreement is not one.",
        fields=_fields(dated + zips), rows=_rows(dated + zips), fix=fixes,
        hint="generalize dates to year and ZIP to zip3 (then it is no longer a limited data set), "
             "or share under a data use agreement")]
