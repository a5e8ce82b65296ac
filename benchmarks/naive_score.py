"""The naive scoring baseline: the risk figures of an extract computed the way a first-time pandas user would.

k-anonymity and unique records with ``groupby(...).size()``, distinct l-diversity with ``groupby(...).nunique()``,
and the linkage attack as a ``merge`` of the extract with the voter roll's unique (birth year, sex, zip3)
combinations. It does much less than ``score_share``: no rules, no usefulness, no normalisation of formats
(so it finds fewer matches), no fix hints. Like the warm score, the tables are already in memory.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

QIS = ["birth_date", "sex", "zip", "neighbourhood"]
KEYS = ["birth_year", "sex", "zip3"]


def naive_score(frame: pd.DataFrame, truth: np.ndarray, roll: pd.DataFrame, roll_truth: np.ndarray) -> dict:
    """k, l (of `diagnosis`), unique records and residents re-identified by a merge with the voter roll."""
    sizes = frame.groupby(QIS, dropna=False).size()
    l_div = frame.groupby(QIS, dropna=False)["diagnosis"].nunique(dropna=False).min()
    ref = pd.DataFrame({"birth_year": roll["birth_date"].astype(str).str[:4], "sex": roll["sex"].astype(str),
                        "zip3": roll["zip"].astype(str).str[:3], "ref_id": roll_truth})
    counts = ref.groupby(KEYS).size().rename("candidates").reset_index()
    unique = ref.merge(counts[counts["candidates"] == 1], on=KEYS)
    ext = pd.DataFrame({"birth_year": frame["birth_date"].astype(str), "sex": frame["sex"].astype(str),
                        "zip3": frame["zip"].astype(str), "ext_id": truth})
    joined = ext.merge(unique, on=KEYS)
    hits = joined[joined["ext_id"] == joined["ref_id"]]
    return {"k": int(sizes.min()), "l": int(l_div), "unique": int((sizes == 1).sum()),
            "reidentified": int(hits["ext_id"].nunique())}
