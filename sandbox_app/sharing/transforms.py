"""The field operations of a share: what each op takes, what column it suits, and one function per op over a
whole pandas Series.

Most ops map each distinct value on its own, so they run once per distinct value (`per_distinct`) and the
results are spread back with numpy indexing: a 100,000-row column with a few thousand distinct dates is
parsed a few thousand times, not 100,000. Nulls stay null everywhere.

Dates are parsed with the department's own format from the data dictionary; a value that does not parse
(a department's data-entry defect) becomes null, as it would for a real analyst.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from sandbox_app.sharing.grains import DATE_GRAINS
from sandbox_app.sharing.zip3 import zip3_of
from synthetic.check import did_you_mean
from synthetic.names import STREET_SUFFIXES

NUMERIC_TYPES = ("integer", "real")
_SUFFIXES = {k.upper(): v.upper() for k, v in STREET_SUFFIXES.items()}
_UNIT_WORDS = ("APT", "APARTMENT", "UNIT", "STE", "SUITE")

# ------------------------------------------------------------------- the ops and their parameters

OPS = ("keep", "drop", "pseudonym", "hash", "generalize", "mask", "top_code", "bottom_code", "suppress_rare",
       "derive")
GENERALIZE_TO = ("year", "quarter", "month", "week", "band", "zip3", "neighbourhood", "grid")
PARAMETERS = ("to", "width", "size", "keep_last", "max", "min", "min_count", "expr")

# op -> (parameters it takes, parameters it needs)
_OP_PARAMETERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "keep": ((), ()), "drop": ((), ()), "pseudonym": ((), ()), "hash": ((), ()), "mask": (("keep_last",), ()),
    "generalize": (("to", "width", "size"), ("to",)), "top_code": (("max",), ("max",)),
    "bottom_code": (("min",), ("min",)), "suppress_rare": (("min_count",), ()), "derive": (("expr",), ("expr",)),
}
_NEEDS = {
    "to": f"`to` ({', '.join(GENERALIZE_TO)})",
    "max": "`max` (values above it become max+1 and over, e.g. 90+ for ages with max 89)",
    "min": "`min` (values below it become <min)",
    "expr": "`expr` (an expression over the table's columns, e.g. equipment != 'none')",
}


def parameter_problems(op: str, params: dict[str, Any]) -> list[tuple[str | None, str, str | None]]:
    """(parameter or None, message, hint) for every parameter `op` needs but lacks, or gets but does not take.

    `params` maps parameter names to their values; None counts as absent. Used both by the model and on
    raw JSON (so a wrong parameter is reported even when another key of the same field is also wrong).
    """
    if op not in _OP_PARAMETERS:
        return []
    takes, needs = _OP_PARAMETERS[op]
    given = {k for k, v in params.items() if k in PARAMETERS and v is not None}
    problems: list[tuple[str | None, str, str | None]] = []
    for name in needs:
        if name not in given:
            problems.append((name, f"{op} needs {_NEEDS[name]}", None))
    to = params.get("to")
    if op == "generalize" and isinstance(to, str):
        if to not in GENERALIZE_TO:
            problems.append(("to", f"cannot generalize to '{to}'",
                             did_you_mean(to, GENERALIZE_TO) or f"choose from {', '.join(GENERALIZE_TO)}"))
        elif to == "band" and "width" not in given:
            problems.append(("width", "generalize to band needs `width` (e.g. 10 for age bands like 60-69)", None))
        elif to == "grid" and "size" not in given:
            problems.append(("size", "generalize to grid needs `size` in degrees (e.g. 0.01)", None))
        for name, target in (("width", "band"), ("size", "grid")):
            if name in given and to != target and to in GENERALIZE_TO:
                problems.append((name, f"`{name}` applies only to generalize to {target}, not to {to}", None))
    for name in sorted(given - set(takes), key=PARAMETERS.index):
        hint = f"{op} takes: {', '.join(takes)}" if takes else f"{op} takes no parameters"
        problems.append((name, f"`{name}` does not apply to {op}", hint))
    return problems


@dataclass(frozen=True)
class Places:
    """What `generalize to neighbourhood` looks values up in (built from the city by `sharing.apply`)."""

    zip_to_neighbourhood: dict[str, str]
    street_to_neighbourhood: dict[str, str]
    centres: pd.DataFrame  # neighbourhood, lat, lon


# ------------------------------------------------------------------------------------- helpers

def per_distinct(values: pd.Series, fn: Callable[[pd.Series], object]) -> pd.Series:
    """`fn` applied to the distinct non-null values only (a Series of them), spread back to every row."""
    codes, uniques = pd.factorize(values)
    mapped = np.asarray(fn(pd.Series(np.asarray(uniques, dtype=object), dtype=object)), dtype=object)
    lookup = np.append(mapped, np.array([None], dtype=object))  # code -1 (null) picks the trailing None
    return _result(lookup[codes], values.index, _all_text(mapped))


def _all_text(values: np.ndarray) -> bool:
    return all(isinstance(v, str) for v in values[pd.notna(values)])


def _result(values: np.ndarray, index: pd.Index, text: bool) -> pd.Series:
    """A result Series: the `str` dtype when every value is text (or null), else object."""
    return pd.Series(values, index=index, dtype="str" if text else object)


def normalise(value: object) -> str:
    """The text a pseudonym or hash is computed from: surrounding spaces removed, upper case."""
    return str(value).strip().upper()


def number_text(x: float) -> str:
    """12.0 -> '12', 2.5 -> '2.5', 1e6 -> '1000000' (no exponents in labels)."""
    x = float(x)
    if x.is_integer():
        return str(int(x))
    return format(Decimal(repr(x)).normalize(), "f")


def numbers(values: pd.Series) -> pd.Series:
    """The values as float64 (nullable integers, booleans and numeric text too; anything else null)."""
    return pd.to_numeric(values, errors="coerce").astype("float64")


def parse_dates(values: pd.Series, fmt: str, reference: dt.date | None = None) -> pd.Series:
    """datetime64 values, each distinct text parsed once with the strftime `fmt` (unparseable -> NaT).

    With a two-digit year (%y), Python reads 31 as 2031; dates after `reference` move back a century,
    which is what a careful analyst does with birth dates written 05/07/31.
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values
    codes, uniques = pd.factorize(values)
    text = pd.Series(np.asarray(uniques, dtype=object)).astype(str)
    parsed = pd.to_datetime(text, format=fmt or "ISO8601", errors="coerce")
    if reference is not None and "%y" in (fmt or ""):
        future = (parsed > pd.Timestamp(reference)).to_numpy()
        parsed[future] = parsed[future] - pd.DateOffset(years=100)
    out = parsed.array.take(codes, allow_fill=True)
    return pd.Series(out, index=values.index)


