"""Numbers the schema used to accept but the generator cannot use are refused by validate, with a location;
scenarios too big to generate are refused up front, naming the limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox_app.errors import ScenarioError
from sandbox_app.scenario import parse_scenario_text

SMALL = (Path(__file__).parent / "data" / "small-city.yaml").read_text(encoding="utf-8")
EQUIPMENT = "          - {name: equipment, attribute: equipment}\n"


def refused(old: str, new: str) -> list:
    assert old in SMALL, old
    with pytest.raises(ScenarioError) as info:
        parse_scenario_text(SMALL.replace(old, new, 1), "n.yaml")
    for problem in info.value.problems:
        assert problem.file == "n.yaml" and problem.line is not None and problem.path, str(problem)
    return info.value.problems


def with_field(spec: str) -> tuple[str, str]:
    return EQUIPMENT, EQUIPMENT + f"          - {{name: extra, {spec}, category: operational}}\n"


@pytest.mark.parametrize(("old", "new", "path", "words"), [
    (*with_field("number: {dist: poisson, mean: -3}"), "fields[4].number", "poisson mean"),
    (*with_field("number: {dist: normal, mean: .nan, sd: 1}"), "fields[4].number.mean", "finite"),
    (*with_field("number: {dist: uniform, low: 0, high: .inf}"), "fields[4].number.high", "finite"),
    (*with_field("number: {dist: uniform, low: 0, high: 1e300}"), "fields[4].number.high", "less than or equal"),
    (*with_field("number: {dist: lognormal, median: 10, sigma: 50}"), "fields[4].number.sigma", "5"),
    (*with_field("number: {dist: uniform, low: 0, high: 9, min: 5, max: 1}"), "fields[4].number", "min must not"),
    (*with_field("number: {dist: uniform, low: 0, high: 9, round: 1e-300}"), "fields[4].number.round", "0.000001"),
    (*with_field("date: {start: -100000000, end: 0}"), "fields[4].date.start", "54750"),
    (*with_field("choice: {a: .nan, b: 1}"), "fields[4].choice.a", "finite"),
    (*with_field("choice: {a: -1, b: 1}"), "fields[4].choice", "zero or more"),
    (*with_field("flag: .inf"), "fields[4].flag", "finite"),
    (*with_field("text: []"), "fields[4].text", "at least 1"),
    ("rate: 0.3", "rate: .nan", "coverage.rate", "finite"),
    ("rate: 0.3", "rate: -0.5", "coverage.rate", "greater than or equal"),
])
def test_unusable_numbers_in_a_table_are_located(old, new, path, words):
    problems = refused(old, new)
    assert any(p.path.endswith(path) and words in p.message for p in problems), [str(p) for p in problems]


@pytest.mark.parametrize(("old", "new", "path", "words"), [
    ("  residents: 2000\n", "  residents: 2000\n  area_codes: []\n", "city.area_codes", "at least 1"),
    ("  residents: 2000\n", "  residents: 2000\n  area_codes: [99999]\n", "city.area_codes", "200 to 999"),
    ("  residents: 2000\n", "  residents: 2000\n  household_sizes: {1: .inf}\n", "city.household_sizes[1]", "finite"),
    ("reference_date: 2026-01-14", "reference_date: 0001-01-01", "reference_date", "1900-01-01"),
    ("reference_date: 2026-01-14", "reference_date: 9999-12-31", "reference_date", "2100-12-31"),
    ("seed: 7", "seed: -1", "seed", "greater than or equal"),
    ("seed: 7", "seed: 99999999999999999999999", "seed", "less than or equal"),
    ("  residents: 2000", "  residents: 50000000", "city.residents", "less than or equal"),
    ('"65-99": 0.2', '"65-99": .nan', "population.age.bands.65-99", "finite"),
    ("flag: 0.1\n", "flag: .nan\n", "population.attributes[0].flag", "finite"),
])
def test_unusable_numbers_in_the_city_are_located(old, new, path, words):
    problems = refused(old, new)
    assert any(p.path == path and words in p.message for p in problems), [str(p) for p in problems]


def test_duplicate_ids_are_located_at_the_second_one():
    text = SMALL.replace("exercises:\n", "exercises:\n  - {id: checks, title: t, brief: b, requesting_department: "
                         "oem, holding_department: health, agreement: mou, purpose: p, needs: {tables: "
                         "[clinic_patients]}}\n", 1)
    with pytest.raises(ScenarioError) as info:
        parse_scenario_text(text, "n.yaml")
    (problem,) = info.value.problems
    assert problem.path == "exercises[1].id" and "used twice" in problem.message and problem.line


def _fields(count: int) -> str:
    return "".join(f"          - {{name: f{i}, flag: 0.5, category: operational}}\n" for i in range(count))


def test_too_many_fields_in_a_table_names_the_limit():
    problems = refused(EQUIPMENT, EQUIPMENT + _fields(400))
    assert any("at most 300 items" in p.message and p.path.endswith("tables[0].fields") for p in problems)



def test_a_city_too_big_to_generate_is_refused_up_front():
    big = SMALL.replace("  residents: 2000", "  residents: 5000000").replace(
        "        coverage:\n          rate: 0.3\n",
        "        coverage:\n          rate: 1.0\n        records_per_resident: {mean: 50, max: 200}\n")
    with pytest.raises(ScenarioError) as info:
        parse_scenario_text(big.replace(EQUIPMENT, EQUIPMENT + _fields(20)), "n.yaml")
    (problem,) = info.value.problems
    assert problem.path == "city.residents" and "the limit is 500,000,000" in problem.message


def test_a_number_of_thousands_of_digits_is_located():
    """Found by the scenario fuzzer: Python refuses to read integers of 4,301+ digits."""
    with pytest.raises(ScenarioError) as info:
        parse_scenario_text(SMALL.replace("seed: 7", "seed: " + "9" * 4400), "n.yaml")
    (problem,) = info.value.problems
    assert problem.line == 5 and problem.message == "a number of thousands of digits"
