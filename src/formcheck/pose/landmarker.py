"""MediaPipe pose estimation: the only module that imports mediapipe.

RGB frames in, plain numpy out (:class:`PoseFrame`). Models are the offline bundles shipped as package data
(``formcheck/models/pose_landmarker_{lite,full}.task``); nothing is ever downloaded.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import threading
import types
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np

from formcheck.core.landmarks import N_LANDMARKS, has_pose
from formcheck.pose.netguard import NetlessThread

ModelName = Literal["lite", "full", "heavy"]
MODELS: tuple[str, ...] = ("lite", "full", "heavy")

#: How often (seconds of video time) a separate multi-person check runs; 0 disables it.
PEOPLE_CHECK_EVERY_S = 1.0


_QUIET_LOCK = threading.Lock()
_quiet_depth = 0
_quiet_saved: int | None = None


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Silence the native libraries' start-up chatter on file descriptor 2 (FORMCHECK_DEBUG keeps it).

    Safe when several threads (browser sessions) create landmarkers at once: the first one in redirects
    fd 2, the last one out restores it.
    """
    global _quiet_depth, _quiet_saved
    if os.environ.get("FORMCHECK_DEBUG"):
        yield
        return
    with _QUIET_LOCK:
        if _quiet_depth == 0:
            try:
                sys.stderr.flush()
                saved = os.dup(2)
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 2)
                os.close(devnull)
                _quiet_saved = saved
            except (OSError, ValueError):
                _quiet_saved = None
        _quiet_depth += 1
    try:
        yield
    finally:
        with _QUIET_LOCK:
            _quiet_depth -= 1
            if _quiet_depth == 0 and _quiet_saved is not None:
                os.dup2(_quiet_saved, 2)
                os.close(_quiet_saved)
                _quiet_saved = None


class _DeferredModule(types.ModuleType):
    """Stands in for a module while MediaPipe is imported; the first use of one of its attributes imports
    the real module (by its name, from ``sys.modules`` or afresh) and forwards to it."""

    def __getattr__(self, attr: str) -> Any:
        real = importlib.import_module(self.__name__)
        if real is self:  # used while mediapipe itself is being imported: not expected, say so
            raise AttributeError(f"{self.__name__}.{attr} used while mediapipe is imported")
        return getattr(real, attr)


#: Modules ``import mediapipe`` loads without using them at import time (only its drawing helpers
#: ``plot_landmarks`` calls pyplot): about 0.9 s of start-up, half of mediapipe's import.
DEFERRED_MODULES: tuple[str, ...] = ("matplotlib", "matplotlib.pyplot")

_IMPORT_LOCK = threading.Lock()


def import_mediapipe() -> types.ModuleType:
    """Import and return ``mediapipe`` without importing matplotlib.

    MediaPipe's ``tasks.python.vision`` package imports its drawing helpers, which import
    ``matplotlib.pyplot`` at module level and use it only in ``plot_landmarks``. While mediapipe is
    imported, :data:`DEFERRED_MODULES` not yet loaded are stand-ins in ``sys.modules``; they are removed
    right after, so a later ``import matplotlib`` anywhere loads the real package, and MediaPipe's own
    reference forwards to it on first use. Already imported modules are left alone.
    """
    with _IMPORT_LOCK:
        if "mediapipe" in sys.modules:
            return sys.modules["mediapipe"]
        added: list[str] = []
        for name in DEFERRED_MODULES:
            if name not in sys.modules:
                sys.modules[name] = _DeferredModule(name)
                added.append(name)
        if "matplotlib" in added and "matplotlib.pyplot" in added:  # ``import matplotlib.pyplot as plt``
            sys.modules["matplotlib"].pyplot = sys.modules["matplotlib.pyplot"]  # type: ignore[attr-defined]
        try:
            import mediapipe
        finally:
            for name in added:
                if isinstance(sys.modules.get(name), _DeferredModule):
                    del sys.modules[name]
        return mediapipe


#: Landmarkers created in this process so far (a process that has one must not fork).
CREATED = 0


