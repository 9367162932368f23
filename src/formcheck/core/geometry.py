"""Vectorised joint angles, distances and the feature set computed from landmarks.

Everything here is pure numpy over a leading frame axis: landmarks ``(T, 33, 4)`` in, ``(T,)`` features
out. Image coordinates are first scaled to pixels so that angles are true angles on the picture (x right,
y down). Missing landmarks are NaN and give NaN features; nothing here guesses.

Sagittal sign conventions (side view) use the *chirality* of the view: ``+1`` when the person's right side
faces the camera, ``-1`` for the left. With it, the person's anterior (front) direction in the image is the
trunk axis (hip to shoulder) turned by 90 degrees, whatever the posture (standing, lying, on all fours).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np

from formcheck.core.filters import RunningStat
from formcheck.core.landmarks import BODY, Lm, Side, sided

#: Foot points of both sides (heels, toes, ankles): the lowest of them is the floor.
FEET: tuple[Lm, ...] = (
    Lm.LEFT_HEEL,
    Lm.RIGHT_HEEL,
    Lm.LEFT_FOOT_INDEX,
    Lm.RIGHT_FOOT_INDEX,
    Lm.LEFT_ANKLE,
    Lm.RIGHT_ANKLE,
)

#: Feature names, their units and meaning. The engine and the templates use these names.
FEATURES: Mapping[str, str] = {
    "knee_angle": "deg; interior knee angle hip-knee-ankle, 180 = straight leg",
    "knee_flexion": "deg; 180 - knee_angle, 0 = straight leg",
    "hip_angle": "deg; shoulder-hip-knee line, 180 = straight, < 180 hip flexed, > 180 hip extended",
    "elbow_angle": "deg; interior shoulder-elbow-wrist angle, 180 = straight arm",
    "shoulder_angle": "deg; interior hip-shoulder-elbow angle, 0 = arm along the trunk",
    "trunk_incline": "deg; mid-hip to mid-shoulder line from vertical, 0 = upright, 90 = horizontal",
    "pelvis_height": "leg lengths; hip height above the lowest point of either foot",
    "hand_height": "leg lengths; wrist height above the lowest point of either foot",
    "load_distance": "leg lengths; horizontal wrist-to-ankle distance (load close to the body)",
    "twist": "deg; rotation between the shoulder line and the hip line seen from above (world landmarks)",
    "neck_flexion": "deg; ear-shoulder line vs the trunk axis, > 0 head forward/down, < 0 head back/up",
    "back_curvature": "trunk lengths; dorsal contour bulge, > 0 rounded (flexed), < 0 hollow (arched)",
    "spine_flexion": "deg; neck_flexion plus the back's arc angle (8 x back_curvature rad), > 0 rounded",
    "low_back_hollow": "trunk lengths; low back's dorsal contour in front of the buttock's, > 0 hollow",
    "stoop_squat_index": "0..1; knee_flexion / (knee_flexion + trunk_incline), 1 = pure squat, 0 = stoop",
    "hip_flexion_left": "deg; left thigh from the trunk line continued past the hip, to the front: "
    "0 = in line, 90 = at right angles, about 140 = knee at the chest, < 0 hip extended",
    "hip_flexion_right": "deg; the same for the right thigh",
    "leg_raise_left": "deg; left shin from the trunk line continued past the hip, to the front: 0 = in line, "
    "90 = at right angles (pointing up when lying on the back); a straight leg's raise angle",
    "leg_raise_right": "deg; the same for the right shin",
    "knee_angle_left": "deg; interior angle of the left knee, 180 = straight",
    "knee_angle_right": "deg; interior angle of the right knee, 180 = straight",
    "knee_lift": "leg lengths; camera-side knee from the floor line through the camera-side toes and wrist "
    "(a plank's supports), on the shoulder's side: about 0 kneeling or lying face down",
    "body_line": "deg; shoulder-hip-ankle line on the camera side, 180 = straight, < 180 hips piked, "
    "> 180 hips sagging",
    "visibility": "0..1; mean visibility of the nose and the camera-side shoulder, hip, knee and ankle",
    "in_frame": "0..1; share of those five landmarks seen inside the picture",
    "side_view": "ratio; shoulder width / trunk length in the picture, small = seen from the side",
    "body_size": "0..1; the body's bounding box, largest side as a share of the picture's side",
    "brightness": "0..255; mean luma of the picture (measured from the frame, not the landmarks)",
    "n_people": "count; people in view (from the pose estimator)",
}


#: Features read from the person's segmentation mask (the pose pass must produce one for them).
MASK_FEATURES: frozenset[str] = frozenset({"back_curvature", "spine_flexion", "low_back_hollow"})


def _dot(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Dot product of ``(..., 2)`` vectors (written out: a live frame is one row, where numpy's reductions
    cost more than the arithmetic)."""
    return u[..., 0] * v[..., 0] + u[..., 1] * v[..., 1]


