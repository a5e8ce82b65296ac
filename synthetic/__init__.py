"""Synthetic city generator: a city spec in, a SQLite database out. Knows nothing of exercises or Qt."""

GENERATOR_VERSION = "1"
