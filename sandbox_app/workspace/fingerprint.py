"""The sha256 of a scenario's file bytes: what attempts and result files are tied to."""

from __future__ import annotations

import hashlib


def scenario_sha256(scenario) -> str:
    """Hex sha256 of the scenario file's bytes as loaded; of its canonical model JSON if built in memory."""
    loaded = getattr(scenario, "_sha256", None)
    if loaded:
        return loaded
    source = getattr(scenario, "_source", None)
    if source is not None:
        return hashlib.sha256(source.read_bytes()).hexdigest()
    return hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()
