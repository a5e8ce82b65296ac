"""The start screen: who you are, the built-in scenarios with your progress, what you opened before.

The list paints at once with the scenarios' names; their titles, descriptions and progress fill in from a
background task (reading a scenario file takes a moment). Opening one prepares its city on a worker with a
progress bar and a Cancel button; the window keeps repainting throughout.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

ROLE_LOCATION = Qt.ItemDataRole.UserRole
NAME_KEY = "trainee/name"


def scenario_item_text(name: str, scenario=None, submitted: int = 0) -> str:
    if scenario is None:
        return f"{name}\n  reading…"
    count = len(scenario.exercises)
    progress = f"{submitted} of {count} submitted" if submitted else "not started"
    description = " ".join(scenario.description.split())
    if len(description) > 160:
        description = description[:157] + "…"
    return f"{scenario.title}\n  {description}\n  {count} exercise{'s' if count != 1 else ''} · {progress}"


class StartPage(QWidget):
    open_requested = Signal(str)        # a built-in name, a scenario file or a pack
    cancel_requested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.settings = QSettings()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        title = QLabel("<h2>City Data-Sharing Sandbox</h2>")
        layout.addWidget(title)
        intro = QLabel("Practise deciding what one city department may share with another, on a synthetic city "
                       "where nobody is real. Pick a scenario, read the request and the agreement, build your "
                       "share, and watch the risk move before you submit.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.name = QLineEdit(str(self.settings.value(NAME_KEY, "") or ""))
        self.name.setPlaceholderText("your name, as the facilitator should see it on your results")
        self.name.setAccessibleName("your name")
        self.name.setToolTip("Written on the result files you hand in; kept for next time")
        self.name.editingFinished.connect(self._save_name)
        form.addRow("Your name:", self.name)
        layout.addLayout(form)
        self.problem = QLabel("")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b71c1c;")
        self.problem.hide()
        layout.addWidget(self.problem)
        self.fresh_button = QPushButton("Start a fresh workspace (the damaged one is kept as a backup)")
        self.fresh_button.hide()
        layout.addWidget(self.fresh_button)
        layout.addWidget(QLabel("<b>Scenarios</b>"))
        self.list = QListWidget()
        self.list.setAccessibleName("scenarios")
        self.list.setAlternatingRowColors(True)
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setSpacing(2)
        self.list.itemActivated.connect(self._activated)
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        layout.addWidget(self.list, 3)
        layout.addWidget(QLabel("<b>Opened before</b>"))
        self.recent = QListWidget()
        self.recent.setAccessibleName("opened before")
        self.recent.setMaximumHeight(110)
        self.recent.itemActivated.connect(self._activated)
        self.recent.currentItemChanged.connect(lambda *_: self._recent_chosen())
        layout.addWidget(self.recent, 1)
        buttons = QHBoxLayout()
        self.open_button = QPushButton("Open scenario")
        self.open_button.setDefault(True)
        self.open_button.setToolTip("Prepare the chosen scenario's city and start its first exercise (Enter)")
        self.open_button.clicked.connect(self._open_selected)
        self.file_button = QPushButton("Open a file…")
        self.file_button.setToolTip("A scenario file (.yaml) or a scenario pack (.citypack) from your facilitator")
        self.file_button.clicked.connect(self.choose_file)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.file_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.progress_box = QFrame()
        progress_layout = QHBoxLayout(self.progress_box)
        progress_layout.setContentsMargins(0, 0, 0, 0)
        self.progress_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop preparing this city")
        self.cancel_button.clicked.connect(self.cancel_requested)
        progress_layout.addWidget(self.progress_label)
        progress_layout.addWidget(self.progress, 1)
        progress_layout.addWidget(self.cancel_button)
        self.progress_box.hide()
        layout.addWidget(self.progress_box)
        self._items: dict[str, QListWidgetItem] = {}

    # --------------------------------------------------------------------------------- content

    def show_names(self, names: list[str], preferred: str = "winter-storm") -> None:
        self.list.clear()
        self._items = {}
        for name in names:
            item = QListWidgetItem(scenario_item_text(name))
            item.setData(ROLE_LOCATION, name)
            item.setToolTip(f"Built-in scenario '{name}'")
            self.list.addItem(item)
            self._items[name] = item
        if names:
            self.list.setCurrentRow(names.index(preferred) if preferred in names else 0)
        self._update_buttons()

    def show_scenario(self, name: str, scenario, submitted: int) -> None:
        item = self._items.get(name)
        if item is not None:
            item.setText(scenario_item_text(name, scenario, submitted))
            item.setToolTip(html.escape(scenario.description.strip()) or scenario.title)

    def show_recent(self, items: list) -> None:
        self.recent.clear()
        if not items:
            empty = QListWidgetItem("Nothing yet: the scenarios and packs you open will be listed here.")
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.recent.addItem(empty)
        for entry in items:
            item = QListWidgetItem(f"{entry.title}  —  {entry.location}")
            item.setData(ROLE_LOCATION, entry.location)
            item.setToolTip(entry.location)
            self.recent.addItem(item)

    def show_problem(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.setVisible(bool(message))

    @property
    def trainee_name(self) -> str:
        return self.name.text().strip()

    def _save_name(self) -> None:
        self.settings.setValue(NAME_KEY, self.trainee_name)

    # ----------------------------------------------------------------------------------- actions

    def _update_buttons(self) -> None:
        busy = self.progress_box.isVisible()
        self.open_button.setEnabled(not busy and (self.list.currentItem() is not None
                                                  or self.recent.currentItem() is not None))
        self.file_button.setEnabled(not busy)

    def _recent_chosen(self) -> None:
        if self.recent.currentItem() is not None:
            self.list.clearSelection()
        self._update_buttons()

    def _activated(self, item: QListWidgetItem) -> None:
        if item.data(ROLE_LOCATION) and not self.progress_box.isVisible():
            self.open_requested.emit(item.data(ROLE_LOCATION))

    def _open_selected(self) -> None:
        item = self.recent.currentItem() if self.recent.hasFocus() else None
        item = item or self.list.currentItem() or self.recent.currentItem()
        if item is not None:
            self._activated(item)

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a scenario or a pack", "",
                                              "Scenarios and packs (*.yaml *.yml *.citypack);;All files (*)")
        if path:
            self.open_requested.emit(path)

    def set_busy(self, label: str | None) -> None:
        """Show the progress row (label) or hide it (None)."""
        self.progress_box.setVisible(label is not None)
        if label is not None:
            self.progress_label.setText(label)
            self.progress.setValue(0)
            self.cancel_button.setEnabled(True)
        self._update_buttons()

    def set_progress(self, fraction: float, status: str) -> None:
        self.progress.setValue(int(fraction * 100))
        if status:
            self.progress.setFormat(f"%p%  {status}")
