"""Loophole: splitting one table's fields over two entries of the share. The recipient lines the two lists
up record by record, so risk and the linkage attack are measured on what they can put together."""

from __future__ import annotations

import json

import pytest

from sandbox_app.privacy.score import score_share
from sandbox_app.sharing.database import CityDatabase
from sandbox_app.sharing.document import parse_share_text
from tests.cityfixture import small_city
from tests.loophole_helpers import HEALTH, SCENARIO, by_rule, share


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = CityDatabase(small_city(tmp_path_factory))
    yield database
    database.close()


def test_two_halves_of_one_table_are_measured_together(db):
    whole = score_share(db, SCENARIO, "welfare-checks", share(
        {"birth_date": {"op": "keep"}, "sex": {"op": "keep"}, "zip": {"op": "keep"}}))
    doc = json.loads(whole.extract.share.model_dump_json())
    doc["tables"] = [{"table": HEALTH, "fields": {"birth_date": {"op": "keep"}}},
                     {"table": HEALTH, "fields": {"sex": {"op": "keep"}, "zip": {"op": "keep"}}}]
    split = score_share(db, SCENARIO, "welfare-checks", parse_share_text(json.dumps(doc)))
    assert split.metrics.reidentified_by_linkage == whole.metrics.reidentified_by_linkage > 0
    assert split.metrics.k_anonymity == whole.metrics.k_anonymity
    assert by_rule(split, "linkage_attack") and by_rule(split, "k_anonymity")
