"""The live meter's scoring process: the same figures as scoring in the window, newest answer only, a crash
said in a sentence and scored in the window instead, and no process left behind."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from PySide6.QtCore import Qt

from sandbox_app.sharing import parse_share_text
from sandbox_app.ui.trainee.share_builder import COL_SHARE
from tests.cityfixture import small_city

TABLE = "ph_home_health_clients"
SHARE = {"format": "city-sandbox/share@1", "scenario": "winter-storm", "exercise": "welfare-checks",
         "purpose": "emergency_welfare_check",
         "tables": [{"table": TABLE, "fields": {"mrn": {"op": "pseudonym"},
                                                "birth_date": {"op": "generalize", "to": "year"},
                                                "zip": {"op": "generalize", "to": "zip3"},
                                                "equipment": {"op": "keep"}}}]}


def answer(messages: queue.Queue, kinds=("scored", "failed", "cancelled")) -> tuple:
    """The next answer of the scoring process (skipping 'ready')."""
    while True:
        message = messages.get(timeout=120)
        if message[0] in kinds or message[0] == "died":
            return message


@pytest.fixture
def client(tmp_path_factory, winter_storm):
    from sandbox_app.workspace.scoring_client import ScoringClient

    messages: queue.Queue = queue.Queue()
    scoring = ScoringClient(winter_storm, small_city(tmp_path_factory), messages.put)
    scoring.start(("welfare-checks", json.dumps(SHARE)))
    assert answer(messages, ("ready",))[0] == "ready"
    yield scoring, messages
    scoring.close()


def test_the_process_scores_the_same_figures_and_rows_as_the_window(client, session, winter_storm):
    from sandbox_app.privacy.score import score_share
    from sandbox_app.workspace.live_result import frame_to_arrow

    scoring, messages = client
    share = json.loads(json.dumps(SHARE))
    share["tables"][0]["where"] = "equipment != 'none'"
    assert scoring.send(("score", 1, "welfare-checks", json.dumps(share)))
    message = answer(messages)
    assert message[:2] == ("scored", 1), message
    live = message[2]
    here = score_share(session.db, winter_storm, "welfare-checks", parse_share_text(json.dumps(share)))
    assert (live.verdict, live.privacy_score, live.usefulness_score) == (
        here.verdict, here.privacy_score, here.usefulness_score)
    assert live.metrics.to_dict() == here.metrics.to_dict()
    assert [f.to_dict() for f in live.findings] == [f.to_dict() for f in here.findings]
    assert live.usefulness.to_dict() == here.usefulness.to_dict()
    assert live.extract.rows == len(here.extract.frame) > 0
    assert live.extract.frame.equals(frame_to_arrow(here.extract.frame))
    assert live.extract.share.tables == here.extract.share.tables


def test_a_share_that_cannot_be_scored_fails_with_the_windows_sentence(client, session, winter_storm):
    from sandbox_app.errors import ShareError
    from sandbox_app.privacy.score import score_share

    scoring, messages = client
    share = json.loads(json.dumps(SHARE))
    share["tables"][0]["fields"]["no_such_field"] = {"op": "keep"}
    assert scoring.send(("score", 7, "welfare-checks", json.dumps(share)))
    kind, generation, sentence, details = answer(messages)
    with pytest.raises(ShareError) as raised:
        score_share(session.db, winter_storm, "welfare-checks", parse_share_text(json.dumps(share), "share"))
    assert (kind, generation, details) == ("failed", 7, "")
    assert sentence == str(raised.value) and "no_such_field" in sentence


def test_a_superseded_request_is_abandoned_by_the_process(session, winter_storm, tmp_path):
    from sandbox_app.workspace.scoring_process import Scorer, _Requests

    requests = _Requests()
    scorer = Scorer(winter_storm, str(session.db_path), str(tmp_path), out=None)
    first = ("score", 1, "welfare-checks", json.dumps(SHARE))
    requests.offer(first)
    assert requests.take() == first
    requests.offer(("score", 2, "welfare-checks", json.dumps(SHARE)))     # a newer edit, before the answer
    assert scorer.answer(first, requests) == ("cancelled", 1)
    requests.offer(("cancel", 2))
    assert scorer.answer(requests.take(), requests) == ("cancelled", 2)
    assert not list(tmp_path.glob("*.arrow"))                              # nothing written for either
    requests.offer(("score", 3, "welfare-checks", json.dumps(SHARE)))
    kind, generation, result = scorer.answer(requests.take(), requests)
    assert (kind, generation) == ("scored", 3) and Path(result.extract.path).exists()


# ---------------------------------------------------------------------------------- in the window

def tick(page, names):
    section = page.builder.sections[TABLE]
    if not section.isChecked():
        section.setChecked(True)
    for name in names:
        section.grid.item(section._row_of[name], COL_SHARE).setCheckState(Qt.CheckState.Checked)


def fields_of(report) -> list[str]:
    return list(report.extract.share.tables[0].fields)


@pytest.fixture
def process_page(qtbot, monkeypatch, request):
    from sandbox_app.ui.trainee.process_scoring import MODE_VARIABLE

    monkeypatch.setenv(MODE_VARIABLE, "process")
    page = request.getfixturevalue("page")
    tick(page, ["equipment"])                                  # the first edit starts the process
    qtbot.waitUntil(lambda: page.process_scorer.ready, timeout=60_000)
    return page


def test_only_the_newest_request_lands_from_the_process(qtbot, process_page):
    page, scorer = process_page, process_page.scorer
    qtbot.waitUntil(lambda: page.live_report is not None and not scorer.runner.busy, timeout=30_000)
    scored = []
    scorer.scored.connect(scored.append)
    tick(page, ["phone"])
    scorer.timer.stop()
    scorer._start()                                            # {equipment, phone} in the process …
    assert scorer.via_process and scorer.runner.busy
    tick(page, ["address"])                                    # … superseded by a newer edit
    scorer.timer.stop()
    scorer._start()
    qtbot.waitUntil(lambda: bool(scored) and not scorer.runner.busy, timeout=30_000)
    assert len(scored) == 1 and fields_of(scored[0]) == ["equipment", "phone", "address"]
    assert page.process_scorer.dropped <= 1                    # the first answer, if it came, was dropped
    assert page.preview_model.rowCount() == scored[0].extract.rows
    assert page.preview_model.columnCount() == 3


def test_a_killed_scoring_process_is_said_in_a_sentence_and_the_window_scores_instead(qtbot, process_page):
    page, scorer = process_page, process_page.scorer
    tick(page, ["phone"])
    scorer.timer.stop()
    scorer._start()
    assert scorer.via_process and scorer.runner.busy
    os.kill(page.process_scorer.pid, signal.SIGKILL)          # a score in flight, and the process is gone
    qtbot.waitUntil(lambda: not page.meter.notice.isHidden(), timeout=30_000)
    assert "stopped unexpectedly" in page.meter.notice.text() and "your work is safe" in page.meter.notice.text()
    qtbot.waitUntil(lambda: page.live_report is not None and not scorer.runner.busy
                    and fields_of(page.live_report) == ["equipment", "phone"], timeout=30_000)
    assert not scorer.via_process
    with qtbot.waitSignal(scorer.scored, timeout=30_000) as blocker:
        tick(page, ["address"])                                # later edits are scored in the window
    assert fields_of(blocker.args[0]) == ["equipment", "phone", "address"] and not scorer.via_process
    assert [t.fields for t in page.editor.document.tables][0].keys() == {"equipment", "phone", "address"}


def _scoring_children() -> list[psutil.Process]:
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "sandbox_app.workspace.scoring_process" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:
            pass
    return found


def test_closing_the_page_leaves_no_scoring_process(qtbot, process_page):
    pid = process_page.process_scorer.pid
    assert pid in {p.pid for p in _scoring_children()}
    process_page.shutdown()
    assert pid not in {p.pid for p in _scoring_children()}
    assert not psutil.pid_exists(pid)


APP = r"""
import json, sys
from sandbox_app.scenario import load_scenario
from sandbox_app.workspace.scoring_client import ScoringClient
client = ScoringClient(load_scenario("winter-storm"), sys.argv[1],
                       lambda m: m[0] == "ready" and print(m[1], client.preview_dir, flush=True))
