"""The overlay drawn on video frames (annotated MP4 offline, live video in the browser) and set-up diagrams.

Everything is sized for a patient lying on the floor some 3 m from a laptop screen: a thick skeleton with
joints coloured by correctness (red = named in a live fault, green = fine), the key angles at their joints
and in a panel, a big rep counter, the phase, a hold countdown ring and the current cue in a large banner.

Speed matters (live video on a 2-core machine): nothing converts the whole frame. Panels are blended inside
their own region only, and text is rendered once per (text, size) into a small coverage mask that is cached
and blended into its region. Text goes through Pillow with a TrueType font (DejaVu when available) so Dutch
characters such as "ë", "é" and the degree sign render correctly; without Pillow the text is transliterated
to ASCII and drawn with OpenCV's Hershey font.

All sizes in this module are in pixels of a 480-pixel-high frame, multiplied by ``scale`` (see
:func:`draw_overlay`). Colours are BGR tuples of 0..255.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import util as importlib_util
from pathlib import Path
from typing import Any, NamedTuple

import cv2
import numpy as np

from formcheck.cues import cue_is_good
from formcheck.engine import EngineState
from formcheck.geometry import FEATURES
from formcheck.landmarks import SIDED, SKELETON, Lm, Side
from formcheck.messages import MESSAGES
from formcheck.templates import Template, Text

try:  # Pillow comes with matplotlib / streamlit; without it, text falls back to OpenCV's Hershey font.
    from PIL import Image, ImageDraw, ImageFont

    HAVE_PIL = True
except ImportError:  # pragma: no cover - exercised only on installs without Pillow
    HAVE_PIL = False

BGR = tuple[int, int, int]

# ------------------------------------------------------------------------------------ style

GOOD: BGR = (90, 205, 70)  # green
BAD: BGR = (60, 60, 235)  # red
WHITE: BGR = (255, 255, 255)
DARK: BGR = (30, 26, 24)  # panel background
OUTLINE: BGR = (20, 20, 20)  # dark edge under the bones, for contrast on light backgrounds
ARC: BGR = (40, 210, 250)  # amber-yellow angle arcs
HOLD: BGR = (40, 190, 250)  # amber hold progress
MUTED: BGR = (200, 200, 200)
BANNER_BAD: BGR = (45, 45, 185)  # red-ish banner for faults and set-up problems
BANNER_GOOD: BGR = (50, 140, 40)  # green banner for praise and finished holds
LABEL_BAD: BGR = (40, 40, 170)  # background of an on-body value whose joint is faulty

#: Landmarks with a lower visibility are drawn dimmed and thin; below ``SKIP_VISIBILITY`` they are skipped.
MIN_VISIBILITY = 0.5
SKIP_VISIBILITY = 0.2

#: Cue codes shown on a green banner (besides any code ending in ``_done``).

#: Fixed overlay words.
LABELS: dict[str, Text] = {
    "reps": Text(nl="Herhalingen", en="Reps"),
    "hold": Text(nl="Vasthouden", en="Hold"),
    "angles": Text(nl="Hoeken", en="Angles"),
    "camera": Text(nl="Camera", en="Camera"),
    "floor": Text(nl="op de grond", en="on the floor"),
    "knee": Text(nl="op kniehoogte", en="at knee height"),
    "hip": Text(nl="op heuphoogte", en="at hip height"),
    "chest": Text(nl="op borsthoogte", en="at chest height"),
}

#: Short feature names for the angle panel.
FEATURE_LABELS: dict[str, Text] = {
    "knee_angle": Text(nl="Knie", en="Knee"),
    "knee_flexion": Text(nl="Kniebuiging", en="Knee bend"),
    "hip_angle": Text(nl="Heup", en="Hip"),
    "elbow_angle": Text(nl="Elleboog", en="Elbow"),
    "shoulder_angle": Text(nl="Schouder", en="Shoulder"),
    "trunk_incline": Text(nl="Romp", en="Trunk"),
    "pelvis_height": Text(nl="Bekkenhoogte", en="Pelvis height"),
    "hand_height": Text(nl="Handhoogte", en="Hand height"),
    "load_distance": Text(nl="Afstand last", en="Load distance"),
    "twist": Text(nl="Draaiing", en="Twist"),
    "neck_flexion": Text(nl="Nek", en="Neck"),
    "back_curvature": Text(nl="Rugkromming", en="Back curve"),
    "stoop_squat_index": Text(nl="Hurkindex", en="Squat index"),
}

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
    "neck_flexion": ("shoulder", "ear"),
    "pelvis_height": ("hip",),
    "stoop_squat_index": ("hip",),
    "hand_height": ("wrist",),
    "load_distance": ("wrist", "ankle"),
}

# ------------------------------------------------------------------------------------ text

_FONT_FILES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
    "/Library/Fonts/Arial Bold.ttf",
    "/System/Library/Fonts/Supplemental/Arial Bold.ttf",
    "C:/Windows/Fonts/arialbd.ttf",
)


@lru_cache(maxsize=1)
def font_path() -> str | None:
    """The TrueType font file used for all text (bold DejaVu Sans when found), or None for Pillow's default.

    Looks in the usual system folders, then in matplotlib's bundled fonts (found without importing it).
    """
    candidates = list(_FONT_FILES)
    spec = importlib_util.find_spec("matplotlib")
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            candidates.append(str(Path(loc) / "mpl-data" / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"))
    for c in candidates:
        if Path(c).is_file():
            return c
    return None


@lru_cache(maxsize=64)
def _font(size: int) -> Any:
    """A Pillow font of ``size`` pixels (em height)."""
    path = font_path()
    if path is not None:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            pass
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: a fixed-size bitmap font
        return ImageFont.load_default()


_ASCII = {"°": " deg", "–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "×": "x"}


def ascii_text(text: str) -> str:
    """``text`` transliterated to ASCII for OpenCV's Hershey font ("ë" -> "e", "°" -> " deg")."""
    out = []
    for ch in text:
        if ch in _ASCII:
            out.append(_ASCII[ch])
            continue
        base = unicodedata.normalize("NFKD", ch)
        base = "".join(c for c in base if not unicodedata.combining(c))
        out.append(base if base.isascii() else "?")
    return "".join(out)


