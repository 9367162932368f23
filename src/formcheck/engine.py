"""The exercise engine: a pure state machine fed ``(t_s, features)`` one frame at a time.

No clock reads and no I/O: timestamps come in with the features, so the same engine serves live video
(causally smoothed features) and offline analysis (zero-phase smoothed features), and tests feed it
synthetic traces.

Per frame it tracks the set-up checks, whether the person is in the starting position, the current phase
(bands with gaps: noise inside a gap never changes the phase, and a phase is entered only after its band has
held for ``dwell_s``), reps, the hold timer, live faults and which cue to show. Each finished rep becomes a
:class:`RepRecord` with its times, range of motion, peaks, hold, tempo, faults, score and technique.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from formcheck.cues import (
    GOOD_REP,
    HOLD_DONE_SUFFIX,
    HOLD_MAX_SUFFIX,
    POSITION,
    READY,
    CueEvent,
    CueSelector,
    Priority,
)
from formcheck.messages import MESSAGES
from formcheck.templates import Band, Template, Text

#: Set-up thresholds (units as in :data:`formcheck.geometry.FEATURES`).
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
TURN_WINDOW = 0.05
#: Out of the starting position for longer than this (s) abandons a rep in progress.
OUT_OF_POSITION_S = 1.5


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
        score: 0-100.
        technique: technique label at the turning point (templates that classify), else None.
        reba: REBA-style ``{"trunk": 1-4, "legs": 1-3}`` at the turning point (technique templates).
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


@dataclass(frozen=True)
class EngineState:
    """What the engine says after one frame (a snapshot for the overlay and the page).

    Attributes:
        t_s: the frame's time.
        phase: current phase name, or None before any phase was entered.
        counting: set-up checks passed and in starting position at least once (reps count from here).
        reps: finished reps so far.
        hold_s: seconds held in the current hold (0 outside a hold).
        hold_target_s: the template's minimum hold (0 without a hold).
        cue: the cue on screen now (None when nothing to say).
        new_cue: the cue first emitted in this frame, to be spoken (None otherwise).
        new_rep: the rep finished in this frame, to be counted out loud (None otherwise).
        issues: set-up problems now (message codes), most important first.
        live_faults: fault codes crossing their threshold in this frame.
        bad_joints: joint names to colour red (side-free names such as ``hip``).
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


@dataclass
class _Rep:
    """A rep in progress."""

    start_s: float
    t: list[float] = field(default_factory=list)
    phase: list[str] = field(default_factory=list)
    values: dict[str, list[float]] = field(default_factory=dict)
    hold_s: float = 0.0
    hold_done: bool = False
    hold_max_done: bool = False
    visited: list[str] = field(default_factory=list)
    left_at: dict[str, float] = field(default_factory=dict)
    tempo_s: dict[str, float] = field(default_factory=dict)


#: Set-up problem codes (see :mod:`formcheck.messages`), most important first.
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


