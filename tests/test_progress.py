"""Progress numbers from a history filled by the test (three test-dated weeks of a programme), the CSV, the
HTML report, and the progress file's export and re-import (a corrupt file is a clear message)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, date, timedelta
from pathlib import Path

import pytest

from formcheck.analysis.progress import compute_progress, fault_trend, trend
from formcheck.analysis.progress_report import charts, progress_html, trend_sentences, week_rows
from formcheck.core.programme import plan_for
from formcheck.store.export import ProgressFileError, progress_csv, progress_file, read_progress_file
from formcheck.store.history import SessionRecord, SessionStore
from formcheck.store.programme import parse_programme_text, programme_to_toml
from formcheck.store.tracking import TrackingStore

PROG = """
schema = 1
title = "Drie weken"
weeks = 3
days_per_week = 3
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
START = date(2026, 3, 2)  # a Monday; sessions on offsets 0, 2 and 5: Mon, Wed, Sat
TODAY = date(2026, 3, 18)  # a Wednesday of week 3, before today's session
#: The days the test patient did a session, with pain before/after (None: not given) and whether the
#: bridge still showed the fault.
DONE = {
    date(2026, 3, 2): (6, 5, True),
    date(2026, 3, 7): (5, 5, True),
    date(2026, 3, 9): (4, None, False),
    date(2026, 3, 11): (4, None, False),
    date(2026, 3, 16): (3, 2, False),
}
FAULT = "hips_not_high"


def _rep(i: int, score: float, faults: list[str], hold: float | None = None) -> dict:
    return {
        "index": i,
        "start_s": float(i),
        "end_s": i + 1.0,
        "score": score,
        "faults": faults,
        "hold_s": hold,
    }


def _fill(folder: Path) -> TrackingStore:
    """The test patient's three weeks, written through the stores as the app writes them."""
    store = SessionStore(folder)
    tr = TrackingStore(store)
    prog = parse_programme_text(PROG, "p.toml", exercises=("bridge", "cat_cow"))
    pid = tr.add_programme(programme_to_toml(prog), "Drie weken", START)
    for day, (before, after, faulty) in DONE.items():
        plan = plan_for(prog, START, day)
        assert plan.session_day, day
        ps = tr.begin_session(pid, day, plan.week, plan.sets, before)
        records: dict[str, SessionRecord] = {}
        for seq, s in enumerate(plan.sets):
            rec = records.get(s.exercise)
            if rec is None:
                rec = records[s.exercise] = SessionRecord(
                    id=f"{day}-{s.exercise}", started_at=f"{day}T10:0{seq}:00+00:00", exercise=s.exercise
                )
            rep_from = len(rec.reps)
            tr.start_set(ps.id, seq, rec.id, rep_from)
            for _ in range(s.reps):
                if s.exercise == "bridge":
                    rep = _rep(len(rec.reps) + 1, 60.0 if faulty else 85.0, [FAULT] if faulty else [], 6.0)
                else:
                    rep = _rep(len(rec.reps) + 1, 90.0, [])
                rec.reps.append(rep)
                store.add_rep(rec)
                tr.count_rep(ps.id, seq, len(rec.reps) - rep_from)
            tr.finish_set(ps.id, seq, s.reps)
            store.save(rec)
        tr.set_pain(ps.id, after=after)
        tr.end_session(ps.id)
    # One free bridge session outside the programme (week 2), with its own pain score.
    free = SessionRecord(id="free", started_at="2026-03-12T18:00:00+00:00", exercise="bridge", pain_before=4)
    free.reps = [_rep(i + 1, 80.0, []) for i in range(3)]
    store.save(free)
    # A demonstration (physio mode) is not the patient's progress.
    store.save(
        SessionRecord(id="demo", started_at="2026-03-12T19:00:00+00:00", exercise="lifting", mode="demo")
    )
    tr.name_psk_activities(["Sokken aantrekken", "Fietsen"])
    for day, scores in (
        (date(2026, 3, 3), {1: 8, 2: 6}),
        (date(2026, 3, 10), {1: 6, 2: 6}),
        (date(2026, 3, 17), {1: 4, 2: 5}),
    ):
        tr.rate_psk(day, scores)
    return tr


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> TrackingStore:
    """The test patient's history, filled once for the module (the tests only read it)."""
    return _fill(tmp_path_factory.mktemp("patient"))


