"""Smoothing: gaps stay gaps, noise goes down, zero-phase keeps peaks in place."""

from __future__ import annotations

import numpy as np

from formcheck.core.filters import OneEuro, nan_runs, zero_phase


def test_nan_runs():
    assert nan_runs(np.array([1, 1, 0, 1, 0, 0, 1], bool)) == [(0, 2), (3, 4), (6, 7)]
    assert nan_runs(np.zeros(3, bool)) == []


def test_zero_phase_keeps_gaps_and_peak_position():
    fps = 30.0
    t = np.arange(300) / fps
    clean = np.sin(2 * np.pi * 0.5 * t)
    rng = np.random.default_rng(0)
    x = clean + rng.normal(0, 0.05, t.size)
    x[100:110] = np.nan
    y = zero_phase(x, fps, 0.05)
    assert np.all(np.isnan(y[100:110]))
    assert np.all(np.isfinite(y[:100])) and np.all(np.isfinite(y[110:]))
    ok = np.isfinite(x)
    assert np.std((y - clean)[ok]) < 0.6 * np.std((x - clean)[ok])
    # no lag: the peak of the smoothed sine stays where the true peak is (t = 0.5 s + k * 2 s)
    seg = slice(110, 300)
    assert abs(np.argmax(y[seg]) - np.argmax(clean[seg])) <= 1


def test_zero_phase_multichannel_and_short_runs():
    x = np.ones((5, 2, 3))
    x[2] = np.nan
    y = zero_phase(x, 30.0)
    assert y.shape == x.shape
    np.testing.assert_allclose(y[[0, 1, 3, 4]], 1.0)
    assert np.isnan(y[2]).all()


def test_one_euro_reduces_jitter_and_follows_moves():
    f = OneEuro(min_cutoff=1.0, beta=0.0)
    rng = np.random.default_rng(1)
    out = [f(i / 30, np.array([1.0 + rng.normal(0, 0.05)]))[0] for i in range(90)]
    assert np.std(out[30:]) < 0.5 * 0.05
    g = OneEuro(min_cutoff=1.0, beta=5.0)
    ys = [g(i / 30, np.array([0.0 if i < 30 else 1.0]))[0] for i in range(60)]
    assert ys[-1] > 0.95  # catches up after a step


def test_one_euro_passes_gaps_and_restarts():
    f = OneEuro(max_gap_s=0.2)
    assert f(0.0, np.array([1.0]))[0] == 1.0
    assert np.isnan(f(0.033, np.array([np.nan]))[0])
    # after a long gap the first value is taken as is, not blended with the stale state
    assert f(1.0, np.array([5.0]))[0] == 5.0


def test_zero_phase_gap_in_one_channel_leaves_the_others_whole():
    x = np.tile(np.linspace(0, 1, 60)[:, None], (1, 3))
    x[20:30, 1] = np.nan
    y = zero_phase(x, 30.0)
    assert np.isnan(y[20:30, 1]).all()
    assert np.isfinite(y[:, [0, 2]]).all()
    np.testing.assert_allclose(y[5:15, 0], x[5:15, 0], atol=1e-9)  # a straight line stays straight


def test_one_euro_channels_are_independent():
    f = OneEuro(max_gap_s=0.2)
    f(0.0, np.array([1.0, 2.0]))
    out = f(0.033, np.array([np.nan, 2.0]))
    assert np.isnan(out[0]) and out[1] == 2.0
    assert f(0.066, np.array([1.0, 2.0]))[0] == 1.0  # short gap: channel 0 continues from its state
