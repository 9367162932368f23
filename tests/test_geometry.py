"""Angles and features on synthetic geometry."""

from __future__ import annotations

import math

import numpy as np
import pytest

from formcheck.core.geometry import (
    FEATURES,
    angle_at,
    compute_features,
    incline_from_vertical,
    signed_angle_at,
)
from formcheck.core.landmarks import Lm, Side, camera_side, sided


@pytest.mark.parametrize(
    ("a", "c", "expected"),
    [
        ((1, 0), (1, 0), 0.0),
        ((1, 0), (0, 1), 90.0),
        ((1, 0), (-1, 0), 180.0),
        ((1, 0), (1, 1), 45.0),
        ((1, 0), (-1, 1e-9), 180.0),
    ],
)
def test_angle_at_known_values(a, c, expected):
    assert angle_at(np.array(a, float), np.zeros(2), np.array(c, float)) == pytest.approx(expected, abs=1e-6)


def test_straight_line_is_exactly_180_not_179():
    v = angle_at(np.array([0.0, 0.0]), np.array([0.0, 1.0]), np.array([0.0, 2.0]))
    assert v == 180.0


def test_angle_nan_and_degenerate():
    nan = np.array([np.nan, 0.0])
    assert math.isnan(angle_at(nan, np.zeros(2), np.array([1.0, 0.0])))
    assert math.isnan(angle_at(np.zeros(2), np.zeros(2), np.array([1.0, 0.0])))


def test_angle_is_vectorised_over_frames():
    a = np.array([[1.0, 0.0], [1.0, 0.0], [np.nan, 0.0]])
    c = np.array([[0.0, 1.0], [-1.0, 0.0], [1.0, 0.0]])
    out = angle_at(a, np.zeros((3, 2)), c)
    assert out.shape == (3,)
    np.testing.assert_allclose(out[:2], [90.0, 180.0])
    assert np.isnan(out[2])


def test_incline_from_vertical():
    hip = np.array([[0.0, 0.0]] * 3)
    sh = np.array([[0.0, -1.0], [1.0, 0.0], [1.0, -1.0]])  # y down: up, horizontal, 45 degrees
    np.testing.assert_allclose(incline_from_vertical(hip, sh), [0.0, 90.0, 45.0], atol=1e-9)


def test_signed_angle_flexion_below_180_extension_above():
    # person facing right (+x), right side to the camera: chirality +1. Hip at origin, knee straight down.
    hip, knee = np.zeros(2), np.array([0.0, 1.0])
    flexed = signed_angle_at(np.array([0.7, -0.7]), hip, knee, 1.0)  # trunk leaning forward
    extended = signed_angle_at(np.array([-0.3, -0.95]), hip, knee, 1.0)  # trunk leaning back
    assert flexed == pytest.approx(135.0)
    assert extended > 180.0
    # the mirror image (facing left, left side to the camera) gives the same anatomical angle
    assert signed_angle_at(np.array([-0.7, -0.7]), hip, knee, -1.0) == pytest.approx(135.0)


def _pose(points: dict[str, tuple[float, float]], side: Side, z_near: float = -0.1) -> np.ndarray:
    """(33, 4) landmarks with the given joints on ``side`` (far side copied, further away)."""
    lm = np.full((33, 4), np.nan)
    for joint, (x, y) in points.items():
        for s in (Side.LEFT, Side.RIGHT):
            near = s == side
            lm[sided(joint, s)] = (x, y, z_near if near else -z_near, 0.99 if near else 0.7)
    lm[Lm.NOSE] = (points["ear"][0] + 0.02, points["ear"][1], 0.0, 0.99)
    return lm


STANDING_RIGHT = {  # facing right, normalised coordinates in a square picture
    "ear": (0.5, 0.1),
    "shoulder": (0.5, 0.2),
    "elbow": (0.5, 0.35),
    "wrist": (0.5, 0.48),
    "index": (0.5, 0.5),
    "hip": (0.5, 0.5),
    "knee": (0.5, 0.7),
    "ankle": (0.5, 0.9),
    "heel": (0.48, 0.92),
    "foot": (0.56, 0.92),
}


def test_features_standing_upright():
    lm = _pose(STANDING_RIGHT, Side.RIGHT)
    assert camera_side(lm[None]) == Side.RIGHT
    f = compute_features(lm[None], (480, 480), Side.RIGHT)
    assert set(FEATURES) - {"brightness", "n_people"} <= set(f)
    assert f["knee_angle"][0] == pytest.approx(180.0)
    assert f["knee_flexion"][0] == pytest.approx(0.0)
    assert f["hip_angle"][0] == pytest.approx(180.0)
    assert f["trunk_incline"][0] == pytest.approx(0.0)
    assert f["neck_flexion"][0] == pytest.approx(0.0, abs=1e-6)
    # hip 0.5 above ... ground at 0.92; leg length 0.4
    assert f["pelvis_height"][0] == pytest.approx((0.92 - 0.5) / 0.4)
    assert f["hand_height"][0] == pytest.approx((0.92 - 0.48) / 0.4)
    assert np.isnan(f["twist"][0])  # no world landmarks given
    assert np.isnan(f["back_curvature"][0])
    assert np.isnan(f["low_back_hollow"][0])  # no silhouette given
    given = compute_features(lm[None], (480, 480), Side.RIGHT, low_back=np.array([0.03]))
    assert given["low_back_hollow"][0] == 0.03


