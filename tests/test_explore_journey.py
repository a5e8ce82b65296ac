"""'How my data moves': a resident's records against the ground truth, the name-and-birth-date search
against a plain pandas join, the agreements each record may flow under, and the agreement map."""

from __future__ import annotations

import contextlib
import sqlite3

import pandas as pd
import pytest
from cityfixture import small_city

from sandbox_app.errors import DatabaseError
from sandbox_app.explore.catalog import Catalog
from sandbox_app.explore.journey import (
    agreement_map,
    fold,
    iso_date,
    one_letter_apart,
    pick_resident,
    resident_card,
    resident_journey,
    search_residents,
    swapped,
)

EXACT = "same last name and birth date"


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    return small_city(tmp_path_factory)


@pytest.fixture(scope="module")
def facilitator(path):
    return Catalog(path, facilitator=True)


@pytest.fixture(scope="module")
def resident(facilitator):
    return pick_resident(facilitator)


def _sql(path, query, params=()):
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(query, params).fetchall()


def test_a_picked_resident_has_records_in_several_departments(path, facilitator, resident):
    tables = _sql(path, "SELECT count(DISTINCT table_name) FROM _ground_truth WHERE resident_id = ?", (resident,))
    assert tables[0][0] >= 3
    assert pick_resident(facilitator) == resident and pick_resident(facilitator, 1) != resident


def test_the_journey_is_exactly_the_residents_records(path, facilitator, resident):
    records = resident_journey(facilitator, resident)
    truth = set(_sql(path, "SELECT table_name, row_id FROM _ground_truth WHERE resident_id = ?", (resident,)))
    assert {(r.table, r.row_id) for r in records} == truth
    dated = [r.date for r in records if r.date]
    assert dated == sorted(dated) and all(not r.date for r in records[len(dated):])
    first = records[0]
    names = [r[1] for r in _sql(path, f'PRAGMA table_info("{first.table}")')]
    assert list(first.values) == names
    assert tuple(first.values.values()) == _sql(path, f'SELECT * FROM "{first.table}" WHERE rowid = ?',
                                                (first.row_id,))[0]


def test_teams_cannot_use_the_ground_truth(path):
    with pytest.raises(DatabaseError, match="for facilitators"):
        resident_journey(Catalog(path), 1)


