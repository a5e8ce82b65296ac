"""Scenario files: loading, validation and the exercise/agreement model.

The names below are imported on first use (PEP 562), so `city-sandbox --help` does not load pydantic."""

from __future__ import annotations

from sandbox_app.lazy import lazy_exports

_MODULE_OF = {"builtin_scenarios": "builtins", "load_scenario": "loader", "parse_scenario_text": "loader",
              "Agreement": "model", "Exercise": "model", "Scenario": "model"}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _MODULE_OF)
