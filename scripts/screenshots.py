"""Make the README's and docs' screenshots by driving the real trainee window offscreen.

    QT_QPA_PLATFORM=offscreen python scripts/screenshots.py [--out docs/img] [--theme dark]

Each picture is the real window (`QWidget.grab()`), driven through a trainee's flow on the built-in
winter-storm scenario: the start screen, the builder with the live meter, a score report, the attack replay.
Uses a private data folder and settings, so it never touches your own workspace.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _wait(app, condition, seconds: float = 120) -> bool:
    from PySide6.QtCore import QEvent, QEventLoop

    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return bool(condition())


def _settle(app, ms: int = 400) -> None:
    _wait(app, lambda: False, ms / 1000)


def dark_palette():
    from PySide6.QtGui import QColor, QPalette

    palette = QPalette()
    for role, colour in ((QPalette.ColorRole.Window, "#2b2b2b"), (QPalette.ColorRole.WindowText, "#e6e6e6"),
                         (QPalette.ColorRole.Base, "#1e1e1e"), (QPalette.ColorRole.AlternateBase, "#2f2f2f"),
                         (QPalette.ColorRole.Text, "#e6e6e6"), (QPalette.ColorRole.Button, "#3a3a3a"),
                         (QPalette.ColorRole.ButtonText, "#e6e6e6"), (QPalette.ColorRole.Highlight, "#3d7bd9"),
                         (QPalette.ColorRole.HighlightedText, "#ffffff"), (QPalette.ColorRole.ToolTipBase, "#3a3a3a"),
                         (QPalette.ColorRole.ToolTipText, "#e6e6e6"), (QPalette.ColorRole.Link, "#8ab4f8"),
                         (QPalette.ColorRole.PlaceholderText, "#9a9a9a"), (QPalette.ColorRole.Mid, "#555555")):
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    return palette


def explorer_shots(app, out: Path, suffix: str, size: tuple[int, int], private: Path) -> list[Path]:
    """The datathon explorer on a freshly generated winter-storm city: catalogue and table (filtered and
    sorted in SQL), catalogue search, the SQL console with a result and with a refused query, a chart."""
    from PySide6.QtCore import Qt

    from sandbox_app.scenario import load_scenario
    from sandbox_app.ui.explorer.app import ExplorerWindow
    from sandbox_app.ui.explorer.explorer_view import AGREEMENTS_TAB, CHART_TAB, JOURNEY_TAB, SQL_TAB
    from synthetic.generate import generate_city

    scenario = load_scenario("winter-storm")
    city = private / "winter-storm.db"
    generate_city(scenario, city, scenario_name=scenario.name)
    window = ExplorerWindow(city)
    window.resize(*size)
    window.show()
    view = window.view
    _wait(app, lambda: view.agreements.map is not None)  # the scenario's names, read in the background
    shots: list[Path] = []

    def shot(name: str) -> None:
        _settle(app, 500)
        path = out / f"explorer-{name}{suffix}.png"
        window.grab().save(str(path))
        shots.append(path)

    table = view.table_view
    view.catalog_panel.select_table("s311_service_requests")

    def columns() -> list[str]:
        return [table.model.column_name(c) for c in range(table.model.columnCount())]

    _wait(app, lambda: "opened_on" in columns() and not table.model.busy)
    columns = columns()
    table.header.editors()[columns.index("address")].setText("Apt")
    table.header.flush()
    _wait(app, lambda: not table.model.busy)
    table.header.setSortIndicator(columns.index("opened_on"), Qt.SortOrder.DescendingOrder)
    _wait(app, lambda: not table.model.busy and table.model.query.sort_column == "opened_on")
    table.table.setCurrentIndex(table.model.index(0, columns.index("zip")))
    _wait(app, lambda: view.column_panel.profile is not None)
    shot("table")

    view.catalog_panel.search.setText("birth")
    view.catalog_panel.refresh()
    model = view.catalog_panel.model
    dept = model.item(1) if model.rowCount() > 1 else model.item(0)
    view.catalog_panel.tree.setCurrentIndex(dept.child(0, 0).child(0, 0).index())
    shot("catalog-search")
    view.catalog_panel.search.clear()
    view.catalog_panel.refresh()

    view.tabs.setCurrentIndex(SQL_TAB)
    console = view.console
    console.editor.setPlainText("-- 311 requests by ZIP: how many, and how many were power outages\n"
                                "SELECT zip, COUNT(*) AS requests,\n       SUM(request_type = 'power_outage') AS outages\n"
                                "FROM s311_service_requests\nGROUP BY zip\nORDER BY requests DESC;")
    console.run()
    _wait(app, lambda: console.last_result is not None and console.results.model.rowCount() > 0)
    shot("sql")
    console.editor.setPlainText("-- the console only reads\nDELETE FROM s311_service_requests WHERE zip IS NULL;")
    console.run()
    _wait(app, lambda: console.run_button.isEnabled())
    shot("sql-refused")

    view.tabs.setCurrentIndex(CHART_TAB)
    charts = view.charts
    charts.source.setCurrentText("s311_service_requests")
    charts.x.setCurrentText("request_type")
    charts.draw()
    _wait(app, lambda: charts.data is not None)
    shot("chart")
    charts.source.setCurrentText("power_medical_baseline_accounts")
    charts.kind.setCurrentIndex(charts.kind.findData("map"))
    charts.x.setCurrentText("zip")
    charts.data = None
    charts.draw()
    _wait(app, lambda: charts.data is not None)
    shot("map")
    view.tabs.setCurrentIndex(AGREEMENTS_TAB)
    shot("agreements")
    window.close()

    window = ExplorerWindow(city, facilitator=True)  # how data moves, as a facilitator shows it
    window.resize(*size)
    window.show()
    view = window.view
    _wait(app, lambda: view.agreements.map is not None)
    view.tabs.setCurrentIndex(JOURNEY_TAB)
    for _ in range(12):  # a resident whose records linkage partly misses tells the story best
        view.journey.truth = []
        view.journey.pick()
        _wait(app, lambda: bool(view.journey.truth))
        if view.journey.missed:
            break
    shot("journey")
    window.close()

    # What a recipient holds: the warming-centres model answer's cells, written by `city-sandbox extract`.
    import contextlib

    from sandbox_app.explore.approved_extract import extract_about, write_approved_extract
    from sandbox_app.explore.catalog import Catalog
    from sandbox_app.privacy.answers import load_answer
    from sandbox_app.privacy.score import score_share
    from sandbox_app.sharing.database import CityDatabase

    exercise = scenario.exercise("warming-centres")
    with contextlib.closing(CityDatabase(city)) as db:
        report = score_share(db, scenario, exercise.id, load_answer(scenario, exercise.model_answer))
    extract = write_approved_extract(Catalog(city), report.extract, private / "warming-centres.db", fmt="sqlite",
                                     name=exercise.id, force=True, about=extract_about(scenario, exercise, report))
    window = ExplorerWindow(extract, label="approved extract (warming-centres)")
    window.resize(*size)
    window.show()
    view = window.view
    _wait(app, lambda: view.agreements.map is not None and view.table_view.model.rowCount() > 0)
    from sandbox_app.ui.explorer.catalog_panel import COLUMN_ROLE

    panel = view.catalog_panel
    panel.select_table("warming-centres".replace("-", "_"))
    item = panel.model.itemFromIndex(panel.tree.currentIndex())
    panel.tree.expand(item.index())
    for row in range(item.rowCount()):  # the derived column: the dictionary says how it was made
        if item.child(row, 0).data(COLUMN_ROLE) == "age_75_plus":
            panel.tree.setCurrentIndex(item.child(row, 0).index())
    shot("extract")
    window.close()
    return shots


DEBRIEF_ROOM = (  # (trainee, fields added to the model answer, fields taken out, where) -- a made-up room
    ("Amara Okafor", (), (), None), ("Ben Carter", (), (), None), ("Chen Wei", (), (), None),
    ("Dana Ruiz", ("birth_date",), (), None), ("Eli Novak", ("birth_date", "sex"), (), None),
    ("Farah Haddad", (), ("phone",), None), ("Gus Lindqvist", (), (), "equipment != 'none'"),
    ("Hana Sato", ("mrn",), (), None), ("Ivo Petrov", ("nurse_notes", "primary_diagnosis"), (), None),
    ("Jo Mensah", (), ("address", "phone"), None), ("Kai Moreno", ("zip",), (), None),
    ("Lena Fischer", (), (), None), ("everything", (), (), None), ("counts-only", (), (), None),
)


def debrief_shots(app, out: Path, suffix: str, size: tuple[int, int], private: Path) -> list[Path]:
    """The debrief dashboard on a made-up room of 14 trainees' signed results for winter-storm's welfare checks
    (variations of the model answer, two known-bad answers; some trainees tried several times)."""
    import json

    from sandbox_app.cache import cached_database
    from sandbox_app.privacy.answers import answer_path
    from sandbox_app.privacy.score import score_share
    from sandbox_app.scenario import load_scenario
    from sandbox_app.sharing.database import CityDatabase
    from sandbox_app.sharing.document import load_share, parse_share_text, share_to_json
    from sandbox_app.ui.studio.debrief_window import DebriefWindow
    from sandbox_app.workspace.results import build_result, result_key, sign_result, write_result

    os.environ["CITY_SANDBOX_HOME"] = str(private / "cache")
    scenario = load_scenario("winter-storm")
    exercise = scenario.exercises[0]
    db = CityDatabase(cached_database(scenario))
    model = json.loads(share_to_json(load_share(answer_path(scenario, exercise.model_answer))))
    bad = {Path(b.share).stem.split(".")[-1]: b.share for b in exercise.bad_answers}
    folder = private / "results"
    folder.mkdir()
    names = ("Mia Toivonen", "Noor Ahmed", "Otto Berg")
    for i, (trainee, more, less, where) in enumerate(DEBRIEF_ROOM):
        if trainee in bad:
            share = json.loads(share_to_json(load_share(answer_path(scenario, bad[trainee]))))
            trainee = names[("everything", "counts-only").index(trainee)]
        else:
            share = json.loads(json.dumps(model))
            table = share["tables"][0]
            table["fields"].update({f: {"op": "keep"} for f in more})
            for f in less:
                table["fields"].pop(f)
            if where:
                table["where"] = where
        tries = [share] if i % 3 else [json.loads(share_to_json(load_share(answer_path(
            scenario, exercise.bad_answers[0].share)))), share]
        attempts = []
        for n, attempt in enumerate(tries, start=1):
            text = json.dumps(attempt)
            report = score_share(db, scenario, exercise.id, parse_share_text(text, "share"), file="share").to_dict()
            attempts.append({"number": n, "report": report, "share_json": text})
        data = build_result(trainee=trainee, scenario=scenario, exercise_id=exercise.id, share_json=text,
                            report=report, attempts=attempts, pack_id=None)
        write_result(folder / f"{trainee.split()[0].lower()}.json", sign_result(data, result_key(scenario, None)))
    db.close()
    window = DebriefWindow(folder)
    window.resize(*size)
    window.show()
    view = window.view
    _wait(app, lambda: view.debrief is not None)
    point = next(p for p in view.current.points if p.over_shared and p.result.verdict == "revise")
    view.select_point(point)
    _settle(app, 800)
    path = out / f"debrief-room{suffix}.png"
    window.grab().save(str(path))
    window.close()
    return [path]


def studio_shots(app, out: Path, suffix: str, size: tuple[int, int]) -> list[Path]:
    """The facilitator studio on a copy of winter-storm: the editor with a typo found as you type (listed,
    underlined), then Check with one known-bad answer whose expected verdict is wrong (a miss), then Generate:
    the row counts with a table's first rows, and the charts of the city."""
    from sandbox_app.ui.studio.studio_window import StudioWindow

    window = StudioWindow()
    window.resize(*size)
    window.show()
    done: list[str] = []
    window.work_done.connect(done.append)
    window.new_from_builtin("winter-storm", "storm-workshop")
    _wait(app, lambda: done and not window.editor.checking)
    editor = window.editor
    text = editor.text()
    typo = text.replace("holding_department: dss", "holding_department: dds", 1)
    cursor = editor.editor.textCursor()
    cursor.select(cursor.SelectionType.Document)
    cursor.insertText(typo)
    _wait(app, lambda: editor.problems and not editor.checking)
    editor.editor.go_to_line(editor.problems[0].line)
    _settle(app)
    shots = []

    def shot(name: str) -> None:
        path = out / f"{name}{suffix}.png"
        window.grab().save(str(path))
        shots.append(path)

    shot("studio-editor")
    editor.editor.undo()
    fixed = editor.text().replace("expect: revise, teaches: \"Counts by", "expect: approve, teaches: \"Counts by", 1)
    cursor = editor.editor.textCursor()
    cursor.select(cursor.SelectionType.Document)
    cursor.insertText(fixed)
    _wait(app, lambda: not editor.checking and not editor.problems)
    editor.save()
    done.clear()
    window.splitter.setSizes([170, 500, 696])  # room for every column of the Check table
    window.check()
    _wait(app, lambda: bool(done), 300)
    editor.editor.go_to_line(editor.text()[:editor.text().index("expect: approve")].count("\n") + 1)
    _settle(app)
    shot("studio-check")
    done.clear()
    window.generate()
    _wait(app, lambda: bool(done), 300)
    look = window.city_look
    look.counts_view.selectRow(next(i for i, c in enumerate(look.look.counts) if c.table == "dss_meal_delivery_clients"))
    _wait(app, lambda: look.preview.model.rowCount() > 0 and not look.preview.model.busy)
    _settle(app)
    shot("studio-generate")
    for tab, name in ((1, "studio-generate-departments"), (2, "studio-generate-defects"), (3, "studio-generate-ages")):
        look.tabs.setCurrentIndex(tab)
        _settle(app)
        shot(name)
    shots += exercise_shots(app, window, out, suffix)
    editor.editor.document().setModified(False)
    window.close()
    return shots


