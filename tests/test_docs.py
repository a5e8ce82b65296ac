"""The figures the docs quote are what the default city really gives (regenerated, not remembered)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from sandbox_app.scenario import load_scenario
from synthetic.generate import generate_city

DOCS = Path(__file__).parents[1] / "docs"


def test_datathon_linkage_example_quotes_the_real_counts(tmp_path):
    text = (DOCS / "datathon.md").read_text(encoding="utf-8")
    query = re.search(r"```sql\n(SELECT COUNT\(\*\)\nFROM oem_medical_needs_registry.*?;)\n```", text, re.S).group(1)
    found, truth = map(int, re.search(r"finds (\d+) pairs\. The truth .*? is (\d+) people", text, re.S).groups())
    scenario = load_scenario("winter-storm")
    db = generate_city(scenario, tmp_path / "storm.db", scenario_name=scenario.name).database
    with sqlite3.connect(db) as conn:
        assert conn.execute(query).fetchone()[0] == found
        assert conn.execute(
            "SELECT COUNT(DISTINCT a.resident_id) FROM _ground_truth a JOIN _ground_truth b "
            "ON a.resident_id = b.resident_id WHERE a.table_name = 'oem_medical_needs_registry' "
            "AND b.table_name = 'ph_home_health_clients'").fetchone()[0] == truth
