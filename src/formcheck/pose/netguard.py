"""Keep MediaPipe off the network: a thread whose socket calls are refused by the kernel.

MediaPipe wheels from 0.10.35 on (our pinned 1.2.2 included) carry a usage logger in ``libmediapipe.so``
that posts to ``play.googleapis.com`` from native threads the landmarker starts (DNS lookup and HTTPS,
mostly when a landmarker closes). The Python API has no switch for it.

This module installs a seccomp filter (Linux, x86-64 and arm64, via ``prctl``; no new dependency) on one
thread that then makes every MediaPipe call. A seccomp filter binds the calling thread and every thread
it creates afterwards, so the logger's threads, started by the landmarker from that thread, inherit it:
their ``socket()`` fails with ``EACCES`` and nothing is resolved or sent, not even through a local
resolver daemon (nscd, systemd-resolved), because no socket of any family can be opened. The rest of the
process (the app's own 127.0.0.1 server, multiprocessing pipes) is untouched.

``FORMCHECK_NETGUARD=off`` disables the guard; it exists only so that the traffic test can show that it
would catch the logger without the guard. Never set it in normal use.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

#: Environment switch: ``off`` disables the guard (for the traffic test's negative control only).
ENV_SWITCH = "FORMCHECK_NETGUARD"

# Linux ABI constants (linux/prctl.h, linux/seccomp.h, linux/filter.h, linux/audit.h).
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
_BPF_LD_W_ABS = 0x20
_BPF_JEQ_K = 0x15
_BPF_JGE_K = 0x35
_BPF_RET_K = 0x06
_OFFSET_NR = 0
_OFFSET_ARCH = 4
_X32_SYSCALL_BIT = 0x40000000

#: Per machine: (audit arch, refused syscall numbers: socket, io_uring_setup).
_ARCHES: dict[str, tuple[int, tuple[int, ...]]] = {
    "x86_64": (0xC000003E, (41, 425)),
    "aarch64": (0xC00000B7, (198, 425)),
}


class NetGuardError(OSError):
    """The network guard could not be installed on this thread."""


class _SockFilter(ctypes.Structure):
    _fields_ = (
        ("code", ctypes.c_ushort),
        ("jt", ctypes.c_ubyte),
        ("jf", ctypes.c_ubyte),
        ("k", ctypes.c_uint),
    )


class _SockFprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter)))


def disabled_by_env() -> bool:
    """Whether ``FORMCHECK_NETGUARD=off`` asks to run without the guard (traffic-test control only)."""
    return os.environ.get(ENV_SWITCH, "").strip().lower() in {"off", "0", "no", "false"}


def unsupported_reason() -> str | None:
    """Why the guard cannot work on this system, or ``None`` when it can."""
    if not sys.platform.startswith("linux"):
        return f"seccomp is Linux only (this is {sys.platform})"
    if platform.machine() not in _ARCHES:
        return f"no seccomp filter for the {platform.machine()} architecture"
    return None


def _program(arch: int, refused: tuple[int, ...]) -> list[tuple[int, int, int, int]]:
    """The BPF program: refuse ``refused`` syscalls (and any foreign-ABI call) with EACCES, allow the rest."""
    deny = _SECCOMP_RET_ERRNO | errno.EACCES
    prog: list[tuple[int, int, int, int]] = [(_BPF_LD_W_ABS, 0, 0, _OFFSET_ARCH)]
    n_checks = 1 + len(refused)  # x32 bit + each refused number
    # arch matches: go on; else jump to the final deny
    prog.append((_BPF_JEQ_K, 0, n_checks + 2, arch))
    prog.append((_BPF_LD_W_ABS, 0, 0, _OFFSET_NR))
    prog.append((_BPF_JGE_K, n_checks, 0, _X32_SYSCALL_BIT))
    for i, nr in enumerate(refused):
        prog.append((_BPF_JEQ_K, len(refused) - i, 0, nr))
    prog.append((_BPF_RET_K, 0, 0, _SECCOMP_RET_ALLOW))
    prog.append((_BPF_RET_K, 0, 0, deny))
    return prog


def deny_network_this_thread() -> None:
    """Refuse ``socket()`` (every family) and ``io_uring_setup()`` to this thread and its future threads.

    Irreversible for the thread. Other threads of the process keep full network access.

    Raises:
        NetGuardError: not Linux x86-64/arm64, or the kernel refused the filter.
    """
    reason = unsupported_reason()
    if reason is not None:
        raise NetGuardError(reason)
    arch, refused = _ARCHES[platform.machine()]
    rows = _program(arch, refused)
    filters = (_SockFilter * len(rows))(*(_SockFilter(*r) for r in rows))
    fprog = _SockFprog(len(rows), ctypes.cast(filters, ctypes.POINTER(_SockFilter)))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = (ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong)
    libc.prctl.restype = ctypes.c_int
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, None, 0, 0) != 0:
        err = ctypes.get_errno()
        raise NetGuardError(err, f"prctl(PR_SET_NO_NEW_PRIVS) failed: {os.strerror(err)}")
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0) != 0:
        err = ctypes.get_errno()
        raise NetGuardError(err, f"prctl(PR_SET_SECCOMP) failed: {os.strerror(err)}")


class NetlessThread:
    """One worker thread without network access; :meth:`call` runs a function on it and waits.

    Everything MediaPipe starts from this thread (its calculator and logger threads) inherits the filter.
    When the guard cannot be installed (not Linux, ``FORMCHECK_NETGUARD=off``) the thread still runs the
    calls, unguarded, and :attr:`guarded` says so: pose estimation never breaks because of the guard.
    """

    def __init__(self, name: str = "formcheck-pose") -> None:
        self.guarded = False
        self.reason: str | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._pool.submit(self._install).result()

    def _install(self) -> None:
        if disabled_by_env():
            self.reason = f"{ENV_SWITCH}=off"
            return
        try:
            deny_network_this_thread()
        except NetGuardError as e:
            self.reason = str(e)
            return
        self.guarded = True

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` on the guarded thread and return its result (exceptions re-raised)."""
        fut: Future[T] = self._pool.submit(fn, *args, **kwargs)
        return fut.result()

    def shutdown(self) -> None:
        """Stop the thread after the calls already queued (idempotent)."""
        self._pool.shutdown(wait=True)
