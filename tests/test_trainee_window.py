"""The trainee workspace, driven through its widgets: build a share, watch the meter, submit, learn, fix."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from sandbox_app.sharing import parse_share_text, share_to_json
from sandbox_app.ui.trainee.share_builder import COL_OP, COL_SHARE

TABLE = "ph_home_health_clients"


def tick(page, names, table=TABLE):
    section = page.builder.sections[table]
    if not section.isChecked():
        section.setChecked(True)
    for name in names:
        section = page.builder.sections[table]
        section.grid.item(section._row_of[name], COL_SHARE).setCheckState(Qt.CheckState.Checked)


def wait_scored(qtbot, page):
    with qtbot.waitSignal(page.scorer.scored, timeout=20_000) as blocker:
        pass
    return blocker.args[0]


def submit(qtbot, page):
    with qtbot.waitSignal(page.submitted, timeout=30_000) as blocker:
        page.submit_button.click()
    return blocker.args[0]


def shared_fields(page, table=TABLE):
    return {t.table: list(t.fields) for t in page.editor.document.tables}.get(table, [])


def test_building_a_share_through_the_widgets_updates_the_meter_and_preview(qtbot, page):
    tick(page, ["first_name", "last_name", "phone", "equipment"])
    assert shared_fields(page) == ["first_name", "last_name", "phone", "equipment"]
    report = wait_scored(qtbot, page)
    assert page.meter.status.text().startswith("As it stands")
    assert f"{report.usefulness_score}/100" in page.meter.values["usefulness"].text()
    qtbot.waitUntil(lambda: page.preview_model.columnCount() == 4)
    assert page.preview_model.rowCount() == page.session.row_counts[TABLE]
    assert "1" in page.preview_label.text()


def test_the_operation_combo_and_filter_box_edit_the_document(qtbot, page):
    tick(page, ["birth_date", "equipment"])
    section = page.builder.sections[TABLE]
    combo = section.grid.cellWidget(section._row_of["birth_date"], COL_OP)
    combo.setCurrentIndex(combo.findData("generalize"))
    ops = page.editor.document.tables[0].fields
    assert ops["birth_date"].op == "generalize" and ops["birth_date"].to == "year"
    qtbot.keyClicks(section.filter, "equipment != 'none'")
    assert page.editor.document.tables[0].where == "equipment != 'none'"
    assert section.filter_error.isHidden()


def test_a_bad_filter_shows_an_inline_error_and_leaves_the_share_alone(qtbot, page):
    tick(page, ["equipment"])
    section = page.builder.sections[TABLE]
    qtbot.keyClicks(section.filter, "equipment = = 'x'")
    assert not section.filter_error.isHidden()
    assert "character" in section.filter_error.text()
    assert page.editor.document.tables[0].where != "equipment = = 'x'"  # only valid filters reach the share
    section.filter.clear()
    qtbot.keyClicks(section.filter, "nosuchfield > 3")
    assert "nosuchfield" in section.filter_error.text()


def test_undo_and_redo_walk_every_edit_and_typing_merges_into_one_step(qtbot, page):
    tick(page, ["equipment", "phone"])
    section = page.builder.sections[TABLE]
    qtbot.keyClicks(section.filter, "equipment != 'none'")
    stack = page.editor.stack
    assert page.editor.document.tables[0].where == "equipment != 'none'"
    stack.undo()  # the whole typed filter is one step
    assert page.editor.document.tables[0].where is None
    assert section.filter.text() == ""
    stack.undo()
    assert shared_fields(page) == ["equipment"]
    stack.redo()
    stack.redo()
    assert shared_fields(page) == ["equipment", "phone"]
    assert page.editor.document.tables[0].where == "equipment != 'none'"


def test_the_json_tab_and_the_builder_stay_in_step(qtbot, page):
    tick(page, ["equipment"])
    text = page.json_tab.text.toPlainText()
    assert json.loads(text)["tables"][0]["fields"] == {"equipment": {"op": "keep"}}
    data = json.loads(text)
    data["tables"][0]["fields"]["zip"] = {"op": "generalize", "to": "zip3"}
    page.json_tab.text.setPlainText(json.dumps(data))
    assert page.json_tab.commit()
    section = page.builder.sections[TABLE]
    row = section._row_of["zip"]
    assert section.grid.item(row, COL_SHARE).checkState() == Qt.CheckState.Checked
    assert section.grid.cellWidget(row, COL_OP).currentData() == "generalize"
    page.json_tab.text.setPlainText('{"format": "city-sandbox/share@1", "tables": [ }')
    assert not page.json_tab.commit()
    assert "JSON syntax" in page.json_tab.error.text()
    assert "zip" in shared_fields(page)  # the broken text changed nothing


def test_submit_shows_the_verdict_findings_and_attack_and_records_an_attempt(qtbot, page):
    tick(page, ["birth_date", "sex", "zip", "equipment"])
    report = submit(qtbot, page)
    assert page.report_view.report is report
    assert len(page.report_view.cards) == len(report.findings) > 0
    assert page.results.currentWidget() is page.report_view
    assert page.attack_view.steps and "voter roll" in page.attack_view.text.toPlainText()
    attempts = page.workspace.attempts(page.key, "welfare-checks")
    assert [a.verdict for a in attempts] == [report.verdict]
    assert "submitted" in page.exercise_box.currentText()


def test_clicking_a_finding_highlights_its_fields_in_the_builder_and_its_rows_in_the_preview(qtbot, page):
    tick(page, ["birth_date", "sex", "zip", "equipment"])
    report = submit(qtbot, page)
    card = next(c for c in page.report_view.cards if c.finding.fields and getattr(c.finding, "row_positions", None))
    qtbot.mouseClick(card, Qt.MouseButton.LeftButton)
    section = page.builder.sections[TABLE]
    for name in card.finding.fields:
        if name in section._row_of:
            assert section.grid.item(section._row_of[name], 1).text().startswith("▶")
    rows = card.finding.row_positions[TABLE]
    assert page.preview_model.highlighted_rows == {int(r) for r in rows}
    assert report.findings


def test_refusing_disables_the_builder_and_scores_the_refusal(qtbot, page):
    page.builder.refuse_radio.click()
    qtbot.keyClicks(page.builder.reason, "The MOU covers welfare checks only.")
    doc = page.editor.document
    assert doc.decision == "refuse" and doc.reason == "The MOU covers welfare checks only."
    assert not page.builder.sections[TABLE].isEnabled()
    assert "refusing" in page.meter.status.text()
    report = submit(qtbot, page)
    assert report.privacy_score == 100
    assert report.usefulness_score < 100  # welfare checks are lawful: someone waits


def test_a_new_edit_cancels_the_score_in_flight_and_its_result_never_lands(qtbot, page):
    tick(page, ["equipment"])
    wait_scored(qtbot, page)
    scorer = page.scorer
    scored = []
    scorer.scored.connect(scored.append)
    tick(page, ["phone"])
    scorer.timer.stop()
    scorer._start()                      # a score of {equipment, phone} in flight …
    tick(page, ["address"])              # … and a newer edit
    scorer.timer.stop()
    scorer._start()
    qtbot.waitUntil(lambda: bool(scored) and not scorer.runner.busy, timeout=20_000)
    assert len(scored) == 1
    assert list(scored[0].extract.share.tables[0].fields) == ["equipment", "phone", "address"]


def test_the_trainee_never_sees_needs_answers_or_their_lessons(qtbot, page):
    from PySide6.QtWidgets import QAbstractButton, QComboBox, QLabel, QLineEdit, QTextBrowser

    scenario = page.session.scenario
    secrets = ["_ground_truth", "pseudonym_key", "_residents"]
    for exercise in scenario.exercises:
        if exercise.needs.rows:
            secrets.append(exercise.needs.rows)
        secrets += [b.teaches for b in exercise.bad_answers if b.teaches]
        secrets += [b.share for b in exercise.bad_answers if isinstance(b.share, str)]
        if isinstance(exercise.model_answer, str):
            secrets.append(exercise.model_answer)
    for index in range(page.exercise_box.count()):
        page.exercise_box.setCurrentIndex(index)
        shown = []
        for widget in page.findChildren(QLabel):
            shown += [widget.text(), widget.toolTip()]
        for widget in page.findChildren(QTextBrowser):
            shown.append(widget.toPlainText())
        for widget in page.findChildren(QComboBox):
            shown += [widget.itemText(i) for i in range(widget.count())]
        for widget in page.findChildren(QAbstractButton) + page.findChildren(QLineEdit):
            shown += [widget.text() if hasattr(widget, "text") else "", widget.toolTip()]
        text = "\n".join(shown)
        for secret in secrets:
            assert secret not in text, secret


def test_every_edit_is_saved_and_reopening_restores_the_share_and_its_undo_history(qtbot, page, workspace,
                                                                                     session):
    from sandbox_app.ui.trainee.exercise_page import ExercisePage

    tick(page, ["equipment", "phone"])
    saved = share_to_json(page.editor.document)
    page.shutdown()
    again = ExercisePage(workspace)
    qtbot.addWidget(again)
    again.open_session(session, "welfare-checks")
    assert share_to_json(again.editor.document) == saved
    again.editor.stack.undo()
    assert list(again.editor.document.tables[0].fields) == ["equipment"]
    again.shutdown()


def test_an_exported_result_scores_the_same_on_the_command_line(qtbot, page, session, tmp_path, capsys):
    from sandbox_app.cli import main
    from sandbox_app.workspace.results import read_result, result_key, verify_result

    tick(page, ["first_name", "last_name", "phone", "equipment"])
    report = submit(qtbot, page)
    path = tmp_path / "me.result.json"
    assert page.write_result(path, "Ada Trainee")
    data = read_result(path)
    assert verify_result(data, result_key(session.scenario))
    assert data["trainee"] == "Ada Trainee" and data["verdict"] == report.verdict
    share = tmp_path / "share.json"
    share.write_text(json.dumps(data["share"]), encoding="utf-8")
    capsys.readouterr()
    main(["score", "winter-storm", "welfare-checks", str(share), "--db", str(session.db_path), "--json"])
    scored = json.loads(capsys.readouterr().out)
    assert (scored["verdict"], scored["privacy_score"], scored["usefulness_score"]) == (
        report.verdict, report.privacy_score, report.usefulness_score)
    assert parse_share_text(json.dumps(data["share"])).tables == page.editor.document.tables


@pytest.mark.parametrize("make", ["frame", "dictionary"])
def test_the_qt_models_pass_qtmodeltester(qtmodeltester, page, make):
    if make == "frame":
        tick(page, ["equipment", "birth_date"])
        model = page.catalog.sample
    else:
        model = page.catalog.dictionary
    qtmodeltester.check(model)
