"""The one seam to other libraries' internals: Quart's request body, Hypercorn's transports,
aio-pika's connection attempts.

Everything in Portal that reaches past a library's public API lives in this package, was
written against the releases in :data:`portal.server.versions.TESTED` (which pyproject.toml
pins) and is checked when the app is built by :func:`install`:

- ``bodies``: streamed upload bodies with back-pressure. Uploads depend on it, so a Quart
  whose body state moved refuses to start.
- ``wire``: event frames written straight to websocket transports, and larger socket reads
  for uploads. Both are only faster, so on an untested release they are switched off, with a
  warning, and everything goes through Quart and Hypercorn's public paths.
- ``amqp``: a robust broker connection that moves to the next node of a cluster when its
  node dies (it steps on aio-pika's connection attempts; on an untested aio-pika it may stay
  with its node, and says so).

Nothing here decides what is sent: keepalive pings work without the fast path too
(portal.live.hub).
"""

from __future__ import annotations

import logging

from quart import Quart

from portal.server import wire
from portal.server.bodies import (
    BackPressureHTTPConnection,
    PortalRequest,
    check_body_internals,
    read_larger_socket_chunks,
)
from portal.server.versions import TESTED, untested

log = logging.getLogger(__name__)


def install(app: Quart) -> None:
    check_body_internals()
    app.request_class = PortalRequest
    app.asgi_http_class = BackPressureHTTPConnection
    drift = untested()
    if drift:
        found = ", ".join(f"{name} {release}" for name, release in sorted(drift.items()))
        wanted = ", ".join(f"{name} {TESTED[name]}.x" for name in sorted(drift))
        log.warning(
            "fast paths off: %s installed, tested with %s (see portal/server); live events "
            "and uploads go through Quart and Hypercorn's public paths, more slowly",
            found,
            wanted,
        )
        wire.set_enabled(False)
        return
    wire.set_enabled(True)
    read_larger_socket_chunks()
