"""Runnable scripts for the RabbitMQ consumer processes, from a checkout (not in the wheel).

Wiring only: the logic is ``portal.consumer``, which ``portal consumer <name>`` runs.
"""
