"""Row counts stored at generation, the catalogue (never a count(*) on open), exports with a datapackage.json,
and the participant-safe copy."""

from __future__ import annotations

import contextlib
import csv
import json
import shutil
import sqlite3

import pandas as pd
import pytest
from cityfixture import small_city

from sandbox_app.cli import main
from sandbox_app.errors import DatabaseError
from sandbox_app.explore import catalog as catalog_module
from sandbox_app.explore.catalog import Catalog
from sandbox_app.explore.export import ExportError, export_query, export_table
from sandbox_app.explore.participant_copy import participant_copy
from sandbox_app.explore.sql import QueryError, ReadOnlyDatabase

ROLL = "public_voter_roll"
HEALTH = "ph_home_health_clients"


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    return small_city(tmp_path_factory)


@pytest.fixture(scope="module")
def catalog(path):
    return Catalog(path)


def _sql(path, query, params=()):
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(query, params).fetchall()


# ------------------------------------------------------------------------------------ row counts, catalogue

def test_generation_stores_every_tables_row_count(path):
    stored = json.loads(dict(_sql(path, "SELECT key, value FROM _meta"))["row_counts"])
    tables = [r[0] for r in _sql(path, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert set(stored) == set(tables)
    for table in tables:
        assert stored[table] == _sql(path, f'SELECT count(*) FROM "{table}"')[0][0], table


def test_the_catalogue_never_counts_rows_on_open(path, monkeypatch):
    statements: list[str] = []
    opener = catalog_module.open_read_only

    def traced(p):
        conn = opener(p)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(catalog_module, "open_read_only", traced)
    opened = Catalog(path)
    assert opened.counts_stored and statements
    assert not [s for s in statements if "count(" in s.lower() or "max(rowid)" in s.lower()]
    assert opened.table(ROLL).rows == _sql(path, f"SELECT count(*) FROM {ROLL}")[0][0]


def test_without_stored_counts_the_catalogue_asks_max_rowid(path, tmp_path):
    old = tmp_path / "old.db"
    shutil.copy(path, old)
    with contextlib.closing(sqlite3.connect(old)) as conn:
        conn.execute("DELETE FROM _meta WHERE key = 'row_counts'")
        conn.commit()
    opened = Catalog(old, facilitator=True)
    assert not opened.counts_stored
    assert opened.table(HEALTH).rows == _sql(old, f"SELECT count(*) FROM {HEALTH}")[0][0]
    assert opened.table("_ground_truth").rows is None  # WITHOUT ROWID: unknown rather than a scan


def test_the_catalogue_hides_the_answer_key_unless_facilitator(path, catalog):
    visible = {t.name for t in catalog.tables}
    assert {ROLL, HEALTH, "_data_dictionary"} <= visible
    assert not visible & {"_residents", "_ground_truth", "_meta"}
    assert {"_residents", "_ground_truth", "_meta"} <= {t.name for t in Catalog(path, facilitator=True).tables}
    with pytest.raises(DatabaseError, match="no table '_residents' in this city for datathon teams"):
        catalog.table("_residents")
    assert "health" in catalog.departments() and catalog.departments()["public"][0].name == ROLL
    assert catalog.department_name("health") == "Department of Public Health"
    assert catalog.department_name("public") == "Public records"


def test_search_finds_names_and_descriptions(catalog):
    hits = catalog.search("BIRTH")
    assert {(h.table, h.column) for h in hits} >= {(ROLL, "birth_date"), (HEALTH, "birth_date")}
    assert all(h.table != "_residents" for h in hits)
    assert {h.table for h in catalog.search("voter_roll") if h.column is None} == {ROLL}
    assert catalog.search("   ") == []


def test_a_table_is_as_sensitive_as_its_most_sensitive_column(catalog):
    roll = catalog.table(ROLL)
    assert roll.column("full_name").sensitivity == "restricted" and roll.sensitivity == "restricted"


# ---------------------------------------------------------------------------------------------- exports

def test_csv_export_round_trips_with_its_schema(path, catalog, tmp_path):
    target = export_table(catalog, HEALTH, tmp_path)
    package = json.loads((tmp_path / "datapackage.json").read_text())
    (resource,) = package["resources"]
    assert resource["path"] == target.name and resource["format"] == "csv"
    fields = resource["schema"]["fields"]
    info = catalog.table(HEALTH)
    assert [f["name"] for f in fields] == [c.name for c in info.columns]
    for f, c in zip(fields, info.columns, strict=True):
        assert f["description"] == c.description and f["category"] == c.category
        assert f["sensitivity"] == c.sensitivity
    with open(target, encoding="utf-8", newline="") as handle:
        written = list(csv.reader(handle))
    original = _sql(path, f"SELECT * FROM {HEALTH} ORDER BY rowid")
    assert written[0] == [c.name for c in info.columns] and len(written) - 1 == len(original) == info.rows
    assert written[1:] == [["" if v is None else str(v) for v in row] for row in original]
    typed = pd.read_csv(target, dtype={f["name"]: "Int64" for f in fields if f["type"] in ("integer", "boolean")})
    assert len(typed.select_dtypes("Int64").columns) == sum(f["type"] in ("integer", "boolean") for f in fields)


def test_parquet_export_carries_the_dictionary_in_both_places(path, catalog, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow is the optional 'parquet' extra")
    target = export_table(catalog, ROLL, tmp_path, "parquet")
    table = pq.read_table(target)
    assert table.num_rows == catalog.table(ROLL).rows
    assert table.column("voter_id").to_pylist() == [r[0] for r in _sql(path, f"SELECT voter_id FROM {ROLL} "
                                                                             "ORDER BY rowid")]
    meta = table.schema.field("full_name").metadata
    assert meta[b"sensitivity"] == b"restricted" and meta[b"category"] == b"direct_identifier"
    resource = json.loads((tmp_path / "datapackage.json").read_text())["resources"][0]
    assert resource["mediatype"] == "application/vnd.apache.parquet"


def test_query_export_takes_dictionary_entries_for_known_columns(catalog, tmp_path):
    target = export_query(catalog, "SELECT zip, count(*) AS requests FROM s311_service_requests GROUP BY zip",
                          tmp_path, name="by zip")
    assert target.name == "by-zip.csv"
    fields = json.loads((tmp_path / "datapackage.json").read_text())["resources"][0]["schema"]["fields"]
    assert fields[0]["name"] == "zip" and fields[0]["category"] == "quasi_identifier"
    assert fields[1] == {"name": "requests", "type": "integer", "description": "Computed by the query"}
    frame = pd.read_csv(target, dtype={"zip": "string"})
    assert frame["requests"].sum() == catalog.table("s311_service_requests").rows


def test_exports_into_one_folder_share_one_package(catalog, tmp_path):
    export_table(catalog, ROLL, tmp_path / "new")  # a new folder is made (its parent exists)
    assert (tmp_path / "new" / f"{ROLL}.csv").exists()
    export_table(catalog, ROLL, tmp_path)
    export_table(catalog, HEALTH, tmp_path)
    export_table(catalog, ROLL, tmp_path)  # again: replaced, not duplicated
    names = [r["name"] for r in json.loads((tmp_path / "datapackage.json").read_text())["resources"]]
    assert names == [HEALTH, ROLL]
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name]


def test_export_refusals_are_plain(catalog, tmp_path):
    with pytest.raises(DatabaseError, match="for datathon teams"):
        export_table(catalog, "_residents", tmp_path)
    with pytest.raises(ExportError, match="no such folder"):
        export_table(catalog, ROLL, tmp_path / "missing" / "folder")
    with pytest.raises(QueryError, match="DELETE is not allowed"):
        export_query(catalog, f"DELETE FROM {ROLL}", tmp_path)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------ participant copy

def test_the_participant_copy_holds_no_answer_key(path, tmp_path):
    out = participant_copy(path, tmp_path / "teams.db")
    tables = {r[0] for r in _sql(out, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert not tables & {"_residents", "_ground_truth"}
    assert {ROLL, HEALTH, "_data_dictionary", "_meta"} <= tables
    meta = dict(_sql(out, "SELECT key, value FROM _meta"))
    assert meta["copy"] == "participants" and "pseudonym_key" not in meta and "seed" not in meta
    secret = dict(_sql(path, "SELECT key, value FROM _meta"))["pseudonym_key"]
    assert secret.encode() not in out.read_bytes()
    described = {r[0] for r in _sql(out, "SELECT DISTINCT table_name FROM _data_dictionary")}
    assert described == tables
    assert _sql(out, "SELECT count(*) FROM _data_dictionary WHERE facilitator_only = 1") == [(0,)]
    assert _sql(out, f"SELECT rowid, * FROM {HEALTH} ORDER BY rowid") == _sql(
        path, f"SELECT rowid, * FROM {HEALTH} ORDER BY rowid")
    counts = json.loads(meta["row_counts"])
    assert counts == {t: _sql(out, f'SELECT count(*) FROM "{t}"')[0][0] for t in tables}


def test_teams_can_read_the_copys_meta_but_it_has_no_secret(path, tmp_path):
    out = participant_copy(path, tmp_path / "teams.db")
    with ReadOnlyDatabase(out) as db:
        rows = dict(db.query("SELECT key, value FROM _meta").page())
    assert rows["copy"] == "participants"
    assert "_meta" in {t.name for t in Catalog(out).tables}


def test_the_participant_copy_refuses_to_overwrite_without_force(path, tmp_path, capsys):
    out = tmp_path / "teams.db"
    out.write_text("someone's work")
    assert main(["export", str(path), "--participants", "--out", str(out)]) == 1
    assert "already exists (use --force to replace it)" in capsys.readouterr().err
    assert out.read_text() == "someone's work"
    assert main(["export", str(path), "--participants", "--out", str(out), "--force"]) == 0
    assert "participant-safe copy" in capsys.readouterr().out
    assert _sql(out, "SELECT value FROM _meta WHERE key = 'copy'") == [("participants",)]
    with pytest.raises(ExportError, match="is the database being copied"):
        participant_copy(out, out, force=True)


def test_cli_exports_tables_and_a_query(path, tmp_path, capsys):
    assert main(["export", str(path), "--table", ROLL, "--query", "SELECT 1 AS one", "--name", "one",
                 "--out", str(tmp_path)]) == 0
    assert {p.name for p in tmp_path.iterdir()} == {f"{ROLL}.csv", "one.csv", "datapackage.json"}
    capsys.readouterr()
    with pytest.raises(SystemExit) as caught:
        main(["export", str(path), "--out", str(tmp_path)])
    assert caught.value.code == 2
    assert "say what to export" in capsys.readouterr().err
