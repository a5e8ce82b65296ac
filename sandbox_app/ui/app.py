"""Start the desktop app: `city-sandbox` / `city-sandbox gui [SCENARIO|PACK]`.

Qt is imported here and below only. With CITY_SANDBOX_QUIT_AFTER_PAINT=1 the app quits right after its
first paint and prints how long launch took (the benchmark's launch figure).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QThreadPool, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

from sandbox_app.ui.common import heap
from sandbox_app.ui.common.logs import install_excepthook, setup_logging

APP_NAME = "city-sandbox"


class _FirstPaint(QObject):
    """Quits the app after the window's first paint, printing the time since `started` (launch benchmark)."""

    def __init__(self, started: float, app: QApplication) -> None:
        super().__init__(app)
        self.started, self.app, self.done = started, app, False

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Paint and not self.done:
            self.done = True
            QTimer.singleShot(0, self._report)
        return False

    def _report(self) -> None:
        print(f"first paint after {time.perf_counter() - self.started:.3f} s", flush=True)
        self.app.quit()


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or [sys.argv[0]])
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName("City Data-Sharing Sandbox")
    return app


def open_workspace():
    """The trainee's workspace, or (None, a plain sentence) if it is damaged, locked or from a newer version."""
    from sandbox_app.errors import SandboxError
    from sandbox_app.workspace.store import Workspace

    try:
        return Workspace.open(), ""
    except SandboxError as err:
        return None, str(err)


def no_display_message() -> str | None:
    """On Linux without a display Qt aborts the process; say so plainly first (None when a window can open)."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return ("No display found, so the window cannot open. Run city-sandbox on a desktop, or over SSH with X "
            "forwarding; the command-line tools (city-sandbox --help) work without one.")


def run_window(build: Callable[[], QMainWindow], after_show: Callable[[QMainWindow, QApplication], None] | None = None
               ) -> int:
    """Run one of the app's windows until it closes: the no-display check, the log file, the calm message for
    unexpected errors, and waiting for background tasks on quit — the same for every mode."""
    problem = no_display_message()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    app = make_app()
    setup_logging()
    window = build()
    install_excepthook(lambda text: window.statusBar().showMessage(text, 30_000))
    window.show()
    QTimer.singleShot(0, heap.settle)  # the modules and widgets built so far are never scanned again
    if after_show is not None:
        after_show(window, app)
    code = app.exec()
    QThreadPool.globalInstance().waitForDone(5_000)
    return code


def run_gui(target: str | None = None, started: float | None = None) -> int:
    """Open the main window (on `target`, a scenario name, file or pack, if given) and run until it closes."""
    started = started if started is not None else time.perf_counter()

    def build():
        from sandbox_app.ui.trainee.main_window import MainWindow

        workspace, problem = open_workspace()
        window = MainWindow(workspace, problem)
        if os.environ.get("CITY_SANDBOX_QUIT_AFTER_PAINT"):
            window.start.installEventFilter(_FirstPaint(started, QApplication.instance()))
        return window

    def after_show(window, app) -> None:
        if target and not os.environ.get("CITY_SANDBOX_QUIT_AFTER_PAINT"):
            QTimer.singleShot(0, lambda: window.open_location(target))

    return run_window(build, after_show)
