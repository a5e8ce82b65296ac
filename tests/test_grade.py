"""`grade`: results made through the trainee workflow come back with their verdicts; tampered, foreign,
repeated and unreadable results are flagged; exit codes; the CSV and the offline HTML debrief."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from sandbox_app import __version__
from sandbox_app.cli import main
from sandbox_app.grading.grade import grade_results
from sandbox_app.grading.report_html import debrief_html
from sandbox_app.packs import load_grading_key, open_pack, write_pack
from sandbox_app.packs.keys import remember_grading_key
from sandbox_app.scenario import load_scenario
from sandbox_app.sharing.database import CityDatabase
from sandbox_app.workspace.results import sign_result
from sandbox_app.workspace.store import Workspace
from tests.resultfixture import edit, submit

SCENARIO = Path(__file__).parent / "data" / "answers-city.yaml"
ANSWERS = SCENARIO.parent / "answers-city"
MODEL, BAD = ANSWERS / "checks.model.json", ANSWERS / "checks.everyone.json"


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    """A facilitator's pack (city inside) and four trainees' results: three model answers, one bad one."""
    base = tmp_path_factory.mktemp("room")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CITY_SANDBOX_HOME", str(base / "cache"))
        mp.setenv("CITY_SANDBOX_DATA", str(base / "trainee"))
        written = write_pack(load_scenario(SCENARIO), base / "answers.citypack", with_db=True)
        pack = open_pack(written.path)
        db = CityDatabase(pack.database)
        results = base / "results"
        results.mkdir()
        with Workspace.open(base / "workspace.db") as ws:
            for trainee, share in (("Ada", MODEL), ("Bo", MODEL), ("Cy", BAD), ("Di", MODEL)):
                if trainee == "Cy":  # Cy tries the model answer first, then submits the bad one
                    ws.add_attempt(f"{trainee}|{pack.pack_id}", "checks", MODEL.read_text(), {"verdict": "approve"})
                submit(pack, db, "checks", share, trainee, results / f"{trainee}.json", ws)
        db.close()
    return written, pack, results


@pytest.fixture
def results(room, tmp_path) -> Path:
    """A private copy of the room's results, so a test may edit them."""
    return Path(shutil.copytree(room[2], tmp_path / "results"))


