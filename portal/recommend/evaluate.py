"""Offline evaluation of the recommender on a click log (``portal recs evaluate``).

Reads ``user,item,timestamp`` rows, holds out part of each user's clicks, fits the engine on the
rest and ranks the full catalogue for every held-out user (no sampled candidates): precision,
recall, NDCG and hit rate at k, and catalogue coverage, for popularity, item-CF, user-CF, their
blend and EASE. Two protocols: a seeded random 80/20 split per user, and leave-last-out by time.
EASE's λ is chosen here too (:func:`select_lambda`): on a validation split of the training
clicks only, so the test clicks never pick it.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TextIO

import numpy as np

from portal.recommend.ease import (
    DEFAULT_LAMBDAS,
    EaseConfig,
    EaseRecommender,
    EaseWeights,
    dense_gram,
    fit,
)
from portal.recommend.engine import FloatArray, IntArray, Mode, Recommender, RecommenderConfig

Protocol = Literal["random", "last"]
PROTOCOLS: tuple[Protocol, ...] = ("random", "last")
# Algorithm name → the engine's mode.
ALGORITHMS: dict[str, Mode] = {
    "popularity": "popular",
    "item-cf": "item",
    "user-cf": "user",
    "blend": "blend",
    "ease": "item",  # EASE in front; the engine's item-CF covers jobs newer than its weights
}
EASE = "ease"

# Header names recognised for each column when a header row is present.
_USER_NAMES = ("user", "userid", "user_id", "uid", "visitor", "visitorid", "customer", "session")
_ITEM_NAMES = (
    "item", "itemid", "item_id", "iid", "job", "jobid", "job_id", "movie", "movieid",
    "movie_id", "product", "productid", "product_id", "asin", "track", "song", "artist",
    "book", "isbn", "business", "business_id", "article", "content", "video",
)  # fmt: skip
_TIME_NAMES = ("timestamp", "time", "ts", "datetime", "date", "created", "created_at")


@dataclass(frozen=True, slots=True)
class ClickLog:
    """Distinct (user, item) clicks with dense ids, in time order (ties: file order)."""

    users: IntArray
    items: IntArray
    times: FloatArray
    user_labels: list[str]
    item_labels: list[str]
    rows: int = 0  # data rows read
    bad_rows: int = 0  # rows skipped: missing fields, empty ids, unreadable time
    duplicates: int = 0  # repeated (user, item) rows, folded into the earliest

    @property
    def n_users(self) -> int:
        return len(self.user_labels)

    @property
    def n_items(self) -> int:
        return len(self.item_labels)

    @property
    def n_clicks(self) -> int:
        return int(self.users.shape[0])


@dataclass(frozen=True, slots=True)
class Split:
    """Training clicks (time order) and each evaluated user's held-out items."""

    train: ClickLog
    test: dict[int, set[int]]


