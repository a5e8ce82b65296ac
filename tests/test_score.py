"""Scoring a share: rules fire on the choices they teach about, the linkage attack is real, usefulness is honest."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sandbox_app.privacy.reference import END, START, refresh
from sandbox_app.privacy.score import score_share
from sandbox_app.scenario import load_scenario
from sandbox_app.sharing.database import CityDatabase
from sandbox_app.sharing.document import parse_share_text
from tests.cityfixture import small_city

SCENARIO = load_scenario("winter-storm")
HEALTH = "ph_home_health_clients"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = CityDatabase(small_city(tmp_path_factory))
    yield database
    database.close()


def share(fields: dict, *, exercise="welfare-checks", where=None, table=HEALTH, aggregate=None, **top) -> object:
    doc = {"format": "city-sandbox/share@1", "scenario": "winter-storm", "exercise": exercise,
           "purpose": top.pop("purpose", SCENARIO.exercise(exercise).purpose),
           "destroy_by": top.pop("destroy_by", "2026-02-13"),
           "tables": [{"table": table, "fields": fields, **({"where": where} if where else {})}],
           "aggregate": aggregate, **top}
    return parse_share_text(json.dumps(doc))


def rules(report) -> dict[str, str]:
    return {f.rule: f.severity for f in report.findings}


def test_linkage_attack_counts_exactly_the_residents_a_naive_join_re_identifies(db):
    # No names, but birth date + sex + ZIP: the classic Sweeney re-identification through the voter roll.
    report = score_share(db, SCENARIO, "welfare-checks", share(
        {"birth_date": {"op": "keep"}, "sex": {"op": "keep"}, "zip": {"op": "keep"},
         "primary_diagnosis": {"op": "keep"}}))
    assert rules(report)["linkage_attack"] == "blocker"
    assert report.verdict == "reject"

    # Independent check: normalise by hand, merge with pandas, count unique correct matches.
    part = report.extract.parts[0]
    fmt = db.column_info(HEALTH, "birth_date")["format"]
    left = pd.DataFrame({"b": pd.to_datetime(part.frame["birth_date"], format=fmt, errors="coerce")
                         .dt.strftime("%Y-%m-%d"), "s": part.frame["sex"], "z": part.frame["zip"],
                         "truth": part.truth}).dropna(subset=["b", "s", "z"])
    ref = db.read_table("public_voter_roll")
    right = pd.DataFrame({"b": ref["birth_date"], "s": ref["sex"], "z": ref["zip"],
                          "rtruth": db.truth("public_voter_roll").reindex(ref["_row_id"]).to_numpy()})
    sizes = right.groupby(["b", "s", "z"]).size().rename("n").reset_index()
    unique = right.merge(sizes[sizes.n == 1], on=["b", "s", "z"])
    joined = left.merge(unique, on=["b", "s", "z"])
    expected = joined.loc[joined.truth == joined.rtruth, "truth"].nunique()
    assert expected > 0
    assert report.metrics.reidentified_by_linkage == expected


def test_generalising_birth_date_and_zip_stops_most_re_identification(db):
    exact = score_share(db, SCENARIO, "welfare-checks", share(
        {"birth_date": {"op": "keep"}, "sex": {"op": "keep"}, "zip": {"op": "keep"}}))
    coarse = score_share(db, SCENARIO, "welfare-checks", share(
        {"birth_date": {"op": "generalize", "to": "year"}, "sex": {"op": "keep"},
         "zip": {"op": "generalize", "to": "zip3"}}))
    assert coarse.metrics.reidentified_by_linkage < exact.metrics.reidentified_by_linkage / 5
    assert coarse.metrics.k_anonymity >= exact.metrics.k_anonymity


def test_k_anonymity_finding_names_the_field_to_generalise_with_the_k_it_gives(db):
    report = score_share(db, SCENARIO, "welfare-checks", share(
        {"birth_date": {"op": "keep"}, "sex": {"op": "keep"}, "zip": {"op": "generalize", "to": "zip3"}}))
    k_finding = next(f for f in report.findings if f.rule == "k_anonymity")
    assert k_finding.severity == "major"  # the storm MOU is an internal release
    assert k_finding.hint.startswith(("generalize birth_date", "drop birth_date"))  # the field that splits most
    assert f"k rises from {report.metrics.k_anonymity} to" in k_finding.hint
    assert "(meets the 5 needed)" in k_finding.hint


def test_model_welfare_check_share_is_approved_and_useful(db):
    report = score_share(db, SCENARIO, "welfare-checks", share(
        {"first_name": {"op": "keep"}, "last_name": {"op": "keep"}, "address": {"op": "keep"},
         "phone": {"op": "keep"}, "equipment": {"op": "keep"}},
        where="equipment != 'none' and zip in ('44101', '44102')"))
    assert report.verdict == "approve", [f.to_dict() for f in report.findings]
    assert report.privacy_score == 100
    assert report.usefulness_score >= 90
    assert report.usefulness.precision > 0.9


def test_under_sharing_fails_usefulness_and_asks_for_revision(db):
    report = score_share(db, SCENARIO, "welfare-checks", share(
        {"first_name": {"op": "keep"}, "last_name": {"op": "keep"}},
        where="equipment != 'none' and zip in ('44101', '44102')"))
    assert report.verdict == "revise"
    assert report.usefulness_score < 70
    missing = next(f for f in report.findings if f.rule == "usefulness" and "leaves out" in f.message)
    assert set(missing.fields) == {"address", "phone", "equipment"}


def test_rows_beyond_the_purpose_are_data_minimisation(db):
    report = score_share(db, SCENARIO, "welfare-checks", share(
        {"first_name": {"op": "keep"}, "last_name": {"op": "keep"}, "address": {"op": "keep"},
         "phone": {"op": "keep"}, "equipment": {"op": "keep"}}))  # no filter: every client, citywide
    finding = next(f for f in report.findings if f.rule == "data_minimisation")
    assert finding.severity == "major"
    assert finding.rows == report.usefulness.shared_rows - report.usefulness.useful_rows


def test_prohibited_category_cites_the_agreement_clause(db):
    report = score_share(db, SCENARIO, "welfare-checks", share(
        {"first_name": {"op": "keep"}, "mental_health_dx": {"op": "keep"}},
        where="equipment != 'none'"))
    scope = next(f for f in report.findings if f.rule == "agreement_scope")
    assert scope.severity == "blocker" and scope.fields == ["mental_health_dx"]
    assert scope.clause == "3.2"  # "Mental-health, substance-use, financial and benefits information are excluded"
    assert report.verdict == "reject"


def test_unkeyed_hash_is_flagged_but_keyed_pseudonym_is_not(db):
    hashed = score_share(db, SCENARIO, "welfare-checks", share({"mrn": {"op": "hash"}}))
    keyed = score_share(db, SCENARIO, "welfare-checks", share({"mrn": {"op": "pseudonym"}}))
    assert rules(hashed)["unkeyed_hash"] == "major"
    assert "unkeyed_hash" not in rules(keyed)


def test_free_text_with_phone_numbers_is_flagged(db):
    report = score_share(db, SCENARIO, "welfare-checks", share({"nurse_notes": {"op": "keep"}}))
    leak = next(f for f in report.findings if f.rule == "free_text_identifiers")
    assert leak.rows > 0 and all("555-01" in e or any(ch.isdigit() for ch in e) for e in (x.text for x in leak.examples))


def test_purpose_outside_the_agreement_is_use_limitation(db):
    report = score_share(db, SCENARIO, "welfare-checks", share({"first_name": {"op": "keep"}},
                                                                purpose="marketing"))
    assert rules(report)["use_limitation"] == "major"


def test_destroy_by_after_the_retention_limit_is_a_minor_finding(db):
    report = score_share(db, SCENARIO, "welfare-checks", share(
        {"first_name": {"op": "keep"}, "last_name": {"op": "keep"}, "address": {"op": "keep"},
         "phone": {"op": "keep"}, "equipment": {"op": "keep"}},
        where="equipment != 'none' and zip in ('44101', '44102')", destroy_by="2027-12-31"))
    assert rules(report) == {"retention": "minor"}
    assert report.verdict == "approve" and report.privacy_score == 95


def test_aggregate_without_suppression_publishes_small_cells(db):
    agg = {"group_by": ["zip", "lives_alone"], "measures": [{"op": "count"}]}
    fields = {"zip": {"op": "keep"}, "lives_alone": {"op": "keep"}}
    open_table = score_share(db, SCENARIO, "warming-centres",
                             share(fields, exercise="warming-centres", table="dss_meal_delivery_clients",
                                   aggregate=agg))
    suppressed = score_share(db, SCENARIO, "warming-centres",
                             share(fields, exercise="warming-centres", table="dss_meal_delivery_clients",
                                   aggregate={**agg, "min_cell_size": 11}))
    assert rules(open_table)["small_cells"] == "blocker"
    assert "small_cells" not in rules(suppressed)
    published = suppressed.extract.aggregate.frame
    counts = published.loc[~published["suppressed"], "count"]
    assert (counts >= 11).all()


def test_share_for_another_exercise_is_refused(db):
    from sandbox_app.errors import ShareError

    with pytest.raises(ShareError, match="answers 'welfare-checks', not 'warming-centres'"):
        score_share(db, SCENARIO, "warming-centres", share({"zip": {"op": "keep"}}))


def test_readme_rule_catalogue_is_generated_from_rules_yaml():
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert START in readme and END in readme
    assert refresh(readme) == readme, "run: python -m sandbox_app.privacy.reference --write README.md"


def test_report_lists_who_the_linkage_attack_re_identified(db):
    report = score_share(db, SCENARIO, "welfare-checks", share(
        {"birth_date": {"op": "keep"}, "sex": {"op": "keep"}, "zip": {"op": "keep"}}))
    linkage = report.to_dict()["linkage"][HEALTH]
    assert len(linkage["resident_ids"]) == linkage["reidentified_residents"] == \
        report.metrics.reidentified_by_linkage
    residents = set(db.residents()["resident_id"])
    assert set(linkage["resident_ids"]) <= residents


def test_health_records_with_full_dates_and_zip_but_no_names_need_a_data_use_agreement(db):
    # The storm MOU is not a data use agreement: pseudonymised health records keeping full birth dates and
    # five-digit ZIPs are a limited data set (45 CFR 164.514(e)).
    report = score_share(db, SCENARIO, "welfare-checks", share(
        {"mrn": {"op": "pseudonym"}, "birth_date": {"op": "keep"}, "zip": {"op": "keep"},
         "equipment": {"op": "keep"}}))
    assert rules(report)["hipaa_limited_data_set"] == "blocker"
    coarse = score_share(db, SCENARIO, "welfare-checks", share(
        {"mrn": {"op": "pseudonym"}, "birth_date": {"op": "generalize", "to": "year"},
         "zip": {"op": "generalize", "to": "zip3"}, "equipment": {"op": "keep"}}))
    assert "hipaa_limited_data_set" not in rules(coarse)


def test_class_sizes_used_by_the_hint_match_a_groupby():
    import numpy as np

    from sandbox_app.privacy.disclosure import _class_sizes, _codes

    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"a": rng.integers(0, 50, 5000), "b": rng.choice(["x", "y", None], 5000),
                          "c": rng.integers(0, 3000, 5000)})
    sizes, classes = _class_sizes([_codes(frame[c]) for c in frame], len(frame))
    expected = frame.fillna("<null>").groupby(["a", "b", "c"])["a"].transform("size").to_numpy()
    assert classes == len(frame.fillna("<null>").drop_duplicates())
    assert (sizes == expected).all()
