"""Named BlazePose landmarks, the skeleton, and which side of the body faces the camera.

Landmark arrays everywhere in formcheck have shape ``(..., 33, 4)``: ``x`` and ``y`` in normalised image
coordinates (0..1, origin top-left, y down), ``z`` a relative depth (smaller = closer to the camera, same
scale as ``x``), and ``visibility`` in 0..1. A frame without a pose is all-NaN.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

N_LANDMARKS = 33


class Lm(IntEnum):
    """The 33 BlazePose landmarks, by index."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


class Side(IntEnum):
    """A body side. ``LEFT`` means the person's own left."""

    LEFT = 0
    RIGHT = 1


#: Landmarks of one side, as (left, right) pairs, keyed by a side-free joint name.
SIDED: dict[str, tuple[Lm, Lm]] = {
    "ear": (Lm.LEFT_EAR, Lm.RIGHT_EAR),
    "shoulder": (Lm.LEFT_SHOULDER, Lm.RIGHT_SHOULDER),
    "elbow": (Lm.LEFT_ELBOW, Lm.RIGHT_ELBOW),
    "wrist": (Lm.LEFT_WRIST, Lm.RIGHT_WRIST),
    "index": (Lm.LEFT_INDEX, Lm.RIGHT_INDEX),
    "hip": (Lm.LEFT_HIP, Lm.RIGHT_HIP),
    "knee": (Lm.LEFT_KNEE, Lm.RIGHT_KNEE),
    "ankle": (Lm.LEFT_ANKLE, Lm.RIGHT_ANKLE),
    "heel": (Lm.LEFT_HEEL, Lm.RIGHT_HEEL),
    "foot": (Lm.LEFT_FOOT_INDEX, Lm.RIGHT_FOOT_INDEX),
}


def sided(joint: str, side: Side) -> Lm:
    """The landmark of ``joint`` (e.g. ``"knee"``) on ``side``."""
    return SIDED[joint][int(side)]


#: Bones drawn in the overlay, as landmark index pairs.
SKELETON: frozenset[tuple[int, int]] = frozenset(
    {
        (Lm.LEFT_SHOULDER, Lm.RIGHT_SHOULDER),
        (Lm.LEFT_HIP, Lm.RIGHT_HIP),
        (Lm.LEFT_SHOULDER, Lm.LEFT_HIP),
        (Lm.RIGHT_SHOULDER, Lm.RIGHT_HIP),
        (Lm.LEFT_SHOULDER, Lm.LEFT_ELBOW),
        (Lm.LEFT_ELBOW, Lm.LEFT_WRIST),
        (Lm.RIGHT_SHOULDER, Lm.RIGHT_ELBOW),
        (Lm.RIGHT_ELBOW, Lm.RIGHT_WRIST),
        (Lm.LEFT_HIP, Lm.LEFT_KNEE),
        (Lm.LEFT_KNEE, Lm.LEFT_ANKLE),
        (Lm.RIGHT_HIP, Lm.RIGHT_KNEE),
        (Lm.RIGHT_KNEE, Lm.RIGHT_ANKLE),
        (Lm.LEFT_ANKLE, Lm.LEFT_HEEL),
        (Lm.LEFT_HEEL, Lm.LEFT_FOOT_INDEX),
        (Lm.LEFT_ANKLE, Lm.LEFT_FOOT_INDEX),
        (Lm.RIGHT_ANKLE, Lm.RIGHT_HEEL),
        (Lm.RIGHT_HEEL, Lm.RIGHT_FOOT_INDEX),
        (Lm.RIGHT_ANKLE, Lm.RIGHT_FOOT_INDEX),
        (Lm.LEFT_EAR, Lm.LEFT_SHOULDER),
        (Lm.RIGHT_EAR, Lm.RIGHT_SHOULDER),
        (Lm.NOSE, Lm.LEFT_EAR),
        (Lm.NOSE, Lm.RIGHT_EAR),
    }
)

#: Landmarks that must be visible for a whole-body exercise (face, hands and feet details excluded).
BODY: tuple[Lm, ...] = (
    Lm.NOSE,
    Lm.LEFT_SHOULDER,
    Lm.RIGHT_SHOULDER,
    Lm.LEFT_HIP,
    Lm.RIGHT_HIP,
    Lm.LEFT_KNEE,
    Lm.RIGHT_KNEE,
    Lm.LEFT_ANKLE,
    Lm.RIGHT_ANKLE,
)


