"""Watch a command's own network traffic with strace: every DNS query and every non-loopback address.

Used by the traffic tests (``tests/test_privacy.py``, the live app's server test). A command runs under
``strace -f`` (all its threads and child processes), tracing the socket calls that can carry traffic:
``connect``, ``sendto``, ``sendmsg``, ``sendmmsg``. The log is then read for

- DNS queries: any call to port 53 (whatever the address: a local stub such as systemd-resolved's
  127.0.0.53 forwards the name to the world), and any sent payload that parses as a DNS question (the name
  is decoded and reported);
- resolver daemons reached over a Unix socket (nscd, systemd-resolved's varlink socket), which resolve on
  the caller's behalf;
- connections or datagrams to an IP address outside 127.0.0.0/8 and ::1.

A call that failed still counts: it shows the intent to reach the outside.

API::

    result = run_watched(["formcheck", "analyze", ...], timeout=300)
    assert result.traffic.clean, result.traffic.describe()

    # or, for a server started by the test itself:
    proc = subprocess.Popen([*strace_prefix(log), *cmd]); ...; traffic = parse_log(log.read_text())
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: Syscalls traced: the ones that send or connect.
TRACED = ("connect", "sendto", "sendmsg", "sendmmsg")

#: Unix sockets through which a name can be resolved by a daemon on the caller's behalf.
RESOLVER_SOCKETS = (
    "/var/run/nscd/socket",
    "/run/nscd/socket",
    "/run/systemd/resolve/io.systemd.Resolve",
    "/run/systemd/resolve/io.systemd.Resolve.Monitor",
    "/var/run/dbus/system_bus_socket",
    "/run/dbus/system_bus_socket",
)

_CALL = re.compile(
    r"^(?P<pid>\d+)\s+(?:\d[\d:.]*\s+)?(?P<name>connect|sendto|sendmsg|sendmmsg)\((?P<rest>.*)$"
)
_INET4 = re.compile(
    r'sa_family=AF_INET, sin_port=htons\((?P<port>\d+)\), sin_addr=inet_addr\("(?P<addr>[^"]+)"\)'
)
_INET6 = re.compile(
    r'sa_family=AF_INET6, sin6_port=htons\((?P<port>\d+)\).*?inet_pton\(AF_INET6, "(?P<addr>[^"]+)"'
)
_UNIX = re.compile(r'sa_family=AF_UNIX, sun_path=@?"(?P<path>[^"]*)"')
_FD = re.compile(r"^\d+<(?P<proto>[A-Za-z0-9]+):\[(?P<ends>.*?)\]>")
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
_ESCAPES = {"n": 10, "t": 9, "r": 13, "v": 11, "f": 12, "\\": 92, '"': 34}


@dataclass(frozen=True)
class Traffic:
    """What a traced run tried to reach.

    Attributes:
        dns_names: names asked in DNS queries (decoded from the payloads), in order, without duplicates.
        dns_servers: ``addr:port`` of every DNS destination (port 53) contacted.
        resolver_sockets: resolver daemons' Unix sockets the run connected to (or tried to).
        outside: ``addr:port`` of every destination outside 127.0.0.0/8 and ::1.
        calls: the number of traced calls read (a sanity figure: a working trace has some).
    """

    dns_names: tuple[str, ...] = ()
    dns_servers: tuple[str, ...] = ()
    resolver_sockets: tuple[str, ...] = ()
    outside: tuple[str, ...] = ()
    calls: int = 0

    @property
    def clean(self) -> bool:
        """No DNS query, no resolver daemon, no address outside loopback."""
        return not (self.dns_names or self.dns_servers or self.resolver_sockets or self.outside)

    def describe(self) -> str:
        """One line naming what was reached (for assertion messages)."""
        parts = [
            f"{label}: {', '.join(items)}"
            for label, items in (
                ("DNS names", self.dns_names),
                ("DNS servers", self.dns_servers),
                ("resolver sockets", self.resolver_sockets),
                ("outside addresses", self.outside),
            )
            if items
        ]
        return "; ".join(parts) if parts else f"no outside traffic ({self.calls} traced calls)"


@dataclass(frozen=True)
class WatchedRun:
    """A finished traced command."""

    returncode: int
    stdout: str
    stderr: str
    traffic: Traffic
    log: Path = field(repr=False)


def is_loopback(addr: str) -> bool:
    """Whether an IP address is loopback (127.0.0.0/8, ::1, or IPv4-mapped 127.x); False for non-IPs."""
    try:
        ip = ipaddress.ip_address(addr.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def _unescape(text: str) -> bytes:
    """Bytes of a C-escaped strace string (``\\xHH``, octal ``\\NNN``, ``\\n`` ...)."""
    out = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "\\" or i + 1 >= len(text):
            out += ch.encode("latin-1", "replace")
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "x":
            out.append(int(text[i + 2 : i + 4], 16))
            i += 4
        elif nxt.isdigit():
            j = i + 1
            while j < len(text) and j < i + 4 and text[j] in "01234567":
                j += 1
            out.append(int(text[i + 1 : j], 8) & 0xFF)
            i = j
        else:
            out.append(_ESCAPES.get(nxt, ord(nxt)))
            i += 2
    return bytes(out)


def dns_question(payload: bytes) -> str | None:
    """The name asked by a DNS query message (UDP payload, or TCP with its 2-byte length), else None.

    Strict, so that other binary data is not mistaken for a query: a standard query (QR 0, opcode 0) with
    exactly one question, no answer or authority records, at most one additional record (EDNS), printable
    labels, and class IN or ANY.
    """
    for start in (0, 2):
        msg = payload[start:]
        if len(msg) < 17 or msg[2] & 0xF8:
            continue  # too short, a response, or not a standard query
        qd, an, ns, ar = (int.from_bytes(msg[k : k + 2], "big") for k in (4, 6, 8, 10))
        if (qd, an, ns) != (1, 0, 0) or ar > 1:
            continue
        labels: list[str] = []
        i = 12
        while i < len(msg) and msg[i] != 0:
            n = msg[i]
            label = msg[i + 1 : i + 1 + n]
            if n > 63 or len(label) < n or not all(33 <= c < 127 for c in label):
                labels = []
                break
            labels.append(label.decode("ascii"))
            i += 1 + n
        if not labels or i + 5 > len(msg):
            continue
        qclass = int.from_bytes(msg[i + 3 : i + 5], "big")
        rest = len(msg) - (i + 5)
        if qclass in (1, 255) and (rest == 0 if ar == 0 else rest >= 11):
            return ".".join(labels)
    return None


def _may_carry_dns(rest: str) -> bool:
    """Whether a send call's payload could be DNS: a UDP socket, a port-53 destination, or a TCP socket
    whose peer is port 53 (needs ``strace -yy``; without fd details every payload is checked)."""
    if "htons(53)" in rest:
        return True
    fd = _FD.match(rest)
    if fd is None:
        return True
    proto, ends = fd.group("proto"), fd.group("ends")
    return proto.startswith("UDP") or (proto.startswith("TCP") and ends.endswith(":53"))


def parse_log(text: str) -> Traffic:
    """Read an ``strace -f`` log (as written by :func:`strace_prefix`) into a :class:`Traffic`."""
    names: dict[str, None] = {}
    servers: dict[str, None] = {}
    resolvers: dict[str, None] = {}
    outside: dict[str, None] = {}
    calls = 0
    for line in text.splitlines():
        m = _CALL.match(line)
        if m is None:
            continue
        calls += 1
        rest = m.group("rest")
        for pat in (_INET4, _INET6):
            for a in pat.finditer(rest):
                addr = _unescape(a.group("addr")).decode("ascii", "replace")
                port = int(a.group("port"))
                dest = f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"
                if port == 53:
                    servers[dest] = None
                if not is_loopback(addr):
                    outside[dest] = None
        for u in _UNIX.finditer(rest):
            path = _unescape(u.group("path")).decode("utf-8", "replace")
            if path in RESOLVER_SOCKETS:
                resolvers[path] = None
        if m.group("name") != "connect" and _may_carry_dns(rest):
            for s in _STRING.finditer(rest):
                name = dns_question(_unescape(s.group(1)))
                if name:
                    names[name] = None
    return Traffic(
        dns_names=tuple(names),
        dns_servers=tuple(servers),
        resolver_sockets=tuple(resolvers),
        outside=tuple(outside),
        calls=calls,
    )


def strace_available() -> bool:
    """Whether ``strace`` is installed."""
    return shutil.which("strace") is not None


def strace_prefix(log: Path) -> list[str]:
    """The ``strace`` arguments to put before a command so that :func:`parse_log` can read ``log``.

    ``-f`` follows every thread and child process; ``--seccomp-bpf`` stops only at the traced calls
    (much faster); ``-s 512 -xx`` prints payloads whole, hex-escaped; ``-yy`` names each socket's protocol
    and ends, so that only payloads that can be DNS (UDP, or port 53) are decoded as DNS.
    """
    strace = shutil.which("strace") or "strace"
    return [
        strace, "-f", "--seccomp-bpf", "-qq", "-yy", "-s", "512", "-xx",
        "-e", f"trace={','.join(TRACED)}", "-e", "signal=none", "-o", str(log),
    ]  # fmt: skip


def run_watched(
    cmd: Sequence[str],
    *,
    timeout: float,
    env: dict[str, str] | None = None,
    cwd: str | Path | None = None,
    log: Path | None = None,
) -> WatchedRun:
    """Run ``cmd`` to completion under strace and return its output and what it tried to reach.

    Args:
        cmd: the command and its arguments.
        timeout: seconds before the run is killed (``subprocess.TimeoutExpired`` is raised).
        env: environment for the command (default: inherited).
        cwd: working directory.
        log: where to keep the strace log (default: a temporary file).
    """
    if log is None:
        log = Path(tempfile.mkdtemp(prefix="netwatch-")) / "strace.log"
    proc = subprocess.run(
        [*strace_prefix(log), *cmd],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=cwd,
        check=False,
    )
    text = log.read_text(errors="replace") if log.exists() else ""
    return WatchedRun(proc.returncode, proc.stdout, proc.stderr, parse_log(text), log)
