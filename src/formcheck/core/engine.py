"""The exercise engine: a pure state machine fed ``(t_s, features)`` one frame at a time.

No clock reads and no I/O: timestamps come in with the features, so the same engine serves live video
(causally smoothed features) and offline analysis (zero-phase smoothed features), and tests feed it
synthetic traces.

Per frame it tracks the set-up checks, whether the person is in the starting position, the current phase
(from the rep detector), reps, the hold timer, live faults and which cue to show. Each finished rep becomes a
:class:`RepRecord` with its times, range of motion, peaks, hold, tempo, faults, score and technique.
A per-leg template (knee-to-chest) runs one rep detector per leg; its reps and holds carry the leg.
"""

from __future__ import annotations

import math
import warnings
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from formcheck.core.cues import (
    GOOD_REP,
    HOLD_DONE_SUFFIX,
    HOLD_MAX_SUFFIX,
    HOLD_REMINDER_SUFFIX,
    POSITION,
    READY,
    CueEvent,
    CueSelector,
    Priority,
)
from formcheck.core.messages import MESSAGES
from formcheck.core.reps import RepDetector, RepSpan
from formcheck.core.templates import Band, Hold, Template, Text, leg_feature

#: Set-up thresholds (units as in :data:`formcheck.core.geometry.FEATURES`).
MIN_VISIBILITY = 0.5
MIN_IN_FRAME = 0.85
MAX_SIDE_VIEW = 0.55
MAX_BODY_SIZE = 0.98
MIN_BODY_SIZE = 0.25
MIN_BRIGHTNESS = 40.0
#: A set-up problem must last this long (s) before it is reported, and be gone this long to clear.
ISSUE_DEBOUNCE_S = 0.5
#: Longest time step (s) credited to a hold between two frames.
MAX_FRAME_GAP_S = 0.25
#: The turning point's posture is the median over frames this close (share of the rep's range) to it.
TURN_WINDOW = 0.1
#: A live fault is cued once its threshold has been crossed for this long (s), in every frame.
LIVE_FAULT_S = 0.15
#: Out of the starting position for longer than this (s) abandons a rep in progress.
OUT_OF_POSITION_S = 1.5
#: Technique is read from the trunk's lean in the picture. When the trunk points at the camera (a forward bend
#: filmed from the front) its lean cannot be seen: a turning point whose shoulder width in the picture is more
#: than twice the trunk's length (``side_view`` > 2) is not judged (technique None). Shared lifts (full
#: model): the highest ``side_view`` at a bottom is 1.36 (oblique shots, judged right), the front-view bend 38
#: (its trunk read 4 deg for a labelled 75 deg).
TECHNIQUE_MAX_SIDE_VIEW = 2.0


@dataclass(frozen=True)
class RepRecord:
    """One finished repetition.

    Attributes:
        index: 1-based rep number.
        start_s / turn_s / end_s: when the rep left its first phase, reached its turning point (the most
            extreme value of the phase feature), and finished (seconds).
        peaks: feature values at the turning point.
        rom: ``(min, max)`` of each template feature over the rep.
        hold_s: seconds held in the right posture (templates with a hold), else None.
        tempo_s: duration of each tempo-checked movement, by fault code.
        faults: fault codes, most important first.
        experimental_faults: codes of experimental faults (not yet checked on real recordings) that this
            rep crossed: reported, not cued, no effect on the score.
        score: 0-100.
        technique: technique label at the turning point (templates that classify), else None; also None
            when the trunk was seen end-on (see :data:`TECHNIQUE_MAX_SIDE_VIEW`).
        reba: REBA-style ``{"trunk": 1-4, "legs": 1-3}`` at the turning point (technique templates).
        side: the leg (``left``/``right``, the person's own) of a per-leg template's rep, else None.
    """

    index: int
    start_s: float
    turn_s: float
    end_s: float
    peaks: dict[str, float]
    rom: dict[str, tuple[float, float]]
    hold_s: float | None
    tempo_s: dict[str, float]
    faults: tuple[str, ...]
    score: float
    technique: str | None
    reba: dict[str, int] | None
    experimental_faults: tuple[str, ...] = ()
    side: str | None = None


