"""Loophole: counts in disguise (a sum or mean of a yes/no field) and one problem counted twice (k and risk)."""

from __future__ import annotations

import pytest

from sandbox_app.privacy.score import score_share
from sandbox_app.sharing.database import CityDatabase
from tests.cityfixture import small_city
from tests.loophole_helpers import SCENARIO, by_rule, share


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = CityDatabase(small_city(tmp_path_factory))
    yield database
    database.close()


@pytest.mark.parametrize("op", ["sum", "mean"])
def test_a_sum_or_mean_of_a_yes_no_field_is_a_count(db, op):
    report = score_share(db, SCENARIO, "welfare-checks", share(
        {"zip": {"op": "keep"}, "ventilator": {"op": "derive", "expr": "if(equipment == 'ventilator', 1, 0)"}},
        aggregate={"group_by": ["zip"], "measures": [{"op": "count"}, {"op": op, "field": "ventilator"}],
                   "min_cell_size": 11}))
    frame = report.extract.aggregate.frame
    published = frame[~frame["suppressed"]]
    hidden = published[f"{op}_ventilator"] * (1 if op == "sum" else published["count"])
    assert ((hidden.round() >= 1) & (hidden.round() < 11)).any()  # precondition: a few people per ZIP
    assert published["count"].min() >= 11  # …while every published count looks safe
    disguised = [f for f in by_rule(report, "small_cells") if f.evidence.get("measure") == f"{op}_ventilator"]
    assert disguised and disguised[0].fix[0]["aggregate"]["group_by"] == ["zip", "ventilator"]


def test_a_k_shortfall_is_one_finding_with_k_and_risk_as_evidence(db):
    report = score_share(db, SCENARIO, "welfare-checks", share(
        {"birth_date": {"op": "keep"}, "sex": {"op": "keep"}, "zip": {"op": "generalize", "to": "zip3"}}))
    k = by_rule(report, "k_anonymity")
    assert len(k) == 1 and not by_rule(report, "reidentification_risk")
    assert k[0].evidence["k"] < k[0].evidence["k_needed"] == SCENARIO.agreement("storm-mou").k
    assert k[0].evidence["prosecutor_risk"] == pytest.approx(1 / k[0].evidence["k"], abs=1e-4)
    assert k[0].evidence["risk_threshold"] == pytest.approx(1 / k[0].evidence["k_needed"], abs=1e-4)
    assert "prosecutor risk" in k[0].message
