"""Differencing: counts a reader works out exactly by adding and subtracting what is published (the share's
tables, their margins, declared prior releases) give small groups away; tried as a trainee would game it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sandbox_app.privacy.recovery import solve
from sandbox_app.privacy.score import score_share
from sandbox_app.scenario.model import Scenario
from sandbox_app.sharing.apply import apply_share
from sandbox_app.sharing.database import CityDatabase
from sandbox_app.sharing.document import parse_share_text
from tests.cityfixture import small_city
from tests.loophole_helpers import HEALTH, SCENARIO, by_rule, share

BY_ZIP = {"group_by": ["zip"], "measures": [{"op": "count"}], "min_cell_size": 11}
TOTAL = {"group_by": [], "measures": [{"op": "count"}], "min_cell_size": 11}
USERS = "equipment != 'none'"


def _doc(where: str, aggregate=BY_ZIP, table=HEALTH, fields=None) -> dict:
    return json.loads(share(fields or {"zip": {"op": "keep"}}, where=where, aggregate=aggregate,
                            table=table).model_dump_json())


def _scenario(*releases: tuple[str, dict]) -> Scenario:
    data = SCENARIO.model_dump(by_alias=True)
    data["prior_releases"] = [{"title": title, "share": doc} for title, doc in releases]
    return Scenario.model_validate(data)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = CityDatabase(small_city(tmp_path_factory))
    yield database
    database.close()


def _differencing(report):
    return [f for f in by_rule(report, "small_cells") if f.evidence.get("differencing")]


def _truth(db, where: str) -> int:
    from synthetic.expr import parse

    frame = db.read_table(HEALTH, None)
    return int(parse(where).evaluate_mask(frame).sum())


def test_the_same_table_minus_a_few_people_gives_them_away(db):
    # Each ZIP's count is safe (or suppressed) on its own, but last quarter's table minus this one counts
    # the CPAP users of a ZIP.
    scenario = _scenario(("Powered equipment by ZIP, last quarter", _doc(USERS)))
    report = score_share(db, scenario, "welfare-checks", share(
        {"zip": {"op": "keep"}}, where=f"{USERS} and equipment != 'cpap'", aggregate=BY_ZIP))
    (found,) = _differencing(report)
    assert found.evidence["prior_releases"] == ["Powered equipment by ZIP, last quarter"]
    example = found.examples[0]
    terms = {(t.source, t.coefficient) for t in example.terms}
    assert terms == {("this share", -1), ("Powered equipment by ZIP, last quarter", 1)}
    (zip_code,) = {t.cell["zip"] for t in example.terms}
    assert example.difference == _truth(db, f"equipment == 'cpap' and zip == '{zip_code}'")
    assert 1 <= example.difference < 11
    # the arithmetic in the evidence is the published counts themselves
    assert sum(t.coefficient * t.count for t in example.terms) == example.difference


def test_three_releases_whose_pairs_are_all_safe_still_combine(db):
    # cpap or ventilator (41) + everything but cpap (64) - all equipment users (105) = ventilator users (10):
    # no two of these differ by fewer than 11, so a pairwise comparison would pass the share.
    scenario = _scenario(("CPAP and ventilators", _doc("equipment == 'cpap' or equipment == 'ventilator'", TOTAL)),
                         ("Equipment other than CPAP", _doc(f"{USERS} and equipment != 'cpap'", TOTAL)))
    report = score_share(db, scenario, "welfare-checks", share({"zip": {"op": "keep"}}, where=USERS,
                                                                 aggregate=TOTAL))
    (found,) = _differencing(report)
    (example,) = found.examples
    assert example.difference == _truth(db, "equipment == 'ventilator'") < 11
    assert sorted(t.coefficient for t in example.terms) == [-1, 1, 1]
    assert sum(t.coefficient * t.count for t in example.terms) == example.difference


def test_a_suppressed_cell_is_a_published_margin_minus_the_other_cells_of_its_row(db):
    # This share hides 44102 (7 equipment users) and publishes 44101 (16). Last year's table counted the
    # users of the west side (44101 and 44102 together): the margin minus the published cell gives 44102.
    west = {"area": {"op": "derive", "expr": "if(zip == '44101' or zip == '44102', 'west', 'east')"}}
    scenario = _scenario(("Equipment users, west and east", _doc(USERS, {**BY_ZIP, "group_by": ["area"]},
                                                                 fields=west)))
    report = score_share(db, scenario, "welfare-checks", share({"zip": {"op": "keep"}}, where=USERS,
                                                                 aggregate=BY_ZIP))
    (found,) = _differencing(report)
    example = next(e for e in found.examples if any(t.cell == {"area": "west"} for t in e.terms))
    assert example.difference == _truth(db, f"{USERS} and zip == '44102'")
    assert {(t.source, str(t.cell), t.coefficient) for t in example.terms} == {
        ("Equipment users, west and east", "{'area': 'west'}", 1), ("this share", "{'zip': '44101'}", -1)}
    assert set(found.row_positions) == {HEALTH}  # the rows behind the recovered cell, in this share's table


def test_a_count_the_earlier_tables_already_give_away_is_not_this_shares_finding(db):
    # All clients by ZIP minus clients without equipment by ZIP already tells 44102's users (7): this share
    # hiding 44102 changes nothing, so it is not marked down for it.
    scenario = _scenario(("All clients by ZIP", _doc("zip != ''")),
                         ("Clients without equipment by ZIP", _doc(f"not ({USERS})")))
    report = score_share(db, scenario, "welfare-checks", share({"zip": {"op": "keep"}}, where=USERS,
                                                                 aggregate=BY_ZIP))
    terms = [t for f in _differencing(report) for e in f.examples for t in e.terms]
    assert {"zip": "44102"} not in [t.cell for t in terms]


def test_two_tables_of_one_share_with_nested_filters(db):
    # A row-level share listing the ZIPs of equipment users twice, once without the CPAP users: counting
    # each table's rows per ZIP and subtracting gives the CPAP users of each ZIP.
    doc = json.loads(share({"zip": {"op": "keep"}}, where=USERS).model_dump_json())
    doc["tables"].append({"table": HEALTH, "where": f"{USERS} and equipment != 'cpap'",
                          "fields": {"zip": {"op": "keep"}}})
    report = score_share(db, SCENARIO, "welfare-checks", parse_share_text(json.dumps(doc)))
    (found,) = _differencing(report)
    assert found.evidence["prior_releases"] == [] and "its own tables" in found.message
    assert {t.kind for e in found.examples for t in e.terms} == {"rows"}


def test_republishing_the_same_cells_or_supersets_reveals_nothing_new(db):
    scenario = _scenario(("Equipment users by ZIP", _doc(USERS)), ("All clients", _doc("zip != ''", TOTAL)))
    report = score_share(db, scenario, "welfare-checks", share({"zip": {"op": "keep"}}, where=USERS,
                                                                 aggregate=BY_ZIP))
    assert _differencing(report) == []


def test_a_release_of_another_table_is_never_combined(db):
    other = _doc("zip != ''", table="oem_medical_needs_registry")
    assert apply_share(db, parse_share_text(json.dumps(other))).aggregate.cells > 1  # it applies: a real release
    scenario = _scenario(("Registry by ZIP", other))
    report = score_share(db, scenario, "welfare-checks", share(
        {"zip": {"op": "keep"}}, where=f"{USERS} and equipment != 'cpap'", aggregate=BY_ZIP))
    assert _differencing(report) == []


def test_without_declared_prior_releases_nothing_is_compared(db):
    report = score_share(db, SCENARIO, "welfare-checks", share(
        {"zip": {"op": "keep"}}, where=f"{USERS} and equipment != 'cpap'", aggregate=BY_ZIP))
    assert _differencing(report) == []


def test_the_solver_peels_with_whole_coefficients_and_finds_what_peeling_cannot():
    # atoms 0..2; counts of {0,1}, {1,2}, {0,2}: no equation has one unknown, yet each atom is
    # (a+b-c)/2 of them.
    solution = solve(3, [np.array([0, 1]), np.array([1, 2]), np.array([0, 2])])
    assert not solution.known and solution.combination(np.array([1])) == {0: 0.5, 1: 0.5, 2: -0.5}
    peeled = solve(3, [np.array([0]), np.array([0, 1]), np.array([0, 1, 2])])
    assert peeled.combination(np.array([2])) == {2: 1, 1: -1}
    assert solve(3, [np.array([0, 1, 2]), np.array([0, 1])]).combination(np.array([0])) is None


def test_the_exact_search_is_bounded_and_says_so():
    from sandbox_app.privacy import recovery

    n = recovery.MAX_DENSE_UNKNOWNS + 2  # a chain of overlapping pairs no equation of which peels
    solution = solve(n, [np.array([i, i + 1]) for i in range(n - 1)])
    assert solution.dense_skipped and solution.combination(np.array([0])) is None
