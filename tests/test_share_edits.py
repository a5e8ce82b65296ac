"""Share edits: each kind gives a new valid document that round-trips; a malformed edit is one located problem
and leaves the input document as it was."""

import json
from datetime import date

import pytest

from sandbox_app.errors import ShareError
from sandbox_app.sharing import EDIT_KINDS, apply_edit, apply_edits, parse_share_text, share_to_json
from sandbox_app.sharing.document import SHARE_FORMAT, FieldOp

TABLE = "ph_home_health_clients"


@pytest.fixture
def doc():
    return parse_share_text(json.dumps({
        "format": SHARE_FORMAT, "scenario": "winter-storm", "exercise": "welfare-checks",
        "purpose": "emergency_welfare_check",
        "tables": [{"table": TABLE, "where": "equipment != 'none'",
                    "fields": {"mrn": {"op": "pseudonym"}, "zip": {"op": "keep"}, "age": {"op": "keep"}}}],
    }))


def round_trips(result):
    text = share_to_json(result)
    assert parse_share_text(text) == result
    return result


def edited(doc, edit):
    before = share_to_json(doc)
    result = round_trips(apply_edit(doc, edit))
    assert share_to_json(doc) == before  # never mutates
    return result


def only_problem(doc, edit):
    before = share_to_json(doc)
    with pytest.raises(ShareError) as caught:
        apply_edit(doc, edit, "edit.json")
    assert share_to_json(doc) == before
    problems = caught.value.problems
    assert len(problems) == 1, [str(p) for p in problems]
    assert problems[0].file == "edit.json" and problems[0].path
    return problems[0]


# ------------------------------------------------------------------------------------------ each kind

def test_add_table_starts_with_no_fields(doc):
    result = edited(doc, {"edit": "add_table", "table": "ph_vaccinations"})
    assert [t.table for t in result.tables] == [TABLE, "ph_vaccinations"]
    assert result.tables[1].fields == {} and result.tables[1].where is None


def test_remove_table(doc):
    assert edited(doc, {"edit": "remove_table", "table": TABLE}).tables == []


def test_set_field_replaces_in_place_and_adds_at_the_end(doc):
    result = edited(doc, {"edit": "set_field", "table": TABLE, "field": "zip",
                          "op": {"op": "generalize", "to": "zip3"}})
    assert list(result.tables[0].fields) == ["mrn", "zip", "age"]
    assert result.tables[0].fields["zip"] == FieldOp(op="generalize", to="zip3")
    result = edited(result, {"edit": "set_field", "table": TABLE, "field": "on_oxygen",
                             "op": {"op": "derive", "expr": "equipment == 'oxygen_concentrator'"}})
    assert list(result.tables[0].fields) == ["mrn", "zip", "age", "on_oxygen"]


def test_remove_field_keeps_the_order_of_the_rest(doc):
    result = edited(doc, {"edit": "remove_field", "table": TABLE, "field": "zip"})
    assert list(result.tables[0].fields) == ["mrn", "age"]


def test_set_where_sets_and_clears_the_filter(doc):
    assert edited(doc, {"edit": "set_where", "table": TABLE, "where": "age >= 65"}).tables[0].where == "age >= 65"
    assert edited(doc, {"edit": "set_where", "table": TABLE, "where": None}).tables[0].where is None


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("purpose", "other_purpose", "other_purpose"), ("destroy_by", "2026-03-01", date(2026, 3, 1)),
    ("destroy_by", None, None), ("deidentified", True, True), ("redisclosure_notice", True, True),
    ("scenario", "other", "other"), ("exercise", "other", "other")])
def test_set_top_level_keys(doc, key, value, expected):
    assert getattr(edited(doc, {"edit": "set", "key": key, "value": value}), key) == expected


def test_set_aggregate_and_clear_it(doc):
    agg = {"group_by": ["zip"], "measures": [{"op": "count"}], "min_cell_size": 11}
    result = edited(doc, {"edit": "set_aggregate", "aggregate": agg})
    assert result.aggregate.group_by == ["zip"] and result.aggregate.min_cell_size == 11
    assert edited(result, {"edit": "set_aggregate", "aggregate": None}).aggregate is None


