"""The JSON Schema of scenario files, exported from the pydantic models (the one definition of the format)."""

from __future__ import annotations

from sandbox_app.scenario.model import Scenario


def scenario_json_schema() -> dict:
    schema = Scenario.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://city-sandbox.invalid/schema/scenario@1.json"
    schema["title"] = "City Data-Sharing Sandbox scenario (city-sandbox/scenario@1)"
    return schema
