"""Whether the server settings keep everything on this computer (pure; the page refuses to run otherwise)."""

from __future__ import annotations

import ipaddress


def runs_local_only(address: str | None, gather_usage_stats: object) -> bool:
    """Whether the server settings keep everything on this computer.

    The server must listen on a loopback address only (``127.x.x.x``, ``localhost``, ``::1``; no address
    means every network interface) and Streamlit must not send usage statistics.
    """
    if gather_usage_stats is not False:
        return False
    host = (address or "").strip().strip("[]").lower()
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
