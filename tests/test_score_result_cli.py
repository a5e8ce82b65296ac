"""`city-sandbox score … --result FILE --trainee NAME`: a signed result file that agrees with `score --json`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sandbox_app.cli import main
from sandbox_app.scenario import load_scenario
from sandbox_app.sharing.document import load_share, share_to_json
from sandbox_app.workspace.fingerprint import scenario_sha256
from sandbox_app.workspace.results import RESULT_FORMAT, check_result, read_result, result_key, verify_result
from tests.cityfixture import small_city

SCENARIOS = Path(__file__).parents[1] / "scenarios"
MODEL = SCENARIOS / "winter-storm" / "welfare-checks.model.json"
EVERYTHING = SCENARIOS / "winter-storm" / "welfare-checks.everything.json"


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    return str(small_city(tmp_path_factory))


@pytest.mark.parametrize("share, code", [(MODEL, 0), (EVERYTHING, 1)])
def test_result_file_verifies_and_matches_score_json(db, tmp_path, capsys, share, code):
    out = tmp_path / "ada.result.json"
    args = ["score", "winter-storm", "welfare-checks", str(share), "--db", db, "--json"]
    assert main(args + ["--result", str(out), "--trainee", "Ada Lovelace"]) == code
    captured = capsys.readouterr()
    plain = json.loads(captured.out)  # `score --json`'s report; the "wrote" note goes to stderr
    assert f"wrote result file {out}" in captured.err

    result = read_result(out)
    scenario = load_scenario("winter-storm")
    assert verify_result(result, result_key(scenario))
    check_result(result, scenario, file=str(out))
    assert result["format"] == RESULT_FORMAT
    assert (result["trainee"], result["exercise"]) == ("Ada Lovelace", "welfare-checks")
    assert result["scenario"]["name"] == "winter-storm"
    assert result["scenario"]["sha256"] == scenario_sha256(scenario)
    for key in ("verdict", "privacy_score", "usefulness_score"):
        assert result[key] == plain[key]
        assert result["report"][key] == plain[key]
        assert result["attempts"][0][key] == plain[key]
    assert result["report"]["findings"] == plain["findings"]
    assert result["share"] == json.loads(share_to_json(load_share(share)))
    assert len(result["attempts"]) == 1 and result["attempts"][0]["share"] == result["share"]

    again = tmp_path / "share-from-result.json"  # the facilitator's check: the file's share scores the same
    again.write_text(json.dumps(result["share"]))
    assert main(["score", "winter-storm", "welfare-checks", str(again), "--db", db, "--json"]) == code
    rescored = json.loads(capsys.readouterr().out)
    assert [rescored[k] for k in ("verdict", "privacy_score", "usefulness_score")] == \
        [result[k] for k in ("verdict", "privacy_score", "usefulness_score")]


def test_result_needs_a_trainee_name_and_writes_nothing_without_one(db, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["score", "winter-storm", "welfare-checks", str(MODEL), "--db", db, "--result", str(out)]) == 1
    err = capsys.readouterr().err
    assert "--result needs --trainee NAME" in err and "Traceback" not in err
    assert not out.exists()


def test_result_into_a_symlink_is_refused(db, tmp_path, capsys):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    link = tmp_path / "r.json"
    os.symlink(target, link)
    assert main(["score", "winter-storm", "welfare-checks", str(MODEL), "--db", db, "--result", str(link),
                 "--trainee", "Ada"]) == 1
    assert "symbolic link" in capsys.readouterr().err
    assert target.read_text() == "keep me"
