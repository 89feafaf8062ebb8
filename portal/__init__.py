"""Portal: a real-time job portal."""

from portal.app import create_app

__all__ = ["create_app"]
