"""Session history: saving never loses earlier sessions; bad files give one-line errors."""

from __future__ import annotations

import json
import math
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from formcheck.core.engine import RepRecord
from formcheck.store import history as store_mod
from formcheck.store.history import (
    DB_NAME,
    SCHEMA_VERSION,
    SessionRecord,
    SessionStore,
    StoreError,
    data_dir,
    rep_to_dict,
)


def _rep(i: int, score: float = 80.0) -> RepRecord:
    return RepRecord(
        index=i,
        start_s=1.0 * i,
        turn_s=1.0 * i + 0.5,
        end_s=1.0 * i + 1.0,
        peaks={"hip_angle": 175.0, "knee_angle": math.nan},
        rom={"hip_angle": (130.0, 176.0)},
        hold_s=5.2,
        tempo_s={"lowered_fast": 0.8},
        faults=("hips_not_high",),
        score=score,
        technique=None,
        reba=None,
    )


def _record(sid: str, reps: int = 2) -> SessionRecord:
    return SessionRecord(
        id=sid,
        started_at=f"2025-01-0{1 + len(sid) % 8}T10:00:00+00:00",
        exercise="bridge",
        pain_before=3,
        reps=[rep_to_dict(_rep(i + 1)) for i in range(reps)],
        series=[[0.0, 130.0, math.nan], [0.1, 131.0, 80.0]],
        series_features=["hip_angle", "knee_angle"],
    )


def _msg(e: pytest.ExceptionInfo[StoreError], folder: Path) -> str:
    """The error's text without the folder's path (test folders are named after the tests)."""
    text = str(e.value)
    assert "\n" not in text, text
    return text.replace(str(folder), "<folder>")


