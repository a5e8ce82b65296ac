"""Random shares (fixed seed) never crash the engine: each either scores or is refused with a located ShareError."""

from __future__ import annotations

import json
import random

import pytest

from sandbox_app.errors import ShareError
from sandbox_app.privacy.score import score_share
from sandbox_app.scenario import load_scenario
from sandbox_app.sharing.database import CityDatabase
from sandbox_app.sharing.document import parse_share_text
from tests.cityfixture import small_city

SCENARIO = load_scenario("winter-storm")
OPS = [
    {"op": "keep"}, {"op": "drop"}, {"op": "pseudonym"}, {"op": "hash"}, {"op": "mask", "keep_last": 2},
    {"op": "generalize", "to": "year"}, {"op": "generalize", "to": "month"}, {"op": "generalize", "to": "quarter"},
    {"op": "generalize", "to": "zip3"}, {"op": "generalize", "to": "neighbourhood"},
    {"op": "generalize", "to": "band", "width": 10}, {"op": "generalize", "to": "grid", "size": 0.01},
    {"op": "top_code", "max": 89}, {"op": "bottom_code", "min": 1}, {"op": "suppress_rare", "min_count": 5},
]
SUITED = {  # ops that fit a column, by its data type or what it is
    "date": [{"op": "keep"}, {"op": "generalize", "to": "year"}, {"op": "generalize", "to": "month"},
             {"op": "generalize", "to": "quarter"}],
    "zip": [{"op": "keep"}, {"op": "generalize", "to": "zip3"}, {"op": "generalize", "to": "neighbourhood"}],
    "integer": [{"op": "keep"}, {"op": "generalize", "to": "band", "width": 10}, {"op": "top_code", "max": 89},
                {"op": "bottom_code", "min": 1}],
    "text": [{"op": "keep"}, {"op": "pseudonym"}, {"op": "hash"}, {"op": "mask", "keep_last": 2},
             {"op": "suppress_rare", "min_count": 5}, {"op": "drop"}],
}
WHERES = [None, "zip in ('44101', '44102')", "sex == 'F'", "birth_date is not null", "year(birth_date) < 1960",
          "length(phone) > 3 and not (zip == '44103')", "1 == 1", "zip = 44101"]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = CityDatabase(small_city(tmp_path_factory))
    yield database
    database.close()


def _suited(db: CityDatabase, table: str, column: str) -> list[dict]:
    info = db.column_info(table, column)
    if info.get("semantic") == "zip":
        return SUITED["zip"]
    return SUITED.get(info.get("data_type"), SUITED["text"])


def random_share(rng: random.Random, db: CityDatabase) -> tuple[str, str]:
    exercise = rng.choice(SCENARIO.exercises)
    holder = SCENARIO.department(exercise.holding_department)
    tables = [t.name for t in holder.tables]
    chosen = rng.sample(tables, k=min(len(tables), rng.choice([1, 1, 2])))
    share_tables = []
    for table in chosen:
        columns = db.columns(table)
        fields = {c: dict(rng.choice(OPS if rng.random() < 0.15 else _suited(db, table, c)))
                  for c in rng.sample(columns, k=rng.randint(1, min(6, len(columns))))}
        if rng.random() < 0.3:
            fields["flag"] = {"op": "derive", "expr": f"{rng.choice(columns)} is not null"}
        share_tables.append({"table": table, "fields": fields, **({"where": w} if (w := rng.choice(WHERES)) else {})})
    aggregate = None
    if len(share_tables) == 1 and rng.random() < 0.3:
        group = rng.sample(list(share_tables[0]["fields"]), k=1)
        aggregate = {"group_by": group, "measures": [{"op": "count"}],
                     **({"min_cell_size": 11} if rng.random() < 0.5 else {})}
    doc = {"format": "city-sandbox/share@1", "scenario": "winter-storm", "exercise": exercise.id,
           "purpose": rng.choice([exercise.purpose, "", "marketing"]), "destroy_by": "2026-02-01",
           "tables": share_tables, "aggregate": aggregate}
    return exercise.id, json.dumps(doc)


def test_two_hundred_random_shares_score_or_are_refused_plainly(db):
    rng = random.Random(20261125)
    scored = refused = 0
    for _ in range(200):
        exercise, text = random_share(rng, db)
        try:
            report = score_share(db, SCENARIO, exercise, parse_share_text(text, "fuzz.json"), file="fuzz.json")
        except ShareError as err:
            refused += 1
            assert all(p.path or p.message for p in err.problems)
            assert "Traceback" not in str(err)
            continue
        scored += 1
        assert report.verdict in ("approve", "revise", "reject")
        assert 0 <= report.privacy_score <= 100 and 0 <= report.usefulness_score <= 100
        json.dumps(report.to_dict(), default=str)  # the --json output never fails to serialise
    assert scored > 50 and refused > 10  # both paths are exercised
