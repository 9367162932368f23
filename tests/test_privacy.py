"""No byte leaves the machine: the CLI's own DNS queries and connections, watched with strace.

MediaPipe's built-in usage logger (Clearcut, in ``libmediapipe.so`` since 0.10.35) resolves and posts to
``play.googleapis.com``. ``formcheck.pose.netguard`` refuses sockets to the thread that runs MediaPipe.
These tests run the real commands under ``strace -f`` (every thread and child process) and fail on any DNS
query, any resolver daemon contacted, or any address outside 127.0.0.0/8 and ::1 (see ``tests/netwatch.py``).
A control run with the guard switched off shows that the watch does see the logger.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
from pathlib import Path

import pytest
from conftest import DATA, need_shared
from netwatch import dns_question, is_loopback, parse_log, run_watched, strace_available

from formcheck.pose import netguard

CLIP = DATA / "clips" / "physioplus_bridging.mp4"
#: A shared clip long enough (>= 300 frames) for analyze to use its worker processes; lifting: with mask.
LONG_CLIP = ("clips", "lifting", "bichraix_good008.mp4")
LOGGER_HOST = "play.googleapis.com"


def _need_strace() -> None:
    if strace_available():
        return
    msg = "needs strace (make test installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(msg)
    pytest.skip(msg)


def _need_guard() -> None:
    reason = netguard.unsupported_reason()
    if reason is not None:
        pytest.skip(reason)


def _formcheck(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "formcheck.cli", *map(str, args)]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in (netguard.ENV_SWITCH, "FORMCHECK_DEBUG")}
    return {**env, **extra}


def _socket_error(family: int) -> str | None:
    """Try to open a socket of ``family``; the error's name, or None when it opened."""
    try:
        socket.socket(family, socket.SOCK_DGRAM).close()
    except OSError as e:
        return type(e).__name__
    return None


# --- the guard itself --------------------------------------------------------------------------------


def test_netless_thread_refuses_every_socket_but_the_process_keeps_its_own() -> None:
    _need_guard()
    t = netguard.NetlessThread()
    try:
        assert t.guarded, t.reason
        assert t.call(_socket_error, socket.AF_INET) == "PermissionError"
        assert t.call(_socket_error, socket.AF_INET6) == "PermissionError"
        assert t.call(_socket_error, socket.AF_UNIX) == "PermissionError"  # nscd / resolved sockets too
        assert _socket_error(socket.AF_INET) is None  # the rest of the process is untouched
    finally:
        t.shutdown()


def test_threads_started_from_the_netless_thread_inherit_the_filter() -> None:
    _need_guard()
    t = netguard.NetlessThread()

    def from_a_child_thread() -> str | None:
        out: list[str | None] = []
        th = threading.Thread(target=lambda: out.append(_socket_error(socket.AF_INET)))
        th.start()
        th.join()
        return out[0]

    try:
        assert t.call(from_a_child_thread) == "PermissionError"
    finally:
        t.shutdown()


def test_netless_thread_runs_unguarded_when_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(netguard.ENV_SWITCH, "off")
    t = netguard.NetlessThread()
    try:
        assert not t.guarded
        assert netguard.ENV_SWITCH in (t.reason or "")
        assert t.call(_socket_error, socket.AF_INET) is None
    finally:
        t.shutdown()


def test_call_reraises_the_function_s_exception() -> None:
    t = netguard.NetlessThread()
    try:
        with pytest.raises(ZeroDivisionError):
            t.call(lambda: 1 / 0)
    finally:
        t.shutdown()


# --- the watcher's parser ----------------------------------------------------------------------------


def test_parse_log_finds_dns_names_servers_resolvers_and_outside_addresses() -> None:
    header = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
    query = header + b"\x04play\x0agoogleapis\x03com\x00\x00\x01\x00\x01"
    hexed = "".join(f"\\x{b:02x}" for b in query)
    log = "\n".join([
        '10 connect(7, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT',
        '10 connect(7, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.53")}, 16) = 0',
        f'10 sendmmsg(7, [{{msg_hdr={{msg_iov=[{{iov_base="{hexed}", iov_len=37}}]}}}}], 1, 0) = 1',
        '11 connect(8, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), '
        'inet_pton(AF_INET6, "2a00:1450::1", &sin6_addr), sin6_scope_id=0}, 28 <unfinished ...>',
        '12 connect(9, {sa_family=AF_INET, sin_port=htons(8501), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
        '12 connect(9, {sa_family=AF_UNIX, sun_path="/tmp/pymp-x/listener"}, 110) = 0',
    ])
    traffic = parse_log(log)
    assert traffic.dns_names == (LOGGER_HOST,)
    assert traffic.dns_servers == ("10.0.0.53:53",)
    assert traffic.resolver_sockets == ("/var/run/nscd/socket",)
    assert traffic.outside == ("10.0.0.53:53", "[2a00:1450::1]:443")
    assert not traffic.clean
    assert parse_log(log.splitlines()[-1]).clean  # loopback and private Unix sockets are fine


