"""Typed score results: Metrics with the thresholds it is judged by, findings with the rows behind them, a
versioned report."""

from __future__ import annotations

import dataclasses
import json

import pytest

from sandbox_app.privacy.catalogue import ROW_POSITIONS_SHOWN
from sandbox_app.privacy.score import REPORT_FORMAT, score_share
from sandbox_app.privacy.share_metrics import Metrics
from sandbox_app.scenario import load_scenario
from sandbox_app.sharing.database import CityDatabase
from sandbox_app.sharing.document import parse_share_text
from tests.cityfixture import small_city

SCENARIO = load_scenario("winter-storm")
HEALTH = "ph_home_health_clients"
QIS = ["birth_date", "sex", "zip"]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = CityDatabase(small_city(tmp_path_factory))
    yield database
    database.close()


def share(fields: dict, *, exercise="welfare-checks", table=HEALTH, aggregate=None):
    doc = {"format": "city-sandbox/share@1", "scenario": "winter-storm", "exercise": exercise,
           "purpose": SCENARIO.exercise(exercise).purpose, "destroy_by": "2026-02-13",
           "tables": [{"table": table, "fields": fields}], "aggregate": aggregate}
    return parse_share_text(json.dumps(doc))


@pytest.fixture(scope="module")
def sweeney(db):
    return score_share(db, SCENARIO, "welfare-checks", share(
        {"birth_date": {"op": "keep"}, "sex": {"op": "keep"}, "zip": {"op": "keep"},
         "primary_diagnosis": {"op": "keep"}}))


def by_rule(report, rule):
    return next(f for f in report.findings if f.rule == rule)


def test_metrics_are_typed_and_carry_what_they_were_computed_on(sweeney):
    m = sweeney.metrics
    agreement = SCENARIO.agreement(SCENARIO.exercise("welfare-checks").agreement)
    assert isinstance(m, Metrics)
    assert m.quasi_identifiers == {HEALTH: QIS}
    assert m.sensitive_attributes == {HEALTH: ["primary_diagnosis"]}
    assert (m.k_threshold, m.min_cell_size) == (agreement.k, agreement.min_cell_size)
    assert m.risk_threshold == pytest.approx(agreement.prosecutor_risk or 1 / agreement.k)
    assert m.identified_tables == [] and m.small_cells == 0
    frame = sweeney.extract.parts[0].frame
    sizes = frame.groupby(QIS, dropna=False)["sex"].transform("size")
    assert m.records == len(frame)
    assert m.records_below_k == int((sizes < agreement.k).sum()) > 0
    assert m.unique_records == int((sizes == 1).sum())
    assert m.k_anonymity == int(sizes.min())


def test_k_shortfall_finding_lists_the_rows_in_groups_smaller_than_k(sweeney):
    frame = sweeney.extract.parts[0].frame
    small = frame.groupby(QIS, dropna=False)["sex"].transform("size") < sweeney.metrics.k_threshold
    positions = by_rule(sweeney, "k_anonymity").row_positions[HEALTH]
    assert positions == [i for i, hit in enumerate(small) if hit][:ROW_POSITIONS_SHOWN]


def test_linkage_finding_lists_the_re_identified_rows(sweeney):
    positions = by_rule(sweeney, "linkage_attack").row_positions[HEALTH]
    result = sweeney.linkage[HEALTH]
    assert len(positions) == min(result.reidentified, ROW_POSITIONS_SHOWN) > 0
    truth = sweeney.extract.parts[0].truth
    assert {int(truth[p]) for p in positions} <= set(result.resident_ids)
    assert positions == sorted(positions)


def test_small_cell_finding_lists_the_rows_counted_in_the_small_cells(db):
    fields = {"zip": {"op": "keep"}, "lives_alone": {"op": "keep"}}
    report = score_share(db, SCENARIO, "warming-centres", share(
        fields, exercise="warming-centres", table="dss_meal_delivery_clients",
        aggregate={"group_by": ["zip", "lives_alone"], "measures": [{"op": "count"}]}))
    frame = report.extract.parts[0].frame
    sizes = frame.groupby(["zip", "lives_alone"], dropna=False)["zip"].transform("size")
    n = report.metrics.min_cell_size
    cells = frame.groupby(["zip", "lives_alone"], dropna=False).size()
    assert report.metrics.small_cells == int(((cells >= 1) & (cells < n)).sum()) > 0
    positions = by_rule(report, "small_cells").row_positions["dss_meal_delivery_clients"]
    assert positions == [i for i, s in enumerate(sizes) if s < n][:ROW_POSITIONS_SHOWN]


def test_free_text_finding_points_at_the_entries_that_leak(db):
    report = score_share(db, SCENARIO, "welfare-checks", share({"nurse_notes": {"op": "keep"}}))
    leak = by_rule(report, "free_text_identifiers")
    notes = report.extract.parts[0].frame["nurse_notes"]
    positions = leak.row_positions[HEALTH]
    assert len(positions) == min(leak.rows, ROW_POSITIONS_SHOWN)
    assert [notes.iloc[p][:80] for p in positions[:3]] == [e.text for e in leak.examples]


def test_report_dict_is_versioned_and_json_with_every_metric(sweeney):
    data = json.loads(json.dumps(sweeney.to_dict()))
    assert data["format"] == REPORT_FORMAT == "city-sandbox/report@1"
    assert set(data["metrics"]) == {f.name for f in dataclasses.fields(Metrics)}
    assert data["metrics"]["quasi_identifiers"] == {HEALTH: QIS}
    assert all("row_positions" in f for f in data["findings"])
