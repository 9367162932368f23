"""The desk-posture monitor with the clock passed in: calibration, segments, reminders and the score."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest
from sitting import SIZE, nobody, sitter

from formcheck.core.desk import DeskMonitor, DeskState, Reminder, Timing, posture_at
from formcheck.core.posture import frame_measures, measure
from formcheck.core.posture_template import load_monitor

TEMPLATE = load_monitor("desk_posture")
LIMITS, TIMING = TEMPLATE.limits, TEMPLATE.timing


def frame(**kw: float) -> dict[str, float]:
    lm, w = sitter(**kw)
    return frame_measures(measure(lm[None], w[None], SIZE), 0)


UPRIGHT = frame(trunk_forward=3.0, neck_forward=12.0, yaw=90.0)
SLOUCHED = frame(trunk_forward=30.0, neck_forward=35.0, yaw=90.0)
HEAD_DOWN = frame(trunk_forward=3.0, neck_forward=12.0, head_pitch=45.0, yaw=90.0)
AWAY = frame_measures(measure(*(x[None] for x in nobody()), SIZE), 0)


def run(
    monitor: DeskMonitor,
    script: Callable[[float], dict[str, float]],
    seconds: float,
    fps: float,
    t0: float = 0.0,
) -> list[DeskState]:
    """Feed ``script(t)`` at ``fps`` from ``t0`` for ``seconds`` (end excluded)."""
    return [monitor.update(float(t), script(float(t))) for t in t0 + np.arange(0.0, seconds, 1.0 / fps)]


def reminders(states: list[DeskState], code: str | None = None) -> list[Reminder]:
    return [s.reminder for s in states if s.reminder is not None and code in (None, s.reminder.code)]


# ---------------------------------------------------------------------------------------------- calibration


def test_calibration_sets_the_persons_own_baseline() -> None:
    """Someone who sits at 8 degrees: after calibrating, 21 degrees is a slouch for them, 16 is not."""
    mon = DeskMonitor(LIMITS, TIMING)
    mon.calibrate(10.0)
    states = run(mon, lambda t: frame(trunk_forward=8.0, yaw=90.0), 4.0, 5.0, t0=10.0)
    assert states[0].calibrating and states[0].calibration_left_s == pytest.approx(3.0)
    assert not states[-1].calibrating and states[-1].calibrated
    assert mon.baseline is not None and mon.baseline.get("trunk_forward") == pytest.approx(8.0, abs=0.1)
    assert mon.view == "side"
    assert run(mon, lambda t: frame(trunk_forward=16.0, yaw=90.0), 3.0, 5.0, t0=14.0)[-1].posture == "upright"
    assert (
        run(mon, lambda t: frame(trunk_forward=21.0, yaw=90.0), 3.0, 5.0, t0=17.0)[-1].posture == "slouched"
    )


def test_without_calibration_the_fixed_limits_judge() -> None:
    mon = DeskMonitor(LIMITS, TIMING)
    states = run(mon, lambda t: frame(trunk_forward=16.0, yaw=90.0), 3.0, 5.0)
    assert not states[-1].calibrated and states[-1].posture == "upright"
    assert run(mon, lambda t: frame(trunk_forward=26.0, yaw=90.0), 3.0, 5.0, t0=3.0)[-1].posture == "slouched"


def test_a_calibration_that_sees_nobody_fails_and_keeps_no_baseline() -> None:
    mon = DeskMonitor(LIMITS, TIMING)
    mon.calibrate(0.0)
    states = run(mon, lambda t: AWAY, 3.5, 5.0)
    assert states[-1].calibration_failed and not states[-1].calibrated and mon.baseline is None


def test_calibration_time_is_not_sitting_time() -> None:
    mon = DeskMonitor(LIMITS, TIMING)
    mon.calibrate(0.0)
    states = run(mon, lambda t: UPRIGHT, 2.9, 5.0)
    assert all(s.calibrating for s in states) and states[-1].sitting_s == 0.0


# ---------------------------------------------------------------------------------------------- reminders


def test_two_hours_of_sitting_give_three_stand_up_reminders() -> None:
    """Patient material: stand up every half hour. At 30, 60 and 90 minutes; the 4th would be at 120."""
    mon = DeskMonitor(LIMITS, TIMING)
    states = run(mon, lambda t: UPRIGHT, 2 * 3600.0, 1.0)
    got = reminders(states)
    assert [r.code for r in got] == ["stand_up"] * 3
    np.testing.assert_allclose([r.t_s for r in got], [1800.0, 3600.0, 5400.0], atol=1.0)


def test_reminders_never_closer_than_the_gap() -> None:
    """Slouched for two hours at 2 frames a second: posture and stand-up reminders, never within 5 minutes."""
    mon = DeskMonitor(LIMITS, TIMING)
    got = reminders(run(mon, lambda t: SLOUCHED, 2 * 3600.0, 2.0))
    gaps = np.diff([r.t_s for r in got])
    assert len(got) >= 10 and gaps.min() >= TIMING.min_gap_s
    assert got[0].code == "slouched" and got[0].t_s == pytest.approx(TIMING.remind_after_s, abs=1.0)
    assert 2 <= sum(r.code == "stand_up" for r in got) <= 4


def test_no_reminders_while_away_and_a_break_restarts_the_sitting_clock() -> None:
    """Sit 20 min, away 30 min (slouch reminders would be due), sit 25 min: no reminder while away and no
    stand-up reminder (never 30 minutes in a row)."""

    def script(t: float) -> dict[str, float]:
        return SLOUCHED if t < 1200 else AWAY if t < 3000 else UPRIGHT

    mon = DeskMonitor(LIMITS, TIMING)
    states = run(mon, script, 4500.0, 1.0)
    assert all(s.reminder is None for s in states if 1200 <= s.t_s < 3000)
    assert all(s.posture == "away" for s in states if 1210 <= s.t_s < 3000)
    assert not reminders(states, "stand_up")
    assert states[-1].sitting_s == pytest.approx(1500.0, abs=2.0)


def test_a_short_break_does_not_restart_the_sitting_clock() -> None:
    mon = DeskMonitor(LIMITS, TIMING)
    states = run(mon, lambda t: AWAY if 1000 <= t < 1020 else UPRIGHT, 1900.0, 1.0)
    assert [r.code for r in reminders(states)] == ["stand_up"]  # 20 s away is not a break of 60 s


def test_a_moment_out_of_view_is_not_away() -> None:
    mon = DeskMonitor(LIMITS, TIMING)
    states = run(mon, lambda t: AWAY if 10 <= t < 11.5 else UPRIGHT, 20.0, 5.0)
    assert {s.posture for s in states} == {"upright"}
    assert [s.posture for s in mon.segments] == ["upright"]


def test_screen_low_reminder_after_long_looking_down_once() -> None:
    mon = DeskMonitor(LIMITS, TIMING)
    got = reminders(run(mon, lambda t: HEAD_DOWN, 900.0, 1.0))
    assert [r.code for r in got] == ["screen_low"]
    assert got[0].t_s == pytest.approx(TIMING.head_down_s, abs=1.0)


def test_reminder_texts_are_kind_in_both_languages() -> None:
    for code in ("slouched", "forward_head", "leaning_back", "leaning_side", "screen_low", "stand_up"):
        text = TEMPLATE.reminders[code]
        for words in (text.nl, text.en):
            assert 20 < len(words) < 200 and "!" not in words[:-1], code
            assert not any(
                bad in words.lower() for bad in ("wrong", "bad", "fout", "slecht", "danger", "gevaar")
            )


# ---------------------------------------------------------------------------------------- segments, score


def three_parts(t: float) -> dict[str, float]:
    return SLOUCHED if 10.0 <= t < 20.0 else UPRIGHT


@pytest.mark.parametrize("fps", [2.0, 5.0, 30.0])
def test_segments_with_times_at_any_frame_rate(fps: float) -> None:
    mon = DeskMonitor(LIMITS, TIMING)
    run(mon, three_parts, 30.0, fps)
    assert [s.posture for s in mon.segments] == ["upright", "slouched", "upright"]
    np.testing.assert_allclose(
        [mon.segments[1].start_s, mon.segments[1].end_s], [10.0, 20.0], atol=0.3 + 1.0 / fps, err_msg=f"{fps}"
    )
    assert posture_at(mon.segments, 15.0) == "slouched" and posture_at(mon.segments, 25.0) == "upright"


def test_a_flicker_shorter_than_the_dwell_is_no_segment() -> None:
    mon = DeskMonitor(LIMITS, dataclasses.replace(TIMING, smooth_s=0.0))
    run(mon, lambda t: SLOUCHED if 5.0 <= t < 5.1 else UPRIGHT, 10.0, 30.0)
    assert [s.posture for s in mon.segments] == ["upright"]


def test_score_is_the_share_of_sitting_time_upright() -> None:
    mon = DeskMonitor(LIMITS, dataclasses.replace(TIMING, score_bin_s=10.0))
    states = run(mon, three_parts, 30.0, 5.0)
    assert states[-1].score == pytest.approx(100 * 20 / 30, abs=3.0)
    timeline = mon.score_timeline()
    assert [t for t, _ in timeline] == [0.0, 10.0, 20.0]
    assert timeline[0][1] == pytest.approx(100.0) and timeline[1][1] < 10.0 and timeline[2][1] > 90.0
    totals = mon.totals()
    assert totals["slouched"] == pytest.approx(10.0, abs=0.5)


def test_timing_rules_from_the_template_are_positive() -> None:
    assert isinstance(TIMING, Timing)
    assert TIMING.min_gap_s >= 180.0  # "never more than one every few minutes"
    assert TIMING.stand_after_s == 1800.0


def test_away_starts_when_the_person_left() -> None:
    """Away is said after away_after_s without a person, but its segment starts when they were last seen."""
    mon = DeskMonitor(LIMITS, TIMING)
    states = run(mon, lambda t: UPRIGHT if t < 10.0 else AWAY, 20.0, 5.0)
    assert [s.posture for s in mon.segments] == ["upright", "away"]
    assert mon.segments[1].start_s == pytest.approx(9.8, abs=0.01)
    assert next(s.t_s for s in states if s.posture == "away") == pytest.approx(
        9.8 + TIMING.away_after_s, abs=0.3
    )
