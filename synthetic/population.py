"""One shared population: residents, households, addresses and attributes, held as compact numpy arrays.

Strings are not materialised here (a million residents would not fit in bounded memory as Python strings);
names and streets are integer codes into small pools, turned into text a chunk at a time when written.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from synthetic.expr import parse
from synthetic.formatting import email_pool, emails
from synthetic.names import name_pools, street_pool
from synthetic.spec import Attribute, CitySpec, Condition, NumberDist

SSN_SPACE = 100 * 99 * 9999  # areas 900-999, groups 01-99, serials 0001-9999: never issued by the SSA
SSN_STEP = 1_000_003          # coprime with SSN_SPACE, so i -> (i*STEP + offset) % SPACE is a bijection
UNIT_SHARE = 0.3
VALUE_LIMIT = 1e15  # drawn numbers are clipped to +-this (spec parameters are at most 1e12)


def rng_for(seed: int, *labels: object) -> np.random.Generator:
    """An independent, reproducible random stream for one named part of the generation."""
    keys = [seed & 0xFFFFFFFF, seed >> 32]
    keys += [zlib.crc32(str(label).encode()) for label in labels]
    return np.random.default_rng(np.random.SeedSequence(keys))


def draw_number(rng: np.random.Generator, dist: NumberDist, size: int) -> np.ndarray:
    if dist.dist == "uniform":
        values = rng.uniform(dist.low, dist.high, size)
    elif dist.dist == "normal":
        values = rng.normal(dist.mean, dist.sd, size)
    elif dist.dist == "lognormal":
        values = np.exp(rng.normal(np.log(dist.median), dist.sigma, size))
    else:
        values = rng.poisson(dist.mean, size).astype(float)
    if dist.min is not None or dist.max is not None:
        values = np.clip(values, dist.min, dist.max)
    values = np.clip(values, -VALUE_LIMIT, VALUE_LIMIT)  # a lognormal tail stays a finite int64
    if dist.round is not None:
        values = np.round(values / dist.round) * dist.round
        if not float(dist.round).is_integer():  # 0.82, not 0.8200000000000001
            values = np.round(values, decimals_of(dist.round))
    return values


def decimals_of(step: float) -> int:
    """Decimal places of a rounding step: 0.1 -> 1, 0.25 -> 2, 5e-06 -> 6."""
    text = np.format_float_positional(step, trim="-")
    return len(text.partition(".")[2])


def draw_choice(rng: np.random.Generator, weights: dict, size: int) -> np.ndarray:
    values = list(weights)
    p = np.array([weights[v] for v in values], dtype=float)
    idx = rng.choice(len(values), size=size, p=p / p.sum())
    return np.array(values, dtype=object)[idx]


def coverage_rates(rng, rate, size):
    """A `when` branch's coverage rate for each matching resident (no randomness: used by apply_conditions)."""
    return np.full(size, rate, dtype=float)


def condition_columns(conds: list[Condition]) -> set[str]:
    """Resident columns the `if` expressions of a `when` list read."""
    return set().union(*(parse(c.if_).columns for c in conds)) if conds else set()


def apply_conditions(rng, frame: pd.DataFrame, conds: list[Condition], kind: str, default, draw) -> np.ndarray:
    """Draw values where the first matching `when` branch (or else the default) applies."""
    n = len(frame)
    out = None
    assigned = np.zeros(n, dtype=bool)
    for cond in conds:
        mask = parse(cond.if_).evaluate_mask(frame) & ~assigned
        if mask.any():
            values = draw(rng, getattr(cond, kind), int(mask.sum()))
            out = _place(out, mask, values, n)
        assigned |= mask
    rest = ~assigned
    if rest.any():
        out = _place(out, rest, draw(rng, default, int(rest.sum())), n)
    return out if out is not None else draw(rng, default, 0)


def _place(out, mask, values, n):
    if out is None:
        out = np.empty(n, dtype=values.dtype if values.dtype != bool else bool)
    out[mask] = values
    return out


def draw_flag(rng, p, size):
    """True with probability `p`, for `size` residents or records."""
    return rng.random(size) < p


