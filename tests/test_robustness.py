"""Robust to the camera: every committed real trace, transformed as another camera or person would show it,
gives the same rep count and the same lift techniques as the original (issue 6, part 6). A lift measured
within the transform's own shift of a technique boundary (8 degrees, the labels' borderline band; 18
degrees of trunk lean for a rolled camera, whose "vertical" is tilted) may change class; no other lift may.

The transforms (mirror, camera roll +-10 degrees, person at half the size, 15 and 60 fps, 10 % of frames
dropped, landmark jitter of 1 % of body height) live in ``trace_transforms.py`` and are unit-tested first.
The pelvic tilt is counted on the silhouette's low back (the dorsal ``profile``), which is read relative to
the shoulder-hip line: the jitter moves that line and so the profile too, so its count is tested under noise
as large as its whole movement (1 % of body height is about 3 px on its clip; the pelvis turns by 8-9 px).
Traces: ``tests/data/traces/<clip stem>.npz``, one per clip of ``tests/data/labels.json`` whose exercise has
a template; `make fixtures` regenerates them.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import trace_transforms as tt
from conftest import clips_with_template, load_trace

from formcheck.analysis.analyze import analyze_trace
from formcheck.core.back import PROFILE_S
from formcheck.core.geometry import angle_at, anterior, chirality_of, to_pixels
from formcheck.core.landmarks import Lm, Side
from formcheck.core.templates import load_template
from formcheck.pose.pipeline import PoseTrace

CLIPS = clips_with_template()


load = load_trace


#: A transform may shift a measured angle by about this much (degrees: resampling, dropped frames, jitter):
#: the labels' own "borderline" band (../shared/clips/README.md: within about 8 degrees of a boundary).
NOISE_DEG = 8.0
#: A rolled camera also tilts "vertical": the trunk lean (from the picture's vertical) moves by the roll.
ROLL_DEG = 10.0

Posture = tuple[str | None, float, float]


def verdict(trace: PoseTrace, exercise: str) -> tuple[int, list[Posture]]:
    """Rep count and, per rep, the technique and the knee flexion and trunk lean it was judged on."""
    reps = analyze_trace(trace, load_template(exercise)).reps
    return len(reps), [
        (r.technique, r.peaks.get("knee_flexion", np.nan), r.peaks.get("trunk_incline", np.nan)) for r in reps
    ]


def classify(exercise: str, knee: float, trunk: float) -> str | None:
    """The template's technique class for a posture (as the engine classifies it)."""
    tech = load_template(exercise).technique
    if tech is None:
        return None
    feats = {"knee_flexion": knee, "trunk_incline": trunk}
    for c in tech.classes:
        if all(b.contains(feats.get(b.feature, np.nan)) for b in c.require):
            return c.name
    return tech.default


def may_change(exercise: str, posture: Posture, transform: str) -> bool:
    """Whether the transform can legitimately change this rep's technique: its measured posture lies within
    the transform's measurement shift of a class boundary (a clear squat must stay a squat)."""
    _, knee, trunk = posture
    dk = NOISE_DEG
    dt = NOISE_DEG + (ROLL_DEG if transform.startswith("roll") else 0.0)
    classes = {classify(exercise, knee + a * dk, trunk + b * dt) for a in (-1, 0, 1) for b in (-1, 0, 1)}
    return len(classes) > 1


@functools.cache
def original(stem: str, exercise: str) -> tuple[int, list[Posture]]:
    """The verdict on the untransformed trace (cached for the module)."""
    return verdict(load(stem), exercise)


# ------------------------------------------------------------------------------- the transforms themselves


@pytest.fixture(scope="module")
def sample() -> PoseTrace:
    """A real lifting trace (60 fps, side view) with both back columns and a profile."""
    return load("tby66_0016c_1")


def _finite_allclose(a: np.ndarray, b: np.ndarray, atol: float) -> None:
    assert np.array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(a[np.isfinite(a)], b[np.isfinite(b)], atol=atol)


def test_mirror_twice_is_the_identity(sample: PoseTrace) -> None:
    twice = tt.mirror(tt.mirror(sample))
    for name in ("landmarks", "world", "back", "profile"):
        _finite_allclose(getattr(twice, name), getattr(sample, name), atol=1e-6)


def test_mirror_swaps_sides_and_flips_x(sample: PoseTrace) -> None:
    m = tt.mirror(sample)
    i = int(np.flatnonzero(np.isfinite(sample.landmarks[:, Lm.LEFT_KNEE, 0]))[0])
    assert m.landmarks[i, Lm.RIGHT_KNEE, 0] == pytest.approx(1.0 - sample.landmarks[i, Lm.LEFT_KNEE, 0])
    assert m.landmarks[i, Lm.RIGHT_KNEE, 1] == pytest.approx(sample.landmarks[i, Lm.LEFT_KNEE, 1])
    assert m.world[i, Lm.LEFT_HIP, 0] == pytest.approx(-sample.world[i, Lm.RIGHT_HIP, 0])
    _finite_allclose(m.back[:, 0], sample.back[:, 1], atol=0)
    assert m.landmarks[i, Lm.NOSE, 1] == pytest.approx(sample.landmarks[i, Lm.NOSE, 1])


