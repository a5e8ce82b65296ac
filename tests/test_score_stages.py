"""score_share in stages: cancellation between stages, stages delivered in order, same result as one call."""

from __future__ import annotations

import json

import pytest

from sandbox_app.privacy.score import STAGES, score_share
from sandbox_app.scenario import load_scenario
from sandbox_app.sharing.apply import Extract
from sandbox_app.sharing.database import CityDatabase
from sandbox_app.sharing.document import parse_share_text
from synthetic.progress import Cancelled
from tests.cityfixture import small_city

SCENARIO = load_scenario("winter-storm")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = CityDatabase(small_city(tmp_path_factory))
    yield database
    database.close()


def sweeney_share():
    """Row level, no names: birth date + sex + ZIP, so the metrics stage runs the linkage attack."""
    doc = {"format": "city-sandbox/share@1", "scenario": "winter-storm", "exercise": "welfare-checks",
           "purpose": SCENARIO.exercise("welfare-checks").purpose, "destroy_by": "2026-02-13",
           "tables": [{"table": "ph_home_health_clients",
                       "fields": {"birth_date": {"op": "keep"}, "sex": {"op": "keep"}, "zip": {"op": "keep"},
                                  "primary_diagnosis": {"op": "keep"}}}]}
    return parse_share_text(json.dumps(doc))


class CancelAfter:
    """A TaskState that is cancelled once `stage` has been delivered; records progress it is given."""

    def __init__(self, stage: str | None) -> None:
        self.stage = stage
        self.seen: list[str] = []
        self.fractions: list[float] = []

    def on_stage(self, name: str, value: object) -> None:
        self.seen.append(name)

    def set_progress(self, fraction: float, status: str = "") -> None:
        self.fractions.append(fraction)

    def is_cancelled(self) -> bool:
        return self.stage is not None and self.stage in self.seen


@pytest.mark.parametrize("stage", ["extract", "metrics"])
def test_cancelling_after_a_stage_raises_cancelled_and_delivers_nothing_after_it(db, stage):
    state = CancelAfter(stage)
    with pytest.raises(Cancelled):
        score_share(db, SCENARIO, "welfare-checks", sweeney_share(), state=state, on_stage=state.on_stage)
    assert state.seen == list(STAGES[: STAGES.index(stage) + 1])
    assert "findings" not in state.seen


def test_a_state_cancelled_from_the_start_never_applies_the_share(db):
    class Cancelled_:
        def set_progress(self, fraction, status=""):
            raise AssertionError("no progress is reported once cancelled")

        def is_cancelled(self):
            return True

    seen = []
    with pytest.raises(Cancelled):
        score_share(db, SCENARIO, "welfare-checks", sweeney_share(), state=Cancelled_(),
                    on_stage=lambda name, value: seen.append(name))
    assert seen == []


def test_stages_arrive_in_order_with_their_values_and_equal_the_plain_call(db):
    state = CancelAfter(None)
    delivered: list[tuple[str, object]] = []
    staged = score_share(db, SCENARIO, "welfare-checks", sweeney_share(), state=state,
                         on_stage=lambda name, value: delivered.append((name, value)))
    plain = score_share(db, SCENARIO, "welfare-checks", sweeney_share())

    assert [name for name, _ in delivered] == list(STAGES) == ["extract", "metrics", "findings"]
    extract, metrics, report = (value for _, value in delivered)
    assert isinstance(extract, Extract) and extract is staged.extract
    assert metrics == staged.metrics
    assert report is staged
    assert staged.to_dict() == plain.to_dict()
    assert staged.metrics == plain.metrics
    assert "linkage_attack" in {f.rule for f in staged.findings}
    assert state.fractions == sorted(state.fractions) and state.fractions[-1] == 1.0