def midpoint(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Midpoint of ``(..., 2)`` points ``a`` and ``b``; the other one alone where one is unseen (NaN)."""
    m = (a + b) / 2.0
    m = np.where(np.isnan(a), b, m)
    return np.where(np.isnan(b), a, m)


def angle_at(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Interior angle ABC in degrees (0..180) for ``(..., 2)`` points; NaN when a point is missing.

    Uses ``atan2(|cross|, dot)``, which is accurate near 0 and 180 degrees. A zero-length arm gives NaN.
    """
    u = np.asarray(a, dtype=np.float64) - b
    v = np.asarray(c, dtype=np.float64) - b
    cross = u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]
    dot = _dot(u, v)
    out = np.degrees(np.arctan2(np.abs(cross), dot))
    degenerate = (np.hypot(u[..., 0], u[..., 1]) == 0) | (np.hypot(v[..., 0], v[..., 1]) == 0)
    return np.where(degenerate, np.nan, out)


def signed_angle_at(a: np.ndarray, b: np.ndarray, c: np.ndarray, chirality: np.ndarray | float) -> np.ndarray:
    """Angle ABC in degrees on 0..360, measured so that 180 is a straight line.

    Values below 180 mean C is turned towards the person's front (flexion for shoulder-hip-knee), above
    180 towards the back (extension). ``chirality`` is +1/-1 (see module docstring), per frame or scalar.
    """
    u = np.asarray(a, dtype=np.float64) - b
    v = np.asarray(c, dtype=np.float64) - b
    cross = u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]
    dot = _dot(u, v)
    ang = np.degrees(np.arctan2(cross * np.asarray(chirality, dtype=np.float64), dot))
    return np.mod(ang, 360.0)


