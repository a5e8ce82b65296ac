"""Scenario files: every mistake is reported located (file, line, field path) with a hint, never a traceback."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from sandbox_app.errors import Problem, ScenarioError
from sandbox_app.scenario import builtin_scenarios, load_scenario, parse_scenario_text
from sandbox_app.scenario.loader import MAX_SCENARIO_BYTES
from sandbox_app.scenario.schema import scenario_json_schema

DATA = Path(__file__).parent / "data"
FILE = "city.yaml"
BASE = (DATA / "small-city.yaml").read_text(encoding="utf-8")


def broken(*replacements: tuple[str, str]) -> str:
    """The valid small city with each (old, new) replacement made; each `old` must occur exactly once."""
    text = BASE
    for old, new in replacements:
        assert text.count(old) == 1, f"fixture text {old!r} is not unique"
        text = text.replace(old, new)
    return text


def line_of(text: str, needle: str) -> int:
    """1-based number of the one line of `text` containing `needle`."""
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(lines) == 1, f"{needle!r} is on lines {lines}"
    return lines[0]


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        parse_scenario_text(text, FILE)
    assert all(p.file == FILE for p in info.value.problems)
    return info.value.problems


def only_problem(text: str) -> Problem:
    problems = problems_of(text)
    assert len(problems) == 1, problems
    return problems[0]


def problem_at(problems: list[Problem], path: str) -> Problem:
    found = [p for p in problems if p.path == path]
    assert len(found) == 1, f"no single problem at {path}: {problems}"
    return found[0]


def test_the_valid_fixture_loads():
    scenario = parse_scenario_text(BASE, FILE)
    assert scenario.name == "small-city"
    assert [d.id for d in scenario.departments] == ["health", "oem"]


# --------------------------------------------------------------------------------------------- YAML level

def test_yaml_syntax_error_is_reported_with_its_line():
    text = broken(("seed: 7", "seed: [7"))
    problem = only_problem(text)
    assert problem.line == line_of(text, "reference_date:")  # where the parser found the ':' it did not expect
    assert problem.path == ""
    assert problem.message == "YAML syntax: expected ',' or ']', but got ':'"
    assert problem.hint == "check indentation, colons and quotes"


def test_bad_indentation_is_a_located_yaml_syntax_error():
    text = broken(("  name: Testville", "  name: Testville\n name_two: x"))
    problem = only_problem(text)
    assert problem.line == line_of(text, "name_two")
    assert problem.message.startswith("YAML syntax: ")


def test_duplicate_key_is_reported_at_the_second_occurrence():
    text = broken(("seed: 7", "seed: 7\nseed: 8"))
    problem = only_problem(text)
    assert problem.line == line_of(text, "seed: 8")
    assert 'duplicate key "seed"' in problem.message
    assert problem.message.startswith("YAML syntax: ")


@pytest.mark.parametrize("text", ["- a\n- b\n", "just some text\n", ""], ids=["list", "scalar", "empty"])
def test_top_level_that_is_not_a_mapping_is_rejected(text):
    problem = only_problem(text)
    assert problem.line == 1
    assert problem.path == ""
    assert problem.message == "a scenario file must be a mapping of keys to values"
    assert problem.hint == "start with 'name:', 'title:', 'seed:' …"


# ------------------------------------------------------------------------------------------- schema level

def test_unknown_key_suggests_the_known_key_it_resembles():
    text = broken(("  residents: 2000", "  residnets: 2000"))
    problems = problems_of(text)
    unknown = problem_at(problems, "city.residnets")
    assert unknown.line == line_of(text, "residnets")
    assert unknown.message == "unknown key 'residnets'"
    assert unknown.hint == "did you mean 'residents'?"
    assert str(unknown) == f"{FILE}:{unknown.line}: city.residnets: unknown key 'residnets' (did you mean 'residents'?)"
    # ... and the key it was meant to be is missing, at the mapping that lacks it
    missing = problem_at(problems, "city.residents")
    assert missing.message == "'residents' is required"
    assert missing.line == line_of(text, "city:")


def test_unknown_key_inside_a_list_item_suggests_the_field_key():
    text = broken(("{name: birth_date, gen: birth_date}", "{name: birth_date, gen: birth_date, categry: health}"))
    problem = only_problem(text)
    assert problem.path == "departments[0].tables[0].fields[2].categry"
    assert problem.line == line_of(text, "categry")
    assert problem.hint == "did you mean 'category'?"


def test_unknown_key_without_a_close_match_lists_the_allowed_keys():
    text = broken(("title: Small test city", "title: Small test city\nowner: me"))
    problem = only_problem(text)
    assert (problem.line, problem.path, problem.message) == (line_of(text, "owner:"), "owner", "unknown key 'owner'")
    assert problem.hint.startswith("allowed keys: ")
    assert {"seed", "city", "population", "departments", "agreements", "exercises"} <= set(
        problem.hint.removeprefix("allowed keys: ").split(", "))


def test_unknown_generator_is_reported_on_its_field():
    text = broken(("{name: full_name, gen: full_name}\n          - {name: birth",
                   "{name: full_name, gen: fulname}\n          - {name: birth"))
    problem = only_problem(text)
    assert problem.line == line_of(text, "fulname")
    assert problem.path.startswith("departments[0].tables[0].fields[1]")
    assert problem.message == "unknown generator 'fulname'"


def test_unknown_generator_suggests_the_builtin_it_resembles():
    text = broken(("{name: full_name, gen: full_name}\n          - {name: birth",
                   "{name: full_name, gen: fulname}\n          - {name: birth"))
    problem = only_problem(text)
    assert problem.path == "departments[0].tables[0].fields[1].gen"
    assert problem.hint == "did you mean 'full_name'?"


def test_wrong_type_is_reported_at_its_field():
    text = broken(("seed: 7", "seed: seven"))
    problem = only_problem(text)
    assert (problem.line, problem.path) == (line_of(text, "seed: seven"), "seed")
    assert problem.message == "Input should be a valid integer, unable to parse string as an integer"


def test_scalar_where_a_list_is_expected_is_a_type_error():
    text = broken(("  residents: 2000", "  residents: 2000\n  area_codes: 216"))
    problem = only_problem(text)
    assert (problem.line, problem.path) == (line_of(text, "area_codes"), "city.area_codes")
    assert problem.message == "Input should be a valid list"


def test_value_outside_a_literal_lists_the_allowed_values():
    text = broken(("    kind: emergency", "    kind: emergncy"))
    problem = only_problem(text)
    assert (problem.line, problem.path) == (line_of(text, "emergncy"), "departments[1].kind")
    assert problem.message == "'emergncy' is not allowed here"
    assert "'emergency'" in problem.hint


def test_defect_rate_above_one_is_out_of_range():
    text = broken(("    kind: emergency", "    kind: emergency\n    defects: {typo: 1.5, missing: 0.1}"))
    problem = only_problem(text)
    assert (problem.line, problem.path) == (line_of(text, "typo: 1.5"), "departments[1].defects.typo")
    assert problem.message == "Input should be less than or equal to 1"


def test_negative_flag_probability_is_out_of_range():
    text = broken(("flag: 0.1", "flag: -0.1"))
    problem = only_problem(text)
    assert (problem.line, problem.path) == (line_of(text, "flag: -0.1"), "population.attributes[0].flag")
    assert problem.message == "Input should be greater than or equal to 0"


def test_neighbourhood_shares_must_add_up_to_one():
    text = broken(("share: 0.4", "share: 0.3"))
    problem = only_problem(text)
    assert (problem.line, problem.path) == (line_of(text, "city:"), "city")
    assert problem.message == "neighbourhood shares add up to 0.900; they must add up to 1"


@pytest.mark.parametrize(("band", "message"), [
    ("adult", "age band 'adult' must look like '18-34'"),
    ("64-18", "age band '64-18' must run from a lower to a higher age, at most 110"),
    ("18-140", "age band '18-140' must run from a lower to a higher age, at most 110"),
])
def test_bad_age_band_is_rejected_with_the_expected_shape(band, message):
    text = broken(('"18-64"', f'"{band}"'))
    problem = only_problem(text)
    assert (problem.line, problem.path) == (line_of(text, "bands:"), "population.age.bands")
    assert problem.message == message


def test_unknown_category_of_an_attribute_is_rejected():
    text = broken(("category: health\n      flag", "category: helth\n      flag"))
    problem = only_problem(text)
    assert (problem.line, problem.path) == (line_of(text, "helth"), "population.attributes[0].category")
    assert problem.message == "unknown category 'helth'"


def test_unknown_category_of_an_attribute_suggests_the_category_it_resembles():
    problem = only_problem(broken(("category: health\n      flag", "category: helth\n      flag")))
    assert problem.hint.startswith("did you mean 'health'? valid categories: direct_identifier, ")


def test_unknown_category_in_an_agreement_suggests_the_category():
    text = broken(("permitted_categories: [direct_identifier, health]",
                   "permitted_categories: [direct_identifier, helth]"))
    problem = only_problem(text)
    assert (problem.line, problem.path) == (line_of(text, "helth"), "agreements[0].permitted_categories[1]")
    assert problem.message == "unknown category 'helth'"
    assert problem.hint.startswith("did you mean 'health'? valid categories: direct_identifier, ")


# ---------------------------------------------------------------------------------------- reference level

@pytest.mark.parametrize(("old", "new", "path", "message", "hint"), [
    ("attribute: equipment}", "attribute: equipmnt}", "departments[0].tables[0].fields[3].attribute",
     "unknown attribute 'equipmnt'", "did you mean 'equipment'?"),
    ("parties: [health, oem]", "parties: [health, oen]", "agreements[0].parties[1]",
     "unknown department 'oen'", "did you mean 'oem'?"),
    ("requesting_department: oem", "requesting_department: oam", "exercises[0].requesting_department",
     "unknown department 'oam'", "did you mean 'oem'?"),
    ("agreement: mou", "agreement: muo", "exercises[0].agreement",
     "unknown agreement 'muo'", "did you mean 'mou'?"),
    ("full_name: exact,", "fullname: exact,", "exercises[0].needs.fields.fullname",
     "unknown field in the needed tables 'fullname'", "did you mean 'full_name'?"),
], ids=["attribute", "department", "requesting-department", "agreement", "field"])
def test_reference_to_an_unknown_name_suggests_the_known_one(old, new, path, message, hint):
    text = broken((old, new))
    problem = only_problem(text)
    assert (problem.line, problem.path, problem.message, problem.hint) == (
        line_of(text, new), path, message, hint)


def test_reference_to_an_unknown_table_suggests_the_holder_table():
    text = broken(("tables: [clinic_patients]", "tables: [clinic_patient]"))
    problem = problem_at(problems_of(text), "exercises[0].needs.tables[0]")
    assert problem.line == line_of(text, "clinic_patient]")
    assert problem.message == "unknown table of department 'health' 'clinic_patient'"
    assert problem.hint == "did you mean 'clinic_patients'?"


def test_unknown_column_in_when_if_is_located_by_column():
    text = broken(('{if: "age >= 65", flag: 0.3}', '{if: "agee >= 65", flag: 0.3}'))
    problem = only_problem(text)
    assert (problem.line, problem.path) == (line_of(text, "agee"), "population.attributes[0].when[0].if")
    assert problem.message == "expression error: unknown column 'agee' at column 1"
    assert problem.hint == "did you mean 'age'?"


def test_unknown_column_in_needs_rows_is_located_by_column():
    text = broken(('rows: "equipment != \'none\'"', 'rows: "equipment != \'none\' and flood_zon"'))
    problem = only_problem(text)
    assert (problem.line, problem.path) == (line_of(text, "and flood_zon"), "exercises[0].needs.rows")
    assert problem.message == "expression error: unknown column 'flood_zon' at column 25"
    assert problem.hint == "did you mean 'flood_zone'?"


def test_syntax_error_in_needs_rows_is_located_by_column():
    text = broken(('rows: "equipment != \'none\'"', 'rows: "equipment !="'))
    problem = only_problem(text)
    assert (problem.line, problem.path) == (line_of(text, "rows:"), "exercises[0].needs.rows")
    assert problem.message == "expression error: expected a value, found the end of the expression at column 13"


def test_attribute_condition_on_a_later_attribute_is_a_cycle():
    text = broken(('{if: "age >= 65", flag: 0.3}', '{if: "equipment == \'oxygen\'", flag: 0.3}'))
    problem = only_problem(text)
    assert (problem.line, problem.path) == (line_of(text, "equipment == "), "population.attributes[0].when[0].if")
    assert problem.message == ("refers to 'equipment', which is defined later or is this attribute itself "
                               "(attributes are drawn in order, so this would be a cycle)")
    assert problem.hint == "move the attribute it depends on above it"


def test_table_with_zero_coverage_everywhere_is_impossible():
    text = broken(('- {if: "disability", rate: 0.5}', '- {if: "disability", rate: 0.0}'))
    problem = only_problem(text)
    assert problem.path == "departments[1].tables[0].coverage"
    assert problem.line == _coverage_line(text, 1)  # the second table's `coverage:` line
    assert problem.message == "this table can never hold a record (every coverage rate is 0)"
    assert problem.hint == "give `rate` or a `when` branch a rate above 0"


def _coverage_line(text: str, which: int) -> int:
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if line.strip() == "coverage:"]
    return lines[which]


# -------------------------------------------------------------------------------------------- many at once

def test_many_schema_errors_in_one_file_are_all_reported_in_line_order():
    text = broken(("seed: 7", "seed: seven"),
                  ('"10002"', '"1002"'),
                  ("category: health\n      flag", "category: helth\n      flag"),
                  ("flag: 0.1", "flag: -0.1"),
                  ("    kind: emergency", "    kind: emergency\n    defects: {typo: 1.5}"))
    problems = problems_of(text)
    assert [(p.line, p.path) for p in problems] == [
        (line_of(text, "seed: seven"), "seed"),
        (line_of(text, '"1002"'), "city.neighbourhoods[1].zip"),
        (line_of(text, "helth"), "population.attributes[0].category"),
        (line_of(text, "flag: -0.1"), "population.attributes[0].flag"),
        (line_of(text, "typo: 1.5"), "departments[1].defects.typo"),
    ]


def test_many_reference_errors_in_one_file_are_all_reported_in_line_order():
    text = broken(("attribute: equipment}", "attribute: equipmnt}"),
                  ("parties: [health, oem]", "parties: [health, oen]"),
                  ("agreement: mou", "agreement: muo"),
                  ('rows: "equipment != \'none\'"', 'rows: "equipment != \'none\' and flood_zon"'),
                  ('{if: "age >= 65", flag: 0.3}', '{if: "agee >= 65", flag: 0.3}'))
    problems = problems_of(text)
    assert len(problems) == 5
    assert [p.path for p in problems] == [
        "population.attributes[0].when[0].if",
        "departments[0].tables[0].fields[3].attribute",
        "agreements[0].parties[1]",
        "exercises[0].agreement",
        "exercises[0].needs.rows",
    ]
    assert [p.line for p in problems] == sorted(p.line for p in problems)


# ------------------------------------------------------------------------------------------- file level

def test_file_larger_than_the_limit_is_refused_before_parsing(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text("# padding\n" + "#" * MAX_SCENARIO_BYTES + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    [problem] = info.value.problems
    assert problem.file == str(path)
    assert problem.message == "file is 5.0 MB; scenario files are at most 5 MB"
    assert problem.hint == "is this the right file?"


def test_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(BASE.replace("Testville", "Caf\u00e9ville").encode("latin-1"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    [problem] = info.value.problems
    assert problem.file == str(path)
    assert problem.message.startswith("not UTF-8 text (byte ")
    assert problem.hint == "save the file as UTF-8"


def test_missing_file_is_reported_not_raised_as_oserror(tmp_path):
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    [problem] = info.value.problems
    assert (problem.file, problem.line, problem.message) == (str(path), None, "no such file")


def test_unknown_builtin_name_suggests_the_closest_builtin():
    with pytest.raises(ScenarioError) as info:
        load_scenario("winter-strom")
    [problem] = info.value.problems
    assert problem.message == "not a built-in scenario or a file"
    assert problem.hint == "did you mean 'winter-storm'?"


def test_load_scenario_reports_problems_with_the_file_path(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text(broken(("  residents: 2000", "  residnets: 2000")), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert {p.file for p in info.value.problems} == {str(path)}
    assert "city.residnets" in {p.path for p in info.value.problems}


def test_fixture_file_loads_by_path():
    scenario = load_scenario(DATA / "small-city.yaml")
    assert scenario.name == "small-city"


# --------------------------------------------------------------------------------------- built-ins, schema

@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_every_builtin_scenario_loads(name):
    scenario = load_scenario(name)
    assert scenario.name == name
    assert scenario.departments


def test_there_is_at_least_one_builtin_scenario():
    assert "winter-storm" in builtin_scenarios()


def _json_ready(value):
    """YAML data as JSON would carry it: dates become ISO strings."""
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _yaml_data(path: Path):
    return _json_ready(YAML(typ="safe").load(path.read_text(encoding="utf-8")))


def test_json_schema_is_a_valid_draft_2020_12_schema():
    schema = scenario_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_json_schema_accepts_every_builtin_scenario_file(name):
    validator = jsonschema.Draft202012Validator(scenario_json_schema())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(_yaml_data(builtin_scenarios()[name]))]
    assert errors == []


def test_json_schema_accepts_the_test_fixtures():
    validator = jsonschema.Draft202012Validator(scenario_json_schema())
    for path in sorted(DATA.glob("*.yaml")):
        assert list(validator.iter_errors(_yaml_data(path))) == [], path.name


def test_json_schema_rejects_an_unknown_key():
    data = _yaml_data(builtin_scenarios()["winter-storm"])
    bad = copy.deepcopy(data)
    bad["city"]["residnets"] = 5000
    errors = list(jsonschema.Draft202012Validator(scenario_json_schema()).iter_errors(bad))
    assert len(errors) == 1
    assert list(errors[0].absolute_path) == ["city"]
    assert "'residnets' was unexpected" in errors[0].message
