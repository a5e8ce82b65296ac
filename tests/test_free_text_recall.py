"""The free-text detector, measured: recall on identifiers injected into notes, and quiet on notes without any."""

from __future__ import annotations

import numpy as np
import pytest

from sandbox_app.privacy.context import ShareContext
from sandbox_app.privacy.free_text import city_names, identifiers_in
from sandbox_app.privacy.score import score_share
from sandbox_app.sharing.database import CityDatabase
from tests.cityfixture import small_city
from tests.loophole_helpers import SCENARIO, by_rule, share

SENTENCES = ["Spoke with {x} about the repairs.", "{x} called again this morning.", "Follow up: {x}.",
             "Neighbour reports {x} has not been seen.", "Left a message for {x} re: oxygen delivery."]
BENIGN = ["Client stable. Equipment checked.", "No concerns this visit.", "Pothole reported near the school.",
          "Daughter helps with meds.", "Streetlight out since Tuesday; crew notified.", "Visited; all well.",
          "Oxygen concentrator serviced, filter replaced.", "Follow up in two weeks."]
STREETS = ["Martin Luther King Jr Boulevard", "Old Mill Road", "North Cedar Heights Avenue", "Lake View Terrace",
           "Saint Anne Street", "Harbor Point Drive"]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = CityDatabase(small_city(tmp_path_factory))
    yield database
    database.close()


@pytest.fixture(scope="module")
def names(db):
    report = score_share(db, SCENARIO, "welfare-checks", share({"nurse_notes": {"op": "keep"}}))
    ctx = ShareContext(SCENARIO, SCENARIO.exercise("welfare-checks"), SCENARIO.agreement("storm-mou"),
                       report.extract.share, report.extract, db)
    return city_names(ctx)


def _injected(kind: str, rng: np.random.Generator, residents) -> str:
    person = residents.iloc[int(rng.integers(len(residents)))]
    area, line = int(rng.integers(200, 999)), int(rng.integers(0, 10000))
    values = {
        "name": f"{person.first_name} {person.last_name}",
        "phone": rng.choice([f"({area}) 555-{line:04d}", f"{area}-555-{line:04d}", f"{area}.555.{line:04d}",
                             f"{area} 555 {line:04d}", f"{area}555{line:04d}", f"+1 {area} 555 {line:04d}"]),
        "e-mail": f"{person.first_name.lower()}.{person.last_name.lower()}{line % 100}@example.org".replace(" ", ""),
        "address": f"{int(rng.integers(1, 9999))} {rng.choice(STREETS)}",
    }
    return str(rng.choice(SENTENCES)).format(x=values[kind])


@pytest.mark.parametrize("kind", ["name", "phone", "e-mail", "address"])
def test_recall_on_injected_identifiers(db, names, kind):
    rng = np.random.default_rng(20260114)
    residents = db.residents(["first_name", "last_name"]).dropna()
    texts = [_injected(kind, rng, residents) for _ in range(400)]
    recall = np.mean([kind in identifiers_in(t, names) for t in texts])
    assert recall >= 0.95, (kind, recall, [t for t in texts if kind not in identifiers_in(t, names)][:5])


def test_notes_without_identifiers_are_not_flagged(names):
    assert [t for t in BENIGN if identifiers_in(t, names)] == []


def test_the_nurse_notes_leak_names_and_phones(db):
    report = score_share(db, SCENARIO, "welfare-checks", share({"nurse_notes": {"op": "keep"}}))
    (found,) = by_rule(report, "free_text_identifiers")
    assert "name" in found.message and "phone" in found.message