def test_progress_numbers_from_a_filled_history(filled: TrackingStore) -> None:
    data = filled.progress_data()
    p = compute_progress(data, TODAY, UTC)
    assert p.anchor == START
    # Sessions done of planned, per week: planned days before today (today only once done).
    got = [(w.week, w.start, w.planned, w.done, w.free) for w in p.weeks]
    assert got == [
        (1, START, 3, 2, 0),
        (2, START + timedelta(days=7), 3, 2, 1),
        (3, START + timedelta(days=14), 1, 1, 0),
    ]
    assert (p.sessions_planned, p.sessions_done) == (7, 5)
    # Pain: the programme sessions' scores and the free session's, per week.
    assert [(w.pain_before, w.pain_after) for w in p.weeks] == [(5.5, 5.0), (4.0, None), (3.0, 2.0)]
    assert (p.pain_before.first, p.pain_before.last, p.pain_before.verdict) == (5.5, 3.0, "down")
    assert (p.pain_after.change, p.pain_after.verdict) == (-3.0, "down")
    # Per exercise and week: sets and reps done of planned, reps counted (free session included).
    bridge = {e.week: e for e in p.exercises if e.exercise == "bridge"}
    assert [(bridge[w].sets_done, bridge[w].sets_planned) for w in (1, 2, 3)] == [(4, 4), (4, 4), (2, 2)]
    assert [(bridge[w].reps_done, bridge[w].reps_planned, bridge[w].reps) for w in (1, 2, 3)] == [
        (12, 12, 12),
        (12, 12, 15),
        (6, 6, 6),
    ]
    assert bridge[1].holds == 12 and bridge[1].hold_mean_s == 6.0 and bridge[2].holds == 12
    assert bridge[1].score == 60.0 and bridge[1].top_fault == FAULT and bridge[3].top_fault is None
    assert bridge[2].score == pytest.approx((12 * 85 + 3 * 80) / 15)
    # Form score trend and the most frequent fault fading.
    assert p.score_trend["bridge"].verdict == "up" and p.score_trend["cat_cow"].verdict == "same"
    ft = p.faults["bridge"]
    assert (ft.code, ft.count, ft.verdict) == (FAULT, 12, "fading")
    assert p.faults["cat_cow"].verdict == "none"
    # PSK: the week's scores and their trend (4 points down is a change, 1 point is not).
    assert [w.psk for w in p.weeks] == [
        {"Sokken aantrekken": 8, "Fietsen": 6},
        {"Sokken aantrekken": 6, "Fietsen": 6},
        {"Sokken aantrekken": 4, "Fietsen": 5},
    ]
    assert p.psk["Sokken aantrekken"].verdict == "down" and p.psk["Fietsen"].verdict == "same"
    # Demonstrations are not counted anywhere.
    assert all(e.exercise != "lifting" for e in p.exercises)


def test_trend_and_fault_rules_at_their_thresholds() -> None:
    assert trend({1: 5.0, 2: 3.0}, 2.0).verdict == "down"
    assert trend({1: 5.0, 2: 3.5}, 2.0).verdict == "same"
    assert trend({1: 5.0}, 2.0).verdict == "too_few"
    assert trend({}, 2.0).verdict == "too_few"
    reps = [{"faults": ["a"]}] * 6 + [{"faults": []}] * 6
    assert fault_trend("x", reps).verdict == "fading"
    assert fault_trend("x", list(reversed(reps))).verdict == "growing"
    assert fault_trend("x", reps[:8]).verdict == "too_few"
    assert fault_trend("x", [{"faults": ["a"]}, {"faults": []}] * 6).verdict == "steady"


def test_nothing_stored_gives_empty_progress(tmp_path: Path) -> None:
    p = compute_progress(TrackingStore(SessionStore(tmp_path)).progress_data(), TODAY)
    assert p.weeks == () and p.sessions_planned == 0 and p.pain_before.verdict == "too_few"
    assert not list(tmp_path.iterdir())  # reading created no file


