"""Running one day's programme session set by set (pure, no Streamlit; the clock is passed in).

The live coach (:class:`~formcheck.webapp.live.CoachSession`) counts reps as always; a
:class:`ProgrammeRun` turns its record into the plan's sets: the set's reps are the record's reps from the
moment the set began (so reps done during a rest never count), a set is complete when its planned reps are
done (or the patient says so, or skips it), then a rest counts down and the next set is announced ("next:
cat-cow, 10 times"). Every change is written at once (:class:`~formcheck.store.tracking.TrackingStore`): the
set's done count after each rep (from the video thread, through :attr:`CoachSession.on_rep`, right after the
rep itself is committed), so a crash loses at most the rep in progress.

What the page shows and says comes out of :meth:`ProgrammeRun.poll` as :class:`RunEvent` items.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from formcheck.core.programme import PlannedSet
from formcheck.store.history import SessionRecord, StoreError
from formcheck.store.tracking import PlanSession, TrackingStore
from formcheck.webapp.live import LiveSettings, LiveUpdate
from formcheck.webapp.texts import t

log = logging.getLogger(__name__)

#: Seconds left in a rest at which the countdown is spoken.
REST_CALLS_S: tuple[int, ...] = (10,)
PHASES: tuple[str, ...] = ("set", "rest", "done")


@dataclass(frozen=True)
class RunEvent:
    """Something to say (and show) once.

    Attributes:
        id: unique within the run (the page's speech script says each id once).
        code: message code (``run_count``, ``run_set_done``, ``run_next``, ``run_next_side``,
            ``run_rest_left``, ``run_go``, ``run_session_done``, ``run_missing_exercise``).
        exercise / side / reps / seconds: the values the text needs (exercise as a template name).
    """

    id: str
    code: str
    exercise: str = ""
    side: str = ""
    reps: int = 0
    seconds: int = 0


class ProgrammeRun:
    """One programme session in progress (shared by the page and the video thread, behind :attr:`lock`).

    Args:
        tracking: where the sets are written.
        session: the stored programme session (its sets as planned).
        sets: the planned sets, in order (as :attr:`PlanSession.sets`' seq).
        exercises: the exercises this formcheck has (a set of another one is skipped, and said so).
    """

    def __init__(
        self,
        tracking: TrackingStore,
        session: PlanSession,
        sets: Sequence[PlannedSet],
        exercises: Collection[str],
    ) -> None:
        self.lock = threading.RLock()
        self.tracking = tracking
        self.session = session
        self.sets = tuple(sets)
        self.exercises = frozenset(exercises)
        self.index = 0
        self.phase = "set" if self.sets else "done"
        self.rest_until = 0.0
        self._rest_began = 0.0
        self.done = 0
        self.results: list[int] = [0] * len(self.sets)
        self.error: str | None = None
        self._link: tuple[str, int] | None = None  # (record id, rep position where the set began)
        self._carried = 0  # reps of this set in an earlier record (the stream was restarted mid-set)
        self._written = 0
        self._said_count = 0  # the set's count said so far (the page speaks it from the events)
        self._said: set[str] = set()

    # ------------------------------------------------------------------ reading

    def current(self) -> PlannedSet | None:
        """The set being done (or rested before), or None when the session is over."""
        with self.lock:
            return self.sets[self.index] if self.phase != "done" and self.index < len(self.sets) else None

    def upcoming(self) -> PlannedSet | None:
        """The set after the current one, or None."""
        with self.lock:
            k = self.index + 1
            return self.sets[k] if k < len(self.sets) else None

    def rest_left(self, now: float) -> int:
        """Whole seconds of rest left (0 when not resting)."""
        with self.lock:
            return max(0, math.ceil(self.rest_until - now)) if self.phase == "rest" else 0

    def announcement(self) -> RunEvent | None:
        """ "Next: cat-cow, 10 times" for the set after the current one (None: the session's last set)."""
        with self.lock:
            nxt = self.upcoming()
            if nxt is None:
                return None
            return self._event("next", "run_next_side" if nxt.side else "run_next", nxt)

    def totals(self) -> tuple[int, int]:
        """``(reps done, reps planned)`` over the whole session so far."""
        with self.lock:
            return sum(self.results), sum(s.reps for s in self.sets)

    # ------------------------------------------------------------------ writing (never raises)

    def _write(self, fn: Callable[..., None], *args: object) -> None:
        try:
            fn(self.session.id, *args)
        except StoreError as e:
            log.warning("writing the programme session failed: %s", e)
            self.error = str(e)

    # ------------------------------------------------------------------ the video thread

    def on_rep(self, rec: SessionRecord) -> None:
        """A rep of ``rec`` was committed (video thread): write the current set's new count now."""
        with self.lock:
            if self.phase != "set" or self._link is None or rec.id != self._link[0]:
                return
            done = self._carried + _counted(rec, self._link[1], self.sets[self.index].side)
            if done <= self._written:
                return
            self._written = done
            seq = self.index
            self._write(self.tracking.count_rep, seq, done)

    # ------------------------------------------------------------------ the page

    def poll(self, rec: SessionRecord | None, live: bool, now: float) -> list[RunEvent]:
        """Follow the live record ``rec`` (None: none yet) at time ``now`` (s, monotonic); what to say.

        In a set: link the set to the record of its exercise, count its reps, complete it when the plan's
        reps are done. In a rest: count down, then begin the next set.
        """
        events: list[RunEvent] = []
        with self.lock:
            cur = self.current()
            if cur is None:
                return events
            if self.phase == "set" and cur.exercise not in self.exercises:
                events.append(self._event("missing", "run_missing_exercise", cur))
                events += self._complete(now, skipped=True)
                return events
            if self.phase == "set" and rec is not None and live and rec.exercise == cur.exercise:
                if self._link is None or rec.id != self._link[0]:
                    self._carried = self.done
                    self._link = (rec.id, len(rec.reps))
                    self._write(self.tracking.start_set, self.index, rec.id, len(rec.reps))
                self.done = self._carried + _counted(rec, self._link[1], cur.side)
                if self.done > self._written:
                    self._written = self.done
                    self._write(self.tracking.count_rep, self.index, self.done)
                if self.done > self._said_count:
                    self._said_count = self.done
                    events.append(self._event(f"rep{self.done}", "run_count", cur, reps=self.done))
                if self.done >= cur.reps:
                    events += self._complete(now)
            elif self.phase == "rest":
                left = self.rest_left(now)
                for call in REST_CALLS_S:
                    if 0 < left <= call and self.rest_until - self._rest_began > call + 1:
                        events.append(self._event(f"rest{call}", "run_rest_left", cur, seconds=call))
                if now >= self.rest_until:
                    self._begin_next()
                    nxt = self.current()
                    if nxt is not None:
                        events.append(self._event("go", "run_go", nxt))
        return [e for e in events if self._once(e)]

    def finish_set(self, now: float) -> list[RunEvent]:
        """The patient says the set is done (whatever the count)."""
        with self.lock:
            if self.phase != "set":
                return []
            return [e for e in self._complete(now) if self._once(e)]

    def skip_set(self, now: float) -> list[RunEvent]:
        """The patient goes on without this set (its reps so far are kept)."""
        with self.lock:
            if self.phase != "set":
                return []
            return [e for e in self._complete(now, skipped=True) if self._once(e)]

    def skip_rest(self, now: float) -> None:
        """End the rest now."""
        with self.lock:
            if self.phase == "rest":
                self.rest_until = now

    def end(self) -> None:
        """End the session now (the sets not done stay as planned: not done, and not a failure)."""
        with self.lock:
            if self.phase == "set" and self.done > 0:
                self._write(self.tracking.finish_set, self.index, self.done)
                self.results[self.index] = self.done
            if self.phase != "done":
                self.phase = "done"
                self._write(self.tracking.end_session)

    # ------------------------------------------------------------------ steps

    def _complete(self, now: float, skipped: bool = False) -> list[RunEvent]:
        cur = self.sets[self.index]
        self._write(self.tracking.finish_set, self.index, self.done, skipped)
        self.results[self.index] = self.done
        nxt = self.upcoming()
        if nxt is None:
            self.phase = "done"
            self._write(self.tracking.end_session)
            return [self._event("end", "run_session_done", cur)]
        self.phase = "rest"
        self._rest_began = now
        self.rest_until = now + cur.rest_after_s
        announce = self.announcement()
        assert announce is not None
        return [self._event("done", "run_set_done", cur, seconds=round(cur.rest_after_s)), announce]

    def _begin_next(self) -> None:
        self.index += 1
        self.phase = "set"
        self.done = 0
        self._carried = 0
        self._written = 0
        self._said_count = 0
        self._link = None

    def _event(
        self, kind: str, code: str, s: PlannedSet, seconds: int = 0, reps: int | None = None
    ) -> RunEvent:
        return RunEvent(
            id=f"{self.session.id}-{self.index}-{kind}",
            code=code,
            exercise=s.exercise,
            side=s.side,
            reps=s.reps if reps is None else reps,
            seconds=seconds,
        )

    def _once(self, e: RunEvent) -> bool:
        if e.id in self._said:
            return False
        self._said.add(e.id)
        return True


def set_settings(s: PlannedSet, lang: str, model: str) -> LiveSettings:
    """What the live coach runs for set ``s``: its exercise, coached, with the set's hold seconds (if the
    programme gives any) as the hold target instead of the template's."""
    return LiveSettings(exercise=s.exercise, lang=lang, mode="coach", model=model, hold_s=s.hold_s)


def _counted(rec: SessionRecord, start: int, side: str) -> int:
    """Reps of ``rec`` from position ``start`` that belong to a set on ``side`` ("": any): a per-leg
    template's reps carry their leg, and a rep of the other leg is not this set's."""
    reps = rec.reps[start:]
    if not side:
        return len(reps)
    return sum(1 for r in reps if r.get("side") in (None, side))


# --------------------------------------------------------------------------------------------- words


def event_text(e: RunEvent, lang: str, title: Callable[[str, str], str]) -> str:
    """The words of ``e`` in ``lang`` (``title(exercise, lang)`` gives an exercise's title)."""
    side = t(f"side_{e.side}", lang) if e.side else ""
    return t(e.code, lang, exercise=title(e.exercise, lang), side=side, reps=e.reps, s=e.seconds)


def set_text(s: PlannedSet, lang: str, title: Callable[[str, str], str]) -> tuple[str, str]:
    """``(which set, what to do)`` of a set: "Bridge · set 1 of 2", "8 times, hold 20-30 s each time"."""
    side = f" ({t(f'side_{s.side}', lang)})" if s.side else ""
    which = t("run_set", lang, exercise=title(s.exercise, lang), side=side, set=s.set_no, sets=s.sets)
    return which, t("run_target", lang, reps=s.reps, hold=hold_text(s.hold_s, lang))


def hold_text(hold: tuple[float, float] | None, lang: str) -> str:
    """ ", hold 20-30 s each time" (or "" without a hold)."""
    if hold is None:
        return ""
    lo, hi = hold
    return t("hold_each", lang, hold=f"{lo:g}" if lo == hi else f"{lo:g}–{hi:g}")


def cue_speech(updates: Sequence[LiveUpdate], lang: str) -> list[tuple[str, str, str]]:
    """The newest cue of one poll's updates as a ``(id, text, lang)`` speech item (the set's count is said
    from the run's own ``run_count`` events, so a count is never lost to the order of poll and update)."""
    cue = next((u for u in reversed(updates) if u.new_cue is not None), None)
    if cue is None or cue.new_cue is None:
        return []
    return [(f"{cue.session_id}-{cue.seq}-cue", cue.new_cue[1].get(lang), lang)]
