"""`city-sandbox score | apply | check`, in process: output shapes, exit codes, located errors for bad shares."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from sandbox_app.cli import main
from sandbox_app.scenario import builtin_scenarios
from tests.cityfixture import small_city

SCENARIOS = Path(__file__).parents[1] / "scenarios"
MODEL = SCENARIOS / "winter-storm" / "welfare-checks.model.json"
EVERYTHING = SCENARIOS / "winter-storm" / "welfare-checks.everything.json"


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    return str(small_city(tmp_path_factory))


@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_check_passes_on_every_builtin_scenario(name, capsys):
    """Every model answer approves with both scores >= 90; every known-bad answer gets its expected verdict."""
    code = main(["check", name])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "MISS" not in out


def test_score_json_has_the_documented_shape(db, capsys):
    assert main(["score", "winter-storm", "welfare-checks", str(MODEL), "--db", db, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "approve"
    assert isinstance(data["privacy_score"], int) and isinstance(data["usefulness_score"], int)
    assert data["format"] == "city-sandbox/report@1"
    assert {"records", "k_anonymity", "l_diversity", "unique_records", "records_below_k", "prosecutor_risk_max",
            "reidentified_by_linkage", "identified_tables", "small_cells", "quasi_identifiers",
            "sensitive_attributes", "k_threshold", "risk_threshold", "min_cell_size"} == set(data["metrics"])
    assert data["findings"] == []


def test_score_exit_code_is_1_for_a_rejected_share_with_explained_findings(db, capsys):
    assert main(["score", "winter-storm", "welfare-checks", str(EVERYTHING), "--db", db, "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "reject"
    for f in data["findings"]:
        assert {"rule", "severity", "message", "citation", "fields", "rows", "hint"} <= set(f)
        assert f["severity"] in ("blocker", "major", "minor") and f["message"] and f["citation"]


def test_score_text_report_shows_verdict_and_fix(db, capsys):
    main(["score", "winter-storm", "welfare-checks", str(EVERYTHING), "--db", db])
    out = capsys.readouterr().out
    assert out.startswith("Verdict: REJECT")
    assert "Fix: " in out and "BLOCKER" in out


BAD_SHARES = {
    "bad-json": ('{"format": "city-sandbox/share@1",\n "tables": [}', "JSON syntax"),
    "version": ('{"format": "city-sandbox/share@9", "tables": []}', "share@1"),
    "unknown-op": ('{"format": "city-sandbox/share@1", "scenario": "winter-storm", "exercise": "welfare-checks", '
                   '"purpose": "x", "tables": [{"table": "ph_home_health_clients", '
                   '"fields": {"zip": {"op": "generalise", "to": "zip3"}}}]}', "generalize"),
    "unknown-field": ('{"format": "city-sandbox/share@1", "scenario": "winter-storm", "exercise": "welfare-checks", '
                      '"purpose": "x", "tables": [{"table": "ph_home_health_clients", '
                      '"fields": {"zipp": {"op": "keep"}}}]}', "zipp"),
    "facilitator-table": ('{"format": "city-sandbox/share@1", "scenario": "winter-storm", "exercise": '
                          '"welfare-checks", "purpose": "x", "tables": [{"table": "_residents", '
                          '"fields": {"ssn": {"op": "keep"}}}]}', "_residents"),
    "unknown-table": ('{"format": "city-sandbox/share@1", "scenario": "winter-storm", "exercise": "welfare-checks", '
                      '"purpose": "x", "tables": [{"table": "ph_home_health_client", '
                      '"fields": {"zip": {"op": "keep"}}}]}', "ph_home_health_clients"),
    "wrong-parameter-type": ('{"format": "city-sandbox/share@1", "scenario": "winter-storm", "exercise": '
                             '"welfare-checks", "purpose": "x", "tables": [{"table": "ph_home_health_clients", '
                             '"fields": {"phone": {"op": "mask", "keep_last": "two"}}}]}', "keep_last"),
    "hostile-expression": ('{"format": "city-sandbox/share@1", "scenario": "winter-storm", "exercise": '
                           '"welfare-checks", "purpose": "x", "tables": [{"table": "ph_home_health_clients", '
                           '"where": "__import__(\'os\').system(\'echo hi\')", "fields": {"zip": {"op": "keep"}}}]}',
                           "tables[0].where"),
}


@pytest.mark.parametrize("kind", sorted(BAD_SHARES))
def test_malformed_share_gets_one_located_message_and_exit_2(kind, db, tmp_path, capsys):
    text, expected = BAD_SHARES[kind]
    path = tmp_path / f"{kind}.json"
    path.write_text(text, encoding="utf-8")
    assert main(["score", "winter-storm", "welfare-checks", str(path), "--db", db]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert expected in captured.err
    assert str(path) in captured.err


def test_apply_writes_the_extract_without_truth_columns(db, tmp_path, capsys):
    out = tmp_path / "extract.csv"
    assert main(["apply", "winter-storm", str(MODEL), "--out", str(out), "--db", db]) == 0
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and list(rows[0]) == ["first_name", "last_name", "address", "phone", "equipment"]
    assert all(r["equipment"] != "none" for r in rows)


def test_score_against_a_corrupt_database_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "corrupt.db"
    bad.write_bytes(b"this is not a database" * 100)
    assert main(["score", "winter-storm", "welfare-checks", str(MODEL), "--db", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "corrupt.db" in err


def test_generate_into_a_folder_is_refused_plainly(tmp_path, capsys):
    assert main(["generate", "winter-storm", "--out", str(tmp_path), "--force", "--residents", "50"]) == 1
    err = capsys.readouterr().err
    assert "is a folder" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == [] and not list(tmp_path.parent.glob(".*partial*"))


def test_database_of_another_scenario_is_refused_with_a_hint(db, capsys):
    share = SCENARIOS / "safe-streets" / "collision-pipeline.model.json"
    assert main(["score", "safe-streets", "collision-pipeline", str(share), "--db", db]) == 1
    err = capsys.readouterr().err
    assert "generated from 'winter-storm', not 'safe-streets'" in err


def test_default_command_opens_the_window_on_the_start_screen(tmp_path):
    """`city-sandbox` with no arguments (the README's run command) opens the desktop app; with
    CITY_SANDBOX_QUIT_AFTER_PAINT it quits after the first paint and says how long launch took."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "CITY_SANDBOX_QUIT_AFTER_PAINT": "1",
           "CITY_SANDBOX_DATA": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    done = subprocess.run([sys.executable, "-m", "sandbox_app"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("first paint after ")
    assert "Traceback" not in done.stderr


def test_generate_and_score_never_touch_the_network(monkeypatch, tmp_path, capsys):
    """The sandbox runs offline: any attempt to open a network connection fails this test."""
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError(f"network connection attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    out = tmp_path / "city.db"
    assert main(["generate", "winter-storm", "--out", str(out), "--residents", "2000"]) == 0
    assert main(["score", "winter-storm", "welfare-checks", str(MODEL), "--db", str(out), "--json"]) in (0, 1)
    assert main(["validate", "winter-storm"]) == 0
    capsys.readouterr()
