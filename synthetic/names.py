"""Name and street pools, built once from Faker's locale lists and sampled with numpy.

Faker's en_US lists alone (about 690 first and 1,000 last names) make many accidental namesakes in a big
city, so residents' names mix several locales' lists, each weighted as the scenario says. The pools are read
straight from Faker's provider data (not from Faker's random calls), so they do not depend on Faker's RNG.
"""

from __future__ import annotations

import importlib
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np

# Locales whose person lists are in the Latin alphabet and large enough to be useful.
LATIN_LOCALES = ("en_US", "en_GB", "en_IE", "es_MX", "es_ES", "pt_BR", "fr_FR", "de_DE", "it_IT", "vi_VN",
                 "en_IN", "nl_NL", "yo_NG", "tw_GH", "sw")

NICKNAMES = {
    "Robert": "Bob", "William": "Bill", "Richard": "Rick", "James": "Jim", "John": "Jack", "Michael": "Mike",
    "Thomas": "Tom", "Joseph": "Joe", "Charles": "Chuck", "Christopher": "Chris", "Daniel": "Dan",
    "Matthew": "Matt", "Anthony": "Tony", "Steven": "Steve", "Edward": "Ed", "Benjamin": "Ben",
    "Nicholas": "Nick", "Alexander": "Alex", "Jonathan": "Jon", "Samuel": "Sam", "Gregory": "Greg",
    "Patrick": "Pat", "Timothy": "Tim", "Kenneth": "Ken", "Ronald": "Ron", "Donald": "Don", "David": "Dave",
    "Andrew": "Andy", "Joshua": "Josh", "Zachary": "Zach", "Francisco": "Paco", "José": "Pepe",
    "Elizabeth": "Liz", "Jennifer": "Jen", "Katherine": "Kate", "Catherine": "Cathy", "Margaret": "Peggy",
    "Patricia": "Patty", "Susan": "Sue", "Deborah": "Debbie", "Rebecca": "Becky", "Jessica": "Jess",
    "Victoria": "Vicky", "Christine": "Chris", "Kimberly": "Kim", "Barbara": "Barb", "Samantha": "Sam",
    "Abigail": "Abby", "Alexandra": "Alex", "Dorothy": "Dot", "Judith": "Judy", "Cynthia": "Cindy",
    "Pamela": "Pam", "Stephanie": "Steph", "Theresa": "Terry", "Guadalupe": "Lupe", "Dolores": "Lola",
}

STREET_SUFFIXES = {  # full -> USPS abbreviation
    "Street": "St", "Avenue": "Ave", "Road": "Rd", "Drive": "Dr", "Lane": "Ln", "Court": "Ct",
    "Place": "Pl", "Boulevard": "Blvd", "Way": "Way", "Terrace": "Ter", "Parkway": "Pkwy", "Circle": "Cir",
}
STREET_WORDS = ("Maple", "Oak", "Cedar", "Elm", "Pine", "Walnut", "Chestnut", "Willow", "Birch", "Spruce",
                "Lake", "Hill", "River", "Park", "Mill", "Church", "School", "Market", "Bridge", "Spring",
                "Harbor", "Forest", "Meadow", "Orchard", "Prospect", "Union", "Franklin", "Lincoln",
                "Washington", "Jefferson", "Madison", "Jackson", "Highland", "Sunset", "Ridge", "Valley",
                "Front", "Water", "Center", "Railroad")


@dataclass(frozen=True)
class NamePools:
    first_female: np.ndarray   # object array of str
    first_male: np.ndarray
    last: np.ndarray
    female_p: np.ndarray       # sampling weights (sum to 1)
    male_p: np.ndarray
    last_p: np.ndarray


def _weighted(values, origin_weight: float) -> tuple[list[str], list[float]]:
    if isinstance(values, dict):  # OrderedDict name -> frequency
        total = float(sum(values.values()))
        return list(values), [origin_weight * w / total for w in values.values()]
    values = list(dict.fromkeys(values))
    return values, [origin_weight / len(values)] * len(values)


@cache
def available_origins() -> tuple[str, ...]:
    out = []
    for loc in LATIN_LOCALES:
        try:
            importlib.import_module(f"faker.providers.person.{loc}")
        except ImportError:
            continue
        out.append(loc)
    return tuple(out)


def _merge(parts: list[tuple[list[str], list[float]]]) -> tuple[np.ndarray, np.ndarray]:
    weights: dict[str, float] = {}
    for names, ws in parts:
        for name, w in zip(names, ws, strict=True):
            if name and name.isprintable() and " " not in name.strip():
                weights[name] = weights.get(name, 0.0) + w
    names = np.array(list(weights), dtype=object)
    p = np.array(list(weights.values()), dtype=float)
    return names, p / p.sum()


@lru_cache(maxsize=32)
def name_pools(origins: tuple[tuple[str, float], ...]) -> NamePools:
    """Pools of first and last names mixed from the given (locale, weight) pairs."""
    female, male, last = [], [], []
    total = sum(w for _, w in origins)
    for loc, weight in origins:
        provider = importlib.import_module(f"faker.providers.person.{loc}").Provider
        share = weight / total
        female.append(_weighted(provider.first_names_female, share))
        male.append(_weighted(provider.first_names_male, share))
        last.append(_weighted(provider.last_names, share))
    ff, fp = _merge(female)
    mm, mp = _merge(male)
    ll, lp = _merge(last)
    return NamePools(ff, mm, ll, fp, mp, lp)


def street_pool(rng: np.random.Generator, size: int) -> list[tuple[str, str]]:
    """`size` distinct (name, full suffix) streets."""
    from faker.providers.person.en_US import Provider

    words = list(STREET_WORDS) + [n for n in list(Provider.last_names)[:300] if n.isalpha()]
    suffixes = list(STREET_SUFFIXES)
    combos = len(words) * len(suffixes)
    picks = rng.choice(combos, size=min(size, combos), replace=False)
    return [(words[p // len(suffixes)], suffixes[p % len(suffixes)]) for p in picks]


def strip_accents(text: str) -> str:
    if text.isascii():  # most names: nothing to strip
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
