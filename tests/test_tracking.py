"""Following a programme in the history file: planned vs done sets written as they happen, pain, PSK, two
tabs at once, a killed process, "delete all my data", and locked, damaged or newer files."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
import threading
from datetime import date
from pathlib import Path

import pytest

from formcheck.core.programme import plan_for
from formcheck.store.history import DB_NAME, SCHEMA_VERSION, SessionRecord, SessionStore, StoreError
from formcheck.store.programme import parse_programme_text, programme_to_toml
from formcheck.store.tracking import TrackingStore

PROG = """
schema = 1
title = "Twee oefeningen"
weeks = 2
days_per_week = 7
[[exercises]]
exercise = "bridge"
[[exercises.progression]]
from = 1
sets = 2
reps = 3
[[exercises]]
exercise = "cat_cow"
[[exercises.progression]]
from = 1
sets = 1
reps = 4
"""
START = date(2026, 3, 2)


def _programme():
    return parse_programme_text(PROG, "p.toml", exercises=("bridge", "cat_cow"))


def _begin(tr: TrackingStore, day: date = START, pain: int | None = 3) -> tuple[str, object]:
    prog = _programme()
    pid = tr.add_programme(programme_to_toml(prog), prog.title.en, START)
    plan = plan_for(prog, START, day)
    return pid, tr.begin_session(pid, day, plan.week, plan.sets, pain)


def test_a_session_is_stored_as_planned_then_done_set_by_set(tmp_path: Path) -> None:
    tr = TrackingStore(SessionStore(tmp_path))
    pid, ps = _begin(tr)
    assert tr.active_programme().id == pid  # type: ignore[union-attr]
    stored = tr.sessions()[0]
    assert [(s.exercise, s.set_no, s.planned_reps, s.done_reps, s.state) for s in stored.sets] == [
        ("bridge", 1, 3, 0, "planned"),
        ("bridge", 2, 3, 0, "planned"),
        ("cat_cow", 1, 4, 0, "planned"),
    ]
    tr.start_set(ps.id, 0, "sess-a", 0)
    for n in (1, 2, 3):
        tr.count_rep(ps.id, 0, n)
    tr.count_rep(ps.id, 0, 2)  # an older count arriving late never lowers it
    tr.finish_set(ps.id, 0, 3)
    tr.start_set(ps.id, 1, "sess-a", 3)
    tr.finish_set(ps.id, 1, 2)
    tr.finish_set(ps.id, 2, 0, skipped=True)
    tr.set_pain(ps.id, after=4)
    tr.end_session(ps.id)
    got = tr.session_on(pid, START)
    assert got is not None and got.ended_at and (got.pain_before, got.pain_after) == (3, 4)
    assert [(s.done_reps, s.state, s.session_id, s.rep_from) for s in got.sets] == [
        (3, "done", "sess-a", 0),
        (2, "done", "sess-a", 3),
        (0, "skipped", None, None),
    ]


def test_bad_values_are_refused_and_change_nothing(tmp_path: Path) -> None:
    tr = TrackingStore(SessionStore(tmp_path))
    _, ps = _begin(tr)
    with pytest.raises(StoreError, match="0 to 10"):
        tr.set_pain(ps.id, after=11)
    with pytest.raises(StoreError, match="no set 9"):
        tr.count_rep(ps.id, 9, 1)
    assert tr.sessions()[0].pain_after is None


def test_psk_names_three_activities_that_stay_the_same_each_week(tmp_path: Path) -> None:
    tr = TrackingStore(SessionStore(tmp_path))
    with pytest.raises(StoreError, match="name the PSK activities"):
        tr.rate_psk(START, {1: 5})
    assert tr.name_psk_activities(["Sokken aantrekken", " tuinieren ", "", "Fietsen"]) == [
        "Sokken aantrekken",
        "tuinieren",
        "Fietsen",
    ]
    with pytest.raises(StoreError, match="already named"):
        tr.name_psk_activities(["Iets anders"])
    with pytest.raises(StoreError, match="one to 3"):
        tr.name_psk_activities(["a", "b", "c", "d"], replace=True)
    with pytest.raises(StoreError, match="once"):
        tr.name_psk_activities(["a", "A"], replace=True)
    tr.rate_psk(START, {1: 7, 2: 6, 3: 8})
    tr.rate_psk(date(2026, 3, 9), {1: 5, 2: 6, 3: 4})
    tr.rate_psk(date(2026, 3, 9), {3: 3})  # the same day again: replaces that score
    with pytest.raises(StoreError, match="0 to 10"):
        tr.rate_psk(date(2026, 3, 16), {1: 12})
    with pytest.raises(StoreError, match="no PSK activity 4"):
        tr.rate_psk(date(2026, 3, 16), {4: 1})
    scores = [(s.rated_on.day, s.activity, s.score) for s in tr.psk_scores()]
    assert scores == [
        (2, "Sokken aantrekken", 7),
        (2, "tuinieren", 6),
        (2, "Fietsen", 8),
        (9, "Sokken aantrekken", 5),
        (9, "tuinieren", 6),
        (9, "Fietsen", 3),
    ]


def test_two_tabs_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    """Two stores (two tabs, two connections) count reps of their own sessions at the same time."""
    a, b = TrackingStore(SessionStore(tmp_path)), TrackingStore(SessionStore(tmp_path))
    _, pa = _begin(a)
    _, pb = _begin(b)
    errors: list[Exception] = []

    def work(tr: TrackingStore, psid: str) -> None:
        try:
            for n in range(1, 31):
                tr.count_rep(psid, 0, n)
        except Exception as e:  # pragma: no cover (the assertion below shows it)
            errors.append(e)

    threads = [threading.Thread(target=work, args=x) for x in ((a, pa.id), (b, pb.id))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert sorted(s.sets[0].done_reps for s in a.sessions()) == [30, 30]


def test_a_killed_process_loses_at_most_the_rep_in_progress(tmp_path: Path) -> None:
    """A child process counts reps and is killed with SIGKILL; every count it committed is there."""
    tr = TrackingStore(SessionStore(tmp_path))
    _, ps = _begin(tr)
    code = textwrap.dedent(
        f"""
        import os, signal, sys
        from formcheck.store.history import SessionStore
        from formcheck.store.tracking import TrackingStore
        tr = TrackingStore(SessionStore({str(tmp_path)!r}))
        for n in range(1, 6):
            tr.count_rep({ps.id!r}, 0, n)
            print(n, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == -9, proc.stderr
    committed = int(proc.stdout.split()[-1])
    assert tr.sessions()[0].sets[0].done_reps == committed == 5


def test_delete_all_my_data_leaves_nothing_readable_in_any_file(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    tr = TrackingStore(store)
    marker = "PRIVATE-7c1e"
    prog = _programme()
    pid = tr.add_programme(programme_to_toml(prog).replace("Twee oefeningen", marker * 10), marker, START)
    plan = plan_for(prog, START, START)
    ps = tr.begin_session(pid, START, 1, plan.sets, 2)
    rec = SessionRecord(id="s1", started_at="2026-03-02T10:00:00+00:00", exercise="bridge", notes=[marker])
    store.save(rec)
    tr.start_set(ps.id, 0, "s1", 0)
    tr.name_psk_activities([marker + "-walking", marker + "-sitting"])
    tr.rate_psk(START, {1: 6, 2: 4})
    # A second connection that stays open (another tab) does not keep the data alive in the journal.
    other = sqlite3.connect(tmp_path / DB_NAME)
    other.execute("SELECT COUNT(*) FROM sessions").fetchone()
    assert store.delete_all() == 1
    other.close()
    files = list(tmp_path.iterdir())
    assert files, "the history file itself stays (empty)"
    for f in files:
        assert marker.encode() not in f.read_bytes(), f.name
    data = tr.progress_data()
    assert (data.sessions, data.programmes, data.plan_sessions, data.psk, data.psk_activities) == (
        [],
        [],
        [],
        [],
        [],
    )


def test_a_locked_file_is_a_clear_busy_message_and_keeps_what_was_saved(tmp_path: Path) -> None:
    tr = TrackingStore(SessionStore(tmp_path, busy_timeout_s=0.2))
    _, ps = _begin(tr)
    tr.count_rep(ps.id, 0, 1)
    other = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreError) as e:
        tr.count_rep(ps.id, 0, 2)
    assert "busy" in str(e.value) and "\n" not in str(e.value)
    other.execute("ROLLBACK")
    other.close()
    assert tr.sessions()[0].sets[0].done_reps == 1
    tr.count_rep(ps.id, 0, 2)
    assert tr.sessions()[0].sets[0].done_reps == 2


def test_a_damaged_file_is_refused_with_one_line_and_left_byte_identical(tmp_path: Path) -> None:
    tr = TrackingStore(SessionStore(tmp_path))
    _begin(tr)
    path = tmp_path / DB_NAME
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    raw = bytearray(path.read_bytes())
    raw[100:4096] = b"\x5a" * (4096 - 100)  # the schema page
    path.write_bytes(bytes(raw))
    with pytest.raises(StoreError) as e:
        tr.sessions()
    assert "damaged" in str(e.value) and "\n" not in str(e.value)
    assert path.read_bytes() == bytes(raw)


def test_a_version_2_file_upgrades_to_3_keeping_its_sessions(tmp_path: Path) -> None:
    """A file as the previous formcheck left it (schema 2) gets the programme tables, sessions intact."""
    from formcheck.store.history import MIGRATIONS

    path = tmp_path / DB_NAME
    con = sqlite3.connect(path)
    for step in MIGRATIONS[:2]:
        for stmt in step:
            con.execute(stmt)
    doc = SessionRecord(id="old", started_at="2026-01-01T10:00:00+00:00", exercise="bridge").doc()
    con.execute(
        "INSERT INTO sessions (id, started_at, updated_at, exercise, mode, lang, reps, doc) "
        "VALUES ('old', '2026-01-01', '2026-01-01', 'bridge', 'coach', 'nl', 0, ?)",
        (json.dumps(doc),),
    )
    con.execute("PRAGMA user_version = 2")
    con.commit()
    con.close()
    assert SCHEMA_VERSION == 3
    tr = TrackingStore(SessionStore(tmp_path))
    _begin(tr)
    assert [r.id for r in SessionStore(tmp_path).recent()] == ["old"]
    assert len(tr.sessions()) == 1
