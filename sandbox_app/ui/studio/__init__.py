"""City-sandbox studio: the facilitator's windows (scenario editor, debrief dashboard)."""
