"""Grain names: how coarse a shared column is (what `transforms.grain` writes on an output column) and what
an exercise's needs may ask for (`needs.fields` in a scenario). Every group of grains the engine reasons
with is defined here, once."""

from __future__ import annotations

DATE_GRAINS = ("year", "quarter", "month", "week")         # `generalize` of a date
DATE_ORDER = ("exact", "week", "month", "quarter", "year")  # finest first
LOCATION_GRAINS = ("zip3", "neighbourhood", "grid")
BAND_PREFIX = "band"                                       # band5, band10, band20 …: ages and numbers

# What an output column can be (band<width> besides): one per field op, and the generalisations.
OUTPUT_GRAINS = ("exact", "pseudonym", "hash", "masked", "top_coded", "bottom_coded", "suppressed_rare",
                 "derived", "flag", *DATE_GRAINS, *LOCATION_GRAINS)
# What an exercise may need of a field.
NEED_GRAINS = ("exact", *DATE_GRAINS, "band5", "band10", "band20", "zip3", "neighbourhood", "flag",
               "pseudonym", "any")

# As precise as the value held (a purpose needing any grain is served).
EXACT_LIKE = frozenset({"exact", "top_coded", "bottom_coded", "suppressed_rare", "derived"})
# Still point at one person when the column is a direct identifier.
IDENTIFYING_GRAINS = frozenset({"exact", "hash", "derived", "top_coded", "bottom_coded", "suppressed_rare"})
# Ids in their own right: never quasi-identifiers an outsider can match on.
CODE_GRAINS = frozenset({"pseudonym", "hash"})
# Which location grains serve a purpose that needs a given location grain.
LOCATION_OK = {"zip3": frozenset(LOCATION_GRAINS), "neighbourhood": frozenset({"neighbourhood", "grid"})}


def band_width(grain: str) -> float | None:
    """The width of a band grain (band10 -> 10.0), None for any other grain."""
    if grain.startswith(BAND_PREFIX):
        try:
            return float(grain[len(BAND_PREFIX):])
        except ValueError:
            return None
    return None
