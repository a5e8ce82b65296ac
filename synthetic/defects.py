"""Data-quality defects injected into a department's records: the mess real record linkage has to survive."""

from __future__ import annotations

import numpy as np

from synthetic.names import NICKNAMES, STREET_SUFFIXES

ABBREVIATIONS = {**STREET_SUFFIXES, **{k.upper(): v.upper() for k, v in STREET_SUFFIXES.items()}}
EXPANSIONS = {v: k for k, v in ABBREVIATIONS.items()}


def pick(rng: np.random.Generator, size: int, rate: float) -> np.ndarray:
    """Indices of the values a defect touches."""
    if rate <= 0 or size == 0:
        return np.empty(0, dtype=np.int64)
    return np.flatnonzero(rng.random(size) < rate)


def typo(text: str, rng: np.random.Generator) -> str:
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    if len(letters) < 3:
        return text
    i = letters[int(rng.integers(1, len(letters) - 1))]
    kind = int(rng.integers(0, 3))
    if kind == 0 and i + 1 < len(text):  # transpose
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    if kind == 1:  # drop
        return text[:i] + text[i + 1:]
    return text[:i] + text[i] + text[i:]  # double


def add_typos(values: np.ndarray, rng: np.random.Generator, rate: float) -> None:
    for i in pick(rng, len(values), rate):
        if isinstance(values[i], str):
            values[i] = typo(values[i], rng)


_NICK = {formal.lower(): short for formal, short in NICKNAMES.items()}


def nickname(first: str) -> str:
    short = _NICK.get(first.lower())
    if short is None:
        return first
    if first.isupper():
        return short.upper()
    return short.lower() if first.islower() else short


def nickname_pool(pool: np.ndarray) -> np.ndarray:
    return np.array([nickname(v) for v in pool], dtype=object)


def wrong_zip(zip_code: str, rng: np.random.Generator) -> str:
    if not isinstance(zip_code, str) or len(zip_code) != 5:
        return zip_code
    pos = int(rng.integers(2, 5))
    digit = str((int(zip_code[pos]) + int(rng.integers(1, 10))) % 10)
    return zip_code[:pos] + digit + zip_code[pos + 1:]


def address_variant(address: str, rng: np.random.Generator) -> str:
    """The same address written another way: suffix expanded or abbreviated, unit as '#', unit dropped."""
    words = address.split(" ")
    kind = int(rng.integers(0, 3))
    if kind == 0:
        words = [EXPANSIONS.get(w, ABBREVIATIONS.get(w, w)) for w in words]
    elif kind == 1:
        for j, w in enumerate(words[:-1]):
            if w.lower() in ("apt", "apartment"):
                words[j] = "#"
                return " ".join(words[: j + 1]) + words[j + 1] + (" " + " ".join(words[j + 2:]) if words[j + 2:] else "")
        words = [w.rstrip(".") for w in words]
    else:
        for j, w in enumerate(words):
            if w.lower() in ("apt", "apartment"):
                words = words[:j]
                break
        else:
            words = [w.lower() if i else w for i, w in enumerate(words)]
    return " ".join(words)
