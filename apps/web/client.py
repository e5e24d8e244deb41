"""Which computer a request comes from, for counting wrong passwords per address.

The address is the connection's own (the TCP peer), never a header a browser can write. Behind a
reverse proxy (nginx on the same machine, a government gateway) every connection comes from the
proxy, so the operator names the proxies in MINSHENG_TRUSTED_PROXIES (addresses or networks,
separated by commas, e.g. `127.0.0.1, 10.0.0.0/8`): only when the connection comes from one of
them is `X-Forwarded-For` read, from its right end, skipping the trusted proxies, and the first
address not trusted is the client's. A header sent straight to the app is ignored. Without the
setting, a connection from this machine has no address of its own (all would share one count).
"""
from __future__ import annotations

import ipaddress
import os
from typing import Iterable

TRUSTED_PROXIES = "MINSHENG_TRUSTED_PROXIES"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ProxySettingError(ValueError):
    """MINSHENG_TRUSTED_PROXIES names something that is not an address or a network."""


def trusted_networks(setting: str | None = None) -> list[Network]:
    text = os.environ.get(TRUSTED_PROXIES, "") if setting is None else setting
    networks = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ProxySettingError(f"{TRUSTED_PROXIES}: '{part}' is not an address or a network "
                                    f"(write e.g. 127.0.0.1, 10.0.0.0/8)") from None
    return networks


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def client_of(peer: str | None, forwarded_for: Iterable[str], trusted: list[Network]) -> str:
    """The client's address ('' when it cannot be told): `peer` is the connection's address
    (None from this machine), `forwarded_for` the X-Forwarded-For headers in the order received."""
    own = _address(peer) if peer else ipaddress.ip_address("127.0.0.1")
    if own is None:
        return ""
    if not any(own in network for network in trusted):
        return "" if own.is_loopback else str(own)
    hops = [h for header in forwarded_for for h in header.split(",") if h.strip()]
    for hop in reversed(hops):  # the last hop was added by our own proxy; earlier ones by whoever sent it
        address = _address(hop)
        if address is None:
            return ""  # a hop that is no address: nothing after it can be believed
        if not any(address in network for network in trusted):
            return str(address)
    if not hops:
        return "" if own.is_loopback else str(own)
    return str(_address(hops[0]))  # every hop is a trusted proxy: the first one's client
