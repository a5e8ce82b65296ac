"""What a shared value means, traced back to the city: resident attributes behind a column, how precisely a
derived value still carries a date, and the true age of the resident behind each row (for the age rules).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from synthetic.expr import FUNCTIONS, Call, Column, ExpressionError, parse
from synthetic.expr import _children as children

# Builtin generators -> the resident attributes (columns of _residents) they reveal.
_GENERATED = {"birth_date": {"birth_date", "age"}, "age": {"birth_date", "age"}, "zip": {"zip", "neighbourhood"},
              "neighbourhood": {"zip", "neighbourhood"}, "lat": {"lat", "lon", "zip", "neighbourhood"},
              "lon": {"lat", "lon", "zip", "neighbourhood"}}
# Calls through which a date reaches the output no finer than its year.
_YEAR_ONLY = {"year", "years_between"}
PERSON_DATE_SEMANTICS = {"birth_date", "age"}


def attributes_behind(scenario, table: str, column: str) -> set[str]:
    """Resident attributes a table column reveals (its attribute, expression and conditions; for ZIP and
    neighbourhood also the neighbourhood tags such as flood_zone)."""
    for department in scenario.departments:
        for t in department.tables:
            if t.name != table:
                continue
            for f in t.fields:
                if f.name != column:
                    continue
                out: set[str] = set()
                if f.attribute:
                    out.add(f.attribute)
                if f.expr:
                    out |= set(parse(f.expr).columns)
                for condition in f.when:
                    out |= set(parse(condition.if_).columns)
                if f.gen:
                    out |= _GENERATED.get(f.gen, {f.gen})
                    if f.gen in ("zip", "neighbourhood", "lat", "lon"):
                        out |= {tag for n in scenario.city.neighbourhoods for tag in n.tags}
                return out
    return set()


def date_precision(expr_text: str, date_columns: set[str]) -> str:
    """How precisely an expression passes on the dates it reads: "none" (it reads none of `date_columns`),
    "year" (each reaches the output only through year() or years_between(): a year or an age), or "exact"
    (month, day, or the date itself can be read back)."""
    root = parse(expr_text).root
    found = "none"
    stack = [(root, False)]
    while stack:
        node, year_only = stack.pop()
        if isinstance(node, Column) and node.name in date_columns:
            if not year_only:
                return "exact"
            found = "year"
        inner = year_only or (isinstance(node, Call) and node.name in _YEAR_ONLY)
        if isinstance(node, Call) and node.name not in _YEAR_ONLY and node.name != "date":
            inner = False  # month(), day(), text functions... read finer parts
        stack.extend((child, inner) for child in children(node))
    return found


def true_ages(db, truth: np.ndarray) -> np.ndarray:
    """Age on the reference date of the resident behind each row (NaN where the row has no resident)."""
    def lookup() -> np.ndarray:
        residents = db.residents(["age"])
        ids = residents["resident_id"].to_numpy(dtype=np.int64)
        out = np.full(int(ids.max()) + 2 if len(ids) else 1, np.nan)
        out[ids] = residents["age"].to_numpy(dtype=float)
        return out
    ages = db.memo(("_residents", "age-lookup"), lookup)
    truth = np.asarray(truth, dtype=np.int64)
    ok = (truth >= 0) & (truth < len(ages))
    out = np.full(len(truth), np.nan)
    out[ok] = ages[truth[ok]]
    return out


def places_over_89(values: pd.Series, ages: np.ndarray, grain: str, max_age: int = 89) -> list:
    """The published values that tell a reader the person is over `max_age` (89) — every resident showing it
    is older — beyond the one open "90 or older" category HIPAA allows (one value that holds everyone over
    `max_age` in the extract, written as top-coded "90+", a flag, or text ending in "+")."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    known = (codes >= 0) & ~np.isnan(ages)
    if not known.any():
        return []
    codes, ages_known = codes[known], ages[known]
    youngest = np.full(len(uniques), np.inf)
    np.minimum.at(youngest, codes, ages_known)
    over = np.flatnonzero(youngest > max_age)
    if not len(over):
        return []
    if len(over) == 1:
        value = uniques[over[0]]
        holds_all = bool((codes[ages_known > max_age] == over[0]).all())
        open_band = grain in ("top_coded", "flag") or str(value).strip().endswith("+")
        if holds_all and open_band:
            return []
    return sorted((uniques[i] for i in over), key=str)


_WORD = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|[A-Za-z_][A-Za-z0-9_]*")
_KEYWORDS = {"and", "or", "not", "in", "is", "null", "between", "true", "false", "none"}


def rows_filter_for(scenario, db, table: str, rows_expr: str) -> str | None:
    """`needs.rows` (an expression on resident attributes) written over `table`'s own columns: each attribute
    replaced by the column that copies it (age by the years since the birth date), or None when some
    attribute has no such column. Checked by parsing it against the table."""
    columns = db.columns(table)
    copies: dict[str, str] = {}
    for department in scenario.departments:
        for t in department.tables:
            if t.name == table:
                for f in t.fields:
                    if f.attribute and f.attribute not in copies:
                        copies[f.attribute] = f.name
                    if f.gen == "birth_date" and "age" not in copies:
                        copies["age"] = f"years_between({f.name}, date('{scenario.reference_date.isoformat()}'))"
    def swap(match: re.Match) -> str:
        word = match.group(0)
        if word[0] in "'\"`" or word.lower() in _KEYWORDS or word.lower() in FUNCTIONS:
            return word
        if word not in copies:
            raise KeyError(word)
        return copies[word]
    try:
        text = _WORD.sub(swap, rows_expr)
        parse(text, columns)
    except (KeyError, ExpressionError):
        return None
    return text
