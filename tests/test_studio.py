"""The facilitator studio: the scenario editor (live validation, jump to a problem, atomic save, external
change) and the studio window's Check and Generate."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox_app.scenario.loader import parse_scenario_text

DATA = Path(__file__).parent / "data"


@pytest.fixture
def editor(qtbot, isolated_qt, scenario_copy):
    from sandbox_app.ui.studio.scenario_editor import ScenarioEditor

    widget = ScenarioEditor()
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    with qtbot.waitSignal(widget.problems_changed, timeout=10_000):
        widget.open_file(scenario_copy)
    yield widget
    widget.shutdown()


def _replace(editor, old: str, new: str) -> None:
    """Type-like edit through the document (one undoable step), as a user's keystrokes would arrive."""
    from PySide6.QtGui import QTextCursor

    text = editor.text()
    start = text.index(old)
    cursor = QTextCursor(editor.editor.document())
    cursor.setPosition(start)
    cursor.setPosition(start + len(old), QTextCursor.MoveMode.KeepAnchor)
    cursor.insertText(new)


def _line_of(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


def test_live_validation_lists_a_located_problem_and_clears_after_the_fix(editor, qtbot):
    assert editor.problems == [] and editor.problem_list.count() == 0
    with qtbot.waitSignal(editor.problems_changed, timeout=10_000) as blocker:
        _replace(editor, "holding_department: health", "holding_department: helth")
    problems = blocker.args[0]
    line = _line_of(editor.text(), "holding_department: helth")
    assert problems[0].line == line and "helth" in str(problems[0])   # then what follows from it
    assert editor.problem_list.count() == len(problems) and f"line {line}" in editor.problem_list.item(0).text()
    assert editor.editor.underlined_lines() == {p.line for p in problems}
    assert f"{len(problems)} problems" in editor.status.text()
    with qtbot.waitSignal(editor.problems_changed, timeout=10_000) as blocker:
        editor.editor.undo()
    assert blocker.args[0] == [] and editor.problem_list.count() == 0
    assert editor.editor.underlined_lines() == set() and "validates" in editor.status.text()


def test_clicking_a_problem_moves_the_cursor_to_its_line(editor, qtbot):
    from PySide6.QtCore import Qt

    with qtbot.waitSignal(editor.problems_changed, timeout=10_000):
        _replace(editor, "seed: 7", "seed: seven")
    line = _line_of(editor.text(), "seed: seven")
    editor.editor.go_to_line(1)
    item = editor.problem_list.item(0)
    rect = editor.problem_list.visualItemRect(item)
    qtbot.mouseClick(editor.problem_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert editor.editor.current_line() == line


def test_save_is_atomic_and_the_saved_file_validates(editor, qtbot, scenario_copy):
    with qtbot.waitSignal(editor.problems_changed, timeout=10_000):
        _replace(editor, "title: Small test city", "title: Small test city, edited")
    assert editor.modified
    before = scenario_copy.stat().st_ino
    with qtbot.waitSignal(editor.saved):
        editor.save()
    assert scenario_copy.stat().st_ino != before          # a new file renamed over the old one
    assert not editor.modified and not editor.reload_bar.isVisible()
    assert not [p for p in scenario_copy.parent.iterdir() if p.name.endswith(".partial")]
    text = scenario_copy.read_text(encoding="utf-8")
    assert parse_scenario_text(text, str(scenario_copy), deep=True, base=scenario_copy.parent).title == \
        "Small test city, edited"


def test_an_external_change_shows_the_reload_bar_and_reload_takes_the_disk_text(editor, qtbot, scenario_copy):
    with qtbot.waitSignal(editor.external_change, timeout=10_000):
        scenario_copy.write_text(scenario_copy.read_text().replace("seed: 7", "seed: 8"), encoding="utf-8")
    assert editor.reload_bar.isVisible()
    assert "seed: 7" in editor.text()                       # nothing replaced behind the user's back
    editor.reload_bar.reload_button.click()
    assert "seed: 8" in editor.text() and not editor.reload_bar.isVisible() and not editor.modified
    editor.editor.undo()                                    # the reload is one undoable step
    assert "seed: 7" in editor.text()


def test_keep_mine_keeps_the_text_and_marks_it_unsaved(editor, qtbot, scenario_copy):
    with qtbot.waitSignal(editor.external_change, timeout=10_000):
        scenario_copy.write_text("name: x\n", encoding="utf-8")
    editor.reload_bar.keep_button.click()
    assert "seed: 7" in editor.text() and editor.modified and not editor.reload_bar.isVisible()


# ------------------------------------------------------------------------------------------ studio window
@pytest.fixture
def studio(qtbot, isolated_qt, scenario_copy):
    from sandbox_app.ui.studio.studio_window import StudioWindow

    window = StudioWindow()
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.editor.problems_changed, timeout=10_000):
        window.open_scenario(scenario_copy)
    yield window
    window.runner.shutdown()
    window.editor.shutdown()


def _cells(model) -> list[list[str]]:
    return [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(model.rowCount())]


def test_check_shows_every_answer_with_ok_and_the_word_miss(studio, qtbot, qtmodeltester):
    from PySide6.QtCore import Qt

    with qtbot.waitSignal(studio.work_done, timeout=30_000):
        studio.check()
    rows = _cells(studio.check_model)
    assert [(r[0], r[1], r[2], r[3], r[6]) for r in rows] == [
        ("checks", "model.json", "approve", "approve", "ok"),
        ("checks", "everyone.json", "revise", "revise", "ok")]
    assert "All 2 answers" in studio.check_summary.text()
    qtmodeltester.check(studio.check_model)
    with qtbot.waitSignal(studio.editor.problems_changed, timeout=10_000):      # now expect the wrong verdict
        _replace(studio.editor, "expect: revise", "expect: approve")
    with qtbot.waitSignal(studio.work_done, timeout=30_000):
        studio.check()
    miss = _cells(studio.check_model)[1]
    assert miss[2:4] == ["approve", "revise"] and miss[6] == "✗ miss" and "data_minimisation" in miss[7]
    assert studio.check_model.index(1, 0).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert studio.check_model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) is None
    assert "1 of 2 answers miss" in studio.check_summary.text()
    studio.editor.save()                                      # so closing the window asks nothing


