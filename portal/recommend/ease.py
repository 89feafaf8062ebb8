"""EASE, the closed-form item-to-item model (numpy only, no I/O), kept fresh per click.

Steck, "Embarrassingly Shallow Autoencoders for Sparse Data" (WWW 2019): with the item Gram
matrix ``G = XᵀX`` of the click matrix ``X`` (users by jobs) and ``P = (G + λI)⁻¹``, the weights
are ``B = I - P·diag(1/diag(P))`` with ``diag(B) = 0``, and a user's scores are ``x_u B``. The
Gram matrix is the one :class:`~portal.recommend.engine.Recommender` already keeps (binary,
deduplicated, sampled or decayed as it is configured), so training is one inversion.

Between trainings the model stays live: ``x_u B`` is a sum of rows of ``B``, one per job in the
history, so a click adds its job's row to the user's score vector (O(k) with pruned rows). Jobs
newer than the weights have no row; the engine's incremental item-CF scores them meanwhile.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import cast

import numpy as np
import numpy.typing as npt

from portal.recommend.engine import (
    FloatArray,
    GramEntries,
    IntArray,
    Reason,
    Recommendation,
    Recommender,
    RecommenderConfig,
    _normalised,
    _top,
)

Float32Array = npt.NDArray[np.float32]

# Below this size a block is inverted by LAPACK directly; above, it is split in two.
_BLOCK = 1024
# The λ grid when none is configured: λ scales with the counts in G, so the grid is wide.
DEFAULT_LAMBDAS: tuple[float, ...] = (10.0, 50.0, 200.0, 500.0, 1000.0, 3000.0)


@dataclass(frozen=True, slots=True)
class EaseConfig:
    """How EASE is trained and kept."""

    lambdas: tuple[float, ...] = DEFAULT_LAMBDAS
    # Past ``dense_jobs`` jobs each job keeps only its ``top_k`` largest weights (by magnitude):
    # memory and a click's cost become O(k) instead of O(n_jobs).
    top_k: int = 256
    dense_jobs: int = 4096
    # User score vectors kept between clicks (least recently used ones are dropped).
    cached_users: int = 10_000

    def __post_init__(self) -> None:
        if not self.lambdas or any(not lam > 0 for lam in self.lambdas):
            raise ValueError("lambdas must be a non-empty grid of positive numbers")
        if self.top_k < 1 or self.dense_jobs < 1 or self.cached_users < 0:
            raise ValueError("top_k and dense_jobs must be positive, cached_users not negative")


@dataclass(frozen=True, slots=True, eq=False)
class EaseWeights:
    """Trained weights; never changed once built (a retrain makes a new object)."""

    job_ids: IntArray  # row/column i is job job_ids[i]
    lam: float
    # Dense: ``dense`` is B (n × n). Pruned: row i is ``values[i]`` at columns ``columns[i]``
    # (sorted), padded with column 0 and weight 0 where a job has fewer partners.
    dense: Float32Array | None
    columns: npt.NDArray[np.int32] | None
    values: Float32Array | None
    seconds: float = 0.0
    # NDCG@10 of each λ tried on the validation split, when λ was chosen by evaluation.
    validation: dict[float, float] = field(default_factory=dict)
    index: dict[int, int] = field(init=False)

    def __post_init__(self) -> None:
        for array in (self.job_ids, self.dense, self.columns, self.values):
            if array is not None:
                array.flags.writeable = False
        object.__setattr__(self, "index", {int(j): i for i, j in enumerate(self.job_ids)})

    @property
    def n_jobs(self) -> int:
        return int(self.job_ids.shape[0])

    @property
    def pruned(self) -> bool:
        return self.dense is None

    def memory_bytes(self) -> int:
        arrays = (self.job_ids, self.dense, self.columns, self.values)
        return sum(a.nbytes for a in arrays if a is not None) + 100 * len(self.index)

    def add_rows(self, scores: Float32Array, rows: IntArray) -> None:
        """``scores += Σ B[r]`` over ``rows``, in place (one click: one row)."""
        if rows.shape[0] == 0:
            return
        if self.dense is not None:
            scores += self.dense[rows].sum(axis=0, dtype=np.float32)
            return
        assert self.columns is not None and self.values is not None
        if rows.shape[0] == 1:
            # A row's columns are distinct, so a fancy-index add is exact (and ~10x np.add.at).
            scores[self.columns[rows[0]]] += self.values[rows[0]]
            return
        summed = np.bincount(
            self.columns[rows].ravel(), self.values[rows].ravel(), minlength=self.n_jobs
        )
        scores += summed.astype(np.float32)

    def scores(self, rows: IntArray) -> Float32Array:
        """``x B`` for the binary history ``x`` whose ones are ``rows``."""
        scores = np.zeros(self.n_jobs, dtype=np.float32)
        self.add_rows(scores, rows)
        return scores

    def weights_to(self, rows: IntArray, targets: IntArray) -> Float32Array:
        """``B[rows][:, targets]``: what each history job gave each target."""
        if self.dense is not None:
            return cast(Float32Array, self.dense[np.ix_(rows, targets)])
        assert self.columns is not None and self.values is not None
        hits = self.columns[rows][:, :, None] == targets[None, None, :]
        return cast(Float32Array, (hits * self.values[rows][:, :, None]).sum(axis=1))


# ------------------------------------------------------------------------------------ training


def dense_gram(entries: GramEntries) -> Float32Array:
    """``XᵀX`` as a dense float32 matrix from the engine's pairs."""
    n = entries.job_ids.shape[0]
    gram = np.zeros((n, n), dtype=np.float32)
    gram[entries.rows, entries.cols] = entries.values
    gram[entries.cols, entries.rows] = entries.values
    gram[np.diag_indices(n)] = entries.diagonal
    return gram


