"""Checking a scenario's own answers: every model answer approves with both scores >= 90, every known-bad
answer gets the verdict the scenario expects (what `city-sandbox check` prints)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sandbox_app.errors import ShareError
from sandbox_app.scenario.model import Exercise, Scenario

MODEL_ANSWER_MIN_SCORE = 90


@dataclass
class CheckRow:
    """How one answer scored against what the scenario expects of it."""

    exercise: str
    answer: str
    expected: str
    verdict: str
    privacy: int
    usefulness: int
    ok: bool
    note: str = ""


def answer_path(scenario: Scenario, ref: str) -> Path:
    """An answer file named in a scenario, relative to the scenario file (or the current folder)."""
    base = scenario._source.parent if scenario._source else Path.cwd()
    return base / ref


def load_answer(scenario: Scenario, ref):
    """The share document of a model or known answer: a file named relative to the scenario, or inline."""
    return _load_answer(scenario, ref)[0]


def _load_answer(scenario: Scenario, ref):
    from sandbox_app.sharing.document import load_share, parse_share_text

    if isinstance(ref, dict):
        return parse_share_text(json.dumps(ref), f"{scenario.name} (inline answer)"), "inline"
    return load_share(answer_path(scenario, ref)), ref


def check_scenario_answers(scenario: Scenario, db) -> list[CheckRow]:
    """Score every model answer (must approve with both scores >= MODEL_ANSWER_MIN_SCORE) and known-bad answer
    (its expected verdict) of `scenario` on `db`."""
    return [row for row, _report in check_answer_reports(scenario, db)]


def check_answer_reports(scenario: Scenario, db, exercise_id: str | None = None, state=None) -> list[tuple]:
    """`check_scenario_answers` with each answer's score report beside its row (None where it could not be
    scored), for one exercise or (`exercise_id` None) all: the studio shows the findings behind a miss."""
    rows = []
    exercises = [e for e in scenario.exercises if exercise_id is None or e.id == exercise_id]
    for exercise in exercises:
        answers = [(exercise.model_answer, "approve")] if exercise.model_answer is not None else []
        answers += [(bad.share, bad.expect) for bad in exercise.bad_answers]
        if exercise.model_answer is None:
            rows.append((CheckRow(exercise.id, "-", "approve", "-", 0, 0, False, "no model answer"), None))
        for ref, expected in answers:
            if state is not None and state.is_cancelled():
                from synthetic.progress import Cancelled

                raise Cancelled()
            rows.append(_check_one(scenario, db, exercise, ref, expected))
    return rows


def _check_one(scenario: Scenario, db, exercise: Exercise, ref, expected: str) -> tuple[CheckRow, object]:
    from sandbox_app.privacy.score import score_share

    try:
        share, name = _load_answer(scenario, ref)
        report = score_share(db, scenario, exercise, share, file=str(name))
    except ShareError as err:
        return CheckRow(exercise.id, str(ref), expected, "error", 0, 0, False, str(err).splitlines()[0]), None
    ok = report.verdict == expected
    note = ""
    if expected == "approve" and ok and min(report.privacy_score, report.usefulness_score) < MODEL_ANSWER_MIN_SCORE:
        ok, note = False, f"model answer must score {MODEL_ANSWER_MIN_SCORE}+ on both"
    if not ok and not note:
        note = "; ".join(f"{f.rule} ({f.severity})" for f in report.findings[:4]) or "no findings"
    return CheckRow(exercise.id, Path(name).name, expected, report.verdict, report.privacy_score,
                    report.usefulness_score, ok, note), report
