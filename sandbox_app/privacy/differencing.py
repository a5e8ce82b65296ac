"""Differencing: counts a reader can work out exactly by adding and subtracting what is published (this share's
tables, their margins, and the scenario's declared prior releases) that single out a few people.

The method, its bounds and its limits are METHOD_MARKDOWN below (docs/privacy-reference.md#differencing is
generated from it); the linear algebra is `privacy.recovery`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sandbox_app.errors import SandboxError
from sandbox_app.privacy.catalogue import Finding, finding, rows_where
from sandbox_app.privacy.context import ShareContext
from sandbox_app.privacy.examples import CountTerm, DifferencingExample
from sandbox_app.privacy.recovery import MAX_DENSE_EQUATIONS, MAX_DENSE_UNKNOWNS, solve
from sandbox_app.sharing.apply import Extract, apply_share

THIS_SHARE = "this share"
MAX_ROW_CELLS = 2000
MAX_ATOMS = 50_000
TERMS_SHOWN = 8


@dataclass
class _Partition:
    """One published table over `table`: each record's cell, the cells' labels and true counts, which cells
    are published, and the margins (label, cells on the line) a reader knows."""

    source: str
    new: bool
    table: str
    kind: str  # "aggregate" | "rows"
    cell: pd.Series  # source row id -> cell number
    labels: list[dict]
    counts: np.ndarray
    published: np.ndarray
    lines: list[tuple[dict, np.ndarray]]


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def _labels(frame: pd.DataFrame) -> list[dict]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _line_ids(codes: np.ndarray, dim: int) -> np.ndarray:
    others = np.delete(codes, dim, axis=1)
    if others.shape[1] == 0:
        return np.zeros(len(codes), dtype=np.int64)
    return np.unique(others, axis=0, return_inverse=True)[1].reshape(-1)


def _aggregate_partition(source: str, new: bool, extract: Extract) -> _Partition:
    part, agg = extract.parts[0], extract.aggregate
    group_by = list(agg.group_by)
    before = agg.counts_before_suppression
    labels = _labels(before[group_by]) if group_by else [{}] * len(before)
    lines: list[tuple[dict, np.ndarray]] = []
    if group_by and len(before):
        codes = np.column_stack([pd.factorize(before[c], use_na_sentinel=False)[0] for c in group_by])
        for dim in range(len(group_by)):
            ids = _line_ids(codes, dim)
            for line in np.unique(ids):
                cells = np.flatnonzero(ids == line)
                if len(cells) > 1:  # a one-cell line's total is the cell itself, not assumed known
                    label = {k: v for k, v in labels[cells[0]].items() if k != group_by[dim]}
                    lines.append((label, cells))
    return _Partition(source, new, part.table, "aggregate", pd.Series(agg.cell_of_row, index=part.row_ids),
                      labels, before["count"].to_numpy(dtype=np.int64),
                      ~agg.frame["suppressed"].to_numpy(dtype=bool), lines)


def _row_partition(source: str, new: bool, part) -> _Partition | None:
    frame = part.frame
    if any(frame[c].nunique(dropna=False) > MAX_ROW_CELLS for c in frame.columns):  # cheap early way out
        return None
    if frame.shape[1]:
        cell = frame.groupby(list(frame.columns), dropna=False, sort=False, observed=True).ngroup().to_numpy()
    else:
        cell = np.zeros(len(frame), dtype=np.int64)
    n = int(cell.max()) + 1 if len(cell) else 0
    if n > MAX_ROW_CELLS:
        return None
    first = np.unique(cell, return_index=True)[1]
    labels = _labels(frame.iloc[first]) if frame.shape[1] else [{}] * n
    counts = np.bincount(cell, minlength=n)
    return _Partition(source, new, part.table, "rows", pd.Series(cell, index=part.row_ids), labels, counts,
                      np.ones(n, dtype=bool), [])


def _partitions(source: str, new: bool, extract: Extract, tables=None) -> list[_Partition]:
    """The published tables of an extract (only those over `tables`, when given)."""
    parts = [p for p in extract.parts if tables is None or p.table in tables]
    if extract.aggregate is not None:
        return [_aggregate_partition(source, new, extract)] if parts else []
    return [p for p in (_row_partition(source, new, part) for part in parts) if p is not None]


def _prior_partitions(ctx: ShareContext) -> list[_Partition]:
    from sandbox_app.privacy.answers import load_answer

    out = []
    for release in getattr(ctx.scenario, "prior_releases", None) or []:
        try:
            doc = load_answer(ctx.scenario, release.share)
            key = doc.model_dump_json()
            extract = ctx.db.memo(("prior-release", key), lambda d=doc: apply_share(
                ctx.db, d, zip3_populations=ctx.scenario.zip3_populations))
        except SandboxError:
            continue  # validate reports a broken prior release; scoring does not stop for it
        out += ctx.db.memo(("prior-release-partitions", release.title, key),
                           lambda t=release.title, e=extract: _partitions(t, False, e))
    return out


def check_differencing(ctx: ShareContext) -> list[Finding]:
    if not ctx.parts:
        return []
    prior = _prior_partitions(ctx)
    tables = [p.table for p in ctx.parts]
    wanted = {t for t in tables if tables.count(t) > 1 or any(p.table == t for p in prior)}
    if not wanted:  # one table per source and no release over it: nothing to combine
        return []
    new = _partitions(THIS_SHARE, True, ctx.extract, wanted)
    out = []
    for table in dict.fromkeys(p.table for p in new):
        on_table = [p for p in new if p.table == table] + [p for p in prior if p.table == table]
        if len(on_table) > 1:
            found = _table_finding(ctx, table, on_table)
            if found is not None:
                out.append(found)
    return out


def _table_finding(ctx: ShareContext, table: str, partitions: list[_Partition]) -> Finding | None:
    n = ctx.agreement.min_cell_size
    signature = pd.concat({i: p.cell for i, p in enumerate(partitions)}, axis=1).fillna(-1).astype(np.int64)
    atoms, atom_of_row, sizes = np.unique(signature.to_numpy(), axis=0, return_inverse=True, return_counts=True)
    atom_of_row = atom_of_row.reshape(-1)
    if len(atoms) > MAX_ATOMS:
        return None
    equations, meta = _equations(partitions, atoms)
    groups = [(i, np.flatnonzero(eqs_in)) for i, eqs_in in _subsets(partitions, meta)]
    everything = solve(len(atoms), equations)
    baselines = [solve(len(atoms), [equations[e] for e in subset]) for _, subset in groups]
    single_cells = {int(e[0]) for e in equations if len(e) == 1}

    def new_knowledge(target: np.ndarray):
        combo = everything.combination(target)
        if combo is None or any(b.determines(target) for b in baselines):
            return None
        return combo

    targets = []  # (atoms, size, combination)
    for i, p in enumerate(partitions):
        if p.new and p.kind == "aggregate":
            for c in np.flatnonzero(~p.published & (p.counts >= 1) & (p.counts < n)):
                cell_atoms = np.flatnonzero(atoms[:, i] == c)
                combo = new_knowledge(cell_atoms)
                if combo is not None:
                    targets.append((cell_atoms, int(p.counts[c]), combo))
    covered = {int(a) for t in targets for a in t[0]}
    for a in np.flatnonzero((sizes >= 1) & (sizes < n)):
        if int(a) in covered or int(a) in single_cells or (atoms[a] < 0).all():
            continue
        combo = new_knowledge(np.array([a]))
        if combo is not None:
            targets.append((np.array([a]), int(sizes[a]), combo))
    if not targets:
        return None
    return _finding(ctx, table, partitions, meta, targets, atom_of_row, signature.index, n, everything.dense_skipped)


def _equations(partitions: list[_Partition], atoms: np.ndarray) -> tuple[list[np.ndarray], list[tuple]]:
    """Every published count as the atoms it adds up, and what it is: (partition, "cell"/"margin", label, count)."""
    equations, meta = [], []
    for i, p in enumerate(partitions):
        column = atoms[:, i]
        by_cell = pd.Series(np.arange(len(atoms))).groupby(column).apply(lambda s: s.to_numpy()).to_dict()
        for c in np.flatnonzero(p.published):
            if c in by_cell:
                equations.append(by_cell[c])
                meta.append((i, "cell" if p.kind == "aggregate" else "rows", p.labels[c], int(p.counts[c])))
        for label, cells in p.lines:
            members = [by_cell[c] for c in cells.tolist() if c in by_cell]
            if members:
                equations.append(np.concatenate(members))
                meta.append((i, "margin", label, int(p.counts[cells].sum())))
    return equations, meta


def _subsets(partitions: list[_Partition], meta: list[tuple]):
    """The equation sets a finding must go beyond: all prior releases together, and each table of this share."""
    owner = np.array([m[0] for m in meta], dtype=np.int64)
    prior = [i for i, p in enumerate(partitions) if not p.new]
    yield -1, np.isin(owner, prior)
    for i, p in enumerate(partitions):
        if p.new:
            yield i, owner == i


def _finding(ctx: ShareContext, table: str, partitions, meta, targets, atom_of_row, row_ids, n: int,
             bounded: bool) -> Finding:
    examples, sources = [], []
    for _, size, combo in sorted(targets, key=lambda t: t[1])[:3]:
        terms = []
        for eq, coef in sorted(combo.items(), key=lambda kv: (-abs(kv[1]), kv[0])):
            i, kind, label, count = meta[eq]
            terms.append(CountTerm(partitions[i].source, table, kind, label, count,
                                   int(coef) if float(coef).is_integer() else coef))
        examples.append(DifferencingExample(size, tuple(terms[:TERMS_SHOWN]), len(terms)))
    for _, _, combo in targets:
        sources += [partitions[meta[eq][0]].source for eq in combo]
    sources = list(dict.fromkeys(sorted(set(sources), key=lambda s: (s != THIS_SHARE, s))))
    releases = [s for s in sources if s != THIS_SHARE]
    secret = np.zeros(len(row_ids), dtype=bool)
    secret[np.isin(atom_of_row, np.concatenate([t[0] for t in targets]))] = True
    hidden_ids = set(np.asarray(row_ids)[secret].tolist())
    new_part = next((p for p in ctx.parts if p.table == table), None)
    mask = np.isin(new_part.row_ids, list(hidden_ids)) if new_part is not None else np.zeros(0, dtype=bool)
    positions = rows_where(table, mask) if mask.any() else {}
    smallest = min(t[1] for t in targets)
    shown = ", ".join(f"'{s}'" for s in releases) or "its own tables"
    fields = list(ctx.share.aggregate.group_by) if ctx.share.aggregate is not None else \
        [c.name for p in ctx.parts if p.table == table for c in p.columns]
    hint = (f"publish the same cells as {shown} (same filter and grouping), or coarser ones that contain them "
            "whole") if releases else "publish one table per filter and grouping, or cells that contain each other whole"
    return finding("small_cells", f"{len(targets)} groups of fewer than {n} people in {table} can be worked out "
                   f"exactly by adding and subtracting published counts of this share and {shown} (smallest: "
                   f"{smallest}).", fields=fields, rows=sum(t[1] for t in targets), examples=examples,
                   row_positions=positions, clause=ctx.clause_for("small_cells"), hint=hint,
                   evidence={"differencing": True, "prior_release": releases[0] if releases else None,
                             "prior_releases": releases, "table": table, "min_cell_size": n,
                             "groups": len(targets), "exhaustive": not bounded})


# docs/privacy-reference.md#differencing is generated from this text (privacy/domain_reference.py).
METHOD_MARKDOWN = f"""A reader holding several published tables can add and subtract their counts. The `small_cells`
check therefore looks at everything published over one source table together: the tables of the share, the
line totals (margins) of every aggregate (a reader is assumed to know them, as complementary suppression
assumes), and the scenario's declared `prior_releases`.