def test_set_decision_refuse_clears_what_was_shared(doc):
    result = edited(doc, {"edit": "set_decision", "decision": "refuse", "reason": "the ordinance forbids it"})
    assert (result.decision, result.reason, result.tables, result.aggregate) == (
        "refuse", "the ordinance forbids it", [], None)
    part = edited(doc, {"edit": "set_decision", "decision": "refuse_in_part", "reason": "no diagnoses"})
    assert part.decision == "refuse_in_part" and part.tables == doc.tables
    back = edited(part, {"edit": "set_decision", "decision": "share"})
    assert (back.decision, back.reason) == ("share", "")
    assert share_to_json(back) == share_to_json(doc)  # the defaults are not written


def test_replace_validates_the_whole_document(doc):
    other = json.loads(share_to_json(doc))
    other["purpose"] = "something_else"
    assert edited(doc, {"edit": "replace", "document": other}).purpose == "something_else"


def test_tables_listed_twice_are_named_by_position(doc):
    twice = edited(doc, {"edit": "add_table", "table": TABLE})
    problem = only_problem(twice, {"edit": "remove_table", "table": TABLE})
    assert problem.path == "edit.table" and "2 times" in problem.message
    result = edited(twice, {"edit": "set_where", "table": 1, "where": "age < 18"})
    assert [t.where for t in result.tables] == ["equipment != 'none'", "age < 18"]


def test_apply_edits_runs_in_order_and_locates_the_failing_one(doc):
    result = apply_edits(doc, [{"edit": "add_table", "table": "ph_vaccinations"},
                               {"edit": "set_field", "table": "ph_vaccinations", "field": "dose", "op": {"op": "keep"}}])
    assert list(result.tables[1].fields) == ["dose"]
    with pytest.raises(ShareError) as caught:
        apply_edits(doc, [{"edit": "add_table", "table": "x"}, {"edit": "remove_field", "table": "x", "field": "y"}])
    assert [p.path for p in caught.value.problems] == ["edits[1].field"]
    with pytest.raises(ShareError) as caught:
        apply_edits(doc, [{"edit": "set_where", "table": TABLE, "where": "age >="}])
    assert caught.value.problems[0].path == "tables[0].where"
    assert caught.value.problems[0].message.startswith("after edits[0]: ")


def test_every_kind_is_tested():
    kinds = {"add_table", "remove_table", "set_field", "remove_field", "set_where", "set", "set_aggregate",
             "set_decision", "replace"}
    assert set(EDIT_KINDS) == kinds


# ------------------------------------------------------------------------------------- malformed edits

