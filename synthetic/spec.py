"""The city part of a scenario file: population, neighbourhoods, departments and their tables.

These pydantic models are the one definition of the format: the loader validates YAML against them, the
JSON Schema for editors is exported from them, and the generator reads them. They know nothing of exercises
or agreements (those live in ``sandbox_app.scenario``).
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from synthetic.categories import CATEGORIES

Rate = Field(ge=0.0, le=1.0)
Identifier = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)

# Bounds on what one scenario may ask of the generator (docs/scenario-format.md#limits). Each is far above what
# a teaching city needs; together they keep a 1,000,000-resident city to minutes and bounded memory.
MAX_NEIGHBOURHOODS = 1000
MAX_ATTRIBUTES = 300
MAX_DEPARTMENTS = 100
MAX_TABLES = 200          # across all departments
MAX_FIELDS = 300          # per table
MAX_TOTAL_FIELDS = 3000   # across all tables
MAX_CHOICES = 1000        # values of one choice or weight list
MAX_BRANCHES = 100        # `when` branches of one attribute, field or coverage
MAX_TEMPLATES = 200       # free-text templates of one field
MAX_MAGNITUDE = 1e12      # parameters of number distributions
MAX_DAYS = 150 * 365      # relative dates: within about a lifetime of the reference date
EARLIEST_REFERENCE, LATEST_REFERENCE = dt.date(1900, 1, 1), dt.date(2100, 12, 31)


class Strict(BaseModel):
    """Base for every scenario model: unknown keys are errors, so typos never pass silently."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)


def require_unique(names: list[str], what: str) -> None:
    """Raise a ValueError naming the repeated ones, e.g. 'field names must be unique within a table; …'."""
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"{what} must be unique; repeated: {', '.join(repeated)}")


def _check_weights(value: dict[Any, float]) -> dict[Any, float]:
    """Weights are relative: they are normalised to add up to 1, so {a: 3, b: 1} means 75% and 25%."""
    if not value:
        raise ValueError("needs at least one value with a weight")
    if len(value) > MAX_CHOICES:
        raise ValueError(f"has {len(value):,} values; at most {MAX_CHOICES:,} are allowed")
    if any(w < 0 for w in value.values()):
        raise ValueError("weights must be zero or more")
    if sum(value.values()) <= 0:
        raise ValueError("weights must not all be zero")
    return value


def _suggest(value: str, choices) -> str:
    match = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def _check_category(value: str | None, info: ValidationInfo) -> str | None:
    """Built-in or the scenario's own categories, when the loader passes the custom names as context (other
    constructions are checked by `synthetic.check.category_issues`)."""
    custom = (info.context or {}).get("custom_categories")
    if value is None or custom is None:
        return value
    known = [*CATEGORIES, *(str(c) for c in custom)]
    if value not in known:
        guess = _suggest(value, known).strip().removeprefix("(").removesuffix(")")
        raise ValueError(f"unknown category '{str(value)[:60]}' ({guess + ' ' if guess else ''}valid categories: "
                         f"{', '.join(known)})")
    return value


class Neighbourhood(Strict):
    name: str = Field(min_length=1, max_length=60)
    zip: str = Field(pattern=r"^\d{5}$", description="Five-digit ZIP code (quoted in YAML)")
    share: float = Field(gt=0.0, le=1.0, description="Share of the city's residents living here")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    tags: list[str] = Field(
        default_factory=list, max_length=50,
        description="Boolean resident attributes true for everyone living here (e.g. flood_zone)",
    )


