"""Counting a live Hub's subscribers in tests (the hub itself never needs to count them)."""

from __future__ import annotations

from portal.live.hub import Hub


def connection_count(hub: Hub) -> int:
    """Distinct subscribers, whatever channels they listen to."""
    return len({s for members in hub._channels.values() for s in members})


def subscriber_count(hub: Hub, channel: str) -> int:
    return len(hub._channels.get(channel, ()))
