"""The scenario editor: YAML with line numbers and highlighting, live validation off the GUI thread, atomic save,
and a non-modal bar when the file changes on disk.

The file is the one source of truth: validation runs `parse_scenario_text(deep=True)` on the editor's text
~300 ms after the last keystroke (on a TaskRunner, so typing never waits), answer paths resolved beside the
file. Built-in scenarios open read-only (a facilitator edits a copy made with "New from built-in…").
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from sandbox_app.errors import Problem, ScenarioError
from sandbox_app.ui.common.tasks import TaskRunner
from sandbox_app.ui.studio.code_editor import CodeEditor, YamlHighlighter

DEBOUNCE_MS = 300  # a pause in typing; with the ~0.4-0.5 s parse the list is back well within 1 s


def validate_text(text: str, file: str, base: Path | None) -> list[Problem]:
    """Every problem of scenario `text` (empty when it validates), as `city-sandbox validate` finds them."""
    return validate_with_outline(text, file, base)[0]


def validate_with_outline(text: str, file: str, base: Path | None) -> tuple[list[Problem], object]:
    """`validate_text`, and the outline the Exercises form shows (None if the YAML cannot be read), from the
    same parse."""
    from sandbox_app.scenario.loader import parse_scenario_text
    from sandbox_app.scenario.outline import outline_of

    outline = []
    try:
        parse_scenario_text(text, file, deep=True, base=base,
                            on_data=lambda data: outline.append(outline_of(data)))
    except ScenarioError as err:
        return list(err.problems), (outline[0] if outline else None)
    return [], (outline[0] if outline else None)


def problem_text(problem: Problem) -> str:
    """One list row: 'line 12 · departments[0].id: message (hint)'."""
    where = f"line {problem.line}" if problem.line else "file"
    what = f"{problem.path}: {problem.message}" if problem.path else problem.message
    return f"{where} · {what}" + (f" ({problem.hint})" if problem.hint else "")


class _ReloadBar(QWidget):
    """'The file changed on disk' with Reload / Keep mine; never modal, the editor stays usable."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("reloadBar")
        self.setStyleSheet("#reloadBar { background: #fff3cd; border: 1px solid #b26a00; border-radius: 4px; }"
                           "#reloadBar QLabel { color: #3e2a00; }")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        self.label = QLabel("This file was changed outside the studio.")
        self.reload_button = QPushButton("Reload from disk")
        self.keep_button = QPushButton("Keep mine")
        layout.addWidget(self.label, 1)
        layout.addWidget(self.reload_button)
        layout.addWidget(self.keep_button)


