"""The datathon explorer: catalogue on the left; a table, the SQL console and charts on the right; exports.

`ExplorerView(db_path, facilitator=False)` is the whole mode, ready to be a page of the main window or the
content of `city-sandbox explore`. Call `shutdown()` when it closes (it stops its background readers).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from sandbox_app.explore.catalog import APPROVED_EXTRACT, Catalog
from sandbox_app.explore.export import export_query, export_table
from sandbox_app.explore.participant_copy import participant_copy
from sandbox_app.ui.common import heap
from sandbox_app.ui.common.paged_table import PagedTableView
from sandbox_app.ui.common.tasks import TaskRunner
from sandbox_app.ui.explorer.agreement_map_view import AgreementMapView
from sandbox_app.ui.explorer.catalog_panel import CatalogPanel
from sandbox_app.ui.explorer.chart_builder import ChartBuilder
from sandbox_app.ui.explorer.column_panel import ColumnPanel
from sandbox_app.ui.explorer.journey_view import JourneyView
from sandbox_app.ui.explorer.sql_console import SqlConsole

TABLE_TAB, SQL_TAB, CHART_TAB, JOURNEY_TAB, AGREEMENTS_TAB = range(5)


class ExplorerView(QWidget):
    def __init__(self, db_path: str | Path, facilitator: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db_path, self.facilitator = Path(db_path), facilitator
        self.catalog = Catalog(self.db_path, facilitator=facilitator)  # DatabaseError: one plain sentence
        self.current_table: str | None = None

        self.banner = QLabel(self._banner_text(), self)
        self.banner.setWordWrap(True)
        self.catalog_panel = CatalogPanel(self.catalog, self)
        self.table_view = PagedTableView(self)
        self.console = SqlConsole(self.db_path, facilitator, self)
        self.charts = ChartBuilder(self.catalog, self)
        self.column_panel = ColumnPanel(self)
        table_tab = QSplitter(Qt.Orientation.Horizontal, self)
        table_tab.addWidget(self.table_view)
        table_tab.addWidget(self.column_panel)
        table_tab.setStretchFactor(0, 4)
        table_tab.setStretchFactor(1, 1)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(table_tab, "Table")
        self.tabs.addTab(self.console, "SQL")
        self.tabs.addTab(self.charts, "Chart")
        self.journey = JourneyView(self.catalog, self)
        self.agreements = AgreementMapView(self.catalog, self)
        self.tabs.addTab(self.journey, "How data moves")
        self.tabs.addTab(self.agreements, "Agreements")

        self.export_format = QComboBox(self)
        self.export_format.addItem("CSV", "csv")
        self.export_format.addItem("Parquet", "parquet")
        self.export_button = QPushButton("Export…", self)
        self.export_button.setToolTip("Export the table shown (or the console's result) with a datapackage.json "
                                      "that carries the data dictionary")
        self.export_button.clicked.connect(self._export_dialog)
        self.copy_button = QPushButton("Participant copy…", self)
        self.copy_button.setToolTip("Write a copy of this city without the answer key (no ground truth, no "
                                    "residents table, no keys) to hand to another team")
        self.copy_button.clicked.connect(self._copy_dialog)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        self.worker = TaskRunner(self)
        self.worker.finished.connect(lambda text: self.status.setText(str(text)))
        self.worker.failed.connect(lambda text: self.status.setText(text))
        self.worker.progress.connect(lambda f, s: self.status.setText(f"Working… {f:.0%} {s}"))

        actions = QHBoxLayout()
        actions.addWidget(self.banner, 1)
        actions.addWidget(self.export_format)
        actions.addWidget(self.export_button)
        actions.addWidget(self.copy_button)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.catalog_panel)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 5)
        split.setSizes([340, 860])
        layout = QVBoxLayout(self)
        layout.addLayout(actions)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)

        self.catalog_panel.tableChosen.connect(self.show_table)
        self.table_view.table.selectionModel().currentChanged.connect(self._cell_chosen)
        self.console.resultReady.connect(lambda r: self.charts.set_query(self.console.last_sql, r.headers))
        self.names = TaskRunner(self)  # the scenario (names, title, agreements) is read off the GUI thread
        self.names.finished.connect(self._names_loaded)
        self.names.failed.connect(lambda _message: heap.settle())
        self.names.start(lambda state: self.catalog.load_names())
        first = next((t for t in self.catalog.tables if not t.name.startswith("_")), None)
        if first is not None:
            self.catalog_panel.select_table(first.name)

    def _banner_text(self) -> str:
        meta = self.catalog.meta
        city = self.catalog.title or meta.get("scenario") or self.db_path.stem
        residents = f"{int(meta['residents']):,} residents" if str(meta.get("residents", "")).isdigit() else ""
        tables = len(self.catalog.tables)
        parts = [f"<b>{city}</b>", residents, f"{tables} table{'s' if tables != 1 else ''}"]
        if self.catalog.is_participant_copy:
            parts.append("participant-safe copy")
        if meta.get("copy") == APPROVED_EXTRACT:
            parts.append(f"approved extract for {meta.get('exercise') or 'an exercise'}")
        if self.facilitator and "_ground_truth" in self.catalog.all_tables:
            parts.append("<span style='color:#9b1c1c'><b>facilitator mode</b>: the answer key is visible</span>")
        elif self.facilitator:
            parts.append("facilitator mode (this file holds no answer key)")
        return " · ".join(p for p in parts if p)

    def _names_loaded(self, _result) -> None:
        self.banner.setText(self._banner_text())
        current = self.current_table
        self.catalog_panel.refresh(force=True)  # department names instead of ids
        if current:
            self.catalog_panel.select_table(current)
        self.agreements.draw()
        heap.settle()  # the scenario and the agreement map are loaded: a later full collection never scans them

    def show_table(self, table: str) -> None:
        """Open `table` in the Table tab (unless it is already shown)."""
        if table == self.current_table:
            return
        info = self.catalog.table(table)
        self.current_table = table
        self.table_view.open(self.db_path, table, info.rows, label=table)
        self.column_panel.clear()
        index = self.charts.source.findText(table)
        if index >= 0:
            self.charts.source.setCurrentIndex(index)

    def _cell_chosen(self, current, _previous) -> None:
        if current.isValid() and self.current_table:
            self.column_panel.show_column(self.db_path, self.current_table,
                                          self.table_view.model.column_name(current.column()), self.facilitator)

    # ----------------------------------------------------------------------------------- exports

    def export_current(self, out_dir: str | Path, fmt: str = "csv") -> None:
        """Export what the current tab shows (the console's query on the SQL tab, else the table) in the
        background; the status line says where it went."""
        catalog, out_dir = self.catalog, Path(out_dir)
        if self.tabs.currentIndex() == SQL_TAB and self.console.last_sql:
            sql = self.console.last_sql
            self.worker.start(lambda state: f"Wrote {export_query(catalog, sql, out_dir, 'result', fmt, state=state)}"
                                            " and its datapackage.json")
        elif self.current_table:
            table = self.current_table
            self.worker.start(lambda state: f"Wrote {export_table(catalog, table, out_dir, fmt, state=state)} "
                                            "and its datapackage.json")
        else:
            self.status.setText("Choose a table (or run a query) to export.")

    def participant_copy(self, out: str | Path, force: bool = False) -> None:
        source = self.db_path
        self.worker.start(lambda state: f"Wrote the participant-safe copy {participant_copy(source, out, force=force, state=state)}")

    def _export_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export into folder")
        if folder:
            self.export_current(folder, self.export_format.currentData())

    def _copy_dialog(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Participant-safe copy", f"{self.db_path.stem}-participants.db",
                                              "City database (*.db)")
        if name:  # the dialog has already asked whether to replace an existing file
            self.participant_copy(name, force=True)

    def shutdown(self) -> None:
        """Stop every background reader and remove the console's scratch files."""
        self.worker.shutdown()
        self.names.shutdown()
        self.table_view.shutdown()
        self.console.shutdown()
        self.charts.shutdown()
        self.column_panel.shutdown()
        self.agreements.shutdown()
        self.journey.shutdown()