def incline_from_vertical(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Angle in degrees (0..180) of the segment lower -> upper from straight up in the picture."""
    d = np.asarray(upper, dtype=np.float64) - lower
    return np.degrees(np.arctan2(np.abs(d[..., 0]), -d[..., 1]))


def anterior(shoulder: np.ndarray, hip: np.ndarray, chirality: np.ndarray | float) -> np.ndarray:
    """Unit vector ``(..., 2)`` pointing to the person's front in the picture."""
    axis = np.asarray(shoulder, dtype=np.float64) - hip
    ch = np.asarray(chirality, dtype=np.float64)[..., None]
    front = np.stack([-axis[..., 1], axis[..., 0]], axis=-1) * ch
    norm = np.linalg.norm(front, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return front / norm


def to_pixels(landmarks: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``(T, 33, 2)`` pixel coordinates from normalised landmarks; ``size`` is (width, height)."""
    lm = np.asarray(landmarks, dtype=np.float64)
    return lm[..., :2] * np.array([size[0], size[1]], dtype=np.float64)


def chirality_of(side: Side) -> float:
    """+1 when the person's right side faces the camera, -1 for the left."""
    return 1.0 if side == Side.RIGHT else -1.0


def compute_features(
    landmarks: np.ndarray,
    size: tuple[int, int],
    side: Side,
    world: np.ndarray | None = None,
    back_curvature: np.ndarray | None = None,
    scale: tuple[np.ndarray, np.ndarray] | None = None,
    low_back: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """All features for a run of frames.

    Args:
        landmarks: ``(T, 33, 4)`` normalised landmarks (NaN rows for frames without a pose).
        size: picture (width, height) in pixels.
        side: the body side facing the camera; its joints are used.
        world: optional ``(T, 33, 4)`` world landmarks in metres (for ``twist``).
        back_curvature: optional ``(T,)`` values from :mod:`formcheck.core.back`.
        scale: optional ``(ground, leg)``, each ``(T,)`` in pixels: the floor's picture row and the leg
            length to measure heights with (see :func:`steady_scale`); this frame's own
            :func:`body_scale` when None.
        low_back: optional ``(T,)`` low-back index from :func:`formcheck.core.back.low_back_from_profile`.

    Returns:
        ``{name: (T,) float64}`` for every name in :data:`FEATURES`.
    """
    lm = np.asarray(landmarks, dtype=np.float64)
    if lm.ndim == 2:
        lm = lm[None]
    n = lm.shape[0]
    px = to_pixels(lm, size)
    ch = chirality_of(side)

    def p(joint: str) -> np.ndarray:
        return px[:, sided(joint, side)]

    hip, ankle, wrist = p("hip"), p("ankle"), p("wrist")
    f: dict[str, np.ndarray] = {}

    # several angles in one call, the points picked by one index each: a live frame is one row, where
    # numpy's per-call overhead costs more than the arithmetic
    def pts(*joints: str) -> np.ndarray:
        return px[:, [int(sided(j, side)) for j in joints]]

    un = angle_at(
        pts("hip", "shoulder", "hip"), pts("knee", "elbow", "shoulder"), pts("ankle", "wrist", "elbow")
    )
    f["knee_angle"], f["elbow_angle"], f["shoulder_angle"] = un[:, 0], un[:, 1], un[:, 2]
    f["knee_flexion"] = 180.0 - f["knee_angle"]
    sa = signed_angle_at(pts("shoulder", "hip"), pts("hip", "shoulder"), pts("knee", "ear"), ch)
    f["hip_angle"], neck = sa[:, 0], sa[:, 1]
    # the trunk axis through both hips and both shoulders (either side when one is unseen): the same
    # whichever side is taken as facing the camera, which an oblique view can leave undecided
    mid_sh = midpoint(px[:, Lm.LEFT_SHOULDER], px[:, Lm.RIGHT_SHOULDER])
    mid_hip = midpoint(px[:, Lm.LEFT_HIP], px[:, Lm.RIGHT_HIP])
    f["trunk_incline"] = incline_from_vertical(mid_hip, mid_sh)

    if scale is None:
        ground, leg = body_scale(px, side)
    else:
        ground, leg = (np.asarray(a, dtype=np.float64) for a in scale)
    with np.errstate(invalid="ignore", divide="ignore"):
        f["pelvis_height"] = (ground - hip[:, 1]) / leg
        f["hand_height"] = (ground - wrist[:, 1]) / leg
        f["load_distance"] = np.abs(wrist[:, 0] - ankle[:, 0]) / leg

    f["twist"] = _twist(world) if world is not None else np.full(n, np.nan)
    f["neck_flexion"] = neck - 180.0
    f["back_curvature"] = (
        np.asarray(back_curvature, dtype=np.float64) if back_curvature is not None else np.full(n, np.nan)
    )
    f["low_back_hollow"] = (
        np.asarray(low_back, dtype=np.float64) if low_back is not None else np.full(n, np.nan)
    )
    # a shallow arc of sagitta s over a chord L bends through about 8 s / L radians
    f["spine_flexion"] = f["neck_flexion"] + np.degrees(8.0 * f["back_curvature"])
    with np.errstate(invalid="ignore", divide="ignore"):
        kf = np.clip(f["knee_flexion"], 0.0, None)
        f["stoop_squat_index"] = kf / (kf + np.clip(f["trunk_incline"], 0.0, None))

    f.update(_leg_features(px, side, mid_sh, mid_hip, leg))
    f.update(_quality(lm, px, size, side))
    return f


def _leg_features(
    px: np.ndarray, side: Side, mid_sh: np.ndarray, mid_hip: np.ndarray, leg: np.ndarray
) -> dict[str, np.ndarray]:
    """Per-leg angles (both legs, named by the person's own side) and the plank's line and knee lift.

    Each leg is measured against the trunk's direction (mid-shoulder to mid-hip) placed at that leg's own
    hip, so a far leg whose shoulder is hidden is still measured; the front is the camera side's (one
    chirality for both legs, as both face the same way).
    """
    ch = chirality_of(side)
    trunk = mid_sh - mid_hip
    out: dict[str, np.ndarray] = {}
    # both legs at once: (T, 2, 2) points, left then right
    hips, knees, ankles = (
        px[:, [int(sided(j, s)) for s in (Side.LEFT, Side.RIGHT)]] for j in ("hip", "knee", "ankle")
    )
    up_trunk = hips + trunk[:, None, :]
    hip_flexion = 180.0 - signed_angle_at(up_trunk, hips, knees, ch)
    leg_raise = 180.0 - signed_angle_at(up_trunk, hips, hips + (ankles - knees), ch)
    knee_angle = angle_at(hips, knees, ankles)
    for i, name in enumerate(("left", "right")):
        out[f"hip_flexion_{name}"] = hip_flexion[:, i]
        out[f"leg_raise_{name}"] = leg_raise[:, i]
        out[f"knee_angle_{name}"] = knee_angle[:, i]
    sh, hip, knee, ankle, toe, wrist = (
        px[:, sided(j, side)] for j in ("shoulder", "hip", "knee", "ankle", "foot", "wrist")
    )
    out["body_line"] = signed_angle_at(sh, hip, ankle, ch)
    # the floor is the line through the body's own supports (toes and hands or forearms), so a camera that
    # is not level or not at floor height changes nothing
    floor = wrist - toe
    with np.errstate(invalid="ignore", divide="ignore"):
        normal = np.stack([-floor[:, 1], floor[:, 0]], axis=-1)
        normal /= np.linalg.norm(floor, axis=-1, keepdims=True)
        up = np.sign(_dot(sh - toe, normal))
        out["knee_lift"] = _dot(knee - toe, normal) * up / leg
    return out


def body_scale(px: np.ndarray, side: Side) -> tuple[np.ndarray, np.ndarray]:
    """Per frame: the floor (the lowest point of either foot, picture row in pixels: a foot lifted off the
    floor, as when marching on the spot in a bridge, does not move it) and the camera-side leg length
    (hip-knee plus knee-ankle, pixels). ``px`` is ``(T, 33, 2)`` pixels; unseen points are NaN and ignored."""
    feet = px[:, [int(j) for j in FEET], 1]
    hip, knee, ankle = (px[:, sided(j, side)] for j in ("hip", "knee", "ankle"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ground = np.nanmax(feet, axis=1) if feet.shape[0] else np.zeros(0)
    leg = np.linalg.norm(hip - knee, axis=-1) + np.linalg.norm(knee - ankle, axis=-1)
    return ground, leg


#: Window (s) of the steady floor and leg length: longer than a pose estimate's typical jump (a foot or
#: a knee misplaced for a few frames behind a barbell's plates), shorter than a camera's pan.
SCALE_WINDOW_S = 1.0


class SteadyScale:
    """The floor and leg length that heights are measured with, steadied over :data:`SCALE_WINDOW_S`:
    the floor is the lowest foot point of the last second and the leg the longest of the last second (a
    pose estimate that loses a knee or an ankle makes the leg look short, hardly ever long). One per
    stream, fed every frame, live and offline alike (:func:`steady_scale`)."""

    def __init__(self, window_s: float = SCALE_WINDOW_S) -> None:
        self._ground = RunningStat(window_s, "max")
        self._leg = RunningStat(window_s, "max")

    def update(self, t_s: float, ground: float, leg: float) -> tuple[float, float]:
        """This frame's raw floor row and leg length (pixels) in; the steadied pair out."""
        return self._ground.update(t_s, ground), self._leg.update(t_s, leg)


def steady_scale(px: np.ndarray, side: Side, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:class:`SteadyScale` over a whole trace: ``(T, 33, 2)`` pixels and ``(T,)`` times (s) in."""
    ground, leg = body_scale(px, side)
    s = SteadyScale()
    pairs = [s.update(float(t), float(g), float(lg)) for t, g, lg in zip(times, ground, leg, strict=True)]
    out = np.array(pairs, dtype=np.float64).reshape(-1, 2)
    return out[:, 0], out[:, 1]


def _twist(world: np.ndarray) -> np.ndarray:
    w = np.asarray(world, dtype=np.float64)
    if w.ndim == 2:
        w = w[None]
    s = w[:, Lm.RIGHT_SHOULDER, :3] - w[:, Lm.LEFT_SHOULDER, :3]
    h = w[:, Lm.RIGHT_HIP, :3] - w[:, Lm.LEFT_HIP, :3]
    a_s = np.arctan2(s[:, 2], s[:, 0])
    a_h = np.arctan2(h[:, 2], h[:, 0])
    d = np.degrees(np.angle(np.exp(1j * (a_s - a_h))))
    return np.abs(d)


def _quality(lm: np.ndarray, px: np.ndarray, size: tuple[int, int], side: Side) -> dict[str, np.ndarray]:
    # seen from the side, the far limbs are often hidden behind the near ones: judge what must be seen,
    # the head and the camera-facing shoulder, hip, knee and ankle
    key = [Lm.NOSE, *(sided(j, side) for j in ("shoulder", "hip", "knee", "ankle"))]
    vis = lm[:, key, 3]
    xy = lm[:, key, :2]
    inside = np.all((xy >= 0.0) & (xy <= 1.0), axis=-1).astype(np.float64)  # unseen counts as outside
    inside[np.isnan(vis)] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sh_w = np.linalg.norm(px[:, Lm.LEFT_SHOULDER] - px[:, Lm.RIGHT_SHOULDER], axis=-1)
        mid_sh = (px[:, Lm.LEFT_SHOULDER] + px[:, Lm.RIGHT_SHOULDER]) / 2
        mid_hip = (px[:, Lm.LEFT_HIP] + px[:, Lm.RIGHT_HIP]) / 2
        trunk = np.linalg.norm(mid_sh - mid_hip, axis=-1)
        side_view = sh_w / trunk
        pts = px[:, list(BODY)]
        ext = np.nanmax(pts, axis=1) - np.nanmin(pts, axis=1) if pts.shape[0] else np.zeros((0, 2))
        body_size = np.fmax(ext[:, 0] / size[0], ext[:, 1] / size[1])
    return {
        "visibility": np.mean(vis, axis=-1),
        "in_frame": np.mean(inside, axis=-1),
        "side_view": side_view,
        "body_size": body_size,
    }
