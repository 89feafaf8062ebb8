"""Incremental collaborative filtering over implicit feedback (numpy only, no I/O).

The model is the user-by-job matrix ``X`` of clicks, kept as its item Gram matrix: integer
co-occurrence counts ``c_ij = Σ_u X_ui X_uj`` for every pair of jobs clicked by a common user and
per-job counts ``n_i = Σ_u X_ui²``. Without decay ``X`` is binary, so ``c_ij`` counts the users who
clicked both jobs and ``n_i`` the users who clicked ``i``. A new click by ``u`` on ``i`` adds one
to ``c_ij`` for each job ``j`` in ``u``'s history, so its cost follows that history and never the
data set. Cosine similarity ``c_ij / sqrt(n_i n_j)`` is computed when read.

Storage (:mod:`portal.recommend.pairs`): each unordered pair gets a dense pair id through a
hash table held in numpy arrays, and each job keeps the pair ids it takes part in, so a job's
neighbours are one slice. Scoring a user reads only the rows of the jobs in their history.

The state depends only on the set of (user, job, first time) clicks, never on the order they were
applied in: heavy-user sampling keeps the ``max_history`` jobs with the smallest hash of
(user, job), and the decay clock moves in fixed steps from the first click. That is what lets
:meth:`Recommender.rebuild` (batched, vectorised) equal the incremental state exactly.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt

from portal.cache import RecentIds
from portal.recommend.pairs import (
    LOW32,
    M64,
    AnyArray,
    FloatArray,
    IntArray,
    PairStore,
    Rows,
    Vec,
)

Mode = Literal["item", "user", "blend", "popular"]
Source = Literal["item", "user", "popular", "ease"]
MODES: tuple[Mode, ...] = ("item", "user", "blend", "popular")

# Largest decay exponent allowed before the clock origin moves: 2**256 stays far from float64's
# 2**1023 even after squaring weights and summing millions of them.
_MAX_EXPONENT = 256.0
# Relative size under which a decayed sum left after a subtraction is taken as zero.
_RESIDUE = 2.0**-40
# Pairs generated at once by the batch rebuild (bounds its temporary memory to a few hundred MB).
_REBUILD_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class RecommenderConfig:
    """Settings of the engine; the defaults are the plain, undecayed, uncapped model."""

    mode: Mode = "item"
    # Weight of item-based scores in "blend" (user-based get 1 - alpha), both max-normalised.
    alpha: float = 0.5
    # Each history job votes only for its top-K most similar jobs, as item-kNN does (Sarwar et
    # al. 2001; Deshpande & Karypis 2004 use k≈20, as does implicit's CosineRecommender): the
    # long tail of one-off co-clicks is mostly noise. None votes with every co-clicked job.
    item_neighbours: int | None = 20
    # Users whose click sets are most similar (cosine) who vote in user-based scoring.
    user_neighbours: int = 50
    # A user's history in the model is sampled to at most this many jobs (the ones with the
    # smallest hash of (user, job), so the sample is independent of click order).
    max_history: int | None = None
    # Seconds for a click's weight in the model to halve (None: no decay).
    half_life: float | None = None
    # Seconds for a click's weight in popularity to halve (None: all-time click counts).
    popularity_half_life: float | None = None
    # How many recent event ids are remembered to drop redelivered events.
    event_window: int = 100_000
    # Salt of the history-sampling hash.
    seed: int = 0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {self.mode!r}")
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError("alpha must be between 0 and 1")
        if self.item_neighbours is not None and self.item_neighbours < 1:
            raise ValueError("item_neighbours must be positive or None")
        if self.user_neighbours < 1:
            raise ValueError("user_neighbours must be positive")
        if self.max_history is not None and self.max_history < 1:
            raise ValueError("max_history must be positive or None")
        for name in ("half_life", "popularity_half_life"):
            value = getattr(self, name)
            if value is not None and not (value > 0 and math.isfinite(value)):
                raise ValueError(f"{name} must be a positive number of seconds or None")
        if self.event_window < 0:
            raise ValueError("event_window must not be negative")


class Reason(StrEnum):
    """Why a job is recommended. The words are the service's, in the reader's language."""

    VIEWED_JOB = "viewed_job"  # like a job in the history, which ``because`` names
    SIMILAR_VIEWERS = "similar_viewers"  # clicked by people who click like the user
    POPULAR = "popular"  # clicked most lately (a user with no history)


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One recommended job; ``because`` is the history job that contributed most, if any."""

    job: int
    score: float
    reason: Reason
    source: Source
    because: int | None = None


