"""The studio's Exercises view, driven through its widgets: form edits rewrite the YAML (and validation runs on
it), answers are built in the trainees' share builder and saved beside the scenario, Check shows each answer's
verdict, the trainee preview shows no needs or answers, and built-in scenarios stay read-only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from sandbox_app.scenario.loader import parse_scenario_text
from sandbox_app.ui.studio.exercises_view import READ_ONLY_HINT

DATA = Path(__file__).parent / "data"
WAIT = 30_000


@pytest.fixture
def studio(qtbot, isolated_qt, scenario_copy):
    from sandbox_app.ui.studio.studio_window import StudioWindow

    window = StudioWindow(folder=isolated_qt / "mine")  # closed below, not by qtbot (which closes it first)
    window.show()
    with qtbot.waitSignal(window.exercises.outline_read, timeout=WAIT):
        window.open_scenario(scenario_copy)
    settle(qtbot, window)
    yield window
    window.editor.editor.document().setModified(False)  # closing asks nothing
    window.close()                                       # and shuts every worker and child window down


def settle(qtbot, window) -> None:
    """Wait until validation and the form's re-read of the text have both caught up."""
    qtbot.waitUntil(lambda: not window.editor.checking and not window.exercises.reading, timeout=WAIT)


def scenario_of(window):
    return parse_scenario_text(window.editor.text(), str(window.editor.path), base=window.editor.path.parent)


def check(qtbot, view, everything=False) -> list:
    with qtbot.waitSignal(view.check.done, timeout=60_000):
        (view.check.check_all if everything else view.check.check_one).click()
    return view.check.model.checks


def open_builder(qtbot, view, click):
    with qtbot.waitSignal(view.windows_changed, timeout=WAIT):
        click()
    builder = view.windows[-1]
    qtbot.waitUntil(lambda: builder.builder is not None, timeout=WAIT)
    return builder


def test_a_form_edit_rewrites_the_yaml_as_one_undo_step_and_the_yaml_refreshes_the_form(studio, qtbot):
    view, editor = studio.exercises, studio.editor
    assert view.picker.itemText(0) == "1. Welfare checks  (checks)" and view.request.isEnabled()
    view.request.title_box.setText("Oxygen users, welfare checks")
    view.request.title_box.editingFinished.emit()
    assert "    title: Oxygen users, welfare checks\n" in editor.text()
    with qtbot.waitSignal(editor.problems_changed, timeout=WAIT) as blocker:
        view.request.holding.setCurrentIndex(view.request.holding.findData("oem"))
        view.request.holding.activated.emit(view.request.holding.currentIndex())
    assert any("clinic_patients" in p.message for p in blocker.args[0])     # validation ran on the new text
    assert view.problems.isVisible() and "needs.tables[0]: unknown table" in view.problems.text()
    editor.editor.undo()
    settle(qtbot, studio)
    assert editor.problems == [] and "holding_department: health" in editor.text()
    assert not view.problems.isVisible()
    editor.editor.undo()
    assert "title: Welfare checks\n" in editor.text()
    with qtbot.waitSignal(view.outline_read, timeout=WAIT):               # typed in the YAML: the form follows
        cursor = editor.editor.textCursor()
        start = editor.text().index("rows: \"equipment != 'none'\"")
        cursor.setPosition(start + len('rows: "'))
        cursor.insertText("age >= 65 and ")
    assert view.needs.rows.text() == "age >= 65 and equipment != 'none'"