class Mask(NamedTuple):
    """Blend weights of a small patch: ``a`` is the coverage (0..1) and ``inv`` is ``1 - a``, both
    ``(h, w)`` float32 (the form :func:`cv2.blendLinear` wants)."""

    a: np.ndarray
    inv: np.ndarray

    @classmethod
    def of(cls, a: np.ndarray) -> Mask:
        """Read-only weights from a coverage array ``a`` (0..1)."""
        a = np.ascontiguousarray(a, dtype=np.float32)
        inv = 1.0 - a
        a.setflags(write=False)
        inv.setflags(write=False)
        return cls(a, inv)


@lru_cache(maxsize=128)  # a label per rep count and cue: bounded for hour-long sessions (bench_soak)
def text_mask(text: str, size: int) -> Mask:
    """``text`` on one line as coverage weights of shape ``(h, w)``, cached.

    ``size`` is the font size in pixels; ``h`` is the font's line height (ascent + descent), the same for
    every text of that size, so labels do not jump as digits change.
    """
    size = max(6, int(size))
    if HAVE_PIL:
        font = _font(size)
        try:
            ascent, descent = font.getmetrics()
        except AttributeError:  # pragma: no cover - bitmap font
            ascent, descent = size, size // 4
        if text:
            left, _, right, _ = font.getbbox(text, anchor="la")
        else:
            left, right = 0, 0
        pad = max(1, size // 12)
        w = max(1, math.ceil(right - min(0, left)) + 2 * pad)
        h = max(1, ascent + descent)
        im = Image.new("L", (w, h), 0)
        ImageDraw.Draw(im).text((pad - min(0, left), 0), text, fill=255, font=font, anchor="la")
        cover = np.asarray(im, dtype=np.float32) / 255.0
    else:  # pragma: no cover - exercised only without Pillow
        s = ascii_text(text)
        fs = size / 30.0
        th = max(1, round(size / 12))
        tw = cv2.getTextSize(s, cv2.FONT_HERSHEY_DUPLEX, fs, th)[0][0]
        im = np.zeros((int(size * 1.2), tw + 2 * th + 2), np.uint8)
        cv2.putText(im, s, (th, int(size * 0.95)), cv2.FONT_HERSHEY_DUPLEX, fs, 255, th, cv2.LINE_AA)
        cover = im.astype(np.float32) / 255.0
    return Mask.of(cover)


def text_size(text: str, size: int) -> tuple[int, int]:
    """``(width, height)`` in pixels of ``text`` at font ``size`` px, as :func:`put_text` draws it."""
    h, w = text_mask(text, size).a.shape
    return w, h


def put_text(
    img: np.ndarray, text: str, x: float, y: float, size: int, color: BGR, anchor: str = "lt"
) -> tuple[int, int, int, int]:
    """Draw one line of ``text`` at ``(x, y)`` px; returns its box ``(x0, y0, x1, y1)`` (unclipped).

    ``anchor``: horizontal ``l``/``m``/``r`` then vertical ``t``/``m``/``b`` (of the line box).
    """
    mask = text_mask(text, size)
    h, w = mask.a.shape
    x0 = round(x - {"l": 0, "m": w / 2, "r": w}[anchor[0]])
    y0 = round(y - {"t": 0, "m": h / 2, "b": h}[anchor[1]])
    blend_mask(img, x0, y0, mask, color)
    return x0, y0, x0 + w, y0 + h


_SOLID: dict[BGR, np.ndarray] = {}


def _solid(h: int, w: int, color: BGR) -> np.ndarray:
    """An ``(h, w, 3)`` uint8 view filled with ``color`` (slices of one cached array per colour)."""
    key = (int(color[0]), int(color[1]), int(color[2]))
    arr = _SOLID.get(key)
    if arr is None or arr.shape[0] < h or arr.shape[1] < w:
        old_h, old_w = arr.shape[:2] if arr is not None else (0, 0)
        hh, ww = max(h, 64, old_h), max(w, 64, old_w)
        arr = np.empty((hh, ww, 3), np.uint8)
        arr[:] = key
        if len(_SOLID) > 64:
            _SOLID.clear()
        _SOLID[key] = arr
    return arr[:h, :w]


def _clip(img: np.ndarray, x0: int, y0: int, w: int, h: int) -> tuple[int, int, int, int] | None:
    """The part ``(ax, ay, bx, by)`` (patch coordinates) of a ``w`` x ``h`` patch at ``(x0, y0)`` inside
    ``img``, or None when it is entirely outside."""
    fh, fw = img.shape[:2]
    ax, ay = max(0, -x0), max(0, -y0)
    bx, by = min(w, fw - x0), min(h, fh - y0)
    if bx <= ax or by <= ay:
        return None
    return ax, ay, bx, by


def blend_mask(img: np.ndarray, x0: int, y0: int, mask: Mask, color: BGR) -> None:
    """Blend ``color`` into ``img`` with the weights of ``mask`` (top-left at ``(x0, y0)`` px), in place."""
    h, w = mask.a.shape
    c = _clip(img, x0, y0, w, h)
    if c is None:
        return
    ax, ay, bx, by = c
    roi = img[y0 + ay : y0 + by, x0 + ax : x0 + bx]
    solid = _solid(by - ay, bx - ax, color)
    roi[:] = cv2.blendLinear(roi, solid, mask.inv[ay:by, ax:bx], mask.a[ay:by, ax:bx])


def blend_rect(img: np.ndarray, x0: int, y0: int, x1: int, y1: int, color: BGR, alpha: float) -> None:
    """Blend ``color`` with opacity ``alpha`` (0..1) into the rectangle ``[x0, x1) x [y0, y1)`` px."""
    fh, fw = img.shape[:2]
    x0, y0, x1, y1 = max(0, int(x0)), max(0, int(y0)), min(fw, int(x1)), min(fh, int(y1))
    if x1 <= x0 or y1 <= y0:
        return
    roi = img[y0:y1, x0:x1]
    cv2.addWeighted(roi, 1.0 - alpha, _solid(y1 - y0, x1 - x0, color), alpha, 0.0, dst=roi)


def wrap_text(text: str, size: int, max_width: int) -> list[str]:
    """Greedy word wrap of ``text`` at font ``size`` px into lines no wider than ``max_width`` px.

    A single word wider than ``max_width`` stays on its own (too wide) line.
    """
    lines: list[str] = []
    cur = ""
    for word in text.split():
        trial = f"{cur} {word}" if cur else word
        if not cur or text_size(trial, size)[0] <= max_width:
            cur = trial
        else:
            lines.append(cur)
            cur = word
    if cur:
        lines.append(cur)
    return lines


@lru_cache(maxsize=256)
def _fit_lines(text: str, size: int, max_width: int, max_lines: int) -> tuple[int, tuple[str, ...]]:
    """The largest font size (``size`` down to 60 % of it) at which ``text`` wraps into ``max_lines``.

    Returns ``(size px, lines)``; at the smallest size surplus text is cut with an ellipsis.
    """
    min_size = max(8, int(size * 0.6))
    s = size
    while True:
        lines = wrap_text(text, s, max_width)
        if len(lines) <= max_lines or s <= min_size:
            break
        s = max(min_size, int(s * 0.9))
    if len(lines) == 2:  # balance two lines instead of leaving one word on the second
        words = text.split()
        splits = [(" ".join(words[:k]), " ".join(words[k:])) for k in range(1, len(words))]
        fits = [p for p in splits if max(text_size(p[0], s)[0], text_size(p[1], s)[0]) <= max_width]
        if fits:
            lines = list(min(fits, key=lambda p: max(text_size(p[0], s)[0], text_size(p[1], s)[0])))
    if len(lines) > max_lines:
        last = " ".join(lines[max_lines - 1 :])
        while last and text_size(last + "…", s)[0] > max_width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last.rstrip() + "…"]
    return s, tuple(lines)