@dataclass(frozen=True)
class EngineState:
    """What the engine says after one frame (a snapshot for the overlay and the page).

    Attributes:
        t_s: the frame's time.
        phase: current phase name, or None before any phase was entered.
        counting: set-up checks passed and in starting position at least once (reps count from here).
        reps: finished reps so far.
        hold_s: seconds held in the current hold (0 outside a hold).
        hold_target_s: the least hold in seconds (the template's, or the programme's override; 0 without a
            hold).
        cue: the cue on screen now (None when nothing to say).
        new_cue: the cue first emitted in this frame, to be spoken (None otherwise).
        new_rep: the rep finished in this frame, to be counted out loud (None otherwise).
        issues: set-up problems now (message codes), most important first.
        live_faults: fault codes crossing their threshold in this frame.
        bad_joints: joint names to colour red (side-free names such as ``hip``).
        side: the leg whose hold or rep is in progress (per-leg templates), else None.
        leg_reps: finished reps by leg, ``{"left": n, "right": m}`` (per-leg templates), else None.
    """

    t_s: float
    phase: str | None
    counting: bool
    reps: int
    hold_s: float
    hold_target_s: float
    cue: CueEvent | None
    new_cue: CueEvent | None
    new_rep: RepRecord | None
    issues: tuple[str, ...]
    live_faults: tuple[str, ...]
    bad_joints: frozenset[str]
    side: str | None = None
    leg_reps: dict[str, int] | None = None


@dataclass
class _Frame:
    """One frame kept for judging the rep it will turn out to belong to (the phase of each leg's detector;
    one for templates that are not per leg)."""

    t: float
    phases: tuple[str, ...]
    values: tuple[float, ...]


@dataclass
class _Hold:
    """The hold of the excursion in progress."""

    s: float = 0.0
    done: bool = False
    max_done: bool = False
    first_top_t: float | None = None
    last_top_t: float | None = None
    reminders: int = 0


#: Set-up problem codes (see :mod:`formcheck.core.messages`), most important first.
SETUP_ISSUES: tuple[str, ...] = (
    "no_person",
    "multiple_people",
    "too_dark",
    "body_not_visible",
    "step_back",
    "come_closer",
    "turn_sideways",
)


def setup_issues(feats: Mapping[str, float], view: str) -> list[str]:
    """Set-up problems visible in one frame's features, most important first (message codes)."""

    def v(name: str) -> float:
        x = feats.get(name, math.nan)
        return math.nan if x is None else float(x)

    out = []
    if v("n_people") >= 2:
        out.append("multiple_people")
    if v("brightness") < MIN_BRIGHTNESS:
        out.append("too_dark")
    if math.isnan(v("visibility")) or v("n_people") == 0:
        return ["no_person", *out]
    if v("visibility") < MIN_VISIBILITY or v("in_frame") < MIN_IN_FRAME:
        out.append("step_back" if v("body_size") > MAX_BODY_SIZE else "body_not_visible")
    elif v("body_size") < MIN_BODY_SIZE:
        out.append("come_closer")
    if view == "side" and v("side_view") > MAX_SIDE_VIEW:
        out.append("turn_sideways")
    return sorted(out, key=SETUP_ISSUES.index)


def reba_scores(trunk_incline: float, knee_flexion: float) -> dict[str, int] | None:
    """REBA-style trunk (1-4) and legs (1-3) scores from trunk flexion and knee flexion (degrees).

    Trunk: upright 1, 0-20 deg 2, 20-60 deg 3, > 60 deg 4 (5 deg dead band for upright). Legs: both feet on
    the floor 1, +1 for 30-60 deg knee flexion, +2 beyond 60 deg. None when either angle is unknown.
    """
    if not (math.isfinite(trunk_incline) and math.isfinite(knee_flexion)):
        return None
    t = abs(trunk_incline)
    trunk = 1 if t < 5 else 2 if t <= 20 else 3 if t <= 60 else 4
    legs = 1 + (2 if knee_flexion > 60 else 1 if knee_flexion >= 30 else 0)
    return {"trunk": trunk, "legs": legs}