def has_pose(landmarks: np.ndarray) -> np.ndarray:
    """Per frame (``(T,)`` bool, or a 0-d bool for one ``(33, 4)`` frame): whether a pose was found.

    A frame without a pose is all-NaN; any finite coordinate means the estimator found a person.
    """
    lm = np.asarray(landmarks)
    return np.isfinite(lm[..., :2]).any(axis=(-1, -2))


#: Landmarks seen with less visibility than this are treated as not seen (gaps, not garbage).
MIN_VISIBILITY = 0.3


def drop_unseen(landmarks: np.ndarray, min_visibility: float = MIN_VISIBILITY) -> np.ndarray:
    """A copy of ``(..., 33, 4)`` landmarks with x, y, z set to NaN where visibility is too low.

    The visibility column is kept, so the set-up checks still see how much of the body is visible.
    """
    out = np.array(landmarks, dtype=np.float64, copy=True)
    low = ~(out[..., 3] >= min_visibility)
    out[..., :3][low] = np.nan
    return out


_SIDE_SCORE_JOINTS = ("shoulder", "hip", "knee", "ankle", "elbow", "wrist")
_SIDE_SCORE_INDEX = tuple([int(sided(j, s)) for j in _SIDE_SCORE_JOINTS] for s in (Side.LEFT, Side.RIGHT))


def side_scores(landmarks: np.ndarray) -> np.ndarray:
    """Per-frame evidence that the person's right side faces the camera.

    Args:
        landmarks: ``(T, 33, 4)`` or ``(33, 4)`` landmark array.

    Returns:
        ``(T,)`` (or scalar) score: positive when the right side is nearer the camera, negative for the
        left, NaN without a pose. Combines depth (``z``, nearer is smaller) and visibility.
    """
    lm = np.asarray(landmarks, dtype=np.float64)
    left, right = _SIDE_SCORE_INDEX
    dz = lm[..., left, 2] - lm[..., right, 2]  # > 0: right nearer
    dv = lm[..., right, 3] - lm[..., left, 3]  # > 0: right more visible
    v = np.tanh(dz * 10.0) + dv
    seen = ~np.isnan(v)
    with np.errstate(invalid="ignore", divide="ignore"):  # the mean of what is seen; NaN when nothing is
        return np.where(seen, v, 0.0).sum(axis=-1) / seen.sum(axis=-1)


def camera_side(landmarks: np.ndarray) -> Side:
    """The body side facing the camera over a whole clip (or one frame): a robust vote of :func:`side_scores`.

    Args:
        landmarks: ``(T, 33, 4)`` or ``(33, 4)`` landmark array.

    Returns:
        ``Side.RIGHT`` or ``Side.LEFT`` (``LEFT`` when there is no evidence at all).
    """
    s = np.atleast_1d(side_scores(landmarks))
    s = s[np.isfinite(s)]
    if s.size == 0:
        return Side.LEFT
    return Side.RIGHT if float(np.median(s)) > 0 else Side.LEFT


def facing(side: Side) -> str:
    """Which way (``"left"`` / ``"right"`` in the picture) a person seen side-on faces when upright.

    With the right side towards the camera the person faces the picture's right (and the left side faces
    the camera when they face its left); lying down, the same rule gives the side their front would face
    if they stood up.
    """
    return "right" if side == Side.RIGHT else "left"


def head_towards(landmarks: np.ndarray) -> str | None:
    """Which side of the picture the head is on relative to the hips (``"left"``/``"right"``), over a clip.

    Useful for lying and all-fours exercises. None without a pose.
    """
    lm = np.asarray(landmarks, dtype=np.float64)
    if lm.ndim == 2:
        lm = lm[None]
    dx = (lm[:, Lm.LEFT_SHOULDER, 0] + lm[:, Lm.RIGHT_SHOULDER, 0]) - (
        lm[:, Lm.LEFT_HIP, 0] + lm[:, Lm.RIGHT_HIP, 0]
    )
    dx = dx[np.isfinite(dx)]
    if dx.size == 0:
        return None
    return "right" if float(np.median(dx)) > 0 else "left"
