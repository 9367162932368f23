"""``formcheck.pose.landmarker`` with the real MediaPipe models (marked ``model``), lookup, landmarks."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from formcheck.core.landmarks import N_LANDMARKS, Lm
from formcheck.pose.landmarker import MODELS, ModelNotFoundError, PoseEstimator, PoseFrame, model_path
from formcheck.pose.video import probe, read_frames

REPO_ROOT = Path(__file__).resolve().parent.parent
CLIP = REPO_ROOT / "tests" / "data" / "clips" / "physioplus_bridging.mp4"
H, W = 480, 640


@pytest.fixture(scope="module")
def clip_rgb() -> list[tuple[int, np.ndarray]]:
    """The first 8 frames of the real clip as (t_ms, RGB)."""
    info = probe(CLIP)
    out = []
    for _i, t, bgr in read_frames(info, 0, 8):
        out.append((round(t * 1000), cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))
    assert len(out) == 8
    return out


@pytest.fixture(scope="module")
def masked(clip_rgb: list[tuple[int, np.ndarray]]) -> Iterator[list[PoseFrame]]:
    """Poses of the first clip frames from the full model with the segmentation mask."""
    with PoseEstimator("full", with_mask=True) as est:
        yield [est.detect(rgb, t) for t, rgb in clip_rgb]


def black() -> np.ndarray:
    return np.zeros((H, W, 3), dtype=np.uint8)


# ------------------------------------------------------------------------------------------- no model needed


def test_lm_matches_mediapipe_pose_landmark_enum() -> None:
    from mediapipe.tasks.python.vision import PoseLandmark

    ours = {m.name: int(m.value) for m in Lm}
    theirs = {m.name: int(m.value) for m in PoseLandmark}
    assert ours == theirs
    assert len(ours) == N_LANDMARKS


def test_model_path_unknown_name() -> None:
    with pytest.raises(ModelNotFoundError, match="unknown model 'nope'"):
        model_path("nope")


def test_model_not_found_is_a_file_not_found_error() -> None:
    assert issubclass(ModelNotFoundError, FileNotFoundError)


def test_model_path_of_shipped_models() -> None:
    for name in ("lite", "full"):
        p = model_path(name)
        assert p.is_file() and p.name == f"pose_landmarker_{name}.task"
        assert p.stat().st_size > 1_000_000
    assert set(MODELS) == {"lite", "full", "heavy"}


def test_model_dir_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORMCHECK_MODEL_DIR", str(tmp_path))
    with pytest.raises(ModelNotFoundError, match="make models"):
        model_path("heavy")
    (tmp_path / "pose_landmarker_heavy.task").write_bytes(b"x")
    assert model_path("heavy") == tmp_path / "pose_landmarker_heavy.task"


def test_estimator_with_missing_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORMCHECK_MODEL_DIR", str(tmp_path))
    with pytest.raises(ModelNotFoundError, match="make models"):
        PoseEstimator("heavy")


# ------------------------------------------------------------------------------------------- real model


@pytest.mark.model
@pytest.mark.parametrize("with_mask", [False, True])
def test_black_frame_has_no_pose(with_mask: bool) -> None:
    with PoseEstimator("full", with_mask=with_mask) as est:
        frames = [est.detect(black(), t) for t in (0, 33, 67)]
    for pf in frames:
        assert not pf.has_pose
        assert pf.n_people == 0
        assert pf.landmarks.shape == (N_LANDMARKS, 4) and pf.landmarks.dtype == np.float32
        assert np.isnan(pf.landmarks).all()
        assert np.isnan(pf.world).all()
        assert pf.mask is None


@pytest.mark.model
def test_real_clip_landmarks(masked: list[PoseFrame]) -> None:
    for pf in masked:
        assert pf.has_pose
        assert pf.n_people == 1
        lm = pf.landmarks
        assert lm.shape == (N_LANDMARKS, 4) and lm.dtype == np.float32
        assert np.isfinite(lm).all()
        assert (lm[:, :2] >= -0.2).all() and (lm[:, :2] <= 1.2).all(), lm[:, :2]
        assert (lm[:, 3] >= 0).all() and (lm[:, 3] <= 1).all()
        # the person lies on the floor, seen from the side: hips and knees well inside the picture
        for j in (Lm.LEFT_HIP, Lm.RIGHT_HIP, Lm.LEFT_KNEE, Lm.RIGHT_KNEE):
            assert 0.05 < lm[j, 0] < 0.95 and 0.05 < lm[j, 1] < 0.95


@pytest.mark.model
def test_real_clip_world_landmarks_in_metres(masked: list[PoseFrame]) -> None:
    for pf in masked:
        w = pf.world
        assert w.shape == (N_LANDMARKS, 4) and np.isfinite(w).all()
        assert (np.abs(w[:, :3]) < 2.0).all(), w[:, :3]
        # the hip centre is the origin; an adult's trunk and thigh are a few decimetres long
        hip_mid = (w[Lm.LEFT_HIP, :3] + w[Lm.RIGHT_HIP, :3]) / 2
        assert np.linalg.norm(hip_mid) < 0.15
        trunk = np.linalg.norm(w[Lm.RIGHT_SHOULDER, :3] - w[Lm.RIGHT_HIP, :3])
        thigh = np.linalg.norm(w[Lm.RIGHT_HIP, :3] - w[Lm.RIGHT_KNEE, :3])
        assert 0.3 < trunk < 0.9, trunk
        assert 0.25 < thigh < 0.7, thigh


@pytest.mark.model
def test_real_clip_mask(masked: list[PoseFrame]) -> None:
    for pf in masked:
        m = pf.mask
        assert m is not None
        assert m.shape == (H, W) and m.dtype == np.float32
        assert m.min() >= 0.0 and m.max() <= 1.0
        person = m > 0.5
        assert 0.005 < person.mean() < 0.6, person.mean()
        # the mask covers the hip that faces the camera
        x, y = pf.landmarks[Lm.RIGHT_HIP, :2] * np.array([W, H])
        assert m[int(y) - 8 : int(y) + 9, int(x) - 8 : int(x) + 9].max() > 0.5


@pytest.mark.model
def test_no_mask_unless_asked(clip_rgb: list[tuple[int, np.ndarray]]) -> None:
    with PoseEstimator("lite") as est:
        pf = est.detect(clip_rgb[0][1], clip_rgb[0][0])
    assert pf.has_pose
    assert pf.mask is None


@pytest.mark.model
def test_timestamps_that_do_not_increase(clip_rgb: list[tuple[int, np.ndarray]]) -> None:
    rgb = clip_rgb[0][1]
    with PoseEstimator("lite") as est:
        results = [est.detect(rgb, t) for t in (100, 100, 50, 0, 101, 5000, 4000)]
    assert all(pf.has_pose for pf in results)


@pytest.mark.model
def test_close_is_idempotent(clip_rgb: list[tuple[int, np.ndarray]]) -> None:
    est = PoseEstimator("lite", people_check_every_s=0)
    assert est.detect(clip_rgb[0][1], 0).has_pose
    est.close()
    est.close()
    with est:  # __exit__ after close is fine too
        pass


@pytest.mark.model
def test_people_check_counts_one_person(clip_rgb: list[tuple[int, np.ndarray]]) -> None:
    # check on every frame (every 1 ms of video time)
    with PoseEstimator("lite", people_check_every_s=0.001) as est:
        assert [est.detect(rgb, t).n_people for t, rgb in clip_rgb[:3]] == [1, 1, 1]
        assert est.detect(black(), 1000).n_people == 0


def test_quiet_stderr_is_restored_when_threads_overlap() -> None:
    """Overlapping silencers (two sessions starting at once) leave fd 2 working afterwards."""
    import os
    import threading

    from formcheck.pose.landmarker import quiet_native_stderr

    before = os.fstat(2)
    barrier = threading.Barrier(2)

    def work() -> None:
        with quiet_native_stderr():
            barrier.wait(timeout=5)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    after = os.fstat(2)
    assert (after.st_dev, after.st_ino) == (before.st_dev, before.st_ino)


# ------------------------------------------------------------------------------ network guard (issue 7)


@pytest.mark.model
def test_mediapipe_runs_with_its_network_refused(clip_rgb: list[tuple[int, np.ndarray]]) -> None:
    """Every MediaPipe call runs on the estimator's guarded thread, whichever thread calls ``detect``."""
    import threading

    from formcheck.pose import netguard

    if netguard.unsupported_reason() is not None:
        pytest.skip(netguard.unsupported_reason())
    with PoseEstimator("lite", people_check_every_s=0) as est:
        assert est.net_guarded
        got: list[bool] = []
        t_ms, rgb = clip_rgb[1]
        caller = threading.Thread(target=lambda: got.append(est.detect(rgb, t_ms).has_pose))
        assert est.detect(clip_rgb[0][1], clip_rgb[0][0]).has_pose
        caller.start()
        caller.join()
        assert got == [True]


