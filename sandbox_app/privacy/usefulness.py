"""Usefulness: does the extract still serve the stated purpose? Measured against the ground truth.

Under-sharing fails a resident as surely as over-sharing harms one, so the score weighs the needed rows
(recall against the truth), the needed fields at an acceptable grain, and linkability when the purpose needs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sandbox_app.privacy.catalogue import Finding, finding
from sandbox_app.sharing.grains import DATE_ORDER, EXACT_LIKE, LOCATION_OK, band_width
from synthetic.expr import parse

MIN_RECALL = 0.9             # row-level shares must reach at least this share of the needed residents
MIN_RECALL_AGGREGATE = 0.85  # aggregate shares: suppression of small cells costs some coverage


def grain_satisfies(out: str, need: str) -> bool:
    """Is a field shared at grain `out` precise enough for a purpose that needs grain `need`?"""
    if need == "any":
        return out != "drop"
    if out in EXACT_LIKE:
        return True
    if need == "exact":
        return False
    if need == "flag":
        return out == "flag"
    if need == "pseudonym":
        return out in ("pseudonym", "hash")
    if need in DATE_ORDER:
        return out in DATE_ORDER and DATE_ORDER.index(out) <= DATE_ORDER.index(need)
    if band_width(need) is not None:
        return band_width(out) is not None and band_width(out) <= band_width(need)
    if need in LOCATION_OK:
        return out in LOCATION_OK[need]
    return out == need


@dataclass
class Usefulness:
    score: int
    needed_rows: int            # residents the purpose needs
    covered: int                # of them, how many the extract serves
    shared_rows: int            # records shared (row-level) or counted in published cells
    useful_rows: int            # of them, about needed residents
    recall: float
    precision: float
    fields: dict[str, str] = field(default_factory=dict)   # needed field -> "ok" | "too coarse" | "missing"
    linkable: bool | None = None
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"score": self.score, "needed_residents": self.needed_rows, "covered_residents": self.covered,
                "shared_records": self.shared_rows, "useful_records": self.useful_rows,
                "recall": round(self.recall, 4), "precision": round(self.precision, 4), "fields": self.fields,
                "linkable": self.linkable}


def needed_residents(db, exercise) -> np.ndarray:
    """Resident ids the purpose needs: in the needed tables, and matching `needs.rows` on their true attributes."""
    return _needed_lookup(db, exercise)[1]


def _needed_lookup(db, exercise) -> tuple[np.ndarray, np.ndarray]:
    """(boolean lookup by resident id, sorted needed ids), computed once per database and exercise."""
    needs = exercise.needs

    def compute():  # boolean lookups by id, not np.unique/intersect1d (numpy 2's hashing unique is slow here)
        held = np.concatenate([db.truth(t).to_numpy() for t in needs.tables]).astype(np.int64)
        held = held[held >= 0]
        rows = parse(needs.rows) if needs.rows else None
        residents = db.residents(sorted(rows.columns) if rows else [])
        ids = residents["resident_id"].to_numpy()
        size = max(int(ids.max()) if len(ids) else 0, int(held.max()) if len(held) else 0) + 2
        lookup = np.zeros(size, dtype=bool)
        lookup[held] = True
        if rows is not None:
            wanted = np.zeros(size, dtype=bool)
            wanted[ids[rows.evaluate_mask(residents)]] = True
            lookup &= wanted
        return lookup, np.flatnonzero(lookup)

    return db.memo(("needed-residents", tuple(needs.tables), needs.rows), compute)


def _cell_keys(frame: pd.DataFrame, group_by: list[str]) -> pd.Series:
    """One text key per row for its aggregate cell (nulls are a value of their own, as in the aggregate)."""
    parts = [frame[c].map(lambda v: "\x00" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v))
             for c in group_by]
    key = parts[0]
    for more in parts[1:]:
        key = key + "\x1f" + more
    return key


def _published_truth(extract) -> tuple[np.ndarray, int]:
    """Truth ids of the records the extract serves, and how many records were shared."""
    parts = extract.parts
    if extract.aggregate is None:
        ids = np.concatenate([p.truth for p in parts]) if parts else np.empty(0, dtype=np.int64)
        return ids, len(ids)
    agg = extract.aggregate
    group_by = list(extract.share.aggregate.group_by)
    part = parts[0]
    if not len(part.frame):
        return np.empty(0, dtype=np.int64), 0
    published = agg.frame.loc[~agg.frame["suppressed"].astype(bool), group_by]
    if not group_by:
        mask = np.full(len(part.frame), len(published) > 0)
    else:
        pub_keys = set(_cell_keys(published, group_by)) if len(published) else set()
        mask = _cell_keys(part.frame, group_by).isin(pub_keys).to_numpy()
    ids = part.truth[mask]
    return ids, len(ids)


def assess_usefulness(db, exercise, extract) -> Usefulness:
    needs = exercise.needs
    lookup, needed = _needed_lookup(db, exercise)
    relevant = [p for p in extract.parts if p.table in needs.tables]
    sub = type(extract)(share=extract.share, parts=relevant, aggregate=extract.aggregate) if relevant else None
    ids, shared = _published_truth(sub) if sub is not None else (np.empty(0, dtype=np.int64), 0)
    ids = ids.astype(np.int64)
    useful_mask = lookup[np.clip(ids, 0, len(lookup) - 1)]
    seen = np.zeros(len(lookup), dtype=bool)
    seen[ids[useful_mask]] = True
    covered = int(seen.sum())
    recall = covered / len(needed) if len(needed) else 1.0
    precision = float(useful_mask.mean()) if shared else 1.0

    columns = [c for p in relevant for c in p.columns]
    if extract.aggregate is not None:
        grouped = set(extract.share.aggregate.group_by)
        columns = [c for c in columns if c.name in grouped]
    field_state = {}
    for name, need in needs.fields.items():
        candidates = [c for c in columns if name in c.sources]
        if any(grain_satisfies(c.grain, need) for c in candidates):
            field_state[name] = "ok"
        else:
            field_state[name] = "too coarse" if candidates else "missing"
    field_score = (sum({"ok": 1.0, "too coarse": 0.4, "missing": 0.0}[s] for s in field_state.values())
                   / len(field_state)) if field_state else 1.0
    linkable = None
    if needs.linkable:
        linkable = any(c.grain == "pseudonym" or (c.semantic in ("record_id", "resident_key", "ssn")
                                                 and c.grain == "exact") for c in columns)
    weights = (0.45, 0.45, 0.10) if needs.linkable else (0.5, 0.5, 0.0)
    score = 100 * (weights[0] * recall + weights[1] * field_score + weights[2] * (1.0 if linkable else 0.0))
    result = Usefulness(int(round(score)), len(needed), covered, shared, int(useful_mask.sum()), recall, precision,
                        field_state, linkable)
    result.findings = _findings(result, exercise, aggregated=extract.aggregate is not None)
    return result


def _findings(u: Usefulness, exercise, aggregated: bool) -> list[Finding]:
    out = []
    # Small-cell suppression always hides some people, so counts may lose a little more than records.
    if u.needed_rows and u.recall < (MIN_RECALL_AGGREGATE if aggregated else MIN_RECALL):
        missing = u.needed_rows - u.covered
        out.append(finding("usefulness", f"{missing:,} of the {u.needed_rows:,} residents this request is about "
                           f"are not in the share ({u.recall:.0%} covered): they wait for help.", rows=missing,
                           hint="widen the row filter, or use counts with smaller suppression only if the "
                                "purpose allows"))
    missing = [f for f, s in u.fields.items() if s == "missing"]
    coarse = [f for f, s in u.fields.items() if s == "too coarse"]
    if missing:
        out.append(finding("usefulness", f"The purpose needs {', '.join(missing)}, which the share leaves out.",
                           fields=missing, hint="add " + ", ".join(
                               f"{f} (at {exercise.needs.fields[f]})" for f in missing)))
    if coarse:
        out.append(finding("usefulness", f"Too coarse for the purpose: {', '.join(coarse)}.", fields=coarse,
                           hint="; ".join(f"{f} is needed at {exercise.needs.fields[f]}" for f in coarse)))
    if u.linkable is False:
        out.append(finding("usefulness", "The purpose needs records that can be linked, but the share has no "
                           "stable id.", hint="add the record id with the pseudonym op"))
    return out
