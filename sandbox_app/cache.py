"""Generated databases cached per scenario content, seed, size and app version, so a city is built once."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from sandbox_app import __version__
from sandbox_app.errors import DatabaseError, Problem, SandboxError
from sandbox_app.scenario.model import Scenario
from synthetic import GENERATOR_VERSION
from synthetic.progress import TaskState


def cache_dir() -> Path:
    """Where generated cities live: $CITY_SANDBOX_HOME, else ~/.cache/city-sandbox."""
    root = os.environ.get("CITY_SANDBOX_HOME")
    base = Path(root) if root else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "city-sandbox"
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        where = "CITY_SANDBOX_HOME" if root else "the cache folder"
        reason = "is a file, not a folder" if base.exists() or isinstance(err, FileExistsError | NotADirectoryError) \
            else "cannot be created: " + (err.strerror or str(err))
        raise SandboxError([Problem(str(base), None, "", f"{where} {reason}",
                                    "point CITY_SANDBOX_HOME at a folder (it is created if missing)")]) from None
    if not base.is_dir():
        raise SandboxError([Problem(str(base), None, "", "CITY_SANDBOX_HOME is a file, not a folder",
                                    "point CITY_SANDBOX_HOME at a folder (it is created if missing)")])
    return base


def cache_key(scenario: Scenario, residents: int | None = None) -> str:
    content = scenario.model_dump_json(include={"seed", "reference_date", "city", "population", "departments",
                                                "public_reference", "custom_categories"})
    digest = hashlib.sha256(f"{content}|{residents}|{__version__}|{GENERATOR_VERSION}".encode()).hexdigest()[:12]
    return f"{scenario.name}-{scenario.seed}-{residents or scenario.city.residents}-{digest}"


def cached_database(scenario: Scenario, residents: int | None = None, state: TaskState | None = None) -> Path:
    """The scenario's database, generating it first if it is not cached yet."""
    from synthetic.generate import generate_city

    path = cache_dir() / f"{cache_key(scenario, residents)}.db"
    if not path.exists():
        generate_city(scenario, path, residents=residents, state=state, scenario_name=scenario.name,
                      meta={"app_version": __version__})
    return path


def open_scenario_database(scenario: Scenario, path: str | Path | None = None):
    """The scenario's city as a CityDatabase: the cached one (generated if needed) without `path`, else the
    database at `path`, refused (DatabaseError) if it was generated from another scenario."""
    from sandbox_app.sharing.database import CityDatabase

    if not path:
        return CityDatabase(cached_database(scenario))
    db = CityDatabase(path)
    made_from = db.meta.get("scenario")
    if made_from and made_from != scenario.name:
        db.close()
        raise DatabaseError([Problem(str(path), None, "", f"this city was generated from '{made_from}', "
                                     f"not '{scenario.name}'", f"generate it with: city-sandbox generate "
                                     f"{scenario.name} --out {path} --force, or leave out --db")])
    return db