def test_generate_shows_row_counts_first_rows_and_charts_and_cancel_stops(studio, qtbot, qtmodeltester):
    with qtbot.waitSignal(studio.runner.cancelled, timeout=30_000):
        studio.generate()
        studio.cancel_button.click()
    assert studio.counts_model.rowCount() == 0 and "Stopped" in studio.statusBar().currentMessage()
    assert studio.city_look.chart("departments") is None           # still the empty state
    look = studio.city_look
    with qtbot.waitSignal(look.preview.model.ready, timeout=30_000) as opened:
        with qtbot.waitSignal(studio.work_done, timeout=30_000):
            studio.generate()
    counts = {r[0]: int(r[2].replace(",", "")) for r in _cells(studio.counts_model)}
    assert set(counts) == {"clinic_patients", "oem_registry", "_residents", "_ground_truth"}
    assert 0.2 < counts["clinic_patients"] / 2000 < 0.4        # coverage rate 0.3 of 2,000 residents
    assert counts["_residents"] == 2000 and counts["_ground_truth"] == counts["clinic_patients"] + counts["oem_registry"]
    assert "2,000 residents, 4 tables" in studio.counts_summary.text()
    qtmodeltester.check(studio.counts_model)
    assert opened.args == [counts["clinic_patients"]]            # the first table's rows, paged in
    import sqlite3

    with sqlite3.connect(look.look.db_path) as conn:
        first = conn.execute("SELECT * FROM clinic_patients ORDER BY rowid LIMIT 1").fetchone()
    assert tuple(look.preview.model.index(0, c).data() for c in range(len(first))) == first
    profile = look.look.profile
    bars = look.chart("departments")
    assert [round(b.get_height()) for b in bars] == [n for k, n in profile.departments_per_resident if k > 0]
    assert sum(b.get_width() for b in look.chart("neighbourhoods")) == 2000
    assert set(look.chart("defects")) >= {"missing", "name"} and set(look.chart("ages")) == {"F", "M"}
    look.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: look.canvases["departments"].isVisible())
    shown = look.canvases["departments"].pixmap()  # drawn on the worker: the tab only shows its picture
    assert not shown.isNull() and shown.width() > 100 and look.look.charts["departments"].drawn is bars
    with qtbot.waitSignal(look.preview.model.ready, timeout=10_000) as second:
        look.counts_view.selectRow(1)
    assert second.args == [counts["oem_registry"]]
    studio.open_scenario("winter-storm")                         # another scenario: nothing of this city stays
    assert studio.counts_model.rowCount() == 0 and look.chart("departments") is None
    assert not look.preview.isVisible() and look.canvases["departments"].pixmap().isNull()


def test_new_from_builtin_copies_into_the_facilitator_folder_and_opens_it(studio, qtbot):
    with qtbot.waitSignal(studio.work_done, timeout=30_000):
        studio.new_from_builtin("winter-storm", "my-storm")
    made = studio.folder / "my-storm.yaml"
    assert made.exists() and (studio.folder / "my-storm").is_dir()
    assert studio.editor.path == made and not studio.editor.read_only
    assert "name: my-storm" in studio.editor.text()
    names = [studio.library.item(r).text() for r in range(studio.library.count())]
    assert "my-storm" in names and "winter-storm" in names


# ------------------------------------------------------------------------------------------ command line
def test_city_sandbox_studio_opens_a_scenario_and_refuses_a_missing_file(tmp_path, capsys):
    import os
    import subprocess
    import sys

    from sandbox_app.cli import main

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "CITY_SANDBOX_QUIT_AFTER_PAINT": "1",
           "CITY_SANDBOX_DATA": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-m", "sandbox_app", "studio", str(DATA / "answers-city.yaml")],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"studio open on {DATA / 'answers-city.yaml'}: 0 problems" in done.stdout
    assert main(["studio", str(tmp_path / "missing.yaml")]) == 1
    assert "missing.yaml: no such file" in capsys.readouterr().err


def test_a_file_that_is_not_text_is_refused_in_one_sentence(studio, tmp_path):
    bad = tmp_path / "binary.yaml"
    bad.write_bytes(b"\xff\xfe\x00name")
    studio.open_scenario(bad)
    assert studio.statusBar().currentMessage() == f"Cannot open {bad}: it is not UTF-8 text."
    assert studio.editor.path.name == "answers-city.yaml"       # the open scenario stays