def test_a_new_exercise_with_its_model_answer_built_in_the_builder_is_saved_and_checked(studio, qtbot):
    view, editor = studio.exercises, studio.editor
    with qtbot.waitSignal(view.outline_read, timeout=WAIT):
        view.add_button.click()
    assert view.picker.count() == 2 and view.index == 1
    view.select(0)                                    # picking an exercise shows its YAML in the editor
    assert editor.editor.current_line() == editor.text().splitlines().index("  - id: checks") + 1
    view.select(1)
    assert editor.editor.current_line() == editor.text().splitlines().index("  - id: new-exercise") + 1
    view.request.brief.setPlainText("From: OEM\nTo: Health\n\nWho on your books uses oxygen at home?")
    view.request.flush()
    view.needs.rows.setText("equipment != 'none'")
    view.needs.rows.editingFinished.emit()
    settle(qtbot, studio)
    for name in ("full_name", "equipment"):
        row = next(r for r in range(view.needs.fields.rowCount())
                   if view.needs.fields.item(r, 0).data(Qt.ItemDataRole.UserRole) == name)
        view.needs.fields.item(row, 0).setCheckState(Qt.CheckState.Checked)
        settle(qtbot, studio)
    exercise = scenario_of(studio).exercises[1]
    assert exercise.id == "new-exercise" and exercise.brief.startswith("From: OEM\nTo: Health\n\n")
    assert exercise.needs.fields == {"full_name": "exact", "equipment": "exact"}
    assert check(qtbot, view)[0].note == "no model answer"
    builder = open_builder(qtbot, view, view.answers.model_button.click)
    section = builder.builder.sections["clinic_patients"]
    section.setChecked(True)
    for name in ("full_name", "equipment"):
        section.grid.item(section._row_of[name], 0).setCheckState(Qt.CheckState.Checked)
    builder.builder.set_where("clinic_patients", "equipment != 'none'")
    builder.builder.destroy_on.setChecked(True)
    with qtbot.waitSignal(builder.saved, timeout=WAIT):
        builder.save_button.click()
    saved = editor.path.parent / "answers-city" / "new-exercise.model.json"
    assert json.loads(saved.read_text(encoding="utf-8"))["tables"][0]["where"] == "equipment != 'none'"
    assert "    model_answer: answers-city/new-exercise.model.json\n" in editor.text()
    settle(qtbot, studio)
    rows = check(qtbot, view)
    assert [(r.answer, r.expected, r.verdict, r.ok) for r in rows] == [
        ("new-exercise.model.json", "approve", "approve", True)]
    assert "All 1 answers" in view.check.summary.text()
    builder.close()


def test_a_bad_answer_added_with_expect_reject_round_trips_and_checks(studio, qtbot):
    view, editor = studio.exercises, studio.editor
    view.tabs.setCurrentWidget(view.answers)
    view.answers.new_label.setText("Everything")
    view.answers.new_expect.setCurrentText("reject")
    view.answers.new_teaches.setText("Birth dates and record numbers: more than a door-knock needs.")
    builder = open_builder(qtbot, view, view.answers.add_button.click)
    ref = "answers-city/checks.everything.json"
    assert (f'{{share: {ref}, expect: reject, teaches: "Birth dates and record numbers: more than a '
            'door-knock needs."}') in editor.text()
    section = builder.builder.sections["clinic_patients"]
    for name in ("mrn", "birth_date"):
        section.grid.item(section._row_of[name], 0).setCheckState(Qt.CheckState.Checked)
    with qtbot.waitSignal(builder.saved, timeout=WAIT):
        builder.save_button.click()
    shared = json.loads((editor.path.parent / ref).read_text(encoding="utf-8"))["tables"][0]["fields"]
    assert {"full_name", "equipment", "mrn", "birth_date"} <= set(shared)      # started from the model answer
    settle(qtbot, studio)
    bad = scenario_of(studio).exercises[0].bad_answers[-1]
    assert (bad.share, bad.expect) == (ref, "reject")
    row = check(qtbot, view)[-1]                  # two fields too many: the engine says revise, not reject
    assert (row.answer, row.expected, row.verdict, row.ok) == ("checks.everything.json", "reject", "revise", False)
    assert "data_minimisation" in row.note and view.check.model.index(2, 6).data() == "✗ miss"
    assert view.check.model.index(2, 0).data(Qt.ItemDataRole.BackgroundRole) is not None       # in red
    assert any(c.finding.rule == "data_minimisation" for c in view.check.report.cards)        # and why
    combo = view.answers.table.cellWidget(1, 1)
    combo.setCurrentText("revise")
    combo.activated.emit(combo.currentIndex())
    settle(qtbot, studio)
    assert scenario_of(studio).exercises[0].bad_answers[-1].expect == "revise"
    row = check(qtbot, view)[-1]
    assert (row.expected, row.verdict, row.ok) == ("revise", "revise", True)
    assert view.check.model.index(2, 0).data(Qt.ItemDataRole.BackgroundRole) is None
    builder.close()


