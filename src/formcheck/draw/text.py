"""Text for pictures: fonts, text masks, panels, colours and the display form of feature values.

Text goes through Pillow with a TrueType font (DejaVu when available) so Dutch characters such as "ë", "é"
and the degree sign render correctly; without Pillow it is transliterated to ASCII and drawn with OpenCV's
Hershey font. Each (text, size) is rendered once into a small cached coverage mask and blended into its
region only, so nothing converts a whole frame. Sizes are pixels; colours are BGR tuples of 0..255.
"""

from __future__ import annotations

import math
import unicodedata
from functools import lru_cache
from importlib import util as importlib_util
from pathlib import Path
from typing import Any, NamedTuple

import cv2
import numpy as np

from formcheck.core.geometry import FEATURES
from formcheck.core.templates import Text

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
    "spine_flexion": Text(nl="Rugbuiging", en="Spine bend"),
    "low_back_hollow": Text(nl="Holle onderrug", en="Low back hollow"),
    "stoop_squat_index": Text(nl="Hurkindex", en="Squat index"),
    "hip_flexion_left": Text(nl="Linkerheup", en="Left hip"),
    "hip_flexion_right": Text(nl="Rechterheup", en="Right hip"),
    "leg_raise_left": Text(nl="Linkerbeen omhoog", en="Left leg up"),
    "leg_raise_right": Text(nl="Rechterbeen omhoog", en="Right leg up"),
    "knee_angle_left": Text(nl="Linkerknie", en="Left knee"),
    "knee_angle_right": Text(nl="Rechterknie", en="Right knee"),
    "knee_lift": Text(nl="Knieën van de grond", en="Knees off the floor"),
    "body_line": Text(nl="Lichaamslijn", en="Body line"),
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
    """The unit of feature ``name`` as written in :data:`formcheck.core.geometry.FEATURES` (e.g. ``deg``)."""
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
