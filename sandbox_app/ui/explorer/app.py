"""`city-sandbox explore [DB|SCENARIO]`: the explorer in its own window."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMainWindow

from sandbox_app.ui.common.window_size import fit_to_screen
from sandbox_app.ui.explorer.explorer_view import ExplorerView


class ExplorerWindow(QMainWindow):
    def __init__(self, db_path: str | Path, facilitator: bool = False, label: str = "") -> None:
        super().__init__()
        self.view = ExplorerView(db_path, facilitator, self)
        self.setCentralWidget(self.view)
        self.setWindowTitle(f"City Sandbox explorer: {label or Path(db_path).name}")
        fit_to_screen(self, 1280, 800)
        geometry = QSettings().value("explorer/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)

    def closeEvent(self, event) -> None:
        QSettings().setValue("explorer/geometry", self.saveGeometry())
        self.view.shutdown()
        super().closeEvent(event)


def run(db_path: str | Path, facilitator: bool = False, label: str = "") -> int:
    """Open the explorer window and run until it closes (`label` names the city in its title)."""
    from sandbox_app.ui.app import run_window

    return run_window(lambda: ExplorerWindow(db_path, facilitator, label))
