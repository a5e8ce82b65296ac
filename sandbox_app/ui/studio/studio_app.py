"""Start the facilitator studio on its own: `city-sandbox studio [SCENARIO]`."""

from __future__ import annotations

import os

from PySide6.QtCore import QTimer

from sandbox_app.ui.app import run_window


def run_studio(target: str | None = None) -> int:
    """Open the StudioWindow (on `target`, a built-in name or a scenario file, if given) until it closes.

    With CITY_SANDBOX_QUIT_AFTER_PAINT=1 it closes as soon as the window is up (the CLI test uses it).
    """
    def build():
        from sandbox_app.ui.studio.studio_window import StudioWindow

        return StudioWindow()

    def after_show(window, app) -> None:
        if target:
            window.open_scenario(target)
        if os.environ.get("CITY_SANDBOX_QUIT_AFTER_PAINT"):
            window.editor.problems_changed.connect(lambda _p: QTimer.singleShot(0, window.close))
            if not target:
                QTimer.singleShot(0, window.close)
            window.editor.problems_changed.connect(
                lambda p: print(f"studio open on {window.editor.path}: {len(p)} problems", flush=True))

    return run_window(build, after_show)