def _grade(results: Path, room, *extra: str, capsys) -> tuple[int, dict]:
    code = main(["grade", str(results), "--key", str(room[0].key_path), "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


def _by_trainee(report: dict) -> dict[str, dict]:
    return {r["trainee"]: r for r in report["results"]}


def test_results_from_the_trainee_workflow_come_back_with_their_verdicts(room, results, capsys):
    code, report = _grade(results, room, capsys=capsys)
    assert code == 0 and report["flagged"] == 0
    graded = _by_trainee(report)
    assert {t: r["verdict"] for t, r in graded.items()} == {"Ada": "approve", "Bo": "approve", "Cy": "revise",
                                                            "Di": "approve"}
    assert graded["Cy"]["attempts"] == 2
    assert graded["Ada"]["privacy_score"] == 100 and graded["Cy"]["privacy_score"] < 100
    assert all(r["claimed"]["verdict"] == r["verdict"] for r in report["results"])
    assert {f["rule"] for f in graded["Cy"]["findings"]} >= {"data_minimisation"}
    assert report["notes"] == [f"pack {room[0].pack_id[:8]} (answers-city): signatures checked with grading key"]


def test_an_edited_score_is_flagged_and_never_trusted(room, results, capsys):
    edit(results / "Cy.json", lambda d: d.update(verdict="approve", privacy_score=100, usefulness_score=100))
    code, report = _grade(results, room, capsys=capsys)
    cy = _by_trainee(report)["Cy"]
    assert code == 1
    assert set(cy["flags"]) == {"edited", "score_differs"}
    assert cy["verdict"] == "revise" and cy["privacy_score"] < 100      # the engine's score, not the file's
    assert cy["claimed"] == {"verdict": "approve", "privacy_score": 100, "usefulness_score": 100}


def test_an_edited_share_or_name_is_flagged(room, results, capsys):
    def widen(data):
        data["share"]["tables"][0]["where"] = None

    edit(results / "Ada.json", widen)
    edit(results / "Bo.json", lambda d: d.update(trainee="Bob the Builder"))
    code, report = _grade(results, room, capsys=capsys)
    graded = _by_trainee(report)
    assert code == 1
    assert "edited" in graded["Ada"]["flags"] and graded["Ada"]["verdict"] != "approve"  # the edited share, scored
    assert "edited" in graded["Bob the Builder"]["flags"]
    assert graded["Di"]["flags"] == {}


def test_results_from_another_pack_are_not_graded_against_ours(room, results, tmp_path, monkeypatch, capsys):
    """A trainee makes a pack of the same scenario on their own laptop and submits results from it."""
    grader = tmp_path / "grader"
    monkeypatch.setenv("CITY_SANDBOX_DATA", str(tmp_path / "trainee-laptop"))
    other = write_pack(load_scenario(SCENARIO), tmp_path / "mine.citypack", with_db=True)
    monkeypatch.setenv("CITY_SANDBOX_DATA", str(grader))
    pack = open_pack(other.path)  # installed here, but nobody gave a key for it: anyone can make a pack
    db = CityDatabase(pack.database)
    try:
        submit(pack, db, "checks", MODEL, "Eve", results / "Eve.json")
    finally:
        db.close()
    code, report = _grade(results, room, capsys=capsys)
    eve = _by_trainee(report)["Eve"]
    assert code == 1
    assert list(eve["flags"]) == ["other_pack"] and eve["verdict"] is None
    assert f"from pack {other.pack_id}, which is not among the packs graded" in eve["flags"]["other_pack"]


def test_another_app_version_is_flagged(room, results, capsys):
    data = json.loads((results / "Di.json").read_text())
    data["app_version"] = "0.0.1"
    (results / "Di.json").write_text(json.dumps(sign_result(data, room[1].result_key)))
    code, report = _grade(results, room, capsys=capsys)
    di = _by_trainee(report)["Di"]
    assert code == 1 and list(di["flags"]) == ["other_version"]
    assert di["flags"]["other_version"] == f"written by app 0.0.1; this is {__version__}"
    assert di["verdict"] == "approve"


def test_duplicates_a_copied_file_and_an_older_submission(room, results, capsys):
    shutil.copy(results / "Ada.json", results / "Ada-copy.json")
    newer = json.loads((results / "Bo.json").read_text())
    newer["written_at"] = "2999-01-01T00:00:00Z"
    (results / "Bo-later.json").write_text(json.dumps(sign_result(newer, room[1].result_key)))
    code, report = _grade(results, room, capsys=capsys)
    flags = {Path(r["file"]).name: r["flags"] for r in report["results"]}
    assert code == 1
    pair = sorted([flags["Ada.json"], flags["Ada-copy.json"]], key=len)   # one of the two copies is flagged
    assert pair[0] == {} and list(pair[1]) == ["duplicate"] and "the same result as" in pair[1]["duplicate"]
    assert list(flags["Bo.json"]) == ["duplicate"] and "Bo-later.json is a newer result" in flags["Bo.json"]["duplicate"]
    assert flags["Bo-later.json"] == {}


def test_unreadable_files_are_flagged_not_fatal(room, results, capsys):
    (results / "notes.json").write_text("{ not json")
    (results / "sub").mkdir()
    (results / "sub" / "cut.json").write_text((results / "Ada.json").read_text()[:200])
    code, report = _grade(results, room, capsys=capsys)
    flags = {Path(r["file"]).name: r["flags"] for r in report["results"]}
    assert code == 1 and report["files"] == 6
    assert list(flags["notes.json"]) == ["unreadable"] and "not valid JSON" in flags["notes.json"]["unreadable"]
    assert "cut short" in flags["cut.json"]["unreadable"]


def test_the_grading_key_is_found_in_the_facilitator_data_folder(room, results, monkeypatch, capsys):
    """`pack` kept the key (and where the pack is) in its data folder: no --key or --pack needed there."""
    monkeypatch.setenv("CITY_SANDBOX_DATA", str(room[0].path.parent / "facilitator"))
    remember_grading_key(load_grading_key(room[0].key_path))
    assert main(["grade", str(results), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["flagged"] == 0


def test_exit_codes_for_usage_errors(room, results, tmp_path, capsys):
    assert main(["grade", str(tmp_path / "nowhere")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["grade", str(tmp_path / "empty")]) == 2
    assert "no result files" in capsys.readouterr().err
    (tmp_path / "bad.key").write_text("{}")
    assert main(["grade", str(results), "--key", str(tmp_path / "bad.key")]) == 2
    assert "not a grading key" in capsys.readouterr().err
    assert main(["grade", str(results)]) == 1   # no key, no pack: nothing can be graded against our pack
    assert "Not graded:" in capsys.readouterr().out


def test_text_table_and_csv(room, results, tmp_path, capsys):
    out = tmp_path / "grades.csv"
    assert main(["grade", str(results), "--key", str(room[0].key_path), "--csv", str(out)]) == 0
    text = capsys.readouterr().out
    assert "answers-city / checks" in text and re.search(r"Cy\s+revise", text)
    assert "4 result files: 4 clean, 0 flagged." in text
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert sorted((r["trainee"], r["verdict"]) for r in rows) == [("Ada", "approve"), ("Bo", "approve"),
                                                                 ("Cy", "revise"), ("Di", "approve")]


def test_html_debrief_holds_the_right_numbers_and_nothing_external(room, results, tmp_path):
    (results / "notes.json").write_text("[]")
    grading = grade_results([results], keys=[room[0].key_path])
    page = debrief_html(grading)
    privacy = {r.trainee: r.scored.privacy for r in grading.results if r.scored}
    bars = re.findall(r'data-title="Privacy scores".*?</svg>', page, re.S)[0]
    counts = {b: int(n) for b, n in re.findall(r'data-bin="([\d-]+)" data-count="(\d+)"', bars)}
    assert sum(counts.values()) == 4 and counts["90-100"] == sum(v >= 90 for v in privacy.values())
    verdicts = dict(re.findall(r'data-verdict="(\w+)" data-count="(\d+)"', page))
    assert verdicts == {"approve": "3", "revise": "1", "reject": "0"}
    points = re.findall(r'class="point" data-trainee="([^"]+)" data-privacy="(\d+)"', page)
    assert sorted(points) == sorted((t, str(p)) for t, p in privacy.items())
    assert re.search(r'data-rule="data_minimisation" data-results="1"', page)
    assert "notes.json" in page and "unreadable" in page
    assert not re.search(r'(src|href)\s*=\s*"(?!#)', page) and "<script" not in page
    anonymous = debrief_html(grading, anonymise=True)
    assert "Ada" not in anonymous and 'data-trainee="Trainee 1"' in anonymous
    assert "notes.json" not in anonymous and 'class="reference"' not in page   # answers: only when asked for
    assert main(["grade", str(results), "--key", str(room[0].key_path), "--html", str(tmp_path / "d.html")]) == 1
    written = (tmp_path / "d.html").read_text(encoding="utf-8")
    assert written.startswith("<!DOCTYPE html>")
    by_trainee = {r.trainee: r.scored for r in grading.results if r.scored}
    marks = re.findall(r'class="reference" data-kind="(\w+)" data-privacy="(\d+)" data-usefulness="(\d+)"', written)
    assert sorted(marks) == sorted([("model", str(by_trainee["Ada"].privacy), str(by_trainee["Ada"].usefulness)),
                                    ("bad", str(by_trainee["Cy"].privacy), str(by_trainee["Cy"].usefulness))])


def test_scoring_on_several_processes_gives_the_same_grades(room, results, monkeypatch):
    from sandbox_app.grading import parallel

    monkeypatch.setattr(parallel, "PARALLEL_MIN", 1)  # the room has two distinct shares: use the pool anyway
    scored_in_pool = []
    real = parallel.prescore
    monkeypatch.setattr(parallel, "prescore", lambda *a, **kw: scored_in_pool.append(real(*a, **kw)))
    (results / "notes.json").write_text("[]")
    serial = grade_results([results], keys=[room[0].key_path], workers=1)
    pooled = grade_results([results], keys=[room[0].key_path], workers=2)
    assert scored_in_pool == [0, 2]
    assert [r.to_dict() for r in pooled.results] == [r.to_dict() for r in serial.results]
    assert {r.trainee: r.verdict for r in pooled.results if r.trainee} == {"Ada": "approve", "Bo": "approve",
                                                                           "Cy": "revise", "Di": "approve"}


def test_the_grading_benchmark_still_runs(tmp_path):
    """benchmarks/bench_grade.py end to end at a tiny size, so it cannot rot (it asserts nothing about speed)."""
    import subprocess
    import sys

    bench = Path(__file__).parents[1] / "benchmarks" / "bench_grade.py"
    proc = subprocess.run([sys.executable, str(bench), "--files", "9", "--naive-sample", "2", "--json",
                           "--debrief-repeats", "1"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert proc.returncode == 0, proc.stderr
    figures = json.loads(proc.stdout)
    assert figures["files"] == 9 and figures["flagged"] == 0 and sum(figures["verdicts"].values()) == 9
    assert figures["grade_s"] > 0 and figures["naive_ms_per_file"] > 0
    assert figures["debrief_files"] == 9 and figures["debrief_median_s"] > 0 and figures["debrief_naive_median_s"] > 0