class City(Strict):
    name: str = Field(min_length=1)
    state: str = Field(default="ZZ", description="Two-letter state code (ZZ: a fictional state)")
    residents: int = Field(ge=10, le=5_000_000)
    area_codes: list[int] = Field(
        default_factory=lambda: [216, 330, 440], min_length=1, max_length=100,
        description="Telephone area codes; numbers are always the fictional 555-01xx range",
    )
    household_sizes: dict[int, float] = Field(
        default_factory=lambda: {1: 0.28, 2: 0.34, 3: 0.16, 4: 0.13, 5: 0.06, 6: 0.03},
        description="Share of households by number of members (weights, normalised to add up to 1)",
    )
    name_origins: dict[str, float] = Field(
        default_factory=lambda: {"en_US": 0.62, "es_MX": 0.16, "en_IE": 0.05, "it_IT": 0.04,
                                 "de_DE": 0.04, "vi_VN": 0.03, "en_IN": 0.03, "yo_NG": 0.03},
        description="Faker locales whose name lists are mixed for residents' names, with weights (normalised)",
    )
    neighbourhoods: list[Neighbourhood] = Field(min_length=1, max_length=MAX_NEIGHBOURHOODS)

    _weights = field_validator("household_sizes", "name_origins")(_check_weights)

    @field_validator("area_codes")
    @classmethod
    def _area_codes(cls, value: list[int]) -> list[int]:
        bad = [code for code in value if not 200 <= code <= 999]
        if bad:
            raise ValueError(f"area code {bad[0]} is not a three-digit code from 200 to 999")
        return value

    @field_validator("household_sizes")
    @classmethod
    def _sizes_positive(cls, value: dict[int, float]) -> dict[int, float]:
        if any(size < 1 or size > 20 for size in value):
            raise ValueError("household sizes must be between 1 and 20")
        return value

    @model_validator(mode="after")
    def _neighbourhoods_consistent(self) -> City:
        total = sum(n.share for n in self.neighbourhoods)
        if abs(total - 1.0) > 0.011:
            raise ValueError(f"neighbourhood shares add up to {total:.3f}; they must add up to 1")
        require_unique([n.name for n in self.neighbourhoods], "neighbourhood names")
        return self


class AgeSpec(Strict):
    bands: dict[str, float] = Field(
        description="Age bands 'low-high' (inclusive years) with their share of residents, e.g. '0-17': 0.21 "
                    "(normalised to add up to 1)",
    )

    @field_validator("bands")
    @classmethod
    def _bands(cls, value: dict[str, float]) -> dict[str, float]:
        _check_weights(value)
        for band in value:
            low, sep, high = str(band).partition("-")
            if not sep or not low.strip().isdigit() or not high.strip().isdigit():
                raise ValueError(f"age band '{band}' must look like '18-34'")
            if int(low) > int(high) or int(high) > 110:
                raise ValueError(f"age band '{band}' must run from a lower to a higher age, at most 110")
        return value

    def parsed(self) -> list[tuple[int, int, float]]:
        out = []
        for band, weight in self.bands.items():
            low, _, high = str(band).partition("-")
            out.append((int(low), int(high), weight))
        return out


class NumberDist(Strict):
    dist: Literal["uniform", "normal", "lognormal", "poisson"] = "uniform"
    low: float | None = Field(default=None, ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE, description="uniform: lower bound")
    high: float | None = Field(default=None, ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE, description="uniform: upper bound")
    mean: float | None = Field(default=None, ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE,
                               description="normal/poisson: mean (poisson: 0 to 1,000,000)")
    median: float | None = Field(default=None, gt=0, le=MAX_MAGNITUDE, description="lognormal: median")
    sd: float | None = Field(default=None, ge=0, le=MAX_MAGNITUDE, description="normal: standard deviation")
    sigma: float | None = Field(default=None, ge=0, le=5, description="lognormal: sigma of the log")
    min: float | None = Field(default=None, ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE,
                              description="values below are raised to this")
    max: float | None = Field(default=None, ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE,
                              description="values above are lowered to this")
    round: float | None = Field(default=None, ge=1e-6, le=MAX_MAGNITUDE,
                                description="round to a multiple of this (1 gives integers)")

    @model_validator(mode="after")
    def _parameters(self) -> NumberDist:
        need = {"uniform": ("low", "high"), "normal": ("mean", "sd"), "lognormal": ("median", "sigma"),
                "poisson": ("mean",)}[self.dist]
        missing = [p for p in need if getattr(self, p) is None]
        if missing:
            raise ValueError(f"a {self.dist} distribution needs {' and '.join(missing)}")
        if self.dist == "uniform" and self.low > self.high:
            raise ValueError("low must not be above high")
        if self.dist == "poisson" and not 0 <= self.mean <= 1_000_000:
            raise ValueError("a poisson mean must be from 0 to 1,000,000")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not be above max")
        return self


class Condition(Strict):
    """One branch of a `when` list: the first branch whose `if` is true for a resident applies."""

    if_: str = Field(alias="if", min_length=1, description="Expression on resident attributes, e.g. 'age >= 65'")
    choice: dict[Any, float] | None = Field(default=None, description="weights, normalised to add up to 1")
    flag: float | None = Field(default=None, ge=0.0, le=1.0)
    rate: float | None = Field(default=None, ge=0.0, le=1.0)

    _weights = field_validator("choice")(lambda v: v if v is None else _check_weights(v))


