"""The desk-posture monitor: calibration, posture segments, gentle reminders and a score, causally.

Pure: one :meth:`DeskMonitor.update` per frame with the frame's time (s) and measures
(:func:`formcheck.core.posture.measure`); no clock, no I/O. The live page (a few frames a second) and the
offline analysis (every frame of a file) run this same object, so the same recording gives the same
segments.

- **Calibration**: :meth:`DeskMonitor.calibrate` starts it; the frames of the next ``calibration_s``
  seconds ("sit upright for 3 seconds") give the person's own :class:`~formcheck.core.posture.Baseline`.
  Without one, only the fixed limits judge (and the result says so).
- **Segments**: each frame's measures are smoothed (running median over ``smooth_s``) and classified; a
  new posture becomes the current segment once it has lasted ``dwell_s`` (its start is dated back to when it
  began), and nobody in view for ``away_after_s`` is ``away``.
- **Reminders**: a posture other than upright held for ``remind_after_s``, the head tilted down for
  ``head_down_s`` (the screen may be too low), and every ``stand_after_s`` of sitting a stand-up reminder;
  never two within ``min_gap_s`` of each other and none while the person is away. Being away for
  ``break_s`` counts as a break: the sitting time starts again.
- **Score**: the share of the sitting time (person in view, not calibrating) spent upright, 0..100, for the
  whole session and per ``score_bin_s`` bin.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from formcheck.core.filters import RunningStat
from formcheck.core.posture import (
    MEASURES,
    Baseline,
    Limits,
    baseline_of,
    classify,
    head_down,
    present,
    view_of,
)

#: Postures that are not a reason for a reminder.
AT_EASE = ("upright", "away")


@dataclass(frozen=True)
class Timing:
    """The monitor's timing rules, all in seconds (from the template)."""

    calibration_s: float
    smooth_s: float
    dwell_s: float
    away_after_s: float
    remind_after_s: float
    min_gap_s: float
    head_down_s: float
    stand_after_s: float
    break_s: float
    score_bin_s: float


@dataclass
class Segment:
    """A stretch of one posture, ``start_s`` to ``end_s`` (s)."""

    posture: str
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.end_s - self.start_s


@dataclass(frozen=True)
class Reminder:
    """A reminder given at ``t_s``: ``code`` is ``stand_up``, ``screen_low`` or a posture name."""

    t_s: float
    code: str


@dataclass(frozen=True)
class DeskState:
    """What the monitor says after one frame.

    Attributes:
        t_s: the frame's time (s).
        posture: the current segment's posture (:data:`formcheck.core.posture.POSTURES`).
        raw: this frame's own posture (smoothed measures, before the dwell).
        calibrating: a calibration is running.
        calibration_left_s: seconds of calibration still to go (0 when none runs).
        calibrated: a baseline is set.
        calibration_failed: the last calibration saw too little of the person (until the next one).
        head_down: the head is tilted down past the limits.
        reminder: the reminder given at this frame, if any.
        sitting_s: sitting time since the last break or stand-up reminder (s).
        score: the session's posture score so far, 0..100 (NaN before any sitting time).
    """

    t_s: float
    posture: str
    raw: str
    calibrating: bool
    calibration_left_s: float
    calibrated: bool
    calibration_failed: bool
    head_down: bool
    reminder: Reminder | None
    sitting_s: float
    score: float


