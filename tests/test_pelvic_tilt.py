"""The pelvic tilt template: cycle counting on the low-back index (synthetic traces) and on the one real clip.

A rep is one flatten plus one hollow of the low back (labels.json ``rules``). The count signal is
``low_back_hollow`` (trunk lengths, read from the silhouette's dorsal profile; > 0 hollow, about 0 flat).
The real clip (adamhep_pelvic_tilt) is labelled at low confidence, so its test is a regression floor on the
count and on where the turning points lie, not an accuracy claim; the lying-still segments of other clips
are the negatives the template's ``min_range`` was read from (dev) or checked on (check): they guard against
a change that makes noise count, they do not measure accuracy on new people.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import load_trace

from formcheck.analysis.analyze import analyze_trace
from formcheck.core.back import low_back_from_profile
from formcheck.core.engine import Engine, RepRecord
from formcheck.core.templates import load_template
from formcheck.pose.pipeline import LivePipeline, PoseTrace, trace_features

FPS = 30.0
#: A good side view of someone lying on the back, knees bent, hands on the belly (values as on the clip).
LYING = {
    "visibility": 0.99,
    "in_frame": 1.0,
    "side_view": 0.27,
    "body_size": 0.7,
    "brightness": 120.0,
    "n_people": 1.0,
    "trunk_incline": 91.0,
    "knee_angle": 56.0,
    "shoulder_angle": 50.0,
    "hip_angle": 131.0,
    "neck_flexion": 34.0,
}
TEMPLATE = load_template("pelvic_tilt")
MIN_RANGE = TEMPLATE.count.min_range


def tilts(
    n: int, move_s: float = 1.5, hold_s: float = 1.0, flat: float = 0.005, hollow: float = 0.04
) -> np.ndarray:
    """``low_back_hollow`` for ``n`` tilts from flat: hold flat, hollow the back over ``move_s``, hold,
    flatten again over ``move_s`` (smooth half-cosine moves), then a last flat hold."""
    move = (1 - np.cos(np.linspace(0, np.pi, int(move_s * FPS)))) / 2
    hold = np.ones(int(hold_s * FPS))
    one = np.concatenate([0 * hold, move, hold, 1 - move])
    x = np.concatenate([np.tile(one, n), 0 * hold])
    return flat + (hollow - flat) * x


def run(series: dict[str, np.ndarray], base: dict[str, float] | None = None) -> tuple[Engine, list]:
    """Feed synthetic features through a fresh pelvic tilt engine (30 fps) and close it at the end."""
    eng = Engine(TEMPLATE, require_setup=True)
    n = len(next(iter(series.values())))
    states = []
    for i in range(n):
        feats = dict(LYING) | (base or {})
        feats.update({k: float(v[i]) for k, v in series.items()})
        states.append(eng.update(i / FPS, feats))
    eng.finish((n - 1) / FPS)
    return eng, states


# ------------------------------------------------------------------------------------------- the template


def test_template_counts_a_cycle_on_the_silhouette_and_needs_the_mask() -> None:
    assert TEMPLATE.count.feature == "low_back_hollow" and TEMPLATE.count.kind == "cycle"
    assert [p.name for p in TEMPLATE.phases] == ["flat", "hollow"]
    assert TEMPLATE.needs_mask
    assert TEMPLATE.camera.posture == "supine_knees_bent"
    # every fault is one never seen on a real pelvic tilt: reported apart, not cued
    assert TEMPLATE.faults and all(f.experimental for f in TEMPLATE.faults)
    for text in (TEMPLATE.instructions, TEMPLATE.camera.text, TEMPLATE.position.cue, TEMPLATE.good_cue):
        assert text.nl and text.en and text.nl != text.en


# ---------------------------------------------------------------------------------- synthetic: counting


def test_ten_slow_tilts_count_ten() -> None:
    eng, states = run({"low_back_hollow": tilts(10)})
    assert len(eng.reps) == 10
    assert all(r.faults == () for r in eng.reps)
    assert {s.phase for s in states} >= {"flat", "hollow"}


@pytest.mark.parametrize(("flat", "hollow"), [(-0.03, 0.005), (0.01, 0.09), (0.02, 0.05)])
def test_counts_by_the_persons_own_range(flat: float, hollow: float) -> None:
    eng, _ = run({"low_back_hollow": tilts(6, flat=flat, hollow=hollow)})
    assert len(eng.reps) == 6


def test_a_tilt_smaller_than_the_minimum_range_is_no_rep() -> None:
    small, _ = run({"low_back_hollow": tilts(6, hollow=0.005 + 0.6 * MIN_RANGE)})
    large, _ = run({"low_back_hollow": tilts(6, hollow=0.005 + 1.4 * MIN_RANGE)})
    assert len(small.reps) == 0
    assert len(large.reps) == 6


def _lying_still(seconds: float, swing: float, seed: int) -> np.ndarray:
    """Lying without tilting: frame noise, breathing (0.25 Hz) and a slow drift, ``swing`` peak to peak."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * FPS)) / FPS
    slow = 0.6 * np.sin(2 * np.pi * 0.25 * t) + 0.4 * np.sin(2 * np.pi * 0.03 * t + 1.0)
    return 0.01 + swing / 2 * slow + rng.normal(0.0, 0.002, t.size)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_small_movement_while_lying_still_counts_nothing(seed: int) -> None:
    # breathing and settling move the index up to 0.015 peak to peak on the real clips (dev)
    eng, _ = run({"low_back_hollow": _lying_still(120.0, 0.015, seed)})
    assert len(eng.reps) == 0
    # the same movement three times as large is counted: the test can see noise that counts
    louder, _ = run({"low_back_hollow": _lying_still(120.0, 0.045, seed)})
    assert len(louder.reps) > 0


