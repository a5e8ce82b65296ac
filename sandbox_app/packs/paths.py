"""Where packs live on this computer: the app's own data folder ($CITY_SANDBOX_DATA overrides it)."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """The app's data folder: $CITY_SANDBOX_DATA, else platformdirs' user data dir for "city-sandbox"."""
    override = os.environ.get("CITY_SANDBOX_DATA")
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("city-sandbox", appauthor=False))


def packs_dir() -> Path:
    """Installed packs, one folder per pack id. Nothing from a pack is ever written anywhere else."""
    return data_dir() / "packs"


def keys_dir() -> Path:
    """The facilitator's grading keys, one file per pack made on this computer."""
    return data_dir() / "keys"