# A personal ranking for :meth:`Recommender.recommend_with`: (dense user, k, allowed) → picks.
Personal = Callable[[int, int, npt.NDArray[np.bool_]], list[Recommendation]]


@dataclass(frozen=True, slots=True)
class GramEntries:
    """A copy of the model's item Gram matrix ``XᵀX``: the upper pairs and the diagonal.

    Indices are the engine's dense job indices, so ``job_ids[i]`` names job ``i``.
    """

    job_ids: IntArray
    rows: IntArray
    cols: IntArray
    values: FloatArray
    diagonal: FloatArray


def sample_hash(user: int, job: int, seed: int = 0) -> int:
    """A 64-bit mix of (user, job, seed), the rank used to sample heavy histories."""
    x = (user * 0x9E3779B97F4A7C15 + job * 0xC2B2AE3D27D4EB4F + seed) & M64
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & M64
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def _sample_hash_array(users: IntArray, jobs: IntArray, seed: int) -> npt.NDArray[np.uint64]:
    """:func:`sample_hash` over arrays (uint64 arithmetic wraps exactly like ``& M64``)."""
    x = (
        users.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        + jobs.astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
        + np.uint64(seed & M64)
    )
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    return cast(npt.NDArray[np.uint64], x ^ (x >> np.uint64(31)))


def _top(values: FloatArray, ids: IntArray, k: int) -> IntArray:
    """Positions of the ``k`` largest values, best first; ties go to the smaller id."""
    n = values.shape[0]
    if n > k:
        threshold = np.partition(values, n - k)[n - k]
        chosen = np.flatnonzero(values >= threshold)
    else:
        chosen = np.arange(n)
    order = np.lexsort((ids[chosen], -values[chosen]))
    return cast(IntArray, chosen[order[:k]])


def _normalised(scores: FloatArray) -> FloatArray:
    peak = scores.max() if scores.shape[0] else 0.0
    return scores / peak if peak > 0 else scores