def test_features_squat_and_mirror_image_agree():
    squat = dict(STANDING_RIGHT)
    squat.update({"shoulder": (0.65, 0.45), "hip": (0.4, 0.65), "knee": (0.6, 0.7), "ear": (0.7, 0.38)})
    lm = _pose(squat, Side.RIGHT)
    f = compute_features(lm[None], (480, 480), Side.RIGHT)
    mirrored = {k: (1.0 - x, y) for k, (x, y) in squat.items()}
    lm2 = _pose(mirrored, Side.LEFT)
    assert camera_side(lm2[None]) == Side.LEFT
    f2 = compute_features(lm2[None], (480, 480), Side.LEFT)
    for k in ("knee_angle", "hip_angle", "trunk_incline", "neck_flexion", "stoop_squat_index"):
        assert f[k][0] == pytest.approx(f2[k][0], abs=1e-6), k
    assert f["hip_angle"][0] < 90.0  # deeply flexed hip
    assert 0.0 < f["stoop_squat_index"][0] < 1.0


def test_features_missing_pose_is_nan_not_garbage():
    lm = np.full((2, 33, 4), np.nan)
    lm[1] = _pose(STANDING_RIGHT, Side.RIGHT)
    f = compute_features(lm, (640, 480), Side.RIGHT)
    assert all(np.isnan(v[0]) for k, v in f.items() if k != "in_frame"), "frame 0 has no pose"
    assert np.isfinite(f["knee_angle"][1])


def test_twist_from_world_landmarks():
    w = np.zeros((2, 33, 4))
    w[:, Lm.LEFT_HIP, :3] = (-0.1, 0.0, 0.0)
    w[:, Lm.RIGHT_HIP, :3] = (0.1, 0.0, 0.0)
    w[0, Lm.LEFT_SHOULDER, :3] = (-0.2, -0.5, 0.0)
    w[0, Lm.RIGHT_SHOULDER, :3] = (0.2, -0.5, 0.0)
    w[1, Lm.LEFT_SHOULDER, :3] = (-0.2 * math.cos(0.5), -0.5, -0.2 * math.sin(0.5))
    w[1, Lm.RIGHT_SHOULDER, :3] = (0.2 * math.cos(0.5), -0.5, 0.2 * math.sin(0.5))
    lm = np.repeat(_pose(STANDING_RIGHT, Side.RIGHT)[None], 2, axis=0)
    f = compute_features(lm, (480, 480), Side.RIGHT, world=w)
    assert f["twist"][0] == pytest.approx(0.0, abs=1e-9)
    assert f["twist"][1] == pytest.approx(math.degrees(0.5))


def test_low_visibility_landmarks_become_gaps():
    from formcheck.core.landmarks import drop_unseen

    lm = _pose(STANDING_RIGHT, Side.RIGHT)
    lm[sided("knee", Side.RIGHT), 3] = 0.1  # the near knee barely seen
    clean = drop_unseen(lm[None])
    assert np.isnan(clean[0, sided("knee", Side.RIGHT), :3]).all()
    assert clean[0, sided("knee", Side.RIGHT), 3] == pytest.approx(0.1)  # visibility kept
    f = compute_features(clean, (480, 480), Side.RIGHT)
    assert np.isnan(f["knee_angle"][0])  # no garbage angle from an unseen joint
    assert np.isfinite(f["trunk_incline"][0])
    assert f["in_frame"][0] < 1.0


def test_facing_and_head_direction():
    from formcheck.core.landmarks import facing, head_towards

    standing_right = _pose(STANDING_RIGHT, Side.RIGHT)
    assert facing(camera_side(standing_right[None])) == "right"
    mirrored = _pose({k: (1.0 - x, y) for k, (x, y) in STANDING_RIGHT.items()}, Side.LEFT)
    assert facing(camera_side(mirrored[None])) == "left"
    lying = _pose({k: (y, 0.8) for k, (x, y) in STANDING_RIGHT.items()}, Side.RIGHT)  # head at the left
    assert head_towards(lying[None]) == "left"
    assert head_towards(np.full((2, 33, 4), np.nan)) is None


def test_has_pose_per_frame():
    from formcheck.core.landmarks import has_pose

    lm = np.full((3, 33, 4), np.nan)
    lm[1] = _pose(STANDING_RIGHT, Side.RIGHT)
    lm[2, 5, :2] = (0.1, 0.2)  # a single landmark still means a person was found
    assert has_pose(lm).tolist() == [False, True, True]
    assert bool(has_pose(lm[1])) and not bool(has_pose(lm[0]))
