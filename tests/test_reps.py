"""The rep detector on generated signals: counting by the person's own movement, causally."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from formcheck.core.reps import CountRule, RepDetector, RepSpan

FPS = 30.0

EXCURSION = CountRule(
    feature="x", kind="excursion", direction="up", min_range=10.0, phases=("rest", "top"), min_s=0.5
)
CYCLE = CountRule(feature="x", kind="cycle", direction="up", min_range=40.0, phases=("cat", "cow"), min_s=0.5)


def feed(rule: CountRule, x: np.ndarray, fps: float = FPS) -> list[RepSpan]:
    """Every rep the detector finds in ``x`` sampled at ``fps``, the end of the recording included."""
    det = RepDetector(rule)
    out = []
    t = 0.0
    for i, v in enumerate(x):
        t = i / fps
        step = det.update(t, float(v))
        if step.finished is not None:
            out.append(step.finished)
    last = float(x[-1]) if len(x) else math.nan
    return out + det.finish(t, last)


def bumps(n: int, rest: float = 0.0, top: float = 25.0, up_s: float = 1.0, hold_s: float = 2.0) -> np.ndarray:
    """``n`` excursions from ``rest`` to ``top`` and back, with rests between them."""
    parts = [np.full(int(FPS), rest)]
    for _ in range(n):
        parts += [
            np.linspace(rest, top, int(up_s * FPS)),
            np.full(int(hold_s * FPS), top),
            np.linspace(top, rest, int(up_s * FPS)),
            np.full(int(FPS), rest),
        ]
    return np.concatenate(parts)


def swings(postures: list[float], move_s: float = 1.0, hold_s: float = 0.5) -> np.ndarray:
    """A signal visiting each value of ``postures`` in turn, holding each briefly."""
    parts = [np.full(int(hold_s * FPS), postures[0])]
    for a, b in itertools.pairwise(postures):
        parts += [np.linspace(a, b, int(move_s * FPS)), np.full(int(hold_s * FPS), b)]
    return np.concatenate(parts)


@pytest.mark.parametrize(
    ("scale", "offset"), [(1.0, 0.0), (0.5, 0.0), (3.0, 0.0), (1.0, -200.0), (0.6, 47.0)]
)
def test_excursions_count_whatever_the_size_and_level(scale, offset):
    # a taller or smaller person, a nearer or farther camera: the same movement, other numbers
    assert len(feed(EXCURSION, offset + scale * bumps(4, top=25.0))) == 4


@pytest.mark.parametrize("fps", [10.0, 15.0, 30.0, 60.0])
def test_excursions_count_at_any_frame_rate(fps):
    x = bumps(3)
    t_src = np.arange(x.size) / FPS
    t_new = np.arange(0, t_src[-1], 1 / fps)
    assert len(feed(EXCURSION, np.interp(t_new, t_src, x), fps=fps)) == 3


def test_movements_below_the_minimum_range_are_not_reps():
    assert feed(EXCURSION, bumps(5, top=8.0)) == []


def test_an_excursion_cut_by_the_start_counts_only_with_from_start():
    x = np.concatenate([np.full(30, 25.0), np.linspace(25, 0, 30), bumps(2)])
    assert len(feed(EXCURSION, x)) == 2
    from_start = CountRule(**{**EXCURSION.__dict__, "from_start": True})
    assert len(feed(from_start, x)) == 3


def test_an_excursion_cut_by_the_end_is_not_a_rep():
    x = np.concatenate([bumps(2), np.linspace(0, 25, 30), np.full(30, 25.0)])
    assert len(feed(EXCURSION, x)) == 2


def test_a_rep_that_goes_down_counts_with_direction_down():
    down = CountRule(**{**EXCURSION.__dict__, "direction": "down"})
    assert len(feed(down, -bumps(3))) == 3
    assert [r.turn_s for r in feed(down, -bumps(3))] == [r.turn_s for r in feed(EXCURSION, bumps(3))]


def test_rep_times_are_ordered_and_the_turn_is_the_top():
    x = bumps(1, hold_s=2.0)
    (rep,) = feed(EXCURSION, x)
    assert rep.start_s < rep.turn_s < rep.end_s
    assert x[round(rep.turn_s * FPS)] == pytest.approx(25.0)
    assert rep.range == pytest.approx(25.0, abs=0.5)


def test_gaps_change_nothing():
    x = bumps(3)
    x[40:60] = np.nan
    x[200:215] = np.nan
    assert len(feed(EXCURSION, x)) == 3


def test_a_few_odd_frames_are_no_rep():
    x = np.zeros(300)
    x[100:103] = 40.0  # the pose estimate jumps for 0.1 s
    assert feed(EXCURSION, x) == []


def test_cat_cow_cycles_from_a_neutral_start():
    # neutral (0), cow (-90), cat (+90), cow, cat, back to neutral: two cycles
    assert len(feed(CYCLE, swings([0, -90, 90, -90, 90, 0]))) == 2


def test_a_start_in_neutral_is_not_a_posture():
    # neutral, cat, cow: one cycle (the neutral start is no cow)
    assert len(feed(CYCLE, swings([0, 90, -90, 0]))) == 1


def test_a_start_held_in_a_posture_is_a_posture():
    # the recording opens in a cow: cow, cat is one cycle
    assert len(feed(CYCLE, swings([-90, 90, 0]))) == 1


def test_a_recording_that_ends_in_a_posture_counts_it():
    # cow, cat, cow, cat: the last cat is at the very end, not followed by any turn back
    assert len(feed(CYCLE, swings([0, -90, 90, -90, 90], hold_s=0.2))) == 2


def test_half_a_cycle_is_no_rep():
    # a cat held, then released to a flat back
    assert feed(CYCLE, swings([90, 0], hold_s=1.0)) == []


def test_small_wobbles_are_not_postures():
    x = swings([0, -90, 90, 0]) + 12.0 * np.sin(np.arange(swings([0, -90, 90, 0]).size) / 2.0)
    assert len(feed(CYCLE, x)) == 1
    assert feed(CYCLE, 15.0 * np.sin(np.arange(600) / 8.0)) == []


def test_cycle_rep_knows_which_posture_came_first():
    (rep,) = feed(CYCLE, swings([0, 90, -90, 0]))
    assert rep.first_high is True and len(rep.turns) == 2 and rep.turns[0] < rep.turns[1]
