"""Fixtures for tests that cross the real RabbitMQ broker."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest

AMQP_URL = os.environ.get("PORTAL_TEST_AMQP_URL")


@pytest.fixture
async def amqp_prefix() -> AsyncIterator[str]:
    """A unique exchange/queue prefix for this test, deleted from the broker afterwards."""
    if not AMQP_URL:
        if os.environ.get("CI"):
            pytest.fail("PORTAL_TEST_AMQP_URL is not set: broker tests must run in CI")
        pytest.skip("PORTAL_TEST_AMQP_URL is not set")
    import aio_pika

    prefix = f"test-{uuid.uuid4().hex[:12]}"
    yield prefix
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        await channel.exchange_delete(f"{prefix}.events")
        for purpose in ("clicks", "media", "mail"):
            channel = await connection.channel()
            await channel.queue_delete(f"{prefix}.{purpose}")