def test_data_dir_honours_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path / "x"))
    assert data_dir() == tmp_path / "x"
    monkeypatch.delenv("FORMCHECK_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "formcheck"


def test_rep_to_dict_is_json_ready() -> None:
    d = rep_to_dict(_rep(1))
    assert d["faults"] == ["hips_not_high"]
    assert d["peaks"]["knee_angle"] is None  # NaN is not valid JSON
    assert d["rom"]["hip_angle"] == [130.0, 176.0]


def test_save_and_read_back_round_trip(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    rec = _record("a1")
    store.save(rec)
    back = store.get("a1")
    assert back is not None
    assert back.reps == rec.doc()["reps"]
    assert back.series[0][2] is None
    assert back.pain_before == 3 and back.series_features == ["hip_angle", "knee_angle"]
    assert store.count() == 1


def test_upsert_updates_one_session_and_keeps_the_others(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    store.save(_record("old", reps=3))
    live = _record("live", reps=1)
    store.save(live)
    live.reps.append(rep_to_dict(_rep(2)))
    live.pain_after = 4
    live.ended_at = "2025-01-02T10:05:00+00:00"
    store.save(live)
    assert store.count() == 2
    assert len(store.get("old").reps) == 3  # type: ignore[union-attr]
    again = store.get("live")
    assert again is not None and len(again.reps) == 2 and again.pain_after == 4 and again.ended_at


def test_failed_write_rolls_back_and_keeps_earlier_sessions(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    store.save(_record("keep"))
    bad = _record("bad")
    bad.reps.append({"x": object()})  # not JSON-serialisable: fails before anything is written
    with pytest.raises(StoreError) as e:
        store.save(bad)
    assert "\n" not in str(e.value)
    assert [r.id for r in store.recent()] == ["keep"]


def test_json_value_error_is_a_store_error_and_keeps_earlier_sessions(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    store.save(_record("keep"))
    bad = _record("bad")
    with (
        mock.patch("formcheck.store.history.json.dumps", side_effect=ValueError("Out of range float values")),
        pytest.raises(StoreError) as e,
    ):
        store.save(bad)
    assert "\n" not in str(e.value)
    assert [r.id for r in store.recent()] == ["keep"]


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    stores = [SessionStore(tmp_path) for _ in range(4)]

    def work(k: int) -> None:
        for i in range(10):
            stores[k].save(_record(f"s{k}-{i}", reps=1))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert stores[0].count() == 40


def test_damaged_file_is_a_one_line_error_and_is_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / DB_NAME
    path.write_bytes(b"this is not sqlite at all" * 100)
    store = SessionStore(tmp_path)
    with pytest.raises(StoreError) as e:
        store.save(_record("x"))
    assert "damaged" in _msg(e, tmp_path)
    with pytest.raises(StoreError):
        store.recent()
    assert path.read_bytes().startswith(b"this is not sqlite")


def test_unwritable_folder_is_a_one_line_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    store = SessionStore(blocker / "sub")
    with pytest.raises(StoreError) as e:
        store.save(_record("x"))
    assert "\n" not in str(e.value)


def test_empty_store_reads_without_creating_files(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "none")
    assert store.recent() == [] and store.get("x") is None
    assert not (tmp_path / "none").exists()


def test_unreadable_row_does_not_hide_the_others(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    store.save(_record("good"))
    con = sqlite3.connect(tmp_path / DB_NAME)
    con.execute(
        "INSERT INTO sessions (id, started_at, updated_at, exercise, mode, lang, reps, doc) "
        "VALUES ('junk', '2030-01-01', '2030-01-01', 'bridge', 'coach', 'nl', 0, '{not json')"
    )
    con.commit()
    con.close()
    assert [r.id for r in store.recent()] == ["good"]


def test_delete_one_and_delete_all(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    for sid in ("a", "bb", "ccc"):
        store.save(_record(sid))
    assert store.delete("bb") is True
    assert store.delete("nope") is False
    assert sorted(r.id for r in store.recent()) == ["a", "ccc"]
    assert store.delete_all() == 2
    assert store.count() == 0 and store.recent() == [] and store.get("a") is None
    store.save(_record("new"))  # the store still works afterwards
    assert [r.id for r in store.recent()] == ["new"]


def test_delete_all_leaves_no_trace_of_the_sessions_in_the_files(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    for i in range(5):
        rec = _record(f"s{i}")
        rec.notes.append("PRIVATE-NOTE-7f3a" * 20)
        store.save(rec)
    assert store.delete_all() == 5
    for f in tmp_path.iterdir():
        assert b"PRIVATE-NOTE-7f3a" not in f.read_bytes(), f.name


def test_delete_all_on_a_missing_history_creates_nothing(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "none")
    assert store.delete_all() == 0 and store.delete("x") is False
    assert not (tmp_path / "none").exists()


# ---------------------------------------------------------------------------------- schema versions
#
# tests/data/history_v1.sqlite was written by formcheck 0.1's store (commit 1dd7377, schema version 1, every
# rep inside its session's JSON document) through its public API: four sessions (5, 3, 1 and 0 reps; one
# never ended, one updated after it ended, non-ASCII notes, NaN values) plus one row whose document is not
# JSON, inserted with plain SQL. The tests read the expected content from the file itself, with plain
# sqlite3, before the store upgrades a copy of it.

V1_FILE = Path(__file__).resolve().parent / "data" / "history_v1.sqlite"


def _v1_copy(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / DB_NAME
    path.write_bytes(V1_FILE.read_bytes())
    return path


def _raw_rows(path: Path) -> dict[str, tuple[Any, ...]]:
    """Every ``sessions`` row of the file by id, read with plain sqlite3 (``id`` -> the other columns)."""
    con = sqlite3.connect(path)
    try:
        cols = [r[1] for r in con.execute("PRAGMA table_info(sessions)")]
        rows = con.execute(f"SELECT {', '.join(cols)} FROM sessions").fetchall()
    finally:
        con.close()
    return {r[0]: dict(zip(cols, r, strict=True)) for r in rows}  # type: ignore[misc]


def _user_version(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        return int(con.execute("PRAGMA user_version").fetchone()[0])
    finally:
        con.close()


def _folder_bytes(folder: Path) -> dict[str, bytes]:
    return {f.name: f.read_bytes() for f in sorted(folder.iterdir())}


def test_v1_file_written_by_0_1_upgrades_with_every_session_and_rep_intact(tmp_path: Path) -> None:
    path = _v1_copy(tmp_path)
    assert _user_version(path) == 1
    before = _raw_rows(path)
    docs = {sid: json.loads(r["doc"]) for sid, r in before.items() if r["doc"].startswith('{"')}
    assert len(docs) == 4 and sum(len(d["reps"]) for d in docs.values()) == 9  # the fixture is what we think

    store = SessionStore(tmp_path)
    assert store.count() == len(before)
    assert _user_version(path) == SCHEMA_VERSION > 1
    for sid, doc in docs.items():
        back = store.get(sid)
        assert back is not None, sid
        assert back.doc() == doc, sid  # every field of the session, every rep, in order
    assert sorted(r.id for r in store.recent()) == sorted(docs)  # the unreadable row is skipped, not lost
    after = _raw_rows(path)
    assert after["junk"]["doc"] == before["junk"]["doc"]
    for sid in before:  # the columns the history list sorts and filters by are unchanged
        for col in ("started_at", "updated_at", "ended_at", "exercise", "mode", "lang", "reps", "pain_after"):
            assert after[sid][col] == before[sid][col], (sid, col)

    # The upgraded file is an ordinary current one: new sessions and reps land beside the old ones.
    rec = store.get("a" * 32)
    assert rec is not None
    rec.reps.append(rep_to_dict(_rep(6)))
    store.add_rep(rec)
    store.save(_record("new"))
    again = store.get("a" * 32)
    assert again is not None and len(again.reps) == 6 and again.reps[:5] == docs["a" * 32]["reps"]
    assert store.count() == len(before) + 1


def test_v1_file_upgrades_once_when_two_tabs_open_it_at_the_same_time(tmp_path: Path) -> None:
    _v1_copy(tmp_path)
    stores = [SessionStore(tmp_path) for _ in range(4)]
    errors: list[BaseException] = []

    def work(s: SessionStore) -> None:
        try:
            s.recent()
        except BaseException as e:  # collected for the assertion below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(s,)) for s in stores]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert [len(r.reps) for r in stores[0].recent()] == [0, 1, 3, 5]


def test_file_restamped_by_0_1_after_the_upgrade_upgrades_again_without_loss(tmp_path: Path) -> None:
    path = _v1_copy(tmp_path)
    store = SessionStore(tmp_path)
    store.save(_record("v2", reps=2))
    con = sqlite3.connect(path)  # what 0.1 does when it opens the file: stamp 1, write reps in the document
    v1_doc = _record("v1late", reps=3).doc()
    con.execute(
        "INSERT INTO sessions (id, started_at, updated_at, exercise, mode, lang, reps, doc) "
        "VALUES ('v1late', '2026-12-01', '2026-12-01', 'bridge', 'coach', 'nl', 3, ?)",
        (json.dumps(v1_doc),),
    )
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    assert len(store.get("v2").reps) == 2  # type: ignore[union-attr]
    late = store.get("v1late")
    assert late is not None and late.doc() == v1_doc
    assert _user_version(path) == SCHEMA_VERSION and len(store.get("a" * 32).reps) == 5  # type: ignore[union-attr]


def test_newer_file_is_refused_and_left_byte_identical(tmp_path: Path) -> None:
    path = _v1_copy(tmp_path)
    SessionStore(tmp_path).count()  # upgrade to today's version, then pretend a newer formcheck wrote it
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.execute("CREATE TABLE from_the_future (x)")
    con.commit()
    con.close()
    before = _folder_bytes(tmp_path)
    store = SessionStore(tmp_path)
    rec = _record("x", reps=1)
    calls: list[Callable[[], object]] = [
        store.recent,
        store.count,
        lambda: store.get("a" * 32),
        lambda: store.save(rec),
        lambda: store.add_rep(rec),
        lambda: store.delete("a" * 32),
        store.delete_all,
    ]
    for call in calls:
        with pytest.raises(StoreError) as e:
            call()
        msg = _msg(e, tmp_path)
        assert "newer formcheck" in msg and str(SCHEMA_VERSION + 1) in msg, msg
        assert _folder_bytes(tmp_path) == before


@pytest.mark.parametrize("where", ["header", "page"])
def test_damaged_file_is_refused_and_left_byte_identical(tmp_path: Path, where: str) -> None:
    path = _v1_copy(tmp_path)
    data = bytearray(path.read_bytes())
    if where == "header":
        data[:16] = b"not a database!\0"
    else:  # page 2 (the sessions table's root) overwritten: the file's header and version look fine
        data[4096:8192] = bytes(range(256)) * 16
    path.write_bytes(bytes(data))
    before = _folder_bytes(tmp_path)
    store = SessionStore(tmp_path)
    for call in (store.recent, lambda: store.save(_record("x")), store.delete_all):
        with pytest.raises(StoreError) as e:
            call()
        assert "damaged" in _msg(e, tmp_path)
        assert _folder_bytes(tmp_path) == before


def test_sqlite_file_of_another_program_is_refused_and_left_alone(tmp_path: Path) -> None:
    con = sqlite3.connect(tmp_path / DB_NAME)
    con.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
    con.commit()
    con.close()
    before = _folder_bytes(tmp_path)
    with pytest.raises(StoreError) as e:
        SessionStore(tmp_path).save(_record("x"))
    assert "not a formcheck database" in _msg(e, tmp_path)
    assert _folder_bytes(tmp_path) == before


def test_failed_migration_step_leaves_the_file_at_its_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _v1_copy(tmp_path)
    SessionStore(tmp_path).count()
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    before = _folder_bytes(tmp_path)
    broken = ("CREATE TABLE half_done (x)", "ALTER TABLE no_such_table ADD COLUMN y")
    monkeypatch.setattr(store_mod, "MIGRATIONS", (*store_mod.MIGRATIONS, broken))
    with pytest.raises(StoreError) as e:
        SessionStore(tmp_path).recent()
    msg = _msg(e, tmp_path)
    assert f"from schema version {SCHEMA_VERSION} to {SCHEMA_VERSION + 1}" in msg and "\n" not in msg, msg
    assert _folder_bytes(tmp_path) == before  # the first statement of the step was rolled back too
    monkeypatch.undo()
    assert SessionStore(tmp_path).count() == 5


def test_migration_steps_apply_in_order_each_with_its_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SessionStore(tmp_path)
    store.save(_record("s", reps=2))
    monkeypatch.setattr(
        store_mod,
        "MIGRATIONS",
        (
            *store_mod.MIGRATIONS,
            (
                "CREATE TABLE step_a (v INTEGER)",
                "INSERT INTO step_a SELECT user_version FROM pragma_user_version",
            ),
            (
                "CREATE TABLE step_b (v INTEGER)",
                "INSERT INTO step_b SELECT user_version FROM pragma_user_version",
            ),
        ),
    )
    assert store.count() == 1
    con = sqlite3.connect(tmp_path / DB_NAME)
    seen = [con.execute(f"SELECT v FROM step_{k}").fetchone()[0] for k in "ab"]
    version = con.execute("PRAGMA user_version").fetchone()[0]
    con.close()
    assert seen == [SCHEMA_VERSION, SCHEMA_VERSION + 1] and version == SCHEMA_VERSION + 2
    assert len(store.get("s").reps) == 2  # type: ignore[union-attr]


def test_fresh_file_gets_the_current_version_and_wal(tmp_path: Path) -> None:
    SessionStore(tmp_path).save(_record("x"))
    con = sqlite3.connect(tmp_path / DB_NAME)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    con.close()


# ---------------------------------------------------------------------------------- locks and crashes


def test_locked_file_is_a_one_line_busy_error_and_keeps_the_other_writers_data(tmp_path: Path) -> None:
    store = SessionStore(tmp_path, busy_timeout_s=0.2)
    store.save(_record("first"))
    other = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute(
        "INSERT INTO sessions (id, started_at, updated_at, exercise, mode, lang, reps, doc) "
        "VALUES ('other', '2026-01-01', '2026-01-01', 'bridge', 'coach', 'nl', 0, ?)",
        (json.dumps(_record("other", reps=0).doc()),),
    )
    with pytest.raises(StoreError) as e:
        store.save(_record("blocked"))
    assert "busy" in _msg(e, tmp_path)
    other.execute("COMMIT")
    other.close()
    store.save(_record("later"))
    assert sorted(r.id for r in store.recent()) == ["first", "later", "other"]


def test_v1_file_locked_during_the_upgrade_stays_v1(tmp_path: Path) -> None:
    path = _v1_copy(tmp_path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError) as e:
            SessionStore(tmp_path, busy_timeout_s=0.2).recent()
        assert "busy" in _msg(e, tmp_path)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert _user_version(path) == 1
    assert SessionStore(tmp_path).count() == 5 and _user_version(path) == SCHEMA_VERSION


def test_add_rep_commits_one_rep_that_an_older_snapshot_cannot_take_back(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    rec = _record("live", reps=0)
    rec.reps.append(rep_to_dict(_rep(1)))
    store.add_rep(rec)  # not stored yet: the whole record is saved
    old_snapshot = SessionRecord.from_doc(rec.doc())
    rec.reps.append(rep_to_dict(_rep(2, score=55.0)))
    store.add_rep(rec)
    store.add_rep(rec)  # again: nothing changes
    store.save(old_snapshot)  # a save queued before the second rep
    back = store.get("live")
    assert back is not None and back.reps == rec.doc()["reps"]
    assert _raw_rows(tmp_path / DB_NAME)["live"]["reps"] == 2
    with pytest.raises(StoreError):
        store.add_rep(_record("empty", reps=0))


def test_reps_committed_by_add_rep_survive_a_killed_process(tmp_path: Path) -> None:
    child = textwrap.dedent(
        f"""
        import os, signal
        from formcheck.store.history import SessionRecord, SessionStore
        store = SessionStore({str(tmp_path)!r})
        rec = SessionRecord(id="killed", started_at="2026-01-01T10:00:00+00:00", exercise="bridge")
        for i in range(3):
            rec.reps.append({{"index": i + 1, "score": 70.0 + i}})
            store.add_rep(rec)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    back = SessionStore(tmp_path).get("killed")
    assert back is not None and [r["index"] for r in back.reps] == [1, 2, 3] and back.ended_at is None
