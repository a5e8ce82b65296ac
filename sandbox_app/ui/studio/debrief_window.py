"""The debrief dashboard's own window (`city-sandbox debrief [FOLDER]`): the DebriefView with a File menu."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow

from sandbox_app.ui.common.window_size import fit_to_screen
from sandbox_app.ui.studio.debrief_view import DebriefView


class DebriefWindow(QMainWindow):
    """Open a folder of result files and project the debrief; grading keys and packs as `grade` takes them."""

    def __init__(self, folder: str | Path | None = None, *, keys=(), packs=(), scenarios=(), parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("City Data-Sharing Sandbox — Debrief")
        self.view = DebriefView(keys=keys, packs=packs, scenarios=scenarios)
        self.setCentralWidget(self.view)
        menu = self.menuBar().addMenu("&File")
        for text, shortcut, slot in (("&Open folder of results…", QKeySequence.StandardKey.Open,
                                      self.view.choose_folder),
                                     ("Save &HTML…", QKeySequence.StandardKey.Save, self.view.choose_html),
                                     ("Save &PDF…", QKeySequence.StandardKey.Print, self.view.choose_pdf),
                                     ("&Close", QKeySequence.StandardKey.Close, self.close)):
            action = QAction(text, self)
            action.setShortcut(shortcut)
            action.triggered.connect(slot)
            menu.addAction(action)
        fit_to_screen(self, 1366, 800)
        if folder is not None:
            self.view.load([folder])

    def closeEvent(self, event) -> None:
        self.view.shutdown()
        super().closeEvent(event)


def run(folder: str | Path | None = None, **sources) -> int:
    """Open the debrief window (on `folder` if given) and run until it closes."""
    from sandbox_app.ui.app import run_window

    return run_window(lambda: DebriefWindow(folder, **sources))
