"""Result files: build, sign, write atomically, read back; tampering, wrong formats and cut-short files."""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path

import pytest

from sandbox_app import __version__, files
from sandbox_app.errors import ResultError, SandboxError
from sandbox_app.scenario import load_scenario
from sandbox_app.workspace import results
from sandbox_app.workspace.fingerprint import scenario_sha256
from sandbox_app.workspace.results import (
    RESULT_FORMAT,
    build_result,
    check_result,
    read_result,
    result_key,
    sign_result,
    verify_result,
    write_result,
)

DATA = Path(__file__).parent / "data"
SHARE = {"format": "city-sandbox/share@1", "scenario": "small-city", "exercise": "checks",
         "purpose": "emergency_welfare_check", "destroy_by": "2026-12-31",
         "tables": [{"table": "clinic_patients", "fields": {"full_name": {"op": "keep"}}}]}
REPORT = {"exercise": "checks", "verdict": "revise", "privacy_score": 61, "usefulness_score": 88,
          "metrics": {"records": 212, "k_anonymity": None, "prosecutor_risk_max": float("nan")},
          "findings": [{"rule": "minimum_necessary", "severity": "major", "message": "too many fields"}]}


@pytest.fixture
def scenario(tmp_path):
    """small-city loaded from a private copy, so tests may edit the file."""
    path = tmp_path / "small-city.yaml"
    shutil.copy(DATA / "small-city.yaml", path)
    return load_scenario(path)


def _signed(scenario, **extra):
    attempts = [{"number": 1, "verdict": "reject", "privacy_score": 10, "usefulness_score": 90,
                 "submitted_at": "2026-12-01T20:00:00Z", "share_json": json.dumps(SHARE)},
                {"verdict": "revise", "privacy_score": 61, "usefulness_score": 88,
                 "submitted_at": "2026-12-01T20:05:00Z", "share": SHARE, "justification": "fewer fields"}]
    data = build_result(trainee="Ada Trainee", scenario=scenario, exercise_id="checks",
                        share_json=json.dumps(SHARE), report=REPORT, attempts=attempts,
                        justification="only what OEM needs", started_at="2026-12-01T19:55:00Z", **extra)
    return sign_result(data, result_key(scenario, extra.get("pack_id")))


def test_round_trip_keeps_every_field_and_verifies(scenario, tmp_path):
    data = _signed(scenario)
    path = tmp_path / "ada.result.json"
    write_result(path, data)
    back = read_result(path)
    assert back == data
    assert verify_result(back, result_key(scenario))
    check_result(back, scenario, file=str(path))
    assert back["format"] == RESULT_FORMAT and back["app_version"] == __version__
    assert back["trainee"] == "Ada Trainee" and back["exercise"] == "checks"
    assert back["scenario"] == {"name": "small-city", "sha256": scenario_sha256(scenario), "pack_id": None}
    assert back["share"] == SHARE
    assert (back["verdict"], back["privacy_score"], back["usefulness_score"]) == ("revise", 61, 88)
    assert back["report"]["metrics"]["prosecutor_risk_max"] is None  # NaN is not JSON
    assert [a["number"] for a in back["attempts"]] == [1, 2]
    assert back["attempts"][0]["share"] == SHARE and back["attempts"][1]["justification"] == "fewer fields"
    assert back["written_at"].endswith("Z") and back["started_at"] == "2026-12-01T19:55:00Z"


def test_scenario_hash_is_the_file_bytes(scenario):
    import hashlib
    assert scenario_sha256(scenario) == hashlib.sha256(scenario._source.read_bytes()).hexdigest()


@pytest.mark.parametrize("edit", [
    lambda d: d.update(privacy_score=100),
    lambda d: d["report"].update(usefulness_score=100),
    lambda d: d["report"].update(verdict="approve"),
    lambda d: d["share"]["tables"][0]["fields"].update(full_name={"op": "drop"}),
    lambda d: d["attempts"][0].update(verdict="approve"),
    lambda d: d.update(trainee="Someone Else"),
    lambda d: d.pop("justification"),
    lambda d: d.update(extra_field=1),
])
def test_any_edit_breaks_the_signature(scenario, tmp_path, edit):
    data = _signed(scenario)
    path = tmp_path / "r.json"
    write_result(path, data)
    tampered = copy.deepcopy(read_result(path))
    edit(tampered)
    assert not verify_result(tampered, result_key(scenario))
    with pytest.raises(ResultError, match="signature"):
        check_result(tampered, scenario)


def test_hand_edit_of_the_file_text_is_detected(scenario, tmp_path):
    path = tmp_path / "r.json"
    write_result(path, _signed(scenario))
    text = path.read_text()
    assert '"privacy_score": 61' in text
    path.write_text(text.replace('"privacy_score": 61', '"privacy_score": 99'))
    assert not verify_result(read_result(path), result_key(scenario))


def test_unsigned_or_wrong_key_does_not_verify(scenario):
    data = _signed(scenario)
    unsigned = {k: v for k, v in data.items() if k != "signature"}
    assert not verify_result(unsigned, result_key(scenario))
    assert not verify_result(data, result_key(scenario, pack_id="workshop-2026"))
    assert not verify_result(data, b"\0" * 32)


