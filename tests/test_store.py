"""Session history: saving never loses earlier sessions; bad files give one-line errors."""

from __future__ import annotations

import math
import sqlite3
import threading
from pathlib import Path
from unittest import mock

import pytest

from formcheck.engine import RepRecord
from formcheck.store import DB_NAME, SessionRecord, SessionStore, StoreError, data_dir, rep_to_dict


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
        mock.patch("formcheck.store.json.dumps", side_effect=ValueError("Out of range float values")),
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
    assert "\n" not in str(e.value) and "damaged" in str(e.value)
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
