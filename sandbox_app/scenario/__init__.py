"""Scenario files: loading, validation and the exercise/agreement model."""

from sandbox_app.scenario.loader import builtin_scenarios, load_scenario, parse_scenario_text
from sandbox_app.scenario.model import Agreement, Exercise, Scenario

__all__ = ["Agreement", "Exercise", "Scenario", "builtin_scenarios", "load_scenario", "parse_scenario_text"]
