"""Factorised columns shared by every measure of one scoring pass.

k-anonymity, l-diversity, the linkage attack, the k hint and the metrics all group the same extract columns;
factorising a 100k-row Arrow string column takes milliseconds, and one score did it some twenty times.
Inside `shared_codes()` (score_share opens it), `factorize` returns the first result again for the same
column data. Outside it, `factorize` is plain `pd.factorize`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import pandas as pd

_CACHE: ContextVar[dict | None] = ContextVar("shared_codes", default=None)


@contextmanager
def shared_codes() -> Iterator[None]:
    """Within this block, equal `factorize` calls on the same column data are computed once."""
    token = _CACHE.set({})
    try:
        yield
    finally:
        _CACHE.reset(token)


def _identity(values: pd.Series) -> tuple | None:
    """What identifies the column's data while it is alive: its extension array, or its numpy buffer."""
    if not isinstance(values, pd.Series):
        return None
    array = values.array
    if isinstance(array, pd.arrays.ArrowExtensionArray | pd.arrays.ArrowStringArray):
        # the Arrow data itself: pandas re-wraps it in a new array object when a frame is built
        return ("arrow", id(array.__arrow_array__()), len(array))
    if isinstance(array, pd.api.extensions.ExtensionArray) and not isinstance(array, pd.arrays.NumpyExtensionArray):
        return ("array", id(array), len(array))
    data = np.asarray(values)
    if data.dtype == object:
        return None  # object arrays may be rebuilt on every access: not worth keying
    return ("numpy", data.__array_interface__["data"][0], data.shape, data.strides, data.dtype.str)


def grouped(kind: str, columns: list[pd.Series], compute):
    """`compute()`, shared within a `shared_codes()` block for the same `kind` over the same column data."""
    cache = _CACHE.get()
    keys = None if cache is None else [_identity(c) for c in columns]
    if keys is None or any(k is None for k in keys):
        return compute()
    key = (kind, *keys)
    hit = cache.get(key)
    if hit is None:
        hit = cache[key] = (compute(), list(columns))
    return hit[0]


def offer(values: pd.Series, recipe: Callable[[], tuple[np.ndarray, object]]) -> None:
    """Tell the current block how to factorise `values` cheaply: `recipe()` gives codes (-1 for null) and the
    non-null uniques, as `pd.factorize(values)` would up to the numbering (which no measure depends on)."""
    cache = _CACHE.get()
    key = None if cache is None else _identity(values)
    if key is not None:
        cache[("recipe", *key)] = (recipe, values)


def factorize(values: pd.Series, *, use_na_sentinel: bool) -> tuple[np.ndarray, object]:
    """Integer codes of `values` and their distinct values, like `pd.factorize(values, use_na_sentinel=...)`.

    Within a `shared_codes()` block each column is factorised once (or by the recipe it was offered with), and
    the numbering of codes is not necessarily by first appearance; with `use_na_sentinel=False` a null is a
    value of its own (the last). Read-only results.
    """
    cache = _CACHE.get()
    key = None if cache is None else _identity(values)
    if key is None:
        return pd.factorize(values, use_na_sentinel=use_na_sentinel)
    base = cache.get(("na", *key))
    if base is None:
        recipe = cache.get(("recipe", *key))
        codes, uniques = recipe[0]() if recipe is not None else pd.factorize(values, use_na_sentinel=True)
        base = cache[("na", *key)] = (codes, uniques, values)  # holding `values` keeps its identity unique
    codes, uniques = base[0], base[1]
    if use_na_sentinel:
        return codes, uniques
    valued = cache.get(("valued", *key))
    if valued is None:
        if len(codes) and codes.min() < 0:
            codes = np.where(codes < 0, len(uniques), codes)
            uniques = np.append(np.asarray(uniques, dtype=object), None)
        valued = cache[("valued", *key)] = (codes, uniques, values)
    return valued[0], valued[1]