def test_the_swap_pairs_every_sided_landmark_once() -> None:
    assert sorted(tt.SWAP) == list(range(33))
    assert np.array_equal(tt.SWAP[tt.SWAP], np.arange(33))
    assert tt.SWAP[Lm.MOUTH_LEFT] == Lm.MOUTH_RIGHT and tt.SWAP[Lm.NOSE] == Lm.NOSE


def _knee_angles(trace: PoseTrace) -> np.ndarray:
    px = to_pixels(trace.landmarks, trace.size)
    return angle_at(px[:, Lm.LEFT_HIP], px[:, Lm.LEFT_KNEE], px[:, Lm.LEFT_ANKLE])


@pytest.mark.parametrize("degrees", [10.0, -10.0, 90.0])
def test_roll_keeps_interior_angles_and_turns_the_trunk(sample: PoseTrace, degrees: float) -> None:
    rolled = tt.roll(sample, degrees)
    _finite_allclose(_knee_angles(rolled), _knee_angles(sample), atol=1e-3)
    px0, px1 = to_pixels(sample.landmarks, sample.size), to_pixels(rolled.landmarks, rolled.size)
    d0 = px0[:, Lm.LEFT_SHOULDER] - px0[:, Lm.LEFT_HIP]
    d1 = px1[:, Lm.LEFT_SHOULDER] - px1[:, Lm.LEFT_HIP]
    turn = np.degrees(np.arctan2(d1[:, 1], d1[:, 0]) - np.arctan2(d0[:, 1], d0[:, 0]))
    turn = (turn + 180.0) % 360.0 - 180.0
    assert np.nanmedian(turn) == pytest.approx(degrees, abs=1e-3)


def test_roll_back_and_forth_is_the_identity(sample: PoseTrace) -> None:
    back = tt.roll(tt.roll(sample, 10.0), -10.0)
    _finite_allclose(back.landmarks[..., :2], sample.landmarks[..., :2], atol=1e-5)
    _finite_allclose(back.world[..., :3], sample.world[..., :3], atol=1e-5)


def test_half_size_halves_distances_about_the_centre(sample: PoseTrace) -> None:
    half = tt.scale(sample, 0.5)
    px0, px1 = to_pixels(sample.landmarks, sample.size), to_pixels(half.landmarks, half.size)
    d0 = np.linalg.norm(px0[:, Lm.LEFT_HIP] - px0[:, Lm.LEFT_KNEE], axis=-1)
    d1 = np.linalg.norm(px1[:, Lm.LEFT_HIP] - px1[:, Lm.LEFT_KNEE], axis=-1)
    _finite_allclose(d1, d0 / 2, atol=1e-2)
    _finite_allclose(_knee_angles(half), _knee_angles(sample), atol=1e-3)
    assert tt.body_height_px(half) == pytest.approx(tt.body_height_px(sample) / 2, rel=1e-3)


@pytest.mark.parametrize("fps", [15.0, 60.0, 24.0])
def test_resampling_keeps_the_duration_and_sets_the_rate(sample: PoseTrace, fps: float) -> None:
    r = tt.resample(sample, fps)
    assert r.fps == fps
    assert np.allclose(np.diff(r.times), 1.0 / fps)
    duration = sample.times[-1] - sample.times[0]
    assert duration - 1.0 / fps < r.times[-1] - r.times[0] <= duration + 1e-9
    assert r.frames == pytest.approx(duration * fps, abs=1.5)


def test_resampling_interpolates_between_samples() -> None:
    lm = np.zeros((3, 33, 4), np.float32)
    lm[:, :, 0] = np.array([0.0, 0.2, 0.4])[:, None]
    lm[2, 5] = np.nan
    trace = PoseTrace(
        landmarks=lm,
        world=np.zeros((3, 33, 4), np.float32),
        back=np.zeros((3, 2), np.float32),
        n_people=np.ones(3, np.int32),
        brightness=np.full(3, 100.0, np.float32),
        fps=10.0,
        size=(640, 480),
    )
    r = tt.resample(trace, 20.0)
    assert r.frames == 5
    np.testing.assert_allclose(r.landmarks[:, 0, 0], [0.0, 0.1, 0.2, 0.3, 0.4], atol=1e-6)
    assert np.isnan(r.landmarks[3, 5, 0]) and np.isnan(r.landmarks[4, 5, 0])  # a gap stays a gap
    assert r.landmarks[2, 5, 0] == pytest.approx(0.2)


