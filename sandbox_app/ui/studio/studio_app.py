"""Start the facilitator studio on its own: `city-sandbox studio [SCENARIO]`."""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QThreadPool, QTimer

from sandbox_app.ui.app import make_app, no_display_message
from sandbox_app.ui.common.logs import install_excepthook, setup_logging


def run_studio(target: str | None = None) -> int:
    """Open the StudioWindow (on `target`, a built-in name or a scenario file, if given) until it closes.

    With CITY_SANDBOX_QUIT_AFTER_PAINT=1 it closes as soon as the window is up (the CLI test uses it).
    """
    problem = no_display_message()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    app = make_app()
    setup_logging()
    from sandbox_app.ui.studio.studio_window import StudioWindow

    window = StudioWindow()
    install_excepthook(lambda text: window.statusBar().showMessage(text, 30_000))
    window.show()
    if target:
        window.open_scenario(target)
    if os.environ.get("CITY_SANDBOX_QUIT_AFTER_PAINT"):
        window.editor.problems_changed.connect(lambda _p: QTimer.singleShot(0, window.close))
        if not target:
            QTimer.singleShot(0, window.close)
        window.editor.problems_changed.connect(
            lambda p: print(f"studio open on {window.editor.path}: {len(p)} problems", flush=True))
    code = app.exec()
    QThreadPool.globalInstance().waitForDone(5_000)
    return code
