"""Refusal: refusing an unlawful request is the right answer, refusing a lawful one makes residents wait, and
sharing what the law says to refuse is flagged; a refusal is a located, round-tripping part of the share."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox_app.errors import ShareError
from sandbox_app.privacy.answers import answer_path
from sandbox_app.privacy.score import score_share
from sandbox_app.privacy.usefulness import needed_residents
from sandbox_app.scenario import load_scenario
from sandbox_app.scenario.model import Exercise
from sandbox_app.sharing import apply_edit, load_share, parse_share_text, share_to_json
from sandbox_app.sharing.database import CityDatabase
from synthetic.generate import generate_city
from tests.cityfixture import small_city

SCENARIO = load_scenario("winter-storm")
SCENARIOS = Path(__file__).parents[1] / "scenarios"
MODEL = load_share(SCENARIOS / "winter-storm" / "welfare-checks.model.json")
EVERYTHING = load_share(SCENARIOS / "winter-storm" / "welfare-checks.everything.json")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = CityDatabase(small_city(tmp_path_factory))
    yield database
    database.close()


def exercise(lawful_answer: str, exercise_id: str = "welfare-checks") -> Exercise:
    data = SCENARIO.exercise(exercise_id).model_dump()
    return Exercise.model_validate({**data, "lawful_answer": lawful_answer})


def refusal(decision: str = "refuse", reason: str = "the MOU does not cover this request", base=MODEL):
    return apply_edit(base, {"edit": "set_decision", "decision": decision, "reason": reason})


# ----------------------------------------------------------------------------------------- scoring

def test_refusing_an_unlawful_request_is_approved_with_full_scores(db):
    report = score_share(db, SCENARIO, exercise("refuse"), refusal())
    assert (report.verdict, report.privacy_score, report.usefulness_score) == ("approve", 100, 100)
    assert report.findings == []


def test_a_refusal_is_never_marked_down_for_the_purpose_it_refuses(db):
    unpermitted = apply_edit(MODEL, {"edit": "set", "key": "purpose", "value": "immigration_enforcement"})
    report = score_share(db, SCENARIO, exercise("refuse"), refusal(base=unpermitted))
    assert report.findings == [] and report.verdict == "approve"
    blank = apply_edit(MODEL, {"edit": "set", "key": "purpose", "value": ""})
    assert score_share(db, SCENARIO, exercise("refuse"), refusal(base=blank)).findings == []


def test_refusing_a_lawful_request_costs_usefulness_and_says_who_waits(db):
    lawful = exercise("share")
    report = score_share(db, SCENARIO, lawful, refusal())
    waiting = len(needed_residents(db, lawful))
    assert waiting > 0
    assert (report.verdict, report.privacy_score, report.usefulness_score) == ("revise", 100, 0)
    assert [(f.rule, f.severity) for f in report.findings] == [("usefulness", "major")]
    assert f"The request was lawful: {waiting:,} residents wait" in report.findings[0].message
    assert report.findings[0].rows == waiting


def test_refusing_all_of_a_request_that_is_lawful_in_part_costs_usefulness(db):
    report = score_share(db, SCENARIO, exercise("refuse_in_part"), refusal())
    assert (report.verdict, report.usefulness_score) == ("revise", 0)
    assert "refuse_in_part" in report.findings[0].hint


def test_sharing_what_the_law_says_to_refuse_is_a_major_finding(db):
    unlawful = exercise("refuse")
    assert score_share(db, SCENARIO, exercise("share"), MODEL).verdict == "approve"
    report = score_share(db, SCENARIO, unlawful, MODEL)
    assert [f.rule for f in report.findings if f.severity == "major"] == ["lawful_refusal"]
    assert report.verdict == "revise" and report.privacy_score == 85


def test_when_the_rules_already_reject_a_share_no_refusal_finding_is_added(db):
    report = score_share(db, SCENARIO, exercise("refuse"), EVERYTHING)
    assert report.verdict == "reject"
    assert "lawful_refusal" not in {f.rule for f in report.findings}
    assert [f.rule for f in report.findings] == [f.rule for f in score_share(db, SCENARIO, exercise("share"),
                                                                             EVERYTHING).findings]


def test_refusing_in_part_is_scored_as_a_share_of_the_part_shared(db):
    part = refusal("refuse_in_part", "diagnoses are refused: the MOU excludes them")
    assert part.tables == MODEL.tables
    for lawful in ("share", "refuse_in_part"):
        shared, refused = (score_share(db, SCENARIO, exercise(lawful), doc) for doc in (MODEL, part))
        assert (refused.verdict, refused.privacy_score, refused.usefulness_score) == (
            shared.verdict, shared.privacy_score, shared.usefulness_score)
        assert [f.rule for f in refused.findings] == [f.rule for f in shared.findings]
    nothing = apply_edits_refuse_in_part_without_tables()
    assert score_share(db, SCENARIO, exercise("refuse"), nothing).usefulness_score == 100


def apply_edits_refuse_in_part_without_tables():
    part = refusal("refuse_in_part", "everything is refused")
    return apply_edit(part, {"edit": "remove_table", "table": 0})


# ----------------------------------------------------------------------------------- the document

def refusal_text(**changes) -> str:
    data = {"format": "city-sandbox/share@1", "scenario": "winter-storm", "exercise": "welfare-checks",
            "decision": "refuse", "reason": "not a permitted purpose", "tables": [], "aggregate": None}
    return json.dumps({**data, **changes})


@pytest.mark.parametrize(("changes", "path", "words"), [
    ({"reason": ""}, "reason", "needs a reason"),
    ({"reason": "   "}, "reason", "needs a reason"),
    ({"reason": None}, "reason", "must be text"),
    ({"decision": "refused"}, "decision", "unknown decision"),
    ({"decision": "refuse_in_part", "reason": ""}, "reason", "needs a reason"),
    ({"tables": [{"table": "ph_home_health_clients", "fields": {}}]}, "tables", "refusal shares nothing"),
    ({"aggregate": {"group_by": []}}, "aggregate", "refusal shares nothing"),
])
def test_an_incomplete_refusal_is_one_located_parse_error(changes, path, words):
    with pytest.raises(ShareError) as caught:
        parse_share_text(refusal_text(**changes), "refusal.json")
    assert len(caught.value.problems) == 1, caught.value.problems
    problem = caught.value.problems[0]
    assert (problem.file, problem.path) == ("refusal.json", path) and words in problem.message, str(problem)


def test_a_refusal_round_trips_and_a_plain_share_does_not_mention_decisions():
    doc = parse_share_text(refusal_text())
    assert (doc.decision, doc.reason) == ("refuse", "not a permitted purpose")
    text = share_to_json(doc)
    assert '"decision": "refuse"' in text and parse_share_text(text) == doc
    plain = share_to_json(MODEL)
    assert '"decision"' not in plain and '"reason"' not in plain
    canonical = (SCENARIOS / "safe-streets" / "federal-status-request.model.json").read_text(encoding="utf-8")
    assert share_to_json(parse_share_text(canonical)) == canonical  # older answer files stay byte-identical


# ----------------------------------------------------------------------------------- built-in scenarios

@pytest.mark.parametrize(("name", "exercise_id", "lawful"), [
    ("safe-streets", "federal-status-request", "refuse"),
    ("whole-person-care", "pit-count", "refuse_in_part"),
    ("benefits-fast-track", "relief-income-check", "refuse_in_part"),
])
def test_builtin_refusal_answers_score_as_the_scenario_expects(name, exercise_id, lawful, tmp_path):
    scenario = load_scenario(name)
    ex = scenario.exercise(exercise_id)
    assert ex.lawful_answer == lawful
    answers = [(ex.model_answer, "approve")] + [(a.share, a.expect) for a in ex.bad_answers]
    decided = [(ref, expect, load_share(answer_path(scenario, ref))) for ref, expect in answers]
    # Whole refusals score the same in any city; the counts of a partial refusal need the full-size city
    # (`check` in test_cli_engine scores those).
    decided = [(ref, expect, doc) for ref, expect, doc in decided if doc.decision == "refuse"]
    assert decided  # each of these exercises ships a recorded refusal
    city = generate_city(scenario, tmp_path / "city.db", residents=1500, scenario_name=name).database
    with CityDatabase(city) as db:
        for ref, expect, doc in decided:
            report = score_share(db, scenario, ex, doc, file=ref)
            assert report.verdict == expect, (ref, [f.message for f in report.findings])
            assert report.privacy_score == 100  # a refusal discloses nothing


def test_score_prints_the_decision_and_exits_0_for_a_lawful_refusal(tmp_path, capsys):
    from sandbox_app.cli import main

    scenario = load_scenario("safe-streets")
    city = generate_city(scenario, tmp_path / "city.db", residents=300, scenario_name=scenario.name).database
    answer = SCENARIOS / "safe-streets" / "federal-status-request.refuse.json"
    assert main(["score", "safe-streets", "federal-status-request", str(answer), "--db", str(city)]) == 0
    out = capsys.readouterr().out
    assert "Verdict: APPROVE   privacy 100/100   usefulness 100/100" in out
    assert "Decision: refuse - Welcoming City ordinance" in out
