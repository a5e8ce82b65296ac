"""The debrief dashboard: a folder of result files made through the trainee workflow is graded on a worker and
each chart holds the right numbers (read back from the matplotlib artists); picking a point shows that
trainee; anonymise hides every name; HTML and PDF export."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from sandbox_app.grading.grade import grade_results
from sandbox_app.grading.summary import summarise
from sandbox_app.packs import open_pack, write_pack
from sandbox_app.scenario import load_scenario
from sandbox_app.sharing.database import CityDatabase
from sandbox_app.workspace.store import Workspace
from tests.resultfixture import edit, submit

SCENARIO = Path(__file__).parent / "data" / "answers-city.yaml"
ANSWERS = SCENARIO.parent / "answers-city"
MODEL, BAD = ANSWERS / "checks.model.json", ANSWERS / "checks.everyone.json"
NAMES = ("Ada Lovelace", "Bo Peep", "Cy Twombly", "Di Fosse", "Ed Wood")


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    """A facilitator's pack and five trainees' results: three model answers, two bad (one after two tries)."""
    base = tmp_path_factory.mktemp("debrief-room")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CITY_SANDBOX_HOME", str(base / "cache"))
        mp.setenv("CITY_SANDBOX_DATA", str(base / "trainee"))
        written = write_pack(load_scenario(SCENARIO), base / "answers.citypack", with_db=True)
        pack = open_pack(written.path)
        db = CityDatabase(pack.database)
        results = base / "results"
        results.mkdir()
        with Workspace.open(base / "workspace.db") as ws:
            for trainee, share in zip(NAMES, (MODEL, MODEL, BAD, MODEL, BAD), strict=True):
                if trainee == "Cy Twombly":  # Cy tries the model answer first, then submits the bad one
                    ws.add_attempt(f"{trainee}|{pack.pack_id}", "checks", MODEL.read_text(), {
                        "verdict": "approve", "privacy_score": 100, "usefulness_score": 100})
                submit(pack, db, "checks", share, trainee, results / f"{trainee.split()[0]}.json", ws)
        db.close()
    return written, results


@pytest.fixture
def results(room, tmp_path) -> Path:
    out = Path(shutil.copytree(room[1], tmp_path / "results"))
    edit(out / "Ed.json", lambda d: d.update(verdict="approve", privacy_score=100, usefulness_score=100))
    return out


@pytest.fixture
def view(qtbot, isolated_qt, room, results):
    from sandbox_app.ui.studio.debrief_view import DebriefView

    widget = DebriefView(keys=[room[0].key_path])
    qtbot.addWidget(widget)
    widget.resize(1300, 800)
    widget.show()
    with qtbot.waitSignal(widget.loaded, timeout=60_000):
        widget.load([results])
    yield widget
    widget.shutdown()


def _offsets(view) -> dict[tuple[int, int], int]:
    """(privacy, usefulness) -> trainees drawn there, read back from the room view's scatter collections."""
    spots: dict[tuple[int, int], int] = {}
    for coll in view.room_collections:
        for x, y in coll.get_offsets():
            spots[(int(x), int(y))] = spots.get((int(x), int(y)), 0) + 1
    return spots


