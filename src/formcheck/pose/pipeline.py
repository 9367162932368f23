"""From poses to engine states: the offline (batch) path and the live (per-frame) path.

Both use the same features (:func:`formcheck.core.geometry.compute_features`) and the same
:class:`formcheck.core.engine.Engine`;
they differ only in smoothing (zero-phase offline, one-euro live) and in
how the camera-facing side is chosen (whole-clip vote offline, running vote live).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from formcheck.core.back import low_back_from_profile
from formcheck.core.engine import Engine, EngineState, RepRecord
from formcheck.core.filters import OneEuro, zero_phase
from formcheck.core.geometry import SteadyScale, body_scale, compute_features, steady_scale, to_pixels
from formcheck.core.landmarks import Side, camera_side, drop_unseen, has_pose, side_scores
from formcheck.core.templates import Template


@dataclass
class PoseTrace:
    """Everything the pose pass measured for a clip, frame by frame (the boundary to the model).

    Attributes:
        landmarks: ``(T, 33, 4)`` normalised landmarks, NaN rows without a pose.
        world: ``(T, 33, 4)`` world landmarks in metres.
        back: ``(T, 2)`` back-curvature index computed for the left (col 0) and right (col 1) side facing
            the camera (trunk lengths; NaN without a mask).
        n_people: ``(T,)`` people seen.
        brightness: ``(T,)`` mean luma 0..255.
        fps: frames per second.
        size: picture (width, height) in pixels.
        t: ``(T,)`` frame times in seconds from the video's own timestamps, or None for ``i / fps``.
        profile: ``(T, 2, P)`` coarse dorsal profile for the left/right side at
            :data:`formcheck.core.back.PROFILE_S` (trunk lengths; NaN without a mask), or None.
    """

    landmarks: np.ndarray
    world: np.ndarray
    back: np.ndarray
    n_people: np.ndarray
    brightness: np.ndarray
    fps: float
    size: tuple[int, int]
    t: np.ndarray | None = None
    profile: np.ndarray | None = None

    @property
    def frames(self) -> int:
        """Number of frames."""
        return int(self.landmarks.shape[0])

    @property
    def times(self) -> np.ndarray:
        """``(T,)`` frame times in seconds."""
        if self.t is not None and len(self.t) == self.frames:
            return np.asarray(self.t, dtype=np.float64)
        return np.arange(self.frames, dtype=np.float64) / self.fps

    def save(self, path: str) -> None:
        """Write the trace to a compressed ``.npz`` (float16 landmarks: ~0.3 px at 640 px)."""
        np.savez_compressed(
            path,
            landmarks=self.landmarks.astype(np.float16),
            world=self.world.astype(np.float16),
            back=self.back.astype(np.float32),
            n_people=self.n_people.astype(np.int8),
            brightness=self.brightness.astype(np.float32),
            fps=np.float64(self.fps),
            size=np.array(self.size, dtype=np.int32),
            **({"t": self.t.astype(np.float64)} if self.t is not None else {}),
            **({"profile": self.profile.astype(np.float16)} if self.profile is not None else {}),
        )

    @classmethod
    def load(cls, path: str) -> PoseTrace:
        """Read a trace written by :meth:`save`."""
        with np.load(path) as d:
            return cls(
                landmarks=d["landmarks"].astype(np.float32),
                world=d["world"].astype(np.float32),
                back=d["back"].astype(np.float32),
                n_people=d["n_people"].astype(np.int32),
                brightness=d["brightness"].astype(np.float32),
                fps=float(d["fps"]),
                size=(int(d["size"][0]), int(d["size"][1])),
                t=d["t"].astype(np.float64) if "t" in d.files else None,
                profile=d["profile"].astype(np.float32) if "profile" in d.files else None,
            )


#: File analysis poses at least this many frames a second; frames in between are interpolated.
MIN_POSE_FPS = 15.0


def pose_stride(fps: float, min_pose_fps: float = MIN_POSE_FPS) -> int:
    """Every how many frames file analysis runs the pose model: the largest whole step that still poses
    at least ``min_pose_fps`` frames a second (30 fps: 2, 60 fps: 4, 25 fps: 1), with 1 % slack for
    29.97 / 59.94 fps. ``min_pose_fps <= 0`` poses every frame."""
    if min_pose_fps <= 0 or not math.isfinite(fps) or fps <= 0:
        return 1
    return max(1, int(fps / min_pose_fps * 1.01))


def fill_unposed(values: np.ndarray, posed: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Rows of frames the model did not see, linearly interpolated in time from the posed frames around.

    Args:
        values: ``(T, ...)`` per-frame values; rows where ``posed`` is False are ignored.
        posed: ``(T,)`` bool, True where the model ran (it must hold for at least one frame).
        times: ``(T,)`` frame times in seconds, increasing.

    Returns:
        A float copy of ``values``: posed rows unchanged; a row between two posed frames interpolated
        (NaN where either of them is NaN: a gap stays a gap); a row before the first or after the last
        posed frame holds that frame's values.
    """
    posed = np.asarray(posed, dtype=bool)
    out = np.array(values, dtype=values.dtype if np.issubdtype(values.dtype, np.floating) else np.float64)
    if posed.all() or not posed.any():
        return out
    src, dst = np.flatnonzero(posed), np.flatnonzero(~posed)
    t = np.asarray(times, dtype=np.float64)
    j = np.clip(np.searchsorted(src, dst), 1, max(len(src) - 1, 1))
    a, b = src[j - 1], src[np.minimum(j, len(src) - 1)]
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.clip(np.where(t[b] > t[a], (t[dst] - t[a]) / (t[b] - t[a]), 0.0), 0.0, 1.0)
    w = w.reshape(-1, *([1] * (out.ndim - 1)))
    mixed = out[a] + w * (out[b] - out[a])
    out[dst] = np.where(w <= 0.0, out[a], np.where(w >= 1.0, out[b], mixed))
    return out


