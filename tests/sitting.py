"""Synthetic sitting people for the posture tests: landmarks with known trunk, neck and head angles."""

from __future__ import annotations

import math

import numpy as np

from formcheck.core.landmarks import N_LANDMARKS, Lm
from formcheck.pose.pipeline import PoseTrace

#: Picture size of the synthetic frames (pixels).
SIZE = (640, 480)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def sitter(
    trunk_forward: float = 0.0,
    trunk_side: float = 0.0,
    neck_forward: float = 10.0,
    head_pitch: float = 5.0,
    yaw: float = 0.0,
    hips_seen: bool = True,
    head_drop: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """One frame of a sitting person: ``(33, 4)`` normalised landmarks and ``(33, 4)`` world landmarks.

    Args:
        trunk_forward: trunk lean toward the front (deg, > 0 forward, < 0 back).
        trunk_side: trunk lean toward the person's right (deg).
        neck_forward: the shoulder-to-ear line from vertical toward the front (deg).
        head_pitch: the ear-to-nose line below horizontal (deg).
        yaw: the person turned from facing the camera (deg): 0 front view, 90 side view.
        hips_seen: whether hips, knees and ankles are visible (a laptop camera sees head and shoulders).
        head_drop: how far the ears sink toward the shoulders (m).
    """
    th = math.radians(yaw)
    up = np.array([0.0, -1.0, 0.0])
    fwd = np.array([-math.sin(th), 0.0, -math.cos(th)])
    right = np.array([-math.cos(th), 0.0, math.sin(th)])
    lean = math.tan(math.radians(trunk_forward)) * fwd + math.tan(math.radians(trunk_side)) * right
    trunk = 0.5 * _unit(up + lean)
    neck = (0.2 - head_drop) * _unit(up + math.tan(math.radians(neck_forward)) * fwd)
    p = math.radians(head_pitch)
    w = np.zeros((N_LANDMARKS, 3))
    w[Lm.LEFT_HIP], w[Lm.RIGHT_HIP] = -0.15 * right, 0.15 * right
    shoulder = trunk
    s = math.radians(trunk_side)  # the shoulder line tilts with the trunk: the leaned-to shoulder drops
    line = math.cos(s) * right + math.sin(s) * -up
    w[Lm.LEFT_SHOULDER], w[Lm.RIGHT_SHOULDER] = shoulder - 0.18 * line, shoulder + 0.18 * line
    ear = shoulder + neck
    w[Lm.LEFT_EAR], w[Lm.RIGHT_EAR] = ear - 0.07 * right, ear + 0.07 * right
    w[Lm.NOSE] = ear + 0.1 * (math.cos(p) * fwd + math.sin(p) * -up)
    for i in range(1, 7):  # eyes near the nose
        w[i] = w[Lm.NOSE] - 0.02 * up
    w[Lm.MOUTH_LEFT] = w[Lm.MOUTH_RIGHT] = w[Lm.NOSE] - 0.03 * up
    for side in (0, 1):
        w[Lm.LEFT_ELBOW + side] = w[Lm.LEFT_SHOULDER + side] - 0.25 * up + 0.05 * fwd
        w[Lm.LEFT_WRIST + side] = w[Lm.LEFT_ELBOW + side] + 0.25 * fwd
        for j in (Lm.LEFT_PINKY, Lm.LEFT_INDEX, Lm.LEFT_THUMB):
            w[j + side] = w[Lm.LEFT_WRIST + side] + 0.05 * fwd
        w[Lm.LEFT_KNEE + side] = w[Lm.LEFT_HIP + side] + 0.45 * fwd
        w[Lm.LEFT_ANKLE + side] = w[Lm.LEFT_KNEE + side] + 0.45 * -up
        w[Lm.LEFT_HEEL + side] = w[Lm.LEFT_ANKLE + side] - 0.05 * fwd
        w[Lm.LEFT_FOOT_INDEX + side] = w[Lm.LEFT_ANKLE + side] + 0.15 * fwd
    vis = np.ones(N_LANDMARKS)
    if not hips_seen:
        vis[Lm.LEFT_HIP :] = 0.05
    world = np.concatenate([w, vis[:, None]], axis=1)
    lm = np.empty((N_LANDMARKS, 4))
    lm[:, 0] = 0.5 + 0.6 * w[:, 0]
    lm[:, 1] = 0.75 + 0.6 * w[:, 1]
    lm[:, 2] = w[:, 2]
    lm[:, 3] = vis
    return lm, world


def nobody() -> tuple[np.ndarray, np.ndarray]:
    """A frame without a person (all NaN)."""
    empty = np.full((N_LANDMARKS, 4), np.nan)
    return empty, empty.copy()


def trace_of(frames: list[tuple[np.ndarray, np.ndarray]], fps: float, people: int = 1) -> PoseTrace:
    """A :class:`PoseTrace` of synthetic frames."""
    lm = np.stack([f[0] for f in frames]).astype(np.float32)
    world = np.stack([f[1] for f in frames]).astype(np.float32)
    n = len(frames)
    seen = np.isfinite(lm[:, 0, 0])
    return PoseTrace(
        landmarks=lm,
        world=world,
        back=np.full((n, 2), np.nan, np.float32),
        n_people=np.where(seen, people, 0).astype(np.int32),
        brightness=np.full(n, 120.0, np.float32),
        fps=fps,
        size=SIZE,
    )