class Recommender:
    """Item-based and user-based CF with a popularity fallback, updated one click at a time."""

    def __init__(self, config: RecommenderConfig | None = None) -> None:
        self.config = config or RecommenderConfig()
        cf_decay = self.config.half_life is not None
        pop_decay = self.config.popularity_half_life is not None
        self._cf_dtype: Any = np.float64 if cf_decay else np.int64
        self._pop_dtype: Any = np.float64 if pop_decay else np.int64
        # The clock origin moves in steps of `_span` seconds, so exponents stay ≤ _MAX_EXPONENT.
        units = [h / 2 for h in (self.config.half_life,) if h is not None]
        units += [h for h in (self.config.popularity_half_life,) if h is not None]
        self._span = _MAX_EXPONENT * min(units) if units else math.inf
        self._t_first: float | None = None
        self._steps = 0

        self._users: dict[int, int] = {}
        self._jobs: dict[int, int] = {}
        self._user_ids = Vec(np.int64)
        self._job_ids = Vec(np.int64)
        # Every click of a user: dense job index → time of the first click (insertion order).
        self._history: list[dict[int, float]] = []
        # With max_history: the sampled part of the history, dense job → (hash, job id).
        self._sampled: list[dict[int, tuple[int, int]]] = []

        self._pairs = PairStore(self._cf_dtype)
        self._job_pairs = Rows(np.int32)  # pair ids each job takes part in
        self._job_users = Rows(np.int32)  # users holding each job in the model
        self._user_jobs = Rows(np.int32)  # each user's jobs in the model (any order)
        self._job_user_times = Rows(np.float64)  # their click times (only with decay)
        self._n = Vec(self._cf_dtype)  # n_i = Σ_u X_ui²
        self._user_norm = Vec(self._cf_dtype)  # Σ_i X_ui²
        self._popularity = Vec(self._pop_dtype)
        self._clicks = 0

        self._events = RecentIds(self.config.event_window)

    # ----------------------------------------------------------------------------- reading

    @property
    def n_users(self) -> int:
        return len(self._history)

    @property
    def n_jobs(self) -> int:
        return self._job_ids.size

    @property
    def n_clicks(self) -> int:
        """Distinct (user, job) clicks applied."""
        return self._clicks

    @property
    def n_pairs(self) -> int:
        """Job pairs ever co-clicked (their count may have dropped to zero after sampling)."""
        return self._pairs.size

    def memory_bytes(self) -> int:
        """An estimate of the model's memory: numpy buffers plus Python containers."""
        total = self._pairs.nbytes() + self._job_pairs.nbytes() + self._job_users.nbytes()
        total += self._user_jobs.nbytes()
        total += self._job_user_times.nbytes()
        for vec in (self._n, self._user_norm, self._popularity, self._user_ids, self._job_ids):
            total += vec.data.nbytes
        total += sys.getsizeof(self._users) + sys.getsizeof(self._jobs)
        total += 32 * (len(self._users) + len(self._jobs))  # the id ints they hold
        total += sys.getsizeof(self._history) + sys.getsizeof(self._sampled)
        for history in self._history:
            total += sys.getsizeof(history) + 24 * len(history)  # + a float per click
        for sampled in self._sampled:
            total += sys.getsizeof(sampled) + 120 * len(sampled)  # + a tuple of two ints
        total += self._events.memory_bytes()
        return total

    @property
    def job_ids(self) -> IntArray:
        """Each dense job index's id (a view: it grows as jobs arrive)."""
        return self._job_ids.view

    @property
    def user_ids(self) -> IntArray:
        """Each dense user index's id (a view: it grows as users arrive)."""
        return self._user_ids.view

    def user_index(self, user: int) -> int | None:
        return self._users.get(user)

    def job_index(self, job: int) -> int | None:
        return self._jobs.get(job)

    def history_indices(self, u: int) -> IntArray:
        """Dense indices of every job user ``u`` (a dense index) clicked, in click order."""
        history = self._history[u]
        return np.fromiter(history, dtype=np.int64, count=len(history))

    def gram_entries(self) -> GramEntries:
        """A copy of ``XᵀX`` as the model holds it (sampled and decayed as configured).

        Copying is a few memcpys, so it can be taken on the event loop and the heavy work
        done on it elsewhere while clicks keep changing the model.
        """
        keys = self._pairs.keys.view
        return GramEntries(
            job_ids=self._job_ids.view.copy(),
            rows=(keys >> 32).astype(np.int64),
            cols=(keys & LOW32).astype(np.int64),
            values=self._pairs.values.view.astype(np.float64),
            diagonal=self._n.view.astype(np.float64),
        )

    def click_arrays(self) -> tuple[IntArray, IntArray, FloatArray]:
        """Every distinct click as (user ids, job ids, first times), in no particular order."""
        sizes = [len(history) for history in self._history]
        total = sum(sizes)
        owners = np.repeat(np.arange(len(sizes)), sizes)
        jobs = np.fromiter((i for h in self._history for i in h), np.int64, total)
        times = np.fromiter((t for h in self._history for t in h.values()), np.float64, total)
        return self._user_ids.data[owners], self._job_ids.data[jobs], times

    def item_scores(self, u: int) -> FloatArray:
        """Item-CF scores of every job for user ``u`` (a dense index), unnormalised."""
        items, weights = self._model_vector(u)
        if items.shape[0] == 0:
            return np.zeros(self.n_jobs)
        return self._item_scores(items, weights)

    def item_because(self, u: int, chosen: IntArray) -> list[int | None]:
        """For each chosen dense job, the id of the history job with the largest item-CF vote."""
        items, weights = self._model_vector(u)
        if items.shape[0] == 0 or chosen.shape[0] == 0:
            return [None] * chosen.shape[0]
        return self._because(items, weights, chosen)

    # ----------------------------------------------------------------------------- updates

    def apply_click(self, user: int, job: int, at: float, event_id: int | None = None) -> bool:
        """Apply one click; False (and nothing changes) for a repeated pair or event id."""
        at = float(at)
        if not math.isfinite(at):
            raise ValueError("a click's time must be a finite number")
        if event_id is not None:
            if event_id in self._events:
                return False
            self._events.add(event_id)
        u = self._users.get(user)
        i = self._jobs.get(job)
        if u is not None and i is not None and i in self._history[u]:
            return False
        if u is None:
            u = self._add_user(user)
        if i is None:
            i = self._add_job(job)
        self._advance_clock(at)
        history = self._history[u]
        self._popularity.data[i] += self._pop_weight(at)
        self._clicks += 1
        cap = self.config.max_history
        if cap is None:
            others = np.fromiter(history, dtype=np.int64, count=len(history))
            history[i] = at
            self._link(u, i, others)
            return True
        history[i] = at
        sampled = self._sampled[u]
        rank = (sample_hash(user, job, self.config.seed), job)
        if len(sampled) >= cap:
            evicted, evicted_rank = max(sampled.items(), key=lambda item: item[1])
            if rank > evicted_rank:
                return True  # in the history, but not in the model's sample of it
            del sampled[evicted]
            self._unlink(u, evicted, np.fromiter(sampled, dtype=np.int64, count=len(sampled)))
        others = np.fromiter(sampled, dtype=np.int64, count=len(sampled))
        sampled[i] = rank
        self._link(u, i, others)
        return True

    def _add_user(self, user: int) -> int:
        u = len(self._history)
        self._users[user] = u
        self._user_ids.append(user)
        self._history.append({})
        self._user_jobs.add_row()
        if self.config.max_history is not None:
            self._sampled.append({})
        self._user_norm.append(0)
        return u

    def _add_job(self, job: int) -> int:
        i = self._job_ids.size
        self._jobs[job] = i
        self._job_ids.append(job)
        self._job_pairs.add_row()
        self._job_users.add_row()
        if self.config.half_life is not None:
            self._job_user_times.add_row()
        self._n.append(0)
        self._popularity.append(0)
        return i

    def _advance_clock(self, at: float) -> None:
        if self._t_first is None:
            self._t_first = at
            return
        steps = math.floor((at - self._t_first) / self._span) if math.isfinite(self._span) else 0
        if steps > self._steps:
            moved = (steps - self._steps) * self._span
            self._steps = steps
            if self.config.half_life is not None:
                factor = 2.0 ** (-2 * moved / self.config.half_life)
                for vec in (self._pairs.values, self._n, self._user_norm):
                    vec.view[:] *= factor
            if self.config.popularity_half_life is not None:
                self._popularity.view[:] *= 2.0 ** (-moved / self.config.popularity_half_life)

    @property
    def _origin(self) -> float:
        assert self._t_first is not None
        return self._t_first + self._steps * self._span if self._steps else self._t_first

    def _cf_weights(self, times: FloatArray) -> FloatArray:
        assert self.config.half_life is not None
        return cast(FloatArray, np.exp2((times - self._origin) / self.config.half_life))

    def _pop_weight(self, at: float) -> float | int:
        if self.config.popularity_half_life is None:
            return 1
        return 2.0 ** ((at - self._origin) / self.config.popularity_half_life)

    def _times(self, u: int, items: IntArray) -> FloatArray:
        history = self._history[u]
        return np.fromiter((history[j] for j in items.tolist()), np.float64, items.shape[0])

    def _link(self, u: int, i: int, others: IntArray) -> None:
        """Put click (u, i) into the model; ``others`` are u's other jobs in the model."""
        at = self._history[u][i]
        if self.config.half_life is None:
            x_i: Any = 1
            amounts: Any = 1
        else:
            x_i = float(self._cf_weights(np.array([at]))[0])
            amounts = x_i * self._cf_weights(self._times(u, others))
            self._job_user_times.arrays[i].append(at)
        if others.shape[0]:
            self._bump_pairs(i, others, amounts)
        self._n.data[i] += x_i * x_i
        self._user_norm.data[u] += x_i * x_i
        self._job_users.arrays[i].append(u)
        self._user_jobs.arrays[u].append(i)

    def _unlink(self, u: int, e: int, others: IntArray) -> None:
        """Take click (u, e) out of the model (it left u's sample)."""
        if self.config.half_life is None:
            x_e: Any = 1
            amounts: Any = -1
        else:
            x_e = float(self._cf_weights(np.array([self._history[u][e]]))[0])
            amounts = -x_e * self._cf_weights(self._times(u, others))
        if others.shape[0]:
            pids = self._bump_pairs(e, others, amounts)
            if self.config.half_life is not None:
                # What is left of a sum after taking out its only (or dominant) term is rounding
                # noise: make it an exact zero so it cannot pose as a similarity.
                left = self._pairs.values.data[pids]
                left[np.abs(left) <= _RESIDUE * np.abs(amounts)] = 0.0
                self._pairs.values.data[pids] = left
        self._n.data[e] -= x_e * x_e
        self._user_norm.data[u] -= x_e * x_e
        if self.config.half_life is not None:
            for vec, index in ((self._n, e), (self._user_norm, u)):
                if abs(vec.data[index]) <= _RESIDUE * x_e * x_e:
                    vec.data[index] = 0.0
        position = int(np.flatnonzero(self._job_users.row(e) == u)[0])
        self._job_users.remove_at(e, position)
        self._user_jobs.remove_at(u, self._user_jobs.arrays[u].index(e))
        if self.config.half_life is not None:
            self._job_user_times.remove_at(e, position)

    def _bump_pairs(self, i: int, others: IntArray, amounts: Any) -> IntArray:
        others_list = others.tolist()
        keys = [(j << 32) | i if j < i else (i << 32) | j for j in others_list]
        found, added = self._pairs.find_or_insert(keys)
        if added:
            rows = self._job_pairs.arrays
            new = [found[n] for n in added]
            rows[i].extend(new)
            for n, pid in zip(added, new, strict=True):
                rows[others_list[n]].append(pid)
        pids = np.array(found, dtype=np.int64)
        self._pairs.values.data[pids] += amounts
        return pids

    # ----------------------------------------------------------------------------- rebuild

    @classmethod
    def rebuild(
        cls,
        clicks: Iterable[tuple[int, int, float]],
        config: RecommenderConfig | None = None,
    ) -> Recommender:
        """The state that applying ``clicks`` one by one in this order gives, built in batch."""
        users: list[int] = []
        jobs: list[int] = []
        times: list[float] = []
        for user, job, at in clicks:
            users.append(user)
            jobs.append(job)
            times.append(at)
        return cls.from_arrays(
            np.array(users, dtype=np.int64),
            np.array(jobs, dtype=np.int64),
            np.array(times, dtype=np.float64),
            config,
        )

    @classmethod
    def from_arrays(
        cls,
        users: IntArray,
        jobs: IntArray,
        times: FloatArray,
        config: RecommenderConfig | None = None,
    ) -> Recommender:
        """:meth:`rebuild` from three parallel arrays (the fast path for large data)."""
        self = cls(config)
        if users.shape[0] == 0:
            return self
        if not np.isfinite(times).all():
            raise ValueError("a click's time must be a finite number")
        cfg = self.config
        # Dense indices in order of first appearance, as the incremental path assigns them.
        user_ids, u_all = _first_appearance(users)
        job_ids, j_all = _first_appearance(jobs)
        n_users, n_jobs = user_ids.shape[0], job_ids.shape[0]
        # Implicit feedback is a set: the first click of a pair wins, later ones are dropped.
        _, first = np.unique(u_all * n_jobs + j_all, return_index=True)
        keep = np.sort(first)
        u, j, t = u_all[keep], j_all[keep], times[keep]

        self._clicks = int(u.shape[0])
        self._t_first = float(t[0])
        if math.isfinite(self._span):
            self._steps = max(0, math.floor((float(t.max()) - self._t_first) / self._span))
        self._user_ids.extend(user_ids)
        self._job_ids.extend(job_ids)
        self._users = dict(zip(user_ids.tolist(), range(n_users), strict=True))
        job_index = list(range(n_jobs))  # shared int objects, as the incremental path keeps
        self._jobs = dict(zip(job_ids.tolist(), job_index, strict=True))
        self._history = [{} for _ in range(n_users)]
        for uu, jj, tt in zip(u.tolist(), j.tolist(), t.tolist(), strict=True):
            self._history[uu][job_index[jj]] = tt

        if cfg.popularity_half_life is None:
            self._popularity.extend(np.bincount(j, minlength=n_jobs))
        else:
            weights = np.exp2((t - self._origin) / cfg.popularity_half_life)
            self._popularity.extend(np.bincount(j, weights=weights, minlength=n_jobs))

        if cfg.max_history is not None:
            ranks = _sample_hash_array(user_ids[u], job_ids[j], cfg.seed)
            order = np.lexsort((job_ids[j], ranks, u))
            starts = np.searchsorted(u[order], u[order], side="left")
            in_sample = np.zeros(u.shape[0], dtype=bool)
            in_sample[order[np.arange(order.shape[0]) - starts < cfg.max_history]] = True
            self._sampled = [{} for _ in range(n_users)]
            for uu, jj, rank, job in zip(
                u[in_sample].tolist(),
                j[in_sample].tolist(),
                ranks[in_sample].tolist(),
                job_ids[j[in_sample]].tolist(),
                strict=True,
            ):
                self._sampled[uu][job_index[jj]] = (rank, job)
            u, j, t = u[in_sample], j[in_sample], t[in_sample]

        if cfg.half_life is None:
            x: AnyArray = np.ones(u.shape[0], dtype=np.int64)
            self._n.extend(np.bincount(j, minlength=n_jobs))
            self._user_norm.extend(np.bincount(u, minlength=n_users))
        else:
            x = np.exp2((t - self._origin) / cfg.half_life)
            self._n.extend(np.bincount(j, weights=x * x, minlength=n_jobs))
            self._user_norm.extend(np.bincount(u, weights=x * x, minlength=n_users))
            self._job_user_times = Rows.from_groups(np.float64, j, t, n_jobs)
        self._job_users = Rows.from_groups(np.int32, j, u, n_jobs)
        self._user_jobs = Rows.from_groups(np.int32, u, j, n_users)

        self._count_pairs(u, j, x)
        keys = self._pairs.keys.view
        pids = np.arange(keys.shape[0], dtype=np.int64)
        self._job_pairs = Rows.from_groups(
            np.int32,
            np.concatenate([keys >> 32, keys & LOW32]),
            np.concatenate([pids, pids]),
            n_jobs,
        )
        return self

    def _count_pairs(self, u: IntArray, j: IntArray, x: AnyArray) -> None:
        """Count every pair of jobs within each user's model history, in bounded chunks.

        Each chunk is reduced to (distinct key, sum); the partial sums are merged whenever they
        grow large, and the pairs go into the (empty) hash table in one batch at the end.
        """
        order = np.argsort(u, kind="stable")
        items, weights, owners = j[order], x[order], u[order]
        ends = np.searchsorted(owners, owners, side="right")
        after = ends - np.arange(owners.shape[0]) - 1  # partners later in the same user's run
        cumulative = np.cumsum(after)
        decayed = self.config.half_life is not None
        parts: list[tuple[IntArray, AnyArray]] = []
        held = 0
        begin = 0
        while begin < owners.shape[0]:
            base = cumulative[begin - 1] if begin else 0
            end = int(np.searchsorted(cumulative, base + _REBUILD_CHUNK, side="right"))
            end = max(end, begin + 1)
            counts = after[begin:end]
            total = int(counts.sum())
            if total:
                firsts = np.repeat(np.arange(begin, end), counts)
                offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
                seconds = firsts + 1 + offsets
                a, b = items[firsts], items[seconds]
                keys = (np.minimum(a, b) << 32) | np.maximum(a, b)
                amounts = weights[firsts] * weights[seconds] if decayed else None
                parts.append(_sum_by_key(keys, amounts))
                held += parts[-1][0].shape[0]
                if held > 4 * _REBUILD_CHUNK and len(parts) > 1:
                    parts = [_merge(parts)]
                    held = parts[0][0].shape[0]
            begin = end
        if parts:
            keys, sums = _merge(parts)
            pids = self._pairs.insert(keys)
            self._pairs.values.data[pids] = sums

    # ----------------------------------------------------------------------------- scoring

    def recommend(
        self,
        user: int,
        k: int = 10,
        exclude: Collection[int] = (),
        candidates: Iterable[int] | None = None,
        mode: Mode | None = None,
    ) -> list[Recommendation]:
        """Top ``k`` jobs for ``user``, never one they clicked or one in ``exclude``.

        ``candidates`` restricts the result to those jobs (e.g. the open ones). Scores are
        normalised to (0, 1] within each source; popular jobs fill a short list, and are all a
        cold user gets.
        """
        mode = mode or self.config.mode
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        personal = None if mode == "popular" else partial(self._personal, mode=mode)
        return self.recommend_with(personal, user, k, exclude, candidates)

    def recommend_with(
        self,
        personal: Personal | None,
        user: int,
        k: int = 10,
        exclude: Collection[int] = (),
        candidates: Iterable[int] | None = None,
    ) -> list[Recommendation]:
        """:meth:`recommend` with another personal ranking (another model) in front.

        ``personal(u, k, allowed)`` gets the user's dense index and the mask of jobs it may
        pick, and must clear the ones it picks; popular jobs fill what it leaves short.
        """
        n = self.n_jobs
        if k <= 0 or n == 0:
            return []
        if candidates is None:
            allowed = np.ones(n, dtype=bool)
        else:
            allowed = np.zeros(n, dtype=bool)
            wanted = [i for i in (self._jobs.get(c) for c in candidates) if i is not None]
            allowed[wanted] = True
        excluded = [i for i in (self._jobs.get(c) for c in exclude) if i is not None]
        allowed[excluded] = False

        result: list[Recommendation] = []
        u = self._users.get(user)
        if u is not None:
            history = self._history[u]
            allowed[np.fromiter(history, dtype=np.int64, count=len(history))] = False
            if personal is not None:
                result = personal(u, k, allowed)
        if len(result) < k:
            result += self._popular(k - len(result), allowed)
        return result

    def _personal(
        self, u: int, k: int, allowed: npt.NDArray[np.bool_], mode: Mode
    ) -> list[Recommendation]:
        items, weights = self._model_vector(u)
        if items.shape[0] == 0:
            return []
        alpha = self.config.alpha
        item_part = _normalised(self._item_scores(items, weights)) if mode != "user" else None
        user_part = _normalised(self._user_scores(u, items, weights)) if mode != "item" else None
        if item_part is not None and user_part is not None:
            item_part, user_part = alpha * item_part, (1 - alpha) * user_part
            scores = item_part + user_part
        else:
            scores = cast(FloatArray, item_part if item_part is not None else user_part)
        eligible = np.flatnonzero(allowed & (scores > 0))
        if eligible.shape[0] == 0:
            return []
        chosen = eligible[_top(scores[eligible], self._job_ids.data[eligible], k)]
        allowed[chosen] = False
        because = self._because(items, weights, chosen)
        ids = self._job_ids.data
        result = []
        for position, i in enumerate(chosen.tolist()):
            if user_part is None:
                source: Source = "item"
            elif item_part is None:
                source = "user"
            else:
                source = "item" if item_part[i] >= user_part[i] else "user"
            cause = because[position]
            reason = Reason.SIMILAR_VIEWERS if cause is None else Reason.VIEWED_JOB
            result.append(Recommendation(int(ids[i]), float(scores[i]), reason, source, cause))
        return result

    def _popular(self, k: int, allowed: npt.NDArray[np.bool_]) -> list[Recommendation]:
        popularity = self._popularity.view.astype(np.float64)
        eligible = np.flatnonzero(allowed & (popularity > 0))
        if eligible.shape[0] == 0:
            return []
        chosen = eligible[_top(popularity[eligible], self._job_ids.data[eligible], k)]
        allowed[chosen] = False
        peak = float(popularity.max())
        ids = self._job_ids.data
        return [
            Recommendation(int(ids[i]), float(popularity[i]) / peak, Reason.POPULAR, "popular")
            for i in chosen.tolist()
        ]

    def _model_vector(self, u: int) -> tuple[IntArray, FloatArray]:
        """The user's jobs in the model and their weights X_ui, in click order."""
        source = self._sampled[u] if self.config.max_history is not None else self._history[u]
        items = np.fromiter(source, dtype=np.int64, count=len(source))
        if self.config.half_life is None:
            return items, np.ones(items.shape[0])
        return items, self._cf_weights(self._times(u, items))

    def _item_scores(self, items: IntArray, weights: FloatArray) -> FloatArray:
        """Σ over the user's jobs i of X_ui · cos(i, j), each i voting for its top-K jobs."""
        n_jobs = self.n_jobs
        rows = [self._job_pairs.row(i) for i in items.tolist()]
        lengths = np.fromiter((row.shape[0] for row in rows), np.int64, len(rows))
        if not lengths.any():
            return np.zeros(n_jobs)
        pids = np.concatenate(rows)
        position = np.repeat(np.arange(items.shape[0]), lengths)
        owners = items[position]
        keys = self._pairs.keys.data[pids]
        cols = (keys >> 32) + (keys & LOW32) - owners
        n = self._n.data
        denominator = np.sqrt((n[cols] * n[owners]).astype(np.float64))
        sims = np.divide(
            self._pairs.values.data[pids],
            denominator,
            out=np.zeros(cols.shape[0]),
            where=denominator > 0,
        )
        limit = self.config.item_neighbours
        if limit is not None and lengths.max() > limit:
            keep = np.ones(cols.shape[0], dtype=bool)
            ends = np.cumsum(lengths)
            for r in np.flatnonzero(lengths > limit).tolist():
                end = int(ends[r])
                start = end - int(lengths[r])
                keep[start:end] = self._top_mask(sims[start:end], cols[start:end], limit)
            cols, sims, position = cols[keep], sims[keep], position[keep]
        return _weighted_bincount(cols, sims * weights[position], n_jobs)

    def _top_mask(self, sims: FloatArray, cols: IntArray, limit: int) -> npt.NDArray[np.bool_]:
        """Which of one job's neighbours are its ``limit`` most similar (ties: smaller id)."""
        size = sims.shape[0]
        threshold = np.partition(sims, size - limit)[size - limit]
        mask = sims >= threshold
        surplus = int(np.count_nonzero(mask)) - limit
        if surplus > 0:
            tied = np.flatnonzero(sims == threshold)
            ids = self._job_ids.data[cols[tied]]
            mask[tied[np.argsort(ids, kind="stable")[len(tied) - surplus :]]] = False
        return mask

    def _user_scores(self, u: int, items: IntArray, weights: FloatArray) -> FloatArray:
        """Σ over the user's nearest users v of cos(u, v) · X_vj."""
        n_jobs, n_users = self.n_jobs, self.n_users
        rows = [self._job_users.row(i) for i in items.tolist()]
        if self.config.half_life is None:
            overlap = np.bincount(np.concatenate(rows), minlength=n_users).astype(np.float64)
        else:
            times = [self._job_user_times.row(i) for i in items.tolist()]
            votes = np.concatenate(
                [w * self._cf_weights(ts) for w, ts in zip(weights.tolist(), times, strict=True)]
            )
            overlap = _weighted_bincount(np.concatenate(rows), votes, n_users)
        overlap[u] = 0
        others = np.flatnonzero(overlap > 0)
        if others.shape[0] == 0:
            return np.zeros(n_jobs)
        norms = self._user_norm.data[others].astype(np.float64)
        sims = overlap[others] / np.sqrt(norms * float(self._user_norm.data[u]))
        best = _top(sims, self._user_ids.data[others], self.config.user_neighbours)
        neighbours, neighbour_sims = others[best].tolist(), sims[best]
        # Neighbour by neighbour, so each job's votes add up in the same order however the
        # rows are ordered (a rebuilt model ranks exactly as the incremental one).
        rows = [self._user_jobs.row(v) for v in neighbours]
        cols = np.concatenate(rows)
        if self.config.half_life is None:
            lengths = [row.shape[0] for row in rows]
            votes = np.repeat(neighbour_sims, lengths)
        else:
            votes = np.concatenate(
                [
                    self._cf_weights(self._times(v, row)) * sim
                    for v, row, sim in zip(neighbours, rows, neighbour_sims.tolist(), strict=True)
                ]
            )
        return _weighted_bincount(cols.astype(np.int64), votes, n_jobs)

    def _because(self, items: IntArray, weights: FloatArray, chosen: IntArray) -> list[int | None]:
        """For each chosen job, the user's job with the largest X_ui · cos(i, j)."""
        grid_items = np.repeat(items[None, :], chosen.shape[0], axis=0)
        grid_chosen = np.repeat(chosen[:, None], items.shape[0], axis=1)
        keys = (np.minimum(grid_items, grid_chosen) << 32) | np.maximum(grid_items, grid_chosen)
        pids = self._pairs.lookup(keys.ravel()).reshape(keys.shape)
        counts = np.where(pids >= 0, self._pairs.values.data[pids], 0).astype(np.float64)
        n = self._n.data
        denominator = np.sqrt(n[grid_items] * n[grid_chosen]).astype(np.float64)
        sims = np.divide(counts, denominator, out=np.zeros(keys.shape), where=denominator > 0)
        votes = sims * weights[None, :]
        best = votes.argmax(axis=1)  # ties: the earliest click
        ids = self._job_ids.data
        return [
            int(ids[items[b]]) if votes[row, b] > 0 else None for row, b in enumerate(best.tolist())
        ]


