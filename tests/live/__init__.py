"""Tests of the live channel: the websocket protocol, the hub and the /ws endpoint."""
