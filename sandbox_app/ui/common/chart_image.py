"""Charts drawn and rasterised off the GUI thread, shown as pictures.

Drawing a matplotlib figure (laying it out and rasterising it with Agg) takes 100-360 ms: too long for the
GUI thread (a live FigureCanvasQTAgg also draws again on every resize event). `render_figure` does it on a
worker (a fresh Figure with its own Agg canvas, no pyplot, so it is safe there) and returns the figure, what
the draw function returned (bar containers and the like, for tests to read the numbers back) and the
pixels; `ChartImage` shows those pixels scaled to fit, aspect kept; `WorkerChart` is a ChartImage that
computes and draws on its own worker, and draws again at its new size once a resize stops.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from sandbox_app.ui.common.tasks import TaskRunner

MAX_WIDTH, MAX_HEIGHT = 2400, 2000  # pixels a chart is drawn at, at most (a 4K screen's tab)
REDRAW_AFTER_MS = 400  # a resized chart is drawn again at its new size once the resizing has stopped this long
REDRAW_CHANGE = 0.1  # ... if its size changed by more than this fraction


@dataclass
class RenderedChart:
    """One chart drawn and rasterised off the GUI thread: what its draw function returned, the figure, and its
    pixels (RGBA, `width` x `height`)."""

    drawn: object
    figure: Figure
    rgba: bytes
    width: int
    height: int


def render_figure(draw: Callable[[Axes], object], width: int = 680, height: int = 600, dpi: int = 100
                  ) -> RenderedChart:
    """Call `draw(axes)` on a fresh Agg figure of `width` x `height` pixels and rasterise it (no Qt: safe on a
    worker thread, one figure per call)."""
    width, height = max(200, min(width, MAX_WIDTH)), max(150, min(height, MAX_HEIGHT))
    figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, layout="constrained")
    canvas = FigureCanvasAgg(figure)
    drawn = draw(figure.add_subplot())
    canvas.draw()
    buffer = canvas.buffer_rgba()
    return RenderedChart(drawn, figure, bytes(buffer), buffer.shape[1], buffer.shape[0])


def picture_size(widget: QWidget, fallback: tuple[int, int] = (660, 560), margin: tuple[int, int] = (0, 0)
                 ) -> tuple[int, int]:
    """The pixels a chart should be drawn at to fill `widget` now (less `margin`), times the screen's pixel
    ratio so text stays sharp; `fallback` while the widget is hidden (a tab not shown yet) or not laid out."""
    width, height = widget.width() - margin[0], widget.height() - margin[1]
    if not widget.isVisible() or width < 120 or height < 90:
        width, height = fallback
    ratio = max(1.0, widget.devicePixelRatioF())
    return min(int(width * ratio), MAX_WIDTH), min(int(height * ratio), MAX_HEIGHT)


class ChartImage(QLabel):
    """A chart drawn on the worker, shown scaled to fit (aspect kept); a sentence when there is none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setStyleSheet("background: white; color: #555;")
        self._pixmap: QPixmap | None = None

    def show_chart(self, chart: RenderedChart) -> None:
        """Show a RenderedChart (its pixels are copied: the picture owns its memory)."""
        image = QImage(chart.rgba, chart.width, chart.height, 4 * chart.width, QImage.Format.Format_RGBA8888)
        self._pixmap = QPixmap.fromImage(image.copy())
        self._fit()

    def show_text(self, text: str) -> None:
        self._pixmap = None
        self.clear()
        self.setText(text)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(680, 600)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self._pixmap is not None and self.width() > 0 and self.height() > 0:
            ratio = max(1.0, self.devicePixelRatioF())
            fitted = self._pixmap.scaled(self.size() * ratio, Qt.AspectRatioMode.KeepAspectRatio,
                                         Qt.TransformationMode.SmoothTransformation)
            fitted.setDevicePixelRatio(ratio)
            self.setPixmap(fitted)


class WorkerChart(ChartImage):
    """A ChartImage that computes and draws on its own worker: `plot(draw, compute)` runs `compute(state)`
    (SQL, say) and `draw(axes, data)` there, then shows the picture and emits `drawn(data, chart)`. A resize
    draws the same data again at the new size (no `compute`), once the resizing stops."""

    drawn = Signal(object, object)  # (what compute returned, RenderedChart)
    failed = Signal(str)  # one plain sentence

    def __init__(self, parent: QWidget | None = None, fallback: tuple[int, int] = (640, 480)) -> None:
        super().__init__(parent)
        self.fallback = fallback
        self.runner = TaskRunner(self)
        self.runner.finished.connect(self._landed)
        self.runner.failed.connect(self.failed)
        self.chart: RenderedChart | None = None
        self.data: Any = None
        self._draw: Callable[[Axes, Any], object] | None = None
        self._resized = QTimer(self, singleShot=True, interval=REDRAW_AFTER_MS)
        self._resized.timeout.connect(self._redraw)

    @property
    def axes(self) -> Axes | None:
        """The shown chart's axes (tests read the bars and points back from it); None before the first."""
        return self.chart.figure.axes[0] if self.chart is not None else None

    def plot(self, draw: Callable[[Axes, Any], object], compute: Callable[[Any], Any] | None = None) -> None:
        """Compute (if given) and draw on the worker at this widget's size; a plot in flight is superseded."""
        self._draw = draw
        self._start(draw, compute, picture_size(self, self.fallback))

    def _start(self, draw: Callable[[Axes, Any], object], compute: Callable[[Any], Any] | None,
               size: tuple[int, int]) -> None:
        def task(state) -> tuple[Any, RenderedChart]:
            data = compute(state) if compute is not None else None
            return data, render_figure(lambda ax: draw(ax, data), *size)

        self.runner.start(task)

    def cancel(self) -> None:
        self.runner.cancel()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.chart is not None:
            self._resized.start()

    def _redraw(self) -> None:
        if self.chart is None or self._draw is None or self.runner.busy:
            return
        width, height = picture_size(self, self.fallback)
        if abs(width - self.chart.width) <= REDRAW_CHANGE * self.chart.width and \
                abs(height - self.chart.height) <= REDRAW_CHANGE * self.chart.height:
            return
        data = self.data
        self._start(self._draw, lambda _state: data, (width, height))

    def _landed(self, result: tuple[Any, RenderedChart]) -> None:
        self.data, self.chart = result
        self.show_chart(self.chart)
        self.drawn.emit(self.data, self.chart)

    def shutdown(self) -> None:
        self.runner.shutdown()


__all__ = ["ChartImage", "RenderedChart", "WorkerChart", "picture_size", "render_figure"]
