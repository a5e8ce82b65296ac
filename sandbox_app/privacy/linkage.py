"""A real linkage attack: normalise the extract and the public voter roll the way an attacker would, then join.

The attacker holds the voter roll (name, birth date, sex, ZIP, address). For every column of the extract that
the roll also carries, both sides are brought to the same form (formats, case, abbreviations, and the
extract's own generalisation), and `metrics.linkage_attack` counts who is correctly and uniquely singled out.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from sandbox_app.privacy.catalogue import ROW_POSITIONS_SHOWN
from sandbox_app.privacy.context import LINKABLE_SEMANTICS
from sandbox_app.privacy.metrics import LinkageResult, linkage_attack
from sandbox_app.sharing.grains import CODE_GRAINS, DATE_GRAINS
from sandbox_app.sharing.shared_codes import factorize
from sandbox_app.sharing.zip3 import zip3_of
from synthetic.expr import ExpressionError, parse
from synthetic.names import STREET_SUFFIXES

SUFFIX = {k.upper(): v.upper() for k, v in STREET_SUFFIXES.items()}
APT = re.compile(r"\b(APARTMENT|APT|UNIT)\b\.?\s*|#\s*")
NON_WORD = re.compile(r"[^\w\s]")


def _by_unique(values: pd.Series, fn) -> pd.Series:
    """Apply `fn` to each distinct value once (reference data repeat a lot)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.asarray(fn(pd.Series(uniques)), dtype=object)
    out = np.full(len(values), None, dtype=object)
    ok = codes >= 0
    out[ok] = mapped[codes[ok]]
    return pd.Series(out, index=values.index)


def _name(s: pd.Series) -> pd.Series:
    return s.astype(str).str.upper().str.replace(NON_WORD, " ", regex=True).str.split().map(
        lambda t: " ".join(sorted(t)))


def _address(s: pd.Series) -> pd.Series:
    def norm(text: str) -> str:
        text = APT.sub("", text.upper().replace(".", ""))
        return " ".join(SUFFIX.get(w, w) for w in text.split())
    return s.astype(str).map(norm)


def _date_grain(dates: pd.Series, grain: str) -> pd.Series:
    if grain == "year":
        out = dates.dt.year.astype("Int64").astype(str)
    elif grain == "month":
        out = dates.dt.strftime("%Y-%m")
    elif grain == "quarter":
        out = dates.dt.year.astype("Int64").astype(str) + "-Q" + dates.dt.quarter.astype("Int64").astype(str)
    else:
        out = dates.dt.strftime("%Y-%m-%d")
    return out.where(dates.notna(), None)


def _text(values: pd.Series) -> pd.Series:
    return _by_unique(values, lambda u: u.map(lambda v: str(v).strip()))


def _extract_key(values: pd.Series, semantic: str, grain: str, fmt: str) -> pd.Series:
    if semantic == "birth_date" and grain == "exact":
        return _by_unique(values, lambda u: _date_grain(pd.to_datetime(u, format=fmt or None, errors="coerce"),
                                                        "exact"))
    if semantic in ("full_name", "first_name", "last_name"):
        return _by_unique(values, _name)
    if semantic == "address":
        return _by_unique(values, _address)
    if semantic == "sex":
        return _by_unique(values, lambda u: u.astype(str).str.strip().str[:1].str.upper())
    return _text(values)


