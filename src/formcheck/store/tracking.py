"""Following a programme: the programmes a patient started, each day's session planned vs done, pain before
and after, and the weekly patient-specific complaints (PSK), in the same SQLite file as the session history.

Everything is written as it happens, each write one small transaction (:meth:`SessionStore.writing`): the
day's sets are stored as planned when the session starts, each set's done count after every counted rep
(the rep itself is a row of the history, committed by the coach), so a crash loses at most the rep in
progress. Two tabs can write at once (WAL, busy timeout; see :mod:`formcheck.store.history`).

Dates (``day``, ``started_on``, ``rated_on``) are the patient's local calendar dates, passed in by the caller.
Anything that goes wrong is a :class:`~formcheck.store.history.StoreError` with a one-line message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from formcheck.core.programme import PlannedSet
from formcheck.store.history import SessionRecord, SessionStore, StoreError, new_session_id, now_iso

#: The PSK asks for up to this many activities.
PSK_SLOTS = 3
#: Longest PSK activity name (characters).
PSK_NAME_MAX = 80
#: States of a planned set.
SET_STATES: tuple[str, ...] = ("planned", "active", "done", "skipped")


@dataclass(frozen=True)
class StoredProgramme:
    """A programme the patient started.

    Attributes:
        id: random id.
        title: its title (as shown when it was added).
        started_on: the day the patient started it (week 1 begins here).
        added_at: when it was added (ISO 8601 UTC).
        text: the programme file's text, exactly as it was opened.
    """

    id: str
    title: str
    started_on: date
    added_at: str
    text: str


@dataclass
class PlanSet:
    """One set of a programme session: what was planned and what was done.

    Attributes:
        seq: 0-based position in the session.
        exercise / set_no / side: which set (side ``left``, ``right`` or "").
        planned_reps: reps (holds) planned.
        hold_s: planned ``(least, most)`` seconds per hold, or None.
        done_reps: reps counted so far.
        session_id: the history session whose reps this set's reps are, from position ``rep_from``.
        state: ``planned``, ``active``, ``done`` or ``skipped``.
    """

    seq: int
    exercise: str
    set_no: int
    side: str
    planned_reps: int
    hold_s: tuple[float, float] | None
    done_reps: int = 0
    session_id: str | None = None
    rep_from: int | None = None
    state: str = "planned"


@dataclass
class PlanSession:
    """One day's programme session.

    Attributes:
        id: random id.
        programme_id: the programme followed.
        day: the local date of the session.
        week: the programme week (1-based).
        started_at / ended_at: ISO 8601 UTC times (``ended_at`` None while it runs or if it was left open).
        pain_before / pain_after: NPRS 0-10, or None.
        sets: the sets, in order.
    """

    id: str
    programme_id: str
    day: date
    week: int
    started_at: str
    ended_at: str | None = None
    pain_before: int | None = None
    pain_after: int | None = None
    sets: list[PlanSet] = field(default_factory=list)


@dataclass(frozen=True)
class PskScore:
    """One PSK rating: an activity rated 0 (no difficulty) to 10 (impossible) on ``rated_on``."""

    rated_on: date
    slot: int
    activity: str
    score: int


@dataclass
class ProgressData:
    """Everything the progress page and the exports read (from the store or from a progress file).

    Attributes:
        sessions: the coached sessions with their reps (no chart series), oldest first.
        programmes: the programmes started, oldest first.
        plan_sessions: the programme sessions with their sets, oldest first.
        psk_activities: the current PSK activities, by slot.
        psk: every PSK rating, oldest first.
    """

    sessions: list[SessionRecord] = field(default_factory=list)
    programmes: list[StoredProgramme] = field(default_factory=list)
    plan_sessions: list[PlanSession] = field(default_factory=list)
    psk_activities: list[str] = field(default_factory=list)
    psk: list[PskScore] = field(default_factory=list)


def _score(value: int | None, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise StoreError(f"{what} must be a whole number from 0 to 10, got {value!r}")
    return int(value)


class TrackingStore:
    """Programmes, programme sessions and PSK in the history file of ``store``.

    Args:
        store: the :class:`SessionStore` whose file holds everything.
    """

    def __init__(self, store: SessionStore) -> None:
        self.store = store

    # ------------------------------------------------------------------ programmes

    def add_programme(self, text: str, title: str, started_on: date) -> str:
        """Store a programme (its validated file text) started on ``started_on``; returns its id.

        The newest programme added is the one followed (:meth:`active_programme`); earlier ones and their
        sessions stay for the progress page.
        """
        pid = new_session_id()
        with self.store.writing() as con:
            con.execute(
                "INSERT INTO programmes (id, title, started_on, added_at, text) VALUES (?, ?, ?, ?, ?)",
                (pid, title, started_on.isoformat(), now_iso(), text),
            )
        return pid

    def programmes(self) -> list[StoredProgramme]:
        """Every programme started, oldest first."""
        if not self.store.exists():
            return []
        with self.store.reading() as con:
            rows = con.execute(
                "SELECT id, title, started_on, added_at, text FROM programmes ORDER BY added_at, rowid"
            ).fetchall()
        out = []
        for pid, title, started, added, text in rows:
            day = _date(started)
            if day is not None:
                out.append(StoredProgramme(pid, title, day, added, text))
        return out

    def active_programme(self) -> StoredProgramme | None:
        """The programme being followed (the newest added), or None."""
        progs = self.programmes()
        return progs[-1] if progs else None

    # ------------------------------------------------------------------ programme sessions

    def begin_session(
        self, programme_id: str, day: date, week: int, sets: Sequence[PlannedSet], pain_before: int | None
    ) -> PlanSession:
        """Store a new programme session for ``day`` with every set as planned (one transaction)."""
        pain = _score(pain_before, "pain before")
        ps = PlanSession(
            id=new_session_id(),
            programme_id=programme_id,
            day=day,
            week=int(week),
            started_at=now_iso(),
            pain_before=pain,
            sets=[
                PlanSet(
                    seq=i,
                    exercise=s.exercise,
                    set_no=s.set_no,
                    side=s.side,
                    planned_reps=s.reps,
                    hold_s=s.hold_s,
                )
                for i, s in enumerate(sets)
            ],
        )
        now = ps.started_at
        with self.store.writing() as con:
            con.execute(
                """INSERT INTO plan_sessions
                     (id, programme_id, day, week, started_at, updated_at, pain_before)
                   VALUES (?, ?, ?, ?, ?, ?, ?)""",
                (ps.id, programme_id, day.isoformat(), ps.week, now, now, pain),
            )
            con.executemany(
                """INSERT INTO plan_sets (plan_session_id, seq, exercise, set_no, side, planned_reps,
                                          hold_min_s, hold_max_s, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [
                    (ps.id, s.seq, s.exercise, s.set_no, s.side, s.planned_reps,
                     s.hold_s[0] if s.hold_s else None, s.hold_s[1] if s.hold_s else None, now)
                    for s in ps.sets
                ],
            )  # fmt: skip
        return ps

    def start_set(self, plan_session_id: str, seq: int, session_id: str | None, rep_from: int) -> None:
        """Mark set ``seq`` as running: its reps are history session ``session_id``'s from ``rep_from`` on."""
        self._update_set(
            plan_session_id,
            seq,
            "state = 'active', session_id = ?, rep_from = ?",
            (session_id, int(rep_from)),
        )

    def count_rep(self, plan_session_id: str, seq: int, done_reps: int) -> None:
        """Set ``done_reps`` of set ``seq`` (called after each counted rep; a lower number never wins)."""
        self._update_set(plan_session_id, seq, "done_reps = MAX(done_reps, ?)", (int(done_reps),))

    def finish_set(self, plan_session_id: str, seq: int, done_reps: int, skipped: bool = False) -> None:
        """Close set ``seq`` with ``done_reps`` reps (``skipped``: the patient went on without doing it)."""
        state = "skipped" if skipped and done_reps <= 0 else "done"
        self._update_set(
            plan_session_id, seq, "state = ?, done_reps = MAX(done_reps, ?)", (state, int(done_reps))
        )

    def _update_set(self, psid: str, seq: int, assign: str, args: tuple[object, ...]) -> None:
        with self.store.writing() as con:
            cur = con.execute(
                f"UPDATE plan_sets SET {assign}, updated_at = ? WHERE plan_session_id = ? AND seq = ?",
                (*args, now_iso(), psid, int(seq)),
            )
            if cur.rowcount != 1:
                raise StoreError(f"programme session {psid} has no set {seq} (was the history deleted?)")
            con.execute("UPDATE plan_sessions SET updated_at = ? WHERE id = ?", (now_iso(), psid))

    def set_pain(self, plan_session_id: str, before: int | None = None, after: int | None = None) -> None:
        """Store the pain score (NPRS 0-10) before and/or after the session (None: leave as it is)."""
        b, a = _score(before, "pain before"), _score(after, "pain after")
        with self.store.writing() as con:
            con.execute(
                """UPDATE plan_sessions SET pain_before = COALESCE(?, pain_before),
                       pain_after = COALESCE(?, pain_after), updated_at = ? WHERE id = ?""",
                (b, a, now_iso(), plan_session_id),
            )

    def end_session(self, plan_session_id: str) -> None:
        """Close the programme session (sets still planned stay so: not done)."""
        with self.store.writing() as con:
            con.execute(
                "UPDATE plan_sessions SET ended_at = COALESCE(ended_at, ?), updated_at = ? WHERE id = ?",
                (now_iso(), now_iso(), plan_session_id),
            )

    def sessions(self, programme_id: str | None = None) -> list[PlanSession]:
        """The programme sessions (of one programme, or all), oldest first, with their sets."""
        if not self.store.exists():
            return []
        where, args = ("WHERE programme_id = ?", (programme_id,)) if programme_id else ("", ())
        with self.store.reading() as con:
            rows = con.execute(
                f"""SELECT id, programme_id, day, week, started_at, ended_at, pain_before, pain_after
                    FROM plan_sessions {where} ORDER BY day, started_at""",
                args,
            ).fetchall()
            sets = con.execute(
                """SELECT plan_session_id, seq, exercise, set_no, side, planned_reps, hold_min_s,
                          hold_max_s, done_reps, session_id, rep_from, state
                   FROM plan_sets ORDER BY plan_session_id, seq"""
            ).fetchall()
        by_session: dict[str, list[PlanSet]] = {}
        for psid, seq, ex, n, side, planned, lo, hi, done, sid, rep_from, state in sets:
            hold = (float(lo), float(hi)) if lo is not None and hi is not None else None
            by_session.setdefault(psid, []).append(
                PlanSet(seq, ex, n, side, planned, hold, done, sid, rep_from, state)
            )
        out = []
        for psid, pid, day, week, started, ended, before, after in rows:
            d = _date(day)
            if d is None:
                continue
            sets_of = by_session.get(psid, [])
            out.append(PlanSession(psid, pid, d, week, started, ended, before, after, sets_of))
        return out

    def session_on(self, programme_id: str, day: date) -> PlanSession | None:
        """The latest programme session of ``programme_id`` on ``day`` (to resume it), or None."""
        found = [s for s in self.sessions(programme_id) if s.day == day]
        return found[-1] if found else None

    # ------------------------------------------------------------------ PSK

    def psk_activities(self) -> list[str]:
        """The PSK activities named so far, by slot (empty: none named yet)."""
        if not self.store.exists():
            return []
        with self.store.reading() as con:
            rows = con.execute("SELECT activity FROM psk_activities ORDER BY slot").fetchall()
        return [r[0] for r in rows]

    def name_psk_activities(self, names: Sequence[str], replace: bool = False) -> list[str]:
        """Name the (up to three) PSK activities; returns them as stored.

        The activities stay the same from week to week: naming them again is refused unless ``replace``
        (a new list, e.g. agreed with the physio; earlier ratings keep the names they were given under).

        Raises:
            StoreError: no name, more than three, an empty, too long or repeated name, or the activities
                were already named (and ``replace`` is False).
        """
        clean = [" ".join(str(n).split()) for n in names]
        clean = [n for n in clean if n]
        if not 1 <= len(clean) <= PSK_SLOTS:
            raise StoreError(f"name one to {PSK_SLOTS} activities, got {len(clean)}")
        if any(len(n) > PSK_NAME_MAX for n in clean):
            raise StoreError(f"an activity's name can be at most {PSK_NAME_MAX} characters")
        if len({n.lower() for n in clean}) != len(clean):
            raise StoreError("each activity can be named once")
        with self.store.writing() as con:
            have = con.execute("SELECT COUNT(*) FROM psk_activities").fetchone()[0]
            if have and not replace:
                raise StoreError("the PSK activities are already named; they stay the same every week")
            con.execute("DELETE FROM psk_activities")
            con.executemany(
                "INSERT INTO psk_activities (slot, activity, named_at) VALUES (?, ?, ?)",
                [(i + 1, n, now_iso()) for i, n in enumerate(clean)],
            )
        return clean

    def rate_psk(self, rated_on: date, scores: Mapping[int, int]) -> None:
        """Store this week's PSK scores ``{slot: 0-10}`` for the named activities (a new rating of the same
        day replaces it).

        Raises:
            StoreError: no activities named, an unknown slot, or a score outside 0-10.
        """
        for slot, value in scores.items():
            _score(value, f"the score of activity {slot}")
        with self.store.writing() as con:
            names = dict(con.execute("SELECT slot, activity FROM psk_activities").fetchall())
            if not names:
                raise StoreError("name the PSK activities before rating them")
            unknown = sorted(set(scores) - set(names))
            if unknown:
                raise StoreError(f"there is no PSK activity {unknown[0]} (named: {len(names)})")
            con.executemany(
                """INSERT INTO psk_scores (rated_on, slot, activity, score, rated_at) VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT(rated_on, slot) DO UPDATE SET activity = excluded.activity,
                     score = excluded.score, rated_at = excluded.rated_at""",
                [(rated_on.isoformat(), s, names[s], int(v), now_iso()) for s, v in sorted(scores.items())],
            )

    def psk_scores(self) -> list[PskScore]:
        """Every PSK rating, oldest first."""
        if not self.store.exists():
            return []
        with self.store.reading() as con:
            rows = con.execute(
                "SELECT rated_on, slot, activity, score FROM psk_scores ORDER BY rated_on, slot"
            ).fetchall()
        out = []
        for day, slot, activity, score in rows:
            d = _date(day)
            if d is not None:
                out.append(PskScore(d, int(slot), activity, int(score)))
        return out

    # ------------------------------------------------------------------ everything, for progress

    def progress_data(self) -> ProgressData:
        """Everything stored, for the progress page and the exports (the sessions without chart series)."""
        sessions = [
            SessionRecord(**{**rec.__dict__, "series": [], "series_features": []})
            for rec in reversed(self.store.recent(limit=-1))
        ]
        return ProgressData(
            sessions=sessions,
            programmes=self.programmes(),
            plan_sessions=self.sessions(),
            psk_activities=self.psk_activities(),
            psk=self.psk_scores(),
        )


def _date(text: object) -> date | None:
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return None
