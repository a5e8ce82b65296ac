"""Shared factorisations within a scoring pass give the same groupings as pandas, and never mix up columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sandbox_app.sharing.shared_codes import factorize, offer, shared_codes


def same_grouping(codes_a, codes_b) -> bool:
    """Two codings group the rows identically (a one-to-one relabelling)."""
    pairs = set(zip(codes_a.tolist(), codes_b.tolist(), strict=True))
    return len(pairs) == len(set(codes_a.tolist())) == len(set(codes_b.tolist()))


def test_outside_a_block_it_is_plain_pandas():
    values = pd.Series(["b", None, "a", "b"], dtype="str")
    codes, uniques = factorize(values, use_na_sentinel=False)
    want_codes, want_uniques = pd.factorize(values, use_na_sentinel=False)
    assert codes.tolist() == want_codes.tolist() and len(uniques) == len(want_uniques)


def test_inside_a_block_each_column_is_factorised_once_and_groups_like_pandas():
    frame = pd.DataFrame({"a": pd.Series(["x", None, "y", "x"], dtype="str"),
                          "b": pd.Series(["x", "x", "y", None], dtype="str")})
    with shared_codes():
        first = factorize(frame["a"], use_na_sentinel=True)
        again = factorize(frame["a"], use_na_sentinel=True)
        other = factorize(frame["b"], use_na_sentinel=True)
        valued, uniques = factorize(frame["a"], use_na_sentinel=False)
    assert again[0] is first[0]
    assert first[0].tolist() == pd.factorize(frame["a"])[0].tolist()
    assert other[0].tolist() == pd.factorize(frame["b"])[0].tolist()  # same values, another column
    assert same_grouping(valued, pd.factorize(frame["a"], use_na_sentinel=False)[0])
    assert len(uniques) == 3 and uniques[-1] is None  # x, y and the null as a value of its own


def test_an_offered_recipe_is_used_for_that_column_only():
    column = pd.Series(pd.array(["p", "q", "p", None], dtype="str"))
    twin = pd.Series(pd.array(["p", "q", "p", None], dtype="str"))
    calls = []

    def recipe():
        calls.append(1)
        return np.array([1, 0, 1, -1]), pd.Index(["q", "p"])

    with shared_codes():
        offer(column, recipe)
        frame = pd.DataFrame({"c": column, "d": twin}, copy=False)  # pandas re-wraps the Arrow data
        codes, uniques = factorize(frame["c"], use_na_sentinel=True)
        twin_codes, _ = factorize(frame["d"], use_na_sentinel=True)
    assert calls == [1] and codes.tolist() == [1, 0, 1, -1] and list(uniques) == ["q", "p"]
    assert twin_codes.tolist() == [0, 1, 0, -1]  # factorised itself, not given the recipe's codes
