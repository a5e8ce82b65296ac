"""Property-based fuzzing of share documents: every mutation of a built-in answer scores or is refused with
located problems (a field path or a line); never a traceback (profiles: tests/conftest.py)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given

from sandbox_app.errors import ShareError
from sandbox_app.privacy.score import score_share
from sandbox_app.scenario import load_scenario
from sandbox_app.sharing.database import CityDatabase
from sandbox_app.sharing.document import parse_share_text
from tests.fuzzing import mutated_share

SCENARIO = load_scenario("winter-storm")
STRATEGY = mutated_share()
_DB: dict[str, CityDatabase] = {}


@pytest.fixture(scope="module", autouse=True)
def db(tmp_path_factory):
    from tests.cityfixture import small_city

    _DB["db"] = CityDatabase(small_city(tmp_path_factory))
    yield _DB["db"]
    _DB.pop("db").close()


def _database() -> CityDatabase:
    if "db" not in _DB:  # run outside pytest (the long profile's driver)
        import tempfile
        from pathlib import Path

        from synthetic.generate import generate_city

        path = Path(tempfile.mkdtemp()) / "storm.db"
        generate_city(SCENARIO, path, residents=3000, scenario_name=SCENARIO.name)
        _DB["db"] = CityDatabase(path)
    return _DB["db"]


@given(STRATEGY)
def test_mutated_shares_score_or_are_refused(case):
    exercise, text = case
    try:
        share = parse_share_text(text, "fuzz.json")
        report = score_share(_database(), SCENARIO, exercise, share, file="fuzz.json")
    except ShareError as err:
        assert err.problems
        for problem in err.problems:
            assert problem.file == "fuzz.json" and (problem.path or problem.line is not None), str(problem)
            assert len(str(problem)) < 2000, str(problem)[:300]
        return
    assert report.verdict in ("approve", "revise", "reject")
    assert 0 <= report.privacy_score <= 100 and 0 <= report.usefulness_score <= 100
    json.dumps(report.to_dict(), default=str)
