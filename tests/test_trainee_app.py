"""The trainee app as a whole: launch on the start screen, open a city in the background (and cancel),
apply fixes, the model answer after an approval, a damaged workspace, and kill-at-any-moment autosave."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from sandbox_app.scenario import builtin_scenarios
from sandbox_app.sharing import share_to_json
from sandbox_app.ui.trainee.share_builder import COL_SHARE

TABLE = "ph_home_health_clients"
MODEL = Path(builtin_scenarios()["winter-storm"]).parent / "winter-storm" / "welfare-checks.model.json"


def tick(page, names):
    section = page.builder.sections[TABLE]
    section.setChecked(True)
    for name in names:
        section.grid.item(section._row_of[name], COL_SHARE).setCheckState(Qt.CheckState.Checked)


def submit(qtbot, page):
    with qtbot.waitSignal(page.submitted, timeout=30_000) as blocker:
        page.submit_button.click()
    return blocker.args[0]


@pytest.fixture
def window(qtbot, workspace):
    from sandbox_app.ui.trainee.main_window import MainWindow

    win = MainWindow(workspace)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def test_the_start_screen_lists_the_builtin_scenarios_and_fills_in_their_details(qtbot, window):
    names = list(builtin_scenarios())
    assert [window.start.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(window.start.list.count())] == names
    qtbot.waitUntil(lambda: len(window.scenarios) == len(names), timeout=60_000)
    text = window.start.list.item(names.index("winter-storm")).text()
    assert text.startswith(window.scenarios["winter-storm"].title) and "3 exercises" in text


def test_opening_a_scenario_prepares_its_city_in_the_background_then_shows_the_exercise(qtbot, window):
    progress = []
    window.opener.progress.connect(lambda fraction, status: progress.append(fraction))
    window.open_location("winter-storm")
    assert window.start.progress_box.isVisible() and window.start.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: window.page is not None and window.stack.currentWidget() is window.page,
                    timeout=120_000)
    assert progress and max(progress) > 0.5
    assert window.page.exercise.id == "welfare-checks"
    assert window.workspace.recent()[0].location == "winter-storm"


def test_cancel_stops_preparing_a_city_and_leaves_the_start_screen_usable(qtbot, window, tmp_path):
    text = Path(builtin_scenarios()["winter-storm"]).read_text(encoding="utf-8")
    big = tmp_path / "big-storm.yaml"
    big.write_text(text.replace("residents: 20000", "residents: 1000000", 1), encoding="utf-8")
    assert "residents: 1000000" in big.read_text(encoding="utf-8")
    with qtbot.waitSignal(window.opener.progress, timeout=60_000):
        window.open_location(str(big))
    with qtbot.waitSignal(window.opener.cancelled, timeout=60_000):
        window.start.cancel_button.click()
    assert not window.start.progress_box.isVisible()
    assert window.page is None and window.start.open_button.isEnabled()
    assert "Cancelled" in window.statusBar().currentMessage()


def test_a_broken_scenario_file_is_one_sentence_on_the_start_screen(qtbot, window, tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("format: city-sandbox/scenario@1\nname: [unclosed\n", encoding="utf-8")
    with qtbot.waitSignal(window.opener.failed, timeout=30_000):
        window.open_location(str(bad))
    assert "broken.yaml" in window.start.problem.text() and "Traceback" not in window.start.problem.text()
    assert window.stack.currentWidget() is window.start


def test_apply_fix_makes_the_engines_edit_as_one_undoable_step_and_the_finding_goes(qtbot, page):
    tick(page, ["first_name", "last_name", "phone", "equipment"])
    report = submit(qtbot, page)
    card = next(c for c in page.report_view.cards if c.finding.rule == "purpose_specified")
    before = share_to_json(page.editor.document)
    card.fix_button.click()
    assert page.editor.document.purpose == "emergency_welfare_check"
    qtbot.waitUntil(lambda: page.live_report is not None
                    and page.live_report.extract.share.purpose == "emergency_welfare_check"
                    and not page.scorer.runner.busy, timeout=20_000)
    assert "purpose_specified" not in {f.rule for f in page.live_report.findings}
    assert "purpose_specified" in {f.rule for f in report.findings}
    page.editor.stack.undo()
    assert share_to_json(page.editor.document) == before


def test_apply_all_fixes_runs_the_engines_fix_plan(qtbot, page):
    tick(page, ["first_name", "last_name", "phone", "equipment", "birth_date", "zip"])
    report = submit(qtbot, page)
    assert report.fix_plan
    page.report_view.plan_button.click()
    again = submit(qtbot, page)
    fixed = {f.rule for f in report.findings if f.fix} - {f.rule for f in again.findings}
    assert "purpose_specified" in fixed and "retention" in fixed


def test_the_model_answer_is_shown_field_by_field_only_after_an_approval(qtbot, page):
    assert page.attempts_view.model_answer.isHidden()
    tick(page, ["birth_date", "sex", "zip"])
    submit(qtbot, page)
    assert page.attempts_view.model_answer.isHidden()  # not approved yet
    page.editor.edit({"edit": "replace", "document": json.loads(MODEL.read_text(encoding="utf-8"))}, "model")
    report = submit(qtbot, page)
    assert report.verdict == "approve"
    assert not page.attempts_view.model_answer.isHidden()
    assert "Model answer" in page.attempts_view.model_answer.toPlainText()
    assert page.attempts_view.table.rowCount() == 2
    assert "→" in page.attempts_view.table.item(1, 4).text()  # what changed between the attempts


def test_a_damaged_workspace_is_reported_with_its_backup_and_a_fresh_start_is_offered(qtbot, isolated_qt):
    from sandbox_app.ui.app import open_workspace
    from sandbox_app.ui.trainee.main_window import MainWindow
    from sandbox_app.workspace.store import default_workspace_path

    path = default_workspace_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not a workspace" * 100)
    workspace, problem = open_workspace()
    assert workspace is None and "backup" in problem
    win = MainWindow(workspace, problem)
    qtbot.addWidget(win)
    assert not win.start.problem.isHidden() and not win.start.fresh_button.isHidden()
    win.open_location("winter-storm")  # refused: nothing could be saved
    assert win.page is None and "could not be opened" in win.start.problem.text()
    win.start.fresh_button.click()
    assert win.workspace is not None and "kept at" in win.start.problem.text()
    assert list(path.parent.glob(path.name + ".backup-*"))
    win.close()


EDITOR = r"""
import json, os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication
from sandbox_app.scenario import load_scenario
from sandbox_app.ui.trainee.exercise_page import ExercisePage
from sandbox_app.workspace.city import open_city
from sandbox_app.workspace.store import Workspace
app = QApplication([])
session = open_city("winter-storm", scenario=load_scenario("winter-storm"), database=sys.argv[1])
page = ExercisePage(Workspace.open(sys.argv[2]))
page.open_session(session, "welfare-checks")
page.scorer.timer.timeout.disconnect()            # no scoring: this child only edits and saves
if not page.editor.document.tables:
    page.editor.edit({"edit": "add_table", "table": "ph_home_health_clients"})
