"""The advanced "JSON" tab: the same share document as text, edited both ways.

Typing here is parsed by the engine (debounced); a valid document replaces the share in one undoable step,
an invalid one shows the engine's located message under the box and changes nothing. Edits made elsewhere
rewrite the text, unless it already says the same thing.
"""

from __future__ import annotations

import json

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from sandbox_app.errors import ShareError
from sandbox_app.sharing import parse_share_text, share_to_json
from sandbox_app.ui.trainee.share_editor import ShareEditor

PARSE_DELAY_MS = 400


class ShareJsonTab(QWidget):
    def __init__(self, editor: ShareEditor, parent=None) -> None:
        super().__init__(parent)
        self.editor = editor
        layout = QVBoxLayout(self)
        note = QLabel("The share document the builder edits, as the engine reads it (docs/share-format.md). "
                      "Edit it here or in the builder: both stay in step.")
        note.setWordWrap(True)
        layout.addWidget(note)
        self.text = QPlainTextEdit()
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setAccessibleName("share JSON")
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        layout.addWidget(self.text, 1)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b71c1c;")
        layout.addWidget(self.error)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(PARSE_DELAY_MS)
        self.timer.timeout.connect(self.commit)
        self._writing = False
        self.text.textChanged.connect(self._typed)
        editor.changed.connect(self.show_document)
        self.show_document(editor.document)

    def show_document(self, document) -> None:
        wanted = share_to_json(document)
        try:
            same = share_to_json(parse_share_text(self.text.toPlainText(), "share JSON")) == wanted
        except ShareError:
            same = False
        if same:
            return
        self._writing = True
        position = self.text.textCursor().position()
        self.text.setPlainText(wanted)
        cursor = self.text.textCursor()
        cursor.setPosition(min(position, len(wanted)))
        self.text.setTextCursor(cursor)
        self._writing = False
        self.error.setText("")

    def _typed(self) -> None:
        if not self._writing:
            self.timer.start()

    def commit(self) -> bool:
        """Parse the text now; replace the share if it is valid. Returns whether it was."""
        self.timer.stop()
        text = self.text.toPlainText()
        try:
            document = parse_share_text(text, "share JSON")
        except ShareError as err:
            self.error.setText(str(err))
            return False
        self.error.setText("")
        if share_to_json(document) != share_to_json(self.editor.document):
            try:
                self.editor.edit({"edit": "replace", "document": json.loads(text)}, "edit the JSON",
                                 merge_key="json")
            except ShareError as err:
                self.error.setText(str(err))
                return False
        return True