# ------------------------------------------------------------------------------------------- ops

def keep(values: pd.Series) -> pd.Series:
    """The value as held."""
    return values


def pseudonym(values: pd.Series, key: bytes) -> pd.Series:
    """Keyed HMAC-SHA256 of the normalised value, first 16 hex characters. Irreversible without `key`."""
    return per_distinct(values, lambda distinct: hmac_sha256_hex16(key, [normalise(v) for v in distinct]))


def hmac_sha256_hex16(key: bytes, texts: list[str]) -> list[str]:
    """HMAC-SHA256 (RFC 2104) of each text, first 16 hex characters: the same bytes as `hmac.digest`, about
    3x less CPU for many values, because the key's inner and outer hash states are computed once and copied
    (hmac.digest re-keys for every value)."""
    block = 64  # SHA-256's block size
    padded = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))
    out = []
    for text in texts:
        i = inner.copy()
        i.update(text.encode())
        o = outer.copy()
        o.update(i.digest())
        out.append(o.hexdigest()[:16])
    return out


def unkeyed_hash(values: pd.Series) -> pd.Series:
    """Plain SHA-256 of the normalised value: anyone can hash every possible value and reverse it."""
    return per_distinct(values, lambda d: [hashlib.sha256(normalise(v).encode()).hexdigest() for v in d])