# ------------------------------------------------------------------------------------ panels


@lru_cache(maxsize=256)
def _corner_masks(r: int, alpha: float) -> tuple[Mask, Mask, Mask, Mask]:
    """Anti-aliased quarter discs of radius ``r`` px times ``alpha``: top-left, top-right, bottom-left,
    bottom-right."""
    m = np.zeros((2 * r, 2 * r), np.uint8)
    cv2.circle(m, (r * 16 - 8, r * 16 - 8), r * 16, 255, -1, cv2.LINE_AA, shift=4)
    a = m.astype(np.float32) * np.float32(alpha / 255.0)
    return Mask.of(a[:r, :r]), Mask.of(a[:r, r:]), Mask.of(a[r:, :r]), Mask.of(a[r:, r:])


def panel(
    img: np.ndarray,
    x0: int,
    y0: int,
    x1: int,
    y1: int,
    color: BGR = DARK,
    alpha: float = 0.7,
    radius: int = 0,
) -> None:
    """A translucent rectangle with corners rounded by ``radius`` px, blended into ``img`` in place.

    Works on the rectangle's own region only: the straight parts with :func:`cv2.addWeighted`, the four
    corners with cached quarter-disc weights.
    """
    x0, y0, x1, y1 = int(x0), int(y0), int(x1), int(y1)
    if x1 <= x0 or y1 <= y0:
        return
    r = max(0, min(int(radius), (x1 - x0) // 2, (y1 - y0) // 2))
    blend_rect(img, x0, y0 + r, x1, y1 - r, color, alpha)
    if r == 0:
        return
    blend_rect(img, x0 + r, y0, x1 - r, y0 + r, color, alpha)
    blend_rect(img, x0 + r, y1 - r, x1 - r, y1, color, alpha)
    tl, tr, bl, br = _corner_masks(r, round(alpha, 3))
    blend_mask(img, x0, y0, tl, color)
    blend_mask(img, x1 - r, y0, tr, color)
    blend_mask(img, x0, y1 - r, bl, color)
    blend_mask(img, x1 - r, y1 - r, br, color)


# ------------------------------------------------------------------------------------ formatting


def feature_unit(name: str) -> str:
    """The unit of feature ``name`` as written in :data:`formcheck.geometry.FEATURES` (e.g. ``deg``)."""
    return FEATURES.get(name, "").split(";")[0].strip()


def format_value(name: str, value: float | None, lang: str) -> str:
    """A feature value for display: degrees as ``"123°"``, counts as integers, other units with 2 decimals.

    Dutch uses a decimal comma. Missing / NaN values show as ``"–"``.
    """
    if value is None or not math.isfinite(float(value)):
        return "–"
    v = float(value)
    unit = feature_unit(name)
    if unit == "deg":
        return f"{v:.0f}°"
    if unit in ("count", "0..255"):
        return f"{v:.0f}"
    s = f"{v:.2f}"
    return s.replace(".", ",") if lang == "nl" else s


def feature_label(name: str, lang: str) -> str:
    """The short display name of feature ``name`` in ``lang``."""
    t = FEATURE_LABELS.get(name)
    return t.get(lang) if t else name.replace("_", " ").capitalize()


def format_metres(x: float, lang: str) -> str:
    """A distance in metres without trailing zeros, with a decimal comma in Dutch (``2,5``)."""
    s = f"{x:.1f}".rstrip("0").rstrip(".")
    return s.replace(".", ",") if lang == "nl" else s


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
    """Rep counter and phase label, top left; returns the bottom of what was drawn (px)."""
    m = round(12 * s)
    pad = round(10 * s)
    small, big = round(17 * s), round(50 * s)
    title = LABELS["reps"].get(lang)
    count = f"{state.reps} / {template.target_reps}"
    w = max(text_size(title, small)[0], text_size(count, big)[0], text_size("88 / 88", big)[0]) + 2 * pad
    h_title, h_big = text_size(title, small)[1], text_size(count, big)[1]
    h = pad + h_title + h_big + pad // 2
    panel(img, m, m, m + w, m + h, DARK, 0.7, radius=round(12 * s))
    done = state.reps >= template.target_reps > 0
    put_text(img, title, m + pad, m + pad, small, MUTED)
    put_text(img, count, m + pad, m + pad + h_title - round(4 * s), big, GOOD if done else WHITE)
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
    """A ring filling up over the hold, with the whole seconds left (a tick once done), top centre."""
    if not (state.hold_target_s > 0 and state.hold_s > 0):
        return
    fw = img.shape[1]
    rad = round(40 * s)
    thick = max(3, round(9 * s))
    m = round(12 * s)
    cx, cy = fw // 2, m + rad + thick
    small = round(16 * s)
    lab = LABELS["hold"].get(lang)
    lh = text_size(lab, small)[1]
    box = rad + thick + round(4 * s)
    half_w = max(box, text_size(lab, small)[0] // 2 + round(8 * s))
    panel(img, cx - half_w, cy - box, cx + half_w, cy + box + lh, DARK, 0.7, radius=round(14 * s))
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
    put_text(img, lab, cx, cy + rad + thick, small, MUTED, "mt")


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
        feats: feature values of this frame by name (units as in :data:`formcheck.geometry.FEATURES`).
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


# ------------------------------------------------------------------------------------ set-up guide

#: Stick-figure postures in units of standing height (x to the person's front, y up from the floor).
POSTURES: dict[str, dict[str, tuple[float, float]]] = {
    "standing": {
        "head": (0.02, 0.935),
        "shoulder": (0.0, 0.81),
        "elbow": (0.01, 0.64),
        "wrist": (0.03, 0.49),
        "hip": (0.0, 0.52),
        "knee": (0.015, 0.285),
        "ankle": (0.0, 0.045),
        "heel": (-0.03, 0.01),
        "foot": (0.09, 0.01),
    },
    "supine_knees_bent": {  # lying on the back, knees bent, feet flat
        "head": (-0.42, 0.07),
        "shoulder": (-0.29, 0.055),
        "elbow": (-0.14, 0.035),
        "wrist": (0.0, 0.03),
        "hip": (0.0, 0.06),
        "knee": (0.19, 0.25),
        "ankle": (0.35, 0.045),
        "heel": (0.33, 0.015),
        "foot": (0.44, 0.015),
    },
    "all_fours": {  # hands under the shoulders, knees under the hips
        "head": (0.40, 0.37),
        "shoulder": (0.29, 0.33),
        "elbow": (0.29, 0.18),
        "wrist": (0.29, 0.03),
        "hip": (0.0, 0.31),
        "knee": (0.0, 0.035),
        "ankle": (-0.26, 0.03),
        "heel": (-0.28, 0.05),
        "foot": (-0.33, 0.015),
    },
}
#: Camera heights in units of standing height.
CAMERA_HEIGHT: dict[str, float] = {"floor": 0.0, "knee": 0.28, "hip": 0.52, "chest": 0.72}
_BONES = (
    ("shoulder", "elbow"),
    ("elbow", "wrist"),
    ("shoulder", "hip"),
    ("hip", "knee"),
    ("knee", "ankle"),
    ("ankle", "heel"),
    ("heel", "foot"),
    ("ankle", "foot"),
)


def _arrow(img: np.ndarray, p: tuple[int, int], q: tuple[int, int], color: BGR, th: int, tip: int) -> None:
    """A line from ``p`` to ``q`` px with arrow heads at both ends (``tip`` px long)."""
    cv2.line(img, p, q, color, th, cv2.LINE_AA)
    for a, b in ((p, q), (q, p)):
        d = np.subtract(b, a).astype(np.float64)
        n = float(np.hypot(*d)) or 1.0
        d /= n
        for ang in (0.45, -0.45):
            c, sn = math.cos(ang), math.sin(ang)
            rot = np.array([d[0] * c - d[1] * sn, d[0] * sn + d[1] * c])
            e = (round(float(b[0] - rot[0] * tip)), round(float(b[1] - rot[1] * tip)))
            cv2.line(img, b, e, color, th, cv2.LINE_AA)


def _camera_icon(img: np.ndarray, cx: int, cy: int, size: int, floor_y: int, color: BGR) -> tuple[int, int]:
    """A camera facing left centred at ``(cx, cy)`` px, on a tripod down to ``floor_y``; returns the lens."""
    w, h = int(size * 1.5), size
    x0, y0 = cx - w // 2, cy - h // 2
    th = max(2, size // 10)
    if cy + h < floor_y:  # tripod
        top = (cx, cy + h // 2)
        for dx in (-0.55, 0.0, 0.55):
            cv2.line(img, top, (int(cx + dx * size), floor_y), (90, 90, 90), th, cv2.LINE_AA)
    cv2.rectangle(img, (x0 + w // 3, y0 - h // 5), (x0 + w - w // 6, y0 + 1), color, -1, cv2.LINE_AA)
    cv2.rectangle(img, (x0, y0), (x0 + w, y0 + h), color, -1, cv2.LINE_AA)
    lens = (x0 - size // 6, cy)
    cv2.rectangle(img, (x0 - size // 4, cy - h // 3), (x0 + 1, cy + h // 3), color, -1, cv2.LINE_AA)
    cv2.circle(img, (x0 + w // 2, cy), max(3, h // 3), (235, 235, 235), -1, cv2.LINE_AA)
    cv2.circle(img, (x0 + w // 2, cy), max(2, h // 5), (150, 110, 60), -1, cv2.LINE_AA)
    cv2.circle(img, (x0 + w - w // 6, y0 + h // 5), max(2, h // 10), (60, 60, 230), -1, cv2.LINE_AA)
    return lens


def draw_setup_guide(width: int, height: int, template: Template, lang: str) -> np.ndarray:
    """A diagram of where the camera goes for ``template``, as a ``(height, width, 3)`` uint8 BGR picture.

    Shows a side view of a stick figure in the exercise's start posture on the floor, a camera at
    ``template.camera.height`` looking at it with its field of view, a dimension arrow with the distance
    range ``template.camera.distance_m`` ("2–3 m"), the exercise title, and the camera text wrapped below.

    Args:
        width, height: picture size in pixels.
        template: the exercise (only its name, title and camera fields are read).
        lang: ``nl`` or ``en``.
    """
    iw, ih = int(width), int(height)
    if iw < 16 or ih < 16:
        raise ValueError(f"setup guide too small: {iw}x{ih}")
    img = np.full((ih, iw, 3), (246, 242, 238), np.uint8)
    s = min(iw / 640.0, ih / 480.0)
    ink: BGR = (70, 55, 45)
    accent: BGR = (200, 120, 40)
    m = round(16 * s)

    # title
    title_size = round(26 * s)
    title = f"{template.title.get(lang)} · {LABELS['camera'].get(lang).lower()}"
    put_text(img, title, m, m, title_size, ink)
    top = m + text_size(title, title_size)[1] + round(8 * s)

    # text below (wrapped), sized to take at most ~35 % of the picture
    cam = template.camera
    body_size, lines = _fit_lines(cam.text.get(lang), round(21 * s), iw - 2 * m, 4)
    lh = text_size("Hg", body_size)[1]
    text_top = ih - m - lh * len(lines)
    for k, line in enumerate(lines):
        put_text(img, line, m, text_top + k * lh, body_size, ink)

    # diagram area: the figure as large as fits, the floor placed so that the drawing sits in the middle
    dim_h = round(46 * s)  # room for the dimension arrow and its label under the floor
    lowest_floor = text_top - dim_h - round(8 * s)
    area_h = lowest_floor - top
    if area_h < 20:
        return img
    posture = POSTURES[cam.posture]
    xs = [p[0] for p in posture.values()]
    ys = [p[1] for p in posture.values()]
    cam_h = CAMERA_HEIGHT.get(cam.height, 0.5)
    content_units = max(max(ys) + 0.08, cam_h + 0.2)  # figure with head, camera with its label
    fig_w_units = max(xs) - min(xs) + 0.12
    person = min(area_h * 0.95 / content_units, iw * 0.58 / fig_w_units)
    floor_y = int(min(lowest_floor, top + (area_h + content_units * person) / 2))
    fig_x = m + round(24 * s) - min(xs) * person

    def to_px(pt: tuple[float, float]) -> tuple[int, int]:
        return round(float(fig_x + pt[0] * person)), round(float(floor_y - pt[1] * person))

    # floor and mat
    cv2.line(img, (m, floor_y), (iw - m, floor_y), (150, 140, 130), max(2, round(3 * s)), cv2.LINE_AA)
    if cam.posture != "standing":  # an exercise mat
        mx0, mx1 = int(fig_x + (min(xs) - 0.06) * person), int(fig_x + (max(xs) + 0.06) * person)
        cv2.rectangle(img, (mx0, floor_y - max(3, round(0.02 * person))), (mx1, floor_y), (200, 160, 90), -1)

    # camera
    cam_size = round(min(max(36 * s, 0.1 * person), 0.2 * person))
    cam_x = iw - m - round(cam_size * 1.1)
    cam_y = int(floor_y - max(cam_h * person, cam_size * 0.6))
    fig_pts = [to_px(p) for p in posture.values()]
    head_r = max(4, round(0.065 * person))
    fx0 = min(x for x, _ in fig_pts) - head_r
    fy0 = min(y for _, y in fig_pts) - head_r - round(0.05 * person)
    # field of view, then the figure on top of it
    lens = (cam_x - round(cam_size * 0.95), cam_y)
    cone = np.array([lens, (fx0 - round(10 * s), fy0), (fx0 - round(10 * s), floor_y)], np.int32)
    overlay = img.copy()
    cv2.fillPoly(overlay, [cone], (240, 215, 170), cv2.LINE_AA)
    cv2.addWeighted(overlay, 0.55, img, 0.45, 0, dst=img)
    for edge in ((lens, tuple(cone[1])), (lens, tuple(cone[2]))):
        cv2.line(img, edge[0], edge[1], (215, 170, 110), max(1, round(1.5 * s)), cv2.LINE_AA)
    _camera_icon(img, cam_x, cam_y, cam_size, floor_y, (60, 60, 60))
    hl = LABELS.get(cam.height)
    if hl is not None:
        put_text(img, hl.get(lang), cam_x + cam_size * 0.75, cam_y - cam_size, round(16 * s), accent, "rb")

    # stick figure
    bone = max(3, round(0.03 * person))
    for a, b in _BONES:
        cv2.line(img, to_px(posture[a]), to_px(posture[b]), ink, bone, cv2.LINE_AA)
    sh, hd = np.array(to_px(posture["shoulder"])), np.array(to_px(posture["head"]))
    neck = sh + (hd - sh) * 0.35
    cv2.line(img, tuple(int(v) for v in sh), tuple(int(v) for v in neck), ink, bone, cv2.LINE_AA)
    cv2.circle(img, to_px(posture["head"]), head_r, ink, -1, cv2.LINE_AA)

    # distance arrow from the person to the camera
    near, far = cam.distance_m
    label = f"{format_metres(near, lang)}–{format_metres(far, lang)} m"
    ay = floor_y + round(22 * s)
    px_person = round(float(fig_x))
    cv2.line(img, (px_person, floor_y + 4), (px_person, ay + round(8 * s)), accent, 1, cv2.LINE_AA)
    cv2.line(img, (cam_x, floor_y + 4), (cam_x, ay + round(8 * s)), accent, 1, cv2.LINE_AA)
    _arrow(img, (px_person, ay), (cam_x, ay), accent, max(2, round(2.5 * s)), round(12 * s))
    lsize = round(22 * s)
    lw, lhh = text_size(label, lsize)
    lx = (px_person + cam_x) / 2
    gap = ((int(lx - lw / 2 - 4), int(ay - lhh / 2)), (int(lx + lw / 2 + 4), int(ay + lhh / 2)))
    cv2.rectangle(img, gap[0], gap[1], (246, 242, 238), -1)
    put_text(img, label, lx, ay, lsize, accent, "mm")
    return img
