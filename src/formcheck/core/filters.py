"""Smoothing that respects gaps: causal one-euro (live) and zero-phase Gaussian (offline).

Frames without a pose are NaN; neither filter smears values into a gap or across one: each run of valid
frames is smoothed on its own, and gaps stay NaN.
"""

from __future__ import annotations

import math
import statistics
from collections import deque

import numpy as np


def nan_runs(valid: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` index pairs of the runs of True in a 1-D boolean array."""
    v = np.concatenate([[False], np.asarray(valid, bool), [False]])
    d = np.diff(v.astype(np.int8))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True))


def zero_phase(x: np.ndarray, fps: float, sigma_s: float = 0.05) -> np.ndarray:
    """Zero-phase Gaussian smoothing along axis 0, each channel run by run between its NaN gaps.

    Args:
        x: ``(T, ...)`` samples; NaN marks a gap in that channel.
        fps: frames per second.
        sigma_s: Gaussian standard deviation in seconds (0.05 s keeps movements of ~3 Hz and takes out
            frame-to-frame jitter).

    Returns:
        Smoothed array of the same shape; gaps stay NaN. Edges are handled by reflection.
    """
    a = np.asarray(x, dtype=np.float64)
    flat = a.reshape(a.shape[0], -1)
    out = np.full_like(flat, np.nan)
    sigma = max(sigma_s * fps, 1e-6)
    half = math.ceil(3 * sigma)
    k = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma) ** 2)
    k /= k.sum()
    finite = np.isfinite(flat)
    full_rows = np.all(finite, axis=1)
    # most frames have every channel or none: smooth those runs for all channels at once
    for s, e in nan_runs(full_rows):
        out[s:e] = _smooth_run(flat[s:e], k, half)
    partial = finite & ~full_rows[:, None]
    for c in np.flatnonzero(partial.any(axis=0)):
        col_valid = finite[:, c]
        for s, e in nan_runs(col_valid):
            if not full_rows[s:e].all():
                out[s:e, c] = _smooth_run(flat[s:e, c : c + 1], k, half)[:, 0]
    return out.reshape(a.shape)


def _smooth_run(seg: np.ndarray, k: np.ndarray, half: int) -> np.ndarray:
    """Gaussian-smooth a ``(n, C)`` run with reflected edges."""
    n = seg.shape[0]
    if n < 3 or half == 0:
        return seg.copy()
    pad = min(half, n - 1)
    kk = k if pad == half else k[half - pad : half + pad + 1] / k[half - pad : half + pad + 1].sum()
    padded = np.concatenate([seg[pad:0:-1], seg, seg[-2 : -pad - 2 : -1]], axis=0)
    # sliding window dot product, vectorised over channels
    windows = np.lib.stride_tricks.sliding_window_view(padded, kk.size, axis=0)
    return windows @ kk


class OneEuro:
    """Causal one-euro filter (Casiez et al. 2012) over an array of channels, NaN-gap aware.

    Low jitter at rest, little lag in fast moves: the cut-off frequency rises with the speed.

    Args:
        min_cutoff: cut-off at rest (Hz).
        beta: speed coefficient (higher = less lag in fast moves).
        d_cutoff: cut-off of the speed estimate (Hz).
        max_gap_s: after a gap (NaN input) longer than this, the filter restarts from the new value.
    """

    def __init__(
        self, min_cutoff: float = 1.5, beta: float = 0.5, d_cutoff: float = 1.0, max_gap_s: float = 0.3
    ) -> None:
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self.max_gap_s = max_gap_s
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None
        self._seen: np.ndarray | None = None

    @staticmethod
    def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
        tau = 1.0 / (2 * math.pi * np.asarray(cutoff))
        return 1.0 / (1.0 + tau / dt)

    def reset(self) -> None:
        """Forget the past."""
        self._x = self._dx = self._seen = None
        self._t = None

    def __call__(self, t_s: float, x: np.ndarray) -> np.ndarray:
        """Filter one sample taken at ``t_s`` seconds; NaN channels pass through as NaN."""
        x = np.asarray(x, dtype=np.float64)
        ok = np.isfinite(x)
        if self._x is None or self._t is None or self._seen is None or t_s <= self._t:
            self._x, self._dx = np.where(ok, x, np.nan), np.zeros_like(x)
            self._seen = np.where(ok, t_s, -np.inf)
            self._t = t_s
            return np.where(ok, x, np.nan)
        dt = t_s - self._t
        self._t = t_s
        stale = ok & (t_s - self._seen > self.max_gap_s)  # first value after a gap: take it as is
        fresh = ok & ~stale
        dx = np.where(fresh, (x - self._x) / np.maximum(t_s - self._seen, 1e-6), 0.0)
        dx_hat = self._dx + self._alpha(self.d_cutoff, dt) * (dx - self._dx)
        cutoff = self.min_cutoff + self.beta * np.abs(dx_hat)
        x_hat = self._x + self._alpha(cutoff, dt) * (x - self._x)
        self._x = np.where(fresh, x_hat, np.where(stale, x, self._x))
        self._dx = np.where(fresh, dx_hat, np.where(stale, 0.0, self._dx))
        self._seen = np.where(ok, t_s, self._seen)
        return np.where(ok, self._x, np.nan)


class RunningStat:
    """The maximum or the median of the values of the last ``window_s`` seconds, causally (NaN ignored).

    The same object serves the live path (one :meth:`update` per frame) and the offline path
    (:func:`running_stat` over a whole trace), so both read the same numbers.

    Args:
        window_s: window length in seconds (the current frame included).
        stat: ``max`` or ``median``.
    """

    def __init__(self, window_s: float, stat: str = "median") -> None:
        if stat not in ("max", "median"):
            raise ValueError(f"stat must be max or median, got {stat!r}")
        self.window_s = float(window_s)
        self.stat = stat
        self._items: deque[tuple[float, float]] = deque()

    def update(self, t_s: float, value: float) -> float:
        """Add the value at ``t_s`` (s); returns the statistic over the window (NaN if it holds none)."""
        items = self._items
        if math.isfinite(value):
            items.append((t_s, float(value)))
        while items and t_s - items[0][0] > self.window_s:
            items.popleft()
        if not items:
            return math.nan
        values = [v for _, v in items]
        return max(values) if self.stat == "max" else statistics.median(values)


def running_stat(values: np.ndarray, times: np.ndarray, window_s: float, stat: str = "median") -> np.ndarray:
    """:class:`RunningStat` over a whole series: ``(T,)`` values at ``(T,)`` times (s) -> ``(T,)``."""
    rs = RunningStat(window_s, stat)
    return np.array([rs.update(float(t), float(v)) for t, v in zip(times, values, strict=True)])