def smooth_landmarks(trace: PoseTrace, smooth_s: float = 0.05) -> np.ndarray:
    """``(T, 33, 4)`` landmarks with unseen points as gaps and x, y, z zero-phase smoothed (offline)."""
    lm = drop_unseen(trace.landmarks)
    if smooth_s <= 0:
        return lm
    xyz = zero_phase(lm[..., :3].reshape(trace.frames, -1), trace.fps, smooth_s)
    return np.concatenate([xyz.reshape(trace.frames, -1, 3), lm[..., 3:]], axis=-1)


def trace_features(
    trace: PoseTrace, smooth_s: float = 0.05, landmarks: np.ndarray | None = None
) -> tuple[Side, dict[str, np.ndarray]]:
    """Offline features of a whole trace: zero-phase smoothing, whole-clip side vote, vectorised features.

    Args:
        trace: the pose trace.
        smooth_s: Gaussian smoothing width in seconds (0 = none).
        landmarks: already smoothed landmarks from :func:`smooth_landmarks` (computed when None).

    Returns:
        The side facing the camera and ``{feature: (T,)}`` including ``brightness`` and ``n_people``.
    """
    side = camera_side(trace.landmarks)
    lm = smooth_landmarks(trace, smooth_s) if landmarks is None else landmarks
    if smooth_s > 0:
        world = zero_phase(trace.world.reshape(trace.frames, -1), trace.fps, smooth_s).reshape(
            trace.world.shape
        )
        back = zero_phase(trace.back[:, int(side)], trace.fps, smooth_s)
    else:
        world, back = trace.world, trace.back[:, int(side)]
    low_back = None
    if trace.profile is not None:
        low_back = low_back_from_profile(trace.profile[:, int(side)])
        low_back = zero_phase(low_back, trace.fps, smooth_s) if smooth_s > 0 else low_back
    scale = steady_scale(to_pixels(lm, trace.size), side, trace.times)
    feats = compute_features(
        lm, trace.size, side, world=world, back_curvature=back, scale=scale, low_back=low_back
    )
    feats["brightness"] = trace.brightness.astype(np.float64)
    feats["n_people"] = trace.n_people.astype(np.float64)
    return side, feats


def run_engine(
    template: Template,
    times: np.ndarray,
    feats: dict[str, np.ndarray],
    *,
    require_setup: bool = False,
    hold_s: tuple[float, float] | None = None,
) -> tuple[Engine, list[EngineState]]:
    """Feed precomputed features through a fresh engine, frame by frame, and close it at the last frame.

    ``hold_s``: ``(least, most)`` seconds to hold instead of the template's (a programme's set), or None.
    """
    engine = Engine(template, require_setup=require_setup, hold_s=hold_s)
    names = list(feats)
    cols = np.stack([feats[k] for k in names], axis=1) if names else np.zeros((len(times), 0))
    states = []
    for i, t in enumerate(times):
        states.append(engine.update(float(t), dict(zip(names, cols[i].tolist(), strict=True))))
    if len(times):
        engine.finish(float(times[-1]))
    return engine, states