def seconds_text(s: float, lang: str) -> str:
    """Seconds as a spoken number: as few decimals as needed, a decimal comma in Dutch."""
    text = f"{s:g}"
    return text.replace(".", ",") if lang == "nl" else text


def hold_target_cue(min_s: float, max_s: float) -> Text:
    """The "hold a little longer" cue naming ``min_s`` (to ``max_s``) seconds, in every language."""
    words = {}
    for lang in ("nl", "en"):
        lo, hi = seconds_text(min_s, lang), seconds_text(max_s, lang)
        hold = lo if lo == hi else MESSAGES["hold_range"].get(lang).format(lo=lo, hi=hi)
        words[lang] = MESSAGES["hold_short_target"].get(lang).format(hold=hold)
    return Text(nl=words["nl"], en=words["en"])


def with_hold_target(template: Template, hold_s: tuple[float, float] | None) -> Template:
    """``template`` with its hold target set to ``hold_s = (least, most)`` seconds (e.g. a programme's).

    The hold timer, the "held long enough" and "time to lower" cues and the "held too short" judgement
    follow the new seconds; the "hold longer" cue becomes a text naming them (a template's own cue may name
    its own seconds). Unchanged when ``hold_s`` is None, the template has no hold, or the seconds are its own.
    """
    hold = template.hold
    if hold_s is None or hold is None:
        return template
    lo, hi = float(hold_s[0]), float(max(hold_s))
    if (lo, hi) == (hold.min_s, hold.max_s):
        return template
    new: Hold = replace(hold, min_s=lo, max_s=hi, cue=hold_target_cue(lo, hi))
    return replace(template, hold=new)