def spd_inverse(matrix: Float32Array) -> Float32Array:
    """The inverse of a symmetric positive-definite matrix; ``matrix`` is overwritten.

    Recursive 2-by-2 blocks through the Schur complement, all matrix products: about 4n³/3 flops
    against LAPACK's 8n³/3 for a general ``inv`` (numpy has no ``potri``), and no pivoting is
    needed because every Schur complement of an SPD matrix is SPD.
    """
    n = matrix.shape[0]
    if n <= _BLOCK:
        return cast(Float32Array, np.linalg.inv(matrix))
    h = n // 2
    a_inv = spd_inverse(matrix[:h, :h].copy())
    b = matrix[h:, :h]
    x = b @ a_inv
    schur = cast(Float32Array, matrix[h:, h:] - x @ b.T)
    s_inv = spd_inverse(schur)
    lower = s_inv @ x
    lower *= -1
    a_inv -= x.T @ lower
    matrix[:h, :h] = a_inv
    matrix[h:, :h] = lower
    matrix[:h, h:] = lower.T
    matrix[h:, h:] = s_inv
    return matrix


def fit(gram: Float32Array, job_ids: IntArray, lam: float, config: EaseConfig) -> EaseWeights:
    """Weights for one λ; ``gram`` is overwritten (copy it to fit several λ on it)."""
    started = time.perf_counter()
    n = gram.shape[0]
    gram[np.diag_indices(n)] += np.float32(lam)
    p = spd_inverse(gram)
    diagonal = p.diagonal().copy()
    p /= -diagonal[None, :]  # B = I − P·diag(1/diag(P)): off-diagonal −P_ij / P_jj
    p[np.diag_indices(n)] = 0.0
    if n <= config.dense_jobs:
        return EaseWeights(job_ids, lam, p, None, None, time.perf_counter() - started)
    columns, values = prune(p, config.top_k)
    del p
    return EaseWeights(job_ids, lam, None, columns, values, time.perf_counter() - started)