def _texts(view) -> list[str]:
    """Every text on screen: labels, buttons, combo items, table cells and headers, chart texts."""
    from PySide6.QtWidgets import QAbstractButton, QComboBox, QLabel, QPlainTextEdit, QTableWidget

    out = [w.text() for w in view.findChildren(QLabel) + view.findChildren(QAbstractButton)]
    out += [w.toPlainText() for w in view.findChildren(QPlainTextEdit)]
    for combo in view.findChildren(QComboBox):
        out += [combo.itemText(i) for i in range(combo.count())]
    for table in view.findChildren(QTableWidget):
        out += [table.item(r, c).text() for r in range(table.rowCount()) for c in range(table.columnCount())
                if table.item(r, c)]
    for figure in (view.room_figure, view.dist_figure, view.path_figure):
        out += [t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text"))]
    return out


def test_the_room_view_holds_every_counted_trainee_and_the_answers(view, room, results):
    grading = grade_results([results], keys=[room[0].key_path])
    scores = {r.trainee: (r.scored.privacy, r.scored.usefulness) for r in grading.results}
    expected: dict = {}
    for spot in scores.values():
        expected[spot] = expected.get(spot, 0) + 1
    assert _offsets(view) == expected and sum(expected.values()) == 5
    by_verdict = {c.get_label().split(" (")[0]: len(c.get_offsets()) for c in view.room_collections}
    assert by_verdict == {"trainee: approve": 3, "trainee: revise": 2}
    ex = view.current
    assert {r.kind: (r.privacy, r.usefulness) for r in ex.references} == {
        "model": scores["Ada Lovelace"], "bad": scores["Cy Twombly"]}
    legend = [t.get_text() for t in view.room_figure.axes[0].get_legend().get_texts()]
    assert "model answer" in legend and "known-bad answer" in legend


def test_histograms_and_rules_match_the_grading_summary(view, room, results):
    summary = summarise(grade_results([results], keys=[room[0].key_path]))[0]
    privacy_ax, useful_ax = view.dist_figure.axes
    for ax, values in ((privacy_ax, summary.privacy), (useful_ax, summary.usefulness)):
        heights = [int(p.get_height()) for p in ax.patches]
        assert len(heights) == 10 and sum(heights) == 5
        assert heights[-1] == sum(v >= 90 for v in values) and heights[0] == sum(v < 10 for v in values)
    table = view.rules
    rows = [(table.item(r, 0).text(), int(table.item(r, 4).text()), table.item(r, 3).text())
            for r in range(table.rowCount())]
    assert rows == [(r.rule, r.results, r.citation) for r in summary.rules()]
    assert ("data_minimisation", 2) in [(r[0], r[1]) for r in rows]


def test_fields_over_and_under_shared_against_the_needs(view):
    table = view.fields
    rows = {table.item(r, 0).text(): (int(table.item(r, 1).text()), int(table.item(r, 2).text()))
            for r in range(table.rowCount())}
    assert rows == {"birth_date": (2, 0)}   # the two bad answers send birth dates the request does not need


def test_flagged_results_are_listed_with_their_reason(view):
    table = view.flagged
    rows = [(table.item(r, 0).text(), table.item(r, 2).text()) for r in range(table.rowCount())]
    assert ("Ed.json", "the signature does not match the content: changed after the app wrote it") in rows
    assert any(f == "Ed.json" and why.startswith("the file says approve 100/100") for f, why in rows)


def test_picking_a_point_shows_that_trainee_and_the_attempt_path(view, qtbot):
    from PySide6.QtCore import QPoint, Qt

    coll = next(c for c in view.room_collections if c.get_label().startswith("trainee: revise"))
    cy = next(p for p in coll.points if p.trainee == "Cy Twombly")
    canvas = view.room_canvas
    canvas.draw()
    x, y = view.room_figure.axes[0].transData.transform((cy.privacy, cy.usefulness))
    ratio = canvas.device_pixel_ratio or 1
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton,
                     pos=QPoint(round(x / ratio), round((view.room_figure.bbox.height - y) / ratio)))
    qtbot.waitUntil(lambda: view.panel.point is cy)   # Cy's point is drawn first on the spot Ed shares
    panel = view.panel
    assert "Cy Twombly" in panel.heading.text()
    assert panel.report.report.verdict == "revise" and panel.report.cards
    assert {c.finding.rule for c in panel.report.cards} >= {"data_minimisation"}
    assert '"birth_date"' in panel.share.toPlainText() and panel.share.isReadOnly()
    line_privacy, line_useful = view.path_figure.axes[0].get_lines()
    assert list(line_privacy.get_ydata()) == [100, panel.point.privacy]
    assert list(line_useful.get_ydata()) == [100, panel.point.usefulness]


def test_anonymise_hides_every_name(view):
    view.select_point(view.current.points[0])
    shown = " ".join(_texts(view))
    assert "Ada Lovelace" in shown
    view.anonymise.setChecked(True)
    shown = " ".join(_texts(view))
    for name in NAMES:
        assert name not in shown and not re.search(rf"\b{name.split()[0]}\b", shown)  # nor file names (Ed.json)
    assert "Trainee 1" in shown and "Trainee 5" in shown


def test_html_export_holds_every_chart_and_no_names_when_anonymised(view, tmp_path):
    view.anonymise.setChecked(True)
    page = view.save_html(tmp_path / "debrief.html").read_text(encoding="utf-8")
    assert page.count('class="histogram"') == 2 and 'class="room"' in page and 'class="verdicts"' in page
    assert len(re.findall(r'class="point"', page)) == 5
    assert not any(name in page for name in NAMES)
    assert "<script" not in page and not re.search(r'(src|href)\s*=\s*"(?!#)', page)


def test_pdf_export_writes_a_pdf(view, tmp_path):
    out = view.save_pdf(tmp_path / "debrief.pdf")
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF") and len(data) > 5000
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", data)) == len(view.debrief.exercises) == 1   # a page each
    assert not any(name.encode() in data for name in NAMES)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp-")] == []


