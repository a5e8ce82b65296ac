"""The main window: the start screen and the exercise page in one window, with menus and shortcuts."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QTimer, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence, QUndoGroup
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox, QStackedWidget

from sandbox_app.errors import SandboxError
from sandbox_app.scenario.builtins import builtin_scenarios
from sandbox_app.ui.common.logs import data_dir
from sandbox_app.ui.common.tasks import TaskRunner
from sandbox_app.ui.common.window_size import fit_to_screen
from sandbox_app.ui.trainee.start_page import StartPage

log = logging.getLogger("city_sandbox.ui")
OPENABLE = (".yaml", ".yml", ".citypack")
DEFAULT_SIZE = (1366, 768)
MIN_SIZE = (900, 600)  # a saved geometry smaller than this (a window shrunk by accident) is not restored


def _load_builtins(state) -> list:
    from sandbox_app.scenario.loader import load_scenario

    out = []
    names = list(builtin_scenarios())
    for i, name in enumerate(names):
        if state.is_cancelled():
            break
        try:
            out.append((name, load_scenario(name)))
        except SandboxError as err:
            log.warning("built-in scenario %s did not load: %s", name, err)
        state.set_progress((i + 1) / len(names), name)
    return out


class MainWindow(QMainWindow):
    def __init__(self, workspace, workspace_problem: str = "") -> None:
        super().__init__()
        self.setWindowTitle("City Data-Sharing Sandbox")
        self.setAcceptDrops(True)
        self.workspace = workspace
        self.scenarios: dict[str, object] = {}
        self.session = None
        self.undo_group = QUndoGroup(self)
        self.stack = QStackedWidget()
        self.start = StartPage()
        self.start.open_requested.connect(self.open_location)
        self.start.cancel_requested.connect(lambda: self.opener.cancel())
        self.start.fresh_button.clicked.connect(self.start_fresh_workspace)
        self.stack.addWidget(self.start)
        self.page = None  # the ExercisePage, made when the first scenario opens (it imports the engine)
        self.setCentralWidget(self.stack)
        self.opener = TaskRunner(self)
        self.opener.progress.connect(self.start.set_progress)
        self.opener.finished.connect(self._opened)
        self.opener.failed.connect(self._open_failed)
        self.opener.cancelled.connect(self._open_cancelled)
        self.lister = TaskRunner(self)
        self.lister.finished.connect(self._listed)
        self.extractor = TaskRunner(self)
        self.extractor.finished.connect(self._extract_written)
        self.extractor.failed.connect(lambda text: self.statusBar().showMessage(
            f"Could not write the extract: {text}", 15_000))
        self._build_menus()
        self.statusBar().showMessage("Pick a scenario to begin.")
        geometry = QSettings().value("window/geometry")
        if not isinstance(geometry, QByteArray) or not self.restoreGeometry(geometry) \
                or self.width() < MIN_SIZE[0] or self.height() < MIN_SIZE[1]:
            self._default_size()
        self.start.show_names(list(builtin_scenarios()))
        if workspace_problem:
            self.start.show_problem(workspace_problem)
            self.start.fresh_button.show()
        self._refresh_recent()
        # After the first paint: reading the scenario files imports the engine, which need not delay the window.
        self._closed = False
        QTimer.singleShot(150, lambda: self._closed or self.lister.start(_load_builtins))

    # ----------------------------------------------------------------------------------- menus

    def _action(self, menu, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip or text)
        action.setToolTip(tip or text)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action(file, "&Open scenario or pack…", self.start.choose_file, QKeySequence.StandardKey.Open)
        self.export_action = self._action(file, "&Export result…", self.export_result, "Ctrl+E",
                                          "Save your result file for the facilitator")
        self._action(file, "Back to &scenarios", self.show_start, "Ctrl+Backspace")
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        edit = bar.addMenu("&Edit")
        undo = self.undo_group.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo_group.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence.StandardKey.Redo, QKeySequence("Ctrl+Y")])
        edit.addAction(undo)
        edit.addAction(redo)
        self.undo_action, self.redo_action = undo, redo
        exercise = bar.addMenu("E&xercise")
        self.submit_action = self._action(exercise, "&Submit", lambda: self.page and self.page.submit(),
                                          "Ctrl+Return", "Score the share as a privacy officer would")
        self.submit_action.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self._action(exercise, "&Next exercise", lambda: self.page and self.page.step_exercise(1), "Ctrl+PgDown")
        self._action(exercise, "&Previous exercise", lambda: self.page and self.page.step_exercise(-1), "Ctrl+PgUp")
        self._action(exercise, "Go to the row &filter", lambda: self.page and self.page.focus_filter(), "Ctrl+L")
        explore = bar.addMenu("E&xplore")
        self.explore_action = self._action(explore, "Explore this city's &data…", self.open_explorer, "Ctrl+D",
                                           "Open the datathon explorer on the city of this scenario: catalogue, "
                                           "tables, read-only SQL, charts (no answer key)")
        self.extract_action = self._action(explore, "Open my approved e&xtract as its recipient sees it…",
                                           self.open_extract, None,
                                           "Write your last approved share's extract with its data dictionary and "
                                           "open it in the explorer: what the other department would hold")
        facilitator = bar.addMenu("&Facilitator")
        self.studio_action = self._action(facilitator, "Open the &studio (write and check scenarios)…",
                                          self.open_studio, None,
                                          "Edit scenario files with live validation, generate their cities, "
                                          "check the answers")
        self.debrief_action = self._action(facilitator, "Open a &debrief (a folder of result files)…",
                                           self.open_debrief, None, "Grade the room's result files and show the "
                                           "room view, distributions and rules broken")
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "Open the &log folder", lambda: QDesktopServices.openUrl(
            QUrl.fromLocalFile(str(data_dir()))))
        self._action(help_menu, "&About", self._about)
        self._update_actions()

    def _default_size(self) -> None:
        """1366×768, or the screen's free area if that is smaller (a laptop with a taskbar)."""
        fit_to_screen(self, *DEFAULT_SIZE)

    def _update_actions(self) -> None:
        on_page = self.page is not None and self.stack.currentWidget() is self.page
        self.submit_action.setEnabled(on_page)
        self.export_action.setEnabled(on_page)
        self.explore_action.setEnabled(self.session is not None)
        self.extract_action.setEnabled(on_page)

    def open_explorer(self) -> None:
        """The explorer mode on this scenario's city, in its own window (participant view: no answer key)."""
        if self.session is None:
            return
        from sandbox_app.ui.explorer.app import ExplorerWindow

        try:
            self.explorer = ExplorerWindow(self.session.db_path, facilitator=False)
        except SandboxError as err:
            self.statusBar().showMessage(f"Could not open the explorer: {err}", 15_000)
            return
        self.explorer.show()

    def open_extract(self) -> None:
        """The last submit's extract, if approved, written as the recipient gets it and opened in the explorer."""
        page = self.page
        report = page.last_report if page is not None else None
        if report is None or report.verdict != "approve" or report.extract is None:
            self.statusBar().showMessage("Submit a share the engine approves first: only an approved extract "
                                         "leaves the department.", 10_000)
            return
        from sandbox_app.explore.approved_extract import extract_about, write_approved_extract
        from sandbox_app.explore.catalog import Catalog

        session, exercise = self.session, page.exercise
        target = data_dir() / "extracts" / f"{session.scenario.name}-{exercise.id}.db"
        about = extract_about(session.scenario, exercise, report)

        def write(_state) -> Path:
            target.parent.mkdir(parents=True, exist_ok=True)
            return write_approved_extract(Catalog(session.db_path), report.extract, target, fmt="sqlite",
                                          name=exercise.id, about=about, force=True)

        self.statusBar().showMessage("Writing your approved extract…")
        self.extractor.start(write)

    def _extract_written(self, path: Path) -> None:
        from sandbox_app.ui.explorer.app import ExplorerWindow

        try:
            self.explorer = ExplorerWindow(path, facilitator=False,
                                           label=f"your approved extract ({self.page.exercise.id})")
        except SandboxError as err:
            self.statusBar().showMessage(f"Could not open the extract: {err}", 15_000)
            return
        self.explorer.show()
        self.statusBar().showMessage(f"Your approved extract is in {path}: this is what the recipient holds.", 15_000)

    def open_studio(self) -> None:
        """The facilitator studio, in its own window (a mode of the same app)."""
        from sandbox_app.ui.studio.studio_window import StudioWindow

        self.studio = StudioWindow()
        self.studio.show()

    def open_debrief(self) -> None:
        """The debrief dashboard, in its own window; it asks for the folder of result files."""
        from sandbox_app.ui.studio.debrief_window import DebriefWindow

        self.debrief = DebriefWindow()
        self.debrief.show()

    def _about(self) -> None:
        from sandbox_app import __version__

        QMessageBox.about(self, "City Data-Sharing Sandbox", f"City Data-Sharing Sandbox {__version__}\n\n"
                          "Every resident in it is synthetic. Works offline; nothing leaves this computer.")

    # --------------------------------------------------------------------------------- opening

    def _listed(self, loaded: list) -> None:
        if self._closed:  # a late answer after the window closed (its workspace is closed too)
            return
        for name, scenario in loaded:
            self.scenarios[name] = scenario
            submitted = 0
            if self.workspace is not None:
                from sandbox_app.workspace.store import scenario_key

                key = scenario_key(scenario)
                submitted = sum(1 for e in scenario.exercises
                                if self.workspace.status(key, e.id).state == "submitted")
            self.start.show_scenario(name, scenario, submitted)

    def _refresh_recent(self) -> None:
        if self.workspace is not None:
            self.start.show_recent(self.workspace.recent())

    def open_location(self, location: str) -> None:
        """Open a built-in scenario name, a scenario file or a pack, preparing its city in the background."""
        if self.workspace is None:
            self.start.show_problem("Your workspace could not be opened, so your work could not be saved. "
                                    + self.start.problem.text())
            return
        self.start.show_problem("")
        self.show_start()
        self.start.set_busy(f"Preparing {Path(location).name if Path(location).suffix else location}…")
        self.statusBar().showMessage(f"Preparing {location}… (you can cancel)")
        from sandbox_app.workspace.city import open_city, open_pack_city

        known = self.scenarios.get(location)
        if location.endswith(".citypack"):
            self.opener.start(lambda state: open_pack_city(location, state))
        else:
            self.opener.start(lambda state: open_city(location, state, scenario=known))

    def _opened(self, session) -> None:
        self.start.set_busy(None)
        if self.session is not None and self.session is not session:
            if self.page is not None:
                self.page.close_exercise()
            self.session.close()
        self.session = session
        self.workspace.add_recent(session.location, session.scenario.title)
        self._refresh_recent()
        if self.page is None:
            from sandbox_app.ui.trainee.exercise_page import ExercisePage

            self.page = ExercisePage(self.workspace)
            self.page.back_requested.connect(self.show_start)
            self.page.message.connect(lambda text: self.statusBar().showMessage(text, 10_000))
            self.stack.addWidget(self.page)
        self.page.open_session(session)
        self._watch_undo()
        self.stack.setCurrentWidget(self.page)
        self.statusBar().showMessage(f"{session.scenario.title}: read the request, then build your share.", 10_000)
        self._update_actions()

    def _watch_undo(self) -> None:
        page = self.page
        if page is None or getattr(page, "editor", None) is None:
            return
        stack = page.editor.stack
        if stack not in self.undo_group.stacks():
            self.undo_group.addStack(stack)
        self.undo_group.setActiveStack(stack)
        if not getattr(page, "_watching", False):
            page._watching = True
            page.exercise_box.currentIndexChanged.connect(lambda _: QTimer.singleShot(0, self._watch_undo))

    def _open_failed(self, message: str) -> None:
        self.start.set_busy(None)
        self.start.show_problem(message)
        self.statusBar().showMessage("Could not open that; see the message above the list.", 10_000)

    def _open_cancelled(self) -> None:
        self.start.set_busy(None)
        self.statusBar().showMessage("Cancelled; nothing was changed.", 10_000)

    def show_start(self) -> None:
        self.stack.setCurrentWidget(self.start)
        self._update_actions()
        if self.scenarios:
            self._listed(list(self.scenarios.items()))

    def start_fresh_workspace(self) -> None:
        from sandbox_app.workspace.opening import set_aside
        from sandbox_app.workspace.store import Workspace, default_workspace_path

        try:
            path = default_workspace_path()
            kept = set_aside(path)
            self.workspace = Workspace.open(path)
        except (SandboxError, OSError) as err:
            self.start.show_problem(f"Could not start a fresh workspace: {err}")
            return
        self.start.fresh_button.hide()
        self.start.show_problem(f"Started a fresh workspace. The damaged one is kept at {kept}.")

    # -------------------------------------------------------------------------------- results

    def export_result(self) -> None:
        if self.page is None or self.page.exercise is None:
            return
        name = self.start.trainee_name
        if not name:
            self.statusBar().showMessage("Type your name on the start screen first: it goes on your result file.",
                                         10_000)
            self.show_start()
            self.start.name.setFocus()
            return
        suggested = f"{name.replace(' ', '_')}-{self.page.exercise.id}.result.json"
        path, _ = QFileDialog.getSaveFileName(self, "Export result", str(Path.home() / suggested),
                                              "Result files (*.json)")
        if path:
            self.save_result(Path(path), name)

    def save_result(self, path: Path, trainee: str) -> bool:
        try:
            written = self.page.write_result(path, trainee)
        except (SandboxError, OSError) as err:
            self.statusBar().showMessage(f"Could not write the result file: {err}", 15_000)
            return False
        if not written:
            self.statusBar().showMessage("Submit at least once before exporting a result.", 10_000)
            return False
        self.statusBar().showMessage(f"Saved your result to {path}. Hand this file to your facilitator.", 15_000)
        return True

    # ------------------------------------------------------------------------------ drag and drop

    def dragEnterEvent(self, event) -> None:
        urls = event.mimeData().urls()
        if urls and all(u.isLocalFile() and u.toLocalFile().endswith(OPENABLE) for u in urls):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        urls = event.mimeData().urls()
        if urls:
            self.open_location(urls[0].toLocalFile())

    # ------------------------------------------------------------------------------------ quit

    def closeEvent(self, event) -> None:
        self._closed = True
        QSettings().setValue("window/geometry", self.saveGeometry())
        self.opener.shutdown()
        self.lister.shutdown()
        self.extractor.shutdown()
        if self.page is not None:
            self.page.shutdown()
        for other in ("explorer", "studio", "debrief"):
            if getattr(self, other, None) is not None:
                getattr(self, other).close()
        if self.session is not None:
            self.session.close()
        if self.workspace is not None:
            self.workspace.close()
        super().closeEvent(event)
