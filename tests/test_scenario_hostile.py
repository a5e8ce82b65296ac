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
