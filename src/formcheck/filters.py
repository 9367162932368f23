"""Smoothing that respects gaps: causal one-euro (live) and zero-phase Gaussian (offline).

Frames without a pose are NaN; neither filter smears values into a gap or across one: each run of valid
frames is smoothed on its own, and gaps stay NaN.
"""

from __future__ import annotations

import math

import numpy as np


def nan_runs(valid: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` index pairs of the runs of True in a 1-D boolean array."""
    v = np.concatenate([[False], np.asarray(valid, bool), [False]])
    d = np.diff(v.astype(np.int8))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True))


def zero_phase(x: np.ndarray, fps: float, sigma_s: float = 0.05) -> np.ndarray:
    """Zero-phase Gaussian smoothing along axis 0, run by run between NaN gaps.

    Args:
        x: ``(T, ...)`` samples; a frame is a gap when any of its values is NaN.
        fps: frames per second.
        sigma_s: Gaussian standard deviation in seconds (0.05 s keeps movements of ~3 Hz and faster
            jitter out).

    Returns:
        Smoothed array of the same shape; gaps stay NaN. Edges are handled by reflection.
    """
    a = np.asarray(x, dtype=np.float64)
    out = np.full_like(a, np.nan)
    flat = a.reshape(a.shape[0], -1)
    valid = np.all(np.isfinite(flat), axis=1)
    sigma = max(sigma_s * fps, 1e-6)
    half = math.ceil(3 * sigma)
    k = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma) ** 2)
    k /= k.sum()
    of = out.reshape(a.shape[0], -1)
    for s, e in nan_runs(valid):
        seg = flat[s:e]
        if e - s < 3 or half == 0:
            of[s:e] = seg
            continue
        pad = min(half, e - s - 1)
        padded = np.concatenate([seg[pad:0:-1], seg, seg[-2 : -pad - 2 : -1]], axis=0)
        kk = k if pad == half else k[half - pad : half + pad + 1] / k[half - pad : half + pad + 1].sum()
        sm = np.apply_along_axis(lambda c, kk=kk: np.convolve(c, kk, mode="valid"), 0, padded)
        of[s:e] = sm
    return out


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

    @staticmethod
    def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
        tau = 1.0 / (2 * math.pi * np.asarray(cutoff))
        return 1.0 / (1.0 + tau / dt)

    def reset(self) -> None:
        """Forget the past."""
        self._x = self._dx = self._t = None

    def __call__(self, t_s: float, x: np.ndarray) -> np.ndarray:
        """Filter one sample taken at ``t_s`` seconds; NaN channels pass through as NaN."""
        x = np.asarray(x, dtype=np.float64)
        if not np.all(np.isfinite(x)):
            if self._t is not None and t_s - self._t > self.max_gap_s:
                self.reset()
            return x.copy()
        if self._x is None or self._t is None or t_s - self._t > self.max_gap_s or t_s <= self._t:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t_s
            return x.copy()
        dt = t_s - self._t
        dx = (x - self._x) / dt
        assert self._dx is not None
        self._dx = self._dx + self._alpha(self.d_cutoff, dt) * (dx - self._dx)
        cutoff = self.min_cutoff + self.beta * np.abs(self._dx)
        self._x = self._x + self._alpha(cutoff, dt) * (x - self._x)
        self._t = t_s
        return self._x.copy()