for n in range(10_000):
    page.editor.edit({"edit": "set_where", "table": "ph_home_health_clients", "where": f"zip != '{n % 97}'"})
    print(f"ack {n} {n % 97}", flush=True)
"""


def test_killing_the_app_at_any_moment_loses_no_acknowledged_edit(tmp_path, tmp_path_factory):
    """The window saves every edit as it is made: SIGKILL the editing app at random moments and reopen."""
    from sandbox_app.workspace.store import Workspace, scenario_key
    from tests.cityfixture import small_city

    db = small_city(tmp_path_factory)
    script = tmp_path / "editor.py"
    script.write_text(EDITOR, encoding="utf-8")
    workspace = tmp_path / "workspace.db"
    rng = random.Random(20261201)
    trials = int(os.environ.get("CITY_SANDBOX_KILL_TRIALS", "4"))
    from sandbox_app.scenario import load_scenario

    key = scenario_key(load_scenario("winter-storm"))
    for _ in range(trials):
        child = subprocess.Popen([sys.executable, str(script), str(db), str(workspace)], stdout=subprocess.PIPE,
                                 text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
        wanted, last = rng.randint(1, 40), None
        for line in child.stdout:
            if line.startswith("ack "):
                last = line.split()
                if int(last[1]) >= wanted:
                    break
        child.kill()
        child.wait()
        assert last is not None, "the editing child never acknowledged an edit"
        store = Workspace.open(workspace)
        saved = store.load_share(key, "welfare-checks")
        store.close()
        where = json.loads(saved.share_json)["tables"][0]["where"]
        assert int(where.split("'")[1]) in (int(last[2]), (int(last[2]) + 1) % 97)  # acked, or the next one
        check = sqlite3.connect(workspace)
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        check.close()


def test_a_facilitators_time_limit_shows_a_countdown_per_exercise(qtbot, workspace, session):
    from sandbox_app.ui.trainee.exercise_page import ExercisePage

    session.settings = {"time_limit_minutes": 20}
    widget = ExercisePage(workspace)
    qtbot.addWidget(widget)
    widget.open_session(session, "welfare-checks")
    assert not widget.clock.isHidden()
    assert widget.clock.text() in ("Time left: 20:00", "Time left: 19:59")
    widget._deadline -= 20 * 60
    widget._tick()
    assert "Time is up" in widget.clock.text()
    widget.shutdown()


def test_the_explorer_opens_on_the_scenarios_city_without_the_answer_key(qtbot, window, session):
    assert not window.explore_action.isEnabled()
    window._opened(session)
    assert window.explore_action.isEnabled()
    window.explore_action.trigger()
    explorer = window.explorer
    qtbot.addWidget(explorer)
    assert explorer.isVisible() and not explorer.view.facilitator
    window.session = None  # the fixture closes the session
    explorer.close()


def test_an_approved_share_opens_as_the_extract_its_recipient_holds(qtbot, window, session):
    window._opened(session)
    page = window.page
    window.extract_action.trigger()  # nothing submitted yet: a sentence, no window
    assert "approved" in window.statusBar().currentMessage() and getattr(window, "explorer", None) is None
    page.editor.edit({"edit": "replace", "document": json.loads(MODEL.read_text(encoding="utf-8"))}, "model")
    report = submit(qtbot, page)
    assert report.verdict == "approve"
    with qtbot.waitSignal(window.extractor.finished, timeout=30_000):
        window.extract_action.trigger()
    explorer = window.explorer
    qtbot.addWidget(explorer)
    catalog = explorer.view.catalog
    (table,) = catalog.tables
    assert table.rows == len(report.extract.frame) and [c.name for c in table.columns] == \
        report.extract.frame.columns.tolist()
    assert catalog.meta["exercise"] == "welfare-checks" and "approved extract" in explorer.windowTitle()
    assert not explorer.view.facilitator and "approved extract for welfare-checks" in explorer.view.banner.text()
    window.session = None  # the fixture closes the session
    explorer.close()


def test_the_facilitator_menu_opens_the_debrief_and_the_studio(qtbot, window):
    window.debrief_action.trigger()
    qtbot.addWidget(window.debrief)
    assert window.debrief.isVisible()
    window.studio_action.trigger()
    qtbot.addWidget(window.studio)
    assert window.studio.isVisible()