client.start()
sys.stdin.read()                                   # until killed
"""


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE   # dead; only waiting to be reaped
    except psutil.NoSuchProcess:
        return True


def test_the_scoring_process_ends_when_the_app_is_killed(qtbot, tmp_path_factory, tmp_path):
    script = tmp_path / "app.py"
    script.write_text(APP, encoding="utf-8")
    app = subprocess.Popen([sys.executable, str(script), str(small_city(tmp_path_factory))], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True,
                           env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    pid, preview_dir = app.stdout.readline().split()
    assert psutil.Process(int(pid)).ppid() == app.pid and Path(preview_dir).is_dir()
    app.kill()
    app.wait()
    qtbot.waitUntil(lambda: _gone(int(pid)), timeout=30_000)
    assert not Path(preview_dir).exists()                     # it took its files with it


def test_the_preview_pages_from_the_arrow_file_as_it_would_from_the_frame(qtmodeltester, session, tmp_path):
    from sandbox_app.sharing.apply import apply_share
    from sandbox_app.ui.common.frame_model import FrameModel
    from sandbox_app.workspace.live_result import read_preview, write_preview

    frame = apply_share(session.db, parse_share_text(json.dumps(SHARE)), holding_department="health").frame
    frame = frame.assign(note=[1 if i % 2 else "x" for i in range(len(frame))])   # Arrow cannot type this
    write_preview(frame, tmp_path / "extract.arrow")
    from_file, from_frame = FrameModel(read_preview(tmp_path / "extract.arrow")), FrameModel(frame)
    qtmodeltester.check(from_file)
    assert (from_file.rowCount(), from_file.columnCount()) == (from_frame.rowCount(), from_frame.columnCount())
    for row in (0, 1, len(frame) // 2, len(frame) - 1):
        for col in range(from_frame.columnCount()):
            assert from_file.index(row, col).data() == from_frame.index(row, col).data()
    assert [from_file.headerData(c, Qt.Orientation.Horizontal) for c in range(from_file.columnCount())] == list(
        frame.columns)