class ScenarioEditor(QWidget):
    """Edits one scenario file; `problems_changed(list)` after each validation, `saved(Path)` after a save."""

    problems_changed = Signal(list)
    outline_changed = Signal(object)  # the Outline of the text just validated (None: the YAML cannot be read)
    saved = Signal(Path)
    external_change = Signal()
    modified_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path: Path | None = None
        self.read_only = True
        self.problems: list[Problem] = []
        self.outline = None  # what the last validation read of the text (sandbox_app.scenario.outline)
        self._disk_text: str | None = None  # what the file held when last loaded or saved
        self._validated_text: str | None = None
        self.editor = CodeEditor(self)
        self.editor.setObjectName("scenarioText")
        self.highlighter = YamlHighlighter(self.editor.document())
        self.reload_bar = _ReloadBar(self)
        self.reload_bar.hide()
        self.status = QLabel("No scenario open.")
        self.status.setWordWrap(True)
        self.problem_list = QListWidget(self)
        self.problem_list.setObjectName("problemList")
        self.problem_list.setAccessibleName("Problems in the scenario")
        self.problem_list.setWordWrap(True)

        below = QWidget(self)
        below_layout = QVBoxLayout(below)
        below_layout.setContentsMargins(0, 0, 0, 0)
        below_layout.addWidget(self.status)
        below_layout.addWidget(self.problem_list, 1)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.editor)
        split.addWidget(below)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        split.setSizes([520, 150])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.reload_bar)
        layout.addWidget(split, 1)

        self.runner = TaskRunner(self, threads=1)
        self.runner.finished.connect(self._on_validated)
        self.runner.failed.connect(self._on_validation_failed)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.validate_now)
        self.editor.textChanged.connect(self._on_text_changed)
        self.editor.document().modificationChanged.connect(self.modified_changed)
        self.problem_list.itemActivated.connect(self._jump_to)
        self.problem_list.itemClicked.connect(self._jump_to)
        self.watcher = QFileSystemWatcher(self)
        self.watcher.fileChanged.connect(self._on_file_changed)
        self.reload_bar.reload_button.clicked.connect(self.reload_from_disk)
        self.reload_bar.keep_button.clicked.connect(self.keep_mine)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save)

    # ---------------------------------------------------------------- file
    def open_file(self, path: str | Path, *, read_only: bool = False) -> None:
        """Load `path` into the editor (a fresh undo history) and validate it."""
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        if self.path is not None and str(self.path) in self.watcher.files():
            self.watcher.removePath(str(self.path))
        self.path, self.read_only, self._disk_text = path, read_only, text
        self.reload_bar.hide()
        self.editor.setReadOnly(read_only)
        self.editor.setPlainText(text)
        self.editor.document().setModified(False)
        self.watcher.addPath(str(path))
        self.validate_now()

    def text(self) -> str:
        return self.editor.toPlainText()

    @property
    def modified(self) -> bool:
        return self.editor.document().isModified()

    def save(self) -> Path | None:
        """Write the editor's text to the file atomically (temp file, fsync, rename); None if read-only."""
        from sandbox_app.files import atomic_write

        if self.path is None or self.read_only:
            return None
        text = self.text()
        self._disk_text = text  # set first: the watcher fires for our own rename
        atomic_write(self.path, text, force=True, error=ScenarioError)
        self.editor.document().setModified(False)
        self._rewatch()
        self.reload_bar.hide()
        self.saved.emit(self.path)
        return self.path

    def _rewatch(self) -> None:
        if self.path is not None and str(self.path) not in self.watcher.files() and self.path.exists():
            self.watcher.addPath(str(self.path))

    def _on_file_changed(self, name: str) -> None:
        if self.path is None or Path(name) != self.path:
            return
        try:
            disk = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            disk = None
        self._rewatch()  # a rename-over replaces the watched file: watch the new one
        if disk == self._disk_text:
            return
        self.reload_bar.label.setText("This file was deleted outside the studio; Keep mine, then save to write "
                                      "it again." if disk is None else
                                      "This file was changed outside the studio.")
        self.reload_bar.reload_button.setEnabled(disk is not None)
        self.reload_bar.show()
        self.external_change.emit()

    def reload_from_disk(self) -> None:
        """Replace the text with the file's (one undoable step, so Ctrl+Z brings the edits back)."""
        if self.path is None:
            return
        disk = self.path.read_text(encoding="utf-8")
        cursor = QTextCursor(self.editor.document())
        cursor.beginEditBlock()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(disk)
        cursor.endEditBlock()
        self._disk_text = disk
        self.editor.document().setModified(False)
        self.reload_bar.hide()
        self.validate_now()

    def keep_mine(self) -> None:
        """Keep the editor's text; it counts as unsaved so the next save overwrites the file."""
        try:
            self._disk_text = self.path.read_text(encoding="utf-8") if self.path else None
        except OSError:
            self._disk_text = None
        self.editor.document().setModified(True)
        self.reload_bar.hide()

    # ---------------------------------------------------------------- validation
    def _on_text_changed(self) -> None:
        if self.path is not None:
            self.status.setText("Checking…")
            self._debounce.start()

    def validate_now(self) -> None:
        """Validate the current text on the worker now (the debounce timer calls this)."""
        self._debounce.stop()
        if self.path is None:
            return
        text, file, base = self.text(), str(self.path), self.path.parent
        self._validated_text = text
        self.status.setText("Checking…")
        self.runner.start(lambda _state: validate_with_outline(text, file, base))

    def _on_validated(self, result: tuple) -> None:
        problems, outline = result
        self.outline = outline
        self.show_problems(problems)
        self.outline_changed.emit(outline)

    def _on_validation_failed(self, message: str) -> None:
        self.show_problems([Problem(str(self.path), None, "", message)])

    def show_problems(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        self.problem_list.clear()
        for problem in problems:
            item = QListWidgetItem(problem_text(problem))
            item.setData(Qt.ItemDataRole.UserRole, problem.line)
            item.setToolTip(str(problem))
            self.problem_list.addItem(item)
        self.editor.mark_problem_lines({p.line for p in problems if p.line})
        if problems:
            count = len(problems)
            self.status.setText(f"✗ {count} problem{'s' if count != 1 else ''} — click one to go to its line.")
            self.status.setStyleSheet("color: #b71c1c; font-weight: 600;")
        else:
            self.status.setText("✓ The scenario validates.")
            self.status.setStyleSheet("color: #2e7d32; font-weight: 600;")
        self.problems_changed.emit(self.problems)

    def _jump_to(self, item: QListWidgetItem) -> None:
        line = item.data(Qt.ItemDataRole.UserRole)
        if line:
            self.editor.go_to_line(int(line))

    @property
    def checking(self) -> bool:
        return self.runner.busy or self._debounce.isActive()

    def shutdown(self) -> None:
        self._debounce.stop()
        self.runner.shutdown()
