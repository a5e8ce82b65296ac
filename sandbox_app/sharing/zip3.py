"""HIPAA Safe Harbor ZIP3 areas: which 3-digit areas have more than the limit's people, and the ZIP3 of a ZIP.

45 CFR 164.514(b)(2)(i)(B): the first three digits may be kept only where the area they form has more than
20,000 people (the `hipaa_zip3` rule's `zip3_min_population` setting, read from the rule catalogue so the
number lives in one place); every smaller area is written `000`. Populations are the scenario's declared
(Census) figures when it gives them, else a count of the city's synthetic residents; both the
`generalize … zip3` op and the `hipaa_zip3` rule use this module, so they always agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

SMALL_AREA = "000"
DECLARED = "declared by the scenario"
COUNTED = "counted among the city's synthetic residents"


def zip3_limit() -> int:
    from sandbox_app.privacy.catalogue import catalogue  # the rule catalogue owns the threshold

    return int(catalogue()["hipaa_zip3"].settings["zip3_min_population"])


def zip3_populations(db, declared: Mapping[str, int] | None = None) -> tuple[dict[str, int], str]:
    """Population of every ZIP3 area and where the figures come from (DECLARED or COUNTED)."""
    counted = db.zip3_counts()
    if declared:
        return {**counted, **{str(z): int(n) for z, n in declared.items()}}, DECLARED
    return counted, COUNTED


def large_areas(db, declared: Mapping[str, int] | None = None) -> frozenset[str]:
    """The 3-digit areas of more than the limit's people: the only ones whose digits may be published."""
    populations, _ = zip3_populations(db, declared)
    limit = zip3_limit()
    return frozenset(z for z, n in populations.items() if n > limit and z != SMALL_AREA)


def zip3_of(values: Iterable, large: frozenset[str]) -> list:
    """Each ZIP's first three digits where its area is large, else '000'. A value whose first three
    characters are not digits (a mistyped ZIP) keeps them: it is no area's ZIP3, and hipaa_zip3 ignores it."""
    out = []
    for value in values:
        if value is None or (not isinstance(value, str) and pd.isna(value)):  # null stays null
            out.append(None)
            continue
        head = str(value).strip()[:3]
        out.append(head if head in large or not (len(head) == 3 and head.isdigit()) else SMALL_AREA)
    return out


__all__ = ["COUNTED", "DECLARED", "SMALL_AREA", "large_areas", "zip3_limit", "zip3_of", "zip3_populations"]
