"""Offline evaluation: reading logs, the two protocols, metrics by hand, the CLI; the generator."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import pytest

from bench.clickgen import generate
from bench.clickgen import main as clickgen_main
from portal.recommend.evaluate import (
    ClickLog,
    clicks_from_labels,
    clicks_from_tuples,
    evaluate,
    format_table,
    main,
    ranking_metrics,
    read_clicks,
    split_last,
    split_random,
)


def test_ranking_metrics_by_hand() -> None:
    m = ranking_metrics([1, 2, 3, 4], {2, 5}, k=10)
    assert m["precision"] == pytest.approx(1 / 10)
    assert m["recall"] == pytest.approx(1 / 2)
    # DCG = 1/log2(3); ideal DCG = 1 + 1/log2(3).
    assert m["ndcg"] == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))
    assert m["hit_rate"] == 1.0
    assert ranking_metrics([1, 2], {3}, k=10) == {
        "precision": 0.0,
        "recall": 0.0,
        "ndcg": 0.0,
        "hit_rate": 0.0,
    }
    top = ranking_metrics([7, 8], {7, 8}, k=2)
    assert top == {"precision": 1.0, "recall": 1.0, "ndcg": 1.0, "hit_rate": 1.0}
    # Only the first k count; the ideal DCG is over min(|relevant|, k).
    assert ranking_metrics([9, 9, 7], {7}, k=2)["hit_rate"] == 0.0
    many = ranking_metrics([1, 2], set(range(1, 20)), k=2)
    assert many["ndcg"] == 1.0 and many["recall"] == pytest.approx(2 / 19)


def test_read_clicks_header_extra_columns_and_bad_rows() -> None:
    text = (
        "user,item,timestamp,rating\n"
        "u1,j1,100,5\n"
        "u1,j2,200,4\n"
        "u2,j1,2024-01-01T00:00:00Z,3\n"
        "u2,j1,50,1\n"  # repeated pair: the earlier time wins
        "u3,j9\n"  # too short
        "u3,j9,soon\n"  # unreadable time
        ",j9,300\n"  # no user
        "u3,j9,300,,,\n"
    )
    log = read_clicks(io.StringIO(text))
    assert log.rows == 8
    assert log.bad_rows == 3
    assert log.duplicates == 1
    assert log.n_clicks == 4
    assert log.user_labels == ["u1", "u2", "u3"]
    clicks = [
        (log.user_labels[u], log.item_labels[i], t)
        for u, i, t in zip(log.users.tolist(), log.items.tolist(), log.times.tolist(), strict=True)
    ]
    assert clicks == [
        ("u2", "j1", 50.0),
        ("u1", "j1", 100.0),
        ("u1", "j2", 200.0),
        ("u3", "j9", 300.0),
    ]


def test_read_clicks_finds_named_columns_and_delimiters() -> None:
    movielens = "userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,1029,3.0,1260759179\n"
    log = read_clicks(io.StringIO(movielens))
    assert log.item_labels == ["1029", "31"]
    assert sorted(log.times.tolist()) == [1260759144.0, 1260759179.0]
    dat = "1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n"
    log = read_clicks(io.StringIO(dat), columns=(0, 1, 3))
    assert log.n_clicks == 3 and log.n_users == 2 and log.bad_rows == 0
    tabbed = "196\t242\t3\t881250949\n186\t302\t3\t891717742\n"
    assert read_clicks(io.StringIO(tabbed), columns=(0, 1, 3)).n_clicks == 2
    # Without a header or columns, the third column is the time.
    assert read_clicks(io.StringIO("a,b,1\nc,d,2\n")).n_clicks == 2
    assert read_clicks(io.StringIO("")).n_clicks == 0


def small_log() -> ClickLog:
    # u1: a, b, c; u2: a, b; u3: b, c, d; one click per time step in this order.
    rows = [
        ("u1", "a"), ("u1", "b"), ("u1", "c"), ("u2", "a"),
        ("u2", "b"), ("u3", "b"), ("u3", "c"), ("u3", "d"),
    ]  # fmt: skip
    return clicks_from_labels([u for u, _ in rows], [i for _, i in rows], list(range(len(rows))))


def test_leave_last_out_holds_out_each_latest_click() -> None:
    log = small_log()
    split = split_last(log)
    names = {
        log.user_labels[u]: {log.item_labels[i] for i in items} for u, items in split.test.items()
    }
    assert names == {"u1": {"c"}, "u2": {"b"}, "u3": {"d"}}
    assert split.train.n_clicks == 5
    single = clicks_from_labels(["x", "y", "y"], ["a", "a", "b"], [1.0, 2.0, 3.0])
    assert set(split_last(single).test) == {single.user_labels.index("y")}


def test_random_split_is_per_user_seeded_and_disjoint() -> None:
    log = clicks_from_tuples(generate(200, 100, 3000, seed=4))
    first, again, other = (
        split_random(log, seed=1),
        split_random(log, seed=1),
        split_random(log, seed=2),
    )
    assert first.test == again.test
    assert first.test != other.test
    train: dict[int, set[int]] = {}
    for u, i in zip(first.train.users.tolist(), first.train.items.tolist(), strict=True):
        train.setdefault(u, set()).add(i)
    sizes = {
        u: len(train.get(u, set())) + len(first.test.get(u, set())) for u in range(log.n_users)
    }
    for user, held in first.test.items():
        assert not held & train[user]
        assert len(held) == max(1, min(round(sizes[user] * 0.2), sizes[user] - 1))
    assert all(sizes[u] >= 2 for u in first.test)
    assert first.train.n_clicks + sum(map(len, first.test.values())) == log.n_clicks


def test_evaluate_popularity_by_hand() -> None:
    # Leave-last-out on small_log: train u1 {a, b}, u2 {a}, u3 {b, c}; popularity a=2, b=2, c=1.
    # u1 gets [c] (hit), u2 [b, c] (hit at rank 1), u3 [a] (misses d, which train never saw).
    result = evaluate(small_log(), "last", algorithms=["popularity"])
    m = result.algorithms["popularity"]
    assert m.users == 3
    assert m.precision == pytest.approx(2 / 10 / 3)
    assert m.recall == pytest.approx(2 / 3)
    assert m.ndcg == pytest.approx(2 / 3)
    assert m.hit_rate == pytest.approx(2 / 3)
    assert m.coverage == pytest.approx(3 / 4)


def test_item_cf_beats_popularity_on_clustered_clicks() -> None:
    log = clicks_from_tuples(generate(800, 400, 16_000, seed=7))
    for protocol in ("random", "last"):
        result = evaluate(log, protocol, seed=3)
        ndcg = {name: m.ndcg for name, m in result.algorithms.items()}
        assert ndcg["item-cf"] > 1.5 * ndcg["popularity"], ndcg
        assert ndcg["user-cf"] > ndcg["popularity"], ndcg
        assert ndcg["blend"] > ndcg["popularity"], ndcg
        coverage = {name: m.coverage for name, m in result.algorithms.items()}
        assert coverage["item-cf"] > coverage["popularity"]
        json.dumps(result.to_dict())
    table = format_table([result])
    assert "item-cf" in table and "NDCG@10" in table


def test_evaluate_refuses_unknown_algorithms() -> None:
    with pytest.raises(ValueError, match="unknown"):
        evaluate(small_log(), algorithms=["magic"])


def test_main_prints_a_table_or_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "clicks.csv"
    assert (
        clickgen_main(["--users", "120", "--jobs", "60", "--clicks", "1500", "--out", str(path)])
        == 0
    )
    assert main(["--clicks", str(path), "--protocol", "last"]) == 0
    table = capsys.readouterr().out
    assert "leave-last-out" in table and "popularity" in table and "blend" in table
    assert main(["--clicks", str(path), "--json", "--algorithms", "item-cf,popularity"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [r["protocol"] for r in payload["results"]] == ["random", "last"]
    assert set(payload["results"][0]["algorithms"]) == {"item-cf", "popularity"}
    assert payload["results"][0]["data"]["rows"] == 1500


def test_main_reports_unusable_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--clicks", str(tmp_path / "missing.csv")]) == 2
    empty = tmp_path / "empty.csv"
    empty.write_text("user,item,timestamp\n")
    assert main(["--clicks", str(empty)]) == 1
    assert "no valid clicks" in capsys.readouterr().err
    good = tmp_path / "good.csv"
    good.write_text("1,2,3\n1,3,4\n2,2,5\n")
    assert main(["--clicks", str(good), "--algorithms", "magic"]) == 2
    assert "unknown algorithms" in capsys.readouterr().err


def test_clickgen_is_reproducible_and_clustered() -> None:
    rows = generate(300, 200, 5000, seed=9)
    assert rows == generate(300, 200, 5000, seed=9)
    assert rows != generate(300, 200, 5000, seed=10)
    assert len(rows) == 5000
    assert all(1 <= u <= 300 and 1 <= j <= 200 for u, j, _ in rows)
    times = [t for _, _, t in rows]
    assert times == sorted(times)
    # Long tail: the top 10% of jobs take a large share of the clicks.
    counts = sorted((sum(1 for _, j, _ in rows if j == job) for job in range(1, 201)), reverse=True)
    assert sum(counts[:20]) > 0.3 * len(rows)
    assert generate(5, 5, 0, seed=1) == []
    with pytest.raises(ValueError):
        generate(0, 5, 10)
