"""Property-based fuzzing of scenario files: every mutation of a built-in file is either refused with located
problems or validates and generates; never a traceback (profiles: tests/conftest.py, figures: tests/README.md)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given

from sandbox_app.errors import ScenarioError
from sandbox_app.scenario import parse_scenario_text
from synthetic.generate import generate_city
from tests.fuzzing import FUZZ_RESIDENTS, dump_yaml, mutated_scenario


@given(mutated_scenario())
def test_mutated_scenarios_are_refused_with_locations_or_generate(data):
    text = dump_yaml(data)
    try:
        scenario = parse_scenario_text(text, "fuzz.yaml", deep=True)
    except ScenarioError as err:
        assert err.problems
        for problem in err.problems:
            assert problem.file == "fuzz.yaml" and (problem.line is not None or problem.path), str(problem)
            assert len(str(problem)) < 2000, str(problem)[:300]
        return
    with tempfile.TemporaryDirectory() as folder:
        generate_city(scenario, Path(folder) / "fuzz.db", residents=min(FUZZ_RESIDENTS, scenario.city.residents))