def mask(values: pd.Series, keep_last: int = 0) -> pd.Series:
    """Every character but the last `keep_last` replaced by '*' ('440-555-0132', 2 -> '**********32')."""
    def hide(distinct: pd.Series) -> list[str]:
        out = []
        for v in distinct:
            text = str(v)
            shown = text[len(text) - keep_last:] if keep_last else ""
            out.append("*" * (len(text) - len(shown)) + shown)
        return out
    return per_distinct(values, hide)


def top_code(values: pd.Series, max_value: float) -> pd.Series:
    """Values above `max_value` become 'max+1' and over (ages over 89 -> '90+'); the others stay as held."""
    over = (numbers(values) > max_value).to_numpy()
    return _replace(values, over, f"{number_text(max_value + 1)}+")


def bottom_code(values: pd.Series, min_value: float) -> pd.Series:
    """Values below `min_value` become '<min'; the others stay as held."""
    under = (numbers(values) < min_value).to_numpy()
    return _replace(values, under, f"<{number_text(min_value)}")


RARE_MIN_COUNT = 11  # suppress_rare's default: the usual smallest publishable cell


def suppress_rare(values: pd.Series, min_count: int = RARE_MIN_COUNT) -> pd.Series:
    """Values seen fewer than `min_count` times in `values` (the extract, after filtering) become 'other'."""
    codes, _ = pd.factorize(values)
    counts = np.bincount(codes[codes >= 0], minlength=1)
    rare = (codes >= 0) & (counts[np.maximum(codes, 0)] < min_count)
    return _replace(values, rare, "other")


def _replace(values: pd.Series, where: np.ndarray, label: str) -> pd.Series:
    if not where.any():
        return values
    out = values.to_numpy(dtype=object, na_value=None).copy()
    out[where] = label
    return _result(out, values.index, text=pd.api.types.is_string_dtype(values.dtype))


def derive(frame: pd.DataFrame, expression) -> pd.Series:
    """A new field: `expression` (a parsed `synthetic.expr.Expression`) evaluated over the original columns."""
    return expression.evaluate(frame)


def is_flag(values: pd.Series) -> bool:
    """True for true/false results (a derived flag)."""
    return pd.api.types.is_bool_dtype(values.dtype)


# ------------------------------------------------------------------------------------ generalize

def generalize(values: pd.Series, info: dict, to: str, *, width: float | None = None, size: float | None = None,
               places: Places | None = None, partner: pd.Series | None = None,
               reference: dt.date | None = None, large: frozenset[str] | None = None) -> pd.Series:
    """Coarser values: year '1956', quarter '1956-Q2', month '1956-04', band '60-69', zip3 '441' (or '000'
    where the area is not in `large`, the HIPAA rule: sharing/zip3.py; without `large`, three digits always),
    neighbourhood (from a ZIP, an address, or lat with `partner` lon / lon with `partner` lat), grid
    (coordinates rounded to `size` degrees). `info` is the column's data-dictionary row."""
    if to in DATE_GRAINS:
        return _date_grain(values, info, to, reference)
    if to == "band":
        return band(values, width or 10)
    if to == "zip3":
        if large is not None:
            return per_distinct(values, lambda d: zip3_of(d, large))
        return per_distinct(values, lambda d: [str(v).strip()[:3] for v in d])
    if to == "grid":
        return grid(values, size or 0.01)
    if to == "neighbourhood":
        return _neighbourhood(values, info, places, partner)
    raise ValueError(f"cannot generalize to {to!r}")


