"""Live: the websocket endpoint, its protocol, and the per-process hub that routes events."""
