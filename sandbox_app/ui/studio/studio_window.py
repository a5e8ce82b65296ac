"""The facilitator studio: a library of scenarios, the scenario editor, and Check / Generate on a worker.

Built-in scenarios open read-only; "New from built-in…" copies one (file and answers, as `city-sandbox new`
does) into the facilitator's folder (data dir / scenarios), where it can be edited and saved. Check and
Generate work on the editor's text as it is now, with a progress bar and Cancel.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from sandbox_app.ui.common.tasks import TaskRunner
from sandbox_app.ui.common.window_size import fit_to_screen
from sandbox_app.ui.studio import studio_tasks
from sandbox_app.ui.studio.check_model import CheckModel, rows_view
from sandbox_app.ui.studio.city_look import CityLookView
from sandbox_app.ui.studio.exercises_view import ExercisesView
from sandbox_app.ui.studio.scenario_editor import ScenarioEditor

_ROLE = Qt.ItemDataRole.UserRole


class NewScenarioDialog(QDialog):
    """Pick a built-in scenario and a new name (lower-case letters, digits and '-')."""

    def __init__(self, builtins: list[str], current: str | None, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New scenario from a built-in")
        self.source = QComboBox(self)
        self.source.addItems(builtins)
        if current in builtins:
            self.source.setCurrentText(current)
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("e.g. library-cards")
        form = QFormLayout(self)
        form.addRow("Copy", self.source)
        form.addRow("New name", self.name)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class StudioWindow(QMainWindow):
    """Library | editor | results (Check, Generate). `work_done(str)` when a Check, Generate or copy ends."""

    work_done = Signal(str)

    def __init__(self, folder: Path | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("City Sandbox — Facilitator studio")
        self.folder = folder or studio_tasks.facilitator_folder()
        self.editor = ScenarioEditor(self)
        self.library = QListWidget(self)
        self.library.setObjectName("library")
        self.library.setAccessibleName("Scenario library")
        self.library.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.library.currentItemChanged.connect(self._on_library_pick)

        self.check_model = CheckModel(self)
        self.check_view = rows_view(self.check_model, 7, self)
        self.city_look = CityLookView(self)
        self.counts_model = self.city_look.counts_model
        self.check_summary = QLabel("Check scores every model answer and known-bad answer of the scenario.")
        self.check_summary.setWordWrap(True)
        self.counts_summary = QLabel("Generate builds the scenario's city, counts each table's rows and charts "
                                     "what to check before a workshop.")
        self.counts_summary.setWordWrap(True)
        self.exercises = ExercisesView(self.editor, self)
        self.exercises.message.connect(lambda text: self.statusBar().showMessage(text, 15000))
        self.results = QTabWidget(self)
        self.results.addTab(self.exercises, "Exercises")
        self.results.addTab(self._page(self.check_summary, self.check_view), "Check")
        self.results.addTab(self._page(self.counts_summary, self.city_look), "Generate")

        self.progress = QProgressBar(self)
        self.progress.setRange(0, 100)
        self.progress_label = QLabel("")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        busy = QWidget(self)
        busy_layout = QHBoxLayout(busy)
        busy_layout.setContentsMargins(0, 0, 0, 0)
        busy_layout.addWidget(self.progress_label)
        busy_layout.addWidget(self.progress, 1)
        busy_layout.addWidget(self.cancel_button)
        self.busy_row = busy
        busy.hide()

        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(busy)
        right_layout.addWidget(self.results, 1)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("<b>Library</b>"))
        left_layout.addWidget(self.library, 1)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(self.editor)
        split.addWidget(right)
        split.setStretchFactor(1, 3)
        split.setStretchFactor(2, 2)
        split.setSizes([190, 620, 556])
        self.splitter = split
        self.setCentralWidget(split)

        self.new_action = self._action("New from built-in…", self.ask_new, QKeySequence.StandardKey.New)
        self.save_action = self._action("Save", self.editor.save, None)
        self.check_action = self._action("Check", self.check, "Ctrl+Shift+C")
        self.generate_action = self._action("Generate", self.generate, "Ctrl+G")
        toolbar = QToolBar("Studio", self)
        toolbar.setObjectName("studioToolbar")
        toolbar.setMovable(False)
        for action in (self.new_action, self.save_action, self.check_action, self.generate_action):
            toolbar.addAction(action)
        self.addToolBar(toolbar)
        self.file_label = QLabel("")
        self.statusBar().addPermanentWidget(self.file_label)

        self.runner = TaskRunner(self)
        self.runner.progress.connect(self._on_progress)
        self.runner.busy_changed.connect(self._on_busy)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(lambda: self._finish("Stopped; nothing was changed."))
        self.runner.finished.connect(self._on_finished)
        self._job = ""
        self.editor.modified_changed.connect(lambda _m: self._update_actions())
        self.editor.problems_changed.connect(lambda _p: self._update_actions())
        self.refresh_library()
        self._update_actions()
        fit_to_screen(self, 1366, 740)

    # ---------------------------------------------------------------- building
    def _action(self, text: str, slot, shortcut) -> QAction:
        action = QAction(text, self)
        action.triggered.connect(lambda _checked=False: slot())
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        self.addAction(action)
        return action

    def _page(self, summary: QLabel, view: QWidget) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.addWidget(summary)
        layout.addWidget(view, 1)
        return page

    # ---------------------------------------------------------------- library
    def refresh_library(self, select: Path | None = None) -> None:
        """List the built-in scenarios, then the facilitator folder's .yaml files; select `select` if given."""
        from sandbox_app.scenario.builtins import builtin_scenarios

        self.library.blockSignals(True)
        self.library.clear()
        self._heading("Built-in (read-only)")
        for name, path in builtin_scenarios().items():
            self._entry(name, path, builtin=True)
        self._heading("My scenarios", tooltip=str(self.folder))
        mine = sorted(self.folder.glob("*.yaml"))
        for path in mine:
            self._entry(path.stem, path, builtin=False)
        if not mine:
            self._heading("  (none yet: New from built-in…)")
        self.library.blockSignals(False)
        if select is not None:
            self.select(select)

    def _heading(self, text: str, tooltip: str = "") -> None:
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)  # not selectable, not greyed out
        item.setToolTip(tooltip)
        font = item.font()
        font.setBold(True)
        item.setFont(font)
        self.library.addItem(item)

    def _entry(self, name: str, path: Path, builtin: bool) -> None:
        item = QListWidgetItem(f"{name}")
        item.setData(_ROLE, (str(path), builtin))
        item.setToolTip(str(path))
        self.library.addItem(item)

    def builtin_names(self) -> list[str]:
        from sandbox_app.scenario.builtins import builtin_scenarios

        return list(builtin_scenarios())

    def select(self, path: str | Path) -> bool:
        """Select (and open) the library entry of `path`; False if it is not in the library."""
        for row in range(self.library.count()):
            data = self.library.item(row).data(_ROLE)
            if data and Path(data[0]).resolve() == Path(path).resolve():
                self.library.setCurrentRow(row)
                return True
        return False

    def open_scenario(self, name_or_path: str | Path) -> None:
        """Open a built-in name or a scenario file (files outside the folder open editable where they are)."""
        from sandbox_app.scenario.builtins import builtin_scenarios

        builtins = builtin_scenarios()
        path = builtins.get(str(name_or_path), Path(name_or_path))
        if not self.select(path):
            self._open(path, builtin=False)

    def _on_library_pick(self, item: QListWidgetItem | None, previous: QListWidgetItem | None) -> None:
        data = item.data(_ROLE) if item is not None else None
        if not data:
            return
        if self.editor.modified and not self._may_discard():
            self.library.blockSignals(True)
            self.library.setCurrentItem(previous)
            self.library.blockSignals(False)
            return
        self._open(Path(data[0]), builtin=data[1])

    def _open(self, path: Path, builtin: bool) -> None:
        try:
            self.editor.open_file(path, read_only=builtin)
        except (OSError, UnicodeDecodeError) as err:
            reason = "it is not UTF-8 text" if isinstance(err, UnicodeDecodeError) else (err.strerror or str(err))
            self.statusBar().showMessage(f"Cannot open {path}: {reason}.", 15000)
            return
        self.file_label.setText(f"{path}" + ("  (built-in, read-only: New from built-in… to edit a copy)"
                                             if builtin else ""))
        self.check_model.set_checks([])
        self.city_look.clear()
        self.exercises.file_opened()
        self._update_actions()

    def _may_discard(self) -> bool:
        answer = QMessageBox.question(self, "Unsaved changes", "This scenario has unsaved changes. Save them?",
                                      QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                                      | QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Save:
            return self.editor.save() is not None
        return answer == QMessageBox.StandardButton.Discard

    # ---------------------------------------------------------------- work
    def ask_new(self) -> None:
        current = self.editor.path.stem if self.editor.path is not None and self.editor.read_only else None
        dialog = NewScenarioDialog(self.builtin_names(), current, self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.name.text().strip():
            self.new_from_builtin(dialog.source.currentText(), dialog.name.text().strip())

    def new_from_builtin(self, source: str, name: str) -> None:
        """Copy built-in `source` as `name` into the facilitator folder (on the worker), then open it."""
        folder = self.folder
        self._begin("copy", f"Copying {source} as {name}…")
        self.runner.start(lambda state: studio_tasks.copy_builtin(source, name, folder, state))

    def check(self) -> None:
        """Score every model and known-bad answer of the scenario as it is in the editor."""
        if not self._ready("Check"):
            return
        text, path = self.editor.text(), self.editor.path
        self._begin("check", "Checking the answers…")
        self.results.setCurrentIndex(1)
        self.runner.start(lambda state: studio_tasks.check_answers(text, path, state))

    def generate(self) -> None:
        """Generate the scenario's city (or reuse the cached one), count each table's rows and profile it."""
        if not self._ready("Generate"):
            return
        text, path = self.editor.text(), self.editor.path
        self._begin("generate", "Generating the city…")
        self.results.setCurrentIndex(2)
        size = self.city_look.chart_size()
        self.runner.start(lambda state: studio_tasks.generate_look(text, path, state, size))

    def cancel(self) -> None:
        self.runner.cancel()

    def _ready(self, what: str) -> bool:
        if self.editor.path is None:
            self.statusBar().showMessage(f"{what}: open a scenario first.", 8000)
            return False
        if self.editor.problems:
            count = len(self.editor.problems)
            self.statusBar().showMessage(f"{what}: fix the {count} problem{'s' if count != 1 else ''} "
                                         "listed under the editor first.", 8000)
            return False
        return True

    def _begin(self, job: str, text: str) -> None:
        self._job = job
        self.progress.setValue(0)
        self.progress_label.setText(text)
        self.statusBar().showMessage(text)

    def _on_busy(self, busy: bool) -> None:
        self.busy_row.setVisible(busy)
        self._update_actions()

    def _on_progress(self, fraction: float, status: str) -> None:
        self.progress.setValue(int(fraction * 100))
        if status:
            self.progress_label.setText(status)

    def _on_failed(self, message: str) -> None:
        if self._job == "check":
            self.check_summary.setText(f"Check could not run: {message}")
        elif self._job == "generate":
            self.counts_summary.setText(f"Generate could not run: {message}")
        self._finish(message)

    def _on_finished(self, result) -> None:
        job = self._job
        if job == "copy":
            self.refresh_library(select=result)
            self._finish(f"Wrote {result} and its answers folder; it validates.")
        elif job == "check":
            self.check_model.set_checks(result)
            misses, total = self.check_model.misses, len(result)
            text = (f"✓ All {total} answers get the verdict the scenario expects." if not misses else
                    f"✗ {misses} of {total} answers miss (marked “miss”); the Findings column says why.")
            self.check_summary.setText(text)
            self._finish(text)
        elif job == "generate":
            self.city_look.show_look(result)
            people = result.profile.residents
            text = (f"✓ {people:,} residents, {len(result.counts)} tables, "
                    f"{sum(c.rows for c in result.counts):,} rows in {result.db_path.name}.")
            self.counts_summary.setText(text)
            self._finish(text)

    def _finish(self, message: str) -> None:
        self.statusBar().showMessage(message, 15000)
        self.work_done.emit(message)

    def _update_actions(self) -> None:
        open_ = self.editor.path is not None
        busy = self.runner.busy
        self.save_action.setEnabled(open_ and not self.editor.read_only and self.editor.modified)
        self.check_action.setEnabled(open_ and not busy)
        self.generate_action.setEnabled(open_ and not busy)
        self.new_action.setEnabled(not busy)

    def closeEvent(self, event) -> None:  # noqa: N802
        if self.editor.modified and not self._may_discard():
            event.ignore()
            return
        self.runner.shutdown()
        self.exercises.shutdown()
        self.editor.shutdown()
        self.city_look.shutdown()
        super().closeEvent(event)