def _date_grain(values: pd.Series, info: dict, to: str, reference: dt.date | None) -> pd.Series:
    fmt = str(info.get("format") or "%Y-%m-%d")
    held_as_dates = pd.api.types.is_datetime64_any_dtype(values.dtype)

    def label(distinct: pd.Series) -> np.ndarray:
        dates = pd.to_datetime(distinct) if held_as_dates else parse_dates(distinct, fmt, reference)
        known = dates.notna().to_numpy()
        dates = dates[known]
        if to == "month":
            text = dates.dt.strftime("%Y-%m")
        elif to == "week":  # ISO week: '2026-W03' (the ISO year, which may differ from the calendar year)
            iso = dates.dt.isocalendar()
            text = iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)
        else:
            text = dates.dt.year.astype(int).astype(str)
            if to == "quarter":
                text = text + "-Q" + dates.dt.quarter.astype(int).astype(str)
        out = np.full(len(known), None, dtype=object)
        out[known] = text.to_numpy(dtype=object)
        return out
    return per_distinct(values, label)


def band(values: pd.Series, width: float) -> pd.Series:
    """Bands of `width` starting at multiples of it: 65 with width 10 -> '60-69', width 5 -> '65-69'.

    Whole-number widths label the band by its first and last whole number; other widths as 'low-<high'.
    """
    low = np.floor(numbers(values) / width) * width

    def label(distinct: pd.Series) -> list[str]:
        if float(width).is_integer():
            return [f"{number_text(v)}-{number_text(v + width - 1)}" for v in distinct]
        return [f"{number_text(v)}-<{number_text(v + width)}" for v in distinct]
    return per_distinct(low, label)


def grid(values: pd.Series, size: float) -> pd.Series:
    """Coordinates rounded to the nearest multiple of `size` degrees (0.01 degrees is about 1 km)."""
    decimals = max(0, -Decimal(repr(float(size))).normalize().as_tuple().exponent)
    return (np.round(numbers(values) / size) * size).round(decimals)


def street_key(address: object) -> str:
    """'1613 Richardson Place Apartment 354' and '1613 RICHARDSON PL #354' -> 'RICHARDSON PL'."""
    if address is None or (not isinstance(address, str) and pd.isna(address)):
        return ""
    words = str(address).upper().replace(".", " ").replace(",", " ").split()
    while words and words[0][:1].isdigit():
        words = words[1:]
    for i, word in enumerate(words):
        if word in _UNIT_WORDS or word.startswith("#"):
            words = words[:i]
            break
    return " ".join(_SUFFIXES.get(w, w) for w in words)


def street_keys(addresses: pd.Series) -> pd.Series:
    """`street_key` of every address: the cheap clean-up vectorised, the suffixes once per distinct street."""
    text = addresses.astype("str").str.upper().str.replace(r"[.,]", " ", regex=True)
    text = text.str.replace(r"^\s*(?:\d\S*\s+)+", "", regex=True)
    text = text.str.replace(r"(?:\s+(?:APT|APARTMENT|UNIT|STE|SUITE)\b|\s*#).*$", "", regex=True)
    return per_distinct(text, lambda d: [street_key(v) for v in d])


def _neighbourhood(values: pd.Series, info: dict, places: Places | None,
                   partner: pd.Series | None) -> pd.Series:
    if places is None:
        raise ValueError("generalize to neighbourhood needs the city's places")
    semantic = info.get("semantic")
    if semantic == "neighbourhood":
        return values
    if semantic == "zip":
        return per_distinct(values, lambda d: [places.zip_to_neighbourhood.get(str(v).strip()) for v in d])
    if semantic == "address":
        return per_distinct(street_keys(values), lambda d: [places.street_to_neighbourhood.get(v) for v in d])
    if semantic in ("lat", "lon") and partner is not None:
        lat, lon = (values, partner) if semantic == "lat" else (partner, values)
        return nearest_centre(numbers(lat).to_numpy(), numbers(lon).to_numpy(), places.centres, values.index)
    raise ValueError(f"cannot find a neighbourhood from {semantic or 'this column'}")