@dataclass
class _Score:
    upright_s: float = 0.0
    sitting_s: float = 0.0
    bins: dict[int, list[float]] = field(default_factory=dict)

    def add(self, t_s: float, dt: float, upright: bool, bin_s: float) -> None:
        self.sitting_s += dt
        self.upright_s += dt if upright else 0.0
        b = self.bins.setdefault(int(t_s // bin_s), [0.0, 0.0])
        b[0] += dt if upright else 0.0
        b[1] += dt

    @property
    def score(self) -> float:
        return 100.0 * self.upright_s / self.sitting_s if self.sitting_s > 0 else math.nan


class DeskMonitor:
    """The causal desk-posture monitor (see the module docstring).

    Args:
        limits: the posture limits of the template.
        timing: the timing rules of the template.
        baseline: a baseline to start with (e.g. chosen offline by :func:`auto_baseline`), or None.
    """

    def __init__(self, limits: Limits, timing: Timing, baseline: Baseline | None = None) -> None:
        self.limits = limits
        self.timing = timing
        self.baseline = baseline
        self.segments: list[Segment] = []
        self.reminders: list[Reminder] = []
        self._median = {name: RunningStat(timing.smooth_s) for name in MEASURES}
        self._cal_until: float | None = None
        self._cal_samples: list[Mapping[str, float]] = []
        self._cal_failed = False
        self._last_t: float | None = None
        self._last_seen: float | None = None
        self._candidate: tuple[str, float] | None = None
        self._head_down_since: float | None = None
        self._head_down_reminded = False
        self._sitting_s = 0.0
        self._score = _Score()

    # ------------------------------------------------------------------------------------ calibration

    def calibrate(self, t_s: float) -> None:
        """Start a calibration at ``t_s``: the next ``calibration_s`` seconds set the baseline."""
        self._cal_until = t_s + self.timing.calibration_s
        self._cal_samples = []
        self._cal_failed = False

    @property
    def view(self) -> str | None:
        """The camera view of the baseline, or None without one."""
        return None if self.baseline is None else self.baseline.view

    # ---------------------------------------------------------------------------------------- frames

    def update(self, t_s: float, m: Mapping[str, float]) -> DeskState:
        """Take one frame: its time ``t_s`` (s, increasing) and its raw measures ``m``."""
        dt = 0.0 if self._last_t is None else max(0.0, t_s - self._last_t)
        if dt > self.timing.away_after_s:  # a long gap between frames: nothing is known about it
            dt = 0.0
        self._last_t = t_s
        calibrating = self._calibration_step(t_s, m)
        smooth = {name: self._median[name].update(t_s, float(m.get(name, math.nan))) for name in MEASURES}
        here = present(m)
        if here:
            self._last_seen = t_s
        gone_s = math.inf if self._last_seen is None else t_s - self._last_seen
        if here:
            view = self.baseline.view if self.baseline is not None else view_of(smooth["yaw"])
            raw = classify(smooth, self.limits, self.baseline, view)
        else:
            raw = "away" if gone_s >= self.timing.away_after_s else self._current()
        # away is dated back to the last frame that showed the person
        posture = self._segment_step(t_s, raw, self._last_seen if raw == "away" else None)
        if gone_s >= self.timing.break_s:
            self._sitting_s = 0.0
        sitting = posture != "away" and not calibrating
        if sitting:
            self._sitting_s += dt
            self._score.add(t_s, dt, posture == "upright", self.timing.score_bin_s)
        down = here and head_down(smooth, self.limits, self.baseline)
        reminder = self._reminder_step(t_s, posture, down, sitting) if sitting else None
        return DeskState(
            t_s=t_s,
            posture=posture,
            raw=raw,
            calibrating=calibrating,
            calibration_left_s=max(0.0, self._cal_until - t_s) if self._cal_until is not None else 0.0,
            calibrated=self.baseline is not None,
            calibration_failed=self._cal_failed,
            head_down=down,
            reminder=reminder,
            sitting_s=self._sitting_s,
            score=self._score.score,
        )

    def _calibration_step(self, t_s: float, m: Mapping[str, float]) -> bool:
        """Collect calibration frames, and set the baseline at the end; returns whether still calibrating."""
        if self._cal_until is None:
            return False
        if t_s < self._cal_until:
            self._cal_samples.append(dict(m))
            return True
        base = baseline_of(self._cal_samples)
        self._cal_until, self._cal_samples = None, []
        self._cal_failed = base is None
        if base is not None:
            self.baseline = base
        return False

    def _current(self) -> str:
        return self.segments[-1].posture if self.segments else "away"

    def _segment_step(self, t_s: float, raw: str, began: float | None = None) -> str:
        """Extend the current segment, or switch to ``raw`` once it has lasted ``dwell_s`` (``began``: when
        ``raw`` began, if known better than the first frame that showed it)."""
        if not self.segments:
            self.segments.append(Segment(raw, t_s, t_s))
            return raw
        seg = self.segments[-1]
        if raw == seg.posture:
            self._candidate = None
            seg.end_s = t_s
            return seg.posture
        if self._candidate is None or self._candidate[0] != raw:
            start = t_s if began is None else min(t_s, max(began, seg.start_s))
            self._candidate = (raw, start)
        since = self._candidate[1]
        if t_s - since >= self.timing.dwell_s or raw == "away":
            seg.end_s = since
            self.segments.append(Segment(raw, since, t_s))
            self._candidate = None
            return raw
        seg.end_s = t_s
        return seg.posture

    def _reminder_step(self, t_s: float, posture: str, down: bool, sitting: bool) -> Reminder | None:
        """The reminder due at ``t_s`` (at most one, never within ``min_gap_s`` of the last one)."""
        timing = self.timing
        if down:
            self._head_down_since = t_s if self._head_down_since is None else self._head_down_since
        else:
            self._head_down_since, self._head_down_reminded = None, False
        last = self.reminders[-1].t_s if self.reminders else -math.inf
        if not sitting or t_s - last < timing.min_gap_s:
            return None
        code: str | None = None
        seg = self.segments[-1]
        if self._sitting_s >= timing.stand_after_s:
            code = "stand_up"
            self._sitting_s = 0.0
        elif posture not in AT_EASE and t_s - max(seg.start_s, last) >= timing.remind_after_s:
            code = posture
        elif (
            self._head_down_since is not None
            and not self._head_down_reminded
            and t_s - self._head_down_since >= timing.head_down_s
        ):
            code = "screen_low"
            self._head_down_reminded = True
        if code is None:
            return None
        reminder = Reminder(t_s, code)
        self.reminders.append(reminder)
        return reminder

    # ---------------------------------------------------------------------------------------- results

    @property
    def score(self) -> float:
        """The session's posture score, 0..100: the share of sitting time upright (NaN before any)."""
        return self._score.score

    def score_timeline(self) -> list[tuple[float, float]]:
        """``(bin start s, score 0..100)`` per ``score_bin_s`` bin with sitting time, in time order."""
        bin_s = self.timing.score_bin_s
        return [
            (k * bin_s, 100.0 * up / total)
            for k, (up, total) in sorted(self._score.bins.items())
            if total > 0
        ]

    def totals(self) -> dict[str, float]:
        """Seconds spent in each posture over the segments so far."""
        out: dict[str, float] = {}
        for s in self.segments:
            out[s.posture] = out.get(s.posture, 0.0) + s.duration_s
        return out


def posture_at(segments: list[Segment], t_s: float) -> str | None:
    """The posture of the segment holding ``t_s`` (the later one at a boundary), or None outside them."""
    found = None
    for s in segments:
        if s.start_s <= t_s <= s.end_s:
            found = s.posture
        elif s.start_s > t_s:
            break
    return found