@dataclass
class Population:
    """All residents. Index i of every array is resident id i + 1."""

    size: int
    reference_date: dt.date
    household: np.ndarray          # int32 household index
    household_size: np.ndarray     # int16
    sex: np.ndarray                # object array of sex codes ("F", "M", …)
    birth_ordinal: np.ndarray      # int32 proleptic Gregorian ordinal
    age: np.ndarray                # int16 years on the reference date
    first_name: np.ndarray         # int32 index into first_names
    last_name: np.ndarray          # int32 index into last_names
    neighbourhood: np.ndarray      # int16 index into spec neighbourhoods
    street: np.ndarray             # int32 index into streets
    house_number: np.ndarray       # int32
    unit: np.ndarray               # int16 (0: none)
    lat: np.ndarray
    lon: np.ndarray
    phone_area: np.ndarray         # int16
    phone_line: np.ndarray         # int16 0-99 (the 01xx of 555-01xx)
    email_domain: np.ndarray       # int8
    ssn_index: np.ndarray          # int64 position in the never-issued SSN space
    first_names: np.ndarray        # pools
    last_names: np.ndarray
    streets: list[tuple[str, str]]
    neighbourhood_names: list[str]
    neighbourhood_zips: list[str]
    tags: dict[str, np.ndarray] = field(default_factory=dict)
    attributes: dict[str, np.ndarray] = field(default_factory=dict)
    _categories: dict = field(default_factory=dict, repr=False)  # per-population caches (read-only values)

    def emails(self, index: np.ndarray) -> np.ndarray:
        if "email" not in self._categories:  # only the names residents actually have
            self._categories["email"] = (_used_pool(self.first_names, self.first_name),
                                         _used_pool(self.last_names, self.last_name))
        first, last = self._categories["email"]
        return emails(first[self.first_name[index]], last[self.last_name[index]], self.email_domain[index], index)

    def _column(self, name: str, values: np.ndarray, sel) -> object:
        """Text columns as pandas categoricals, factorised once: building frames stays cheap however often."""
        if values.dtype != object:
            return values[sel]
        if name not in self._categories:
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            self._categories[name] = (codes, uniques)
        codes, uniques = self._categories[name]
        return pd.Categorical.from_codes(codes[sel], categories=pd.Index(uniques, dtype=object))

    @property
    def ids(self) -> np.ndarray:
        return np.arange(1, self.size + 1, dtype=np.int64)

    def frame(self, index: np.ndarray | slice | None = None, columns=None) -> pd.DataFrame:
        """The columns expressions may use (age, sex, neighbourhood, zip, tags, attributes …).

        `columns` limits the frame to what an expression reads (see `Expression.columns`): building every
        column for every chunk of every table would cost more than the expressions themselves.
        """
        sel = slice(None) if index is None else index
        rows = len(self.age[sel])
        wanted = None if columns is None else set(columns)
        data = {}
        for name in ("age", "sex", "neighbourhood", "zip", "household_size", "lat", "lon", *self.tags,
                     *self.attributes):
            if wanted is None or name in wanted:
                data[name] = self._frame_column(name, sel)
        return pd.DataFrame(data, index=pd.RangeIndex(rows))

    def _frame_column(self, name: str, sel):
        if name in ("neighbourhood", "zip"):
            labels = pd.Index(self.neighbourhood_names if name == "neighbourhood" else self.neighbourhood_zips,
                              dtype=object)
            codes = self.neighbourhood[sel]
            return pd.Categorical.from_codes(codes, categories=labels) if labels.is_unique else labels.to_numpy()[codes]
        if name == "sex":
            return self._column("sex", self.sex, sel)
        if name in self.tags:
            return self.tags[name][sel]
        if name in self.attributes:
            return self._column(name, self.attributes[name], sel)
        return getattr(self, name)[sel]


