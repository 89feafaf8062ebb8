"""Events: the outbox and event log every live update goes through."""