def test_the_refuse_flag_is_written_and_check_shows_the_model_answer_now_misses_with_its_finding(studio, qtbot):
    view, editor = studio.exercises, studio.editor
    lawful = view.request.lawful
    lawful.setCurrentIndex(lawful.findData("refuse"))
    lawful.activated.emit(lawful.currentIndex())
    assert "    lawful_answer: refuse\n" in editor.text()
    settle(qtbot, studio)
    assert scenario_of(studio).exercises[0].lawful_answer == "refuse" and editor.problems == []
    rows = check(qtbot, view)
    model = rows[0]
    assert model.answer == "checks.model.json" and not model.ok and model.verdict != "approve"
    assert view.check.model.index(0, 6).data() == "✗ miss"
    assert view.check.model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) is not None
    view.check.view.selectRow(0)
    assert any(card.finding.rule == "lawful_refusal" for card in view.check.report.cards)
    lawful.setCurrentIndex(lawful.findData("share"))
    lawful.activated.emit(lawful.currentIndex())
    assert "lawful_answer" not in editor.text()


def test_the_trainee_preview_shows_the_brief_and_never_the_needs_answers_or_lessons(studio, qtbot):
    from PySide6.QtWidgets import QAbstractButton, QComboBox, QLabel, QLineEdit, QTextBrowser

    view = studio.exercises
    with qtbot.waitSignal(view.windows_changed, timeout=WAIT):
        view.preview_button.click()
    preview = view.windows[-1]
    qtbot.waitUntil(lambda: preview.page is not None, timeout=WAIT)
    page = preview.page
    exercise = scenario_of(studio).exercises[0]
    secrets = [exercise.needs.rows, exercise.model_answer, "model.json", "everyone.json", "_ground_truth",
               *[b.teaches for b in exercise.bad_answers], *[b.share for b in exercise.bad_answers]]
    shown = []
    for widget in page.findChildren(QLabel):
        shown += [widget.text(), widget.toolTip()]
    for widget in page.findChildren(QTextBrowser):
        shown.append(widget.toPlainText())
    for widget in page.findChildren(QComboBox):
        shown += [widget.itemText(i) for i in range(widget.count())]
    for widget in page.findChildren(QAbstractButton) + page.findChildren(QLineEdit):
        shown += [widget.text(), widget.toolTip()]
    text = "\n".join(shown)
    assert "Send us the patients with equipment." in text and page.exercise.id == "checks"
    for secret in secrets:
        assert secret not in text, secret
    folder = preview._folder
    preview.close()
    assert not folder.exists()                                  # the throwaway workspace is gone


def test_a_builtin_scenario_is_read_only_in_the_form_but_can_be_previewed_and_checked(studio, qtbot):
    view = studio.exercises
    with qtbot.waitSignal(view.outline_read, timeout=WAIT):
        studio.open_scenario("winter-storm")
    assert view.hint.text() == READ_ONLY_HINT
    assert not view.request.isEnabled() and not view.needs.isEnabled() and not view.answers.isEnabled()
    assert not view.add_button.isEnabled() and view.preview_button.isEnabled()
    assert view.check.check_one.isEnabled()
    before = studio.editor.text()
    assert view.apply(lambda text, index: text + "# changed\n") is False and studio.editor.text() == before


def test_an_answer_file_that_is_not_json_is_one_sentence_and_left_as_it_was(studio, qtbot):
    view, editor = studio.exercises, studio.editor
    broken = editor.path.parent / "answers-city" / "checks.everyone.json"
    broken.write_text("{this is not json", encoding="utf-8")
    with qtbot.waitSignal(view.windows_changed, timeout=WAIT):
        view.answers.table.cellWidget(0, 3).click()
    builder = view.windows[-1]
    qtbot.waitUntil(lambda: builder.problem is not None, timeout=WAIT)
    message = builder.problem
    assert "checks.everyone.json" in message and len(message.splitlines()) == 1
    assert builder.builder is None and broken.read_text(encoding="utf-8") == "{this is not json"
    rows = check(qtbot, view)
    assert rows[1].verdict == "error" and "checks.everyone.json" in rows[1].note and "\n" not in rows[1].note
    builder.close()
