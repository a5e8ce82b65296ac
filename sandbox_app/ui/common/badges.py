"""Badges for sensitivity, severity and verdicts: always a word and a colour, never the colour alone."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

# level -> (text, background, foreground); the colours are dark enough for white text in light and dark themes
SENSITIVITY = {
    "public": ("Public", "#2e7d32", "#ffffff"),
    "internal": ("Internal", "#546e7a", "#ffffff"),
    "confidential": ("Confidential", "#b26a00", "#ffffff"),
    "restricted": ("Restricted", "#b71c1c", "#ffffff"),
}
SEVERITY = {
    "blocker": ("Blocker", "#b71c1c", "#ffffff"),
    "major": ("Major", "#b26a00", "#ffffff"),
    "minor": ("Minor", "#546e7a", "#ffffff"),
}
VERDICT = {
    "approve": ("Approved", "#2e7d32", "#ffffff"),
    "revise": ("Revise", "#b26a00", "#ffffff"),
    "reject": ("Rejected", "#b71c1c", "#ffffff"),
}
CATEGORY_WORDS = {
    "direct_identifier": "names or contacts a person", "quasi_identifier": "can help pick a person out",
    "precise_location": "exact location", "free_text": "free text (may hide anything)",
    "operational": "operational", "public": "public",
}


def badge_style(background: str, foreground: str) -> str:
    return (f"QLabel {{ background: {background}; color: {foreground}; border-radius: 4px; padding: 1px 6px; "
            "font-weight: 600; }")


def badge(kind: dict, key: str, parent=None, tooltip: str = "") -> QLabel:
    """A small rounded label with the word for `key` (e.g. SENSITIVITY, 'restricted')."""
    text, background, foreground = kind.get(key, (key.replace("_", " ").capitalize(), "#546e7a", "#ffffff"))
    label = QLabel(text, parent)
    label.setStyleSheet(badge_style(background, foreground))
    label.setToolTip(tooltip or text)
    return label


def category_text(category: str) -> str:
    """A category as a city employee reads it: 'mental health', 'names or contacts a person'."""
    return CATEGORY_WORDS.get(category, category.replace("_", " "))