class ModelNotFoundError(FileNotFoundError):
    """The requested pose model bundle is not installed."""


def model_path(name: str) -> Path:
    """Path of the bundled ``pose_landmarker_<name>.task``.

    ``FORMCHECK_MODEL_DIR`` (a folder) overrides the package's own models folder.

    Raises:
        ModelNotFoundError: unknown name, or the bundle is missing (``heavy`` is built by ``make models``).
    """
    if name not in MODELS:
        raise ModelNotFoundError(f"unknown model '{name}': choose one of {', '.join(MODELS)}")
    override = os.environ.get("FORMCHECK_MODEL_DIR")
    folder = Path(override) if override else Path(str(resources.files("formcheck") / "models"))
    path = folder / f"pose_landmarker_{name}.task"
    if not path.is_file():
        raise ModelNotFoundError(
            f"pose model '{name}' is not installed ({path}); run 'make models' to build it"
        )
    return path


def empty_landmarks() -> np.ndarray:
    """An all-NaN ``(33, 4)`` landmark array (a frame without a pose)."""
    return np.full((N_LANDMARKS, 4), np.nan, dtype=np.float32)


@dataclass(frozen=True)
class PoseFrame:
    """Pose of one frame.

    Attributes:
        landmarks: ``(33, 4)`` float32: x, y normalised to the image (0..1), z relative depth, visibility
            0..1. All NaN when no person was found.
        world: ``(33, 4)`` float32: x, y, z in metres around the hip centre (y down), visibility.
        mask: ``(H, W)`` float32 person probability 0..1, or ``None`` when not requested / no person.
        n_people: people seen: 0, 1, or 2+ (the multi-person check runs about once a second; between
            checks its last count is kept).
    """

    landmarks: np.ndarray
    world: np.ndarray
    mask: np.ndarray | None
    n_people: int

    @property
    def has_pose(self) -> bool:
        """Whether a person was found in this frame."""
        return bool(has_pose(self.landmarks))


def _to_array(points: list) -> np.ndarray:
    out = np.empty((N_LANDMARKS, 4), dtype=np.float32)
    for i, p in enumerate(points[:N_LANDMARKS]):
        vis = p.visibility if p.visibility is not None else 1.0
        out[i] = (p.x, p.y, p.z, vis)
    return out