def test_fast_tilts_get_a_tempo_fault() -> None:
    eng, _ = run({"low_back_hollow": tilts(4, move_s=0.4, hold_s=0.2)})
    assert len(eng.reps) == 4
    assert all("flat_to_hollow_fast" in r.faults for r in eng.reps)


def test_arms_above_the_head_pause_the_count() -> None:
    eng, states = run({"low_back_hollow": tilts(4)}, {"shoulder_angle": 160.0})
    assert len(eng.reps) == 0
    assert any(s.cue is not None and s.cue.code == "position" for s in states)


def test_lifting_the_pelvis_is_reported_as_experimental_not_cued() -> None:
    x = tilts(3)
    hip = np.where(x > 0.03, 170.0, 131.0)  # the buttocks leave the mat at every hollow
    eng, states = run({"low_back_hollow": x, "hip_angle": hip})
    assert len(eng.reps) == 3
    assert all("pelvis_lifted" in r.experimental_faults and "pelvis_lifted" not in r.faults for r in eng.reps)
    assert not any("pelvis_lifted" in s.live_faults for s in states)


# ---------------------------------------------------------------------------------------- the real clip


def _frame_phase(frame: int) -> str | None:
    """The labelled posture at a frame of adamhep_pelvic_tilt (labels.json notes; +-10 frames at the edges:
    the labels are +-5 frames and the turning point of a plateau may lie anywhere on it)."""
    for name, spans in {"flat": [(0, 42), (150, 227)], "hollow": [(84, 116), (276, 299)]}.items():
        if any(a - 10 <= frame <= b + 10 for a, b in spans):
            return name
    return None


def _check_turns(reps: list[RepRecord], trace: PoseTrace) -> None:
    for r in reps:
        frames = [int(np.argmin(np.abs(trace.times - t))) for t in (r.turn_s, r.end_s)]
        phases = [_frame_phase(f) for f in frames]
        assert sorted(p or "none" for p in phases) == ["flat", "hollow"], (r.index, frames, phases)


def test_real_clip_counts_its_cycles_at_the_labelled_postures() -> None:
    trace = load_trace("adamhep_pelvic_tilt")
    reps = analyze_trace(trace, TEMPLATE).reps
    # labels: 2 (flat + hollow pairs), confidence low; the stricter reading (first flat already under way
    # at frame 0) is 1. Neither 0 nor a third cycle from noise.
    assert 1 <= len(reps) <= 2, len(reps)
    _check_turns(reps, trace)


