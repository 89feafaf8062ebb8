"""A three-node RabbitMQ cluster of private nodes (never the machine's broker on 5672)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.faults.broker_node import BrokerNode, new_cookie, rabbitmq_installed


@pytest.fixture(scope="session")
def rabbit_cluster() -> Iterator[list[BrokerNode]]:
    """Three nodes joined into one cluster, stopped (directories removed) at the end."""
    if not rabbitmq_installed():
        if os.environ.get("CI"):
            pytest.fail("rabbitmq-server is not installed: cluster tests must run in CI")
        pytest.skip("rabbitmq-server is not installed")
    cookie = new_cookie()
    nodes = [BrokerNode(cookie=cookie) for _ in range(3)]
    try:
        for node in nodes:
            node.start()
        for node in nodes[1:]:
            node.join_cluster(nodes[0])
        yield nodes
    finally:
        for node in nodes:
            node.stop()


@pytest.fixture
def cluster(rabbit_cluster: list[BrokerNode]) -> list[BrokerNode]:
    """The cluster with every node up (an earlier test may have killed one)."""
    for node in rabbit_cluster:
        node.ensure_running()
    return rabbit_cluster