def _used_pool(pool: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """`email_pool` of the pool entries that `codes` use (others stay None)."""
    used = np.unique(codes)
    out = np.full(len(pool), None, dtype=object)
    out[used] = email_pool(pool[used])
    return out


def _household_sizes(rng, sizes: dict[int, float], residents: int) -> np.ndarray:
    keys = np.array(list(sizes), dtype=np.int16)
    p = np.array(list(sizes.values()), dtype=float)
    mean = float((keys * p).sum() / p.sum())
    out = rng.choice(keys, size=int(residents / mean * 1.2) + 10, p=p / p.sum())
    cum = np.cumsum(out)
    last = int(np.searchsorted(cum, residents))
    out = out[: last + 1].copy()
    out[-1] -= int(cum[last] - residents)
    return out[out > 0]


def _ages(rng, bands: list[tuple[int, int, float]], size: int) -> np.ndarray:
    p = np.array([b[2] for b in bands], dtype=float)
    which = rng.choice(len(bands), size=size, p=p / p.sum())
    low = np.array([b[0] for b in bands])[which]
    high = np.array([b[1] for b in bands])[which]
    return (low + np.floor(rng.random(size) * (high - low + 1))).astype(np.int16)


def build_population(spec: CitySpec, residents: int | None = None) -> Population:
    """Draw the whole population from the spec (deterministic for the spec's seed)."""
    n = residents or spec.city.residents
    seed = spec.seed
    ref = spec.reference_date
    rng = rng_for(seed, "households")
    hh_sizes = _household_sizes(rng, spec.city.household_sizes, n)
    n_households = len(hh_sizes)
    household = np.repeat(np.arange(n_households, dtype=np.int32), hh_sizes)
    household_size = np.repeat(hh_sizes, hh_sizes).astype(np.int16)
    is_head = np.r_[True, household[1:] != household[:-1]]

    nbs = spec.city.neighbourhoods
    shares = np.array([nb.share for nb in nbs], dtype=float)
    hh_nb = rng.choice(len(nbs), size=n_households, p=shares / shares.sum()).astype(np.int16)
    streets_per_nb = max(6, int(n_households / len(nbs) / 50))
    streets = street_pool(rng_for(seed, "streets"), streets_per_nb * len(nbs))
    per_nb = max(1, len(streets) // len(nbs))
    hh_street = (hh_nb.astype(np.int32) * per_nb + rng.integers(0, per_nb, n_households)).astype(np.int32)
    hh_number = rng.integers(1, 4000, n_households).astype(np.int32)
    hh_unit = np.where(rng.random(n_households) < UNIT_SHARE, rng.integers(1, 400, n_households), 0).astype(np.int16)
    centre_lat = np.array([nb.lat for nb in nbs])[hh_nb]
    centre_lon = np.array([nb.lon for nb in nbs])[hh_nb]
    hh_lat = np.round(centre_lat + rng.normal(0, 0.006, n_households), 6)
    hh_lon = np.round(centre_lon + rng.normal(0, 0.008, n_households), 6)

    rng = rng_for(seed, "people")
    sex_values = list(spec.population.sex)
    sex_p = np.array([spec.population.sex[s] for s in sex_values], dtype=float)
    sex = np.array(sex_values, dtype=object)[rng.choice(len(sex_values), size=n, p=sex_p / sex_p.sum())]
    bands = spec.population.age.parsed()
    age = _ages(rng, bands, n)
    # Every household is headed by an adult: swap minors drawn as heads with adults drawn as other members,
    # which keeps the age distribution exactly as the scenario says.
    minor_heads = np.flatnonzero(is_head & (age < 18))
    adult_members = np.flatnonzero(~is_head & (age >= 18))
    swaps = min(len(minor_heads), len(adult_members))
    if swaps:
        partners = rng.choice(adult_members, size=swaps, replace=False)
        heads = minor_heads[:swaps]
        age[heads], age[partners] = age[partners], age[heads].copy()
    left = minor_heads[swaps:]
    adult_bands = [(max(lo, 18), hi, w) for lo, hi, w in bands if hi >= 18]
    if len(left) and adult_bands:  # too few adults to swap with: draw adult heads
        age[left] = _ages(rng, adult_bands, len(left))
    base = np.array([_shift_years(ref, a).toordinal() for a in range(0, int(age.max()) + 2)], dtype=np.int32)
    birth_ordinal = base[age] - rng.integers(0, 365, n).astype(np.int32)

    pools = name_pools(tuple(spec.city.name_origins.items()))
    first_names = np.concatenate([pools.first_female, pools.first_male])
    female_pick = rng.choice(len(pools.first_female), size=n, p=pools.female_p)
    male_pick = rng.choice(len(pools.first_male), size=n, p=pools.male_p) + len(pools.first_female)
    is_female = sex == "F"
    is_male = sex == "M"
    other = ~(is_female | is_male)
    first = np.where(is_female, female_pick, male_pick).astype(np.int32)
    first[other] = np.where(rng.random(int(other.sum())) < 0.5, female_pick[other], male_pick[other])
    hh_last = rng.choice(len(pools.last), size=n_households, p=pools.last_p)
    last = hh_last[household].astype(np.int32)
    own_surname = (~is_head) & (rng.random(n) < 0.15)
    last[own_surname] = rng.choice(len(pools.last), size=int(own_surname.sum()), p=pools.last_p)

    area_codes = np.array(spec.city.area_codes, dtype=np.int16)
    offset = int(rng_for(seed, "ssn").integers(0, SSN_SPACE))
    ssn_index = (np.arange(n, dtype=np.int64) * SSN_STEP + offset) % SSN_SPACE
    ssn_index = ssn_index[rng_for(seed, "ssn-order").permutation(n)]

    pop = Population(
        size=n, reference_date=ref, household=household, household_size=household_size, sex=sex,
        birth_ordinal=birth_ordinal, age=age, first_name=first, last_name=last,
        neighbourhood=hh_nb[household], street=hh_street[household], house_number=hh_number[household],
        unit=hh_unit[household], lat=hh_lat[household], lon=hh_lon[household],
        phone_area=area_codes[rng.integers(0, len(area_codes), n)], phone_line=rng.integers(0, 100, n).astype(np.int16),
        email_domain=rng.integers(0, 3, n).astype(np.int8), ssn_index=ssn_index,
        first_names=first_names, last_names=pools.last, streets=streets,
        neighbourhood_names=[nb.name for nb in nbs], neighbourhood_zips=[nb.zip for nb in nbs],
    )
    for tag in sorted({t for nb in nbs for t in nb.tags}):
        has = np.array([tag in nb.tags for nb in nbs])
        pop.tags[tag] = has[pop.neighbourhood]
    for attr in spec.population.attributes:
        pop.attributes[attr.name] = _draw_attribute(spec.seed, attr, pop)
    return pop


def _draw_attribute(seed: int, attr: Attribute, pop: Population) -> np.ndarray:
    rng = rng_for(seed, "attribute", attr.name)
    needed = condition_columns(attr.when)
    if attr.scope == "household":
        heads = np.r_[0, np.flatnonzero(pop.household[1:] != pop.household[:-1]) + 1]
        frame = pop.frame(heads, needed)
    else:
        frame = pop.frame(None, needed)
    if attr.kind == "number":
        values = draw_number(rng, attr.number, len(frame))
    elif attr.kind == "flag":
        values = apply_conditions(rng, frame, attr.when, "flag", attr.flag, draw_flag)
    else:
        values = apply_conditions(rng, frame, attr.when, "choice", attr.choice, draw_choice)
    return values[pop.household] if attr.scope == "household" else values


def _shift_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


_SSN_HEADS: np.ndarray | None = None


def ssn_text(index: np.ndarray) -> np.ndarray:
    """SSNs for positions in the never-issued 9xx space, as 'AAA-GG-SSSS' ("AAA-GG-" looked up, 9,900 of them)."""
    from synthetic.formatting import zero_padded

    global _SSN_HEADS
    if _SSN_HEADS is None:
        _SSN_HEADS = np.array([f"{900 + a:03d}-{g:02d}-" for a in range(100) for g in range(1, 100)], dtype=object)
    index = np.asarray(index, dtype=np.int64)
    return _SSN_HEADS[index // 9999] + zero_padded(1 + index % 9999, 4)
