"""PoseTrace storage and the live pipeline on a recorded trace."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import DATA

from formcheck.core.templates import load_template
from formcheck.pose.pipeline import MIN_POSE_FPS, LivePipeline, PoseTrace, fill_unposed, pose_stride


def _trace(t: np.ndarray | None) -> PoseTrace:
    n = 4
    return PoseTrace(
        landmarks=np.zeros((n, 33, 4), np.float32),
        world=np.zeros((n, 33, 4), np.float32),
        back=np.full((n, 2), np.nan, np.float32),
        n_people=np.ones(n, np.int32),
        brightness=np.full(n, 100.0, np.float32),
        fps=30.0,
        size=(640, 480),
        t=t,
    )


def test_trace_roundtrip_keeps_real_frame_times(tmp_path):
    vfr = np.array([0.0, 0.033, 0.1, 0.2])
    _trace(vfr).save(str(tmp_path / "a.npz"))
    back = PoseTrace.load(str(tmp_path / "a.npz"))
    np.testing.assert_allclose(back.times, vfr)
    _trace(None).save(str(tmp_path / "b.npz"))
    np.testing.assert_allclose(PoseTrace.load(str(tmp_path / "b.npz")).times, np.arange(4) / 30.0)


def test_live_pipeline_counts_a_recorded_bridge_like_the_offline_path():
    trace = PoseTrace.load(str(DATA / "traces" / "istock_hanshitha_glute_bridges.npz"))
    live = LivePipeline(load_template("bridge"))
    for i, t in enumerate(trace.times):
        live.step(float(t), trace.landmarks[i], trace.world[i], trace.size, n_people=1, brightness=120.0)
    assert len(live.engine.reps) == 3  # labelled: 3 complete reps, a 4th lift still held at the end
    assert live.engine.in_progress() is not None


# --- file analysis: the pose model on every n-th frame, the frames in between interpolated ---------------


@pytest.mark.parametrize(
    ("fps", "stride"),
    [(10.0, 1), (15.0, 1), (24.0, 1), (25.0, 1), (29.97, 2), (30.0, 2), (50.0, 3), (59.94, 4), (60.0, 4)],
)
def test_pose_stride_keeps_at_least_the_minimum_rate(fps: float, stride: int) -> None:
    assert pose_stride(fps) == stride
    assert fps / pose_stride(fps) >= min(fps, MIN_POSE_FPS) * 0.99
    assert pose_stride(fps, 0.0) == 1  # 0: every frame


def test_fill_unposed_interpolates_in_time_and_keeps_gaps() -> None:
    t = np.array([0.0, 0.1, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8])  # a late frame at 0.4 s
    v = np.array([0.0, 99, 2.0, 99, 4.0, 99, np.nan, 99], dtype=np.float32)
    posed = np.array([True, False, True, False, True, False, True, False])
    out = fill_unposed(v, posed, t)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out[posed], v[posed])  # posed frames untouched
    assert out[1] == pytest.approx(1.0)
    assert out[3] == pytest.approx(2.0 + 2.0 * (0.4 - 0.2) / (0.5 - 0.2))  # by time, not by index
    assert np.isnan(out[5])  # next to a frame without a pose: a gap stays a gap
    assert np.isnan(out[7])  # after the last posed frame: its value held (no pose)


def test_fill_unposed_holds_the_ends_and_works_on_rows() -> None:
    t = np.arange(6) / 30.0
    rows = np.arange(12, dtype=np.float64).reshape(6, 2)
    posed = np.array([False, True, False, True, False, False])
    out = fill_unposed(rows, posed, t)
    np.testing.assert_allclose(out[0], rows[1])  # before the first posed frame: held
    np.testing.assert_allclose(out[2], (rows[1] + rows[3]) / 2)
    np.testing.assert_allclose(out[4], rows[3])
    np.testing.assert_allclose(out[5], rows[3])
    np.testing.assert_array_equal(fill_unposed(rows, np.ones(6, bool), t), rows)
