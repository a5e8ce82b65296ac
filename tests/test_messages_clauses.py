"""Messages are about this share (a hashed phone is not an SSN), and findings cite the clause whose `covers`
names the rule or category, not the first clause whose wording happens to match."""

from __future__ import annotations

import pytest

from sandbox_app.privacy.checks import value_space
from sandbox_app.privacy.score import score_share
from sandbox_app.scenario.model import Scenario
from sandbox_app.sharing.database import CityDatabase
from tests.cityfixture import small_city
from tests.loophole_helpers import SCENARIO, by_rule, share


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = CityDatabase(small_city(tmp_path_factory))
    yield database
    database.close()


def test_a_hashed_phone_is_described_as_a_phone(db):
    report = score_share(db, SCENARIO, "welfare-checks", share({"phone": {"op": "hash"}}))
    (found,) = by_rule(report, "unkeyed_hash")
    assert "phone" in found.message and "SSN" not in found.message
    assert found.fix == [{"edit": "set_field", "table": "ph_home_health_clients", "field": "phone",
                          "op": {"op": "pseudonym"}}]


def test_value_space_counts_only_the_positions_that_vary():
    assert value_space(["C0001", "C0420", "C9999"]) == (10_000, "A9999")  # a 4-digit client code
    assert value_space(["900-12-3456", "987-65-4321"])[0] == 10**8  # 9xx SSNs


def _with_clauses(clauses: list[dict]) -> Scenario:
    data = SCENARIO.model_dump(by_alias=True)
    for agreement in data["agreements"]:
        if agreement["id"] == "storm-mou":
            agreement["clauses"] = clauses
    return Scenario.model_validate(data)


def test_the_clause_that_covers_the_category_is_cited(db):
    scenario = _with_clauses([
        {"id": "1", "text": "Mental-health services are a priority in the emergency.", "covers": ["use_limitation"]},
        {"id": "7", "text": "Excluded: the categories of Schedule C.", "covers": ["mental_health", "benefits"]}])
    report = score_share(db, scenario, "welfare-checks", share({"mental_health_dx": {"op": "keep"}}))
    assert by_rule(report, "agreement_scope")[0].clause == "7"


def test_no_clause_is_guessed_from_wording(db):
    scenario = _with_clauses([{"id": "1", "text": "Mental-health information is excluded."}])
    report = score_share(db, scenario, "welfare-checks", share({"mental_health_dx": {"op": "keep"}}))
    assert by_rule(report, "agreement_scope")[0].clause is None


def test_every_built_in_clause_names_only_known_rules_or_categories():
    from sandbox_app.privacy.catalogue import catalogue
    from sandbox_app.scenario import load_scenario
    from synthetic.categories import CATEGORIES

    known = set(catalogue()) | set(CATEGORIES)
    for name in ("winter-storm", "safe-streets", "whole-person-care", "benefits-fast-track"):
        for agreement in load_scenario(name).agreements:
            for clause in agreement.clauses:
                assert set(clause.covers) <= known, (name, agreement.id, clause.id)