def test_dropping_frames_keeps_the_times_of_the_rest(sample: PoseTrace) -> None:
    d = tt.drop_frames(sample, 0.10, seed=1)
    assert d.frames == sample.frames - round(0.10 * sample.frames)
    assert set(np.round(d.times, 6)) <= set(np.round(sample.times, 6))
    assert d.times[0] == sample.times[0] and d.times[-1] == sample.times[-1]
    i = int(np.searchsorted(sample.times, d.times[100]))
    _finite_allclose(d.landmarks[100], sample.landmarks[i], atol=0)
    again = tt.drop_frames(sample, 0.10, seed=1)
    assert np.array_equal(again.times, d.times)  # seeded


def test_jitter_has_the_asked_size_and_is_seeded(sample: PoseTrace) -> None:
    j = tt.jitter(sample, 0.01, seed=3)
    w, h = sample.size
    dx = (j.landmarks[..., 0] - sample.landmarks[..., 0]) * w
    dy = (j.landmarks[..., 1] - sample.landmarks[..., 1]) * h
    sigma = 0.01 * tt.body_height_px(sample)
    assert np.nanstd(dx) == pytest.approx(sigma, rel=0.05)
    assert np.nanstd(dy) == pytest.approx(sigma, rel=0.05)
    assert np.array_equal(j.landmarks[..., 2:], sample.landmarks[..., 2:], equal_nan=True)
    assert np.array_equal(tt.jitter(sample, 0.01, seed=3).landmarks, j.landmarks, equal_nan=True)


def test_jitter_moves_the_profile_with_the_shoulder_hip_line(sample: PoseTrace) -> None:
    assert np.array_equal(tt.jitter(sample, 0.0, seed=3).profile, sample.profile, equal_nan=True)
    # the hip moved 5 px towards the back: the line moves by s * 5 px there, the contour stays
    moved = tt.jitter(sample, 0.0, seed=3)
    w, h = sample.size
    px = to_pixels(sample.landmarks, sample.size)
    i = int(np.flatnonzero(np.isfinite(px[:, Lm.LEFT_HIP, 0]) & np.isfinite(px[:, Lm.LEFT_SHOULDER, 0]))[0])
    sh, hip = px[i, Lm.LEFT_SHOULDER], px[i, Lm.LEFT_HIP]
    post = -anterior(sh, hip, chirality_of(Side.LEFT))
    moved.landmarks[i, Lm.LEFT_HIP, :2] = (hip + 5.0 * post) / np.array([w, h])
    shifted = tt.shift_profile(sample, moved)
    trunk = float(np.linalg.norm(hip - sh))
    want = sample.profile[i, int(Side.LEFT)] - PROFILE_S * 5.0 / trunk
    np.testing.assert_allclose(shifted[i, int(Side.LEFT)], want, atol=1e-3)
    np.testing.assert_allclose(shifted[i, int(Side.RIGHT)], sample.profile[i, int(Side.RIGHT)], atol=1e-9)


def test_transforms_leave_the_input_alone(sample: PoseTrace) -> None:
    before = sample.landmarks.copy(), sample.world.copy(), sample.back.copy()
    for fn in tt.TRANSFORMS.values():
        fn(sample)
    assert np.array_equal(sample.landmarks, before[0], equal_nan=True)
    assert np.array_equal(sample.world, before[1], equal_nan=True)
    assert np.array_equal(sample.back, before[2], equal_nan=True)


# ------------------------------------------------------------------------------------- the engine under them


#: Known failures, each with its reason (strict: they must fail, so a fix shows up).
KNOWN: dict[tuple[str, str], str] = {
    ("1rsh_reba_suitcase_lift_crop", "roll-10"): (
        "the original already misses one of the two labelled lifts (an oblique suitcase lift whose hands "
        "rise 0.3 leg lengths, at min_range); with the camera rolled the second rise crosses it"
    ),
}


def _case(stem: str, exercise: str, name: str) -> object:
    reason = KNOWN.get((stem, name))
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(stem, exercise, name, id=f"{stem}-{name}", marks=marks)


@pytest.mark.parametrize(
    ("stem", "exercise", "transform"), [_case(s, e, name) for s, e in CLIPS for name in tt.TRANSFORMS]
)
def test_same_verdict_after_transform(stem: str, exercise: str, transform: str) -> None:
    want_n, want_tech = original(stem, exercise)
    got_n, got_tech = verdict(tt.TRANSFORMS[transform](load(stem)), exercise)
    assert got_n == want_n, f"{stem} {transform}: {got_n} reps, {want_n} on the original"
    changed = [
        (i + 1, want[0], got[0], round(want[1]), round(want[2]))
        for i, (want, got) in enumerate(zip(want_tech, got_tech, strict=True))
        if want[0] != got[0] and not may_change(exercise, want, transform)
    ]
    assert changed == [], f"{stem} {transform}: (rep, original, now, knee, trunk) of clear lifts: {changed}"