def exercise_shots(app, window, out: Path, suffix: str) -> list[Path]:
    """The Exercises view on the studio's copy of winter-storm: the request form, Check of one exercise with
    a miss and the findings behind it, and a known-bad answer open in the trainees' share builder."""
    view = window.exercises
    window.results.setCurrentWidget(view)
    window.splitter.setSizes([150, 470, 746])
    _wait(app, lambda: not view.reading and view.outline is not None)
    view.select(0)
    _settle(app)
    shots = []

    def shot(name: str, widget) -> None:
        path = out / f"{name}{suffix}.png"
        widget.grab().save(str(path))
        shots.append(path)

    shot("studio-exercises", window)
    done: list[str] = []
    view.check.done.connect(done.append)
    view.check.check_one.click()
    _wait(app, lambda: bool(done), 300)
    miss = next((i for i, c in enumerate(view.check.model.checks) if not c.ok), 0)
    view.check.view.selectRow(miss)
    _settle(app)
    shot("studio-exercise-check", window)
    view.tabs.setCurrentWidget(view.answers)
    view.answers.table.cellWidget(0, 3).click()
    builder = view.windows[-1]
    builder.resize(window.size())
    _wait(app, lambda: builder.builder is not None or builder.problem is not None, 300)
    builder.score()
    _wait(app, lambda: builder.report.report is not None, 300)
    _settle(app)
    shot("studio-answer-builder", builder)
    builder.close()
    return shots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "img"), help="folder for the PNG files")
    parser.add_argument("--theme", choices=["light", "dark"], default="light")
    parser.add_argument("--size", default="1366x768", help="window size, e.g. 1366x768")
    parser.add_argument("--only", choices=["trainee", "explorer", "debrief", "studio"],
                        help="make only one window's pictures")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    private = Path(tempfile.mkdtemp(prefix="city-sandbox-shots-"))
    os.environ["CITY_SANDBOX_DATA"] = str(private / "data")
    from PySide6.QtCore import QSettings, Qt

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(private / "settings"))
    from sandbox_app.ui.app import make_app, open_workspace
    from sandbox_app.ui.trainee.main_window import MainWindow
    from sandbox_app.ui.trainee.share_builder import COL_OP, COL_SHARE

    app = make_app()
    app.setStyle("Fusion")
    if args.theme == "dark":
        app.setPalette(dark_palette())
    suffix = "" if args.theme == "light" else "-dark"
    width, height = (int(v) for v in args.size.split("x"))
    if args.only == "studio":
        for path in studio_shots(app, out, suffix, (width, height)):
            print(path)
        return 0
    if args.only in ("explorer", "debrief"):
        for path in {"explorer": explorer_shots, "debrief": debrief_shots}[args.only](
                app, out, suffix, (width, height), private):
            print(path)
        return 0
    workspace, problem = open_workspace()
    window = MainWindow(workspace, problem)
    window.resize(width, height)
    window.show()
    window.start.name.setText("Ada Trainee")
    _wait(app, lambda: len(window.scenarios) == len(window.start._items))
    window.start.list.setCurrentItem(window.start._items["winter-storm"])
    _settle(app)
    shots = []

    def shot(name: str, widget=None) -> None:
        path = out / f"{name}{suffix}.png"
        (widget or window).grab().save(str(path))
        shots.append(path)

    shot("start-screen")
    window.open_location("winter-storm")
    if not _wait(app, lambda: window.page is not None and window.stack.currentWidget() is window.page):
        print("the scenario did not open", file=sys.stderr)
        return 1
    page = window.page
    section = page.builder.sections["ph_home_health_clients"]
    section.setChecked(True)
    for name in ("birth_date", "sex", "zip", "equipment"):
        section.grid.item(section._row_of[name], COL_SHARE).setCheckState(Qt.CheckState.Checked)
    combo = section.grid.cellWidget(section._row_of["birth_date"], COL_OP)
    combo.setCurrentIndex(combo.findData("generalize"))
    page.builder.purpose.setCurrentIndex(page.builder.purpose.findData("emergency_planning"))
    _wait(app, lambda: page.live_report is not None and not page.scorer.runner.busy)
    _settle(app, 800)
    page.reading.setCurrentWidget(page.catalog)
    shot("builder-live-meter")
    page.reading.setCurrentWidget(page.brief)
    page.submit()
    _wait(app, lambda: page.last_report is not None)
    _settle(app)
    cards = page.report_view.cards
    target = next((c for c in cards if c.finding.rule in ("k_anonymity", "linkage_attack")), cards[0] if cards else None)
    if target is not None:
        page.report_view._select(target.finding)
        page.results.setCurrentWidget(page.report_view)
    _settle(app)
    shot("score-report")
    page.results.setCurrentWidget(page.attack_view)
    page.attack_view._show(len(page.attack_view.steps))
    _settle(app)
    shot("attack-replay")
    window.close()
    if args.only != "trainee":
        shots += explorer_shots(app, out, suffix, (width, height), private)
        shots += debrief_shots(app, out, suffix, (width, height), private)
        shots += studio_shots(app, out, suffix, (width, height))
    for path in shots:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