def nearest_centre(lat: np.ndarray, lon: np.ndarray, centres: pd.DataFrame, index: pd.Index) -> pd.Series:
    """The neighbourhood whose centre is nearest to each point (null where a coordinate is missing)."""
    c_lat, c_lon = centres["lat"].to_numpy(float), centres["lon"].to_numpy(float)
    scale = np.cos(np.radians(np.nanmean(c_lat))) if len(c_lat) else 1.0  # degrees of longitude are shorter
    distance = (lat[:, None] - c_lat[None, :]) ** 2 + ((lon[:, None] - c_lon[None, :]) * scale) ** 2
    names = centres["neighbourhood"].to_numpy(dtype=object)
    valid = ~(np.isnan(lat) | np.isnan(lon))
    out = np.full(len(lat), None, dtype=object)
    if len(names) and valid.any():
        out[valid] = names[np.argmin(distance[valid], axis=1)]
    return _result(out, index, text=True)


# ---------------------------------------------------------------------------- what fits a column

def applicability(op: str, to: str | None, info: dict, has_partner: bool = False) -> str | None:
    """Why `op` (and `to`) cannot be applied to a column described by `info`, or None if it can."""
    data_type, semantic = str(info.get("data_type") or ""), str(info.get("semantic") or "")
    column = f"'{info.get('column_name', 'this column')}'"
    if op in ("top_code", "bottom_code") or (op == "generalize" and to == "band"):
        what = "generalize to band" if op == "generalize" else op
        if data_type not in NUMERIC_TYPES:
            return f"{what} needs numbers; {column} is {_described(data_type)}"
    if op != "generalize":
        return None
    if to in DATE_GRAINS and data_type != "date":
        return f"generalize to {to} needs a date column; {column} is {_described(data_type)}"
    if to == "zip3" and semantic != "zip":
        return f"generalize to zip3 needs a ZIP code column; {column} holds {semantic or data_type}"
    if to == "grid" and (semantic not in ("lat", "lon") and info.get("unit") != "degrees" or
                         data_type not in NUMERIC_TYPES):
        return f"generalize to grid needs a latitude or longitude column; {column} holds {semantic or data_type}"
    if to == "neighbourhood":
        if semantic in ("lat", "lon") and not has_partner:
            other = "lon" if semantic == "lat" else "lat"
            return f"generalize to neighbourhood from coordinates needs the table's {other} column as well"
        if semantic not in ("zip", "address", "neighbourhood", "lat", "lon"):
            return (f"generalize to neighbourhood needs a ZIP code, address or coordinates; "
                    f"{column} holds {semantic or data_type}")
    return None


def _described(data_type: str) -> str:
    return {"text": "text", "date": "a date", "flag": "a yes/no flag", "integer": "whole numbers",
            "real": "numbers"}.get(data_type, data_type or "of unknown type")


def grain(op: str, params: dict, flag: bool = False) -> str:
    """How coarse an output column is: exact, year, band10, zip3, pseudonym, flag, derived …"""
    if op == "generalize":
        to = params.get("to", "")
        return f"band{number_text(params.get('width') or 10)}" if to == "band" else to
    if op == "derive":
        return "flag" if flag else "derived"
    return {"keep": "exact", "pseudonym": "pseudonym", "hash": "hash", "mask": "masked", "top_code": "top_coded",
            "bottom_code": "bottom_coded", "suppress_rare": "suppressed_rare"}.get(op, op)


__all__ = ["GENERALIZE_TO", "OPS", "PARAMETERS", "Places", "parameter_problems", "applicability", "band", "bottom_code", "derive", "generalize", "grain", "grid", "keep",
           "mask", "nearest_centre", "normalise", "number_text", "parse_dates", "per_distinct", "pseudonym",
           "street_key", "street_keys", "suppress_rare", "top_code", "unkeyed_hash"]