@dataclass(frozen=True, slots=True)
class Metrics:
    """Means over the evaluated users, and coverage over the catalogue."""

    precision: float
    recall: float
    ndcg: float
    hit_rate: float
    coverage: float
    users: int
    seconds: float


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    protocol: Protocol
    k: int
    seed: int
    data: dict[str, int]
    fit_seconds: float
    algorithms: dict[str, Metrics] = field(default_factory=dict)
    source: str = ""
    # With EASE: the λ chosen, each λ's validation NDCG@k, and the final fit's seconds.
    ease: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (what ``--json`` prints)."""
        return {
            "source": self.source,
            "protocol": self.protocol,
            "k": self.k,
            "seed": self.seed,
            "data": dict(self.data),
            "fit_seconds": round(self.fit_seconds, 4),
            "ease": dict(self.ease),
            "algorithms": {
                name: {key: _rounded(value) for key, value in asdict(metrics).items()}
                for name, metrics in self.algorithms.items()
            },
        }


def _rounded(value: float | int) -> float | int:
    return round(value, 6) if isinstance(value, float) else value


# ------------------------------------------------------------------------------------ reading


def read_clicks(
    source: str | Path | TextIO,
    *,
    delimiter: str | None = None,
    columns: tuple[int, int, int] | None = None,
) -> ClickLog:
    """Read a click log; the header row is optional and extra columns are ignored.

    Without ``columns`` the user, item and time are the first three columns, or, when there is
    a header, the columns it names (``userId``, ``movieId``, ``timestamp``…). Times are Unix
    seconds or ISO 8601. Ids are kept as text, so any ids work.
    """
    if isinstance(source, str | Path):
        with open(source, encoding="utf-8-sig", errors="replace", newline="") as stream:
            return read_clicks(stream, delimiter=delimiter, columns=columns)
    rows = _split_rows(source, delimiter)
    first = next(rows, None)
    if first is None:
        return _empty_log()
    chosen = columns or (0, 1, 2)
    pending: list[list[str]] = [first]
    if _parse_time(first[chosen[2]] if len(first) > chosen[2] else "") is None:
        if columns is None:
            chosen = _columns_from_header(first)
        pending = []  # the header is not data
    users: list[str] = []
    items: list[str] = []
    times: list[float] = []
    total = bad = 0
    width = max(chosen) + 1
    for row in _chain(pending, rows):
        total += 1
        if len(row) < width:
            bad += 1
            continue
        user, item = row[chosen[0]].strip(), row[chosen[1]].strip()
        at = _parse_time(row[chosen[2]])
        if not user or not item or at is None:
            bad += 1
            continue
        users.append(user)
        items.append(item)
        times.append(at)
    return clicks_from_labels(users, items, times, rows=total, bad_rows=bad)


def clicks_from_labels(
    users: Sequence[str | int],
    items: Sequence[str | int],
    times: Sequence[float],
    *,
    rows: int | None = None,
    bad_rows: int = 0,
) -> ClickLog:
    """A :class:`ClickLog` from parallel sequences (a pair's earliest click is kept)."""
    if not users:
        return replace(_empty_log(), rows=rows or 0, bad_rows=bad_rows)
    user_labels, user_index = np.unique(np.array([str(u) for u in users]), return_inverse=True)
    item_labels, item_index = np.unique(np.array([str(i) for i in items]), return_inverse=True)
    u = user_index.ravel().astype(np.int64)
    i = item_index.ravel().astype(np.int64)
    t = np.asarray(times, dtype=np.float64)
    # Earliest click of each pair (ties: the first in the file), then everything in time order.
    order = np.lexsort((np.arange(t.shape[0]), t, u * len(item_labels) + i))
    pair = (u * len(item_labels) + i)[order]
    first = order[np.concatenate([[True], pair[1:] != pair[:-1]])]
    keep = first[np.lexsort((first, t[first]))]
    return ClickLog(
        users=u[keep],
        items=i[keep],
        times=t[keep],
        user_labels=user_labels.tolist(),
        item_labels=item_labels.tolist(),
        rows=len(users) + bad_rows if rows is None else rows,
        bad_rows=bad_rows,
        duplicates=len(users) - int(keep.shape[0]),
    )


def clicks_from_arrays(users: IntArray, items: IntArray, times: FloatArray) -> ClickLog:
    """A :class:`ClickLog` from parallel integer id arrays (a model's own clicks, say)."""
    if users.shape[0] == 0:
        return _empty_log()
    user_ids, u = np.unique(users, return_inverse=True)
    item_ids, i = np.unique(items, return_inverse=True)
    order = np.lexsort((np.arange(times.shape[0]), times))
    return ClickLog(
        users=u.ravel()[order].astype(np.int64),
        items=i.ravel()[order].astype(np.int64),
        times=times[order].astype(np.float64),
        user_labels=[str(x) for x in user_ids.tolist()],
        item_labels=[str(x) for x in item_ids.tolist()],
        rows=int(users.shape[0]),
    )


def clicks_from_tuples(clicks: Iterable[tuple[int, int, float]]) -> ClickLog:
    """A :class:`ClickLog` from ``(user, item, time)`` tuples, such as the generator's."""
    users: list[int] = []
    items: list[int] = []
    times: list[float] = []
    for user, item, at in clicks:
        users.append(user)
        items.append(item)
        times.append(at)
    return clicks_from_labels(users, items, times)


def _empty_log() -> ClickLog:
    empty = np.zeros(0, dtype=np.int64)
    return ClickLog(empty, empty, np.zeros(0), [], [])


def _split_rows(stream: TextIO, delimiter: str | None) -> Iterator[list[str]]:
    lines = (line for line in stream if line.strip())
    first = next(lines, None)
    if first is None:
        return
    if delimiter is None:
        delimiter = next((d for d in ("::", "\t", ",", ";", "|") if d in first), " ")
    if len(delimiter) > 1 or delimiter == " ":
        for line in _chain([first], lines):
            yield line.split(delimiter) if delimiter != " " else line.split()
        return
    yield from csv.reader(_chain([first], lines), delimiter=delimiter)


def _chain(head: Iterable[Any], tail: Iterator[Any]) -> Iterator[Any]:
    yield from head
    yield from tail


def _parse_time(text: str) -> float | None:
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    return value if math.isfinite(value) else None


def _columns_from_header(header: list[str]) -> tuple[int, int, int]:
    names = [name.strip().lower().replace(" ", "_") for name in header]

    def find(candidates: tuple[str, ...], default: int) -> int:
        for candidate in candidates:
            if candidate in names:
                return names.index(candidate)
        return default

    return find(_USER_NAMES, 0), find(_ITEM_NAMES, 1), find(_TIME_NAMES, 2)


# ----------------------------------------------------------------------------------- protocols


def split_random(log: ClickLog, fraction: float = 0.2, seed: int = 0) -> Split:
    """Hold out ``fraction`` of each user's clicks at random (at least one, if they have two)."""
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(log.n_clicks), log.users))
    sizes = np.bincount(log.users, minlength=log.n_users)
    if not 0.0 < fraction < 1.0:
        raise ValueError("the test fraction must be between 0 and 1")
    wanted = np.clip(np.round(sizes * fraction), 1, np.maximum(sizes - 1, 1))
    held = np.where(sizes >= 2, wanted, 0).astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rank = np.arange(order.shape[0]) - starts[log.users[order]]
    test = np.zeros(log.n_clicks, dtype=bool)
    test[order[rank < held[log.users[order]]]] = True
    return _split(log, test)


