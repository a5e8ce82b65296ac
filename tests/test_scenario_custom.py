"""What a facilitator writing a new city needs: custom categories and rules, week grain, date differences,
the extra validate reports, numbers without float noise and `city-sandbox new`."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sandbox_app.cli import main
from sandbox_app.errors import ScenarioError
from sandbox_app.privacy.score import score_share
from sandbox_app.scenario import load_scenario, parse_scenario_text
from sandbox_app.sharing.database import CityDatabase
from sandbox_app.sharing.document import parse_share_text
from synthetic.generate import generate_city
from synthetic.population import draw_number
from synthetic.spec import NumberDist
from tests.cityfixture import small_city

SMALL = (Path(__file__).parent / "data" / "small-city.yaml").read_text(encoding="utf-8")
CUSTOM = SMALL.replace("departments:\n", """custom_categories:
  - {name: library_record, sensitivity: restricted, description: "What a patron borrowed (library confidentiality)"}

departments:
""", 1).replace("    - name: equipment\n      category: health\n", "    - name: equipment\n      category: library_record\n") + """
custom_rules:
  - {id: library_confidentiality, template: never_to_recipients, category: library_record, recipients: [emergency],
     title: "Library records never go to emergency services", citation: "State Library Records Act s. 4"}
  - {id: children_row_level, template: no_row_level_under_age, age: 18, severity: major,
     title: "No row-level records of children", citation: "City Children's Privacy Ordinance s. 2"}
"""


def problems(text: str) -> list:
    with pytest.raises(ScenarioError) as info:
        parse_scenario_text(text, "c.yaml")
    return info.value.problems


def test_custom_rules_report_under_their_own_id_and_citation(tmp_path):
    scenario = parse_scenario_text(CUSTOM, "c.yaml")
    db_path = generate_city(scenario, tmp_path / "c.db", residents=2000, scenario_name=scenario.name).database
    with CityDatabase(db_path) as db:
        assert set(db.dictionary.loc[db.dictionary["category"] == "library_record", "sensitivity"]) == {"restricted"}
        share = parse_share_text(json.dumps({"format": "city-sandbox/share@1", "exercise": "checks",
                                             "purpose": "emergency_welfare_check", "tables": [{
                                                 "table": "clinic_patients", "fields": {
                                                     "full_name": {"op": "keep"}, "equipment": {"op": "keep"}}}]}))
        report = score_share(db, scenario, "checks", share)
    found = {f.rule: f for f in report.findings}
    library = found["library_confidentiality"]
    assert library.severity == "blocker" and library.citation == "State Library Records Act s. 4"
    assert "equipment (library_record) must never go to a emergency department" in library.message
    children = found["children_row_level"]
    assert children.rows > 0 and children.row_positions["clinic_patients"]
    assert report.verdict == "reject" and report.to_dict()["findings"]


def test_unknown_categories_list_the_valid_ones():
    (problem,) = problems(SMALL.replace("category: health\n      flag", "category: healht\n      flag"))
    assert problem.path == "population.attributes[0].category" and problem.message == "unknown category 'healht'"
    assert problem.hint.startswith("did you mean 'health'? valid categories: direct_identifier, ")


def test_custom_rules_need_their_template_parameters():
    text = SMALL + "\ncustom_rules:\n  - {id: r, template: never_to_recipients, title: t, citation: c}\n"
    found = {(p.path, p.message) for p in problems(text)}
    assert found == {("custom_rules[0].category", "the never_to_recipients template needs `category`"),
                     ("custom_rules[0].recipients", "the never_to_recipients template needs `recipients`")}


def test_purpose_the_agreement_does_not_permit_unless_refusal_is_the_answer():
    limited = SMALL.replace("    permitted_categories: [direct_identifier, health]",
                            "    permitted_categories: [direct_identifier, health]\n    purposes: [planning]")
    (problem,) = problems(limited)
    assert problem.path == "exercises[0].purpose" and "not one agreement 'mou' permits (planning)" in problem.message
    parse_scenario_text(limited.replace("    purpose: emergency_welfare_check",
                                        "    purpose: emergency_welfare_check\n    lawful_answer: refuse"), "c.yaml")


def test_missing_answer_files_are_located(tmp_path):
    path = tmp_path / "answers.yaml"
    path.write_text(SMALL.replace("      fields: {full_name: exact, equipment: exact}",
                                  "      fields: {full_name: exact, equipment: exact}\n    model_answer: "
                                  "small/model.json"), encoding="utf-8")
    load_scenario(path)  # loading for other commands does not look for answers
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, deep=True)
    (problem,) = info.value.problems
    assert problem.path == "exercises[0].model_answer" and "'small/model.json' does not exist" in problem.message
    assert problem.line == SMALL.count("\n", 0, SMALL.index("fields: {full_name")) + 2


def test_unquoted_zip_says_quote_it():
    (problem,) = problems(SMALL.replace('zip: "10002"', "zip: 10002"))
    assert problem.path == "city.neighbourhoods[1].zip" and problem.hint.startswith('quote it, e.g. zip: "01234"')


def test_rounded_numbers_have_no_float_noise():
    import numpy as np

    values = draw_number(np.random.default_rng(1), NumberDist(dist="normal", mean=0.5, sd=0.3, round=0.01), 2000)
    assert all(repr(v) == repr(round(v, 2)) for v in values.tolist())
    assert any(len(repr(v)) <= 4 for v in values.tolist())


def test_week_grain_and_date_differences(tmp_path_factory):
    from sandbox_app.sharing.apply import apply_share
    from synthetic.expr import parse

    frame = pd.DataFrame({"a": ["2026-01-14", "2025-12-29"], "b": ["2026-02-01", "2026-01-14"]})
    assert parse("week(a)").evaluate(frame).tolist() == [3, 1]
    assert parse("days_between(a, b)").evaluate(frame).tolist() == [18, 16]
    assert parse("weeks_between(a, b)").evaluate(frame).tolist() == [2, 2]
    with CityDatabase(small_city(tmp_path_factory)) as db:
        share = parse_share_text(json.dumps({"format": "city-sandbox/share@1", "tables": [{
            "table": "ph_home_health_clients", "fields": {"birth_date": {"op": "generalize", "to": "week"}}}]}))
        weeks = apply_share(db, share).frame["birth_date"].dropna()
    assert len(weeks) and weeks.str.fullmatch(r"\d{4}-W\d{2}").all()


def test_new_scenario_validates_and_checks(tmp_path, tmp_path_factory, capsys):
    from sandbox_app.privacy.answers import check_scenario_answers

    assert main(["new", "library-cards", "--dir", str(tmp_path)]) == 0
    path = tmp_path / "library-cards.yaml"
    assert f"city-sandbox check {path}" in capsys.readouterr().out
    scenario = load_scenario(path, deep=True)
    assert scenario.name == "library-cards"
    assert all(str(e.model_answer).startswith("library-cards/") for e in scenario.exercises)
    with CityDatabase(small_city(tmp_path_factory)) as db:  # the same city as winter-storm's
        rows = check_scenario_answers(scenario, db)
    assert rows and all(r.verdict != "error" for r in rows)
    assert main(["new", "library-cards", "--dir", str(tmp_path)]) == 1  # never overwrites without --force
