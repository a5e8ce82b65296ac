"""The SQL editor: QPlainTextEdit with syntax highlighting and the error shown as a wavy underline."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QSyntaxHighlighter, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit

KEYWORDS = ("select from where group by order having limit offset join left right inner outer cross on using as "
            "and or not in is null like glob between case when then else end distinct union all except intersect "
            "with recursive values asc desc cast exists collate over partition window filter").split()
FUNCTIONS = ("count sum avg min max total group_concat substr instr upper lower length trim ltrim rtrim replace "
             "coalesce ifnull nullif abs round date time datetime julianday strftime printf format typeof "
             "row_number rank dense_rank lag lead").split()


def _format(colour: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(colour))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


class SqlHighlighter(QSyntaxHighlighter):
    """Keywords, functions, numbers, strings, quoted names and comments (multi-line comments included)."""

    RULES = [(re.compile(rf"\b(?:{'|'.join(KEYWORDS)})\b", re.I), _format("#1f4e9c", bold=True)),
             (re.compile(rf"\b(?:{'|'.join(FUNCTIONS)})(?=\s*\()", re.I), _format("#6a3d9a")),
             (re.compile(r"\b\d+(?:\.\d+)?\b"), _format("#a05a00")),
             (re.compile(r'"(?:[^"]|"")*"'), _format("#00695c")),
             (re.compile(r"'(?:[^']|'')*'"), _format("#2e7d32")),
             (re.compile(r"--[^\n]*"), _format("#777777", italic=True))]
    COMMENT = _format("#777777", italic=True)

    def highlightBlock(self, text: str) -> None:
        for pattern, fmt in self.RULES:
            for m in pattern.finditer(text):
                self.setFormat(m.start(), m.end() - m.start(), fmt)
        self.setCurrentBlockState(0)
        continuing = self.previousBlockState() == 1
        start = 0 if continuing else text.find("/*")
        while start >= 0:
            end = text.find("*/", start if continuing else start + 2)
            continuing = False
            if end < 0:
                self.setCurrentBlockState(1)
                self.setFormat(start, len(text) - start, self.COMMENT)
                break
            self.setFormat(start, end + 2 - start, self.COMMENT)
            start = text.find("/*", end + 2)


class SqlEditor(QPlainTextEdit):
    """Ctrl+Enter runs the query (`runRequested`); `show_error(offset)` underlines where SQLite pointed."""

    runRequested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setPlaceholderText("SELECT zip, count(*) FROM s311_service_requests GROUP BY zip   (Ctrl+Enter runs)")
        self.setTabChangesFocus(False)
        self.highlighter = SqlHighlighter(self.document())
        self.textChanged.connect(self.clear_error)

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and event.modifiers() & (
                Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.MetaModifier):
            self.runRequested.emit()
            return
        super().keyPressEvent(event)

    def show_error(self, offset: int | None) -> None:
        """Underline the word at `offset` (or the last character) with a red wave."""
        if offset is None:
            self.clear_error()
            return
        text = self.toPlainText()
        offset = max(0, min(offset, len(text)))
        end = offset
        while end < len(text) and (text[end].isalnum() or text[end] in "_$.\""):
            end += 1
        start = offset if end > offset else max(0, offset - 1)
        cursor = QTextCursor(self.document())
        cursor.setPosition(start)
        cursor.setPosition(max(end, start + 1), QTextCursor.MoveMode.KeepAnchor)
        selection = QTextEdit.ExtraSelection()
        selection.cursor = cursor
        fmt = QTextCharFormat()
        fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        fmt.setUnderlineColor(QColor("#c62828"))
        selection.format = fmt
        self.setExtraSelections([selection])

    def clear_error(self) -> None:
        if self.extraSelections():
            self.setExtraSelections([])
