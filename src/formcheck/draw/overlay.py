"""The overlay drawn on video frames (annotated MP4 offline, live video in the browser).

Everything is sized for a patient lying on the floor some 3 m from a laptop screen: a thick skeleton with
joints coloured by correctness (red = named in a live fault, green = fine), the key angles at their joints
and in a panel, a big rep counter, the phase, a hold countdown ring and the current cue in a large banner.

All sizes are in pixels of a 480-pixel-high frame, multiplied by ``scale`` (see :func:`draw_overlay`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache

import cv2
import numpy as np

from formcheck.core.cues import cue_is_good
from formcheck.core.engine import EngineState
from formcheck.core.landmarks import SIDED, SKELETON, Lm, Side
from formcheck.core.messages import MESSAGES, leg_counts_text, message
from formcheck.core.templates import Template
from formcheck.draw.text import (
    ARC,
    BAD,
    BANNER_BAD,
    BANNER_GOOD,
    DARK,
    GOOD,
    HOLD,
    LABEL_BAD,
    LABELS,
    MIN_VISIBILITY,
    MUTED,
    OUTLINE,
    SKIP_VISIBILITY,
    WHITE,
    _fit_lines,
    feature_label,
    format_value,
    panel,
    put_text,
    text_size,
)

BGR = tuple[int, int, int]


#: Where a displayed feature is written on the body: a vertex angle (three side-free joints, the value at
#: the middle one, with an arc), or a point (one joint, or the midpoint of two).
ANGLE_JOINTS: dict[str, tuple[str, str, str]] = {
    "knee_angle": ("hip", "knee", "ankle"),
    "knee_flexion": ("hip", "knee", "ankle"),
    "hip_angle": ("shoulder", "hip", "knee"),
    "elbow_angle": ("shoulder", "elbow", "wrist"),
    "shoulder_angle": ("hip", "shoulder", "elbow"),
}
POINT_JOINTS: dict[str, tuple[str, ...]] = {
    "trunk_incline": ("hip", "shoulder"),
    "twist": ("hip", "shoulder"),
    "back_curvature": ("hip", "shoulder"),
    "low_back_hollow": ("hip",),
    "neck_flexion": ("shoulder", "ear"),
    "pelvis_height": ("hip",),
    "stoop_squat_index": ("hip",),
    "hand_height": ("wrist",),
    "load_distance": ("wrist", "ankle"),
}

# ------------------------------------------------------------------------------------ skeleton

_LEFT = frozenset(int(m) for m in Lm if m.name.startswith("LEFT_"))
_RIGHT = frozenset(int(m) for m in Lm if m.name.startswith("RIGHT_"))


def _side_of(i: int) -> int:
    """0 for the person's left, 1 for the right, -1 for the midline (nose)."""
    return 0 if i in _LEFT else 1 if i in _RIGHT else -1


def bad_landmarks(joints: Sequence[str] | frozenset[str]) -> frozenset[int]:
    """Landmark indices (both sides) of side-free joint names such as ``hip``; unknown names are ignored."""
    return frozenset(int(i) for j in joints for i in SIDED.get(j, ()))


def _dim(color: BGR, f: float) -> BGR:
    return (int(color[0] * f), int(color[1] * f), int(color[2] * f))


def _pixels(landmarks: np.ndarray | None, w: int, h: int) -> tuple[np.ndarray, np.ndarray] | None:
    """``(33, 2)`` pixel positions (NaN when missing) and ``(33,)`` visibility, or None without a pose."""
    if landmarks is None:
        return None
    lm = np.asarray(landmarks, dtype=np.float64)
    if lm.ndim != 2 or lm.shape[0] < len(Lm) or lm.shape[1] < 2:
        return None
    xy = lm[: len(Lm), :2] * (w, h)
    ok = np.isfinite(xy).all(axis=1)
    if not ok.any():
        return None
    vis = lm[: len(Lm), 3] if lm.shape[1] >= 4 else np.ones(len(Lm))
    vis = np.where(np.isfinite(vis), vis, 1.0)
    vis = np.where(ok, vis, 0.0)
    xy[~ok] = np.nan
    return xy, vis