class Engine:
    """Counts reps, times holds, judges faults and picks cues for one exercise template.

    Counting is done by :class:`formcheck.core.reps.RepDetector` on the template's count signal, from the
    person's own movement; judging uses the template's fixed criteria. The set-up checks (visible, side-on,
    light, one person) give cues but never stop counting: a rep the detector sees counts the same live and
    offline.

    Args:
        template: the exercise.
        require_setup: announce set-up problems and "ready" as cues (live coaching); offline analysis of
            recorded clips may switch the cues off. Counting is the same either way.
        hold_s: ``(least, most)`` seconds to hold instead of the template's own (a programme's set), or
            None; see :func:`with_hold_target`.
    """

    def __init__(
        self, template: Template, *, require_setup: bool = True, hold_s: tuple[float, float] | None = None
    ) -> None:
        self.t = with_hold_target(template, hold_s)
        self.require_setup = require_setup
        self.cues = CueSelector()
        self.reps: list[RepRecord] = []
        self._legs = template.legs
        self.detectors = [
            RepDetector(replace(template.count, feature=leg_feature(template.count.feature, leg)))
            for leg in self._legs
        ]
        self._phase: str | None = None
        self._counting = False
        self._ready_since: float | None = None
        self._out_since: float | None = None
        self._prev_t: float | None = None
        self._issue_since: dict[str, float] = {}
        self._issue_gone: dict[str, float] = {}
        self._issues: list[str] = []
        self._tracked = sorted(template.features | ({"side_view"} if template.technique else set()))
        self._frames: deque[_Frame] = deque()
        self._holds = [_Hold() for _ in self._legs]
        self._aways = [False for _ in self._legs]
        self._last_values = [math.nan for _ in self._legs]
        self._settling: list[tuple[float, float, Mapping[str, float]]] = []
        self._ready_said = False
        self._live_since: dict[str, float] = {}
        self.frames = 0
        self.frames_with_pose = 0
        #: Holds that ended without being a rep (e.g. a plank already held when the recording started):
        #: ``{"start_s", "end_s", "hold_s", "side"}``, so their seconds are not lost.
        self.uncounted_holds: list[dict[str, float | str | None]] = []

    # ------------------------------------------------------------------------------------------ per frame

    def update(self, t_s: float, feats: Mapping[str, float]) -> EngineState:
        """Advance the engine by one frame.

        Args:
            t_s: frame time in seconds (non-decreasing).
            feats: feature values by name (see :data:`formcheck.core.geometry.FEATURES`); missing or NaN
                values mean "not seen in this frame" and never change the phase.

        Returns:
            The :class:`EngineState` after this frame.
        """
        # a late frame (a stalled camera, a hidden tab) must not credit seconds nobody saw
        dt = 0.0 if self._prev_t is None else min(max(0.0, t_s - self._prev_t), MAX_FRAME_GAP_S)
        self._prev_t = t_s
        self.frames += 1
        has_pose = not math.isnan(_get(feats, "visibility"))
        self.frames_with_pose += int(has_pose)
        raw = self._update_issues(t_s, feats)
        new_rep: RepRecord | None = None
        live: list[str] = []
        bad: set[str] = set()

        in_pos = has_pose and all(_in(b, feats) for b in self.t.position.require)
        if not self._counting:
            if in_pos:
                self._ready_since = t_s if self._ready_since is None else self._ready_since
                self._settling.append((t_s, dt, dict(feats)))
                if t_s - self._ready_since >= self.t.position.settle_s:
                    self._counting = True
                    # the settling frames belong to the movement too (a recording may start at the load)
                    for t_prev, dt_prev, f_prev in self._settling[:-1]:
                        self._step(t_prev, dt_prev, f_prev)
                    self._settling.clear()
            else:
                self._ready_since = None
                self._settling.clear()
        if self._counting:
            if in_pos or not has_pose:
                self._out_since = None
            else:
                self._out_since = t_s if self._out_since is None else self._out_since
                if t_s - self._out_since > OUT_OF_POSITION_S:
                    self._restart()
        if has_pose and self._counting and self._out_since is None:
            new_rep, live, bad = self._step(t_s, dt, feats)

        if self._counting and not self._ready_said and self.require_setup and not (self._issues or raw):
            self._ready_said = True
            self.cues.offer(t_s, READY, MESSAGES[READY], Priority.INFO)
        if self._issues and self.require_setup:
            code = self._issues[0]
            self.cues.offer(t_s, code, MESSAGES[code], Priority.SETUP)
        elif (self._counting and self._out_since is not None and t_s - self._out_since > 0.5) or (
            not self._counting and has_pose and not in_pos
        ):
            self.cues.offer(t_s, POSITION, self.t.position.cue, Priority.POSITION)
        new_cue = self.cues.select(t_s)
        now = self._active()
        hold_s = self._holds[now].s if now is not None and self.t.hold is not None else 0.0
        return EngineState(
            t_s=t_s,
            phase=self._phase,
            counting=self._counting,
            reps=len(self.reps),
            hold_s=hold_s,
            hold_target_s=self.t.hold.min_s if self.t.hold else 0.0,
            cue=self.cues.current(t_s),
            new_cue=new_cue,
            new_rep=new_rep,
            issues=tuple(self._issues),
            live_faults=tuple(live),
            bad_joints=frozenset(bad),
            side=self._legs[now] if now is not None else None,
            leg_reps=self.leg_reps(),
        )

    def leg_reps(self) -> dict[str, int] | None:
        """Finished reps by leg (``{"left": n, "right": m}``) for a per-leg template, else None."""
        if self._legs[0] is None:
            return None
        return {str(leg): sum(1 for r in self.reps if r.side == leg) for leg in self._legs}

    @property
    def detector(self) -> RepDetector:
        """The rep detector (the first leg's, for a per-leg template)."""
        return self.detectors[0]

    def _active(self) -> int | None:
        """The index of the leg (or the one count) away from rest now, the longest-held first; or None."""
        away = [i for i, a in enumerate(self._aways) if a]
        return max(away, key=lambda i: self._holds[i].s) if away else None

    def _update_issues(self, t_s: float, feats: Mapping[str, float]) -> set[str]:
        """Debounce the set-up problems; returns the ones seen in this very frame."""
        now = set(setup_issues(feats, self.t.camera.view))
        for code in SETUP_ISSUES:
            if code in now:
                self._issue_gone.pop(code, None)
                self._issue_since.setdefault(code, t_s)
            else:
                self._issue_since.pop(code, None) if code not in self._issues else None
                if code in self._issues:
                    gone = self._issue_gone.setdefault(code, t_s)
                    if t_s - gone >= ISSUE_DEBOUNCE_S:
                        self._issues.remove(code)
                        self._issue_since.pop(code, None)
                        self._issue_gone.pop(code, None)
        for code, since in self._issue_since.items():
            if code not in self._issues and t_s - since >= ISSUE_DEBOUNCE_S:
                self._issues.append(code)
        self._issues.sort(key=SETUP_ISSUES.index)
        return now

    def _restart(self) -> None:
        """Out of position for long: whatever was in progress is not a rep; the person's range is kept."""
        self.detectors = [d.restarted() for d in self.detectors]
        self._frames.clear()
        self._holds = [_Hold() for _ in self._legs]
        self._aways = [False for _ in self._legs]
        self._phase = None

    def _step(
        self, t_s: float, dt: float, feats: Mapping[str, float]
    ) -> tuple[RepRecord | None, list[str], set[str]]:
        rule = self.t.count
        away_phase = rule.phases[1]
        steps = []
        for i, det in enumerate(self.detectors):
            value = _get(feats, det.rule.feature)
            self._last_values[i] = value if math.isfinite(value) else self._last_values[i]
            step = det.update(t_s, value)
            was_away = self._aways[i]
            if step.ended and was_away and self.t.hold is not None and self._holds[i].s > 0:
                self.uncounted_holds.append(
                    {
                        "start_s": round(det.started_at, 3),
                        "end_s": round(t_s, 3),
                        "hold_s": round(self._holds[i].s, 2),
                        "side": self._legs[i],
                    }
                )
            self._aways[i] = rule.kind == "excursion" and step.phase == away_phase
            if step.started is not None or (self._aways[i] and not was_away):
                self._holds[i] = _Hold()
            steps.append(step)
        now = self._active()
        self._phase = steps[now].phase if now is not None else next((s.phase for s in steps if s.phase), None)
        values = tuple(_get(feats, name) for name in self._tracked)
        self._frames.append(_Frame(t_s, tuple(s.phase or "" for s in steps), values))
        while self._frames and t_s - self._frames[0].t > rule.max_s + 1.0:
            self._frames.popleft()

        for i, step in enumerate(steps):
            if self._aways[i]:
                self._time_hold(i, step.at_top, t_s, dt, feats)

        live: list[str] = []
        bad: set[str] = set()
        for fault in self.t.faults:
            if not fault.live or fault.experimental:
                continue
            crossed = False
            for i, step in enumerate(steps):
                in_rep = self._aways[i] or (rule.kind == "cycle" and step.phase is not None)
                window_now = (fault.during in ("rep", "to_turn", "from_turn") and in_rep) or fault.during == (
                    step.phase
                )
                crossed |= window_now and fault.crossed(
                    _get(feats, leg_feature(fault.feature, self._legs[i]))
                )
            if crossed:
                since = self._live_since.setdefault(fault.code, t_s)
                if t_s - since >= LIVE_FAULT_S:  # a single odd frame is not a fault to cue
                    live.append(fault.code)
                    bad.update(fault.joints)
                    self.cues.offer(t_s, fault.code, fault.cue, fault.priority)
            else:
                self._live_since.pop(fault.code, None)

        new_rep = None
        for i, step in enumerate(steps):
            if step.finished is not None:
                new_rep = self._finish(step.finished, i) or new_rep
        return new_rep, live, bad

    def _time_hold(self, i: int, at_top: bool, t_s: float, dt: float, feats: Mapping[str, float]) -> None:
        """Advance the hold of count ``i`` (a leg) by ``dt`` when at the top and every hold band is met."""
        hold = self.t.hold
        h = self._holds[i]
        leg = self._legs[i]
        if at_top:
            h.first_top_t = t_s if h.first_top_t is None else h.first_top_t
            h.last_top_t = t_s
            if hold is None or all(_in(b, feats, leg) for b in hold.require):
                h.s += dt
        if hold is None:
            return
        if not h.done and h.s >= hold.min_s:
            h.done = True
            self.cues.offer(t_s, hold.code + HOLD_DONE_SUFFIX, hold.done_cue, Priority.HOLD, ttl_s=2.0)
        if not h.max_done and h.s >= hold.max_s:  # long enough: time to lower
            h.max_done = True
            self.cues.offer(t_s, hold.code + HOLD_MAX_SUFFIX, hold.done_cue, Priority.HOLD, ttl_s=2.0)
        if hold.reminder is not None and hold.reminder_s > 0 and int(h.s // hold.reminder_s) > h.reminders:
            h.reminders = int(h.s // hold.reminder_s)
            self.cues.offer(t_s, hold.code + HOLD_REMINDER_SUFFIX, hold.reminder, Priority.HOLD, ttl_s=3.0)

    def _finish(self, span: RepSpan, i: int = 0) -> RepRecord | None:
        frames = [f for f in self._frames if f.t >= span.start_s - 1e-9]
        if not frames:
            return None
        record = self._judge(span, frames, i)
        self.reps.append(record)
        if self.t.count.kind == "excursion":
            self._holds[i] = _Hold()
        if record.faults:
            first = record.faults[0]
            text = self.t.fault_cue(first) or Text(nl=first, en=first)
            self.cues.offer(span.end_s, first, text, self._fault_priority(first), ttl_s=4.0)
        else:
            self.cues.offer(span.end_s, GOOD_REP, self.t.good_cue, Priority.GOOD, ttl_s=4.0)
        return record

    def finish(self, t_s: float) -> list[RepRecord]:
        """The recording or session has ended: count what only the end can settle (see
        :meth:`formcheck.core.reps.RepDetector.finish`). Returns the reps that complete by it."""
        done = []
        for i, det in enumerate(self.detectors):
            for span in det.finish(t_s, self._last_values[i]):
                record = self._finish(span, i)
                done += [record] if record is not None else []
        return done

    # ------------------------------------------------------------------------------------------ judging

    def _fault_priority(self, code: str) -> int:
        for f in self.t.faults:
            if f.code == code:
                return f.priority
        return Priority.AFTER_REP

    def _judge(self, span: RepSpan, frames: list[_Frame], i: int = 0) -> RepRecord:
        rule = self.t.count
        leg = self._legs[i]
        t = np.array([f.t for f in frames])
        phases = np.array([f.phases[i] for f in frames])
        cols = np.array([f.values for f in frames], dtype=np.float64).reshape(len(frames), -1)
        vals = {name: cols[:, i] for i, name in enumerate(self._tracked)}
        turn_i = int(np.argmin(np.abs(t - span.turn_s)))
        # the posture at the turning point: median over the frames within TURN_WINDOW of the rep's range
        # from the extreme (a pause at the bottom or top is judged as a whole, not by one noisy frame)
        sig = vals[leg_feature(rule.feature, leg)]
        near = np.zeros(len(t), bool)
        near[turn_i] = True
        if rule.kind == "excursion" and np.isfinite(sig).any():
            ext = sig[turn_i]
            if math.isfinite(ext):
                near |= np.abs(sig - ext) <= TURN_WINDOW * span.range
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            peaks = {k: float(np.nanmedian(v[near])) for k, v in vals.items()}
        rom = {k: (float(np.nanmin(v)), float(np.nanmax(v))) for k, v in vals.items() if np.isfinite(v).any()}
        faults: list[tuple[int, str]] = []
        experimental: list[str] = []
        penalty = 0.0
        index = np.arange(len(t))
        windows = {"rep": np.ones(len(t), bool), "to_turn": index <= turn_i, "from_turn": index >= turn_i}
        for f in self.t.faults:
            sel = windows.get(f.during, phases == f.during)
            name = leg_feature(f.feature, leg)
            v = vals[name][sel]
            v = v[np.isfinite(v)]
            if f.stat == "extreme":
                value = peaks[name]
            elif v.size == 0:
                continue
            elif f.stat == "rise":  # above the first value seen in the window
                value = float(np.max(v) - v[0])
            else:
                value = float({"max": np.max, "min": np.min, "mean": np.mean}[f.stat](v))
            if f.crossed(value) and f.experimental:
                experimental.append(f.code)
            elif f.crossed(value):
                faults.append((f.priority, f.code))
                penalty += f.penalty
        hold_s = None
        tempo_s: dict[str, float] = {}
        h = self._holds[i]
        if self.t.hold is not None and rule.kind == "excursion":
            hold_s = round(h.s, 2)
            if h.s < self.t.hold.min_s:
                faults.append((Priority.AFTER_REP, self.t.hold.code))
                penalty += self.t.hold.penalty
        rest, away = rule.phases
        for tempo in self.t.tempo:
            d = None
            if rule.kind == "excursion":
                if tempo.from_phase == away and h.last_top_t is not None:
                    d = span.end_s - h.last_top_t
                elif tempo.from_phase == rest and h.first_top_t is not None:
                    d = h.first_top_t - span.start_s
            elif len(span.turns) == 2 and tempo.from_phase == (rest if span.first_high else away):
                d = span.turns[1] - span.turns[0]
            if d is None:
                continue
            tempo_s[tempo.code] = d
            if d < tempo.min_s:
                faults.append((Priority.AFTER_REP, tempo.code))
                penalty += tempo.penalty
        technique = reba = None
        if self.t.technique is not None and not peaks.get("side_view", math.nan) > TECHNIQUE_MAX_SIDE_VIEW:
            technique = self.t.technique.default
            for c in self.t.technique.classes:
                if all(b.contains(peaks.get(b.feature, math.nan)) for b in c.require):
                    technique = c.name
                    break
            reba = reba_scores(peaks.get("trunk_incline", math.nan), peaks.get("knee_flexion", math.nan))
        faults.sort(key=lambda pc: pc[0])
        return RepRecord(
            index=len(self.reps) + 1,
            start_s=round(span.start_s, 3),
            turn_s=round(span.turn_s, 3),
            end_s=round(span.end_s, 3),
            peaks={k: round(v, 3) for k, v in peaks.items() if math.isfinite(v)},
            rom={k: (round(a, 3), round(b, 3)) for k, (a, b) in rom.items()},
            hold_s=hold_s,
            tempo_s={k: round(v, 3) for k, v in tempo_s.items()},
            faults=tuple(c for _, c in faults),
            score=max(0.0, 100.0 - penalty),
            technique=technique,
            reba=reba,
            experimental_faults=tuple(experimental),
            side=leg,
        )

    # ------------------------------------------------------------------------------------------ the end

    def in_progress(self) -> dict[str, float | str] | None:
        """The unfinished excursion at this moment (e.g. a hold still going when the video ends), or None."""
        now = self._active()
        if now is None:
            return None
        start = self.detectors[now].started_at
        out: dict[str, float | str] = {
            "start_s": start,
            "phase": self._phase or "",
            "hold_s": round(self._holds[now].s, 2),
        }
        if self._legs[now] is not None:
            out["side"] = str(self._legs[now])
        return out


def _get(feats: Mapping[str, float], name: str) -> float:
    v = feats.get(name)
    return math.nan if v is None else float(v)


def _in(band: Band, feats: Mapping[str, float], leg: str | None = None) -> bool:
    return band.contains(_get(feats, leg_feature(band.feature, leg)))
