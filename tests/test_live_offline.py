"""Live = offline: every committed real trace replayed frame by frame through the live path gives the same
rep count as the offline analysis (issue 6, part 7).

The live path is :class:`formcheck.pose.pipeline.LivePipeline` as the webcam page runs it: causal (one-euro)
smoothing, a running camera-side vote, and the set-up checks on (``require_setup=True``). Offline is
:func:`formcheck.analysis.analyze.analyze_trace`
(zero-phase smoothing, whole-clip side vote, no set-up checks).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from conftest import clips_with_template, load_trace

from formcheck.analysis.analyze import analyze_trace
from formcheck.core.back import low_back_from_profile
from formcheck.core.engine import EngineState
from formcheck.core.templates import load_template
from formcheck.pose.pipeline import LivePipeline, PoseTrace

load = load_trace


def replay_live(trace: PoseTrace, exercise: str) -> tuple[LivePipeline, list[EngineState]]:
    """Feed a trace to a fresh live pipeline one frame at a time, as the webcam page does."""
    live = LivePipeline(load_template(exercise), require_setup=True)
    states = []
    times = trace.times
    # the low-back index from the stored profile, as the live page measures it from each frame's mask
    low = np.full((trace.frames, 2), np.nan)
    if trace.profile is not None:
        low = low_back_from_profile(trace.profile)
    for i in range(trace.frames):
        back = (float(trace.back[i, 0]), float(trace.back[i, 1]))
        states.append(
            live.step(
                float(times[i]),
                trace.landmarks[i],
                trace.world[i],
                trace.size,
                back=back,
                low_back=(float(low[i, 0]), float(low[i, 1])),
                n_people=int(trace.n_people[i]),
                brightness=float(trace.brightness[i]),
            )
        )
    live.finish()  # the stream ends, as the offline path ends at the video's last frame
    return live, states


@functools.cache
def live_run(stem: str, exercise: str) -> tuple[LivePipeline, tuple[EngineState, ...]]:
    """The live replay of a committed trace (cached for the module)."""
    live, states = replay_live(load(stem), exercise)
    return live, tuple(states)


@pytest.mark.parametrize(("stem", "exercise"), [pytest.param(s, e, id=s) for s, e in clips_with_template()])
def test_live_counts_as_offline(stem: str, exercise: str) -> None:
    trace = load(stem)
    offline = analyze_trace(trace, load_template(exercise)).reps
    live, states = live_run(stem, exercise)
    issues = sorted({code for s in states for code in s.issues})
    counting = any(s.counting for s in states)
    assert len(live.engine.reps) == len(offline), (
        f"{stem}: live {len(live.engine.reps)} reps, offline {len(offline)} "
        f"(live counting started: {counting}; set-up issues seen live: {issues or 'none'})"
    )


def test_live_replay_reports_every_frame() -> None:
    trace = load("physioplus_bridging")
    _, states = live_run("physioplus_bridging", "bridge")
    assert len(states) == trace.frames
    assert [s.t_s for s in states] == pytest.approx(list(trace.times))


def test_rounded_back_is_cued_live_at_the_load_only_when_rounded() -> None:
    share = {}
    for stem in ("tby66_0016c_1", "tby66_0016h_1", "tby66_0016k_1", "tby66_0016r_1"):
        _, states = live_run(stem, "lifting")
        share[stem] = sum("rounded_back" in s.live_faults for s in states) / len(states)
    assert share["tby66_0016r_1"] > 0.1, share
    assert max(share[s] for s in ("tby66_0016c_1", "tby66_0016h_1", "tby66_0016k_1")) == 0.0, share


def test_rounded_back_cue_is_offered_live_on_the_rounded_clip() -> None:
    _, states = live_run("tby66_0016r_1", "lifting")
    spoken = [s.new_cue.code for s in states if s.new_cue is not None]
    assert "rounded_back" in spoken, spoken