class Attribute(Strict):
    """A resident attribute (language, disability, income …) drawn once per resident."""

    name: str = Identifier
    category: str
    description: str = ""
    unit: str = ""
    choice: dict[Any, float] | None = Field(default=None, description="Categorical values with weights "
                                            "(normalised to add up to 1)")
    flag: float | None = Field(default=None, ge=0.0, le=1.0, description="Probability the flag is true")
    number: NumberDist | None = None
    when: list[Condition] = Field(default_factory=list, max_length=MAX_BRANCHES,
                                  description="Conditional overrides, first match wins")
    scope: Literal["person", "household"] = Field(
        default="person", description="household: every member of a household shares the value",
    )

    _category = field_validator("category")(_check_category)

    _weights = field_validator("choice")(lambda v: v if v is None else _check_weights(v))

    @model_validator(mode="after")
    def _one_kind(self) -> Attribute:
        kinds = [k for k in ("choice", "flag", "number") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("give exactly one of choice, flag or number")
        for i, cond in enumerate(self.when):
            if kinds[0] == "number":
                raise ValueError("`when` is not supported for number attributes")
            if getattr(cond, kinds[0]) is None:
                raise ValueError(f"when[{i}] must give `{kinds[0]}` like the attribute it overrides")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("choice", "flag", "number") if getattr(self, k) is not None)


class Population(Strict):
    age: AgeSpec
    sex: dict[str, float] = Field(default_factory=lambda: {"F": 0.51, "M": 0.49})
    attributes: list[Attribute] = Field(default_factory=list, max_length=MAX_ATTRIBUTES)

    _weights = field_validator("sex")(_check_weights)

    @model_validator(mode="after")
    def _unique(self) -> Population:
        require_unique([a.name for a in self.attributes], "attribute names")
        return self


class Coverage(Strict):
    """Which residents a table holds records about: a base rate and conditional rates (first match wins)."""

    rate: float = Field(default=0.0, ge=0.0, le=1.0)
    when: list[Condition] = Field(default_factory=list, max_length=MAX_BRANCHES)

    @model_validator(mode="after")
    def _rates(self) -> Coverage:
        for i, cond in enumerate(self.when):
            if cond.rate is None:
                raise ValueError(f"when[{i}] needs a `rate`")
        return self


class RecordsPerResident(Strict):
    mean: float = Field(default=1.0, ge=1.0, le=50.0, description="Average records per covered resident")
    max: int = Field(default=1, ge=1, le=200)


class Defects(Strict):
    """Data-quality defects and the share of records (or values) each touches."""

    typo: float | None = Field(default=None, ge=0.0, le=1.0, description="names and addresses with a typo")
    nickname: float | None = Field(default=None, ge=0.0, le=1.0, description="first names written as a nickname")
    missing: float | None = Field(default=None, ge=0.0, le=1.0, description="values left empty (per value)")
    duplicate: float | None = Field(default=None, ge=0.0, le=1.0, description="records entered twice")
    swapped_day_month: float | None = Field(default=None, ge=0.0, le=1.0, description="dates with day and month swapped")
    wrong_zip: float | None = Field(default=None, ge=0.0, le=1.0, description="ZIP codes with one wrong digit")
    address_variant: float | None = Field(default=None, ge=0.0, le=1.0, description="addresses written another way")

    def merged(self, override: Defects | None) -> Defects:
        if override is None:
            return self
        data = self.model_dump()
        data.update({k: v for k, v in override.model_dump().items() if v is not None})
        return Defects(**data)

    def rate(self, name: str) -> float:
        return getattr(self, name) or 0.0


