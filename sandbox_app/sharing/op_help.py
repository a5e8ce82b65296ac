"""One-line explanations of every field operation and generalisation, for the share builder and the docs."""

from __future__ import annotations

OP_HELP: dict[str, str] = {
    "keep": "Share the value exactly as the department holds it.",
    "drop": "Do not share this field (the same as leaving it unticked).",
    "pseudonym": "Replace the value with a keyed code: the same person gets the same code in every table of "
                 "this share, but the code cannot be turned back into the value.",
    "hash": "Replace the value with an unkeyed hash. Anyone can hash a list of names or SSNs and match them: "
            "this is not a pseudonym.",
    "generalize": "Share a coarser value: a date as its year, quarter or month; a number as a band; a ZIP "
                  "code as its first three digits or its neighbourhood; coordinates as a grid square.",
    "mask": "Hide all but the last few characters (for example the last 4 digits of a phone number).",
    "top_code": "Values above a maximum become one open group (ages above 89 become 90+).",
    "bottom_code": "Values below a minimum become one open group.",
    "suppress_rare": "Values fewer than N records share are hidden, so a rare value cannot point at a person.",
    "derive": "A new field computed from others with an expression, such as a yes/no flag.",
}

GENERALIZE_HELP: dict[str, str] = {
    "year": "dates to their year",
    "quarter": "dates to their quarter (2026-Q1)",
    "month": "dates to their month (2026-01)",
    "band": "numbers to bands of a width (ages 30-39)",
    "zip3": "ZIP codes to their first three digits, 000 where the area has 20,000 people or fewer (HIPAA)",
    "neighbourhood": "ZIP codes, addresses or coordinates to the neighbourhood",
    "grid": "coordinates to a grid square of a size in degrees",
}

PARAMETER_HELP: dict[str, str] = {
    "to": "what to generalise to",
    "width": "width of each band",
    "size": "size of a grid square in degrees (0.01 is about 1 km)",
    "keep_last": "characters left visible at the end",
    "max": "the largest value shown as itself",
    "min": "the smallest value shown as itself",
    "min_count": "records a value needs to be shown",
    "expr": "the expression that computes the field",
}