**Method.** Every published count is a set of records. A *partition* is one published table: an aggregate's
cells, or a row-level table's rows counted by each combination of the values it publishes. Records that every
partition puts in the same cell form an *atom*; each published count is the sum of its atoms. A set of atoms
has a count the reader can work out exactly when its indicator is a linear combination of the published
counts. The engine first *peels* (a count with one unknown atom left gives that atom by subtraction, with
whole coefficients), then decides what is left with one singular-value decomposition (a set is determined
when it is orthogonal to the null space of the remaining counts), which also finds combinations of three or
more overlapping cells that no pair reveals.

**Findings.** A group of 1 to `min_cell_size` − 1 records (an atom, or a suppressed cell of the share) that
everything published determines, but neither the prior releases alone nor any one table of the share alone
(those are the ordinary small-cell and complementary-suppression checks). The evidence names each published
count used: its source (`this share` or the release's title), table, kind (`cell`, `margin` or `rows`), its
cell's values, its count and its coefficient; the weighted sum is the group's size. A count the prior
releases already give away on their own is not the new share's finding.

**Complexity.** Atoms: one pass over the records (at most {MAX_ATOMS:,} atoms, else the table is skipped).
Peeling: linear in the total size of the counts. The exact search after peeling: one SVD of at most
{MAX_DENSE_UNKNOWNS} unknown atoms by {MAX_DENSE_EQUATIONS:,} counts (cubic; beyond that only peeling is done
and the finding's `exhaustive` evidence is false). Nothing is computed for a share with one table per source
table and no prior release over it.

**What it cannot find.** Tables over different source tables are never combined (their records differ, even
when they describe the same residents); sums and means are not used, only counts; a row-level table that
publishes more than {MAX_ROW_CELLS:,} distinct rows is left out; releases are recomputed on today's database
(a release of an older database, with people since moved or gone, is not modelled); counts only bounded, not
determined (e.g. by inequalities between cells), are not reported.
"""
