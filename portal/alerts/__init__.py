"""Job alerts: saved keyword searches, matched once per published job, and the inbox."""
