"""Exercise programmes: what a physiotherapist prescribes, strictly validated, and the plan for a given day.

A programme is a readable TOML file (see :mod:`formcheck.store.programme` for reading and writing it):

.. code-block:: toml

    schema = 1
    title = "Rug, fase 1"            # or a table with nl and en
    weeks = 4                        # how long the programme runs
    days_per_week = 5                # sessions a week, spread over the week from the start day
    rest_s = 45                      # rest between sets (default for every exercise)

    [[exercises]]
    exercise = "bridge"              # a template name (built-in or taught)
    per_side = false                 # true: every set is done on the left and then on the right
      [[exercises.progression]]      # progression over time (not over pain): stages that cover
      from = 1                       # weeks 1..weeks exactly, in order
      to = 2
      sets = 2
      reps = 8
      [[exercises.progression]]
      from = 3
      to = 4
      sets = 3
      reps = 10
      hold_s = [5, 10]               # optional: each rep is a hold of this long (s; one number or a range)

The progression is **time-based** (KNGF 2021: build activity up on a time schedule, not on pain): the week
of a day is counted from the day the patient started the programme, whatever happened in between.

Everything here is pure: parsed TOML data in, frozen dataclasses out; dates are passed in (no clock, no I/O).
Any unknown key, wrong type, impossible number, unknown exercise or newer schema version is a
:class:`ProgrammeError` naming the file, the key and what was expected.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from formcheck.core.templates import TableReader, TemplateError, Text

#: The programme file format this formcheck writes and reads (files with a higher number are refused).
PROGRAMME_SCHEMA = 1
#: Limits of an exercise's numbers (an "impossible number" is one outside them).
MAX_WEEKS = 52
MAX_SETS = 10
MAX_REPS = 100
MAX_HOLD_S = 300.0
MAX_REST_S = 600.0
#: Pause between the left and the right side of one set (s): time to turn round, not a rest.
SIDE_SWITCH_S = 10.0
#: A session longer than this (estimated: reps, holds and rests) is refused as impossible (min).
MAX_SESSION_MIN = 120.0
#: Time one rep without a hold takes, for the session-length estimate (s).
REP_S = 4.0
SIDES: tuple[str, ...] = ("left", "right")


class ProgrammeError(TemplateError):
    """A programme that cannot be used; the message names the file, the key and what was expected."""


class _Reader(TableReader):
    error = ProgrammeError


@dataclass(frozen=True)
class Stage:
    """What one exercise asks for during weeks ``first_week`` to ``last_week`` (1-based, inclusive).

    Attributes:
        sets: sets per session.
        reps: repetitions per set (per side when the exercise is done per side); for a hold exercise, the
            number of holds.
        hold_s: ``(least, most)`` seconds each rep is held, or None when the reps are not holds (the
            template's own hold target, if any, still applies).
    """

    first_week: int
    last_week: int
    sets: int
    reps: int
    hold_s: tuple[float, float] | None = None

    def covers(self, week: int) -> bool:
        """Whether ``week`` (1-based) is in this stage."""
        return self.first_week <= week <= self.last_week


@dataclass(frozen=True)
class Item:
    """One exercise of a programme.

    Attributes:
        exercise: template name.
        per_side: every set is done on the left and then on the right side.
        rest_s: rest after each set, in seconds.
        stages: the progression, in week order, covering weeks 1 to the programme's ``weeks``.
        note: the physio's note for this exercise (their own words), or "".
    """

    exercise: str
    per_side: bool
    rest_s: float
    stages: tuple[Stage, ...]
    note: str = ""

    def stage(self, week: int) -> Stage:
        """The stage of ``week`` (1-based); past the end, the last stage."""
        for s in self.stages:
            if s.covers(week):
                return s
        return self.stages[-1] if week > self.stages[-1].last_week else self.stages[0]


@dataclass(frozen=True)
class Programme:
    """A validated programme.

    Attributes:
        title: the programme's name (both languages; the same text when the physio gave one).
        weeks: how many weeks it runs.
        days_per_week: sessions a week (1-7).
        rest_s: default rest between sets (s).
        items: the exercises, in the order they are done.
        author: who wrote it (free text, may be empty).
        note: the physio's note for the patient (their own words, may be empty).
        source: where it was read from (for messages).
    """

    title: Text
    weeks: int
    days_per_week: int
    rest_s: float
    items: tuple[Item, ...]
    author: str = ""
    note: str = ""
    source: str = ""

    @property
    def exercises(self) -> tuple[str, ...]:
        """The template names the programme uses, in order, each once."""
        return tuple(dict.fromkeys(i.exercise for i in self.items))


@dataclass(frozen=True)
class PlannedSet:
    """One set of a day's session.

    Attributes:
        item: index of the exercise in :attr:`Programme.items`.
        exercise: template name.
        set_no: 1-based set number within the exercise.
        sets: how many sets the exercise has today.
        side: ``left``, ``right`` or "" (not per side).
        reps: repetitions planned (holds, for a hold exercise).
        hold_s: ``(least, most)`` seconds per hold, or None.
        rest_after_s: the pause after this set (s); 0 after the session's last set.
    """

    item: int
    exercise: str
    set_no: int
    sets: int
    side: str
    reps: int
    hold_s: tuple[float, float] | None
    rest_after_s: float


@dataclass(frozen=True)
class DayPlan:
    """What the programme asks on one day.

    Attributes:
        day: the date.
        week: programme week (1-based; 0 or less before the start).
        session_day: whether a session is planned on this day.
        sets: the session's sets in order (empty when no session is planned).
        after_end: the day is past the programme's last week (the last week's session is given, so the
            patient can keep going while they see their physio for a new one).
        next_day: the next day with a planned session after ``day`` (None after the end).
    """

    day: date
    week: int
    session_day: bool
    sets: tuple[PlannedSet, ...]
    after_end: bool
    next_day: date | None


# --------------------------------------------------------------------------------------------- parsing


def parse_programme(data: dict[str, Any], source: str, exercises: Collection[str] | None = None) -> Programme:
    """Validate parsed TOML ``data`` (from ``source``, used in messages) into a :class:`Programme`.

    Args:
        data: the parsed TOML document.
        source: the file name (or another label) every message starts with.
        exercises: the exercise templates this formcheck has; an exercise not among them is an error.
            None skips that check (the structure is still checked in full).

    Raises:
        ProgrammeError: the first problem found, as ``source: key: expectation``.
    """
    r = _Reader(source, data, "")
    schema = r.raw("schema")
    if isinstance(schema, bool) or not isinstance(schema, int):
        r.fail("schema", f"expected a whole number (the format version, {PROGRAMME_SCHEMA}), got {schema!r}")
    if schema > PROGRAMME_SCHEMA:
        r.fail(
            "schema",
            f"this file is format version {schema}, written by a newer formcheck; this one reads up to "
            f"version {PROGRAMME_SCHEMA}: update formcheck to open it",
        )
    if schema < 1:
        r.fail("schema", f"expected {PROGRAMME_SCHEMA}, got {schema}")
    title = _title(r)
    weeks = _int(r, "weeks", 1, MAX_WEEKS)
    days = _int(r, "days_per_week", 1, 7)
    rest = r.num("rest_s", 0, MAX_REST_S, default=60.0)
    author = _free_text(r, "author")
    note = _free_text(r, "note")
    items = tuple(_item(x, weeks, rest, exercises) for x in r.subs("exercises"))
    r.done()
    prog = Programme(
        title=title,
        weeks=weeks,
        days_per_week=days,
        rest_s=rest,
        items=items,
        author=author,
        note=note,
        source=source,
    )
    for week in range(1, weeks + 1):
        minutes = session_minutes(prog, week)
        if minutes > MAX_SESSION_MIN:
            r.fail(
                "exercises",
                f"week {week}'s session would take about {minutes:.0f} minutes; expected at most "
                f"{MAX_SESSION_MIN:.0f} (fewer sets, reps, shorter holds or rests)",
            )
    return prog


def _int(r: _Reader, name: str, lo: int, hi: int) -> int:
    v = r.raw(name)
    if isinstance(v, bool) or not isinstance(v, int):
        r.fail(r.key(name), f"expected a whole number from {lo} to {hi}, got {v!r}")
    if not lo <= v <= hi:
        r.fail(r.key(name), f"expected a whole number from {lo} to {hi}, got {v}")
    return int(v)


def _free_text(r: _Reader, name: str) -> str:
    v = r.raw(name, required=False)
    if v is None:
        return ""
    if not isinstance(v, str):
        r.fail(r.key(name), f"expected a string, got {v!r}")
    return v.strip()


def _title(r: _Reader) -> Text:
    v = r.raw("title")
    if isinstance(v, str):
        if not v.strip():
            r.fail("title", "expected a non-empty string (or a table with nl and en)")
        return Text(nl=v.strip(), en=v.strip())
    if isinstance(v, dict):
        t = r.text("title")
        return Text(nl=t.nl.strip(), en=t.en.strip())
    r.fail("title", f"expected a string or a table with nl and en, got {v!r}")
    raise AssertionError  # pragma: no cover (fail raises)


def _hold(x: _Reader) -> tuple[float, float] | None:
    v = x.raw("hold_s", required=False)
    if v is None:
        return None
    key = x.key("hold_s")
    expected = f"expected seconds (a number, or [least, most]) from 1 to {MAX_HOLD_S:g}"
    vals = v if isinstance(v, list) else [v]
    if not 1 <= len(vals) <= 2 or not all(
        isinstance(s, int | float) and not isinstance(s, bool) and math.isfinite(s) for s in vals
    ):
        x.fail(key, f"{expected}, got {v!r}")
    lo, hi = float(vals[0]), float(vals[-1])
    if not 1 <= lo <= MAX_HOLD_S or not 1 <= hi <= MAX_HOLD_S:
        x.fail(key, f"{expected}, got {v!r}")
    if lo > hi:
        x.fail(key, f"expected [least, most] with least <= most, got {v!r}")
    return (lo, hi)


def _item(x: _Reader, weeks: int, rest: float, exercises: Collection[str] | None) -> Item:
    name = x.str("exercise")
    if exercises is not None and name not in exercises:
        known = ", ".join(sorted(exercises)) or "none"
        x.fail(
            x.key("exercise"),
            f"expected an exercise this formcheck has ({known}), got '{name}': it has no '{name}' template",
        )
    per_side = x.bool("per_side", False)
    rest_s = x.num("rest_s", 0, MAX_REST_S, default=rest)
    note = _free_text(x, "note")
    stages: list[Stage] = []
    for s in x.subs("progression"):
        first = _int(s, "from", 1, weeks)
        last = _int(s, "to", 1, weeks) if "to" in s.table else weeks
        if last < first:
            s.fail(s.key("to"), f"expected a week from {first} to {weeks}, got {last}")
        expect = stages[-1].last_week + 1 if stages else 1
        if first != expect:
            s.fail(
                s.key("from"),
                f"expected week {expect} (the stages must cover weeks 1 to {weeks} in order, without gaps "
                f"or overlaps), got {first}",
            )
        stage = Stage(
            first_week=first,
            last_week=last,
            sets=_int(s, "sets", 1, MAX_SETS),
            reps=_int(s, "reps", 1, MAX_REPS),
            hold_s=_hold(s),
        )
        s.done()
        stages.append(stage)
    if stages[-1].last_week != weeks:
        x.fail(
            x.key("progression"),
            f"expected the stages to cover weeks 1 to {weeks}, they stop at week {stages[-1].last_week}",
        )
    x.done()
    return Item(exercise=name, per_side=per_side, rest_s=rest_s, stages=tuple(stages), note=note)


def check_exercises(prog: Programme, exercises: Collection[str]) -> list[str]:
    """The exercises ``prog`` names that are not in ``exercises`` (in programme order; empty: all there)."""
    return [e for e in prog.exercises if e not in exercises]


# --------------------------------------------------------------------------------------------- schedule


def session_offsets(days_per_week: int) -> tuple[int, ...]:
    """Days (0-6, counted from the week's first day) with a session: ``days_per_week`` spread evenly.

    Examples: 3 -> (0, 2, 5); 5 -> (0, 1, 3, 4, 6); 7 -> every day.
    """
    n = int(days_per_week)
    if not 1 <= n <= 7:
        raise ValueError(f"days_per_week must be 1-7, got {days_per_week}")
    return tuple(sorted({math.floor(i * 7 / n + 0.5) for i in range(n)}))


def week_of(start: date, day: date) -> int:
    """The programme week of ``day`` for a programme started on ``start`` (1-based; <= 0 before it)."""
    return (day - start).days // 7 + 1


def is_session_day(prog: Programme, start: date, day: date) -> bool:
    """Whether ``prog`` started on ``start`` plans a session on ``day`` (also after its last week)."""
    offset = (day - start).days
    return offset >= 0 and offset % 7 in session_offsets(prog.days_per_week)


def session_sets(prog: Programme, week: int) -> tuple[PlannedSet, ...]:
    """The sets of a session in programme week ``week`` (past the end: the last week's), in order."""
    out: list[PlannedSet] = []
    for k, item in enumerate(prog.items):
        st = item.stage(max(1, week))
        sides = SIDES if item.per_side else ("",)
        for n in range(1, st.sets + 1):
            for side in sides:
                rest = SIDE_SWITCH_S if side == "left" else item.rest_s
                out.append(
                    PlannedSet(
                        item=k,
                        exercise=item.exercise,
                        set_no=n,
                        sets=st.sets,
                        side=side,
                        reps=st.reps,
                        hold_s=st.hold_s,
                        rest_after_s=rest,
                    )
                )
    if out:
        last = out[-1]
        out[-1] = PlannedSet(**{**last.__dict__, "rest_after_s": 0.0})
    return tuple(out)


def session_minutes(prog: Programme, week: int) -> float:
    """Estimated length of a session in ``week`` (minutes): reps (holds at their longest) and rests."""
    total = 0.0
    for s in session_sets(prog, week):
        per_rep = REP_S + (s.hold_s[1] if s.hold_s else 0.0)
        total += s.reps * per_rep + s.rest_after_s
    return total / 60.0


def next_session_day(prog: Programme, start: date, after: date) -> date | None:
    """The first session day strictly after ``after`` (None when it falls past the programme's end)."""
    day = max(after + timedelta(days=1), start)
    for _ in range(8):
        if is_session_day(prog, start, day):
            return day if week_of(start, day) <= prog.weeks else None
        day += timedelta(days=1)
    return None  # pragma: no cover (a week always has a session day)


def plan_for(prog: Programme, start: date, day: date) -> DayPlan:
    """What ``prog``, started on ``start``, asks on ``day`` (the clock is the caller's)."""
    week = week_of(start, day)
    session = is_session_day(prog, start, day)
    return DayPlan(
        day=day,
        week=week,
        session_day=session,
        sets=session_sets(prog, week) if session else (),
        after_end=week > prog.weeks,
        next_day=next_session_day(prog, start, day),
    )


def planned_days(prog: Programme, start: date, first: date, last: date) -> list[date]:
    """Every day from ``first`` to ``last`` (inclusive) with a planned session (within the programme)."""
    end = start + timedelta(days=7 * prog.weeks - 1)
    day, out = max(first, start), []
    while day <= min(last, end):
        if is_session_day(prog, start, day):
            out.append(day)
        day += timedelta(days=1)
    return out


def missed_days(prog: Programme, start: date, today: date, done: Iterable[date]) -> list[date]:
    """Planned session days before ``today`` on which no session was done (for a kind note, not a score)."""
    did = set(done)
    return [d for d in planned_days(prog, start, start, today - timedelta(days=1)) if d not in did]
