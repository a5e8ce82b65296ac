"""Hostile scenario files get one plain sentence, never a hang or a traceback."""

from __future__ import annotations

import pytest

from sandbox_app.errors import ScenarioError
from sandbox_app.scenario import parse_scenario_text


def billion_laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    previous = "a"
    for name in "bcdefghijk"[:levels - 1]:
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_without_expanding_it():
    with pytest.raises(ScenarioError, match="expands to more than 200,000 values"):
        parse_scenario_text(billion_laughs(), "bomb.yaml")


def test_deeply_nested_yaml_is_refused_plainly():
    with pytest.raises(ScenarioError, match="nested too deeply") as info:
        parse_scenario_text("a: " + "[" * 1500 + "]" * 1500 + "\n", "deep.yaml")
    assert str(info.value).startswith("deep.yaml: ")


def test_validate_finds_a_table_no_resident_can_appear_in(tmp_path, capsys):
    """`city-sandbox validate` draws the population: a coverage whose only branch matches nobody is an error."""
    from pathlib import Path

    from sandbox_app.cli import main

    text = (Path(__file__).parent / "data" / "small-city.yaml").read_text(encoding="utf-8")
    assert main(["validate", str(Path(__file__).parent / "data" / "small-city.yaml")]) == 0
    import re

    broken, count = re.subn(r"(coverage:\s*\n(\s+)rate: [0-9.]+)", r"coverage:\n\2rate: 0.0\n\2when: "
                            r"[{if: 'age > 200', rate: 0.9}]", text, count=1)
    assert count == 1
    path = tmp_path / "impossible.yaml"
    path.write_text(broken, encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "no resident of this city can appear in table" in err
    assert f"{path}:" in err and ".coverage" in err


def test_impossible_date_is_located_not_a_traceback():
    text = "name: x\nseed: 1\nreference_date: 2026-13-45\n"
    with pytest.raises(ScenarioError) as info:
        parse_scenario_text(text, "bad-date.yaml")
    problem = info.value.problems[0]
    assert (problem.line, problem.hint) == (3, "dates are written YYYY-MM-DD")
    assert "month must be in 1..12" in problem.message


def test_a_hundred_mutated_scenario_files_never_crash_the_loader():
    """Random line deletions, duplications, junk values and truncations of the built-in scenarios (fixed seed):
    each file either loads or gets a ScenarioError, never another exception."""
    import random
    from pathlib import Path

    junk = ["0", "-1", "1.5", "''", "[]", "{}", "x", "null", '"age >>> 3"', "true", "2026-13-45", "1e400", ".nan",
            "!!python/object:os.system x", "*undefined"]
    outcomes = {"loaded": 0, "refused": 0}
    for path in sorted((Path(__file__).parents[1] / "scenarios").glob("*.yaml")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for seed in range(25):
            rng = random.Random(seed)
            mutated = list(lines)
            for _ in range(rng.randint(1, 3)):
                i = rng.randrange(len(mutated))
                kind = rng.randint(0, 3)
                if kind == 0:
                    del mutated[i]
                elif kind == 1:
                    mutated.insert(i, mutated[rng.randrange(len(mutated))])
                elif kind == 2 and ":" in mutated[i]:
                    mutated[i] = mutated[i].split(":", 1)[0] + ": " + rng.choice(junk)
                else:
                    mutated[i] = mutated[i][: rng.randrange(len(mutated[i]) + 1)]
            try:
                parse_scenario_text("\n".join(mutated), path.name)
                outcomes["loaded"] += 1
            except ScenarioError as err:
                assert all(str(p).startswith(path.name) for p in err.problems)
                outcomes["refused"] += 1
    assert outcomes["refused"] > 30 and sum(outcomes.values()) == 100


@pytest.mark.parametrize("replace", [
    ("format: city-sandbox/scenario@1", "format: " + "x" * 5000),           # a wrong literal, echoed
    ("seed: 7", "seed: 7\n" + "k" * 900 + ": 1"),  # an unknown key, echoed (YAML keys stop at 1,024)
])
def test_a_huge_value_in_a_message_is_cut_to_one_short_line(replace):
    """Found by the long fuzz profile: a 5,000-character `format:` was echoed whole in the message."""
    from pathlib import Path

    text = (Path(__file__).parent / "data" / "small-city.yaml").read_text(encoding="utf-8")
    assert replace[0] in text
    with pytest.raises(ScenarioError) as info:
        parse_scenario_text(text.replace(replace[0], replace[1], 1), "huge.yaml")
    for problem in info.value.problems:
        assert len(str(problem)) < 1000 and "characters)" in str(problem), str(problem)[:200]
