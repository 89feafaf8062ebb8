"""The ASGI entry point for Hypercorn workers: ``portal.asgi:app``."""

from portal.app import create_app

app = create_app()