class Habits(Strict):
    """How a department writes things down."""

    name_case: Literal["as_is", "upper", "lower", "title"] = "as_is"
    name_order: Literal["first_last", "last_comma_first"] = "first_last"
    strip_accents: bool = False
    address_style: Literal["full", "abbreviated", "upper_abbreviated"] = "full"
    date_format: str = Field(default="%Y-%m-%d", description="strftime format for every date this department writes")
    id_prefix: str = Field(default="", max_length=12, description="Prefix of this department's record ids")
    id_digits: int = Field(default=7, ge=3, le=12)
    phone_style: Literal["dashes", "parens", "digits", "dots"] = "parens"
    sex_codes: dict[str, str] = Field(default_factory=dict, description="How sex is written, e.g. {F: Female}")

    @field_validator("date_format")
    @classmethod
    def _date_format(cls, value: str) -> str:
        has_year = "%Y" in value or "%y" in value
        has_month = any(code in value for code in ("%m", "%b", "%B"))
        if not (has_year and has_month and "%d" in value):
            raise ValueError("date_format must contain a year (%Y or %y), a month (%m, %b or %B) and a day (%d)")
        return value


BUILTIN_GENERATORS = {
    # name: (default category, data type, description)
    "record_id": ("direct_identifier", "text", "Record number in this department's own id scheme"),
    "resident_key": ("direct_identifier", "text", "This department's own client number for the resident"),
    "full_name": ("direct_identifier", "text", "Full name as the department wrote it"),
    "first_name": ("direct_identifier", "text", "First name as the department wrote it"),
    "last_name": ("direct_identifier", "text", "Family name as the department wrote it"),
    "birth_date": ("quasi_identifier", "date", "Date of birth"),
    "age": ("quasi_identifier", "integer", "Age in whole years on the scenario's reference date"),
    "sex": ("quasi_identifier", "text", "Sex as recorded"),
    "address": ("direct_identifier", "text", "Street address"),
    "zip": ("quasi_identifier", "text", "Five-digit ZIP code"),
    "neighbourhood": ("quasi_identifier", "text", "Neighbourhood of residence"),
    "lat": ("precise_location", "real", "Latitude of the residence"),
    "lon": ("precise_location", "real", "Longitude of the residence"),
    "phone": ("direct_identifier", "text", "Telephone number (fictional 555-01xx range)"),
    "email": ("direct_identifier", "text", "E-mail address (reserved example domains)"),
    "ssn": ("direct_identifier", "text", "Social Security number (never-issued 9xx range)"),
    "household_size": ("quasi_identifier", "integer", "Number of people in the household"),
}


class DateGen(Strict):
    start: int = Field(ge=-MAX_DAYS, le=MAX_DAYS, description="Days relative to the reference date (negative: before)")
    end: int = Field(default=0, ge=-MAX_DAYS, le=MAX_DAYS, description="Days relative to the reference date")

    @model_validator(mode="after")
    def _order(self) -> DateGen:
        if self.start > self.end:
            raise ValueError("start must not be after end")
        return self


class TableField(Strict):
    """One column of a department table. Give exactly one generator: gen, attribute, expr, choice, flag,
    number, date or text."""

    name: str = Identifier
    category: str | None = Field(default=None, description="Sensitivity category; builtin generators have one")
    description: str = ""
    unit: str = ""
    gen: str | None = Field(default=None, description="A builtin generator: " + ", ".join(BUILTIN_GENERATORS))
    attribute: str | None = Field(default=None, description="Copy a resident attribute")
    expr: str | None = Field(default=None, description="Derive a value from resident attributes")
    choice: dict[Any, float] | None = Field(default=None, description="Values with weights (normalised)")
    flag: float | None = Field(default=None, ge=0.0, le=1.0)
    number: NumberDist | None = None
    date: DateGen | None = None
    text: list[str] | None = Field(min_length=1, max_length=MAX_TEMPLATES,
        default=None, description="Free-text templates: {name} is replaced by a field above this one, a builtin "
        "generator ({first_name}, {phone}, {address}, {age} …) or a resident attribute; names only, {{ and }} "
        "write literal braces",
    )
    when: list[Condition] = Field(default_factory=list, max_length=MAX_BRANCHES)
    missing: float | None = Field(default=None, ge=0.0, le=1.0, description="Override the department's missing rate")

    _weights = field_validator("choice")(lambda v: v if v is None else _check_weights(v))
    _category = field_validator("category")(_check_category)

    @field_validator("gen")
    @classmethod
    def _builtin(cls, value: str | None) -> str | None:
        if value is not None and value not in BUILTIN_GENERATORS:
            raise ValueError(f"unknown generator '{value}'{_suggest(value, BUILTIN_GENERATORS)}")
        return value

    @model_validator(mode="after")
    def _one_generator(self) -> TableField:
        kinds = [k for k in GENERATOR_KEYS if getattr(self, k) is not None]
        if len(kinds) != 1:
            given = ", ".join(kinds) or "none"
            raise ValueError(f"give exactly one of {', '.join(GENERATOR_KEYS)} (given: {given})")
        if self.category is None and self.gen is None and self.attribute is None:
            raise ValueError("`category` is required unless a builtin `gen` or an `attribute` supplies one")
        if self.when and self.kind not in ("choice", "flag"):
            raise ValueError("`when` is only supported with choice or flag")
        for i, cond in enumerate(self.when):
            if getattr(cond, self.kind) is None:
                raise ValueError(f"when[{i}] must give `{self.kind}` like the field it overrides")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in GENERATOR_KEYS if getattr(self, k) is not None)



