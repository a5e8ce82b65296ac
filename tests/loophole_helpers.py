"""Shared by the loophole tests: the small winter-storm city and a way to write a share as a trainee would."""

from __future__ import annotations

import json

from sandbox_app.scenario import load_scenario
from sandbox_app.sharing.document import parse_share_text

SCENARIO = load_scenario("winter-storm")
HEALTH = "ph_home_health_clients"
AGE = "years_between(birth_date, date('2026-01-14'))"


def share(fields: dict, *, exercise="welfare-checks", where=None, table=HEALTH, aggregate=None, **top):
    doc = {"format": "city-sandbox/share@1", "scenario": "winter-storm", "exercise": exercise,
           "purpose": top.pop("purpose", SCENARIO.exercise(exercise).purpose),
           "destroy_by": top.pop("destroy_by", "2026-02-13"),
           "tables": [{"table": table, "fields": fields, **({"where": where} if where else {})}],
           "aggregate": aggregate, **top}
    return parse_share_text(json.dumps(doc))


def by_rule(report, rule: str) -> list:
    return [f for f in report.findings if f.rule == rule]
