"""Outbound mail and text messages, sent as background work from the ``mail`` work queue."""