def prune(weights: Float32Array, k: int) -> tuple[npt.NDArray[np.int32], Float32Array]:
    """Each row's ``k`` largest weights by magnitude, columns sorted (ties: smaller column)."""
    n = weights.shape[0]
    k = min(k, n)
    columns = np.empty((n, k), dtype=np.int32)
    values = np.empty((n, k), dtype=np.float32)
    step = 1024  # rows at a time: argpartition's temporaries stay small
    for start in range(0, n, step):
        block = weights[start : start + step]
        magnitude = np.abs(block)
        chosen = np.argpartition(-magnitude, k - 1, axis=1)[:, :k]
        # argpartition breaks ties at the k-th value its own way: where the row has more
        # weights equal to it than places left, rank that row by (-|w|, column) exactly.
        kth = np.take_along_axis(magnitude, chosen, axis=1).min(axis=1)
        tied = np.flatnonzero((magnitude >= kth[:, None]).sum(axis=1) > k)
        if tied.shape[0]:
            chosen[tied] = np.argsort(-magnitude[tied], axis=1, kind="stable")[:, :k]
        chosen.sort(axis=1)
        columns[start : start + step] = chosen
        values[start : start + step] = np.take_along_axis(block, chosen, axis=1)
    return columns, values


def train(engine: Recommender, lam: float, config: EaseConfig | None = None) -> EaseWeights:
    """Weights from the engine's Gram matrix (for evaluation and tests; blocks while it runs)."""
    entries = engine.gram_entries()
    return fit(dense_gram(entries), entries.job_ids, lam, config or EaseConfig())


def train_from_arrays(
    users: IntArray,
    jobs: IntArray,
    times: FloatArray,
    lam: float,
    config: EaseConfig | None = None,
    engine_config: RecommenderConfig | None = None,
) -> tuple[Recommender, EaseWeights]:
    """The engine over the clicks (its Gram and item-CF fallback) and EASE weights on it."""
    engine = Recommender.from_arrays(users, jobs, times, engine_config)
    return engine, train(engine, lam, config)


# ------------------------------------------------------------------------------------- serving


