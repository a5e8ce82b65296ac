"""Findings' examples are typed values (privacy/examples.py), JSON-serialisable with a `kind`, read back as
the same values; result files written before (untyped examples) still read, into typed examples."""

from __future__ import annotations

import json

import pytest

from sandbox_app.privacy.catalogue import finding_from_dict
from sandbox_app.privacy.examples import (
    ClassExample,
    CountTerm,
    DifferencingExample,
    OtherExample,
    RowExample,
    TextExample,
    example_from_json,
)
from sandbox_app.privacy.score import score_share
from sandbox_app.scenario.model import Scenario
from sandbox_app.sharing.database import CityDatabase
from sandbox_app.sharing.document import share_to_json
from sandbox_app.workspace.results import read_result, result_key, signed_result, verify_result, write_result
from tests.cityfixture import small_city
from tests.loophole_helpers import SCENARIO, share

TYPED = (ClassExample, RowExample, TextExample, DifferencingExample)
BY_ZIP = {"group_by": ["zip"], "measures": [{"op": "count"}], "min_cell_size": 11}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = CityDatabase(small_city(tmp_path_factory))
    yield database
    database.close()


@pytest.fixture(scope="module")
def reports(db):
    """Shares whose findings carry every kind of example: k shortfall and linkage, free text, differencing."""
    data = SCENARIO.model_dump(by_alias=True)
    last = json.loads(share({"zip": {"op": "keep"}}, where="equipment != 'none'", aggregate=BY_ZIP).model_dump_json())
    data["prior_releases"] = [{"title": "Last quarter", "share": last}]
    scenario = Scenario.model_validate(data)
    shares = [share({"birth_date": {"op": "keep"}, "sex": {"op": "keep"}, "zip": {"op": "keep"}}),
              share({"mrn": {"op": "pseudonym"}, "nurse_notes": {"op": "keep"}}),
              share({"zip": {"op": "keep"}}, where="equipment != 'none' and equipment != 'cpap'", aggregate=BY_ZIP)]
    return [score_share(db, scenario, "welfare-checks", s) for s in shares]


def test_every_example_is_typed_and_every_kind_occurs(reports):
    examples = [e for r in reports for f in r.findings for e in f.examples]
    assert all(isinstance(e, TYPED) for e in examples), [type(e) for e in examples]
    assert {type(e) for e in examples} == set(TYPED)
    assert all(str(e) for e in examples)  # each reads as a line of the report


def test_examples_are_json_with_a_kind_and_read_back_equal(reports):
    for report in reports:
        data = json.loads(json.dumps(report.to_dict()))  # plain JSON, nothing numpy or dataclass left
        for original, written in zip(report.findings, data["findings"], strict=True):
            assert all(isinstance(e, dict) and e["kind"] for e in written["examples"])
            assert finding_from_dict(written).examples == original.examples


def test_a_differencing_example_reads_as_its_sum(reports):
    (example,) = [e for f in reports[2].findings for e in f.examples if isinstance(e, DifferencingExample)][:1]
    assert all(isinstance(t, CountTerm) for t in example.terms)
    assert sum(t.coefficient * t.count for t in example.terms) == example.difference
    assert str(example).startswith(f"{example.difference} people = ")


OLD_FINDINGS = [  # as versions before typed examples wrote them
    {"rule": "k_anonymity", "severity": "major", "title": "t", "message": "m", "citation": "c", "clause": None,
     "fields": ["zip", "sex"], "rows": 3, "hint": "", "fix": [], "evidence": {}, "row_positions": {},
     "examples": [{"zip": "44101", "sex": "F", "size": 1}]},
    {"rule": "linkage_attack", "severity": "blocker", "title": "t", "message": "m", "citation": "c",
     "clause": None, "fields": ["birth_date"], "rows": 2, "hint": "", "fix": [], "evidence": {},
     "row_positions": {"ph_home_health_clients": [4, 9]}, "examples": [4, 9]},
    {"rule": "free_text_identifiers", "severity": "major", "title": "t", "message": "m", "citation": "c",
     "clause": None, "fields": ["nurse_notes"], "rows": 1, "hint": "", "fix": [], "evidence": {},
     "row_positions": {}, "examples": ["Call 555-0100 before visiting"]},
    {"rule": "small_cells", "severity": "blocker", "title": "t", "message": "m", "citation": "c", "clause": None,
     "fields": ["zip"], "rows": 3, "hint": "", "fix": [], "evidence": {"prior_release": "Q3"},
     "row_positions": {}, "examples": [{"new_cell": {"zip": "44101"}, "prior_cell": {"zip": "44101"},
                                        "difference": 3}]},
    {"rule": "library_confidentiality", "severity": "blocker", "title": "Library records", "message": "m",
     "citation": "City code 4.1", "clause": None, "fields": [], "rows": 0, "hint": "", "fix": [],
     "evidence": {}, "row_positions": {}, "examples": [[1, 2]]},
]


def test_old_untyped_examples_read_as_typed_values():
    k, linkage, text, differencing, custom = (finding_from_dict(f) for f in OLD_FINDINGS)
    assert k.examples == [ClassExample({"zip": "44101", "sex": "F"}, 1)]
    assert linkage.examples == [RowExample("ph_home_health_clients", 4), RowExample("ph_home_health_clients", 9)]
    assert text.examples == [TextExample("nurse_notes", "Call 555-0100 before visiting")]
    (pair,) = differencing.examples
    assert pair.difference == 3 and [t.source for t in pair.terms] == ["this share", "prior release"]
    assert custom.examples == [OtherExample([1, 2])] and custom.title == "Library records"
    assert example_from_json(None) == OtherExample(None)


def test_an_old_result_file_still_reads_with_its_signature(tmp_path, reports):
    report = reports[0].to_dict()
    report["findings"] = OLD_FINDINGS
    data = signed_result(trainee="ana", scenario=SCENARIO, exercise_id="welfare-checks",
                         share_json=share_to_json(reports[0].extract.share), report=report)
    path = tmp_path / "old.result.json"
    write_result(path, data)
    read = read_result(path)
    assert verify_result(read, result_key(SCENARIO))
    findings = [finding_from_dict(f) for f in read["report"]["findings"]]
    assert isinstance(findings[1].examples[0], RowExample) and findings[2].examples[0].text.startswith("Call")
