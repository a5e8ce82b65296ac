"""Re-identification risk metrics of an extract: the rows a trainee decided to share, already transformed.

Pure functions over pandas DataFrames. Definitions are the textbook ones: k-anonymity (Sweeney 2002),
distinct l-diversity (Machanavajjhala et al. 2007), prosecutor and journalist risk (El Emam).

An *equivalence class* is a set of records with equal values on every quasi-identifier. A null is a value
of its own here (a generalised or suppressed value still groups), unlike in `linkage_attack`, where a
null never matches anything.

Speed matters (a live risk meter recomputes on every edit), so every quasi-identifier column is factorised
and the codes are combined into one int64 key per record; class sizes then come from `np.bincount`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sandbox_app.sharing.shared_codes import factorize, grouped

__all__ = [
    "LinkageResult",
    "RiskMetrics",
    "classes_below",
    "equivalence_classes",
    "k_anonymity",
    "l_diversity",
    "linkage_attack",
    "risk_metrics",
]

SIZE = "size"
_KEY_LIMIT = 2**62  # combined keys stay below this, so key * cardinality + code never overflows int64
_SMALLEST_SHOWN = 5
_EXAMPLES_SHOWN = 10
_DIRECT_KEYS = 65_536  # linkage: keys up to 4 * len(reference) + this are bincount-ed without renumbering


@dataclass
class RiskMetrics:
    """Re-identification risk of one extract; see `risk_metrics`."""

    records: int
    quasi_identifiers: list[str]
    sensitive: list[str]
    classes: int
    k_anonymity: int | None
    unique_records: int
    unique_share: float
    prosecutor_risk_max: float
    prosecutor_risk_mean: float
    records_at_risk: int
    risk_threshold: float
    l_diversity: dict[str, int]
    journalist_risk_max: float | None = None
    smallest_classes: list[dict[str, Any]] = field(default_factory=list)
    k_threshold: int | None = None
    records_below_k: int = 0  # records in classes smaller than k_threshold (0 without one)

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(dataclasses.asdict(self))


@dataclass
class LinkageResult:
    """Outcome of joining an extract to a public reference dataset; see `linkage_attack`."""

    on: list[str]
    attempted: int = 0
    matched_uniquely: int = 0
    reidentified: int = 0
    reidentified_residents: int = 0
    false_matches: int = 0
    resident_ids: list[Any] = field(default_factory=list)
    example_rows: list[Any] = field(default_factory=list)
    row_positions: list[int] = field(default_factory=list)  # positions of re-identified rows (first few)

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(dataclasses.asdict(self))


# ---------------------------------------------------------------------------------------------- classes


def equivalence_classes(df: pd.DataFrame, quasi_identifiers: list[str]) -> pd.DataFrame:
    """One row per distinct combination of quasi-identifier values: the QI columns and ``size``.

    Rows are ordered smallest class first (ties: the class seen first in `df` first), so the riskiest
    classes lead. Nulls form a class of their own. With no QIs the whole table is one class; an empty
    `df` has no classes.
    """
    qis = _checked_columns(df, quasi_identifiers, "quasi-identifier")
    if SIZE in qis:
        raise ValueError(f"a quasi-identifier may not be called {SIZE!r}")
    ids, sizes = _class_ids(df, qis)
    order = np.argsort(sizes, kind="stable")
    out = df.iloc[_first_rows(ids)[order]][qis].reset_index(drop=True)
    out[SIZE] = sizes[order]
    return out


def k_anonymity(df: pd.DataFrame, quasi_identifiers: list[str]) -> int | None:
    """The size of the smallest equivalence class; None for an empty `df`."""
    _, sizes = _class_ids(df, _checked_columns(df, quasi_identifiers, "quasi-identifier"))
    return int(sizes.min()) if len(sizes) else None


def l_diversity(df: pd.DataFrame, quasi_identifiers: list[str], sensitive_attribute: str) -> int | None:
    """Distinct l-diversity: the fewest distinct values of `sensitive_attribute` in any class.

    Null counts as one value. None for an empty `df`.
    """
    qis = _checked_columns(df, quasi_identifiers, "quasi-identifier")
    (attr,) = _checked_columns(df, [sensitive_attribute], "sensitive")
    ids, sizes = _class_ids(df, qis)
    return _distinct_per_class(ids, len(sizes), df[attr]) if len(sizes) else None


def classes_below(df: pd.DataFrame, quasi_identifiers: list[str], k: int) -> pd.Series:
    """Boolean mask (indexed like `df`) of the records whose equivalence class has fewer than `k` records."""
    ids, sizes = _class_ids(df, _checked_columns(df, quasi_identifiers, "quasi-identifier"))
    return pd.Series(sizes[ids] < k, index=df.index, dtype=bool)


def risk_metrics(
    df: pd.DataFrame,
    quasi_identifiers: list[str],
    sensitive: list[str],
    *,
    population_class_sizes: pd.DataFrame | None = None,
    risk_threshold: float = 0.09,
    k_threshold: int | None = None,
) -> RiskMetrics:
    """Every class-based risk measure of an extract in one pass.

    A record is *at risk* when its prosecutor risk, 1 / (size of its class), exceeds `risk_threshold`;
    `records_below_k` counts the records in classes smaller than `k_threshold` (when given).
    `population_class_sizes` (the QI columns + ``size``, one row per class of the population the extract
    was drawn from) adds journalist risk: 1 / the smallest population class that holds an extract class.
    Population classes match extract classes on equal QI values, nulls included. A population class is
    never counted smaller than the extract class it holds (the extract is a subset of the population), so
    a class missing from the population table counts with the extract's own size.
    """
    qis = _checked_columns(df, quasi_identifiers, "quasi-identifier")
    sens = _checked_columns(df, sensitive, "sensitive")
    ids, sizes = _class_ids(df, qis)
    n, n_classes = len(df), len(sizes)
    journalist = None
    if population_class_sizes is not None:
        journalist = _journalist_risk(df, qis, ids, sizes, population_class_sizes) if n else 0.0
    if not n:
        return RiskMetrics(
            records=0, quasi_identifiers=qis, sensitive=sens, classes=0, k_anonymity=None,
            unique_records=0, unique_share=0.0, prosecutor_risk_max=0.0, prosecutor_risk_mean=0.0,
            records_at_risk=0, risk_threshold=risk_threshold, l_diversity={},
            journalist_risk_max=journalist, k_threshold=k_threshold,
        )  # fmt: skip
    k = int(sizes.min())
    unique_records = int(np.count_nonzero(sizes == 1))
    order = np.argsort(sizes, kind="stable")[:_SMALLEST_SHOWN]
    shown = df.iloc[_first_rows(ids)[order]][qis]
    smallest = [
        {**dict(zip(qis, values, strict=True)), SIZE: int(size)}
        for values, size in zip(shown.itertuples(index=False, name=None), sizes[order], strict=True)
    ]
    return RiskMetrics(
        records=n,
        quasi_identifiers=qis,
        sensitive=sens,
        classes=n_classes,
        k_anonymity=k,
        unique_records=unique_records,
        unique_share=unique_records / n,
        prosecutor_risk_max=1.0 / k,
        # mean over records of 1/size: each class contributes size * (1/size) = 1
        prosecutor_risk_mean=n_classes / n,
        records_at_risk=int(sizes[1.0 / sizes > risk_threshold].sum()),
        risk_threshold=risk_threshold,
        l_diversity={attr: _distinct_per_class(ids, n_classes, df[attr]) for attr in sens},
        journalist_risk_max=journalist,
        smallest_classes=smallest,
        k_threshold=k_threshold,
        records_below_k=int(sizes[sizes < k_threshold].sum()) if k_threshold else 0,
    )


# --------------------------------------------------------------------------------------------- linkage


def linkage_attack(
    extract: pd.DataFrame,
    reference: pd.DataFrame,
    on: list[str],
    *,
    extract_truth: str = "_resident_id",
    reference_truth: str = "_resident_id",
    positions_shown: int = 0,
) -> LinkageResult:
    """Join the extract to a public reference dataset on `on`, as an attacker would, and score the join.

    Both frames must already be generalised the same way. An extract row's candidates are the reference
    rows equal to it on every `on` column; a null on either side never matches, and an extract row with a
    null in `on` is not attempted. A row is matched uniquely when it has exactly one candidate, and
    re-identified when that candidate's truth id equals its own. The truth columns are hidden ground
    truth carried by the caller, never part of `on`. `row_positions` lists the positions (0-based, into
    `extract`) of the first `positions_shown` re-identified rows.
    """
    on = _checked_columns(extract, on, "linkage")
    _checked_columns(reference, on, "linkage")
    _checked_columns(extract, [extract_truth], "truth")
    _checked_columns(reference, [reference_truth], "truth")
    if extract_truth in on or reference_truth in on:
        raise ValueError("the truth columns must not be linkage columns")
    result = LinkageResult(on=on)
    if not on or extract.empty or reference.empty:
        if on:
            result.attempted = int(extract[on].notna().all(axis=1).sum())
        return result

    n_ref = len(reference)
    ref_key = np.zeros(n_ref, dtype=np.int64)
    ext_key = np.zeros(len(extract), dtype=np.int64)
    ref_ok = np.ones(n_ref, dtype=bool)
    ext_ok = np.ones(len(extract), dtype=bool)  # every value of the row occurs in the reference
    radix = 1
    for col in on:
        ref_codes, uniques = pd.factorize(reference[col], use_na_sentinel=True)  # null -> -1: never matches
        ext_codes = pd.Index(uniques).get_indexer(extract[col])
        ref_ok &= ref_codes >= 0
        ext_ok &= ext_codes >= 0
        ref_codes, ext_codes = np.maximum(ref_codes, 0), np.maximum(ext_codes, 0)  # masked rows: any key
        card = max(len(uniques), 1)
        if radix > _KEY_LIMIT // card:
            ref_key, ext_key, radix = _compress_shared(ref_key, ext_key, ext_ok)
        ref_key = ref_key * card + ref_codes
        ext_key = ext_key * card + ext_codes
        radix *= card
    if radix > 4 * n_ref + _DIRECT_KEYS:  # keep bincount arrays small
        ref_key, ext_key, radix = _compress_shared(ref_key, ext_key, ext_ok)

    rows = np.flatnonzero(ref_ok)
    counts = np.bincount(ref_key[rows], minlength=radix)
    alone = counts[ref_key[rows]] == 1
    sole_row = np.full(radix, -1, dtype=np.int64)
    sole_row[ref_key[rows][alone]] = rows[alone]  # keys of count 1 are written exactly once

    attempted = extract[on].notna().all(axis=1).to_numpy()
    unique = attempted & ext_ok & (counts[ext_key] == 1)
    ext_pos = np.flatnonzero(unique)
    ext_truth = extract[extract_truth].iloc[ext_pos].reset_index(drop=True)
    ref_truth = reference[reference_truth].iloc[sole_row[ext_key[ext_pos]]].reset_index(drop=True)
    correct = ext_truth.eq(ref_truth).fillna(False).to_numpy(dtype=bool)

    hit_truth = ext_truth[correct]
    result.attempted = int(attempted.sum())
    result.matched_uniquely = len(ext_pos)
    result.reidentified = int(correct.sum())
    result.false_matches = result.matched_uniquely - result.reidentified
    result.resident_ids = _sorted(pd.unique(hit_truth.dropna()).tolist())
    result.reidentified_residents = len(result.resident_ids)
    result.example_rows = extract.index[ext_pos[correct][:_EXAMPLES_SHOWN]].tolist()
    result.row_positions = ext_pos[correct][:positions_shown].tolist()
    return result


# ------------------------------------------------------------------------------------------- internals


def _checked_columns(df: pd.DataFrame, columns: list[str], role: str) -> list[str]:
    columns = list(columns)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{role} column(s) not in the table: {', '.join(map(str, missing))}")
    if len(set(columns)) != len(columns):
        raise ValueError(f"{role} columns named more than once: {columns}")
    return columns


def _class_ids(df: pd.DataFrame, qis: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Class id of every record (0..C-1, in order of first appearance) and the size of every class.

    Shared within a scoring pass (`shared_codes`): the metrics and the rules group the same columns."""
    return grouped("class_ids", [df[c] for c in qis], lambda: _compute_class_ids(df, qis)) if qis and len(df) else (
        _compute_class_ids(df, qis))


