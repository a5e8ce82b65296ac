"""generate_city(): deterministic, self-describing, with ground truth, cancellable without leftovers."""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from sandbox_app.scenario import load_scenario
from synthetic.categories import CATEGORIES
from synthetic.generate import generate_city
from synthetic.progress import Cancelled
from tests.cityfixture import SMALL_RESIDENTS, small_city

DATA = Path(__file__).parent / "data"
RESIDENTS = SMALL_RESIDENTS
FACILITATOR_TABLES = {"_ground_truth", "_residents", "_meta"}


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("winter-storm")


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    """The session's small winter-storm city (generated once for every test file that reads it)."""
    return small_city(tmp_path_factory)


@pytest.fixture
def db(city):
    conn = sqlite3.connect(f"file:{city}?mode=ro", uri=True)
    yield conn
    conn.close()


def _tables(conn) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]


def _department_tables(scenario) -> list[str]:
    return [t.name for _, t in scenario.tables()]


# ------------------------------------------------------------------------------------------ determinism

def test_same_scenario_and_seed_give_byte_identical_files(scenario, tmp_path):
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    generate_city(scenario, first, residents=RESIDENTS, scenario_name=scenario.name)
    generate_city(scenario, second, residents=RESIDENTS, scenario_name=scenario.name)
    assert first.read_bytes() == second.read_bytes()


def test_different_seed_gives_a_different_city(scenario, city, tmp_path):
    other = tmp_path / "other-seed.db"
    generate_city(scenario.model_copy(update={"seed": scenario.seed + 1}), other, residents=RESIDENTS,
                  scenario_name=scenario.name)
    assert other.read_bytes() != city.read_bytes()
    with sqlite3.connect(other) as a, sqlite3.connect(city) as b:
        query = "SELECT first_name, last_name, birth_date FROM _residents ORDER BY resident_id"
        assert a.execute(query).fetchall() != b.execute(query).fetchall()


def test_residents_override_sets_the_population_size(scenario, db):
    assert scenario.city.residents != RESIDENTS
    assert db.execute("SELECT count(*), min(resident_id), max(resident_id) FROM _residents").fetchone() == (
        RESIDENTS, 1, RESIDENTS)
    assert dict(db.execute("SELECT key, value FROM _meta"))["residents"] == str(RESIDENTS)


def test_result_counts_match_the_tables_written(scenario, tmp_path):
    result = generate_city(scenario, tmp_path / "c.db", residents=2000)
    assert result.residents == 2000
    assert result.database == tmp_path / "c.db"
    assert set(result.tables) == {*_department_tables(scenario), scenario.public_reference.table}
    with sqlite3.connect(result.database) as conn:
        for table, rows in result.tables.items():
            assert conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] == rows, table


def test_meta_records_how_the_city_was_made(scenario, db):
    meta = dict(db.execute("SELECT key, value FROM _meta"))
    assert meta["scenario"] == "winter-storm"
    assert meta["seed"] == str(scenario.seed)
    assert meta["reference_date"] == scenario.reference_date.isoformat()
    assert re.fullmatch(r"[0-9a-f]{64}", meta["pseudonym_key"])
    assert meta["generator_version"]


# ----------------------------------------------------------------------------------------- the dictionary

def test_every_table_is_a_department_table_or_a_documented_special_table(scenario, db):
    expected = {*_department_tables(scenario), scenario.public_reference.table,
                "_residents", "_ground_truth", "_meta", "_data_dictionary"}
    assert set(_tables(db)) == expected


def test_data_dictionary_describes_every_column_of_every_table(db):
    described: dict[str, list[str]] = {}
    for table, column in db.execute("SELECT table_name, column_name FROM _data_dictionary ORDER BY rowid"):
        described.setdefault(table, []).append(column)
    actual = {t: [row[1] for row in db.execute(f'PRAGMA table_info("{t}")')] for t in _tables(db)}
    assert described == actual


def test_data_dictionary_has_one_row_per_column(db):
    dupes = db.execute("SELECT table_name, column_name, count(*) FROM _data_dictionary "
                       "GROUP BY 1, 2 HAVING count(*) > 1").fetchall()
    assert dupes == []


def test_data_dictionary_categories_and_sensitivities_are_known(db):
    rows = db.execute("SELECT table_name, column_name, category, sensitivity FROM _data_dictionary").fetchall()
    unknown = [r for r in rows if r[2] not in CATEGORIES]
    assert unknown == []
    wrong_level = [r for r in rows if r[3] != CATEGORIES[r[2]]]
    assert wrong_level == []


def test_data_dictionary_uses_each_fields_declared_or_builtin_category(scenario, db):
    got = {(t, c): cat for t, c, cat in db.execute("SELECT table_name, column_name, category FROM _data_dictionary")}
    for _, table in scenario.tables():
        for field in table.fields:
            assert got[(table.name, field.name)] == scenario.field_category(field), (table.name, field.name)


def test_data_dictionary_gives_resident_attributes_their_declared_category_and_unit(scenario, db):
    got = {c: (cat, unit) for c, cat, unit in db.execute(
        "SELECT column_name, category, unit FROM _data_dictionary WHERE table_name = '_residents'")}
    for attr in scenario.population.attributes:
        assert got[attr.name] == (attr.category, attr.unit), attr.name


