"""Grading trainees' result files: re-score every share, flag what cannot be trusted, report."""