def test_pack_id_changes_the_key(scenario):
    data = _signed(scenario, pack_id="workshop-2026")
    assert data["scenario"]["pack_id"] == "workshop-2026"
    assert verify_result(data, result_key(scenario, "workshop-2026"))
    assert not verify_result(data, result_key(scenario))
    assert result_key(scenario, "a") != result_key(scenario, "b") != result_key(scenario)


def test_a_changed_scenario_file_is_named(scenario, tmp_path):
    data = _signed(scenario)
    path = scenario._source
    path.write_text(path.read_text().replace("Small test city", "Small test city, revised"))
    changed = load_scenario(path)
    assert result_key(changed) != result_key(scenario)
    with pytest.raises(ResultError, match="different version of scenario 'small-city'"):
        check_result(data, changed)


@pytest.mark.parametrize("fmt, message", [
    ("city-sandbox/result@2", "newer version"),
    ("city-sandbox/share@1", "not a city-sandbox result file"),
    ("something-else", "not a city-sandbox result file"),
    (7, "not a city-sandbox result file"),
    ("city-sandbox/result@0", "older format"),
])
def test_wrong_or_future_format_is_one_located_sentence(scenario, tmp_path, fmt, message):
    data = _signed(scenario)
    data["format"] = fmt
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data, indent=2))
    with pytest.raises(ResultError, match=message) as err:
        read_result(path)
    assert str(err.value).startswith(f"{path}:2: format: ")  # "format" is on line 2
    assert isinstance(err.value, SandboxError) and len(err.value.problems) == 1


def test_missing_format_and_missing_keys(scenario, tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"hello": 1}))
    with pytest.raises(ResultError, match="format: missing"):
        read_result(path)
    data = _signed(scenario)
    del data["share"], data["trainee"]
    data["attempts"] = "none"
    path.write_text(json.dumps(data, indent=2))
    with pytest.raises(ResultError) as err:
        read_result(path)
    paths = {p.path: p for p in err.value.problems}
    assert set(paths) == {"share", "trainee", "attempts"}
    assert paths["share"].message == "missing" and paths["attempts"].message == "expected a list"
    assert paths["attempts"].line is not None


def test_truncated_file_says_where_and_that_it_is_cut_short(scenario, tmp_path):
    path = tmp_path / "r.json"
    write_result(path, _signed(scenario))
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    with pytest.raises(ResultError, match="not valid JSON") as err:
        read_result(path)
    problem = err.value.problems[0]
    assert problem.line == text[: len(text) // 2].count("\n") + 1
    assert problem.hint == "the file looks cut short"


@pytest.mark.parametrize("content", [b"", b"\xff\xfe garbage", b"[1, 2, 3]"])
def test_not_json_object(tmp_path, content):
    path = tmp_path / "r.json"
    path.write_bytes(content)
    with pytest.raises(ResultError):
        read_result(path)


def test_too_big_and_missing_files(tmp_path):
    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(results.MAX_RESULT_BYTES + 1)
    with pytest.raises(ResultError, match="larger than 5 MB"):
        read_result(big)
    with pytest.raises(ResultError, match="no such file"):
        read_result(tmp_path / "absent.json")
    with pytest.raises(ResultError, match="folder"):
        read_result(tmp_path)


def test_write_replaces_atomically_and_leaves_no_temp_file(scenario, tmp_path):
    path = tmp_path / "r.json"
    path.write_text("old content")
    inode_before = path.stat().st_ino
    write_result(path, _signed(scenario))
    assert read_result(path)["trainee"] == "Ada Trainee"
    assert path.stat().st_ino != inode_before  # a new file was renamed over the old one, not rewritten
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "small-city.yaml"]


def test_failed_write_keeps_the_old_file_and_no_partial(scenario, tmp_path, monkeypatch):
    path = tmp_path / "r.json"
    path.write_text("old content")

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", failing_replace)
    with pytest.raises(ResultError, match="the disk is full"):
        write_result(path, _signed(scenario))
    assert path.read_text() == "old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "small-city.yaml"]


def test_failure_while_writing_the_temp_file_keeps_the_old_file(scenario, tmp_path, monkeypatch):
    path = tmp_path / "r.json"
    path.write_text("old content")

    def failing_fsync(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(files.os, "fsync", failing_fsync)
    with pytest.raises(ResultError, match="Input/output error"):
        write_result(path, _signed(scenario))
    assert path.read_text() == "old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "small-city.yaml"]


def test_refuses_to_write_through_a_symlink(scenario, tmp_path):
    target = tmp_path / "elsewhere.txt"
    target.write_text("precious")
    link = tmp_path / "r.json"
    os.symlink(target, link)
    with pytest.raises(ResultError, match="symbolic link"):
        write_result(link, _signed(scenario))
    assert target.read_text() == "precious" and link.is_symlink()


def test_write_into_a_missing_folder_or_onto_a_folder(scenario, tmp_path):
    with pytest.raises(ResultError, match="does not exist"):
        write_result(tmp_path / "nope" / "r.json", _signed(scenario))
    with pytest.raises(ResultError, match="is a folder"):
        write_result(tmp_path, _signed(scenario))
