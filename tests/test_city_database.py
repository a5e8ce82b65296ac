"""CityDatabase: read-only access to a generated city, cached reads, and plain errors for bad files."""

import hashlib
import os
import sqlite3
import threading

import pytest
from cityfixture import small_city

from sandbox_app.errors import DatabaseError
from sandbox_app.sharing.database import ROW_ID, CityDatabase

HEALTH = "ph_home_health_clients"


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    return small_city(tmp_path_factory)


@pytest.fixture(scope="module")
def db(path):
    with CityDatabase(path) as opened:
        yield opened


def database_error(path) -> str:
    with pytest.raises(DatabaseError) as caught:
        CityDatabase(path)
    assert len(caught.value.problems) == 1
    return str(caught.value)


def test_meta_and_dictionary(db):
    assert db.meta["scenario"] == "winter-storm"
    assert len(bytes.fromhex(db.meta["pseudonym_key"])) == 32
    assert {"table_name", "column_name", "category", "semantic", "data_type", "format"} <= set(db.dictionary.columns)


def test_tables_hide_facilitator_tables_unless_asked(db):
    tables = db.tables()
    assert HEALTH in tables and "public_voter_roll" in tables
    assert not [t for t in tables if t.startswith("_")]
    everything = db.tables(include_facilitator=True)
    assert {"_ground_truth", "_residents", "_meta"} <= set(everything)
    assert "_data_dictionary" not in everything


def test_columns_and_column_info(db):
    assert db.columns(HEALTH)[:3] == ["mrn", "first_name", "last_name"]
    info = db.column_info(HEALTH, "birth_date")
    assert (info["data_type"], info["format"], info["semantic"], info["category"]) == \
        ("date", "%Y-%m-%d", "birth_date", "quasi_identifier")
    assert db.department_of(HEALTH) == "health"
    assert db.reference_table() == "public_voter_roll"


def test_unknown_table_and_column_suggest_the_closest(db):
    with pytest.raises(DatabaseError, match="did you mean 'ph_home_health_clients'"):
        db.columns("ph_home_health_client")
    with pytest.raises(DatabaseError, match="did you mean 'birth_date'"):
        db.column_info(HEALTH, "birthdate")


def test_read_table_has_row_ids_in_order_and_typed_columns(db):
    frame = db.read_table(HEALTH)
    assert list(frame.columns) == [ROW_ID, *db.columns(HEALTH)]
    assert frame[ROW_ID].tolist() == list(range(1, len(frame) + 1))
    assert str(frame["medicaid_id_on_file"].dtype) in ("int64", "Int64")  # a flag stays whole with nulls
    subset = db.read_table(HEALTH, ["zip", "sex"])
    assert list(subset.columns) == [ROW_ID, "zip", "sex"]


def test_read_table_is_cached(db, monkeypatch):
    db.read_table(HEALTH)

    def no_sql(*args, **kwargs):
        raise AssertionError("read SQLite again")
    monkeypatch.setattr(db, "_read_sql", no_sql)
    assert len(db.read_table(HEALTH)) > 0


def test_writing_to_a_returned_frame_leaves_the_cache_alone(db):
    first = db.read_table(HEALTH)
    original = first.loc[0, "zip"]
    first.loc[0, "zip"] = "99999"
    first["extra"] = 1
    again = db.read_table(HEALTH)
    assert again.loc[0, "zip"] == original and "extra" not in again.columns


def test_truth_maps_every_row_to_a_resident(db):
    truth = db.truth(HEALTH)
    frame = db.read_table(HEALTH)
    assert len(truth) == len(frame)
    assert truth.index.tolist() == frame[ROW_ID].tolist()
    residents = db.residents()
    assert truth.isin(residents["resident_id"]).all()


def test_neighbourhood_lookups(db):
    by_zip = db.neighbourhood_of_zip()
    assert by_zip["44101"] == "Riverside" and by_zip["44102"] == "Old Mill"
    centres = db.neighbourhood_centres()
    assert list(centres.columns) == ["neighbourhood", "lat", "lon"]
    assert set(centres["neighbourhood"]) == set(by_zip.values())


def test_the_file_is_never_written(path):
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with CityDatabase(path) as db:
        db.read_table(HEALTH)
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            db._conn.execute(f"DELETE FROM {HEALTH}")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_reads_from_several_threads(path):
    db = CityDatabase(path)
    sizes, errors = [], []

    def read(table):
        try:
            sizes.append(len(db.read_table(table)))
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)
    threads = [threading.Thread(target=read, args=(t,)) for t in db.tables() * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.close()
    assert not errors and len(sizes) == len(threads)


# ------------------------------------------------------------------------------------------ bad files

def test_missing_file(tmp_path):
    message = database_error(tmp_path / "nope.db")
    assert "no such file" in message and "generate" in message


def test_folder(tmp_path):
    assert "is a folder" in database_error(tmp_path)


def test_random_bytes_are_not_a_database(tmp_path):
    path = tmp_path / "random.db"
    path.write_bytes(os.urandom(8192))
    assert "not a SQLite database, or the file is damaged" in database_error(path)


def test_damaged_database(tmp_path, path):
    damaged = tmp_path / "damaged.db"
    data = bytearray(path.read_bytes())
    data[100:4096] = os.urandom(3996)  # the schema page
    damaged.write_bytes(bytes(data))
    assert "damaged" in database_error(damaged)


def test_sqlite_file_that_is_not_a_city(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE people (name TEXT)")
    conn.close()
    message = database_error(path)
    assert "not a generated city" in message and "_data_dictionary" in message


def test_empty_file_is_not_a_city(tmp_path):
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    assert "not a generated city" in database_error(path)


def test_locked_database(tmp_path, path):
    locked = tmp_path / "locked.db"
    locked.write_bytes(path.read_bytes())
    holder = sqlite3.connect(locked, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert "locked by another program" in database_error(locked)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_problem_names_the_file(tmp_path):
    path = tmp_path / "random.db"
    path.write_bytes(b"x" * 4096)
    with pytest.raises(DatabaseError) as caught:
        CityDatabase(path)
    assert caught.value.problems[0].file == str(path)