@pytest.mark.model
def test_without_the_guard_pose_still_works_and_says_so_once(
    clip_rgb: list[tuple[int, np.ndarray]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from formcheck.pose import landmarker as pose
    from formcheck.pose import netguard

    monkeypatch.setenv(netguard.ENV_SWITCH, "off")
    monkeypatch.setattr(pose, "_UNGUARDED_NOTED", False)
    for _ in range(2):
        with PoseEstimator("lite", people_check_every_s=0) as est:
            assert not est.net_guarded
            assert est.detect(clip_rgb[0][1], clip_rgb[0][0]).has_pose
    err = capsys.readouterr().err
    assert err.count("network access is not blocked") == 1, err


# ----------------------------------------------------------------------- start-up: mediapipe without pyplot


def _run_python(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (this test process may already have imported mediapipe)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_mediapipe_is_imported_without_matplotlib() -> None:
    """import_mediapipe() leaves matplotlib unloaded; MediaPipe's pyplot reference loads it on first use."""
    code = (
        "import sys\n"
        "from formcheck.pose.landmarker import import_mediapipe\n"
        "mp = import_mediapipe()\n"
        "assert hasattr(mp.tasks.vision, 'PoseLandmarker')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))\n"
        "from mediapipe.tasks.python.vision import drawing_utils\n"
        "fig = drawing_utils.plt.figure\n"  # first use: the real pyplot is imported now
        "import matplotlib.pyplot\n"
        "print(fig is matplotlib.pyplot.figure, type(sys.modules['matplotlib']).__name__)\n"
    )
    out = _run_python(code)
    assert out.returncode == 0, out.stderr[-2000:]
    before, after = out.stdout.splitlines()[-2:]
    assert before == "[]", f"matplotlib modules loaded by the import: {before}"
    assert after == "True module", after


def test_matplotlib_imported_first_is_left_alone() -> None:
    code = (
        "import matplotlib.pyplot as plt\n"
        "from formcheck.pose.landmarker import import_mediapipe\n"
        "import_mediapipe()\n"
        "from mediapipe.tasks.python.vision import drawing_utils\n"
        "print(drawing_utils.plt is plt)\n"
    )
    out = _run_python(code)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.splitlines()[-1] == "True"


@pytest.mark.model
def test_people_check_runs_at_the_given_interval(clip_rgb: list[tuple[int, np.ndarray]]) -> None:
    """8 frames at 30 fps span 233 ms: a check every 0.1 s runs 3 times, every 2 s once (the first frame)."""
    counts = {}
    for every in (0.1, 2.0):
        with PoseEstimator("lite", people_check_every_s=every) as est:
            for t, rgb in clip_rgb:
                est.detect(rgb, t)
            counts[every] = est.people_checks
    assert counts == {0.1: 3, 2.0: 1}