def split_last(log: ClickLog) -> Split:
    """Hold out each user's latest click (ties: the later row), if they have two or more."""
    sizes = np.bincount(log.users, minlength=log.n_users)
    # The log is in time order, so a user's last row is their latest click.
    seen, from_end = np.unique(log.users[::-1], return_index=True)
    last = log.n_clicks - 1 - from_end
    test = np.zeros(log.n_clicks, dtype=bool)
    test[last[sizes[seen] >= 2]] = True
    return _split(log, test)


def _split(log: ClickLog, test: np.ndarray) -> Split:
    train = replace(log, users=log.users[~test], items=log.items[~test], times=log.times[~test])
    held: dict[int, set[int]] = {}
    for user, item in zip(log.users[test].tolist(), log.items[test].tolist(), strict=True):
        held.setdefault(user, set()).add(item)
    return Split(train, held)


# ------------------------------------------------------------------------------------- metrics


def ranking_metrics(recommended: Sequence[int], relevant: set[int], k: int) -> dict[str, float]:
    """Precision, recall, NDCG and hit rate at ``k`` for one user (binary relevance)."""
    hits = [1.0 if item in relevant else 0.0 for item in recommended[:k]]
    found = sum(hits)
    dcg = sum(hit / math.log2(rank + 2) for rank, hit in enumerate(hits))
    ideal = sum(1 / math.log2(rank + 2) for rank in range(min(len(relevant), k)))
    return {
        "precision": found / k,
        "recall": found / len(relevant) if relevant else 0.0,
        "ndcg": dcg / ideal if ideal else 0.0,
        "hit_rate": 1.0 if found else 0.0,
    }