def _exact_by_pandas(path, table, last_col, birth_col, fmt, last, birth, full_name=False):
    """The plain way: fold the names, parse the department's dates, join on both."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        frame = pd.read_sql_query(f'SELECT rowid AS row_id, "{last_col}" AS name, "{birth_col}" AS birth '
                                  f'FROM "{table}"', conn)
    surname = frame["name"].map(lambda v: fold(str(v).split(",")[0]) if full_name and "," in str(v)
                                else (fold(v).split() or [""])[-1] if full_name else fold(v))
    births = pd.to_datetime(frame["birth"], format=fmt, errors="coerce").dt.strftime("%Y-%m-%d")
    return set(frame.loc[(surname == fold(last)) & (births == birth), "row_id"])


def test_the_search_finds_what_a_plain_pandas_join_finds(path, facilitator, resident):
    card = resident_card(facilitator, resident)
    hits = search_residents(Catalog(path), card["first_name"], card["last_name"], card["birth_date"])
    exact = {(h.table, h.row_id) for h in hits if h.match == EXACT}
    expected = set()
    for table, last, birth, fmt, full in (("ph_home_health_clients", "last_name", "birth_date", "%Y-%m-%d", False),
                                          ("oem_medical_needs_registry", "full_name", "birth_date", "%m/%d/%Y", True),
                                          ("dss_meal_delivery_clients", "client_name", "birth_date", "%m/%d/%Y", True),
                                          ("public_voter_roll", "full_name", "birth_date", "%Y-%m-%d", True)):
        expected |= {(table, r) for r in _exact_by_pandas(path, table, last, birth, fmt, card["last_name"],
                                                          card["birth_date"], full)}
    assert exact == expected and exact
    truth = set(_sql(path, "SELECT table_name, row_id FROM _ground_truth WHERE resident_id = ?", (resident,)))
    assert {(h.table, h.row_id) for h in hits} & truth  # linkage finds at least some of the truth …
    no_birth = [h for h in hits if "records no birth date" in h.match]
    assert all(h.table in ("power_medical_baseline_accounts", "s311_service_requests") for h in no_birth)


def test_near_misses_have_their_reasons():
    assert one_letter_apart("SMITH", "SMYTH") and one_letter_apart("SMITH", "SMITHS")
    assert not one_letter_apart("SMITH", "SMITH") and not one_letter_apart("SMITH", "JONES")
    assert swapped("1936-03-11") == "1936-11-03" and swapped("1962-09-22") == ""
    assert iso_date("03/11/1936", "%m/%d/%Y") == "1936-03-11" and iso_date("13/45/1936", "%m/%d/%Y") == ""
    assert fold("Peña-Núñez, José") == "PENA NUNEZ JOSE"


def test_each_record_says_where_agreements_let_it_flow(facilitator, resident):
    records = {r.table: r for r in resident_journey(facilitator, resident)}
    for record in records.values():
        if record.table == "public_voter_roll" or record.table == "s311_service_requests":
            assert record.flows == []
        else:
            (flow,) = record.flows
            assert flow.purposes == ["emergency_welfare_check", "emergency_planning"]
            assert record.department not in flow.to and len(flow.to) == 3
    health = records.get("ph_home_health_clients")
    if health is not None:
        assert {"mental_health_dx", "nurse_notes"} <= set(health.flows[0].excluded_fields)


def test_the_agreement_map_joins_each_agreements_parties(path):
    city = agreement_map(Catalog(path))
    assert set(city.departments) == {"oem", "health", "power", "dss", "three11"}
    assert city.departments["three11"] == "311 Customer Service Center"
    (mou,) = city.agreements
    assert mou.parties == ["oem", "health", "power", "dss"] and "mental_health" in mou.prohibited_categories


def _split_full_name(value) -> tuple[str, str]:
    """The per-value reading of a full name the column version must agree with: 'LAST, FIRST' or 'First Last'."""
    from sandbox_app.explore.journey import _missing, fold

    if _missing(value):
        return "", ""
    text = str(value)
    if "," in text:
        last, first = text.split(",", 1)
        return fold(first), fold(last)
    words = fold(text).split()
    return (words[0], words[-1]) if words else ("", "")


def test_the_column_fold_and_fast_date_reading_agree_with_the_plain_ones():
    import datetime
    import random

    import pandas as pd
    import pyarrow as pa

    from sandbox_app.explore.journey import fold, fold_column, iso_date

    assert fold(pd.NA) == fold(None) == fold(float("nan")) == "" and _split_full_name(pd.NA) == ("", "")
    rng = random.Random(3)
    alphabet = "abcdeXYZ ,.-'0123456789éÅñøß\t"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20))) for _ in range(5_000)]
    assert fold_column(pa.array(texts, type=pa.string())).to_pylist() == [fold(t) for t in texts]
    formats = ["%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%Y%m%d", "%d.%m.%Y", "%b %d %Y"]
    for _ in range(5_000):
        fmt = rng.choice(formats)
        day = datetime.date(1900, 1, 1) + datetime.timedelta(days=rng.randint(0, 60_000))
        text = day.strftime(fmt)
        if rng.random() < 0.3:  # a defect: a changed digit, a swapped day and month, an unpadded month
            text = rng.choice([text[:-1] + rng.choice("0123456789"), text.replace("0", "", 1), text[::-1],
                               text.replace("-", "/"), "13/32/2020", ""])
        try:
            expected = datetime.datetime.strptime(text, fmt).date().isoformat() if text else ""
        except ValueError:
            expected = ""
        assert iso_date(text, fmt) == expected, (text, fmt)


def test_the_column_fold_and_name_split_agree_with_the_per_value_ones():
    import random

    import pandas as pd

    from sandbox_app.explore.journey import _names, fold

    rng = random.Random(11)
    alphabet = "abcdeXYZ ,.-'0123456789éÅñøßÇ\t"
    values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24))) for _ in range(3_000)]
    values += [None, float("nan"), pd.NA, "SMITH, JOHN", "Mary Ann  O'Neil", ",", "  ,  x", 12345]
    frame = pd.DataFrame({"full": values, "last": values, "first": values[::-1]})
    first, last = _names(frame, {"full_name": "full"})
    assert list(zip(first, last, strict=True)) == [_split_full_name(v if not isinstance(v, int) else str(v))
                                                   for v in values]
    first, last = _names(frame, {"first_name": "first", "last_name": "last"})
    assert list(last) == [fold(v) for v in values] and list(first) == [fold(v) for v in values[::-1]]