@pytest.mark.parametrize(("edit", "path", "words"), [
    ({"edit": "rename_table", "table": TABLE}, "edit.edit", "unknown edit"),
    ({"edit": "set_feild", "table": TABLE}, "edit.edit", "unknown edit"),
    ({"table": TABLE}, "edit.edit", "required"),
    ("remove_table", "edit", "must be an object"),
    ({"edit": "set_field", "table": TABLE, "field": "zip"}, "edit.op", "required"),
    ({"edit": "remove_table"}, "edit.table", "required"),
    ({"edit": "set", "key": "purpose"}, "edit.value", "required"),
    ({"edit": "set_decision"}, "edit.decision", "required"),
    ({"edit": "remove_table", "table": TABLE, "where": "x"}, "edit.where", "unknown key"),
    ({"edit": "set_field", "table": TABLE, "field": 3, "op": {"op": "keep"}}, "edit.field", "must be text"),
    ({"edit": "set_field", "table": TABLE, "field": "zip", "op": "keep"}, "edit.op", "must be an object"),
    ({"edit": "set_where", "table": TABLE, "where": 65}, "edit.where", "must be text or null"),
    ({"edit": "add_table", "table": ["a"]}, "edit.table", "must be text"),
    ({"edit": "remove_table", "table": True}, "edit.table", "table name or position"),
    ({"edit": "remove_table", "table": 5}, "edit.table", "no table at position 5"),
    ({"edit": "remove_table", "table": "ph_vacinations"}, "edit.table", "no table"),
    ({"edit": "remove_field", "table": TABLE, "field": "phone"}, "edit.field", "shares no field"),
    ({"edit": "set", "key": "tables", "value": []}, "edit.key", "cannot set"),
    ({"edit": "set_aggregate", "aggregate": ["zip"]}, "edit.aggregate", "must be an object"),
    ({"edit": "set_decision", "decision": "refuse_all", "reason": "x"}, "edit.decision", "unknown decision"),
    ({"edit": "replace", "document": "{}"}, "edit.document", "must be an object"),
    ({"edit": "set", "key": "purpose", "value": float("nan")}, "edit", "not JSON"),
    ({"edit": "set", "key": "purpose", "value": {1, 2}}, "edit", "not JSON"),
    # the edit is well formed but the share it would make is not
    ({"edit": "set_field", "table": TABLE, "field": "zip", "op": {"op": "generalise", "to": "zip3"}},
     "tables[0].fields.zip.op", "unknown operation"),
    ({"edit": "set_field", "table": TABLE, "field": "zip", "op": {"op": "generalize", "to": "zip4"}},
     "tables[0].fields.zip.to", "cannot generalize"),
    ({"edit": "set_field", "table": TABLE, "field": "x", "op": {"op": "derive", "expr": "age +* 2"}},
     "tables[0].fields.x.expr", ""),
    ({"edit": "set_where", "table": TABLE, "where": "age >= "}, "tables[0].where", ""),
    ({"edit": "set_where", "table": TABLE, "where": "eval('1')"}, "tables[0].where", ""),
    ({"edit": "set", "key": "destroy_by", "value": "next week"}, "destroy_by", "must be a date"),
    ({"edit": "set", "key": "deidentified", "value": "yes"}, "deidentified", "true or false"),
    ({"edit": "set_aggregate", "aggregate": {"group_by": ["zip"], "min_cell_size": 0}}, "aggregate.min_cell_size",
     "at least 1"),
    ({"edit": "set_decision", "decision": "refuse"}, "reason", "needs a reason"),
    ({"edit": "set_decision", "decision": "refuse_in_part", "reason": "  "}, "reason", "needs a reason"),
    ({"edit": "replace", "document": {"format": SHARE_FORMAT, "tables": [{"table": TABLE, "filter": "x"}]}},
     "tables[0].filter", "unknown key"),
    ({"edit": "replace", "document": {"format": SHARE_FORMAT, "decision": "refuse", "reason": "no",
                                      "tables": [{"table": TABLE}]}}, "tables", "refusal shares nothing"),
])
def test_malformed_edit_is_one_located_problem(doc, edit, path, words):
    problem = only_problem(doc, edit)
    assert problem.path == path, str(problem)
    assert words in problem.message, str(problem)


def test_huge_integer_is_refused_not_a_traceback(doc):
    problem = only_problem(doc, {"edit": "set", "key": "deidentified", "value": 10 ** 5000})
    assert problem.path in ("edit", "deidentified")


def test_the_docs_examples_parse_and_apply():
    import re
    from pathlib import Path

    text = (Path(__file__).parents[1] / "docs" / "share-format.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```json\n(.*?)\n```", text, re.S)
    share = parse_share_text(blocks[0])
    refusal = parse_share_text(next(b for b in blocks if '"decision": "refuse"' in b))
    assert refusal.decision == "refuse" and refusal.tables == []
    edits = json.loads(next(b for b in blocks if b.startswith('[{"edit"')))
    result = round_trips(apply_edits(share, edits))
    assert result.tables[0].fields["zip"] == FieldOp(op="generalize", to="zip3")
    assert result.tables[0].where == "equipment != 'none'"
    documented = set(re.findall(r"^\| `(\w+)` \| `", text.split("## Edits")[1].split("##")[0], re.M))
    assert documented == set(EDIT_KINDS)