@dataclass(frozen=True, slots=True)
class LambdaChoice:
    """The λ with the best validation NDCG@k (ties: the first in the grid), and every score."""

    lam: float
    scores: dict[float, float]
    seconds: float


def select_lambda(
    train: ClickLog,
    lambdas: Sequence[float] = DEFAULT_LAMBDAS,
    *,
    k: int = 10,
    seed: int = 0,
    fraction: float = 0.2,
    max_users: int | None = 2_000,
    config: EaseConfig | None = None,
    engine_config: RecommenderConfig | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> LambdaChoice:
    """Choose EASE's λ from ``lambdas`` by NDCG@k on a random split of ``train`` itself.

    The Gram matrix of the validation training part is built once; each λ costs one fit.
    A grid of one is returned as is, without an evaluation.
    """
    started = time.perf_counter()
    grid = list(dict.fromkeys(float(lam) for lam in lambdas))
    if not grid:
        raise ValueError("the λ grid is empty")
    if len(grid) == 1:
        return LambdaChoice(grid[0], {}, 0.0)
    config = config or EaseConfig()
    split = split_random(train, fraction, seed)
    engine = Recommender.from_arrays(
        split.train.users, split.train.items, split.train.times, engine_config
    )
    entries = engine.gram_entries()
    gram = dense_gram(entries)
    users = _sample_users(split, max_users, seed)
    scores: dict[float, float] = {}
    for number, lam in enumerate(grid):
        weights = fit(gram.copy(), entries.job_ids, lam, config)
        model = EaseRecommender(engine, weights, replace(config, cached_users=0))
        scores[lam] = _score(_ranker(model), split, users, k, train.n_items).ndcg
        if progress is not None:
            progress(number + 1, len(grid))
    best = max(grid, key=lambda lam: (scores[lam], -grid.index(lam)))
    return LambdaChoice(best, scores, time.perf_counter() - started)


def _sample_users(split: Split, max_users: int | None, seed: int) -> list[int]:
    users = sorted(split.test)
    if max_users is not None and len(users) > max_users:
        rng = np.random.default_rng(seed)
        users = sorted(rng.choice(users, size=max_users, replace=False).tolist())
    return users


Ranker = Callable[[int, int], list[int]]


def _ranker(model: Recommender | EaseRecommender, mode: Mode | None = None) -> Ranker:
    if isinstance(model, EaseRecommender):
        return lambda user, k: [r.job for r in model.recommend(user, k)]
    return lambda user, k: [r.job for r in model.recommend(user, k, mode=mode)]


def evaluate(
    log: ClickLog,
    protocol: Protocol = "random",
    *,
    k: int = 10,
    seed: int = 0,
    fraction: float = 0.2,
    algorithms: Sequence[str] = tuple(ALGORITHMS),
    config: RecommenderConfig | None = None,
    max_users: int | None = None,
    source: str = "",
    lambdas: Sequence[float] = DEFAULT_LAMBDAS,
    ease_config: EaseConfig | None = None,
) -> EvaluationResult:
    """Split, fit once on the training clicks, and score every algorithm on the same users."""
    unknown = [name for name in algorithms if name not in ALGORITHMS]
    if unknown:
        raise ValueError(f"unknown algorithms {unknown}; choose from {list(ALGORITHMS)}")
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}")
    split = split_random(log, fraction, seed) if protocol == "random" else split_last(log)
    started = time.perf_counter()
    engine = Recommender.from_arrays(
        split.train.users, split.train.items, split.train.times, config
    )
    fit_seconds = time.perf_counter() - started
    users = _sample_users(split, max_users, seed)
    result = EvaluationResult(
        protocol=protocol,
        k=k,
        seed=seed,
        data={
            "rows": log.rows,
            "bad_rows": log.bad_rows,
            "duplicates": log.duplicates,
            "clicks": log.n_clicks,
            "users": log.n_users,
            "items": log.n_items,
            "train_clicks": split.train.n_clicks,
            "test_users": len(users),
        },
        fit_seconds=fit_seconds,
        source=source,
    )
    for name in algorithms:
        if name == EASE:
            weights = _ease_weights(split, engine, k, seed, fraction, lambdas, ease_config, config)
            result.ease.update(lam=weights.lam, fit_seconds=round(weights.seconds, 4))
            tried = weights.validation.items()
            result.ease["validation"] = {str(lam): round(v, 6) for lam, v in tried}
            ranker = _ranker(EaseRecommender(engine, weights, ease_config))
        else:
            ranker = _ranker(engine, ALGORITHMS[name])
        result.algorithms[name] = _score(ranker, split, users, k, log.n_items)
    return result


