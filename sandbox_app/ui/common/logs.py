"""Where the app writes its log file, and the hook that turns an unexpected exception into a calm message."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("city_sandbox.ui")


def data_dir() -> Path:
    """The user data directory: $CITY_SANDBOX_DATA, else the platform's (platformdirs)."""
    root = os.environ.get("CITY_SANDBOX_DATA")
    if root:
        path = Path(root)
    else:
        from platformdirs import user_data_dir

        path = Path(user_data_dir("city-sandbox", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_path() -> Path:
    return data_dir() / "city-sandbox.log"


def setup_logging() -> Path:
    """Send the app's log to a file in the data directory (never to the terminal with site-packages paths)."""
    path = log_path()
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("city_sandbox")
    if not any(isinstance(h, logging.FileHandler) for h in root.handlers):
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path


def install_excepthook(show: Callable[[str], None]) -> None:
    """Unexpected exceptions in the GUI thread: details to the log file, a calm sentence to `show`."""

    def hook(kind, value, tb) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        log.error("unexpected error\n%s", "".join(traceback.format_exception(kind, value, tb)))
        show(f"Something went wrong, but your work is saved. The details are in {log_path()}.")

    sys.excepthook = hook