GENERATOR_KEYS = ("gen", "attribute", "expr", "choice", "flag", "number", "date", "text")


class Table(Strict):
    name: str = Identifier
    description: str = Field(min_length=1)
    coverage: Coverage
    records_per_resident: RecordsPerResident = Field(default_factory=RecordsPerResident)
    defects: Defects | None = Field(default=None, description="Override the department's defect rates")
    fields: list[TableField] = Field(min_length=1, max_length=MAX_FIELDS)

    @model_validator(mode="after")
    def _unique_fields(self) -> Table:
        require_unique([f.name for f in self.fields], "field names within a table")
        return self


class Department(Strict):
    id: str = Identifier
    name: str = Field(min_length=1)
    description: str = ""
    kind: Literal["general", "health", "justice", "benefits", "housing", "education", "emergency",
                  "transportation", "victim_services", "public", "federal"] = Field(
        default="general", description="What sort of agency this is; rules use it to decide who may receive what",
    )
    habits: Habits = Field(default_factory=Habits)
    defects: Defects = Field(default_factory=Defects)
    tables: list[Table] = Field(default_factory=list, max_length=MAX_TABLES)


class PublicReference(Strict):
    """The public dataset an attacker could hold: a voter-roll-like list with name, birth date, sex, ZIP, address."""

    table: str = Field(default="public_voter_roll", pattern=r"^[a-z][a-z0-9_]*$")
    description: str = "County voter roll, a public record anyone can obtain"
    coverage: Coverage


class CustomCategory(Strict):
    """A category of the scenario's own (e.g. library_record), beside the built-in ones."""

    name: str = Identifier
    sensitivity: Literal["public", "internal", "confidential", "restricted"] = Field(
        default="restricted", description="Sensitivity level written to the data dictionary")
    description: str = Field(min_length=1, description="What it covers and why it is protected")


class CitySpec(Strict):
    """Everything the generator needs: the city, its people and its departments' tables."""

    seed: int = Field(ge=0, le=2**63 - 1)
    reference_date: dt.date = Field(description="The day the city is drawn on ('today'): from 1900-01-01 to 2100-12-31")
    city: City
    population: Population
    departments: list[Department] = Field(min_length=1, max_length=MAX_DEPARTMENTS)
    public_reference: PublicReference | None = None
    custom_categories: list[CustomCategory] = Field(
        default_factory=list, max_length=100,
        description="Categories of this scenario's own, usable wherever a category is (custom_rules can govern them)")

    @field_validator("reference_date")
    @classmethod
    def _reference_date(cls, value: dt.date) -> dt.date:
        if not EARLIEST_REFERENCE <= value <= LATEST_REFERENCE:
            raise ValueError(f"reference date {value} is outside {EARLIEST_REFERENCE} to {LATEST_REFERENCE}")
        return value

    def category_levels(self) -> dict[str, str]:
        """Every category this scenario may use -> its sensitivity level (built-in and custom)."""
        return {**CATEGORIES, **{c.name: c.sensitivity for c in self.custom_categories}}

    def tables(self) -> list[tuple[Department, Table]]:
        return [(d, t) for d in self.departments for t in d.tables]

    def attribute(self, name: str) -> Attribute | None:
        return next((a for a in self.population.attributes if a.name == name), None)

    def field_category(self, field: TableField) -> str:
        """A field's category: its own, else its builtin generator's, else its resident attribute's."""
        if field.category:
            return field.category
        if field.gen:
            return BUILTIN_GENERATORS[field.gen][0]
        attr = self.attribute(field.attribute)
        return attr.category if attr else "operational"
