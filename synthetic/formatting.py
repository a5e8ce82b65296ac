"""Each department's way of writing names, addresses, dates and phone numbers, applied to arrays of values.

Values come as integer codes into small pools, so every transformation runs once per distinct value and is
then broadcast with numpy indexing: fast even for a million records.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from synthetic.names import STREET_SUFFIXES, strip_accents
from synthetic.spec import Habits

EMAIL_DOMAINS = np.array(["example.com", "example.org", "example.net"], dtype=object)  # RFC 2606 reserved


def case(values: np.ndarray, how: str) -> np.ndarray:
    if how == "upper":
        return np.array([v.upper() for v in values], dtype=object)
    if how == "lower":
        return np.array([v.lower() for v in values], dtype=object)
    if how == "title":
        return np.array([v.title() for v in values], dtype=object)
    return values


def name_pool(pool: np.ndarray, habits: Habits) -> np.ndarray:
    """A name pool as this department writes it."""
    if habits.strip_accents:
        pool = np.array([strip_accents(v) for v in pool], dtype=object)
    return case(pool, habits.name_case)


def full_names(first: np.ndarray, last: np.ndarray, habits: Habits) -> np.ndarray:
    if habits.name_order == "last_comma_first":
        return last + ", " + first
    return first + " " + last


def street_labels(streets: list[tuple[str, str]], style: str) -> np.ndarray:
    out = []
    for name, suffix in streets:
        label = f"{name} {STREET_SUFFIXES[suffix] if style != 'full' else suffix}"
        out.append(label.upper() if style == "upper_abbreviated" else label)
    return np.array(out, dtype=object)


SMALL = 10_000
_DECIMAL = np.array([str(i) for i in range(SMALL)], dtype=object)        # "0" … "9999"
_PADDED = {w: np.array([f"{i:0{w}d}" for i in range(SMALL)], dtype=object) for w in (2, 4)}
_NUMBER_SPACE = np.array([f"{i} " for i in range(SMALL)], dtype=object)


def decimal(numbers: np.ndarray) -> np.ndarray:
    """Whole numbers as text, by table lookup where they are small (the common case), else numpy."""
    numbers = np.asarray(numbers, dtype=np.int64)
    if len(numbers) and 0 <= numbers.min() and numbers.max() < SMALL:
        return _DECIMAL[numbers]
    return numbers.astype(str).astype(object)


def addresses(number: np.ndarray, street: np.ndarray, unit: np.ndarray, labels: np.ndarray, style: str) -> np.ndarray:
    apt = "APT " if style == "upper_abbreviated" else ("Apt " if style == "abbreviated" else "Apartment ")
    units = np.concatenate([[""], (" " + apt) + _DECIMAL[1:SMALL]])  # unit 0: no apartment
    numbers = np.asarray(number, dtype=np.int64)
    if len(numbers) and 0 <= numbers.min() and numbers.max() < SMALL:
        head = _NUMBER_SPACE[numbers]  # "123 " by lookup: one string join fewer per address
    else:
        head = decimal(numbers) + " "
    return head + labels[street] + units[unit]


_TOKEN = re.compile(r"%.|[^%]+")
_UNIX_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_MONTHS = {"%b": np.array(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
                          dtype=object),
           "%B": np.array(["January", "February", "March", "April", "May", "June", "July", "August", "September",
                           "October", "November", "December"], dtype=object)}


def _format_days(ordinals: np.ndarray, fmt: str) -> np.ndarray:
    """Text of the given day ordinals, built column-wise with numpy.

    Handles %Y %y %m %d %b %B and literal text (what scenario date formats use); anything else falls back
    to strftime, day by day, with the same result.
    """
    tokens = _TOKEN.findall(fmt)
    if any(t.startswith("%") and t not in ("%Y", "%y", "%m", "%d", "%b", "%B") for t in tokens):
        return np.array([dt.date.fromordinal(int(o)).strftime(fmt) for o in ordinals], dtype=object)
    days = (ordinals.astype(np.int64) - _UNIX_EPOCH_ORDINAL).astype("datetime64[D]")
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    months = days.astype("datetime64[M]").astype(np.int64) % 12
    dom = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    parts = {"%Y": _PADDED[4][years], "%y": _PADDED[2][years % 100], "%m": _PADDED[2][months + 1],
             "%d": _PADDED[2][dom], "%b": _MONTHS["%b"][months], "%B": _MONTHS["%B"][months]}
    out = np.full(len(ordinals), "", dtype=object)
    for token in tokens:
        out = out + (parts[token] if token in parts else token)
    return out


def format_dates(ordinals: np.ndarray, fmt: str) -> np.ndarray:
    """Format day ordinals with a strftime format, once per distinct day."""
    if len(ordinals) == 0:
        return np.empty(0, dtype=object)
    days, inverse = np.unique(ordinals, return_inverse=True)
    return _format_days(days, fmt)[inverse]


def swapped_dates(ordinals: np.ndarray, fmt: str) -> np.ndarray:
    """Dates written with day and month swapped (only possible where the day is 12 or less)."""
    out = []
    for o in ordinals:
        d = dt.date.fromordinal(int(o))
        swapped = d.replace(month=d.day, day=d.month) if d.day <= 12 else d
        out.append(swapped.strftime(fmt))
    return np.array(out, dtype=object)


PHONE_PATTERNS = {"parens": "({area}) 555-01{line:02d}", "digits": "{area}55501{line:02d}",
                  "dots": "{area}.555.01{line:02d}", "dashes": "{area}-555-01{line:02d}"}


def phones(area: np.ndarray, line: np.ndarray, style: str) -> np.ndarray:
    """Fictional numbers: every one is in the 555-0100..555-0199 range reserved for fiction.

    A city has a handful of area codes and 100 lines, so every possible number is formatted once and looked up.
    """
    codes, areas = pd.factorize(np.asarray(area))
    pattern = PHONE_PATTERNS.get(style, PHONE_PATTERNS["dashes"])
    table = np.array([pattern.format(area=a, line=n) for a in areas for n in range(100)], dtype=object)
    return table[codes * 100 + np.asarray(line, dtype=np.int64)]


def email_pool(pool: np.ndarray) -> np.ndarray:
    """Names as the local part of an e-mail address: ASCII, lower case, no spaces or apostrophes."""
    return np.array([strip_accents(v).lower().replace(" ", "").replace("'", "") for v in pool], dtype=object)


_EMAIL_TAILS = np.array([f"{suffix}@{domain}" for suffix in ["", *map(str, range(100))] for domain in EMAIL_DOMAINS],
                        dtype=object)


def emails(first_local: np.ndarray, last_local: np.ndarray, domain: np.ndarray, number: np.ndarray) -> np.ndarray:
    """Addresses at the reserved example domains; `first_local`/`last_local` come from `email_pool`.

    A third of residents get a number (0-99) after their name; "NN@domain" endings are looked up, not joined.
    """
    suffix = np.where(number % 3 == 0, number % 100 + 1, 0)
    return first_local + "." + last_local + _EMAIL_TAILS[suffix * len(EMAIL_DOMAINS) + domain]


def zero_padded(numbers: np.ndarray, digits: int) -> np.ndarray:
    numbers = np.asarray(numbers, dtype=np.int64)
    if len(numbers) == 0:
        return np.empty(0, dtype=object)
    if digits in _PADDED and len(numbers) and 0 <= numbers.min() and numbers.max() < SMALL:
        return _PADDED[digits][numbers]
    return np.char.zfill(numbers.astype(str), digits).astype(object)


def record_ids(prefix: str, digits: int, start: int, count: int) -> np.ndarray:
    return prefix + zero_padded(np.arange(start, start + count), digits)


def resident_keys(prefix: str, digits: int, resident_ids: np.ndarray, salt: int) -> np.ndarray:
    """A department's own stable client number for each resident (a bijection of the id, so no clashes)."""
    space = 10**digits
    step = 7_777_777 if np.gcd(7_777_777, space) == 1 else 1_000_003
    keys = (resident_ids.astype(np.int64) * step + salt) % space
    return prefix + zero_padded(keys, digits)
