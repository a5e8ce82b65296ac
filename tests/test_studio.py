"""The facilitator studio: the scenario editor (live validation, jump to a problem, atomic save, external
change) and the studio window's Check and Generate."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sandbox_app.scenario.loader import parse_scenario_text

DATA = Path(__file__).parent / "data"


@pytest.fixture
def scenario_copy(tmp_path) -> Path:
    """answers-city.yaml and its answers folder copied into a temp folder (the editor writes to it)."""
    shutil.copy(DATA / "answers-city.yaml", tmp_path / "answers-city.yaml")
    shutil.copytree(DATA / "answers-city", tmp_path / "answers-city")
    return tmp_path / "answers-city.yaml"


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
