"""The naive baseline: the city written the way a first-time user would, one Faker call per field per row and
one sqlite-utils ``db[table].insert(record)`` per record.

It writes the same kinds of records as ``generate_city`` for the same scenario: rows of ``_residents`` (every
column our generator writes: names, sex, birth date, age, address, ZIP, neighbourhood, coordinates, phone,
e-mail, SSN, household size, neighbourhood tags and every resident attribute) and, for each resident, one
record of a department table (by default winter-storm's ``ph_home_health_clients``: 14 fields) about that
resident, written in the department's habits. Half the records are residents, half department records.

What it does not do (and our generator does): households, conditional (`when`) distributions, coverage rules,
data-quality defects, the voter roll, ground truth and the data dictionary. The baseline is therefore
*cheaper* per record than the real thing, which flatters it. The database is opened with sqlite-utils'
defaults (no PRAGMAs), so each insert is its own committed transaction, as it is for anyone who has not read
the sqlite-utils docs on bulk inserts. With ``pragmas=True`` it runs the same code on a database with our
generator's PRAGMAs (journal_mode=OFF, synchronous=OFF): the stricter comparison, with no fsync per record.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from pathlib import Path

import sqlite_utils
from faker import Faker

from synthetic.spec import CitySpec, Table

DEFAULT_TABLE = "ph_home_health_clients"


def _age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _attribute_value(rng: random.Random, attr) -> object:
    if attr.choice is not None:
        return rng.choices(list(attr.choice), weights=list(attr.choice.values()))[0]
    if attr.flag is not None:
        return int(rng.random() < attr.flag)
    n = attr.number
    if n.dist == "uniform":
        value = rng.uniform(n.low, n.high)
    elif n.dist == "normal":
        value = rng.gauss(n.mean, n.sd)
    elif n.dist == "lognormal":
        value = math.exp(rng.gauss(math.log(n.median), n.sigma))
    else:
        value = float(sum(1 for _ in range(50) if rng.random() < n.mean / 50))  # rough Poisson
    if n.min is not None:
        value = max(value, n.min)
    if n.max is not None:
        value = min(value, n.max)
    return round(value / n.round) * n.round if n.round else value


def _resident(fake: Faker, rng: random.Random, spec: CitySpec, resident_id: int) -> dict:
    nbs = spec.city.neighbourhoods
    nb = rng.choices(nbs, weights=[n.share for n in nbs])[0]
    sex = rng.choices(list(spec.population.sex), weights=list(spec.population.sex.values()))[0]
    first = fake.first_name_female() if sex == "F" else fake.first_name_male()
    birth = fake.date_of_birth(minimum_age=0, maximum_age=104)
    record = {
        "resident_id": resident_id,
        "household_id": resident_id,
        "first_name": first,
        "last_name": fake.last_name(),
        "sex": sex,
        "birth_date": birth.isoformat(),
        "age": _age_on(birth, spec.reference_date),
        "address": fake.street_address(),
        "zip": nb.zip,
        "neighbourhood": nb.name,
        "lat": round(nb.lat + rng.gauss(0, 0.006), 6),
        "lon": round(nb.lon + rng.gauss(0, 0.008), 6),
        "phone": fake.phone_number(),
        "email": fake.email(),
        "ssn": fake.ssn(),
        "household_size": rng.choices(list(spec.city.household_sizes),
                                       weights=list(spec.city.household_sizes.values()))[0],
    }
    for nb_tag in sorted({t for n in nbs for t in n.tags}):
        record[nb_tag] = int(nb_tag in nb.tags)
    for attr in spec.population.attributes:
        record[attr.name] = _attribute_value(rng, attr)
    return record


def _department_record(fake: Faker, rng: random.Random, spec: CitySpec, habits, table: Table, resident: dict,
                       record_id: int) -> dict:
    case = {"upper": str.upper, "lower": str.lower, "title": str.title}.get(habits.name_case, str)
    born = dt.date.fromisoformat(resident["birth_date"])
    record = {}
    for f in table.fields:
        if f.gen == "record_id":
            value = f"{habits.id_prefix}{record_id:0{habits.id_digits}d}"
        elif f.gen in ("first_name", "last_name"):
            value = case(resident[f.gen])
        elif f.gen == "full_name":
            value = case(f"{resident['first_name']} {resident['last_name']}")
        elif f.gen in ("birth_date",):
            value = born.strftime(habits.date_format)
        elif f.gen is not None:
            value = resident.get(f.gen, resident.get("resident_id"))
        elif f.attribute is not None:
            value = resident[f.attribute]
        elif f.choice is not None:
            value = rng.choices(list(f.choice), weights=list(f.choice.values()))[0]
        elif f.flag is not None:
            value = int(rng.random() < f.flag)
        elif f.number is not None:
            value = rng.gauss(f.number.mean or 0, f.number.sd or 1)
        elif f.date is not None:
            day = fake.date_between(spec.reference_date + dt.timedelta(days=f.date.start),
                                    spec.reference_date + dt.timedelta(days=f.date.end))
            value = day.strftime(habits.date_format)
        elif f.text is not None:
            value = fake.sentence()
        else:  # an expression: a first-time user would not write an evaluator
            value = None
        record[f.name] = value
    return record


def generate_naive(spec: CitySpec, out: str | Path, records: int, table_name: str = DEFAULT_TABLE,
                   pragmas: bool = False) -> dict:
    """Write `records` records (half residents, half department records) the naive way; return timings.

    `pragmas` turns the journal and fsync off first (as generate_city does); the inserts stay one per record.

    Returns ``records``, ``seconds`` (everything), and the split ``faker_seconds`` (building the dicts) and
    ``insert_seconds`` (sqlite-utils inserts, one committed transaction each).
    """
    dept, table = next((d, t) for d, t in spec.tables() if t.name == table_name)
    fake = Faker("en_US")
    fake.seed_instance(spec.seed)
    rng = random.Random(spec.seed)
    db = sqlite_utils.Database(str(out))
    if pragmas:
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
    residents = records // 2
    build = insert = 0.0
    started = time.perf_counter()
    for i in range(1, residents + 1):
        t0 = time.perf_counter()
        person = _resident(fake, rng, spec, i)
        t1 = time.perf_counter()
        db["_residents"].insert(person)
        t2 = time.perf_counter()
        row = _department_record(fake, rng, spec, dept.habits, table, person, i)
        t3 = time.perf_counter()
        db[table.name].insert(row)
        t4 = time.perf_counter()
        build += (t1 - t0) + (t3 - t2)
        insert += (t2 - t1) + (t4 - t3)
    seconds = time.perf_counter() - started
    db.close()
    return {"records": 2 * residents, "seconds": seconds, "faker_seconds": build, "insert_seconds": insert,
            "table": table.name}
