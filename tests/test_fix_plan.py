"""Hints are edits: every built-in bad answer's fix plan applies cleanly, and each finding it targets is gone."""

from __future__ import annotations

import pytest

from sandbox_app.privacy.answers import load_answer
from sandbox_app.privacy.fixes import fix_plan
from sandbox_app.privacy.score import score_share
from sandbox_app.scenario import load_scenario
from sandbox_app.sharing.database import CityDatabase
from sandbox_app.sharing.edits import apply_edits
from synthetic.generate import generate_city

SCENARIOS = ["winter-storm", "safe-streets", "whole-person-care", "benefits-fast-track"]
RESIDENTS = 4000


@pytest.fixture(scope="module")
def cities(tmp_path_factory):
    out = {}
    for name in SCENARIOS:
        scenario = load_scenario(name)
        path = tmp_path_factory.mktemp("fix-plan") / f"{name}.db"
        generate_city(scenario, path, residents=RESIDENTS, scenario_name=name)
        out[name] = (scenario, CityDatabase(path))
    yield out
    for _, db in out.values():
        db.close()


def _bad_answers():
    for name in SCENARIOS:
        scenario = load_scenario(name)
        for exercise in scenario.exercises:
            for bad in exercise.bad_answers:
                yield pytest.param(name, exercise.id, bad.share, id=f"{name}/{bad.share}")


def _key(f) -> tuple:
    return f.rule, tuple(sorted(f.fields))


@pytest.mark.parametrize(("name", "exercise", "ref"), list(_bad_answers()))
def test_fix_plan_removes_every_finding_it_targets(cities, name, exercise, ref):
    scenario, db = cities[name]
    share = load_answer(scenario, ref)
    before = score_share(db, scenario, exercise, share)
    plan = before.fix_plan
    assert plan == fix_plan(before.findings, share)
    targeted = {_key(f) for f in before.findings if f.fix and f.rule != "usefulness"}
    if not targeted:
        return
    fixed = apply_edits(share, plan)
    after = score_share(db, scenario, exercise, fixed)
    still = targeted & {_key(f) for f in after.findings}
    assert not still, f"still there after the plan {plan}: {still}"
    assert after.privacy_score >= before.privacy_score
