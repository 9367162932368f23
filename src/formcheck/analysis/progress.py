"""Progress over the weeks: pure numbers from a :class:`~formcheck.store.tracking.ProgressData`.

Per week: programme sessions done of planned, pain (NPRS 0-10) before and after, the PSK scores. Per week
and exercise: sets and reps done of planned, reps counted, holds (number, mean length), the mean form score
and the most frequent fault. Over the whole span: the trend of the form score, of pain and of each PSK
activity, and whether each exercise's most frequent fault is fading.

Weeks are 7-day spans counted from an anchor: the start day of the programme being followed (so week 1 is
the programme's week 1), else the Monday on or before the first session. Dates are the patient's local
dates: a programme session carries its own day; a free session's UTC start is converted with the ``tz``
passed in (no clock: ``today`` is passed in too).

Trend verdicts compare the first and the latest week that have a value (a patient reads "from 6 to 3", not
a slope). The thresholds are fixed and documented here:

* pain (NPRS) and PSK: a change of at least :data:`MIN_CHANGE_POINTS` = 2 points is a change; smaller is
  "about the same". 2 points is the minimal clinically important change of the NPRS and of the
  patient-specific functional scale in low back pain (Ostelo et al. 2008, Spine 33:90-94; Farrar et al.
  2001, Pain 94:149-158 for the NPRS).
* form score (0-100, the template's penalties): a change of at least :data:`MIN_SCORE_CHANGE` = 10 points,
  one fault penalty (the templates' penalties are 15-25), is a change.
* a fault is *fading* when its share of the reps in the later half of the exercise's reps is at least
  :data:`FAULT_SHARE_CHANGE` = 0.15 lower than in the earlier half, *growing* when as much higher; it needs
  :data:`MIN_FAULT_REPS` = 10 reps of the exercise (5 a half) to say anything.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from formcheck.core.programme import ProgrammeError, planned_days
from formcheck.store.programme import parse_programme_text
from formcheck.store.tracking import PlanSession, ProgressData

MIN_CHANGE_POINTS = 2.0
MIN_SCORE_CHANGE = 10.0
FAULT_SHARE_CHANGE = 0.15
MIN_FAULT_REPS = 10


@dataclass(frozen=True)
class Trend:
    """A value's first and latest weekly value and what the change means.

    Attributes:
        first / last: the first and the latest week's value (None: no value).
        first_week / last_week: which weeks they are.
        change: ``last - first`` (None with fewer than two weeks with a value).
        verdict: ``up``, ``down``, ``same``, or ``too_few`` (fewer than two weeks).
    """

    first: float | None
    last: float | None
    first_week: int | None
    last_week: int | None
    change: float | None
    verdict: str


@dataclass(frozen=True)
class FaultTrend:
    """The most frequent fault of one exercise and whether it is fading.

    Attributes:
        exercise: template name.
        code: fault code (None: no fault seen).
        count: reps with it.
        reps: reps of the exercise.
        early_share / late_share: its share of the reps in the earlier / later half (None: too few reps).
        verdict: ``fading``, ``growing``, ``steady``, ``too_few`` or ``none`` (no fault at all).
    """

    exercise: str
    code: str | None
    count: int
    reps: int
    early_share: float | None
    late_share: float | None
    verdict: str


@dataclass(frozen=True)
class Week:
    """One week of the whole programme.

    Attributes:
        week: 1-based from the anchor (0 or less: before it).
        start: its first day.
        planned: programme sessions planned in it (days up to ``today``; today only once done).
        done: days in it with a programme session in which something was done.
        free: other coached sessions (not part of a programme).
        pain_before / pain_after: mean NPRS of the week's sessions (None: none given).
        psk: ``{activity: score}`` of the week's last PSK rating.
    """

    week: int
    start: date
    planned: int
    done: int
    free: int
    pain_before: float | None
    pain_after: float | None
    psk: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ExerciseWeek:
    """One exercise in one week.

    Attributes:
        sets_planned / sets_done: programme sets planned on the days done, and sets with reps done.
        reps_planned / reps_done: programme reps planned and done (in the programme's sets).
        reps: every rep counted (programme and free sessions).
        holds: reps with a measured hold; hold_mean_s their mean length (s).
        score: mean form score (0-100) of the reps, or None.
        top_fault: the most frequent fault code of the week, or None.
    """

    exercise: str
    week: int
    start: date
    sets_planned: int
    sets_done: int
    reps_planned: int
    reps_done: int
    reps: int
    holds: int
    hold_mean_s: float | None
    score: float | None
    top_fault: str | None


@dataclass(frozen=True)
class Progress:
    """Every progress number (see the module docstring)."""

    anchor: date
    today: date
    weeks: tuple[Week, ...]
    exercises: tuple[ExerciseWeek, ...]
    score_trend: dict[str, Trend]
    faults: dict[str, FaultTrend]
    pain_before: Trend
    pain_after: Trend
    psk: dict[str, Trend]
    sessions_planned: int
    sessions_done: int


def _local_day(iso: str, tz: tzinfo) -> date | None:
    try:
        t = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(tz).date()


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def trend(by_week: dict[int, float], threshold: float) -> Trend:
    """First vs latest weekly value of ``{week: value}``; a change below ``threshold`` is ``same``."""
    weeks = sorted(by_week)
    if not weeks:
        return Trend(None, None, None, None, None, "too_few")
    first, last = by_week[weeks[0]], by_week[weeks[-1]]
    if len(weeks) < 2:
        return Trend(first, last, weeks[0], weeks[-1], None, "too_few")
    change = last - first
    verdict = "same" if abs(change) < threshold else ("up" if change > 0 else "down")
    return Trend(first, last, weeks[0], weeks[-1], change, verdict)


def fault_trend(exercise: str, reps: list[dict[str, Any]]) -> FaultTrend:
    """The most frequent fault among ``reps`` (in time order) and whether it fades (module docstring)."""
    counts = Counter(code for r in reps for code in (r.get("faults") or []))
    if not counts:
        return FaultTrend(exercise, None, 0, len(reps), None, None, "none" if reps else "too_few")
    code, n = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    if len(reps) < MIN_FAULT_REPS:
        return FaultTrend(exercise, code, n, len(reps), None, None, "too_few")
    half = len(reps) // 2
    early, late = reps[:half], reps[half:]
    share_e = sum(code in (r.get("faults") or []) for r in early) / len(early)
    share_l = sum(code in (r.get("faults") or []) for r in late) / len(late)
    if share_l <= share_e - FAULT_SHARE_CHANGE:
        verdict = "fading"
    elif share_l >= share_e + FAULT_SHARE_CHANGE:
        verdict = "growing"
    else:
        verdict = "steady"
    return FaultTrend(exercise, code, n, len(reps), share_e, share_l, verdict)


def _anchor(data: ProgressData, tz: tzinfo, today: date) -> date:
    if data.programmes:
        return data.programmes[-1].started_on
    days = [d for s in data.sessions if (d := _local_day(s.started_at, tz)) is not None]
    days += [p.day for p in data.plan_sessions]
    first = min(days) if days else today
    return first - timedelta(days=first.weekday())


def _planned(data: ProgressData, today: date, done_days: set[date]) -> list[date]:
    """Planned session days of every programme (each until the next one starts), up to ``today``."""
    out: list[date] = []
    progs = data.programmes
    for i, sp in enumerate(progs):
        try:
            prog = parse_programme_text(sp.text, sp.title, exercises=None)
        except ProgrammeError:
            continue  # a programme this formcheck cannot read any more plans nothing
        last = today
        if i + 1 < len(progs):
            last = min(last, progs[i + 1].started_on - timedelta(days=1))
        for d in planned_days(prog, sp.started_on, sp.started_on, last):
            if d < today or d in done_days:
                out.append(d)
    return out


def _did_something(ps: PlanSession) -> bool:
    return any(s.done_reps > 0 for s in ps.sets)


def compute_progress(data: ProgressData, today: date, tz: tzinfo = UTC) -> Progress:
    """Every progress number of ``data`` up to ``today`` (a local date; ``tz`` for free sessions' times)."""
    anchor = _anchor(data, tz, today)

    def week(d: date) -> int:
        return (d - anchor).days // 7 + 1

    def start_of(w: int) -> date:
        return anchor + timedelta(days=7 * (w - 1))

    done_days = {p.day for p in data.plan_sessions if _did_something(p)}
    planned = _planned(data, today, done_days)
    linked = {s.session_id for p in data.plan_sessions for s in p.sets if s.session_id}

    weeks: set[int] = {week(d) for d in planned} | {week(d) for d in done_days}
    per_week_planned = Counter(week(d) for d in planned)
    per_week_done = Counter(week(d) for d in done_days)
    free: Counter[int] = Counter()
    pain_b: dict[int, list[float]] = defaultdict(list)
    pain_a: dict[int, list[float]] = defaultdict(list)
    for p in data.plan_sessions:
        if p.pain_before is not None:
            pain_b[week(p.day)].append(float(p.pain_before))
        if p.pain_after is not None:
            pain_a[week(p.day)].append(float(p.pain_after))
    # Reps by exercise in time order, with their week.
    reps_of: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for s in sorted(data.sessions, key=lambda s: s.started_at):
        d = _local_day(s.started_at, tz)
        if d is None or s.mode != "coach":
            continue
        w = week(d)
        weeks.add(w)
        if s.id not in linked:
            free[w] += 1
            if s.pain_before is not None:
                pain_b[w].append(float(s.pain_before))
            if s.pain_after is not None:
                pain_a[w].append(float(s.pain_after))
        reps_of[s.exercise] += [(w, r) for r in s.reps]
    # PSK: the last rating of each week, per activity.
    psk_week: dict[int, dict[str, int]] = defaultdict(dict)
    for r in sorted(data.psk, key=lambda r: (r.rated_on, r.slot)):
        psk_week[week(r.rated_on)][r.activity] = r.score
    weeks |= set(psk_week)

    ex_rows = _exercise_weeks(data, reps_of, week, start_of)
    weeks |= {e.week for e in ex_rows}
    week_rows = tuple(
        Week(
            week=w,
            start=start_of(w),
            planned=per_week_planned[w],
            done=per_week_done[w],
            free=free[w],
            pain_before=_mean(pain_b[w]),
            pain_after=_mean(pain_a[w]),
            psk=dict(psk_week.get(w, {})),
        )
        for w in sorted(weeks)
    )
    score_trend = {
        ex: trend(
            {e.week: e.score for e in ex_rows if e.exercise == ex and e.score is not None}, MIN_SCORE_CHANGE
        )
        for ex in dict.fromkeys(e.exercise for e in ex_rows)
    }
    activities = list(dict.fromkeys(r.activity for r in sorted(data.psk, key=lambda r: (r.rated_on, r.slot))))
    psk_trend = {
        a: trend({w.week: float(w.psk[a]) for w in week_rows if a in w.psk}, MIN_CHANGE_POINTS)
        for a in activities
    }
    return Progress(
        anchor=anchor,
        today=today,
        weeks=week_rows,
        exercises=ex_rows,
        score_trend=score_trend,
        faults={ex: fault_trend(ex, [r for _w, r in reps]) for ex, reps in reps_of.items()},
        pain_before=trend(
            {w.week: w.pain_before for w in week_rows if w.pain_before is not None}, MIN_CHANGE_POINTS
        ),
        pain_after=trend(
            {w.week: w.pain_after for w in week_rows if w.pain_after is not None}, MIN_CHANGE_POINTS
        ),
        psk=psk_trend,
        sessions_planned=len(planned),
        sessions_done=len(done_days),
    )


def _exercise_weeks(
    data: ProgressData,
    reps_of: dict[str, list[tuple[int, dict[str, Any]]]],
    week: Callable[[date], int],
    start_of: Callable[[int], date],
) -> tuple[ExerciseWeek, ...]:
    plan: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for p in data.plan_sessions:
        if not _did_something(p):
            continue  # a session left at once says nothing about the sets planned in it
        w = week(p.day)
        for s in p.sets:
            row = plan[(s.exercise, w)]
            row[0] += 1
            row[1] += int(s.done_reps > 0)
            row[2] += s.planned_reps
            row[3] += min(s.done_reps, s.planned_reps)
    counted: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for ex, reps in reps_of.items():
        for w, r in reps:
            counted[(ex, w)].append(r)
    out = []
    for ex, w in sorted(set(plan) | set(counted), key=lambda k: (k[1], k[0])):
        reps = counted.get((ex, w), [])
        holds = [float(r["hold_s"]) for r in reps if isinstance(r.get("hold_s"), int | float)]
        scores = [float(r["score"]) for r in reps if isinstance(r.get("score"), int | float)]
        faults = Counter(c for r in reps for c in (r.get("faults") or []))
        top = sorted(faults.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] if faults else None
        sp, sd, rp, rd = plan.get((ex, w), [0, 0, 0, 0])
        out.append(
            ExerciseWeek(
                exercise=ex,
                week=w,
                start=start_of(w),
                sets_planned=sp,
                sets_done=sd,
                reps_planned=rp,
                reps_done=rd,
                reps=len(reps),
                holds=len(holds),
                hold_mean_s=_mean(holds),
                score=_mean(scores),
                top_fault=top,
            )
        )
    return tuple(out)
