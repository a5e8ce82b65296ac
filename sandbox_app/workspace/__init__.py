"""Headless persistence for the trainee app: the workspace database (store.py) and result files (results.py)."""