def test_data_dictionary_gives_date_columns_a_format(db):
    rows = db.execute("SELECT table_name, column_name, format FROM _data_dictionary WHERE data_type = 'date'").fetchall()
    assert rows
    assert [r for r in rows if "%d" not in r[2] or ("%Y" not in r[2] and "%y" not in r[2])] == []
    others = db.execute("SELECT count(*) FROM _data_dictionary WHERE data_type != 'date' AND format != ''").fetchone()
    assert others == (0,)


def test_facilitator_only_tables_are_flagged(db):
    flagged = {t for t, f in db.execute("SELECT DISTINCT table_name, facilitator_only FROM _data_dictionary") if f}
    assert flagged == FACILITATOR_TABLES
    mixed = db.execute("SELECT table_name FROM _data_dictionary GROUP BY table_name "
                       "HAVING min(facilitator_only) != max(facilitator_only)").fetchall()
    assert mixed == []
    departments = dict(db.execute("SELECT DISTINCT table_name, department FROM _data_dictionary"))
    assert {departments[t] for t in FACILITATOR_TABLES} == {"facilitator"}
    assert departments["public_voter_roll"] == "public"


def test_department_tables_are_attributed_to_their_department(scenario, db):
    departments = dict(db.execute("SELECT DISTINCT table_name, department FROM _data_dictionary"))
    for dept, table in scenario.tables():
        assert departments[table.name] == dept.id


# ----------------------------------------------------------------------------------------- ground truth

def test_ground_truth_has_exactly_one_row_per_department_and_voter_roll_row(scenario, db):
    for table in [*_department_tables(scenario), scenario.public_reference.table]:
        rowids = [r[0] for r in db.execute(f'SELECT rowid FROM "{table}" ORDER BY rowid')]
        truth = [r[0] for r in db.execute("SELECT row_id FROM _ground_truth WHERE table_name = ? ORDER BY row_id",
                                          (table,))]
        assert rowids, table
        assert truth == rowids, table


def test_ground_truth_covers_no_other_tables(scenario, db):
    tables = {r[0] for r in db.execute("SELECT DISTINCT table_name FROM _ground_truth")}
    assert tables == {*_department_tables(scenario), scenario.public_reference.table}


def test_every_ground_truth_resident_exists(db):
    orphans = db.execute("SELECT count(*) FROM _ground_truth g LEFT JOIN _residents r USING (resident_id) "
                         "WHERE r.resident_id IS NULL").fetchone()
    assert orphans == (0,)


def test_voter_roll_rows_match_their_true_resident(db):
    roll = pd.read_sql("SELECT rowid AS row_id, full_name, birth_date, sex, zip FROM public_voter_roll", db)
    truth = pd.read_sql("SELECT row_id, resident_id FROM _ground_truth WHERE table_name = 'public_voter_roll'", db)
    residents = pd.read_sql("SELECT resident_id, first_name || ' ' || last_name AS full_name, birth_date, sex, zip "
                            "FROM _residents", db)
    merged = roll.merge(truth, on="row_id", validate="1:1").merge(residents, on="resident_id", validate="m:1",
                                                                   suffixes=("", "_true"))
    assert len(merged) == len(roll) > 0
    for column in ("full_name", "birth_date", "sex", "zip"):
        assert (merged[column] == merged[f"{column}_true"]).all(), column


# ------------------------------------------------------------------------------------ progress and cancel

class Recorder:
    """A TaskState that records progress and asks to stop after `stop_after` cancellation checks."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.stop_after = stop_after
        self.checks = 0
        self.fractions: list[float] = []

    def set_progress(self, fraction: float, status: str = "") -> None:
        self.fractions.append(fraction)

    def is_cancelled(self) -> bool:
        self.checks += 1
        return self.stop_after is not None and self.checks > self.stop_after


@pytest.mark.parametrize("stop_after", [0, 3, 6])
def test_cancelled_generation_leaves_no_file_behind(scenario, tmp_path, stop_after):
    folder = tmp_path / "out"
    folder.mkdir()
    state = Recorder(stop_after)
    with pytest.raises(Cancelled):
        generate_city(scenario, folder / "city.db", residents=2000, state=state)
    assert state.checks == stop_after + 1
    assert os.listdir(folder) == []


def test_cancelled_generation_leaves_an_existing_database_untouched(scenario, tmp_path):
    target = tmp_path / "city.db"
    target.write_bytes(b"previous contents")
    with pytest.raises(Cancelled):
        generate_city(scenario, target, residents=2000, state=Recorder(4))
    assert target.read_bytes() == b"previous contents"
    assert sorted(os.listdir(tmp_path)) == ["city.db"]


def test_progress_never_goes_backwards_and_ends_at_one(scenario, tmp_path):
    state = Recorder()
    generate_city(scenario, tmp_path / "city.db", residents=2000, state=state)
    assert len(state.fractions) > 3
    assert all(0.0 <= f <= 1.0 for f in state.fractions)
    assert state.fractions == sorted(state.fractions)
    assert state.fractions[-1] == 1.0
    assert os.listdir(tmp_path) == ["city.db"]


def test_small_fixture_city_generates(tmp_path):
    scenario = load_scenario(DATA / "small-city.yaml")
    result = generate_city(scenario, tmp_path / "small.db")
    assert result.residents == 2000
    assert set(result.tables) == {"clinic_patients", "oem_registry"}
    assert all(rows > 0 for rows in result.tables.values())