def test_a_dns_query_on_loopback_still_counts() -> None:
    """A local stub resolver (systemd-resolved on 127.0.0.53) forwards the name to the world."""
    log = (
        '5 sendto(3, "x", 1, 0, {sa_family=AF_INET, sin_port=htons(53), '
        'sin_addr=inet_addr("127.0.0.53")}, 16) = 1'
    )
    traffic = parse_log(log)
    assert traffic.dns_servers == ("127.0.0.53:53",)
    assert traffic.outside == ()
    assert not traffic.clean


@pytest.mark.parametrize(
    ("addr", "loopback"),
    [("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("::ffff:127.0.0.1", True),
     ("10.255.255.53", False), ("::ffff:8.8.8.8", False), ("2a00:1450::1", False), ("not-an-ip", False)],
)
def test_is_loopback(addr: str, loopback: bool) -> None:
    assert is_loopback(addr) is loopback


def test_only_payloads_that_can_be_dns_are_decoded() -> None:
    """A DNS-shaped payload over a loopback TCP connection (a websocket frame) is not a query; over UDP,
    or to a TCP peer on port 53, it is (socket details as ``strace -yy`` prints them)."""
    query = b"\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x01a\x02bc\x00\x00\x01\x00\x01"
    hexed = "".join(f"\\x{b:02x}" for b in query)
    tcp = f'9 sendto(5<TCP:[127.0.0.1:53752->127.0.0.1:8501]>, "{hexed}", 21, 0, NULL, 0) = 21'
    tcp53 = f'9 sendto(5<TCPv6:[[::1]:53752->[::1]:53]>, "{hexed}", 21, 0, NULL, 0) = 21'
    udp = f'9 sendto(3<UDP:[0.0.0.0:37424]>, "{hexed}", 21, 0, NULL, 0) = 21'
    assert parse_log(tcp).dns_names == ()
    assert parse_log(tcp53).dns_names == ("a.bc",)
    assert parse_log(udp).dns_names == ("a.bc",)


def test_dns_question_ignores_responses_and_junk() -> None:
    query = b"\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x01a\x02bc\x00\x00\x01\x00\x01"
    assert dns_question(query) == "a.bc"
    assert dns_question(len(query).to_bytes(2, "big") + query) == "a.bc"  # over TCP
    response = query[:2] + b"\x81\x80" + query[4:]
    assert dns_question(response) is None
    assert dns_question(b"GET / HTTP/1.1\r\n\r\n") is None
    assert dns_question(query + b"trailing bytes") is None  # not a whole query
    two_questions = query[:4] + b"\x00\x02" + query[6:]
    assert dns_question(two_questions) is None


# --- the real commands under strace ------------------------------------------------------------------


@pytest.mark.model
def test_watch_sees_mediapipe_s_logger_when_the_guard_is_off(tmp_path: Path) -> None:
    """Control: without the guard the same run asks DNS for the logger's host, and the watch says so."""
    _need_strace()
    run = run_watched(
        _formcheck("analyze", CLIP, "--exercise", "bridge"),
        timeout=600, env=_env(**{netguard.ENV_SWITCH: "off"}), log=tmp_path / "strace.log",
    )
    assert run.returncode == 0, run.stderr
    assert LOGGER_HOST in run.traffic.dns_names, run.traffic.describe()
    assert not run.traffic.clean


@pytest.mark.model
def test_analyze_makes_no_outside_traffic(tmp_path: Path) -> None:
    _need_strace()
    _need_guard()
    run = run_watched(
        _formcheck("analyze", CLIP, "--exercise", "bridge", "--out", tmp_path / "out"),
        timeout=600, env=_env(), log=tmp_path / "strace.log",
    )
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "out" / "result.json").is_file()
    assert run.traffic.clean, run.traffic.describe()


@pytest.mark.model
def test_analyze_with_worker_processes_makes_no_outside_traffic(tmp_path: Path) -> None:
    _need_strace()
    _need_guard()
    from formcheck.analysis.analyze import PARALLEL_MIN_FRAMES
    from formcheck.pose.video import probe

    clip = need_shared(*LONG_CLIP)
    assert probe(clip).frames >= PARALLEL_MIN_FRAMES  # so the pose pass really uses a worker process
    run = run_watched(
        _formcheck("analyze", clip, "--exercise", "lifting", "--json"),
        timeout=900, env=_env(), log=tmp_path / "strace.log",
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["frames_with_pose"] > 0
    assert run.traffic.clean, run.traffic.describe()


@pytest.mark.model
def test_evaluate_makes_no_outside_traffic(tmp_path: Path) -> None:
    _need_strace()
    _need_guard()
    labels = tmp_path / "labels.json"
    clips = [{"file": str(CLIP), "exercise": "bridge", "reps": 1, "confidence": "high"}]
    labels.write_text(json.dumps({"clips": clips}), encoding="utf-8")
    run = run_watched(
        _formcheck("evaluate", labels, "--json"), timeout=600, env=_env(), log=tmp_path / "strace.log"
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["clips"][0].get("got") is not None
    assert run.traffic.clean, run.traffic.describe()
