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