def _compute_class_ids(df: pd.DataFrame, qis: list[str]) -> tuple[np.ndarray, np.ndarray]:
    n = len(df)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    key = np.zeros(n, dtype=np.int64)
    radix = 1
    for col in qis:
        codes, uniques = factorize(df[col], use_na_sentinel=False)  # null is a value of its own
        card = max(len(uniques), 1)
        if radix > _KEY_LIMIT // card:
            key, uniq = pd.factorize(key)
            radix = len(uniq)
        key = key * card + codes
        radix *= card
    ids, uniq = pd.factorize(key)
    ids = ids.astype(np.int64, copy=False)
    return ids, np.bincount(ids, minlength=len(uniq))


def _first_rows(ids: np.ndarray) -> np.ndarray:
    """Position of the first record of each class; ids are numbered in order of first appearance."""
    if not len(ids):
        return np.zeros(0, dtype=np.int64)
    seen_before = np.maximum.accumulate(np.concatenate(([-1], ids[:-1])))
    return np.flatnonzero(ids > seen_before)


def _distinct_per_class(ids: np.ndarray, n_classes: int, values: pd.Series) -> int:
    """The fewest distinct `values` (null counted as one value) within any class."""
    codes, uniques = factorize(values, use_na_sentinel=False)
    card = max(len(uniques), 1)
    pairs = pd.unique(ids * card + codes)  # ids < len(df), card <= len(df): no overflow
    return int(np.bincount(pairs // card, minlength=n_classes).min())


def _journalist_risk(
    df: pd.DataFrame, qis: list[str], ids: np.ndarray, sizes: np.ndarray, population: pd.DataFrame
) -> float:
    """1 / the smallest population class holding an extract class (see `risk_metrics`)."""
    _checked_columns(population, [*qis, SIZE], "population")
    representatives = df.iloc[_first_rows(ids)][qis]
    both = pd.concat([representatives, population[qis]], ignore_index=True)
    joint, _ = _class_ids(both, qis)
    pop_sizes = np.bincount(joint[len(sizes) :], weights=population[SIZE].to_numpy(dtype=float),
                            minlength=int(joint.max()) + 1)  # fmt: skip
    held = np.maximum(pop_sizes[joint[: len(sizes)]], sizes)
    return float(1.0 / held.min())


def _compress_shared(ref_key: np.ndarray, ext_key: np.ndarray, ext_ok: np.ndarray):
    """Renumber reference keys densely and map extract keys into the same numbering (-1: absent)."""
    dense, uniq = pd.factorize(ref_key)
    mapped = pd.Index(uniq).get_indexer(ext_key)
    ext_ok &= mapped >= 0
    return dense.astype(np.int64), np.where(mapped >= 0, mapped, 0).astype(np.int64), max(len(uniq), 1)


def _sorted(values: list[Any]) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:  # mixed id types: still a stable, readable order
        return sorted(values, key=lambda v: (type(v).__name__, str(v)))


def _jsonable(value: Any) -> Any:
    """Plain JSON types: numpy scalars to Python, nulls and NaN to None, dates to ISO text."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, dt.date | dt.datetime | pd.Timestamp):
        return value.isoformat()
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return None
    return str(value)
