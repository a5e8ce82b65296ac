"""Scenario files: loading, validation and the exercise/agreement model.

The names below are imported on first use (PEP 562), so `city-sandbox --help` does not load pydantic."""

from __future__ import annotations

import importlib

_MODULE_OF = {"builtin_scenarios": "builtins", "load_scenario": "loader", "parse_scenario_text": "loader",
              "Agreement": "model", "Exercise": "model", "Scenario": "model"}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
