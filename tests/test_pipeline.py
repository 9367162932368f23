"""PoseTrace storage and the live pipeline on a recorded trace."""

from __future__ import annotations

import numpy as np
from conftest import DATA

from formcheck.core.templates import load_template
from formcheck.pose.pipeline import LivePipeline, PoseTrace


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
