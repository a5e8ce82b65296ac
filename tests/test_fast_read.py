"""The fast column reader (sharing/fast_read.py) gives exactly what pd.read_sql_query gives, and steps aside
for anything it cannot read exactly; the keyed pseudonym's fast HMAC is the standard one."""

from __future__ import annotations

import hmac
import sqlite3

import pandas as pd
import pytest

from sandbox_app.sharing import database
from sandbox_app.sharing.database import CityDatabase
from sandbox_app.sharing.fast_read import read_columns
from sandbox_app.sharing.transforms import hmac_sha256_hex16
from tests.cityfixture import small_city


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    return small_city(tmp_path_factory)


def _slow(monkeypatch, path):
    monkeypatch.setattr(database, "read_columns", lambda *a, **k: None)
    return CityDatabase(path)


def test_every_table_reads_the_same_both_ways(path, monkeypatch):
    fast = CityDatabase(path)
    tables = fast.tables() + ["_residents"]
    got = {t: fast.read_table(t) for t in tables}
    truth = {t: fast.truth(t) for t in fast.tables()}
    residents = fast.residents(["zip", "age", "sex"])
    slow = _slow(monkeypatch, path)
    for table in tables:
        pd.testing.assert_frame_equal(got[table], slow.read_table(table))
    for table in truth:
        pd.testing.assert_series_equal(truth[table], slow.truth(table))
    pd.testing.assert_frame_equal(residents, slow.residents(["zip", "age", "sex"]))


def test_nulls_and_columns_read_a_few_at_a_time(path, monkeypatch):
    fast = CityDatabase(path)
    first = fast.read_table("ph_home_health_clients", ["birth_date"])  # has nulls (the department's defects)
    assert first["birth_date"].isna().any()
    both = fast.read_table("ph_home_health_clients", ["birth_date", "zip"])
    slow = _slow(monkeypatch, path)
    pd.testing.assert_frame_equal(both, slow.read_table("ph_home_health_clients", ["birth_date", "zip"]))


def _table(rows: list[tuple]) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (a TEXT, n INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", rows)
    return conn


def test_integers_with_nulls_are_floats_as_read_sql_gives_them():
    conn = _table([("x", 1), (None, None), ("z", 3)])
    fast = read_columns(conn, "t", "rowid", [("a", "TEXT"), ("n", "INTEGER")])
    slow = pd.read_sql_query("SELECT a, n FROM t ORDER BY rowid", conn)
    pd.testing.assert_series_equal(fast["n"], slow["n"])
    pd.testing.assert_series_equal(fast["a"], slow["a"])


@pytest.mark.parametrize("rows", [
    [("a\x1fb", 1), ("c", 2)],          # the separator inside a value
    [("\x1e", 1), ("c", 2)],            # the null mark as a value
    [("a", 1), ("b", "two")],           # text kept in an INTEGER column
    [("a", 1), ("b", 2.5)],             # a real in an INTEGER column
    [],                                  # no rows
])
def test_anything_it_cannot_read_exactly_is_left_to_the_ordinary_reader(rows):
    conn = _table(rows)
    assert read_columns(conn, "t", "rowid", [("a", "TEXT"), ("n", "INTEGER")]) is None


def test_rows_out_of_key_order_are_left_to_the_ordinary_reader():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE g (k INTEGER, v TEXT)")
    conn.executemany("INSERT INTO g VALUES (?, ?)", [(3, "c"), (1, "a"), (2, "b")])
    assert read_columns(conn, "g", "k", [("v", "TEXT")]) is None
    assert read_columns(conn, "g", "rowid", [("v", "TEXT")])["v"].tolist() == ["c", "a", "b"]
    assert read_columns(conn, "g", "rowid", [("k", "REAL")]) is None  # reals: never by text


@pytest.mark.parametrize("key", [b"short key", bytes(range(64)), bytes(range(200))])
def test_the_fast_hmac_is_hmac_sha256(key):
    texts = ["P00000001", "", "ÅSA ÖBERG", "x" * 500]
    assert hmac_sha256_hex16(key, texts) == [hmac.digest(key, t.encode(), "sha256").hex()[:16] for t in texts]