def _sum_by_key(keys: IntArray, amounts: AnyArray | None) -> tuple[IntArray, AnyArray]:
    """Distinct keys and the sum of ``amounts`` (or the count, when None) for each."""
    if amounts is None:
        unique, tally = np.unique(keys, return_counts=True)
        return cast(IntArray, unique), tally.astype(np.int64)
    unique, inverse = np.unique(keys, return_inverse=True)
    return cast(IntArray, unique), np.bincount(inverse.ravel(), weights=amounts)


def _merge(parts: list[tuple[IntArray, AnyArray]]) -> tuple[IntArray, AnyArray]:
    if len(parts) == 1:
        return parts[0]
    keys = np.concatenate([k for k, _ in parts])
    sums = np.concatenate([v for _, v in parts])
    unique, inverse = np.unique(keys, return_inverse=True)
    total = np.bincount(inverse.ravel(), weights=sums)
    # Integer counts stay integers (float64 holds every count below 2**53 exactly).
    return cast(IntArray, unique), total.astype(sums.dtype) if sums.dtype.kind == "i" else total


def _weighted_bincount(index: IntArray, weights: FloatArray, size: int) -> FloatArray:
    """Sums of ``weights`` per index (``np.bincount`` with weights is float64; stubs say int)."""
    return cast(FloatArray, np.bincount(index, weights=weights, minlength=size))


def _first_appearance(values: IntArray) -> tuple[IntArray, IntArray]:
    """Distinct values in order of first appearance, and each value's index among them."""
    unique, first, inverse = np.unique(values, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty(order.shape[0], dtype=np.int64)
    rank[order] = np.arange(order.shape[0])
    return cast(IntArray, unique[order]), cast(IntArray, rank[inverse.ravel()])