def _ease_weights(
    split: Split,
    engine: Recommender,
    k: int,
    seed: int,
    fraction: float,
    lambdas: Sequence[float],
    ease_config: EaseConfig | None,
    config: RecommenderConfig | None,
) -> EaseWeights:
    """λ chosen on the training clicks, then the weights fitted on all of them."""
    ease_config = ease_config or EaseConfig()
    choice = select_lambda(
        split.train,
        lambdas,
        k=k,
        seed=seed,
        fraction=fraction,
        config=ease_config,
        engine_config=config,
    )
    entries = engine.gram_entries()
    weights = fit(dense_gram(entries), entries.job_ids, choice.lam, ease_config)
    return replace(weights, validation=choice.scores)


def _score(rank: Ranker, split: Split, users: list[int], k: int, catalogue: int) -> Metrics:
    totals = {"precision": 0.0, "recall": 0.0, "ndcg": 0.0, "hit_rate": 0.0}
    shown: set[int] = set()
    started = time.perf_counter()
    for user in users:
        recommended = rank(user, k)
        shown.update(recommended)
        for key, value in ranking_metrics(recommended, split.test[user], k).items():
            totals[key] += value
    seconds = time.perf_counter() - started
    count = max(len(users), 1)
    return Metrics(
        precision=totals["precision"] / count,
        recall=totals["recall"] / count,
        ndcg=totals["ndcg"] / count,
        hit_rate=totals["hit_rate"] / count,
        coverage=len(shown) / catalogue if catalogue else 0.0,
        users=len(users),
        seconds=seconds,
    )


# -------------------------------------------------------------------------------------- output


def format_table(results: Sequence[EvaluationResult]) -> str:
    """A plain-text table per protocol."""
    out = io.StringIO()
    for number, result in enumerate(results):
        data = result.data
        if number == 0:
            out.write(
                f"{result.source or 'clicks'}: {data['clicks']:,} distinct clicks "
                f"({data['rows']:,} rows, {data['bad_rows']:,} bad, "
                f"{data['duplicates']:,} repeated) · {data['users']:,} users · "
                f"{data['items']:,} items\n"
            )
        title = (
            f"random split (seed {result.seed})"
            if result.protocol == "random"
            else "leave-last-out by time"
        )
        out.write(
            f"\n{title} · {data['test_users']:,} test users · "
            f"{data['train_clicks']:,} training clicks · fit {result.fit_seconds:.2f} s\n"
        )
        if result.ease:
            tried = ", ".join(f"{lam}: {v:.4f}" for lam, v in result.ease["validation"].items())
            out.write(
                f"EASE λ {result.ease['lam']:g} (validation NDCG@{result.k}: {tried or 'one λ'}) "
                f"· fit {result.ease['fit_seconds']:.2f} s\n"
            )
        k = result.k
        header = ["algorithm", f"P@{k}", f"R@{k}", f"NDCG@{k}", f"HR@{k}", "coverage", "seconds"]
        lines = [header]
        for name, m in result.algorithms.items():
            lines.append(
                [
                    name,
                    f"{m.precision:.4f}",
                    f"{m.recall:.4f}",
                    f"{m.ndcg:.4f}",
                    f"{m.hit_rate:.4f}",
                    f"{m.coverage:.4f}",
                    f"{m.seconds:.2f}",
                ]
            )
        widths = [max(len(line[c]) for line in lines) for c in range(len(header))]
        for line in lines:
            cells = [line[0].ljust(widths[0])]
            cells += [cell.rjust(width) for cell, width in zip(line[1:], widths[1:], strict=True)]
            out.write("  ".join(cells).rstrip() + "\n")
    return out.getvalue()