def test_cancel_leaves_the_view_as_it_was(qtbot, isolated_qt, room, results):
    from sandbox_app.ui.studio.debrief_view import DebriefView

    widget = DebriefView(keys=[room[0].key_path])
    qtbot.addWidget(widget)
    with qtbot.waitSignal(widget.runner.cancelled, timeout=60_000):
        widget.load([results])
        widget.cancel_button.click()
    assert widget.debrief is None and "cancelled" in widget.status.text()
    assert not widget.html_button.isEnabled()
    widget.shutdown()


def test_the_window_opens_on_a_folder_and_the_command_refuses_a_missing_one(qtbot, isolated_qt, room, results,
                                                                           tmp_path, capsys):
    from sandbox_app.cli import main
    from sandbox_app.ui.studio.debrief_window import DebriefWindow

    window = DebriefWindow(results, keys=[room[0].key_path])
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.view.loaded, timeout=60_000):
        window.show()
    assert window.view.exercise.count() == 1 and len(window.view.current.points) == 5
    window.close()
    assert main(["debrief", str(tmp_path / "nowhere")]) == 2
    assert "nowhere: no such file or folder" in capsys.readouterr().err


def test_a_derived_field_counts_as_the_source_fields_it_reads():
    from sandbox_app.ui.studio.debrief_data import shared_fields

    share = {"tables": [{"table": "clients", "fields": {
        "zip": {"op": "keep"}, "ssn": {"op": "drop"}, "name": {"op": "mask"},
        "age_75_plus": {"op": "derive", "expr": "years_between(birth_date, date('2026-01-14')) >= 75"}}}]}
    assert shared_fields(share, {"clients": {"zip", "ssn", "name", "birth_date"}}) == {"zip", "name", "birth_date"}


def test_a_folder_without_result_files_says_so(qtbot, isolated_qt, tmp_path):
    from sandbox_app.ui.studio.debrief_view import DebriefView

    widget = DebriefView()
    qtbot.addWidget(widget)
    (tmp_path / "empty").mkdir()
    with qtbot.waitSignal(widget.loaded, timeout=30_000):
        widget.load([tmp_path / "empty"])
    assert widget.status.text() == "No result files (*.json) were found there."
    assert widget.exercise.count() == 0 and widget.room_collections == []
    widget.shutdown()


def test_the_room_view_marks_the_model_and_bad_answers_where_the_engine_scores_them(view):
    from sandbox_app.ui.studio.debrief_charts import REFERENCE_GIDS

    ex = view.current
    ax = view.room_figure.axes[0]
    for kind, gid in REFERENCE_GIDS.items():
        marks = [c for c in ax.collections if c.get_gid() == gid]
        assert len(marks) == 1
        expected = sorted((r.privacy, r.usefulness) for r in ex.references if r.kind == kind)
        assert sorted((int(x), int(y)) for x, y in marks[0].get_offsets()) == expected and expected
    labels = [t.get_text() for t in ax.texts]
    assert "model answer" in labels and "bad answer" in labels


def _room_with_repeats(room, tmp_path) -> tuple[Path, list[str]]:
    """The room's results under file names holding each trainee's full name, and each result copied as a
    second trainee's (the same share twice, as a room often sends it); the names used."""
    import json

    from sandbox_app.workspace.results import sign_result

    out = tmp_path / "named"
    out.mkdir()
    key = open_pack(room[0].path).result_key
    names = []
    for i, path in enumerate(sorted(room[1].glob("*.json"))):
        data = json.loads(path.read_text(encoding="utf-8"))
        for copy in ("", " (copy)"):
            trainee = data["trainee"] + copy
            names.append(trainee)
            data = dict(data, trainee=trainee)
            data.pop("signature", None)
            (out / f"{i:02d} {trainee} - checks.json").write_text(json.dumps(sign_result(data, key)),
                                                                    encoding="utf-8")
    return out, names


