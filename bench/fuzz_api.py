"""Schemathesis against a served Portal, for a bounded time: is /openapi.json true?

    .venv/bin/python bench/fuzz_api.py [--seconds 300] [--max-examples N] [--seed 1]
        [--checks all] [--workers 1] [--keep DIR]

Starts ``portal demo`` (SQLite, the in-process bus, the demo jobs and companies) on a free
port in a fresh data directory, signs its admin in and makes a personal API token, then runs
the schemathesis command line over the whole API as that admin (``Authorization: Bearer``)
until ``--seconds`` are spent (every phase: examples, coverage, fuzzing, stateful). Prints the
exact command, then the figures from its NDJSON report: requests sent, answers by status
class, server errors (5xx) by operation, and failures by check (an undocumented status is
``status_code_conformance``); and the server's tracebacks, if any. Prints, never asserts.

ignored_auth is left out by default: the admin's bearer token goes with every request, and
for the other security alternative (the session cookie) schemathesis sends a cookie it made
up, then calls the success that the bearer token earned "invalid credentials accepted".
Left out: ``DELETE /api/v1/me/tokens/{token_id}`` (token ids are small integers: the fuzzer
would soon revoke its own token and test the rest as nobody); bench/fuzz_hooks.py keeps it
from demoting itself.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from common import PORTAL, ROOT, free_port, stop_all, wait_for

SCHEMATHESIS = os.path.normpath(Path(sys.executable).parent / "schemathesis")
HOOKS = Path(__file__).with_name("fuzz_hooks.py")
EXCLUDED_OPERATIONS = ["delete_delete_token"]  # DELETE /api/v1/me/tokens/{token_id}


def _post_json(url: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[Any, Any]:
    request = urllib.request.Request(  # noqa: S310 - our own local server
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.load(response), response.headers


def admin_token(base: str, login: str, password: str) -> tuple[str, int]:
    """Sign in (the session cookie), make a personal API token; the token and the user id."""
    user, headers = _post_json(
        base + "/api/v1/auth/login", {"login": login, "password": password}, {}
    )
    cookies = "; ".join(value.split(";", 1)[0] for value in headers.get_all("Set-Cookie", []) or [])
    created, _ = _post_json(
        base + "/api/v1/me/tokens",
        {"name": "fuzzer"},
        {"Cookie": cookies, "X-CSRF-Token": headers.get("X-CSRF-Token", "")},
    )
    return created["token"], user["id"]


def start_demo(data_dir: Path, log: Path) -> tuple[subprocess.Popen[bytes], str, str, str]:
    """``portal demo`` on a free port; the process, base URL and the admin's login."""
    port = free_port()
    out = data_dir / "demo.out"
    with out.open("wb") as stdout, log.open("wb") as stderr:
        process = subprocess.Popen(
            [PORTAL, "demo", "--bind", f"127.0.0.1:{port}"],
            env={**os.environ, "PORTAL_DATA_DIR": str(data_dir), "PORTAL_ENV": "development"},
            stdout=stdout,
            stderr=stderr,
            cwd=ROOT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/healthz", timeout=120)
        deadline = time.monotonic() + 10
        while not (found := re.search(r"admin: (\S+) / (\S+)", out.read_text())):
            if time.monotonic() > deadline:
                raise RuntimeError("portal demo printed no admin login:\n" + out.read_text())
            time.sleep(0.1)
    except BaseException:
        stop_all([process])
        print(log.read_text(errors="replace")[-5000:], file=sys.stderr)
        raise
    return process, base, found.group(1), found.group(2)


def command(base: str, token: str, args: argparse.Namespace, report: Path) -> list[str]:
    argv = [
        SCHEMATHESIS,
        "run",
        f"{base}/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        args.checks,
        "--max-time",
        str(args.seconds),
        "--workers",
        str(args.workers),
        "--seed",
        str(args.seed),
        "--continue-on-failure",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
        "--request-timeout",
        "30",
    ]
    if args.exclude_checks:
        argv += ["--exclude-checks", args.exclude_checks]
    if args.max_examples:
        argv += ["--max-examples", str(args.max_examples)]
    for operation_id in EXCLUDED_OPERATIONS:
        argv += ["--exclude-operation-id", operation_id]
    return argv


def summarize(report: Path) -> dict[str, Any]:
    """Requests, statuses and failures from schemathesis' NDJSON events (every scenario
    records its cases, their interactions and the checks run on them)."""
    statuses: Counter[int] = Counter()
    server_errors: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    examples: dict[str, Counter[str]] = defaultdict(Counter)
    for line in report.read_text().splitlines():
        scenario = json.loads(line).get("ScenarioFinished")
        if not scenario:
            continue
        recorder = scenario.get("recorder") or {}
        for interaction in (recorder.get("interactions") or {}).values():
            response = interaction.get("response")
            if response is None:
                continue
            statuses[response["status_code"]] += 1
            if response["status_code"] >= 500:
                request = interaction["request"]
                server_errors[f"{request['method']} {urlsplit(request['uri']).path}"] += 1
        for checks in (recorder.get("checks") or {}).values():
            for check in checks:
                if check.get("status") != "failure":
                    continue
                failure = (check.get("failure_info") or {}).get("failure") or {}
                failures[check["name"]] += 1
                summary = failure.get("message", "").split("\n")[-1][:90]
                examples[check["name"]][f"{failure.get('operation', '?')}: {summary}"] += 1
    return {
        "requests": sum(statuses.values()),
        "statuses": statuses,
        "server_errors": server_errors,
        "failures": failures,
        "examples": examples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=int, default=300, help="schemathesis' --max-time")
    parser.add_argument("--max-examples", type=int, default=0, help="per operation (0: default)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--checks", default="all")
    parser.add_argument(
        "--exclude-checks",
        default="ignored_auth",
        help="'' for none; by default ignored_auth, see the module's docstring",
    )
    parser.add_argument("--show", type=int, default=15, help="operations shown per check")
    parser.add_argument("--workers", type=int, default=1, help="schemathesis' workers")
    parser.add_argument("--keep", type=Path, default=None, help="keep the data and reports here")
    args = parser.parse_args()

    data_dir = Path(args.keep or tempfile.mkdtemp(prefix="portal-fuzz-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / "server.log"
    report = data_dir / "schemathesis.ndjson"
    process, base, login, password = start_demo(data_dir, log)
    try:
        token, admin_id = admin_token(base, login, password)
        argv = command(base, token, args, report)
        shown = [
            "Authorization: Bearer <admin token>" if a.startswith("Authorization") else a
            for a in argv
        ]
        print(f"SCHEMATHESIS_HOOKS={HOOKS.relative_to(ROOT)} " + shlex.join(shown), flush=True)
        started = time.monotonic()
        result = subprocess.run(
            argv,
            env={
                **os.environ,
                "SCHEMATHESIS_HOOKS": str(HOOKS),
                "PORTAL_FUZZ_ADMIN_ID": str(admin_id),
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
            cwd=data_dir,  # schemathesis keeps a .schemathesis/ cache where it runs
        )
        elapsed = time.monotonic() - started
    finally:
        stop_all([process])
    (data_dir / "schemathesis.out").write_text(result.stdout)
    print(result.stdout[-6000:])
    figures = summarize(report)
    tracebacks = log.read_text(errors="replace").count("Traceback (most recent call last)")
    print(f"\n== {elapsed:.0f} s, schemathesis exit {result.returncode}; files in {data_dir}")
    print(f"requests: {figures['requests']}")
    classes = Counter(f"{status // 100}xx" for status in figures["statuses"].elements())
    print("answers: " + ", ".join(f"{k} {v}" for k, v in sorted(classes.items())))
    print("statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(figures["statuses"].items())))
    server_errors = sum(figures["server_errors"].values())
    print(f"server errors (5xx): {server_errors}; tracebacks in the server log: {tracebacks}")
    for label, count in figures["server_errors"].most_common():
        print(f"  {count:5d}  {label}")
    print("failed checks (cases), by check, then by operation:")
    if not figures["failures"]:
        print("  none")
    for name, count in figures["failures"].most_common():
        print(f"  {count:5d}  {name}")
        for example, times in figures["examples"][name].most_common(args.show):
            print(f"    {times:5d}  {example}")


if __name__ == "__main__":
    main()
