"""Share documents: the docs example parses and round-trips; every malformed document is a located ShareError."""

import json
import re
from datetime import date
from pathlib import Path

import pytest

from sandbox_app.errors import ShareError
from sandbox_app.sharing import document
from sandbox_app.sharing.document import (
    SHARE_FORMAT,
    FieldOp,
    ShareDocument,
    load_share,
    parameter_problems,
    parse_share_text,
    share_to_json,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "share-format.md"


def docs_example() -> str:
    return re.search(r"```json\n(\{.*?\n\})\n```", DOCS.read_text(encoding="utf-8"), re.S).group(1)


def share_text(fields=None, **top) -> str:
    """A valid share with one table; `fields` and top-level keys override the defaults."""
    data = {"format": SHARE_FORMAT, "scenario": "winter-storm", "exercise": "welfare-checks",
            "purpose": "emergency_welfare_check",
            "tables": [{"table": "ph_home_health_clients", "fields": fields or {"mrn": {"op": "pseudonym"}}}]}
    data.update(top)
    return json.dumps(data, indent=2)


def problems_of(text: str) -> list:
    with pytest.raises(ShareError) as caught:
        parse_share_text(text, "share.json")
    return caught.value.problems


def only_problem(text: str):
    problems = problems_of(text)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


# ------------------------------------------------------------------------------------ valid documents

def test_docs_example_parses_with_every_field():
    share = parse_share_text(docs_example())
    assert share.format == SHARE_FORMAT
    assert share.destroy_by == date(2026, 2, 13)
    table = share.tables[0]
    assert table.table == "ph_home_health_clients"
    assert list(table.fields) == ["mrn", "first_name", "birth_date", "zip", "phone", "primary_diagnosis",
                                  "on_oxygen"]
    assert table.fields["phone"] == FieldOp(op="mask", keep_last=2)
    assert table.fields["on_oxygen"].expr == "equipment == 'oxygen_concentrator'"
    assert share.aggregate is None


def test_canonical_json_round_trips_and_is_stable():
    share = parse_share_text(docs_example())
    text = share_to_json(share)
    assert parse_share_text(text) == share
    assert share_to_json(parse_share_text(text)) == text
    assert '"phone": {"op": "mask", "keep_last": 2}' in text  # one line per field op, params only as given


def test_canonical_json_of_an_aggregate_round_trips():
    text = share_text({"zip": {"op": "keep"}, "age": {"op": "generalize", "to": "band", "width": 10}},
                      aggregate={"group_by": ["zip"], "measures": [{"op": "count"}, {"op": "mean", "field": "age"}],
                                 "min_cell_size": 11})
    share = parse_share_text(text)
    again = parse_share_text(share_to_json(share))
    assert again == share
    assert '"width": 10}' in share_to_json(share)  # whole numbers are written without ".0"


def test_defaults_for_optional_keys():
    share = parse_share_text(json.dumps({"format": SHARE_FORMAT, "tables": [{"table": "t"}]}))
    assert (share.scenario, share.purpose, share.deidentified, share.redisclosure_notice) == ("", "", False, False)
    assert share.tables[0].where is None and share.tables[0].fields == {}


def test_blank_filter_means_no_filter_and_empty_parts_round_trip():
    share = parse_share_text(json.dumps({"format": SHARE_FORMAT, "tables": [{"table": "t", "where": "  "}]}))
    assert share.tables[0].where is None
    assert parse_share_text(share_to_json(share)) == share
    empty = ShareDocument()
    assert parse_share_text(share_to_json(empty)) == empty


def test_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "share.json"
    path.write_bytes(b"\xef\xbb\xbf" + docs_example().encode())
    assert load_share(path).exercise == "welfare-checks"


def test_model_validates_when_built_in_code():
    with pytest.raises(ValueError, match="generalize needs `to`"):
        FieldOp(op="generalize")
    assert ShareDocument(tables=[]).format == SHARE_FORMAT


# --------------------------------------------------------------------------------- malformed documents

def test_bad_json_gives_the_line_and_column():
    text = '{\n  "format": "city-sandbox/share@1",\n  "tables": [\n    {"table": "t",}\n  ]\n}'
    problem = only_problem(text)
    assert problem.line == 4
    assert problem.message.startswith("JSON syntax: ") and "(col " in problem.message
    assert str(problem).startswith("share.json:4: JSON syntax")


def test_wrong_format_version_names_the_supported_one():
    problem = only_problem(share_text(format="city-sandbox/share@2"))
    assert problem.path == "format"
    assert "city-sandbox/share@2" in problem.message and SHARE_FORMAT in problem.message


def test_missing_format_is_reported():
    data = json.loads(share_text())
    del data["format"]
    problem = only_problem(json.dumps(data))
    assert problem.path == "format" and SHARE_FORMAT in problem.hint


def test_not_an_object():
    assert "JSON object" in only_problem("[1, 2]").message


def test_unknown_op_with_did_you_mean():
    problem = only_problem(share_text({"mrn": {"op": "pseudonymise"}}))
    assert problem.path == "tables[0].fields.mrn.op"
    assert problem.message == 'unknown operation "pseudonymise"'
    assert problem.hint == "did you mean 'pseudonym'?"


def test_unknown_keys_with_did_you_mean_at_every_level():
    text = share_text({"zip": {"op": "generalize", "to": "zip3", "widht": 3}}, deidentifed=True)
    paths = {p.path: p for p in problems_of(text)}
    assert paths["deidentifed"].hint == "did you mean 'deidentified'?"
    assert paths["tables[0].fields.zip.widht"].message == "unknown key 'widht'"
    assert paths["tables[0].fields.zip.widht"].hint == "did you mean 'width'?"


def test_wrong_parameter_type():
    problem = only_problem(share_text({"phone": {"op": "mask", "keep_last": "2"}}))
    assert problem.path == "tables[0].fields.phone.keep_last"
    assert problem.message == 'must be a whole number, not "2"'


def test_wrong_top_level_types():
    text = share_text(deidentified="yes", destroy_by="next week", tables={})
    messages = {p.path: p.message for p in problems_of(text)}
    assert messages["deidentified"] == 'must be true or false, not "yes"'
    assert messages["destroy_by"].startswith("must be a date like 2026-02-13")
    assert messages["tables"] == "must be a list [...], not {}"


def test_missing_parameter_names_the_choices():
    problem = only_problem(share_text({"birth_date": {"op": "generalize"}}))
    assert problem.path == "tables[0].fields.birth_date.to"
    assert problem.message == "generalize needs `to` (year, quarter, month, week, band, zip3, neighbourhood, grid)"


@pytest.mark.parametrize(("op", "path", "needle"), [
    ({"op": "generalize", "to": "band"}, "width", "generalize to band needs `width`"),
    ({"op": "generalize", "to": "grid"}, "size", "generalize to grid needs `size`"),
    ({"op": "top_code"}, "max", "top_code needs `max`"),
    ({"op": "bottom_code"}, "min", "bottom_code needs `min`"),
    ({"op": "derive"}, "expr", "derive needs `expr`"),
    ({"op": "generalize", "to": "yaer"}, "to", "cannot generalize to 'yaer'"),
    ({"op": "keep", "keep_last": 2}, "keep_last", "`keep_last` does not apply to keep"),
    ({"op": "generalize", "to": "year", "width": 5}, "width", "`width` applies only to generalize to band"),
    ({"op": "mask", "keep_last": -1}, "keep_last", "must be at least 0"),
    ({"op": "suppress_rare", "min_count": 0}, "min_count", "must be at least 1"),
])
def test_each_op_gets_the_parameters_it_needs_and_no_others(op, path, needle):
    problem = only_problem(share_text({"x": op}))
    assert problem.path == f"tables[0].fields.x.{path}"
    assert needle in problem.message


def test_unknown_generalize_target_suggests_the_closest():
    assert only_problem(share_text({"x": {"op": "generalize", "to": "yaer"}})).hint == "did you mean 'year'?"


def test_every_problem_is_listed_at_once_in_document_order():
    text = share_text({"a": {"op": "mask", "keep_last": "2"}, "b": {"op": "generalise"},
                       "c": {"op": "generalize", "widht": 10}},
                      purpose=7, aggregate={"group_by": ["a", "a"], "measures": [{"op": "avg"}]})
    paths = [p.path for p in problems_of(text)]
    assert paths == ["purpose", "tables[0].fields.a.keep_last", "tables[0].fields.b.op",
                     "tables[0].fields.c.widht", "tables[0].fields.c.to", "aggregate.group_by",
                     "aggregate.measures[0].op"]


def test_duplicate_keys_are_reported():
    text = '{"format": "city-sandbox/share@1", "tables": [{"table": "t", "fields": ' \
           '{"zip": {"op": "keep"}, "zip": {"op": "drop"}}}]}'
    problem = only_problem(text)
    assert problem.path == "tables[0].fields.zip"
    assert "more than once" in problem.message


def test_measures_need_a_field_except_count():
    text = share_text(aggregate={"group_by": ["mrn"], "measures": [{"op": "count", "field": "x"}, {"op": "mean"}]})
    messages = {p.path: p.message for p in problems_of(text)}
    assert messages["aggregate.measures[0]"] == "count takes no `field` (it counts rows)"
    assert messages["aggregate.measures[1]"].startswith("mean needs `field`")


@pytest.mark.parametrize(("expr", "needle"), [
    ("__import__('os')", "unknown function '__import__'"),
    ("(" * 10_000 + "age" + ")" * 10_000, "longer than 4000 characters"),
    ("(" * 100 + "age" + ")" * 100, "nested too deeply"),
    ("age.__class__", "'.' is not allowed here"),
    ("age >= ", "expected a value"),
])
def test_hostile_or_broken_expressions_are_refused_with_a_position(expr, needle):
    problem = only_problem(share_text({"x": {"op": "derive", "expr": expr}}))
    assert problem.path == "tables[0].fields.x.expr"
    assert needle in problem.message and problem.message.startswith("column ")


def test_broken_filter_is_located():
    data = json.loads(share_text())
    data["tables"][0]["where"] = "age >= 65 and"
    problem = only_problem(json.dumps(data))
    assert problem.path == "tables[0].where"
    assert problem.message.startswith("column 14: ")


def test_deeply_nested_json_is_a_share_error_not_a_crash():
    assert "nested too deeply" in only_problem("[" * 200_000).message


# ---------------------------------------------------------------------------------------- share files

def test_missing_file(tmp_path):
    with pytest.raises(ShareError, match="no such file"):
        load_share(tmp_path / "nope.json")


def test_folder_instead_of_file(tmp_path):
    with pytest.raises(ShareError, match="is a folder"):
        load_share(tmp_path)


def test_file_not_utf8(tmp_path):
    path = tmp_path / "share.json"
    path.write_bytes(b'{"format": "\xff\xfe"}')
    with pytest.raises(ShareError, match="not UTF-8"):
        load_share(path)


def test_file_too_big(tmp_path, monkeypatch):
    monkeypatch.setattr(document, "MAX_SHARE_BYTES", 100)
    path = tmp_path / "share.json"
    path.write_text(" " * 200 + docs_example(), encoding="utf-8")
    with pytest.raises(ShareError, match="share files are at most"):
        load_share(path)


def test_file_problems_name_the_file(tmp_path):
    path = tmp_path / "share.json"
    path.write_text(share_text({"mrn": {"op": "pseudonymise"}}), encoding="utf-8")
    with pytest.raises(ShareError) as caught:
        load_share(path)
    assert str(caught.value).startswith(f"{path}: tables[0].fields.mrn.op: unknown operation")


def test_parameter_problems_on_raw_values():
    assert parameter_problems("keep", {}) == []
    assert parameter_problems("mask", {"keep_last": 2}) == []
    assert [p[0] for p in parameter_problems("top_code", {"min": 3})] == ["max", "min"]
