"""A plain-text code editor with a line-number gutter (Qt's Code Editor example) and a YAML highlighter.

Problem lines get a wavy red underline and a bold red number in the gutter (the problem list beside the editor
says what is wrong in words, so colour is never the only sign).
"""

from __future__ import annotations

import re

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QPainter,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

PROBLEM_COLOUR = QColor("#c62828")


class _LineNumberArea(QWidget):
    def __init__(self, editor: CodeEditor) -> None:
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(self.editor.gutter_width(), 0)

    def paintEvent(self, event) -> None:  # noqa: N802
        self.editor.paint_gutter(event)


class CodeEditor(QPlainTextEdit):
    """QPlainTextEdit with line numbers, a monospace font, no wrapping, and marked problem lines."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * 2)
        self._gutter = _LineNumberArea(self)
        self._problem_lines: set[int] = set()
        self.blockCountChanged.connect(self._update_gutter_width)
        self.updateRequest.connect(self._update_gutter)
        self._update_gutter_width()

    # ---------------------------------------------------------------- gutter
    def gutter_width(self) -> int:
        digits = max(3, len(str(max(1, self.blockCount()))))
        return 10 + self.fontMetrics().horizontalAdvance("9") * digits

    def _update_gutter_width(self, _count: int = 0) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _update_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())
        if rect.contains(self.viewport().rect()):
            self._update_gutter_width()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        cr = self.contentsRect()
        self._gutter.setGeometry(QRect(cr.left(), cr.top(), self.gutter_width(), cr.height()))

    def paint_gutter(self, event) -> None:
        painter = QPainter(self._gutter)
        palette = self.palette()
        painter.fillRect(event.rect(), palette.alternateBase())
        block = self.firstVisibleBlock()
        number = block.blockNumber()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        bottom = top + round(self.blockBoundingRect(block).height())
        height = self.fontMetrics().height()
        bold = QFont(self.font())
        bold.setBold(True)
        while block.isValid() and top <= event.rect().bottom():
            if block.isVisible() and bottom >= event.rect().top():
                bad = (number + 1) in self._problem_lines
                painter.setFont(bold if bad else self.font())
                painter.setPen(PROBLEM_COLOUR if bad else palette.placeholderText().color())
                painter.drawText(0, top, self._gutter.width() - 5, height, Qt.AlignmentFlag.AlignRight,
                                 str(number + 1))
            block = block.next()
            top = bottom
            bottom = top + round(self.blockBoundingRect(block).height())
            number += 1
        painter.end()

    # ---------------------------------------------------------------- problems
    def mark_problem_lines(self, lines: set[int]) -> None:
        """Wavy-underline each 1-based line in `lines` (and redraw the gutter); an empty set clears them."""
        self._problem_lines = {n for n in lines if 1 <= n <= self.blockCount()}
        selections = []
        for line in sorted(self._problem_lines):
            block = self.document().findBlockByNumber(line - 1)
            selection = QTextEdit.ExtraSelection()
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            fmt.setUnderlineColor(PROBLEM_COLOUR)
            selection.format = fmt
            cursor = QTextCursor(block)
            text = block.text()
            cursor.movePosition(QTextCursor.MoveOperation.NextCharacter, n=len(text) - len(text.lstrip()))
            cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
            selection.cursor = cursor
            selections.append(selection)
        self.setExtraSelections(selections)
        self._gutter.update()

    @property
    def problem_lines(self) -> set[int]:
        return set(self._problem_lines)

    def underlined_lines(self) -> set[int]:
        """1-based lines that carry a wavy underline now (what the user sees; tests read it)."""
        out = set()
        for selection in self.extraSelections():
            if selection.format.underlineStyle() == QTextCharFormat.UnderlineStyle.WaveUnderline:
                out.add(selection.cursor.blockNumber() + 1)
        return out

    def go_to_line(self, line: int) -> None:
        """Put the cursor at the start of 1-based `line`, scroll it into view and focus the editor."""
        block = self.document().findBlockByNumber(max(0, line - 1))
        if not block.isValid():
            block = self.document().lastBlock()
        cursor = QTextCursor(block)
        self.setTextCursor(cursor)
        self.centerCursor()
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    def current_line(self) -> int:
        return self.textCursor().blockNumber() + 1


class YamlHighlighter(QSyntaxHighlighter):
    """Colours YAML keys, comments, strings, numbers, booleans and list dashes, one line at a time."""

    RULES = [
        (re.compile(r"^\s*(?:-\s+)?([\w.-]+)(?=\s*:(\s|$))"), "#1565c0", True),       # block keys
        (re.compile(r"(?<=[{,])\s*([\w.-]+)(?=\s*:)"), "#1565c0", False),             # flow keys {a: 1}
        (re.compile(r"(\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*')"), "#2e7d32", False),   # quoted strings
        (re.compile(r"(?<![\w.-])(-?\d+(?:\.\d+)?(?:-\d\d-\d\d)?)(?![\w.-])"), "#6a1b9a", False),  # numbers, dates
        (re.compile(r"(?<![\w-])(true|false|null|yes|no)(?![\w-])", re.I), "#ad1457", False),
        (re.compile(r"^\s*(-)(?=\s)"), "#6d4c41", True),
    ]
    COMMENT = re.compile(r"(?:^|\s)(#.*)$")

    def __init__(self, document) -> None:
        super().__init__(document)
        self._formats = []
        for pattern, colour, bold in self.RULES:
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(colour))
            if bold:
                fmt.setFontWeight(QFont.Weight.DemiBold)
            self._formats.append((pattern, fmt))
        self._comment = QTextCharFormat()
        self._comment.setForeground(QColor("#757575"))
        self._comment.setFontItalic(True)

    def highlightBlock(self, text: str) -> None:  # noqa: N802
        comment = self._comment_start(text)
        code = text if comment is None else text[:comment]
        for pattern, fmt in self._formats:
            for match in pattern.finditer(code):
                self.setFormat(match.start(1), match.end(1) - match.start(1), fmt)
        if comment is not None:
            self.setFormat(comment, len(text) - comment, self._comment)

    @staticmethod
    def _comment_start(text: str) -> int | None:
        """Where a `#` comment starts, outside quotes (None if the line has none)."""
        quote = None
        for i, ch in enumerate(text):
            if quote:
                if ch == quote:
                    quote = None
            elif ch in "\"'":
                quote = ch
            elif ch == "#" and (i == 0 or text[i - 1].isspace()):
                return i
        return None