class Engine:
    """Counts reps, times holds, judges faults and picks cues for one exercise template.

    Args:
        template: the exercise.
        require_setup: check the set-up (visible, side-on, light, one person) before counting starts. Live
            coaching wants this; offline analysis of recorded clips may switch it off.
    """

    def __init__(self, template: Template, *, require_setup: bool = True) -> None:
        self.t = template
        self.require_setup = require_setup
        self.cues = CueSelector()
        self.reps: list[RepRecord] = []
        self._phase: str | None = None
        self._candidate: str | None = None
        self._candidate_since = 0.0
        self._counting = False
        self._ready_since: float | None = None
        self._out_since: float | None = None
        self._rep: _Rep | None = None
        self._progress = 0
        self._prev_t: float | None = None
        self._issue_since: dict[str, float] = {}
        self._issue_gone: dict[str, float] = {}
        self._issues: list[str] = []
        self._raw_issues: set[str] = set()
        self._last_in: dict[str, float] = {}
        self._tracked = sorted(template.features)
        self.frames = 0
        self.frames_with_pose = 0

    # ------------------------------------------------------------------------------------------ per frame

    def update(self, t_s: float, feats: Mapping[str, float]) -> EngineState:
        """Advance the engine by one frame.

        Args:
            t_s: frame time in seconds (non-decreasing).
            feats: feature values by name (see :data:`formcheck.geometry.FEATURES`); missing or NaN values
                mean "not seen in this frame" and never change the phase.

        Returns:
            The :class:`EngineState` after this frame.
        """
        # a late frame (a stalled camera, a hidden tab) must not credit seconds nobody saw
        dt = 0.0 if self._prev_t is None else min(max(0.0, t_s - self._prev_t), MAX_FRAME_GAP_S)
        self._prev_t = t_s
        self.frames += 1
        has_pose = not math.isnan(_get(feats, "visibility"))
        self.frames_with_pose += int(has_pose)
        self._update_issues(t_s, feats)
        new_rep: RepRecord | None = None
        live: list[str] = []
        bad: set[str] = set()

        in_pos = has_pose and all(_in(b, feats) for b in self.t.position.require)
        if not self._counting:
            ok = in_pos and (not self.require_setup or not (self._issues or self._raw_issues))
            if ok:
                self._ready_since = t_s if self._ready_since is None else self._ready_since
                if t_s - self._ready_since >= self.t.position.settle_s:
                    self._counting = True
                    if self.require_setup:
                        self.cues.offer(t_s, READY, MESSAGES[READY], Priority.INFO)
            else:
                self._ready_since = None
        if self._counting:
            if in_pos or not has_pose:
                self._out_since = None
            else:
                self._out_since = t_s if self._out_since is None else self._out_since
                if t_s - self._out_since > OUT_OF_POSITION_S and self._rep is not None:
                    self._abandon()
        if has_pose:
            new_rep, live, bad = self._step(t_s, dt, feats)

        if self._issues:
            code = self._issues[0]
            self.cues.offer(t_s, code, MESSAGES[code], Priority.SETUP)
        elif (self._counting and self._out_since is not None and t_s - self._out_since > 0.5) or (
            not self._counting and has_pose and not in_pos
        ):
            self.cues.offer(t_s, POSITION, self.t.position.cue, Priority.POSITION)
        new_cue = self.cues.select(t_s)
        hold_s = self._rep.hold_s if self._rep is not None and self._phase == self._hold_phase else 0.0
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
        )

    @property
    def _hold_phase(self) -> str | None:
        return self.t.hold.phase if self.t.hold else None

    def _update_issues(self, t_s: float, feats: Mapping[str, float]) -> None:
        now = set(setup_issues(feats, self.t.camera.view))
        self._raw_issues = now
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

    def _phase_of(self, feats: Mapping[str, float]) -> str | None:
        for p in self.t.phases:
            if any(_in(b, feats) for b in p.bands):
                return p.name
        return None

    def _step(
        self, t_s: float, dt: float, feats: Mapping[str, float]
    ) -> tuple[RepRecord | None, list[str], set[str]]:
        new_rep = None
        cand = self._phase_of(feats)
        if cand is not None and cand != self._phase:
            if cand != self._candidate:
                self._candidate, self._candidate_since = cand, t_s
            if t_s - self._candidate_since >= self.t.rep.dwell_s:
                new_rep = self._enter(self._candidate_since, cand)
                self._candidate = None
        else:  # back in the current phase, or in a gap between bands: the dwell starts again
            self._candidate = None
        if cand is not None:
            self._last_in[cand] = t_s

        live: list[str] = []
        bad: set[str] = set()
        rep = self._rep
        if rep is not None:
            rep.t.append(t_s)
            rep.phase.append(self._phase or "")
            for name in self._tracked:
                rep.values.setdefault(name, []).append(_get(feats, name))
            hold = self.t.hold
            if hold is not None and self._phase == hold.phase:
                if all(_in(b, feats) for b in hold.require):
                    rep.hold_s += dt
                if not rep.hold_done and rep.hold_s >= hold.min_s:
                    rep.hold_done = True
                    self.cues.offer(
                        t_s, hold.code + HOLD_DONE_SUFFIX, hold.done_cue, Priority.HOLD, ttl_s=2.0
                    )
                if not rep.hold_max_done and rep.hold_s >= hold.max_s:  # long enough: time to lower
                    rep.hold_max_done = True
                    self.cues.offer(t_s, hold.code + HOLD_MAX_SUFFIX, hold.done_cue, Priority.HOLD, ttl_s=2.0)
            for fault in self.t.faults:
                live_now = fault.live and fault.during in ("rep", self._phase)
                if live_now and fault.crossed(_get(feats, fault.feature)):
                    live.append(fault.code)
                    bad.update(fault.joints)
                    self.cues.offer(t_s, fault.code, fault.cue, fault.priority)
            if t_s - rep.start_s > self.t.rep.max_s:
                self._abandon()
        return new_rep, live, bad

    def _enter(self, t_s: float, phase: str) -> RepRecord | None:
        """Switch to ``phase`` at ``t_s``; returns a finished rep, if this completes one."""
        prev, self._phase = self._phase, phase
        rule = self.t.rep
        rep = self._rep
        if rep is not None and prev is not None:
            rep.left_at[prev] = self._last_in.get(prev, t_s)
            for tempo in self.t.tempo:
                if prev != phase and phase == tempo.to_phase and tempo.from_phase in rep.left_at:
                    rep.tempo_s[tempo.code] = t_s - rep.left_at[tempo.from_phase]
        if rule.kind == "sequence":
            seq = rule.phases
            if phase == seq[0]:
                if rep is not None and self._progress == len(seq) - 1:
                    done = self._finish(t_s)
                    self._progress = 1
                    return done
                self._rep = None
                self._progress = 1
                return None
            if self._progress >= 1 and phase == seq[self._progress]:
                if self._progress == 1 and not self._counting:
                    self._rep, self._progress = None, 0
                    return None
                if self._progress == 1:
                    start = self._last_in.get(seq[0], t_s)
                    self._rep = _Rep(start_s=start)
                self._progress += 1
                return None
            self._rep, self._progress = None, 0
            return None
        # pair: each phase once, any order
        if phase not in rule.phases:
            return None
        if rep is None:
            if self._counting:
                self._rep = _Rep(start_s=t_s, visited=[phase])
            return None
        if phase not in rep.visited:
            rep.visited.append(phase)
        if len(rep.visited) == len(rule.phases):
            return self._finish(t_s)
        return None

    def _abandon(self) -> None:
        self._rep = None
        self._progress = 1 if self._phase == self.t.rep.phases[0] else 0

    def _finish(self, t_s: float) -> RepRecord | None:
        rep, self._rep = self._rep, None
        assert rep is not None
        if t_s - rep.start_s < self.t.rep.min_s or not rep.t:
            return None
        record = self._judge(rep, t_s)
        self.reps.append(record)
        if record.faults:
            first = record.faults[0]
            text = self.t.fault_cue(first) or Text(nl=first, en=first)
            self.cues.offer(t_s, first, text, self._fault_priority(first), ttl_s=4.0)
        else:
            self.cues.offer(t_s, GOOD_REP, self.t.good_cue, Priority.GOOD, ttl_s=4.0)
        return record

    # ------------------------------------------------------------------------------------------ judging

    def _fault_priority(self, code: str) -> int:
        for f in self.t.faults:
            if f.code == code:
                return f.priority
        return Priority.AFTER_REP

    def _judge(self, rep: _Rep, end_s: float) -> RepRecord:
        t = np.asarray(rep.t)
        phases = np.asarray(rep.phase)
        vals = {k: np.asarray(v, dtype=np.float64) for k, v in rep.values.items()}
        turn_feature = self.t.phase(self.t.rep.phases[1]).band.feature
        turn_vals = vals[turn_feature]
        if self.t.rep.kind == "pair":
            turn_i = int(np.nanargmax(np.abs(turn_vals))) if np.isfinite(turn_vals).any() else 0
        elif np.isfinite(turn_vals).any():
            turn_i = int(np.nanargmax(turn_vals) if self.t.rep.extreme == "max" else np.nanargmin(turn_vals))
        else:
            turn_i = 0
        # the posture at the turning point: median over the frames within TURN_WINDOW of the rep's range
        # from the extreme (a pause at the bottom or top is judged as a whole, not by one noisy frame)
        near = np.zeros(len(t), bool)
        near[turn_i] = True
        if np.isfinite(turn_vals).any() and self.t.rep.kind == "sequence":
            lo, hi = float(np.nanmin(turn_vals)), float(np.nanmax(turn_vals))
            ext = hi if self.t.rep.extreme == "max" else lo
            near |= np.abs(turn_vals - ext) <= TURN_WINDOW * (hi - lo)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            peaks = {k: float(np.nanmedian(v[near])) for k, v in vals.items()}
        rom = {k: (float(np.nanmin(v)), float(np.nanmax(v))) for k, v in vals.items() if np.isfinite(v).any()}
        faults: list[tuple[int, str]] = []
        penalty = 0.0
        index = np.arange(len(t))
        windows = {"rep": np.ones(len(t), bool), "to_turn": index <= turn_i, "from_turn": index >= turn_i}
        for f in self.t.faults:
            sel = windows.get(f.during, phases == f.during)
            v = vals[f.feature][sel]
            v = v[np.isfinite(v)]
            if f.stat == "extreme":
                value = peaks[f.feature]
            elif v.size == 0:
                continue
            else:
                value = float({"max": np.max, "min": np.min, "mean": np.mean}[f.stat](v))
            if f.crossed(value):
                faults.append((f.priority, f.code))
                penalty += f.penalty
        hold_s = None
        if self.t.hold is not None:
            hold_s = round(rep.hold_s, 2)
            if rep.hold_s < self.t.hold.min_s:
                faults.append((Priority.AFTER_REP, self.t.hold.code))
                penalty += self.t.hold.penalty
        for tempo in self.t.tempo:
            d = rep.tempo_s.get(tempo.code)
            if d is not None and d < tempo.min_s:
                faults.append((Priority.AFTER_REP, tempo.code))
                penalty += tempo.penalty
        technique = reba = None
        if self.t.technique is not None:
            technique = self.t.technique.default
            for c in self.t.technique.classes:
                if all(b.contains(peaks.get(b.feature, math.nan)) for b in c.require):
                    technique = c.name
                    break
            reba = reba_scores(peaks.get("trunk_incline", math.nan), peaks.get("knee_flexion", math.nan))
        faults.sort(key=lambda pc: pc[0])
        return RepRecord(
            index=len(self.reps) + 1,
            start_s=round(rep.start_s, 3),
            turn_s=round(float(t[turn_i]), 3),
            end_s=round(end_s, 3),
            peaks={k: round(v, 3) for k, v in peaks.items() if math.isfinite(v)},
            rom={k: (round(a, 3), round(b, 3)) for k, (a, b) in rom.items()},
            hold_s=hold_s,
            tempo_s={k: round(v, 3) for k, v in rep.tempo_s.items()},
            faults=tuple(c for _, c in faults),
            score=max(0.0, 100.0 - penalty),
            technique=technique,
            reba=reba,
        )

    # ------------------------------------------------------------------------------------------ the end

    def in_progress(self) -> dict[str, float | str] | None:
        """The unfinished rep at this moment (e.g. a hold still going when the video ends), or None."""
        if self._rep is None:
            return None
        return {
            "start_s": self._rep.start_s,
            "phase": self._phase or "",
            "hold_s": round(self._rep.hold_s, 2),
        }


def _get(feats: Mapping[str, float], name: str) -> float:
    v = feats.get(name)
    return math.nan if v is None else float(v)


def _in(band: Band, feats: Mapping[str, float]) -> bool:
    return band.contains(_get(feats, band.feature))