class LivePipeline:
    """The live path for one video stream: pose frame in, engine state out, causally.

    Args:
        template: the exercise.
        require_setup: check set-up before counting (live coaching: yes).
        side_memory_s: time constant of the running camera-side vote (s).
        hold_s: ``(least, most)`` seconds to hold instead of the template's (a programme's set), or None;
            :attr:`template` is then the template with that hold target.
    """

    def __init__(
        self,
        template: Template,
        *,
        require_setup: bool = True,
        side_memory_s: float = 2.0,
        hold_s: tuple[float, float] | None = None,
    ) -> None:
        self.engine = Engine(template, require_setup=require_setup, hold_s=hold_s)
        self.template = self.engine.t
        self._filter = OneEuro(min_cutoff=2.0, beta=10.0)
        self._world_filter = OneEuro(min_cutoff=2.0, beta=10.0)
        self._scale = SteadyScale()
        self._side_vote = 0.0
        self._side = Side.LEFT
        self._side_memory_s = side_memory_s
        self._last_t: float | None = None
        self.last_landmarks: np.ndarray | None = None
        self.last_features: dict[str, float] = {}

    @property
    def side(self) -> Side:
        """The side currently believed to face the camera."""
        return self._side

    def step(
        self,
        t_s: float,
        landmarks: np.ndarray,
        world: np.ndarray,
        size: tuple[int, int],
        *,
        back: tuple[float, float] = (math.nan, math.nan),
        low_back: tuple[float, float] = (math.nan, math.nan),
        n_people: int = 1,
        brightness: float = 128.0,
    ) -> EngineState:
        """Process one frame.

        Args:
            t_s: frame time in seconds (increasing).
            landmarks: ``(33, 4)`` normalised landmarks (NaN without a pose).
            world: ``(33, 4)`` world landmarks (metres).
            size: picture (width, height) in pixels.
            back: back-curvature index for the (left, right) side facing the camera.
            low_back: low-back index (:func:`formcheck.core.back.low_back_hollow`) for the (left, right)
                side facing the camera.
            n_people: people seen.
            brightness: mean luma 0..255.

        Returns:
            The engine state; the smoothed landmarks and features are kept in ``last_landmarks`` and
            ``last_features`` for drawing.
        """
        dt = 0.0 if self._last_t is None else max(0.0, t_s - self._last_t)
        self._last_t = t_s
        lm = np.asarray(landmarks, dtype=np.float64)
        score = float(side_scores(lm)) if has_pose(lm) else math.nan
        if math.isfinite(score):
            k = math.exp(-dt / self._side_memory_s) if dt > 0 else 1.0
            self._side_vote = k * self._side_vote + (1 - k if dt > 0 else 1.0) * math.tanh(score)
            if self._side_vote > 0.1:
                self._side = Side.RIGHT
            elif self._side_vote < -0.1:
                self._side = Side.LEFT
        xyz = self._filter(t_s, drop_unseen(lm)[:, :3].reshape(-1)).reshape(-1, 3)
        sm = np.concatenate([xyz, lm[:, 3:]], axis=1)
        w = self._world_filter(t_s, np.asarray(world, dtype=np.float64)[:, :3].reshape(-1)).reshape(-1, 3)
        w = np.concatenate([w, np.asarray(world, dtype=np.float64)[:, 3:]], axis=1)
        ground, leg = body_scale(to_pixels(sm[None], size), self._side)
        g, lg = self._scale.update(t_s, float(ground[0]), float(leg[0]))
        f = compute_features(
            sm[None],
            size,
            self._side,
            world=w[None],
            back_curvature=np.array([back[int(self._side)]]),
            scale=(np.array([g]), np.array([lg])),
            low_back=np.array([low_back[int(self._side)]]),
        )
        feats = {k: float(v[0]) for k, v in f.items()}
        feats["brightness"] = float(brightness)
        feats["n_people"] = float(n_people)
        self.last_landmarks = sm
        self.last_features = feats
        return self.engine.update(t_s, feats)

    def finish(self) -> list[RepRecord]:
        """The stream has ended (stop pressed, camera gone): settle what only the end can settle, as the
        offline path does at a video's last frame. Returns the reps that complete by it."""
        return self.engine.finish(self._last_t) if self._last_t is not None else []
