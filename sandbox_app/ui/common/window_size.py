"""Window sizes that fit the screen: a workshop laptop is often 1366x768 with a taskbar."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def fit_to_screen(window: QWidget, width: int, height: int) -> None:
    """Resize `window` to `width` x `height`, or to its screen's free area if that is smaller."""
    screen = window.screen()
    if screen is not None:
        free = screen.availableGeometry()
        width, height = min(width, free.width()), min(height, free.height())
    window.resize(width, height)


__all__ = ["fit_to_screen"]
