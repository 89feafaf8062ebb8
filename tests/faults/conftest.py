"""Fixtures for fault tests: a private RabbitMQ node that tests may stop, kill and restart.

``broker_node`` is one node for the whole session (it takes seconds to start), handed to each
test up and accepting: whatever outage an earlier test left behind is undone first. Tests share
its vhost, so each one names its queues and exchanges uniquely.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.faults.broker_node import BrokerNode, rabbitmq_installed


@pytest.fixture(scope="session")
def broker_node_session() -> Iterator[BrokerNode]:
    """The session's private node, started once and stopped (directory removed) at the end."""
    if not rabbitmq_installed():
        if os.environ.get("CI"):
            pytest.fail("rabbitmq-server is not installed: fault tests must run in CI")
        pytest.skip("rabbitmq-server is not installed")
    # A node that is installed but fails to start is an error, in CI and everywhere else.
    with BrokerNode() as node:
        yield node


@pytest.fixture
def broker_node(broker_node_session: BrokerNode) -> BrokerNode:
    """The private node, running and accepting AMQP at ``broker_node.url``."""
    broker_node_session.ensure_running()
    return broker_node_session