def test_csv_has_every_session_and_rep_with_its_plan(filled: TrackingStore) -> None:
    data = filled.progress_data()
    rows = list(csv.DictReader(io.StringIO(progress_csv(data, UTC))))
    reps = sum(len(s.reps) for s in data.sessions)
    assert len(rows) == reps + 1  # the demo session has no reps: one row of its own
    first = next(r for r in rows if r["session_id"] == "2026-03-02-bridge" and r["rep"] == "4")
    assert first["programme"] == "Drie weken" and first["set"] == "2" and first["planned_reps"] == "3"
    assert first["pain_before"] == "6" and first["pain_after"] == "5" and first["faults"] == FAULT
    free = [r for r in rows if r["session_id"] == "free"]
    assert len(free) == 3 and free[0]["programme"] == "" and free[0]["pain_before"] == "4"


def test_progress_file_round_trip_gives_the_physio_the_same_page(
    filled: TrackingStore, tmp_path: Path
) -> None:
    data = filled.progress_data()
    raw = progress_file(data)
    path = tmp_path / "progress.json"
    path.write_bytes(raw)
    back = read_progress_file(path.read_bytes(), path.name)
    assert compute_progress(back, TODAY, UTC) == compute_progress(data, TODAY, UTC)
    assert progress_csv(back, UTC) == progress_csv(data, UTC)
    # Opening it wrote nothing: the folder holds the file alone.
    assert [f.name for f in tmp_path.iterdir()] == ["progress.json"]


def _resealed(doc: dict) -> bytes:
    """``doc`` with its checksum recomputed (a file damaged in a way the checksum cannot see)."""
    canon = json.dumps(doc["data"], ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    doc["sha256"] = hashlib.sha256(canon).hexdigest()
    return json.dumps(doc).encode()


def test_a_corrupt_progress_file_is_a_clear_one_line_message(filled: TrackingStore) -> None:
    raw = progress_file(filled.progress_data())
    doc = json.loads(raw)

    def error(content: bytes) -> str:
        with pytest.raises(ProgressFileError) as e:
            read_progress_file(content, "patient.json")
        msg = str(e.value)
        assert "\n" not in msg and msg.startswith("patient.json: "), msg
        return msg

    assert "cut short or damaged" in error(raw[: len(raw) // 2])
    assert "not text" in error(b"\xff\xfe\x00\x01")
    assert "not a formcheck progress file" in error(b'{"hello": 1}')
    changed = raw.replace(b'"score": 85.0', b'"score": 99.0', 1)
    assert changed != raw and "checksum" in error(changed)
    assert "newer formcheck" in error(json.dumps({**doc, "version": 99}).encode())
    bad = json.loads(raw)
    bad["data"]["plan_sessions"][1]["pain_before"] = "four"
    assert "data.plan_sessions[1].pain_before: expected a whole number" in error(_resealed(bad))
    bad = json.loads(raw)
    bad["data"]["psk"][0]["score"] = 12
    assert "data.psk[0].score: expected 0 to 10" in error(_resealed(bad))
    bad = json.loads(raw)
    del bad["data"]["sessions"][0]["exercise"]
    assert "data.sessions[0].exercise: missing" in error(_resealed(bad))


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_html_report_is_self_contained_and_says_the_trends(filled: TrackingStore, lang: str) -> None:
    data = filled.progress_data()
    p = compute_progress(data, TODAY, UTC)
    page = progress_html(p, lang, TODAY, heading="Patiënt A")
    for external in ("http:", "https:", "//", "<link", "<script", "src=", "url(", "@import"):
        assert external not in page.replace("<!DOCTYPE html>", ""), external
    assert page.count("<svg") == 4 and "@media print" in page
    for sentence in trend_sentences(p, lang):
        assert sentence.replace("'", "&#x27;") in page, sentence
    # The sentences say what the numbers say, in the page's language.
    words = {"nl": ("lager", "steeds minder vaak"), "en": ("lower", "less and less often")}[lang]
    assert all(any(w in s for s in trend_sentences(p, lang)) for w in words)
    assert len(week_rows(p, lang)) == 3 and len(charts(p, lang)) == 4
