"""Approved extracts: `city-sandbox extract` writes what the recipient gets only when the engine approves the
share, as CSV/Parquet with a datapackage.json or as a SQLite file the explorer opens, and the data dictionary
says where every column comes from, what was done to it and how sensitive it is."""

from __future__ import annotations

import contextlib
import json
import sqlite3

import pandas as pd
import pytest
from cityfixture import small_city

from sandbox_app.cli import main
from sandbox_app.explore.approved_extract import extract_columns, write_approved_extract
from sandbox_app.explore.catalog import APPROVED_EXTRACT, Catalog
from sandbox_app.explore.sql import ReadOnlyDatabase
from sandbox_app.privacy.score import score_share
from sandbox_app.scenario.loader import load_scenario
from sandbox_app.sharing.apply import apply_share
from sandbox_app.sharing.database import CityDatabase
from sandbox_app.sharing.document import load_share

MODEL = "winter-storm/welfare-checks.model.json"


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    return small_city(tmp_path_factory)


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("winter-storm")


@pytest.fixture(scope="module")
def approved(path, scenario):
    """The model answer's report on the small city (approved there)."""
    share = load_share(scenario._source.parent / MODEL)
    with contextlib.closing(CityDatabase(path)) as db:
        report = score_share(db, scenario, "welfare-checks", share)
    assert report.verdict == "approve"
    return report


def _extract(*args):
    return main(["extract", "winter-storm", *args])


def test_csv_with_its_datapackage_round_trips_what_the_recipient_gets(path, approved, tmp_path, capsys):
    out = tmp_path / "for-oem"
    assert _extract("welfare-checks", MODEL, "--db", str(path), "--out", str(out)) == 0
    frame = approved.extract.frame
    assert f"wrote {len(frame):,} rows to {out / 'welfare-checks.csv'}" in capsys.readouterr().out
    back = pd.read_csv(out / "welfare-checks.csv", dtype=str, keep_default_na=False)
    expected = frame.astype(object).where(frame.notna(), "").astype(str)
    assert back.columns.tolist() == frame.columns.tolist() and back.equals(expected.reset_index(drop=True))
    package = json.loads((out / "datapackage.json").read_text())
    (resource,) = package["resources"]
    fields = resource["schema"]["fields"]
    assert [f["name"] for f in fields] == frame.columns.tolist()
    assert all(f["description"] and f["sensitivity"] in ("public", "internal", "confidential", "restricted")
               for f in fields)
    assert resource["description"] == "Approved extract for welfare-checks (winter-storm)"
    assert not {"rowid", "resident_id", "row_id"} & set(back.columns)


def test_parquet_carries_the_dictionary_in_its_schema(path, tmp_path):
    import pyarrow.parquet as pq

    out = tmp_path / "pq"
    assert _extract("welfare-checks", MODEL, "--db", str(path), "--out", str(out), "--format", "parquet") == 0
    table = pq.read_table(out / "welfare-checks.parquet")
    meta = {f.name: {k.decode(): v.decode() for k, v in (f.metadata or {}).items()} for f in table.schema}
    assert meta["equipment"]["category"] == "health" and meta["equipment"]["sensitivity"] == "restricted"


def test_a_sqlite_extract_opens_in_the_explorer_with_its_dictionary(qtbot, path, scenario, approved, tmp_path):
    target = tmp_path / "extract.db"
    assert _extract("welfare-checks", MODEL, "--db", str(path), "--out", str(target), "--format", "sqlite") == 0
    catalog = Catalog(target)
    (table,) = catalog.tables
    assert table.name == "welfare_checks" and table.rows == len(approved.extract.frame)
    assert table.department == scenario.exercise("welfare-checks").holding_department  # the sender
    assert catalog.meta["copy"] == APPROVED_EXTRACT and catalog.meta["exercise"] == "welfare-checks"
    assert [c.name for c in table.columns] == approved.extract.frame.columns.tolist()
    with ReadOnlyDatabase(target) as db:
        rows = db.query("SELECT * FROM welfare_checks").page(10_000)
    assert len(rows) == len(approved.extract.frame)
    with contextlib.closing(sqlite3.connect(target)) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert names == {"welfare_checks", "_data_dictionary", "_meta"}  # nothing else: no truth, no keys
    from sandbox_app.ui.explorer.explorer_view import ExplorerView

    view = ExplorerView(target)
    qtbot.addWidget(view)
    assert "approved extract for welfare-checks" in view.banner.text()
    with qtbot.waitSignal(view.table_view.model.ready, timeout=10_000):
        view.show_table("welfare_checks")
    assert view.table_view.model.rowCount() == len(rows)
    view.shutdown()


def test_a_share_that_is_not_approved_is_refused_and_nothing_is_written(path, tmp_path, capsys):
    out = tmp_path / "out"
    for exercise, share in (("welfare-checks", "winter-storm/welfare-checks.everything.json"),
                            ("warming-centres", "winter-storm/warming-centres.model.json")):  # revise on 3,000
        assert _extract(exercise, share, "--db", str(path), "--out", str(out)) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"not approved for {exercise}" in err and "nothing was written" in err
        assert "city-sandbox score winter-storm" in err and "Traceback" not in err
    assert not out.exists()


def test_an_existing_sqlite_file_is_kept_unless_forced(path, tmp_path, capsys):
    target = tmp_path / "extract.db"
    target.write_bytes(b"keep me")
    assert _extract("welfare-checks", MODEL, "--db", str(path), "--out", str(target), "--format", "sqlite") == 1
    assert "already exists" in capsys.readouterr().err and target.read_bytes() == b"keep me"
    assert _extract("welfare-checks", MODEL, "--db", str(path), "--out", str(target), "--format", "sqlite",
                    "--force") == 0
    assert Catalog(target).tables[0].rows > 0
    assert not list(tmp_path.glob(".*partial*"))


def test_an_aggregate_extract_describes_its_cells_and_derived_columns(path, scenario, tmp_path):
    share = load_share(scenario._source.parent / "winter-storm/warming-centres.model.json")
    with contextlib.closing(CityDatabase(path)) as db:
        extract = apply_share(db, share, holding_department="dss", zip3_populations=scenario.zip3_populations)
    catalog = Catalog(path)
    columns = {c.name: c for c in extract_columns(catalog, extract)}
    assert list(columns) == extract.frame.columns.tolist()
    assert columns["count"].data_type == "integer" and "suppressed" in columns["count"].description
    assert columns["age_75_plus"].description.startswith("Derived from birth_date: years_between(")
    assert columns["age_75_plus"].sensitivity in ("confidential", "restricted")
    assert columns["zip"].description == catalog.table("dss_meal_delivery_clients").column("zip").description
    written = write_approved_extract(catalog, extract, tmp_path / "cells", name="warming centres")
    assert written.name == "warming-centres.csv"
    back = pd.read_csv(written)
    assert back["count"].sum() == extract.frame["count"].sum()
    package = json.loads((tmp_path / "cells" / "datapackage.json").read_text())
    raw = pd.read_csv(written, dtype=str, keep_default_na=False)
    for field in package["resources"][0]["schema"]["fields"]:  # every value is what its Table Schema type says
        values = set(raw[field["name"]]) - {""}
        if field["type"] == "boolean":
            assert values <= set(field["trueValues"]) | set(field["falseValues"]), field["name"]
        elif field["type"] == "integer":
            assert all(v.lstrip("-").isdigit() for v in values), field["name"]
