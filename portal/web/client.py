"""The client's real address, honouring X-Forwarded-For only from trusted proxies."""

from __future__ import annotations

import ipaddress

from quart import request

from portal.config import get_settings


def client_address() -> str:
    peer = request.remote_addr or "unknown"
    networks = get_settings().trusted_proxy_networks
    if not networks or not _in(peer, networks):
        return peer
    # Walk the chain from the nearest hop; the first address we do not trust is the client.
    hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if not _in(hop, networks):
            return hop
    return peer


def _in(address: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)