class PoseEstimator:
    """A MediaPipe ``PoseLandmarker`` for one video stream (VIDEO mode, monotonic timestamps).

    Use as a context manager so the native landmarker is closed::

        with PoseEstimator("full", with_mask=True) as est:
            frame = est.detect(rgb, t_ms)

    Every MediaPipe call runs on one thread of its own whose sockets the kernel refuses
    (:class:`formcheck.pose.netguard.NetlessThread`), so MediaPipe's built-in usage logger cannot reach the
    network; the calling thread and the rest of the process keep theirs.

    Args:
        model: ``lite``, ``full`` or ``heavy``.
        with_mask: also return the segmentation mask (costs about 5 ms per frame).
        people_check_every_s: run a 2-person check this often (video seconds); 0 disables it.
        min_confidence: detection / presence / tracking confidence threshold (0..1).
    """

    def __init__(
        self,
        model: str = "full",
        *,
        with_mask: bool = False,
        people_check_every_s: float = PEOPLE_CHECK_EVERY_S,
        min_confidence: float = 0.5,
    ) -> None:
        global CREATED
        path = model_path(model)
        CREATED += 1
        self.model = model
        self.with_mask = with_mask
        self._check_every_ms = int(people_check_every_s * 1000)
        self._last_check_ms: int | None = None
        self._checked_people = 0
        #: How many 2-person checks have run so far (each costs about two frames' worth of pose work).
        self.people_checks = 0
        self._last_t_ms = -1
        self._closed = False
        self._warm = False
        self._image_warm = False
        self._video: Any = None
        self._image: Any = None
        self._thread = NetlessThread()
        _note_unguarded(self._thread)
        try:
            self._thread.call(self._create, path, min_confidence)
        except BaseException:
            self._thread.shutdown()
            raise

    @property
    def net_guarded(self) -> bool:
        """Whether MediaPipe runs with its network access refused (False only off Linux or when disabled)."""
        return self._thread.guarded

    def _create(self, path: Path, min_confidence: float) -> None:
        """Create the landmarkers (runs on the guarded thread)."""
        import_mediapipe()
        from mediapipe.tasks.python import BaseOptions, vision

        opts = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(path)),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=1,
            min_pose_detection_confidence=min_confidence,
            min_pose_presence_confidence=min_confidence,
            min_tracking_confidence=min_confidence,
            output_segmentation_masks=self.with_mask,
        )
        with quiet_native_stderr():
            self._video = vision.PoseLandmarker.create_from_options(opts)
        if self._check_every_ms > 0:
            img_opts = vision.PoseLandmarkerOptions(
                base_options=BaseOptions(model_asset_path=str(path)),
                running_mode=vision.RunningMode.IMAGE,
                num_poses=2,
                min_pose_detection_confidence=min_confidence,
                min_pose_presence_confidence=min_confidence,
            )
            try:
                with quiet_native_stderr():
                    self._image = vision.PoseLandmarker.create_from_options(img_opts)
            except BaseException:
                self._video.close()
                raise

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the native landmarkers and their thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._thread.call(self._close_native)
        finally:
            self._thread.shutdown()

    def _close_native(self) -> None:
        self._video.close()
        if self._image is not None:
            self._image.close()

    def detect(self, rgb: np.ndarray, t_ms: int) -> PoseFrame:
        """Estimate the pose in one frame.

        Args:
            rgb: ``(H, W, 3)`` uint8 RGB image.
            t_ms: frame timestamp in milliseconds; must increase from call to call (equal or earlier
                timestamps are bumped by 1 ms).

        Returns:
            The frame's :class:`PoseFrame`.
        """
        t_ms = int(t_ms)
        if t_ms <= self._last_t_ms:
            t_ms = self._last_t_ms + 1
        self._last_t_ms = t_ms
        return self._thread.call(self._detect, rgb, t_ms)

    def _detect(self, rgb: np.ndarray, t_ms: int) -> PoseFrame:
        """:meth:`detect` proper (runs on the guarded thread)."""
        mp = import_mediapipe()

        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        if not self._warm:
            self._warm = True
            with quiet_native_stderr():
                res = self._video.detect_for_video(image, t_ms)
        else:
            res = self._video.detect_for_video(image, t_ms)
        if res.pose_landmarks:
            lm = _to_array(res.pose_landmarks[0])
            world = _to_array(res.pose_world_landmarks[0]) if res.pose_world_landmarks else empty_landmarks()
            n = 1
        else:
            lm, world, n = empty_landmarks(), empty_landmarks(), 0
        mask = None
        if self.with_mask and res.segmentation_masks:
            mask = np.array(res.segmentation_masks[0].numpy_view(), dtype=np.float32).reshape(rgb.shape[:2])
        if self._image is not None and (
            self._last_check_ms is None or t_ms - self._last_check_ms >= self._check_every_ms
        ):
            self._last_check_ms = t_ms
            self.people_checks += 1
            quiet = contextlib.nullcontext() if self._image_warm else quiet_native_stderr()
            self._image_warm = True
            with quiet:
                self._checked_people = len(self._image.detect(image).pose_landmarks)
        n_people = max(n, self._checked_people) if self._checked_people >= 2 else n
        return PoseFrame(landmarks=lm, world=world, mask=mask, n_people=n_people)


_UNGUARDED_NOTED = False


def _note_unguarded(thread: NetlessThread) -> None:
    """Say once per process, on stderr, when MediaPipe runs without the network guard."""
    global _UNGUARDED_NOTED
    if thread.guarded or _UNGUARDED_NOTED:
        return
    _UNGUARDED_NOTED = True
    print(
        f"formcheck: note: MediaPipe's network access is not blocked here ({thread.reason})",
        file=sys.stderr,
    )