def segment(trace: PoseTrace, start: int, stop: int) -> PoseTrace:
    """Frames ``start <= i < stop`` of a trace, with their own times."""
    cut = {}
    for f in dataclasses.fields(trace):
        v = getattr(trace, f.name)
        cut[f.name] = v[start:stop] if isinstance(v, np.ndarray) and f.name != "size" else v
    cut["t"] = trace.times[start:stop]
    return PoseTrace(**cut)


#: Lying without a pelvic tilt, at least 1.3 s (frames from labels.json notes): dev clips, where the
#: template's min_range was read (largest swing 0.015, curvelog_gym), and check clips, never tuned on.
LYING_STILL = [
    ("dev", "adamhep_pelvic_tilt", 0, 43, "the first flat posture, hands settling"),
    ("dev", "adamhep_pelvic_tilt", 150, 228, "the second flat posture"),
    ("dev", "istock_hanshitha_glute_bridges", 114, 150, "resting between bridges"),
    ("dev", "curvelog_studio_glute_bridge", 50, 71, "resting between bridges"),
    ("dev", "curvelog_gym_banded_bridge_moving_cam", 0, 45, "knees pushing out against a band"),
    ("dev", "tijmen_musclewiki_supine_hamstring", 0, 52, "both feet on a wall"),
    ("dev", "tijmen_musclewiki_supine_hamstring", 288, 342, "both feet back on the wall"),
    ("dev", "hpy_fitbod_knee_to_chest", 930, 1007, "legs straight (out of position)"),
    ("check", "hpy_fitbod_trx_bridge_feet_in_straps", 20, 93, "legs bending in, feet into straps"),
    ("check", "hpy_fitbod_trx_bridge_feet_in_straps", 484, 549, "resting after a camera cut"),
    ("check", "hpy_fitbod_single_leg_bridge_hold", 905, 1130, "placing a ball between the knees"),
    ("check", "hpy_fitbod_single_leg_bridge_hold", 1650, 1811, "leg lowered, ball moved to the chest"),
]
#: Known failures (strict: they must fail, so a fix shows up).
KNOWN = {
    ("hpy_fitbod_single_leg_bridge_hold", 0): (
        "set-up with a medicine ball lifted overhead and put between the knees: the low back moves 0.031 "
        "back and forth, as much as a real tilt (0.035 on the real clip)"
    ),
}


@pytest.mark.parametrize(
    ("stem", "start", "stop"),
    [pytest.param(s, a, b, id=f"{p}-{s}-{a}") for p, s, a, b, _ in LYING_STILL]
    + [
        pytest.param(s, a, 230, id=f"check-{s}-{a}", marks=pytest.mark.xfail(reason=why, strict=True))
        for (s, a), why in KNOWN.items()
    ],
)
def test_lying_without_tilting_counts_nothing(stem: str, start: int, stop: int) -> None:
    reps = analyze_trace(segment(load_trace(stem), start, stop), TEMPLATE).reps
    assert len(reps) == 0, [(r.turn_s, r.end_s) for r in reps]


def test_the_low_back_index_reaches_the_engine_the_same_live_and_offline() -> None:
    trace = load_trace("adamhep_pelvic_tilt")
    side, offline = trace_features(trace, smooth_s=0.0)
    low = low_back_from_profile(trace.profile)
    live = LivePipeline(TEMPLATE, require_setup=False)
    got = []
    for i in range(60):
        live.step(
            float(trace.times[i]),
            trace.landmarks[i],
            trace.world[i],
            trace.size,
            low_back=(float(low[i, 0]), float(low[i, 1])),
        )
        got.append(live.last_features["low_back_hollow"])
    assert live.side == side
    np.testing.assert_allclose(got[-30:], offline["low_back_hollow"][30:60], atol=1e-6)
    assert np.all(np.isfinite(got))