def test_repeated_shares_are_scored_once_and_as_without_the_cache(room, tmp_path, monkeypatch):
    """10 results holding 2 distinct shares: the engine runs twice (the answers it marks are those shares
    too), and every score equals scoring each share on its own against a freshly opened city."""
    import json

    import sandbox_app.grading.sources as sources
    from sandbox_app.grading.sources import score_one
    from sandbox_app.ui.studio.debrief_data import build_debrief

    folder, _ = _room_with_repeats(room, tmp_path)
    runs = []
    monkeypatch.setattr(sources, "score_one", lambda *a: runs.append(a[3]) or score_one(*a))
    debrief = build_debrief([folder], keys=[room[0].key_path])
    graded = debrief.grading.results
    assert len(graded) == 10 and not debrief.grading.flagged
    distinct = {json.dumps(r.share, sort_keys=True) for r in graded}
    assert len(distinct) == 2 and len(runs) == 2
    pack = open_pack(room[0].path)
    for r in graded:
        db = CityDatabase(pack.database)   # no cache: a city opened for this one share
        try:
            alone = score_one(db, load_scenario(pack.scenario_path), r.exercise, r.share)
        finally:
            db.close()
        assert alone == r.scored
    refs = {(x.kind, x.privacy, x.usefulness) for x in debrief.exercises[0].references}
    assert refs == {("model", *_scores(graded, "Ada Lovelace")), ("bad", *_scores(graded, "Cy Twombly"))}
    assert [len(p.attempts) for p in debrief.exercises[0].points if p.trainee.startswith("Cy ")] == [2, 2]


def _scores(graded, trainee: str) -> tuple[int, int]:
    r = next(r for r in graded if r.trainee == trainee)
    return r.scored.privacy, r.scored.usefulness


def test_anonymised_html_holds_no_name_nor_file_name_and_marks_the_answers(room, tmp_path):
    from sandbox_app.grading.report_html import debrief_html
    from sandbox_app.ui.studio.debrief_data import build_debrief

    folder, names = _room_with_repeats(room, tmp_path)
    edit(next(folder.glob("*Ed Wood - checks.json")), lambda d: d.update(privacy_score=100))  # flagged: listed
    debrief = build_debrief([folder], keys=[room[0].key_path])
    assert debrief.grading.flagged
    page = debrief_html(debrief.grading, anonymise=True)
    said = _said(page)
    words = {w for name in names for w in re.findall(r"[A-Za-z]+", name) if w != "copy"}
    for word in words:
        assert not re.search(rf"\b{word}\b", said, re.IGNORECASE), word
    assert ".json" not in page and "(hidden)" in page
    assert "Trainee 10" in page and "<script" not in page and not re.search(r'(src|href)\s*=\s*"(?!#)', page)
    assert "url(" not in page and "@import" not in page and "<link" not in page and "<img" not in page
    sections = re.findall(r'<section class="exercise".*?</section>', page, re.S)
    assert len(sections) == len(debrief.exercises) == 1
    assert all(x.count('class="verdicts"') == x.count('class="room"') == 1 and x.count('class="histogram"') == 2
               for x in sections)
    refs = debrief.exercises[0].references
    for kind in ("model", "bad"):
        expected = sorted((r.privacy, r.usefulness) for r in refs if r.kind == kind)
        marks = re.findall(rf'class="reference" data-kind="{kind}" data-privacy="(\d+)" data-usefulness="(\d+)"',
                           page)
        assert sorted((int(p), int(u)) for p, u in marks) == expected and expected
    shown = debrief_html(debrief.grading)
    assert "Ada Lovelace" in shown and "Ed Wood - checks.json" in shown   # named, they are there


def _said(page: str) -> str:
    """Everything an HTML page says: its text (titles, captions, tooltips) and every attribute's value."""
    from html.parser import HTMLParser

    out: list[str] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            out.extend(value or "" for _name, value in attrs)

        def handle_data(self, data):
            out.append(data)

    Collect().feed(page)
    return "\n".join(out)


def test_loading_runs_off_the_gui_thread_and_reports_progress_as_it_scores(qtbot, isolated_qt, room, results,
                                                                           monkeypatch):
    import threading

    from sandbox_app.ui.studio import debrief_view

    threads, seen = [], []
    build = debrief_view.build_debrief
    monkeypatch.setattr(debrief_view, "build_debrief",
                        lambda *a, **k: threads.append(threading.current_thread()) or build(*a, **k))
    widget = debrief_view.DebriefView(keys=[room[0].key_path])
    qtbot.addWidget(widget)
    widget.runner.progress.connect(lambda fraction, status: seen.append((fraction, status)))
    with qtbot.waitSignal(widget.loaded, timeout=60_000):
        widget.load([results])
        assert not widget.cancel_button.isHidden() and not widget.open_button.isEnabled()   # busy: Cancel shown
    assert threads and threads[0] is not threading.main_thread()
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(0.1 < f < 0.95 and status.endswith(".json") for f, status in seen)   # moving while it scores
    widget.shutdown()
