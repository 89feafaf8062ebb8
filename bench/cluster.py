"""Portal on several hosts under faults (needs root): ``scripts/cluster``'s deployment on this
machine, then the fault run of tests/cluster/scenario.py with 200 websockets through HAProxy.

Prints what every socket saw against what was committed, clicks accepted against the model,
failed requests by type, the longest run of failed writes, the web host's restart and the
recommender standby's takeover. ``--sockets``, ``--cut-seconds``, ``--runs``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.cluster import deploy, scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--cut-seconds", type=float, default=20)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("PORTAL_CLUSTER_DIR", tempfile.mkdtemp(prefix="portal-bench-cluster-"))
    os.rmdir(os.environ["PORTAL_CLUSTER_DIR"])  # up makes it
    state = deploy.up()
    runs = []
    try:
        for n in range(args.runs):
            run = asyncio.run(
                scenario.faults(state, sockets=args.sockets, cut_seconds=args.cut_seconds)
            )
            lost = sum(book["lost"] for book in run.books)
            duplicated = sum(book["duplicated"] for book in run.books)
            print(f"run {n + 1}: {json.dumps(run.figures, default=str)}")
            print(f"  events lost over all sockets: {lost}, duplicated: {duplicated}")
            runs.append(run.figures)
    finally:
        deploy.down()
    for key in (
        "longest_failing_s",
        "recommender takeover (s)",
        "standby's /readyz says active (s)",
        "web1 restart to ready (s)",
    ):
        print(f"median {key}: {statistics.median(r[key] for r in runs)}")


if __name__ == "__main__":
    main()