def _reference_key(ref: pd.DataFrame, semantic: str, grain: str, params: dict, zip_to_nb: dict,
                   reference_date, kept: frozenset[str] | None = None) -> pd.Series | None:
    if semantic == "birth_date":
        return _by_unique(ref["birth_date"], lambda u: _date_grain(pd.to_datetime(u, errors="coerce"), grain))
    if semantic == "age":
        born = pd.to_datetime(ref["birth_date"], errors="coerce")
        ref_day = pd.Timestamp(reference_date)
        age = ref_day.year - born.dt.year - ((born.dt.month * 100 + born.dt.day) > ref_day.month * 100 + ref_day.day)
        if grain == "exact":
            return age.astype("Int64").astype(str)
        if grain.startswith("band"):
            width = int(float(grain[4:]))
            low = (age // width) * width
            return low.astype("Int64").astype(str) + "-" + (low + width - 1).astype("Int64").astype(str)
        return None
    if semantic == "full_name":
        return _by_unique(ref["full_name"], _name)
    if semantic in ("first_name", "last_name"):
        part = ref["full_name"].astype(str).str.split().str[0 if semantic == "first_name" else -1]
        return _by_unique(part, _name)
    if semantic == "address":
        return _by_unique(ref["address"], _address)
    if semantic == "sex":
        return ref["sex"].astype(str).str[:1].str.upper()
    if semantic == "zip":
        if grain == "zip3" and kept is not None:  # the share's own rule: 000 outside the large areas
            return _by_unique(ref["zip"].astype(str), lambda u: zip3_of(u, kept))
        if grain == "zip3":
            return ref["zip"].astype(str).str[:3]
        if grain == "neighbourhood":
            return ref["zip"].astype(str).map(zip_to_nb)
        return ref["zip"].astype(str) if grain == "exact" else None
    return None


# The voter-roll column each linkable semantic is read from (only that column is read).
_REFERENCE_COLUMN = {"birth_date": "birth_date", "age": "birth_date", "full_name": "full_name",
                     "first_name": "full_name", "last_name": "full_name", "address": "address", "sex": "sex",
                     "zip": "zip"}


def _reference_codes(db, ref_table: str, semantic: str, grain: str, reference_date,
                     kept: frozenset[str] | None = None):
    """The voter roll's keys for one column and grain, as integer codes (NaN: no value) and their values.

    Cached on the database: the live risk meter re-runs the attack on every edit, the roll never changes.
    """
    def compute():
        ref = db.read_table(ref_table, [_REFERENCE_COLUMN[semantic]])
        zip_to_nb = db.neighbourhood_of_zip() if (semantic, grain) == ("zip", "neighbourhood") else {}
        keys = _reference_key(ref, semantic, grain, {}, zip_to_nb, reference_date, kept)
        if keys is None:
            return None
        codes, uniques = pd.factorize(keys, use_na_sentinel=True)
        codes = codes.astype(float)
        codes[codes < 0] = np.nan
        return codes, pd.Index(uniques)
    return db.memo(("linkage-reference", ref_table, semantic, grain, tuple(sorted(kept or ()))), compute)


def _links(col) -> bool:
    """Can this output column be matched against the voter roll?"""
    if col.semantic not in LINKABLE_SEMANTICS or col.grain in CODE_GRAINS or col.grain == "masked":
        return False
    return col.semantic != "birth_date" or col.grain in ("exact", *DATE_GRAINS)


ROLL_SEMANTICS = {"birth_date", "age", "sex", "zip", "neighbourhood", "full_name", "first_name", "last_name",
                  "address"}
NAME_SEMANTICS = {"full_name", "first_name", "last_name"}


def _derived_key(values: pd.Series, names: bool, address: bool) -> pd.Series:
    """Derived values as comparable text: yes/no as 1/0, whole numbers without .0, case and spacing ignored."""
    def text(u: pd.Series) -> pd.Series:
        def one(v):
            if v is None or (not isinstance(v, str) and pd.isna(v)):
                return None
            if isinstance(v, bool | np.bool_):
                return "1" if v else "0"
            if isinstance(v, float | np.floating) and float(v).is_integer():
                return str(int(v))
            return " ".join(str(v).upper().split())
        out = u.map(one)
        if names:
            out = out.where(out.isna(), _name(out.fillna("")))
        elif address:
            out = out.where(out.isna(), _address(out.fillna("")))
        return out
    return _by_unique(values.astype(object), text)


def _roll_frame(db, ref: pd.DataFrame, table: str, sources: list[str], reference_date) -> pd.DataFrame | None:
    """The voter roll written the way `table` writes its columns, so the share's own derivation can run on it."""
    columns = {}
    for source in sources:
        info = db.column_info(table, source)
        semantic, fmt = info.get("semantic"), info.get("format") or "%Y-%m-%d"
        born = pd.to_datetime(ref["birth_date"], errors="coerce")
        if semantic == "birth_date":
            columns[source] = born.dt.strftime(fmt).where(born.notna(), None)
        elif semantic == "age":
            day = pd.Timestamp(reference_date)
            columns[source] = day.year - born.dt.year - ((born.dt.month * 100 + born.dt.day) > day.month * 100 + day.day)
        elif semantic == "sex":
            own = {str(v)[:1].upper(): v for v in db.read_table(table, [source])[source].dropna().unique()}
            columns[source] = ref["sex"].astype(str).str[:1].str.upper().map(lambda c, own=own: own.get(c, c))
        elif semantic == "zip":
            columns[source] = ref["zip"].astype(str)
        elif semantic == "neighbourhood":
            columns[source] = ref["zip"].astype(str).map(db.neighbourhood_of_zip())
        elif semantic in NAME_SEMANTICS:
            parts = ref["full_name"].astype(str).str.split()
            columns[source] = ref["full_name"] if semantic == "full_name" else \
                parts.str[0 if semantic == "first_name" else -1]
        elif semantic == "address":
            columns[source] = ref["address"]
        else:
            return None
    return pd.DataFrame(columns, index=ref.index)


def _derived_reference(db, ref_table: str, part, col, reference_date):
    """The voter roll's value of a derived column (the share's own expression run on the roll), as codes
    and distinct keys; None if the expression reads anything the roll does not carry."""
    semantics = {db.column_info(part.table, s).get("semantic") for s in col.sources}
    if not col.sources or not semantics <= ROLL_SEMANTICS:
        return None
    names, address = bool(semantics & NAME_SEMANTICS), "address" in semantics

    def compute():
        frame = _roll_frame(db, db.read_table(ref_table), part.table, col.sources, reference_date)
        if frame is None:
            return None
        try:
            values = parse(col.params["expr"], list(frame.columns)).evaluate(frame)
        except ExpressionError:
            return None
        codes, uniques = pd.factorize(_derived_key(values, names, address), use_na_sentinel=True)
        codes = codes.astype(float)
        codes[codes < 0] = np.nan
        return codes, pd.Index(uniques)
    reference = db.memo(("linkage-derived", ref_table, part.table, col.params["expr"]), compute)
    if reference is None:
        return None
    return (*reference, lambda values: _derived_key(values, names, address))


def run_linkage(db, part, reference_date) -> LinkageResult | None:
    """Attack one row-level table of an extract with the public reference data, or None if nothing links."""
    ref_table = db.reference_table()
    if ref_table is None or not len(part.frame):
        return None
    left: dict[str, np.ndarray] = {}
    right: dict[str, np.ndarray] = {}
    names = []
    linkable = [col for col in part.columns if col.op != "derive" and _links(col)]
    # The roll's columns the attack uses, read in one query (then cached): one read per column costs more.
    db.read_table(ref_table, sorted({_REFERENCE_COLUMN[c.semantic] for c in linkable}))
    for col in part.columns:
        if col.op == "derive":  # an outsider computes any function of the roll's columns too
            derived = _derived_reference(db, ref_table, part, col, reference_date)
            if derived is None:
                continue
            ref_codes, uniques, normalise = derived
            local, distinct = factorize(part.frame[col.name], use_na_sentinel=True)
            keys = normalise(pd.Series(np.asarray(distinct, dtype=object)))
        else:
            if not any(col is c for c in linkable):
                continue
            reference = _reference_codes(db, ref_table, col.semantic, col.grain, reference_date,
                                         col.zip3_kept if col.grain == "zip3" else None)
            if reference is None:
                continue
            ref_codes, uniques = reference
            fmt = db.column_info(part.table, col.sources[0]).get("format", "") if col.sources else ""
            # Normalise each distinct extract value once, then look it up among the roll's keys.
            local, distinct = factorize(part.frame[col.name], use_na_sentinel=True)
            keys = _extract_key(pd.Series(np.asarray(distinct, dtype=object)), col.semantic, col.grain, fmt)
        positions = uniques.get_indexer(keys.to_numpy()).astype(float)  # -1: a value the roll never has
        positions[keys.isna().to_numpy()] = np.nan
        codes = np.full(len(local), np.nan)
        codes[local >= 0] = positions[local[local >= 0]]
        key = f"k{len(names)}"
        left[key], right[key] = codes, ref_codes
        names.append(col.name)
    if not names:
        return None
    on = list(left)
    left["_resident_id"] = part.truth
    right["_resident_id"] = db.memo(("linkage-reference-truth", ref_table), lambda: db.truth(ref_table).reindex(
        db.read_table(ref_table, [])["_row_id"]).to_numpy())
    result = linkage_attack(pd.DataFrame(left), pd.DataFrame(right), on, positions_shown=ROW_POSITIONS_SHOWN)
    result.on = names
    return result
