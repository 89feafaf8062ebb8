"""Reading a Recommender's model in tests: its counts by the caller's ids, the cosines they
give, and the whole state, to compare two models (incremental and rebuilt, or two orders).

The service never asks these questions (it only ranks), so they live here, not on the
engine; they read the engine's containers (portal.recommend.pairs) directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from portal.recommend.engine import Recommender
from portal.recommend.pairs import LOW32, pair_key


@dataclass(frozen=True, slots=True)
class ModelSnapshot:
    """The model keyed by the caller's ids, for comparing two states."""

    pairs: dict[tuple[int, int], float]
    job_counts: dict[int, float]
    popularity: dict[int, float]
    histories: dict[int, dict[int, float]]


def history(engine: Recommender, user: int) -> dict[int, float]:
    """Jobs the user clicked, with the time of the first click, in click order."""
    u = engine._users.get(user)
    if u is None:
        return {}
    ids = engine._job_ids.data
    return {int(ids[i]): t for i, t in engine._history[u].items()}


def pair_count(engine: Recommender, job_a: int, job_b: int) -> float:
    """``c_ab``: users who clicked both (weighted by decay when it is on)."""
    a, b = engine._jobs.get(job_a), engine._jobs.get(job_b)
    if a is None or b is None or a == b:
        return 0
    pid = int(engine._pairs.lookup(np.array([pair_key(a, b)], dtype=np.int64))[0])
    return engine._pairs.values.data[pid].item() if pid >= 0 else 0


def job_count(engine: Recommender, job: int) -> float:
    """``n_i``: users who clicked the job (weighted by decay when it is on)."""
    i = engine._jobs.get(job)
    return 0 if i is None else engine._n.data[i].item()


def popularity(engine: Recommender, job: int) -> float:
    """Clicks on the job (decayed when ``popularity_half_life`` is set)."""
    i = engine._jobs.get(job)
    return 0 if i is None else engine._popularity.data[i].item()


def similarity(engine: Recommender, job_a: int, job_b: int) -> float:
    """Cosine ``c_ab / sqrt(n_a n_b)``."""
    denominator = math.sqrt(float(job_count(engine, job_a)) * float(job_count(engine, job_b)))
    numerator = float(pair_count(engine, job_a, job_b))
    return numerator / denominator if denominator > 0 else 0.0


def user_similarity(engine: Recommender, user_a: int, user_b: int) -> float:
    """Cosine between two users' (sampled, decayed) click vectors."""
    a, b = engine._users.get(user_a), engine._users.get(user_b)
    if a is None or b is None:
        return 0.0
    items_a, weights_a = engine._model_vector(a)
    items_b, weights_b = engine._model_vector(b)
    _, pos_a, pos_b = np.intersect1d(items_a, items_b, return_indices=True)
    dot = float(np.dot(weights_a[pos_a], weights_b[pos_b]))
    norms = engine._user_norm.data
    denominator = math.sqrt(float(norms[a]) * float(norms[b]))
    return dot / denominator if denominator > 0 else 0.0


def snapshot(engine: Recommender) -> ModelSnapshot:
    """The whole model keyed by caller ids (pairs with a zero count left out)."""
    ids = engine._job_ids.view
    keys = engine._pairs.keys.view
    values = engine._pairs.values.view
    live = values != 0
    lo, hi = ids[keys[live] >> 32], ids[keys[live] & LOW32]
    pairs = {
        (min(a, b), max(a, b)): v
        for a, b, v in zip(lo.tolist(), hi.tolist(), values[live].tolist(), strict=True)
    }
    job_counts = dict(zip(ids.tolist(), engine._n.view.tolist(), strict=True))
    popular = dict(zip(ids.tolist(), engine._popularity.view.tolist(), strict=True))
    histories = {user: history(engine, user) for user in engine._users}
    return ModelSnapshot(pairs, job_counts, popular, histories)
