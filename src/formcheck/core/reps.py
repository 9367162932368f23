"""Finding reps from the person's own movement: a pure, causal detector fed one signal value per frame.

Whether a rep happened is decided by how far and how the person moves one signal (a feature such as the
pelvis height or the hand height), relative to the person's own resting level and range of motion, never
by absolute bands: a short patient, a far camera, a tilted camera or a small bridge move the signal
differently in absolute terms but still show the same shape. The template gives the signal, the direction
of a rep and the least range that can be a rep (``min_range``, in the feature's unit), so that fidgeting,
getting into position and noise never count. Judging how good a rep was is done elsewhere, against the
template's fixed criteria (:mod:`formcheck.core.engine`).

Two kinds of movement:

``excursion`` (bridge, lifting): the signal rests at one level, leaves it in the rep's direction, reaches a
    turning point and comes back. The rep leaves rest when the signal is ``enter`` of the person's typical
    range (at least half of ``min_range``) away from the resting level (the lowest value seen since the
    last rep, for a rep that goes up), and is back when less than ``back`` of its own excursion is left.
    An excursion smaller than ``min_range`` is not a rep. With ``from_start`` (lifting: "a deadlift that
    starts at the bar counts its first pull") a return from a turning point that was there from the first
    frame also counts; otherwise (bridge: "all on screen") a rep must start from rest on screen.

``cycle`` (cat-cow): the signal swings between a high posture and a low posture. Turning points are
    confirmed by a reversal of at least ``enter`` of the person's typical swing (and at least half of
    ``min_range``); a swing smaller than ``min_range`` is not a posture change. One rep is one high plus
    one low turning point. The first turning point (where the recording starts) is a posture only when the
    swing away from it is at least :data:`FIRST_SWING_SHARE` of the next swing: someone who starts in a
    flat tabletop and then rounds the back has not yet done a cow.

Everything is causal: the same detector runs live and offline. Timestamps come in; nothing reads a clock.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass, field

#: A recording's first turning point counts as a posture only if the swing away from it is at least this
#: share of the following swing (a start in neutral is about half a swing, a start in the posture a full
#: one).
FIRST_SWING_SHARE = 0.7
#: The typical range is the median of at most this many recent reps' ranges.
RANGE_MEMORY = 5


@dataclass(frozen=True)
class CountRule:
    """How reps are found from one signal (the ``[count]`` table of a template).

    Attributes:
        feature: the signal (a feature name; see :data:`formcheck.core.geometry.FEATURES` for its unit).
        kind: ``excursion`` (rest -> away -> rest) or ``cycle`` (high <-> low).
        direction: ``up`` or ``down``: which way a rep moves the signal away from rest (excursion); for a
            cycle, ``up`` means the high turning point is ``phases[0]``.
        min_range: least excursion or swing that can be a rep, in the feature's unit.
        phases: (rest, away) phase names for an excursion; (high, low) for a cycle.
        from_start: an excursion already away from rest at the first frame counts when it returns.
        enter: share of the person's typical range that leaves rest / confirms a turning point.
        back: share of a rep's own excursion left when it counts as back at rest.
        min_s: shortest rep (s); shorter excursions are not reps.
        max_s: longest rep (s); a longer excursion is not counted.
        hold_share: the top of an excursion, for holds: within this share of its range from the peak.
        median_s: the signal is the median of the last ``median_s`` seconds of values (causal), so that a
            pose estimate that jumps for a few frames (a limb hidden behind a barbell's plates) is no rep.
        rest_level: where rest is when the body says so (the knees on the floor: a knee height of 0), or
            None. Only for a recording that starts away from it: a start at least ``min_range`` beyond it is
            away from rest from the first frame (a plank already held), so its hold is timed; it counts as a
            rep only with ``from_start``. After that, rest is the person's own level as always.
    """

    feature: str
    kind: str
    direction: str
    min_range: float
    phases: tuple[str, str]
    from_start: bool = False
    enter: float = 0.3
    back: float = 0.3
    min_s: float = 0.5
    max_s: float = 120.0
    hold_share: float = 0.15
    median_s: float = 0.3
    rest_level: float | None = None


@dataclass(frozen=True)
class RepSpan:
    """A rep found by the detector (times in seconds).

    Attributes:
        start_s: when the movement left rest (excursion) or the previous turning point (cycle).
        turn_s: the turning point (excursion) or the first of the two turning points (cycle).
        end_s: when the rep was complete (back at rest, or the second turning point confirmed).
        range: the rep's excursion or smaller swing, in the feature's unit.
        turns: the times of the turning points in it (one for an excursion, two for a cycle).
        first_high: a cycle whose first turning point is the high one (``phases[0]``); None for excursions.
    """

    start_s: float
    turn_s: float
    end_s: float
    range: float
    turns: tuple[float, ...]
    first_high: bool | None = None


@dataclass(frozen=True)
class Step:
    """What the detector says after one frame.

    Attributes:
        phase: the phase name now, or None while nothing is known yet.
        started: a rep (or an excursion that may become one) left rest at this time, in this frame.
        finished: a rep completed in this frame.
        at_top: the frame is at the top of an excursion (within ``hold_share`` of its range from the peak:
            the part that counts as holding).
        ended: an excursion came back to rest in this frame without being a rep (already under way when
            the recording started, too small, too short or too long).
    """

    phase: str | None
    started: float | None = None
    finished: RepSpan | None = None
    at_top: bool = False
    ended: bool = False


@dataclass
class _Turn:
    high: bool
    value: float
    t: float


@dataclass
class RepDetector:
    """The causal rep detector for one :class:`CountRule`. Feed :meth:`update` every frame."""

    rule: CountRule
    _state: str = "init"
    _sign: float = 1.0
    _lo: float = math.inf
    _lo_t: float = 0.0
    _hi: float = -math.inf
    _hi_t: float = 0.0
    _near_rest_t: float = 0.0
    _start_t: float = 0.0
    _countable: bool = True
    _ranges: list[float] = field(default_factory=list)
    _turns: list[_Turn] = field(default_factory=list)
    _first_ok: bool | None = None
    _paired: int = 0
    _phase: str | None = None
    _t0: float | None = None
    _recent: deque[tuple[float, float]] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self._sign = 1.0 if self.rule.direction == "up" else -1.0

    # ---------------------------------------------------------------------------------------------- common

    @property
    def typical_range(self) -> float:
        """The person's typical rep range so far (median of recent reps), or ``min_range`` before any."""
        if not self._ranges:
            return self.rule.min_range
        r = sorted(self._ranges[-RANGE_MEMORY:])
        return r[len(r) // 2]

    @property
    def started_at(self) -> float:
        """When the excursion in progress left rest (s); meaningful while away from rest."""
        return self._start_t

    def restarted(self) -> RepDetector:
        """A fresh detector for the same rule that keeps what it learnt of the person's range (after the
        person left the starting position for a while: what was in progress is no rep)."""
        fresh = RepDetector(self.rule)
        fresh._ranges = list(self._ranges)
        return fresh

    def _threshold(self) -> float:
        return max(0.5 * self.rule.min_range, self.rule.enter * self.typical_range)

    def update(self, t_s: float, value: float) -> Step:
        """Advance by one frame.

        Args:
            t_s: frame time (s, non-decreasing).
            value: the signal in this frame; NaN (not seen) changes nothing.

        Returns:
            The :class:`Step`.
        """
        if value is None or not math.isfinite(value):
            return Step(phase=self._phase)
        recent = self._recent
        recent.append((t_s, float(value)))
        while t_s - recent[0][0] > self.rule.median_s:
            recent.popleft()
        y = self._sign * statistics.median(v for _, v in recent)
        if self.rule.kind == "cycle":
            return self._cycle(t_s, y)
        return self._excursion(t_s, y)

    # ------------------------------------------------------------------------------------------- excursion

    def _excursion(self, t: float, y: float) -> Step:
        rest, away = self.rule.phases
        thr = self._threshold()
        if self._state == "init":
            if self._t0 is None:
                self._t0 = t
            if t - self._t0 < self.rule.median_s:  # the median is not steady yet: no level to keep
                return Step(phase=None)
            first = self._lo == math.inf  # the first steady frame: nothing seen yet
            rest_level = self.rule.rest_level
            if first and rest_level is not None and y - self._sign * rest_level >= self.rule.min_range:
                # rest is known and the recording starts well away from it: away from the first frame
                self._state = "out"
                self._start_t = self._t0
                self._countable = self.rule.from_start
                self._lo = self._sign * self.rule.rest_level
                self._hi, self._hi_t = y, t
                return self._out(t, y)
            if y < self._lo:
                self._lo, self._lo_t = y, t
            if y > self._hi:
                self._hi, self._hi_t = y, t
            # where the recording starts is not known to be rest: decide only on a full minimum range
            if self._hi - y >= self.rule.min_range:
                # fell from where the recording started: the first frames were away from rest
                self._state = "out"
                self._start_t = self._t0
                self._countable = self.rule.from_start
                self._lo = -math.inf  # the resting level is not known yet
                return self._out(t, y)
            if y - self._lo >= self.rule.min_range:
                # rose from the lowest point so far: that was rest
                self._leave_rest(self._lo_t, y, t)
                return Step(phase=away, started=self._start_t)
            return Step(phase=self._phase)
        if self._state == "rest":
            if y < self._lo:
                self._lo = y
            if y <= self._lo + 0.5 * thr:
                self._near_rest_t = t
            if y - self._lo >= thr:
                self._leave_rest(self._near_rest_t, y, t)
                return Step(phase=away, started=self._start_t)
            self._phase = rest
            return Step(phase=rest)
        return self._out(t, y)

    def _leave_rest(self, start: float, y: float, t: float) -> None:
        self._state = "out"
        self._start_t = start
        self._hi, self._hi_t = y, t
        self._countable = True
        self._phase = self.rule.phases[1]

    def _out(self, t: float, y: float) -> Step:
        rest, away = self.rule.phases
        if y > self._hi:
            self._hi, self._hi_t = y, t
        if math.isfinite(self._lo):
            amp = self._hi - self._lo
            back = y <= self._lo + self.rule.back * amp
        else:  # started away from rest: back once it has come down by a full minimum range
            amp = self._hi - y
            back = amp >= self.rule.min_range
        tol = self.rule.hold_share * max(amp, self.rule.min_range)
        # holding: within the top zone of the highest point so far (measured against the hand labels' top
        # plateaus on the dev bridges: a stillness condition or restarting the timer when the pelvis
        # creeps higher both made the holds shorter than the labelled ones)
        at_top = self._hi - y <= tol
        if back:
            done = None
            dur = t - self._start_t
            if self._countable and amp >= self.rule.min_range and self.rule.min_s <= dur <= self.rule.max_s:
                done = RepSpan(self._start_t, self._hi_t, t, amp, (self._hi_t,))
                self._ranges.append(amp)
            self._state = "rest"
            self._lo = y
            self._near_rest_t = t
            self._phase = rest
            return Step(phase=rest, finished=done, ended=done is None)
        self._phase = away
        return Step(phase=away, at_top=at_top)

    # ----------------------------------------------------------------------------------------------- cycle

    def _cycle(self, t: float, y: float) -> Step:
        high, low = self.rule.phases
        thr = self._threshold()
        finished = None
        if self._t0 is None:
            self._t0 = t
        if self._state == "init" and t - self._t0 < self.rule.median_s:
            return Step(phase=None)
        if self._state == "init":
            self._state = "track"
            self._lo = self._hi = y
            self._lo_t = self._hi_t = t
        last = self._turns[-1] if self._turns else None
        if last is None:  # the first turning point: whichever extreme the signal turns back from first
            if y > self._hi:
                self._hi, self._hi_t = y, t
            if y < self._lo:
                self._lo, self._lo_t = y, t
            if self._hi - y >= thr:
                self._turns.append(_Turn(True, self._hi, self._hi_t))
                self._lo, self._lo_t = y, t
            elif y - self._lo >= thr:
                self._turns.append(_Turn(False, self._lo, self._lo_t))
                self._hi, self._hi_t = y, t
        elif last.high:
            if y > last.value:  # the high posture was not over yet
                last.value, last.t = y, t
                self._lo, self._lo_t = y, t
            elif y < self._lo:
                self._lo, self._lo_t = y, t
            if y - self._lo >= thr and last.value - self._lo >= self.rule.min_range:
                finished = self._confirm(_Turn(False, self._lo, self._lo_t))
                self._hi, self._hi_t = y, t
        else:
            if y < last.value:
                last.value, last.t = y, t
                self._hi, self._hi_t = y, t
            elif y > self._hi:
                self._hi, self._hi_t = y, t
            if self._hi - y >= thr and self._hi - last.value >= self.rule.min_range:
                finished = self._confirm(_Turn(True, self._hi, self._hi_t))
                self._lo, self._lo_t = y, t
        # the phase: the posture the signal is in, once a turning point is known
        phase = None
        if self._turns:
            lt = self._turns[-1]
            ref = self.typical_range
            near = self.rule.enter * ref
            if lt.high:
                phase = high if y >= lt.value - near else low if y <= lt.value - ref + near else None
            else:
                phase = low if y <= lt.value + near else high if y >= lt.value + ref - near else None
        self._phase = phase
        return Step(phase=phase, finished=finished)

    def _confirm(self, turn: _Turn) -> RepSpan | None:
        """A turning point is confirmed (a full swing from the previous one); returns a finished rep when
        it completes one."""
        if len(self._turns) >= 2 or (len(self._turns) == 1 and self._first_ok):
            self._ranges.append(abs(turn.value - self._turns[-1].value))
        self._turns.append(turn)
        if len(self._turns) == 3 and self._first_ok is None:
            s1 = abs(self._turns[1].value - self._turns[0].value)
            s2 = abs(self._turns[2].value - self._turns[1].value)
            self._first_ok = s1 >= FIRST_SWING_SHARE * s2
        return self._pair()

    def _pair(self) -> RepSpan | None:
        """A rep for the next unpaired high + low turning points, if both are there."""
        first = 0 if self._first_ok is not False else 1
        self._paired = max(self._paired, first)
        if len(self._turns) - self._paired < 2:
            return None
        if self._paired == 0 and self._first_ok is None:
            return None  # wait: is the first turning point a posture or the start in neutral?
        a, b = self._turns[self._paired], self._turns[self._paired + 1]
        start = self._turns[self._paired - 1].t if self._paired > 0 else a.t
        self._paired += 2
        return RepSpan(start, a.t, b.t, abs(a.value - b.value), (a.t, b.t), first_high=a.high)

    def finish(self, t_s: float, value: float | None = None) -> list[RepSpan]:
        """At the end of the recording (or session), settle what only the end can settle, for a cycle:

        - a recording that ends in a posture (the signal went a full swing past the last turning point and
          has not turned back yet) has reached that posture when its swing is at least
          :data:`FIRST_SWING_SHARE` of the swing before it (the mirror of the rule for the first one);
        - the first turning point, when no third one came, by the same comparison with what followed.

        Returns the reps completed by that (usually none or one).
        """
        if self.rule.kind != "cycle":
            return []
        done: list[RepSpan] = []
        turns = self._turns
        if len(turns) >= 2:
            last = turns[-1]
            cand = _Turn(False, self._lo, self._lo_t) if last.high else _Turn(True, self._hi, self._hi_t)
            swing = abs(cand.value - last.value)
            before = abs(last.value - turns[-2].value)
            if math.isfinite(swing) and swing >= max(self.rule.min_range, FIRST_SWING_SHARE * before):
                span = self._confirm(cand)
                done += [span] if span is not None else []
        if self._first_ok is None and len(turns) == 2:
            s1 = abs(turns[1].value - turns[0].value)
            rest = 0.0
            if value is not None and math.isfinite(value):
                rest = abs(self._sign * value - turns[1].value)
            self._first_ok = s1 >= FIRST_SWING_SHARE * rest
        while (span := self._pair()) is not None:
            done.append(span)
        return done
