"""The free-text detector: names, phone numbers, e-mail addresses and street addresses hidden in notes.

Names are looked up among the names this city actually uses (its residents' first and last names, and
every name column of the holding department's tables), so a nickname or foreign name the city has is
found as surely as a common English one; a name must be capitalised and not an ordinary word that
starts a sentence. Phones are matched in any common format (dashes, dots, spaces, parentheses, +1,
ten digits run together); addresses are a house number followed by one to four capitalised words and a
street suffix.
"""

from __future__ import annotations

import re

import pandas as pd

from sandbox_app.privacy.catalogue import Finding, finding, rows_where
from sandbox_app.privacy.context import ShareContext
from sandbox_app.privacy.examples import TextExample
from sandbox_app.privacy.fixes import remove_field
from synthetic.names import STREET_SUFFIXES

PHONE = re.compile(r"(?<![\w-])(?:\+?1[-. ]?)?(?:\(\d{3}\)\s?|\d{3}[-. ]?)\d{3}[-. ]?\d{4}(?![\w-])")
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_SUFFIXES = sorted({*STREET_SUFFIXES, *STREET_SUFFIXES.values(), "St", "Ave", "Rd", "Dr", "Ln", "Ct", "Pl",
                    "Blvd", "Ter", "Pkwy", "Cir", "Hwy", "Sq"}, key=len, reverse=True)
STREET = re.compile(r"\b\d{1,6}\s+(?:[NSEW]\.?\s+)?(?:[A-Z][\w'.-]*\s+){1,4}(?:" + "|".join(map(re.escape, _SUFFIXES))
                    + r")\b\.?", re.IGNORECASE)
NAME_SEMANTICS = {"full_name", "first_name", "last_name"}
# Capitalised words that are names in some pool but mostly ordinary words in notes.
COMMON_WORDS = {"Client", "Patient", "Will", "May", "June", "April", "Mark", "Young", "Long", "Sunday", "Monday",
                "Friday", "Daughter", "Son", "Call", "Visit", "Visited", "No", "Not", "The", "And", "Lives",
                "Street", "Avenue", "Road", "North", "South", "East", "West", "Park", "Hill", "Lake", "River"}
TOKEN = re.compile(r"[A-Z][a-zA-Z'\-]+")


def city_names(ctx: ShareContext) -> frozenset[str]:
    """Every first and last name of this city's residents and the holder's name columns (cached)."""
    def compute() -> frozenset[str]:
        residents = ctx.db.residents(["first_name", "last_name"])
        names = set(residents["first_name"].dropna().astype(str)) | set(residents["last_name"].dropna().astype(str))
        for table in ctx.db.tables():
            if ctx.holder is not None and ctx.db.department_of(table) != ctx.holder.id:
                continue
            for column in ctx.db.columns(table):
                if ctx.db.column_info(table, column).get("semantic") in NAME_SEMANTICS:
                    for value in ctx.db.read_table(table, [column])[column].dropna().astype(str).unique():
                        names.update(w.strip(",").title() for w in value.split())
        tokens = {t for n in names for t in re.split(r"[\s,]+", n) if len(t) > 1}
        return frozenset(t.title() for t in tokens) - COMMON_WORDS
    return ctx.db.memo(("_residents", "free-text-names", ctx.holder.id if ctx.holder else ""), compute)


def identifiers_in(text: str, names: frozenset[str]) -> list[str]:
    """What kinds of identifier one text holds: "phone", "e-mail", "address", "name"."""
    found = []
    if EMAIL.search(text):
        found.append("e-mail")
    if PHONE.search(EMAIL.sub(" ", text)):
        found.append("phone")
    if STREET.search(text):
        found.append("address")
    for match in TOKEN.finditer(STREET.sub(" ", EMAIL.sub(" ", text))):
        word = match.group(0)
        if word.title() in names and (word.isupper() or word.istitle()):
            found.append("name")
            break
    return found


def check_free_text(ctx: ShareContext) -> list[Finding]:
    out = []
    names = None
    for part, col in ctx.columns():
        if not col.has_category("free_text") or col.grain not in ("exact", "derived"):
            continue
        names = names if names is not None else city_names(ctx)
        distinct = pd.Series(part.frame[col.name].dropna().astype(str).unique())
        kinds = distinct.map(lambda t, pool=names: identifiers_in(t, pool))
        leaking = set(distinct[kinds.map(bool)])
        if not leaking:
            continue
        rows = part.frame[col.name].astype(str).isin(leaking)
        what = sorted({k for ks in kinds for k in ks})
        out.append(finding("free_text_identifiers", f"{int(rows.sum()):,} {col.name} entries contain "
                           f"{', '.join(what)}.", fields=[col.name], rows=int(rows.sum()),
                           examples=[TextExample(col.name, s[:80])
                                     for s in part.frame.loc[rows.to_numpy(), col.name].head(3)],
                           hint=f"drop {col.name}",
                           fix=[remove_field(part.table, col.name)],
                           row_positions=rows_where(part.table, rows.to_numpy())))
    return out