def _columns(text: str) -> tuple[int, int, int]:
    parts = [int(part) for part in text.split(",")]
    if len(parts) != 3 or min(parts) < 0:
        raise argparse.ArgumentTypeError("give three 0-based column numbers: user,item,time")
    return parts[0], parts[1], parts[2]


def _floats(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError("give comma-separated numbers, e.g. 100,500") from None
    if not values or min(values) <= 0:
        raise argparse.ArgumentTypeError("give positive numbers, e.g. 100,500")
    return values


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="portal recs evaluate",
        description="Offline evaluation of the recommender on a user,item,timestamp CSV.",
    )
    parser.add_argument("--clicks", required=True, type=Path, help="the click log (CSV)")
    parser.add_argument("--protocol", choices=[*PROTOCOLS, "both"], default="both")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument(
        "--algorithms",
        default=",".join(ALGORITHMS),
        help=f"comma-separated, from {', '.join(ALGORITHMS)}",
    )
    parser.add_argument("--alpha", type=float, default=0.5, help="item-CF weight in the blend")
    parser.add_argument(
        "--item-neighbours", type=int, default=20, help="votes per history item (0: all)"
    )
    parser.add_argument("--user-neighbours", type=int, default=50)
    parser.add_argument("--max-history", type=int, default=None)
    parser.add_argument("--half-life", type=float, default=None, help="model decay, seconds")
    parser.add_argument("--max-users", type=int, default=None, help="evaluate a sample")
    parser.add_argument(
        "--lambdas",
        type=_floats,
        default=DEFAULT_LAMBDAS,
        help="EASE's λ grid, chosen from on a validation split of the training clicks",
    )
    parser.add_argument("--top-k", type=int, default=EaseConfig().top_k, help="EASE weights kept")
    parser.add_argument(
        "--dense-jobs",
        type=int,
        default=EaseConfig().dense_jobs,
        help="EASE keeps every weight up to this many jobs",
    )
    parser.add_argument("--delimiter", default=None, help="default: guessed from the first line")
    parser.add_argument("--columns", type=_columns, default=None, help="e.g. 0,1,3")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``portal recs evaluate``; returns the exit status."""
    args = _parser().parse_args(argv)
    algorithms = [name.strip() for name in args.algorithms.split(",") if name.strip()]
    try:
        config = RecommenderConfig(
            alpha=args.alpha,
            item_neighbours=args.item_neighbours or None,
            user_neighbours=args.user_neighbours,
            max_history=args.max_history,
            half_life=args.half_life,
        )
        ease_config = EaseConfig(top_k=args.top_k, dense_jobs=args.dense_jobs)
        log = read_clicks(args.clicks, delimiter=args.delimiter, columns=args.columns)
    except (OSError, ValueError) as error:
        print(f"portal recs evaluate: {error}", file=sys.stderr)
        return 2
    if log.n_clicks == 0:
        print(f"portal recs evaluate: no valid clicks in {args.clicks}", file=sys.stderr)
        return 1
    protocols: list[Protocol] = list(PROTOCOLS) if args.protocol == "both" else [args.protocol]
    try:
        results = [
            evaluate(
                log,
                protocol,
                k=args.k,
                seed=args.seed,
                fraction=args.test_fraction,
                algorithms=algorithms,
                config=config,
                max_users=args.max_users,
                source=str(args.clicks),
                lambdas=args.lambdas,
                ease_config=ease_config,
            )
            for protocol in protocols
        ]
    except ValueError as error:
        print(f"portal recs evaluate: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"results": [r.to_dict() for r in results]}, indent=2))
    else:
        print(format_table(results), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
