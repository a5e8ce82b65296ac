"""The SQL console: editor, Run/Stop, time limit, history (kept in QSettings), the error inline, results in
the paged view."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from sandbox_app.explore.results import QueryResultFile, run_to_file
from sandbox_app.explore.sql import DEFAULT_TIMEOUT_S, locate
from sandbox_app.ui.common.paged_table import PagedTableView
from sandbox_app.ui.common.tasks import TaskRunner
from sandbox_app.ui.explorer.sql_editor import SqlEditor

HISTORY_SIZE = 50
HISTORY_KEY = "explorer/sql_history"  # QSettings: earlier queries survive a restart


class SqlConsole(QWidget):
    """Runs one read-only query at a time; `resultReady(QueryResultFile)` when its rows are in."""

    resultReady = Signal(object)

    def __init__(self, db_path: str | Path, facilitator: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db_path, self.facilitator = Path(db_path), facilitator
        self._scratch = Path(tempfile.mkdtemp(prefix="city-sandbox-results-"))
        self._runs = 0
        self.history: list[str] = [str(q) for q in (QSettings().value(HISTORY_KEY) or [])][:HISTORY_SIZE]
        self.last_result: QueryResultFile | None = None
        self.last_sql = ""
        self.worker = TaskRunner(self)
        self.worker.finished.connect(self._finished)
        self.worker.failed.connect(self._errored)
        self.worker.cancelled.connect(self._cancelled)
        self.worker.progress.connect(lambda _f, status: self.message.setText(f"Running… {status}"))

        self.editor = SqlEditor(self)
        self.editor.runRequested.connect(self.run)
        self.run_button = QPushButton("Run", self)
        self.run_button.setToolTip("Run the query (Ctrl+Enter). The console only reads: writes are refused.")
        self.run_button.clicked.connect(self.run)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        self.timeout = QDoubleSpinBox(self)
        self.timeout.setRange(0.5, 600)
        self.timeout.setValue(DEFAULT_TIMEOUT_S)
        self.timeout.setSuffix(" s")
        self.timeout.setToolTip("Time limit: the query is stopped after this long")
        self.history_box = QComboBox(self)
        self.history_box.setPlaceholderText("History")
        self.history_box.setMinimumWidth(200)
        self.history_box.activated.connect(self._recall)
        self._fill_history()
        self.message = QLabel("", self)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.results = PagedTableView(self)

        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(QLabel("Time limit", self))
        buttons.addWidget(self.timeout)
        buttons.addStretch(1)
        buttons.addWidget(self.history_box)
        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.editor, 1)
        top_layout.addLayout(buttons)
        top_layout.addWidget(self.message)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(top)
        split.addWidget(self.results)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

    def run(self) -> None:
        """Run the editor's query (a new run stops the one before)."""
        sql = self.editor.toPlainText()  # run as typed, so error positions match the editor
        if not sql.strip():
            self.message.setText("Type a query first, e.g. SELECT * FROM _data_dictionary")
            return
        self._remember(sql.strip())
        self._runs += 1
        out = self._scratch / f"result-{self._runs}.db"
        path, facilitator, timeout = self.db_path, self.facilitator, self.timeout.value()
        self.last_sql = sql
        self.editor.clear_error()
        self.message.setStyleSheet("")
        self.message.setText("Running…")
        self.run_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.worker.start(lambda state: run_to_file(path, sql, out, facilitator=facilitator, timeout=timeout,
                                                    state=state))

    def stop(self) -> None:
        self.worker.cancel()

    def _idle(self) -> None:
        self.run_button.setEnabled(True)
        self.stop_button.setEnabled(False)

    def _finished(self, result: QueryResultFile) -> None:
        self._idle()
        self.last_result = result
        text = f"{result.rows:,} row{'s' if result.rows != 1 else ''}"
        self.message.setText(f"{text}. {result.note[0].upper() + result.note[1:]}." if result.note else text)
        self.results.open(result.path, result.table, result.rows, result.headers, label="Result")
        self.resultReady.emit(result)

    def _errored(self, message: str) -> None:
        self._idle()
        self.message.setStyleSheet("color: #b71c1c")
        self.message.setText(re.sub(r"^query:(\d+): column (\d+): ", r"Line \1, column \2: ", message))
        self.editor.show_error(self._error_offset(message))

    def _error_offset(self, message: str) -> int | None:
        """The offset of a 'query:LINE: column COL:' message in the editor's text."""
        m = re.match(r"query:(\d+): column (\d+):", message)
        if not m:
            return locate(self.last_sql, message)
        lines = self.last_sql.split("\n")
        line, column = int(m.group(1)), int(m.group(2))
        return sum(len(row) + 1 for row in lines[: line - 1]) + column - 1

    def _cancelled(self) -> None:
        self._idle()
        self.message.setText("Stopped.")

    def _remember(self, sql: str) -> None:
        if sql in self.history:
            self.history.remove(sql)
        self.history.insert(0, sql)
        del self.history[HISTORY_SIZE:]
        QSettings().setValue(HISTORY_KEY, self.history)
        self._fill_history()

    def _fill_history(self) -> None:
        self.history_box.clear()
        self.history_box.addItems([" ".join(q.split())[:80] for q in self.history])
        self.history_box.setCurrentIndex(-1)

    def _recall(self, index: int) -> None:
        if 0 <= index < len(self.history):
            self.editor.setPlainText(self.history[index])

    def shutdown(self) -> None:
        self.worker.shutdown()
        self.results.shutdown()
        shutil.rmtree(self._scratch, ignore_errors=True)