@lru_cache(maxsize=2)
def _edges(near: int) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    """:data:`SKELETON` split into (far-side and crossing bones, bones of side ``near``), sorted."""
    far: list[tuple[int, int]] = []
    close: list[tuple[int, int]] = []
    for a, b in sorted(SKELETON):
        sides = {_side_of(a), _side_of(b)} - {-1}
        (close if sides <= {near} else far).append((int(a), int(b)))
    return tuple(far), tuple(close)


def _draw_skeleton(
    img: np.ndarray, xy: np.ndarray, vis: np.ndarray, bad: frozenset[int], side: Side, s: float
) -> None:
    """Bones and joints: the camera-facing side thick and bright, the far side thin and dimmed."""
    near = int(side)
    t_near, t_far = max(2, round(7 * s)), max(1, round(3 * s))
    edges_far, edges_near = _edges(near)
    lim = 4.0 * max(img.shape[:2])  # keep wild coordinates in int32 range; OpenCV clips the rest
    p = np.round(np.clip(np.nan_to_num(xy, nan=-lim), -lim, lim)).astype(np.int32)

    def shown(i: int) -> bool:
        return vis[i] >= SKIP_VISIBILITY

    for group, thick, dim in ((edges_far, t_far, 0.6), (edges_near, t_near, 1.0)):
        for a, b in group:
            if not (shown(a) and shown(b)):
                continue
            color = BAD if (a in bad or b in bad) else GOOD
            low = min(vis[a], vis[b]) < MIN_VISIBILITY
            f = dim * (0.5 if low else 1.0)
            th = max(1, thick // 2) if low else thick
            pa, pb = (int(p[a, 0]), int(p[a, 1])), (int(p[b, 0]), int(p[b, 1]))
            if group is edges_near and not low:
                cv2.line(img, pa, pb, OUTLINE, th + max(2, round(3 * s)), cv2.LINE_AA)
            cv2.line(img, pa, pb, _dim(color, f), th, cv2.LINE_AA)
    joints = sorted({i for e in SKELETON for i in e}, key=lambda i: _side_of(i) == near)
    for i in joints:
        if not shown(i) or i == Lm.NOSE:
            continue
        is_near = _side_of(i) == near
        low = vis[i] < MIN_VISIBILITY
        color = BAD if i in bad else GOOD
        c = (int(p[i, 0]), int(p[i, 1]))
        if not is_near or low:  # small, dim dot
            f = (1.0 if is_near else 0.6) * (0.5 if low else 1.0)
            cv2.circle(img, c, max(2, round((6 if is_near else 5) * s)), _dim(color, f), -1, cv2.LINE_8)
            continue
        # near side: a disc with a white rim; a faulty joint bigger, inside a red halo (filled discs only:
        # thick anti-aliased outlines are several times slower in OpenCV)
        r = max(3, round((12 if i in bad else 9) * s))
        rim = max(1, round(2.5 * s))
        if i in bad:
            cv2.circle(img, c, r + rim + max(3, round(5 * s)), BAD, -1, cv2.LINE_AA)
        cv2.circle(img, c, r + rim, WHITE, -1, cv2.LINE_AA)
        cv2.circle(img, c, r, color, -1, cv2.LINE_AA)


def _point(xy: np.ndarray, vis: np.ndarray, joint: str, side: Side) -> np.ndarray | None:
    """Pixel position of side-free ``joint`` on ``side`` (or the other side if that one is not seen)."""
    for sd in (int(side), 1 - int(side)):
        i = int(SIDED[joint][sd])
        if vis[i] >= SKIP_VISIBILITY and np.isfinite(xy[i]).all():
            return xy[i]
    return None


def _unit(v: np.ndarray) -> np.ndarray | None:
    n = float(np.hypot(v[0], v[1]))
    return v / n if n > 1e-6 else None


def _label(img: np.ndarray, text: str, cx: float, cy: float, size: int, bad: bool, s: float) -> None:
    """A pill with white ``text`` centred on ``(cx, cy)`` px (dark red when ``bad``), inside the frame."""
    tw, th = text_size(text, size)
    pad = round(6 * s)
    w, h = tw + 2 * pad, th + pad // 2
    fh, fw = img.shape[:2]
    x0 = int(min(max(cx - w / 2, 2), fw - w - 2))
    y0 = int(min(max(cy - h / 2, 2), fh - h - 2))
    panel(img, x0, y0, x0 + w, y0 + h, LABEL_BAD if bad else DARK, 0.8, radius=h // 2)
    put_text(img, text, x0 + w / 2, y0 + h / 2, size, WHITE, "mm")


def _draw_body_angles(
    img: np.ndarray,
    xy: np.ndarray,
    vis: np.ndarray,
    names: Sequence[str],
    feats: Mapping[str, float],
    bad_features: frozenset[str],
    side: Side,
    lang: str,
    s: float,
) -> None:
    """Each displayed feature's value next to the joint it belongs to (with an arc for vertex angles)."""
    seen = [i for i in range(len(Lm)) if vis[i] >= SKIP_VISIBILITY and np.isfinite(xy[i]).all()]
    if not seen:
        return
    centre = np.mean(xy[seen], axis=0)
    size = max(8, round(22 * s))
    dist = 38 * s
    for name in names:
        value = feats.get(name)
        if value is None or not math.isfinite(float(value)):
            continue
        text = format_value(name, value, lang)
        if name in ANGLE_JOINTS:
            pts = [_point(xy, vis, j, side) for j in ANGLE_JOINTS[name]]
            if any(q is None for q in pts):
                continue
            a, b, c = pts  # type: ignore[misc]
            ua, uc = _unit(a - b), _unit(c - b)
            if ua is None or uc is None:
                continue
            r = round(26 * s)
            t1 = math.degrees(math.atan2(ua[1], ua[0]))
            t2 = math.degrees(math.atan2(uc[1], uc[0]))
            d = (t2 - t1 + 540.0) % 360.0 - 180.0
            centre_b = (round(float(b[0])), round(float(b[1])))
            cv2.ellipse(img, centre_b, (r, r), 0, t1, t1 + d, ARC, max(2, round(3 * s)), cv2.LINE_AA)
            out = _unit(-(ua + uc))
            if out is None:  # straight line: go perpendicular, away from the body's centre
                out = np.array([-ua[1], ua[0]])
                if np.dot(out, b - centre) < 0:
                    out = -out
            pos = b + out * (dist + r * 0.5)
        else:
            pts = [_point(xy, vis, j, side) for j in POINT_JOINTS.get(name, ())]
            if not pts or any(q is None for q in pts):
                continue
            pos = np.mean(np.asarray(pts), axis=0)
            out = None
            if len(pts) == 2:
                seg = _unit(pts[1] - pts[0])  # type: ignore[operator]
                if seg is not None:
                    out = np.array([-seg[1], seg[0]])
            if out is None:
                out = _unit(pos - centre)
            if out is None:
                out = np.array([0.0, -1.0])
            if np.dot(out, pos - centre) < 0:
                out = -out
            pos = pos + out * dist
        _label(img, text, float(pos[0]), float(pos[1]), size, name in bad_features, s)


# ------------------------------------------------------------------------------------ HUD


def _bad_features(state: EngineState, template: Template) -> frozenset[str]:
    """Displayed features to mark red: the feature of a live fault, or one whose joints are red."""
    out = {f.feature for f in template.faults if f.code in state.live_faults}
    for name in template.display:
        joints = ANGLE_JOINTS[name][1:2] if name in ANGLE_JOINTS else POINT_JOINTS.get(name, ())
        if set(joints) & set(state.bad_joints):
            out.add(name)
    return frozenset(out)


def _draw_counter(img: np.ndarray, state: EngineState, template: Template, lang: str, s: float) -> int:
    """Rep counter (and the reps per leg of a per-leg exercise) and phase label, top left; returns the bottom
    of what was drawn (px)."""
    m = round(12 * s)
    pad = round(10 * s)
    small, big, mid = round(17 * s), round(50 * s), round(24 * s)
    title = LABELS["reps"].get(lang)
    count = f"{state.reps} / {template.target_reps}"
    # one line a leg ("Links 2"), so the panel stays as narrow as the count
    per_leg = state.leg_reps or {}
    legs = [leg_counts_text({leg: n}, lang) for leg, n in per_leg.items()]
    held = [leg == state.side and state.hold_s > 0 for leg in per_leg]  # the leg being held, in amber
    w = max(text_size(x, small if x is title else big)[0] for x in (title, count, "88 / 88")) + 2 * pad
    w = max([w] + [text_size(x, mid)[0] + 2 * pad for x in legs])
    h_title, h_big = text_size(title, small)[1], text_size(count, big)[1]
    h_leg = text_size("Hg", mid)[1]
    h = pad + h_title + h_big + h_leg * len(legs) + pad // 2
    panel(img, m, m, m + w, m + h, DARK, 0.7, radius=round(12 * s))
    done = state.reps >= template.target_reps > 0
    put_text(img, title, m + pad, m + pad, small, MUTED)
    put_text(img, count, m + pad, m + pad + h_title - round(4 * s), big, GOOD if done else WHITE)
    for k, (line, hot) in enumerate(zip(legs, held, strict=True)):
        y = m + pad + h_title + h_big - round(4 * s) + k * h_leg
        put_text(img, line, m + pad, y, mid, HOLD if hot else WHITE)
    bottom = m + h
    if state.phase is not None:
        try:
            label = template.phase(state.phase).label.get(lang)
        except KeyError:
            label = state.phase
        size = round(22 * s)
        tw, th = text_size(label, size)
        y0 = bottom + round(6 * s)
        ph = th + round(6 * s)
        panel(img, m, y0, m + tw + 2 * pad, y0 + ph, DARK, 0.7, radius=ph // 2)
        put_text(img, label, m + pad, y0 + ph / 2, size, WHITE, "lm")
        bottom = y0 + ph
    return bottom


def _draw_angle_panel(
    img: np.ndarray,
    names: Sequence[str],
    feats: Mapping[str, float],
    bad_features: frozenset[str],
    lang: str,
    s: float,
) -> None:
    """The displayed features as "name value" rows, top right."""
    if not names:
        return
    fw = img.shape[1]
    m, pad, gap = round(12 * s), round(10 * s), round(12 * s)
    size = round(24 * s)
    labels = [feature_label(n, lang) for n in names]
    values = [format_value(n, feats.get(n), lang) for n in names]
    lw = max(text_size(t, size)[0] for t in labels)
    vw = max(max(text_size(v, size)[0] for v in values), text_size("188°", size)[0])
    row = text_size("Hg", size)[1]
    w = pad + lw + gap + vw + pad
    h = pad + row * len(names) + pad // 2
    x0 = fw - m - w
    panel(img, x0, m, x0 + w, m + h, DARK, 0.7, radius=round(12 * s))
    for k, (n, t, v) in enumerate(zip(names, labels, values, strict=True)):
        y = m + pad + k * row
        put_text(img, t, x0 + pad, y, size, MUTED)
        put_text(img, v, x0 + w - pad, y, size, BAD if n in bad_features else WHITE, "rt")


def _draw_hold(img: np.ndarray, state: EngineState, lang: str, s: float) -> None:
    """A ring filling up over the hold, with the whole seconds left (a tick once done), top centre; the
    caption names the leg of a per-leg hold."""
    if not (state.hold_target_s > 0 and state.hold_s > 0):
        return
    fw = img.shape[1]
    rad = round(40 * s)
    thick = max(3, round(9 * s))
    m = round(12 * s)
    cx, cy = fw // 2, m + rad + thick
    small = round(16 * s)
    labs = [LABELS["hold"].get(lang)]
    if state.side in ("left", "right"):  # a per-leg hold: the leg on a line of its own
        labs.append(message(f"leg_{state.side}", lang))
    lh = text_size("Hg", small)[1]
    box = rad + thick + round(4 * s)
    half_w = max([box] + [text_size(x, small)[0] // 2 + round(8 * s) for x in labs])
    panel(img, cx - half_w, cy - box, cx + half_w, cy + box + lh * len(labs), DARK, 0.7, radius=round(14 * s))
    frac = min(1.0, state.hold_s / state.hold_target_s)
    done = frac >= 1.0
    cv2.circle(img, (cx, cy), rad, (80, 80, 80), thick, cv2.LINE_AA)
    cv2.ellipse(img, (cx, cy), (rad, rad), -90, 0, 360 * frac, GOOD if done else HOLD, thick, cv2.LINE_AA)
    if done:
        q = rad * 0.45
        pts = np.array([[cx - q, cy], [cx - q * 0.25, cy + q * 0.7], [cx + q, cy - q * 0.6]], np.int32)
        cv2.polylines(img, [pts], False, GOOD, max(3, round(8 * s)), cv2.LINE_AA)
    else:
        left = max(0, math.ceil(state.hold_target_s - state.hold_s - 1e-9))
        put_text(img, str(left), cx, cy, round(38 * s), WHITE, "mm")
    for k, lab in enumerate(labs):
        put_text(img, lab, cx, cy + rad + thick + k * lh, small, MUTED if k == 0 else WHITE, "mt")


def _draw_banner(img: np.ndarray, text: str, good: bool, s: float) -> None:
    """The cue in a large banner at the bottom: up to 2 lines, green for praise, red-ish otherwise."""
    if not text:
        return
    fh, fw = img.shape[:2]
    m, pad = round(10 * s), round(12 * s)
    size, lines = _fit_lines(text, round(30 * s), fw - 2 * m - 2 * pad, 2)
    lh = text_size("Hg", size)[1]
    h = len(lines) * lh + 2 * pad
    y0 = fh - m - h
    panel(img, m, y0, fw - m, fh - m, BANNER_GOOD if good else BANNER_BAD, 0.85, radius=round(14 * s))
    for k, line in enumerate(lines):
        put_text(img, line, fw / 2, y0 + pad + k * lh, size, WHITE, "mt")


def overlay_scale(width: int, height: int) -> float:
    """The default overlay scale: frame height / 480, capped at width / 640 so portrait frames fit."""
    return max(0.25, min(height / 480.0, width / 640.0))


def draw_overlay(
    bgr: np.ndarray,
    landmarks: np.ndarray | None,
    state: EngineState,
    template: Template,
    lang: str,
    feats: Mapping[str, float],
    side: Side,
    *,
    scale: float | None = None,
) -> np.ndarray:
    """Draw the exercise overlay in place on one video frame and return the frame.

    Args:
        bgr: ``(H, W, 3)`` uint8 BGR frame; modified in place.
        landmarks: ``(33, 4)`` landmarks of this frame (x, y normalised 0..1, z, visibility 0..1; NaN or
            None when there is no pose).
        state: the engine's state after this frame.
        template: the exercise (display features, phases, target reps).
        lang: ``nl`` or ``en``.
        feats: feature values of this frame by name (units as in :data:`formcheck.core.geometry.FEATURES`).
        side: the body side facing the camera (drawn thicker, angles measured there).
        scale: size multiplier for every line and text (1.0 suits a 480-pixel-high frame); default
            :func:`overlay_scale`.

    Returns:
        ``bgr`` itself.
    """
    if bgr.ndim != 3 or bgr.shape[2] != 3 or bgr.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 BGR frame, got {bgr.shape} {bgr.dtype}")
    fh, fw = bgr.shape[:2]
    s = float(scale) if scale is not None else overlay_scale(fw, fh)
    bad_feats = _bad_features(state, template)
    px = _pixels(landmarks, fw, fh)
    if px is not None:
        xy, vis = px
        _draw_skeleton(bgr, xy, vis, bad_landmarks(state.bad_joints), side, s)
        _draw_body_angles(bgr, xy, vis, template.display, feats, bad_feats, side, lang, s)
    _draw_counter(bgr, state, template, lang, s)
    _draw_angle_panel(bgr, template.display, feats, bad_feats, lang, s)
    _draw_hold(bgr, state, lang, s)
    if state.cue is not None:
        _draw_banner(bgr, state.cue.text.get(lang), cue_is_good(state.cue.code), s)
    elif state.issues:
        code = state.issues[0]
        text = MESSAGES[code].get(lang) if code in MESSAGES else code
        _draw_banner(bgr, text, False, s)
    return bgr
