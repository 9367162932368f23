"""Cue selection: one cue at a time, by priority, with a cooldown and no nagging repeats.

Pure and clock-free: callers pass the frame time. Lower priority numbers are more important.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from formcheck.core.templates import Text

#: Cue codes the engine itself emits (template fault codes come from the templates).
GOOD_REP = "good_rep"
READY = "ready"
POSITION = "position"
#: Suffixes of the hold cues: minimum reached ("well held, lower slowly") and maximum reached.
HOLD_DONE_SUFFIX = "_done"
HOLD_MAX_SUFFIX = "_max"
#: Suffix of a hold's recurring reminder (e.g. "keep breathing").
HOLD_REMINDER_SUFFIX = "_reminder"


def cue_is_good(code: str) -> bool:
    """Whether cue ``code`` is praise or good news (green) rather than a correction."""
    hold_news = (HOLD_DONE_SUFFIX, HOLD_MAX_SUFFIX, HOLD_REMINDER_SUFFIX)
    return code in (GOOD_REP, READY) or code.endswith(hold_news)


class Priority(IntEnum):
    """Cue priorities (lower = more important). Template faults use 1-9 between these."""

    SETUP = 0
    POSITION = 1
    HOLD = 3
    AFTER_REP = 4
    INFO = 8
    GOOD = 9


@dataclass(frozen=True)
class CueEvent:
    """A cue shown (and spoken) at ``t_s`` seconds."""

    t_s: float
    code: str
    text: Text
    priority: int
    expires_s: float = 0.0


class CueSelector:
    """Chooses which offered cue to show.

    Each frame, callers :meth:`offer` candidate cues and then call :meth:`select`. A cue is emitted when
    nothing is on screen (a cue stays ``show_s``) and the ``cooldown_s`` since the last cue has passed, or
    at once when it is more important than the cue on screen. The same code is not repeated within
    ``repeat_s``.

    Args:
        show_s: how long a cue stays on screen (s).
        cooldown_s: minimum time between two cues (s).
        repeat_s: minimum time before the same cue code is emitted again (s).
    """

    def __init__(self, show_s: float = 3.0, cooldown_s: float = 2.0, repeat_s: float = 8.0) -> None:
        self.show_s = show_s
        self.cooldown_s = cooldown_s
        self.repeat_s = repeat_s
        self._offers: list[CueEvent] = []
        self._current: CueEvent | None = None
        self._last_by_code: dict[str, float] = {}
        self.history: list[CueEvent] = []

    def offer(self, t_s: float, code: str, text: Text, priority: int, ttl_s: float = 0.0) -> None:
        """Propose a cue for this frame.

        A condition that lasts (a set-up problem, a live fault) is offered again every frame with
        ``ttl_s=0``; a one-off event (a finished rep's feedback) is offered once with ``ttl_s > 0`` and
        waits up to that long for its turn.
        """
        self._offers.append(
            CueEvent(t_s=t_s, code=code, text=text, priority=int(priority), expires_s=t_s + ttl_s)
        )

    def current(self, t_s: float) -> CueEvent | None:
        """The cue on screen at ``t_s``, if any."""
        cur = self._current
        if cur is not None and t_s - cur.t_s < self.show_s:
            return cur
        return None

    def select(self, t_s: float) -> CueEvent | None:
        """Pick this frame's new cue among the offers (cleared afterwards); None if nothing new."""
        offers = self._offers
        self._offers = [o for o in offers if o.expires_s > t_s]  # one-off events wait for their turn
        fresh = [o for o in offers if t_s - self._last_by_code.get(o.code, -1e9) >= self.repeat_s]
        if not fresh:
            return None
        best = min(fresh, key=lambda o: o.priority)
        cur = self.current(t_s)
        since_last = t_s - (self._current.t_s if self._current else -1e9)
        if cur is not None and best.priority >= cur.priority:
            return None
        if cur is None and since_last < self.cooldown_s and best.priority > Priority.POSITION:
            return None
        best = CueEvent(t_s=t_s, code=best.code, text=best.text, priority=best.priority)
        self._offers = [o for o in self._offers if o.code != best.code]
        self._current = best
        self._last_by_code[best.code] = t_s
        self.history.append(best)
        return best
