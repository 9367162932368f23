"""Set-up diagrams: where the camera goes for an exercise (side view, camera height and distance).

Sizes are pixels; colours are BGR tuples of 0..255.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from formcheck.core.templates import Template
from formcheck.draw.text import (
    LABELS,
    _fit_lines,
    format_metres,
    put_text,
    text_size,
)

BGR = tuple[int, int, int]


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
    "supine": {  # lying on the back, legs straight (knee-to-chest, hamstring stretch)
        "head": (-0.42, 0.07),
        "shoulder": (-0.29, 0.055),
        "elbow": (-0.14, 0.035),
        "wrist": (0.0, 0.03),
        "hip": (0.0, 0.06),
        "knee": (0.24, 0.055),
        "ankle": (0.47, 0.045),
        "heel": (0.47, 0.015),
        "foot": (0.52, 0.09),
    },
    "plank": {  # on the forearms and toes, shoulders, hips and ankles in one line
        "head": (0.44, 0.25),
        "shoulder": (0.31, 0.20),
        "elbow": (0.31, 0.03),
        "wrist": (0.46, 0.03),
        "hip": (0.0, 0.15),
        "knee": (-0.24, 0.095),
        "ankle": (-0.47, 0.05),
        "heel": (-0.49, 0.07),
        "foot": (-0.49, 0.01),
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