class EaseRecommender:
    """EASE in front of the incremental engine, swapping weights in one assignment.

    The engine keeps every click (history, popularity, item-CF for jobs the weights do not
    know); this object adds a click's row to the cached score vector of its user.
    """

    def __init__(
        self,
        engine: Recommender,
        weights: EaseWeights | None = None,
        config: EaseConfig | None = None,
    ) -> None:
        self.engine = engine
        self.config = config or EaseConfig()
        self._weights = weights
        # Dense user → (the weights it was summed with, x_u B); a swap makes old entries stale.
        self._cache: OrderedDict[int, tuple[EaseWeights, Float32Array]] = OrderedDict()
        # (weights, engine index of each weights row): rebuilt once per swap.
        self._mapping: tuple[EaseWeights, IntArray] | None = None

    @property
    def weights(self) -> EaseWeights | None:
        return self._weights

    def swap(self, weights: EaseWeights) -> None:
        """Serve ``weights`` from now on: one reference assignment, so a reader sees either
        the old weights or the new, never a mix."""
        self._weights = weights

    def apply_click(self, user: int, job: int, at: float, event_id: int | None = None) -> bool:
        """The engine's :meth:`~Recommender.apply_click`, plus the job's row for the user."""
        fresh = self.engine.apply_click(user, job, at, event_id)
        u = self.engine.user_index(user)
        weights = self._weights
        cached = self._cache.get(u) if u is not None else None
        if fresh and cached is not None and weights is not None:
            if cached[0] is weights:
                row = weights.index.get(job)
                if row is not None:
                    weights.add_rows(cached[1], np.array([row]))
            else:
                del self._cache[u]  # type: ignore[arg-type]
        return fresh

    def user_scores(self, u: int, weights: EaseWeights | None = None) -> Float32Array | None:
        """``x_u B`` (over the weights' jobs) for dense user ``u``: cached, or summed anew."""
        weights = weights or self._weights
        if weights is None:
            return None
        cached = self._cache.get(u)
        if cached is not None and cached[0] is weights:
            self._cache.move_to_end(u)
            return cached[1]
        scores = weights.scores(self._rows(weights, self.engine.history_indices(u)))
        if self.config.cached_users and weights is self._weights:
            self._cache[u] = (weights, scores)
            self._cache.move_to_end(u)
            while len(self._cache) > self.config.cached_users:
                self._cache.popitem(last=False)
        return scores

    def recommend(
        self,
        user: int,
        k: int = 10,
        exclude: Collection[int] = (),
        candidates: Iterable[int] | None = None,
    ) -> list[Recommendation]:
        """Top ``k`` as the engine's :meth:`~Recommender.recommend` chooses them, by EASE.

        Before the first training the engine's item-CF serves alone.
        """
        weights = self._weights  # read once: one ranking never mixes two trainings
        if weights is None:
            return self.engine.recommend(user, k, exclude, candidates, mode="item")
        personal = partial(self._personal, weights=weights)
        return self.engine.recommend_with(personal, user, k, exclude, candidates)

    def _rows(self, weights: EaseWeights, history: IntArray) -> IntArray:
        """The weights' rows of the history's (engine-indexed) jobs that have one."""
        ids = self.engine.job_ids[history].tolist()
        rows = [r for r in (weights.index.get(j) for j in ids) if r is not None]
        return np.array(rows, dtype=np.int64)

    def _to_engine(self, weights: EaseWeights) -> IntArray:
        mapping = self._mapping
        if mapping is None or mapping[0] is not weights:
            found = [self.engine.job_index(int(j)) for j in weights.job_ids.tolist()]
            index = np.array([-1 if i is None else i for i in found], dtype=np.int64)
            mapping = self._mapping = (weights, index)
        return mapping[1]

    def _personal(
        self, u: int, k: int, allowed: npt.NDArray[np.bool_], *, weights: EaseWeights
    ) -> list[Recommendation]:
        engine = self.engine
        to_engine = self._to_engine(weights)
        known = to_engine >= 0
        scores = np.zeros(engine.n_jobs)
        ease = self.user_scores(u, weights)
        assert ease is not None
        scores[to_engine[known]] = _normalised(ease[known].astype(np.float64))
        trained = np.zeros(engine.n_jobs, dtype=bool)
        trained[to_engine[known]] = True
        if not trained.all():
            # Jobs newer than the weights: item-CF's (normalised) votes until the next training.
            fallback = _normalised(engine.item_scores(u))
            scores[~trained] = fallback[~trained]
        eligible = np.flatnonzero(allowed & (scores > 0))
        if eligible.shape[0] == 0:
            return []
        chosen = eligible[_top(scores[eligible], engine.job_ids[eligible], k)]
        allowed[chosen] = False
        because = self._because(weights, u, chosen, trained)
        ids = engine.job_ids
        return [
            Recommendation(
                int(ids[i]),
                float(scores[i]),
                Reason.VIEWED_JOB if cause is not None else Reason.SIMILAR_VIEWERS,
                "ease" if trained[i] else "item",
                cause,
            )
            for i, cause in zip(chosen.tolist(), because, strict=True)
        ]

    def _because(
        self, weights: EaseWeights, u: int, chosen: IntArray, trained: npt.NDArray[np.bool_]
    ) -> list[int | None]:
        """Per chosen job, the history job that gave it the largest weight."""
        engine = self.engine
        result: list[int | None] = [None] * chosen.shape[0]
        history = engine.history_indices(u)
        rows = self._rows(weights, history)
        ours = np.flatnonzero(trained[chosen])
        if ours.shape[0] and rows.shape[0]:
            targets = np.array(
                [weights.index[int(j)] for j in engine.job_ids[chosen[ours]].tolist()]
            )
            given = weights.weights_to(rows, targets)
            best = given.argmax(axis=0)  # ties: the earliest click
            for n, (position, b) in enumerate(zip(ours.tolist(), best.tolist(), strict=True)):
                if given[b, n] > 0:
                    result[position] = int(weights.job_ids[rows[b]])
        theirs = np.flatnonzero(~trained[chosen])
        if theirs.shape[0]:
            for position, cause in zip(
                theirs.tolist(), engine.item_because(u, chosen[theirs]), strict=True
            ):
                result[position] = cause
        return result
