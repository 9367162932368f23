"""Tests for formcheck.core.back on synthetic silhouettes drawn with cv2."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from formcheck.core.back import (
    LOW_BACK,
    PROFILE_S,
    back_curvature,
    back_curvature_series,
    back_measures,
    dorsal_profile,
    low_back_from_profile,
    low_back_hollow,
)
from formcheck.core.geometry import anterior, chirality_of
from formcheck.core.landmarks import Side, sided

W, H = 640, 480


def _figure(
    shoulder: tuple[float, float],
    hip: tuple[float, float],
    side: Side,
    bulge: float,
    size: tuple[int, int] = (W, H),
    scale: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """A trunk silhouette and its landmarks.

    ``shoulder``/``hip`` are in pixels of a ``(W, H)`` picture (``scale`` multiplies them and ``size`` for a
    higher-resolution drawing of the same figure). The dorsal contour lies ``0.25 L + bulge L sin(pi s)``
    behind the shoulder-hip line (s = 0 at the shoulder, 1 at the hip); the belly ``0.3 L`` in front. A head
    disc beyond the shoulder and a thigh beyond the hip make it look like a body.
    """
    w, h = int(size[0] * scale), int(size[1] * scale)
    sh = np.array(shoulder, dtype=np.float64) * scale
    hp = np.array(hip, dtype=np.float64) * scale
    trunk = float(np.linalg.norm(hp - sh))
    front = anterior(sh, hp, chirality_of(side))
    s = np.linspace(-0.1, 1.1, 121)
    base = sh + s[:, None] * (hp - sh)
    dors = 0.25 + bulge * np.sin(np.pi * np.clip(s, 0.0, 1.0))
    back_pts = base - (dors * trunk)[:, None] * front
    belly_pts = (base + 0.3 * trunk * front)[::-1]
    poly = np.round(np.concatenate([back_pts, belly_pts]) * 16).astype(np.int32)
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [poly], 255, lineType=cv2.LINE_AA, shift=4)
    axis = (sh - hp) / trunk
    head = sh + 0.35 * trunk * axis + 0.1 * trunk * front
    cv2.circle(mask, tuple(int(v) for v in np.round(head)), int(0.15 * trunk), 255, -1, cv2.LINE_AA)
    knee = hp + 0.9 * trunk * front
    cv2.line(mask, tuple(int(v) for v in hp), tuple(int(v) for v in knee), 255, int(0.3 * trunk), cv2.LINE_AA)
    lm = np.full((33, 4), np.nan)
    lm[:, 3] = 0.0
    for joint, p in (("shoulder", sh), ("hip", hp)):
        lm[sided(joint, side), :2] = p / [w, h]
        lm[sided(joint, side), 3] = 1.0
    return mask.astype(np.float32) / 255.0, lm


#: (shoulder, hip) in pixels for a person facing image-right when the right side faces the camera.
POSTURES = {
    "standing": ((320.0, 120.0), (320.0, 300.0)),
    "bent_forward": ((430.0, 230.0), (270.0, 180.0)),
    "all_fours": ((440.0, 220.0), (260.0, 215.0)),
    "lying": ((200.0, 380.0), (380.0, 385.0)),
}


def _mirror(p: tuple[float, float]) -> tuple[float, float]:
    return (W - p[0], p[1])


def _cases() -> list[tuple[str, Side, tuple[float, float], tuple[float, float]]]:
    out = []
    for name, (sh, hp) in POSTURES.items():
        out.append((name, Side.RIGHT, sh, hp))
        out.append((name, Side.LEFT, _mirror(sh), _mirror(hp)))
    return out


CASES = _cases()
IDS = [f"{c[0]}-{c[1].name}" for c in CASES]


@pytest.mark.parametrize(("name", "side", "sh", "hp"), CASES, ids=IDS)
def test_straight_trunk_is_near_zero(name: str, side: Side, sh: tuple, hp: tuple) -> None:
    mask, lm = _figure(sh, hp, side, 0.0)
    assert abs(back_curvature(mask, lm, side)) < 0.01


@pytest.mark.parametrize(("name", "side", "sh", "hp"), CASES, ids=IDS)
def test_rounded_back_is_positive(name: str, side: Side, sh: tuple, hp: tuple) -> None:
    mask, lm = _figure(sh, hp, side, 0.15)
    v = back_curvature(mask, lm, side)
    assert 0.07 < v < 0.13


@pytest.mark.parametrize(("name", "side", "sh", "hp"), CASES, ids=IDS)
def test_hollow_back_is_negative(name: str, side: Side, sh: tuple, hp: tuple) -> None:
    mask, lm = _figure(sh, hp, side, -0.12)
    v = back_curvature(mask, lm, side)
    assert -0.1 < v < -0.05


def test_hand_drawn_hunchback_facing_right() -> None:
    """Independent of geometry.anterior: right side to the camera = facing image-right, back on the left."""
    mask = np.zeros((H, W), np.float32)
    cv2.rectangle(mask, (275, 100), (380, 330), 1.0, -1)  # trunk, shoulder-hip line at x = 320
    cv2.ellipse(mask, (275, 200), (25, 60), 0, 0, 360, 1.0, -1)  # hump on the left = behind
    lm = np.full((33, 4), np.nan)
    lm[sided("shoulder", Side.RIGHT), :2] = (320 / W, 120 / H)
    lm[sided("hip", Side.RIGHT), :2] = (320 / W, 300 / H)
    assert back_curvature(mask, lm, Side.RIGHT) > 0.05
    # The same picture read as a left-side view puts the back on the flat right edge: no hump.
    lm_left = np.full((33, 4), np.nan)
    lm_left[sided("shoulder", Side.LEFT)] = lm[sided("shoulder", Side.RIGHT)]
    lm_left[sided("hip", Side.LEFT)] = lm[sided("hip", Side.RIGHT)]
    assert abs(back_curvature(mask, lm_left, Side.LEFT)) < 0.01


def test_mirrored_views_agree() -> None:
    for sh, hp in POSTURES.values():
        right = back_curvature(*_figure(sh, hp, Side.RIGHT, 0.1), Side.RIGHT)
        left = back_curvature(*_figure(_mirror(sh), _mirror(hp), Side.LEFT, 0.1), Side.LEFT)
        assert abs(right - left) < 0.005


def test_monotonic_in_bulge() -> None:
    sh, hp = POSTURES["all_fours"]
    bulges = (-0.12, -0.06, 0.0, 0.06, 0.12)
    vals = [back_curvature(*_figure(sh, hp, Side.RIGHT, b), Side.RIGHT) for b in bulges]
    assert np.all(np.diff(vals) > 0.02)


def test_resolution_and_dtype_invariance() -> None:
    sh, hp = POSTURES["bent_forward"]
    lo, lm = _figure(sh, hp, Side.RIGHT, 0.1, scale=0.5)
    hi, lm_hi = _figure(sh, hp, Side.RIGHT, 0.1, scale=2.0)
    np.testing.assert_allclose(lm, lm_hi)
    v_lo = back_curvature(lo, lm, Side.RIGHT)
    v_hi = back_curvature(hi, lm, Side.RIGHT)
    assert abs(v_lo - v_hi) < 0.01
    v_u8 = back_curvature(np.round(lo * 255).astype(np.uint8), lm, Side.RIGHT)
    assert abs(v_u8 - v_lo) < 1e-3


def test_threshold_changes_little_on_a_sharp_mask() -> None:
    sh, hp = POSTURES["standing"]
    mask, lm = _figure(sh, hp, Side.RIGHT, 0.1)
    vals = [back_curvature(mask, lm, Side.RIGHT, t) for t in (0.3, 0.5, 0.7)]
    assert np.ptp(vals) < 0.005


def test_profile_units() -> None:
    sh, hp = POSTURES["standing"]
    mask, lm = _figure(sh, hp, Side.RIGHT, 0.0)
    d, trunk = dorsal_profile(mask, lm, Side.RIGHT, s=np.array([0.3, 0.5, 0.7]))
    assert trunk == pytest.approx(180.0)
    np.testing.assert_allclose(d, 0.25, atol=0.01)


def test_missing_inputs_give_nan() -> None:
    sh, hp = POSTURES["standing"]
    mask, lm = _figure(sh, hp, Side.RIGHT, 0.1)
    assert np.isnan(back_curvature(np.zeros_like(mask), lm, Side.RIGHT))
    assert np.isnan(back_curvature(np.zeros((0, 0), np.float32), lm, Side.RIGHT))
    assert np.isnan(back_curvature(mask[None], lm, Side.RIGHT))
    assert np.isnan(back_curvature(mask, np.full((33, 4), np.nan), Side.RIGHT))
    bad = lm.copy()
    bad[sided("hip", Side.RIGHT), :2] = np.nan
    assert np.isnan(back_curvature(mask, bad, Side.RIGHT))
    # The other side's landmarks are NaN in the synthetic figure.
    assert np.isnan(back_curvature(mask, lm, Side.LEFT))
    tiny = lm.copy()
    tiny[sided("hip", Side.RIGHT), :2] = lm[sided("shoulder", Side.RIGHT), :2] + 0.005
    assert np.isnan(back_curvature(mask, tiny, Side.RIGHT))
    # The whole picture is "person": no dorsal edge is ever found.
    assert np.isnan(back_curvature(np.ones_like(mask), lm, Side.RIGHT))


def test_series_matches_per_frame() -> None:
    sh, hp = POSTURES["all_fours"]
    frames = [_figure(sh, hp, Side.RIGHT, b) for b in (-0.1, 0.0, 0.1)]
    masks = np.stack([m for m, _ in frames] + [np.zeros((H, W), np.float32)])
    lms = np.stack([lm for _, lm in frames] + [frames[0][1]])
    out = back_curvature_series(masks, lms, Side.RIGHT)
    assert out.shape == (4,)
    for i in range(3):
        assert out[i] == back_curvature(masks[i], lms[i], Side.RIGHT)
    assert np.isnan(out[3])


# ------------------------------------------------------------------------------ the low back (pelvic tilt)


def _lying_with_low_back(lift: float, side: Side = Side.RIGHT) -> tuple[np.ndarray, np.ndarray]:
    """A supine trunk whose dorsal contour lies 0.2 L behind the shoulder-hip line (on the mat), except the
    low back, lifted towards the belly by ``lift`` L over :data:`LOW_BACK` (ramping to 0 by s = 0.6, 0.93)."""
    sh, hp = POSTURES["lying"]
    if side == Side.LEFT:
        sh, hp = _mirror(sh), _mirror(hp)
    s_hp, s_sh = np.array(hp), np.array(sh)
    trunk = float(np.linalg.norm(s_hp - s_sh))
    front = anterior(s_sh, s_hp, chirality_of(side))
    s = np.linspace(-0.1, 1.2, 261)
    raised = np.interp(s, [0.6, LOW_BACK[0], LOW_BACK[1], 0.93], [0.0, 1.0, 1.0, 0.0])
    base = s_sh + s[:, None] * (s_hp - s_sh)
    back_pts = base - ((0.2 - lift * raised) * trunk)[:, None] * front
    belly_pts = (base + 0.3 * trunk * front)[::-1]
    mask = np.zeros((H, W), np.uint8)
    poly = np.round(np.concatenate([back_pts, belly_pts]) * 16).astype(np.int32)
    cv2.fillPoly(mask, [poly], 255, lineType=cv2.LINE_AA, shift=4)
    lm = np.full((33, 4), np.nan)
    for joint, p in (("shoulder", s_sh), ("hip", s_hp)):
        lm[sided(joint, side), :2] = p / [W, H]
        lm[sided(joint, side), 3] = 1.0
    return mask.astype(np.float32) / 255.0, lm


@pytest.mark.parametrize("side", [Side.RIGHT, Side.LEFT])
def test_low_back_index_reads_how_far_the_low_back_is_lifted(side: Side) -> None:
    lifts = (0.0, 0.02, 0.04, 0.06)
    vals = [low_back_hollow(*_lying_with_low_back(lift, side), side) for lift in lifts]
    np.testing.assert_allclose(vals, lifts, atol=0.006)  # 0.006 L is about 1 px here
    assert np.all(np.diff(vals) > 0.01)


def test_low_back_index_is_the_same_live_and_from_a_stored_profile() -> None:
    mask, lm = _lying_with_low_back(0.03)
    _, profile = back_measures(mask, lm, Side.RIGHT)  # what the pose pass stores in a trace
    assert float(low_back_from_profile(profile)) == low_back_hollow(mask, lm, Side.RIGHT)


def test_low_back_index_over_frames_and_without_enough_edge() -> None:
    d = np.full((3, PROFILE_S.size), 0.2)
    d[1, np.isin(PROFILE_S, [0.7, 0.75, 0.8, 0.85])] = 0.15  # the LOW_BACK samples
    d[2, PROFILE_S >= 0.95 - 1e-9] = np.nan  # the buttock's contour not found
    out = low_back_from_profile(d)
    assert out.shape == (3,)
    np.testing.assert_allclose(out[:2], [0.0, 0.05], atol=1e-12)
    assert np.isnan(out[2])
    assert np.isnan(low_back_hollow(np.zeros((H, W), np.float32), _lying_with_low_back(0.0)[1], Side.RIGHT))
