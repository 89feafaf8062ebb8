"""A synthetic click stream with planted taste clusters and long-tail job popularity.

    .venv/bin/python bench/clickgen.py --users 10000 --jobs 1000 --clicks 100000 --seed 1 \
        --out clicks.csv

Jobs fall into clusters (think category and city); each user likes one cluster, or two (a main and
a side interest). A click picks a user by activity (log-normal, so a few users are heavy), then
with probability ``1 - noise`` a job of one of the user's clusters, else any job; either way
jobs are drawn by a Zipf popularity weight, so a few jobs get most clicks and most jobs few.
Repeated (user, job) clicks happen, as re-views do. Times increase through the stream.
Same arguments and seed, same stream.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from pathlib import Path

import numpy as np

START = 1_700_000_000.0
DAY = 86_400.0


def default_clusters(jobs: int) -> int:
    """About sqrt(jobs)/2 clusters: 16 of ~60 jobs at 1k jobs, 50 of 200 at 10k."""
    return max(2, min(jobs, round(math.sqrt(jobs) / 2)))


def generate(
    users: int,
    jobs: int,
    clicks: int,
    seed: int = 0,
    *,
    clusters: int | None = None,
    noise: float = 0.1,
    zipf: float = 1.0,
    second_interest: float = 0.3,
    days: float = 30.0,
) -> list[tuple[int, int, float]]:
    """``clicks`` events ``(user, job, timestamp)``; users are 1..users, jobs 1..jobs."""
    if users < 1 or jobs < 1 or clicks < 0:
        raise ValueError("need at least one user and one job, and clicks ≥ 0")
    rng = np.random.default_rng(seed)
    n_clusters = clusters or default_clusters(jobs)
    # Every cluster gets jobs: a shuffled round-robin assignment.
    job_cluster = rng.permutation(np.arange(jobs) % n_clusters)
    weight = (rng.permutation(jobs) + 1.0) ** -zipf  # Zipf over a random order of jobs

    main = rng.integers(n_clusters, size=users)
    side = np.where(rng.random(users) < second_interest, rng.integers(n_clusters, size=users), main)
    activity = rng.lognormal(0.0, 1.0, size=users)

    who = rng.choice(users, size=clicks, p=activity / activity.sum())
    cluster = np.where(rng.random(clicks) < 0.7, main[who], side[who])
    anywhere = rng.random(clicks) < noise
    job = np.empty(clicks, dtype=np.int64)
    job[anywhere] = rng.choice(jobs, size=int(anywhere.sum()), p=weight / weight.sum())
    for c in range(n_clusters):
        members = np.flatnonzero(job_cluster == c)
        picks = np.flatnonzero((cluster == c) & ~anywhere)
        cdf = np.cumsum(weight[members])
        draws = rng.random(picks.shape[0]) * cdf[-1]
        job[picks] = members[np.minimum(np.searchsorted(cdf, draws), members.shape[0] - 1)]
    times = START + np.sort(rng.random(clicks)) * days * DAY
    return list(
        zip((who + 1).tolist(), (job + 1).tolist(), np.round(times, 3).tolist(), strict=True)
    )


def write_csv(rows: list[tuple[int, int, float]], out: Path | None) -> None:
    """Write ``user,item,timestamp`` with a header, to ``out`` or stdout."""
    stream = out.open("w", newline="") if out else sys.stdout
    try:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["user", "item", "timestamp"])
        writer.writerows((u, j, f"{t:.3f}") for u, j, t in rows)
    finally:
        if out:
            stream.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=1_000)
    parser.add_argument("--clicks", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clusters", type=int, default=None)
    parser.add_argument("--noise", type=float, default=0.1)
    parser.add_argument("--zipf", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=None, help="CSV file (default: stdout)")
    args = parser.parse_args(argv)
    rows = generate(
        args.users,
        args.jobs,
        args.clicks,
        args.seed,
        clusters=args.clusters,
        noise=args.noise,
        zipf=args.zipf,
    )
    write_csv(rows, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
