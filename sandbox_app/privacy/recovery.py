"""Which counts a reader can work out exactly from published counts: a small exact linear solver.

The unknowns are *atoms* (the sets of records that every published cell either holds whole or not at all);
each published count is one equation, the sum of its atoms. A set of atoms has a known count exactly when
its indicator vector is a linear combination of the equations'. The solver first *peels* (an equation
with one unknown atom left gives that atom: what subtraction finds, with integer coefficients), then
decides what is left with one SVD of the remaining equations (a vector is in their row space iff it is
orthogonal to their null space), which finds combinations peeling cannot (e.g. three overlapping cells).

Bounded: peeling is linear in the equations' total size; the SVD is skipped (and reported) when more than
MAX_DENSE_UNKNOWNS atoms or MAX_DENSE_EQUATIONS equations remain after peeling.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

MAX_DENSE_UNKNOWNS = 600
MAX_DENSE_EQUATIONS = 1500
_TOL = 1e-7


@dataclass
class Solution:
    """What the equations determine. `combination(target)`: {equation index: coefficient} whose weighted sum
    of published counts is the count of the target atoms, or None if they do not determine it."""

    n_atoms: int
    equations: list[np.ndarray]
    known: dict[int, tuple[int, list[int]]] = field(default_factory=dict)  # atom -> (equation, other atoms)
    unknown: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    null_space: np.ndarray | None = None  # rows: the unknown atoms; None: not computed (too big)
    reduced: np.ndarray | None = None  # the remaining equations over the unknown atoms (rows: `rest`)
    rest: list[int] = field(default_factory=list)
    dense_skipped: bool = False
    _expanded: dict[int, dict[int, float]] = field(default_factory=dict)

    def combination(self, target: np.ndarray) -> dict[int, float] | None:
        target = np.unique(np.asarray(target, dtype=np.int64))
        peeled = [a for a in target.tolist() if a in self.known]
        left = np.setdiff1d(target, np.asarray(peeled, dtype=np.int64))
        out: dict[int, float] = defaultdict(float)
        for atom in peeled:
            for eq, coef in self._expand(atom).items():
                out[eq] += coef
        if len(left):
            position = {a: i for i, a in enumerate(self.unknown.tolist())}
            if self.null_space is None or any(a not in position for a in left.tolist()):
                return None  # beyond the bounded search, or in no published count at all
            vector = np.zeros(len(self.unknown))
            vector[[position[a] for a in left.tolist()]] = 1.0
            if self.null_space.shape[1] and np.abs(vector @ self.null_space).max() > _TOL:
                return None
            y = np.linalg.lstsq(self.reduced.T, vector, rcond=None)[0]
            for eq, weight in zip(self.rest, y.tolist(), strict=True):
                if abs(weight) < _TOL:
                    continue
                out[eq] += weight
                for atom in self.equations[eq].tolist():  # the equation minus its atoms found by peeling
                    if atom in self.known:
                        for sub, coef in self._expand(atom).items():
                            out[sub] -= weight * coef
        return {eq: round(c, 6) for eq, c in out.items() if abs(c) > _TOL}

    def determines(self, target: np.ndarray) -> bool:
        return self.combination(target) is not None

    def _expand(self, atom: int) -> dict[int, float]:
        """The atom's count as {equation: coefficient}: its equation minus the other atoms' expansions."""
        if atom not in self._expanded:
            stack = [atom]
            while stack:  # iterative post-order (chains of peeling can be long); the atoms form no cycle
                a = stack[-1]
                pending = [b for b in self.known[a][1] if b not in self._expanded]
                if pending:
                    stack.extend(pending)
                    continue
                stack.pop()
                if a in self._expanded:
                    continue
                eq, others = self.known[a]
                combo: dict[int, float] = defaultdict(float, {eq: 1.0})
                for b in others:
                    for sub, coef in self._expanded[b].items():
                        combo[sub] -= coef
                self._expanded[a] = {k: v for k, v in combo.items() if abs(v) > _TOL}
        return self._expanded[atom]


def solve(n_atoms: int, equations: list[np.ndarray]) -> Solution:
    """Peel, then (when small enough) take the null space of what remains. `equations[i]`: the atoms of
    published count i."""
    equations = [np.unique(np.asarray(e, dtype=np.int64)) for e in equations]
    solution = Solution(n_atoms, equations)
    by_atom: dict[int, list[int]] = defaultdict(list)
    for i, atoms in enumerate(equations):
        for a in atoms.tolist():
            by_atom[a].append(i)
    unknown_left = [set(atoms.tolist()) for atoms in equations]
    queue = [i for i, left in enumerate(unknown_left) if len(left) == 1]
    while queue:
        i = queue.pop()
        if len(unknown_left[i]) != 1:
            continue
        (atom,) = unknown_left[i]
        solution.known[atom] = (i, [a for a in equations[i].tolist() if a != atom])
        for j in by_atom[atom]:
            unknown_left[j].discard(atom)
            if len(unknown_left[j]) == 1:
                queue.append(j)
    unknown = sorted({a for left in unknown_left for a in left})
    solution.unknown = np.asarray(unknown, dtype=np.int64)
    solution.rest = [i for i, left in enumerate(unknown_left) if left]
    if not unknown:
        solution.null_space = np.zeros((0, 0))
        solution.reduced = np.zeros((0, 0))
        return solution
    if len(unknown) > MAX_DENSE_UNKNOWNS or len(solution.rest) > MAX_DENSE_EQUATIONS:
        solution.dense_skipped = True
        return solution
    position = {a: k for k, a in enumerate(unknown)}
    matrix = np.zeros((len(solution.rest), len(unknown)))
    for row, i in enumerate(solution.rest):
        matrix[row, [position[a] for a in unknown_left[i]]] = 1.0
    _, sigma, vt = np.linalg.svd(matrix, full_matrices=True)
    rank = int((sigma > _TOL * max(1.0, sigma.max(initial=0.0))).sum())
    solution.null_space = vt[rank:].T  # unknown atoms x nullity
    solution.reduced = matrix
    return solution


__all__ = ["MAX_DENSE_EQUATIONS", "MAX_DENSE_UNKNOWNS", "Solution", "solve"]
