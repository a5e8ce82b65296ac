"""Aggregate tables: counts and measures per cell, primary and complementary small-cell suppression."""

import numpy as np
import pandas as pd
import pytest

from sandbox_app.sharing.aggregate import aggregate, recoverable_cells


def rows(table: dict[tuple, int], columns=("zip", "alone")) -> pd.DataFrame:
    """A frame with `n` rows for each (values...) -> n; an `age` column numbering each cell's rows 0..n-1."""
    data = [(*key, age) for key, n in table.items() for age in range(n)]
    return pd.DataFrame(data, columns=[*columns, "age"])


# Worked by hand, N = 11:
#
#            alone=0  alone=1 | line total
#   44101       20        3   |   23        (44101, 1) = 3 is primary.
#   44102       15       12   |   27        Row 44101 then has one hidden cell: hide (44101, 0) = 20.
#   44103       30       25   |   55        Column alone=1 has one hidden cell: hide its smallest other, 12.
#                                           Column alone=0 now has one hidden cell (20): hide 15.
#                                           Row 44102 has two hidden; every line has 0 or 2: stable.
HAND = {("44101", 0): 20, ("44101", 1): 3, ("44102", 0): 15, ("44102", 1): 12, ("44103", 0): 30, ("44103", 1): 25}


def test_two_way_table_primary_and_complementary_suppression():
    result = aggregate(rows(HAND), ["zip", "alone"], [{"op": "count"}], 11)
    frame = result.frame
    assert list(frame.columns) == ["zip", "alone", "count", "suppressed"]
    assert list(zip(frame["zip"], frame["alone"], strict=True)) == list(HAND)  # sorted cells, none invented
    assert frame["suppressed"].tolist() == [True, True, True, True, False, False]
    assert frame["count"].isna().tolist() == [True, True, True, True, False, False]
    assert frame["count"].iloc[4:].tolist() == [30, 25]
    assert (result.cells, result.primary_suppressed, result.complementary_suppressed) == (6, 1, 3)
    assert result.smallest_published_count == 25
    assert result.counts_before_suppression["count"].tolist() == list(HAND.values())
    assert recoverable_cells(result) == 0


def test_without_complementary_suppression_the_hidden_cell_can_be_recovered():
    result = aggregate(rows(HAND), ["zip", "alone"], [], 11, complementary=False)
    assert result.frame["suppressed"].tolist() == [False, True, False, False, False, False]
    assert (result.primary_suppressed, result.complementary_suppressed) == (1, 0)
    assert result.smallest_published_count == 12
    assert recoverable_cells(result) == 1  # row 44101: 23 - 20 = 3


def test_recovery_chains_through_cells_already_recovered():
    # Two primary cells in different rows and columns: each row exposes its own cell.
    table = {("a", 0): 2, ("a", 1): 40, ("b", 0): 40, ("b", 1): 4}
    result = aggregate(rows(table), ["zip", "alone"], [], 11, complementary=False)
    assert recoverable_cells(result) == 2
    protected = aggregate(rows(table), ["zip", "alone"], [], 11)
    assert protected.frame["suppressed"].all()  # a 2x2 table with a small diagonal hides everything
    assert recoverable_cells(protected) == 0


def test_one_dimension_the_total_could_reveal_a_single_hidden_cell():
    table = {("a",): 5, ("b",): 30, ("c",): 20}
    result = aggregate(rows(table, ("zip",)), ["zip"], [], 11)
    assert result.frame["suppressed"].tolist() == [True, False, True]  # 5 primary, then the smallest other
    assert (result.primary_suppressed, result.complementary_suppressed) == (1, 1)
    assert recoverable_cells(result) == 0
    assert recoverable_cells(aggregate(rows(table, ("zip",)), ["zip"], [], 11, complementary=False)) == 1


def test_no_min_cell_size_suppresses_nothing():
    result = aggregate(rows(HAND), ["zip", "alone"], [], None)
    assert not result.frame["suppressed"].any()
    assert result.frame["count"].tolist() == list(HAND.values())
    assert result.smallest_published_count == 3
    assert recoverable_cells(result) == 0


def test_sum_and_mean_measures_are_hidden_with_their_cell():
    frame = rows(HAND)
    result = aggregate(frame, ["zip", "alone"], [{"op": "count"}, {"op": "sum", "field": "age"},
                                                  {"op": "mean", "field": "age"}], 11)
    assert list(result.frame.columns) == ["zip", "alone", "count", "sum_age", "mean_age", "suppressed"]
    assert result.frame["mean_age"].iloc[4:].tolist() == [14.5, 12.0]  # mean of 0..29 and 0..24
    assert result.frame["sum_age"].iloc[4:].tolist() == [435.0, 300.0]
    assert result.frame["mean_age"].iloc[:4].isna().all()


def test_mean_ignores_nulls_and_is_null_when_all_are():
    frame = pd.DataFrame({"g": ["a", "a", "b"], "x": [1.0, np.nan, np.nan]})
    result = aggregate(frame, ["g"], [("mean", "x"), ("sum", "x")], None)
    assert result.frame["mean_x"].iloc[0] == 1.0 and np.isnan(result.frame["mean_x"].iloc[1])
    assert np.isnan(result.frame["sum_x"].iloc[1])


def test_nulls_form_their_own_cell_and_mixed_values_sort():
    frame = pd.DataFrame({"age": pd.Series([30, "90+", None, 30, 5], dtype=object)})
    result = aggregate(frame, ["age"], [], None)
    assert result.frame["age"].tolist()[:3] == [5, 30, "90+"]
    assert pd.isna(result.frame["age"].iloc[3])
    assert result.frame["count"].tolist() == [1, 2, 1, 1]


def test_no_group_by_is_one_total_cell():
    result = aggregate(rows(HAND), [], [], 200)
    assert result.cells == 1 and result.frame["suppressed"].tolist() == [True]


def test_empty_extract_has_no_cells():
    result = aggregate(rows(HAND).iloc[:0], ["zip"], [], 11)
    assert result.cells == 0 and len(result.frame) == 0
    assert result.smallest_published_count is None
    assert recoverable_cells(result) == 0


@pytest.mark.parametrize("seed", range(5))
def test_random_tables_are_never_recoverable_after_complementary_suppression(seed):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"a": rng.integers(0, 6, 400), "b": rng.integers(0, 5, 400), "c": rng.integers(0, 2, 400)})
    result = aggregate(frame, ["a", "b", "c"], [], 11)
    assert result.primary_suppressed > 0
    assert recoverable_cells(result) == 0
    published = result.frame.loc[~result.frame["suppressed"], "count"]
    assert (published >= 11).all()
