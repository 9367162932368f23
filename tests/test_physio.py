"""The physio page's video analysis (issue 9, point 1): the pure helpers, the upload workspace, the page in
``AppTest`` (with a stand-in for the analysis child, and with the real child for bad input), and the upload
limit that ``make run`` and the tests share. The real child on real clips is in ``test_videojob.py``; the
whole flow in a browser in ``test_browser_physio.py``.
"""

from __future__ import annotations

import gc
import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from unittest import mock

import numpy as np
import pytest
from conftest import load_trace
from streamlit.testing.v1 import AppTest

from formcheck.analysis.analyze import analyze_trace
from formcheck.core.messages import message
from formcheck.core.templates import load_template
from formcheck.webapp import videojob
from formcheck.webapp import videoresult as vr
from formcheck.webapp.nav import page_path
from formcheck.webapp.workspace import PREFIX, Workspace, sweep_orphans, upload_name

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
#: A committed trace of a lifting clip with faults (no model needed).
LIFT = "bichraix_bad006"


@pytest.fixture(scope="module")
def lift_doc() -> dict[str, Any]:
    a = analyze_trace(load_trace(LIFT), load_template("lifting"), "nl")
    doc = a.to_json()
    assert doc["reps"] >= 1 and any(r["faults"] for r in doc["rep_details"]), (
        "the fixture needs a faulty lift"
    )
    return doc


# ------------------------------------------------------------------------------------------ pure helpers


def test_progress_only_moves_forward_through_the_stages() -> None:
    events = [
        {"event": "probe"},
        *({"event": "pose", "done": d, "total": 90} for d in (10, 50, 90)),
        {"event": "choose"},
        *({"event": "report", "fraction": f} for f in (0.2, 1.0)),
        *({"event": "draw", "done": d, "total": 90} for d in (10, 90)),
        {"event": "done"},
    ]
    fracs = [p[0] for e in events if (p := vr.progress_of(e, "en")) is not None]
    assert fracs == sorted(fracs) and fracs[0] == 0.0 and fracs[-1] == 1.0
    assert vr.progress_of({"event": "pose", "done": 50, "total": 90}, "nl")[1] == message(
        "upload_progress_pose", "nl"
    ).format(done=50, total=90)
    assert vr.progress_of({"event": "note"}, "nl") is None


@pytest.mark.parametrize("code", ["upload_not_video", "upload_no_frames", "upload_failed", "weird"])
def test_a_job_error_is_one_line_in_the_page_language(code: str) -> None:
    ev = {"event": "error", "code": code, "detail": "/tmp/formcheck-upload-1-x/upload.mp4 is not a video."}
    for lang in ("nl", "en"):
        text = vr.error_text(ev, lang)
        assert "\n" not in text and "Traceback" not in text and text.strip()
    if code in ("upload_not_video", "upload_no_frames"):  # the user's words, not the path of the temp file
        assert vr.error_text(ev, "nl") == message(code, "nl")


def test_rep_rows_say_times_scores_technique_and_faults_in_words(lift_doc: dict[str, Any]) -> None:
    tpl = load_template("lifting")
    for lang in ("nl", "en"):
        rows = vr.rep_rows(lift_doc, tpl, lang)
        assert len(rows) == lift_doc["reps"]
        for row, rep in zip(rows, lift_doc["rep_details"], strict=True):
            assert row[message("col_start", lang)] == round(rep["start_s"], 1)
            assert row[message("col_end", lang)] == round(rep["end_s"], 1)
            assert row[message("col_score", lang)] == round(rep["score"])
            faults = row[message("col_faults", lang)]
            for code in rep["faults"]:
                assert code not in faults  # words, not codes
                assert tpl.fault_cue(code).get(lang) in faults  # type: ignore[union-attr]
            assert row[message("col_technique", lang)]
    assert vr.rep_rows(lift_doc, tpl, "nl")[0].keys() != vr.rep_rows(lift_doc, tpl, "en")[0].keys()


def test_chart_data_shades_the_reps_marks_the_faults_and_stays_small(lift_doc: dict[str, Any]) -> None:
    tpl = load_template("lifting")
    a = analyze_trace(load_trace(LIFT), tpl, "nl")
    feats = vr.key_features(tpl, lift_doc, list(a.features))
    assert feats[: len(tpl.display)] == list(tpl.display)
    faulty = {f.feature for f in tpl.faults if any(f.code in r["faults"] for r in lift_doc["rep_details"])}
    assert faulty <= set(feats)
    sc = vr.series_chart(a.trace.times, a.features, lift_doc, tpl, "en", feats, max_points=100)
    for f in feats:
        pts = [p for p in sc.lines if p["feature"] == f]
        assert 0 < len(pts) <= 100
        assert all(p["value"] is None or np.isfinite(p["value"]) for p in pts)
    assert [(r["start"], r["end"]) for r in sc.reps] == [
        (r["start_s"], r["end_s"]) for r in lift_doc["rep_details"]
    ]
    n_faults = sum(len(r["faults"]) for r in lift_doc["rep_details"])
    assert len(sc.faults) == n_faults and all(m["fault"] and "_" not in m["fault"] for m in sc.faults)
    assert sc.titles["knee_flexion"].endswith("(°)")


def test_a_per_leg_exercise_says_the_leg_and_plots_both_legs() -> None:
    tpl = load_template("knee_to_chest")
    a = analyze_trace(load_trace("hpy_fitbod_knee_to_chest"), tpl, "en")
    doc = a.to_json()
    assert doc["reps"] >= 1 and all(r.get("side") in ("left", "right") for r in doc["rep_details"])
    rows = vr.rep_rows(doc, tpl, "nl")
    assert {r[message("col_leg", "nl")] for r in rows} <= {
        message("side_left", "nl"),
        message("side_right", "nl"),
    }
    feats = vr.key_features(tpl, doc, list(a.features))
    assert {"hip_flexion_left", "hip_flexion_right"} <= set(feats) and not any("{" in f for f in feats)


def test_the_choice_is_shown_in_words() -> None:
    counts = [{"exercise": "bridge", "reps": 3}, {"exercise": "pelvic_tilt", "reps": 9}]
    choice: dict[str, Any] = {"by": "formcheck", "suggested": "bridge", "contenders": ["bridge"]}
    doc: dict[str, Any] = {
        "exercise": "bridge",
        "reps": 3,
        "exercise_choice": {**choice, "candidates": counts},
    }
    lines = vr.choice_lines(doc, str.upper, "en")
    assert "BRIDGE" in lines[0] and "3" in lines[0] and "PELVIC_TILT 9" in lines[1] and vr.decided(doc)
    doc["exercise_choice"].update(suggested=None, contenders=["pelvic_tilt", "bridge"])
    (unsure,) = vr.choice_lines(doc, str.upper, "nl")
    assert "PELVIC_TILT (9), BRIDGE (3)" in unsure and not vr.decided(doc)
    doc["exercise_choice"]["contenders"] = []
    assert vr.choice_lines(doc, str.upper, "nl") == [message("choice_none", "nl")]
    doc["exercise_choice"]["by"] = "physio"
    assert vr.choice_lines(doc, str.upper, "en") == [message("choice_physio", "en").format(exercise="BRIDGE")]
    assert vr.decided(doc)


# ------------------------------------------------------------------------------------------ workspace


def test_workspace_is_private_and_gone_when_closed(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    assert ws.path.name.startswith(f"{PREFIX}{os.getpid()}-") and (ws.path.stat().st_mode & 0o777) == 0o700
    d = ws.job_dir("job1")
    (d / "result.json").write_text("{}")
    (ws.path / "upload.mp4").write_bytes(b"x")
    ws.clear()
    assert ws.path.is_dir() and not any(ws.path.iterdir())
    ws.job_dir("job2")
    ws.close()
    ws.close()  # twice is fine
    assert ws.closed and not ws.path.exists()
    with pytest.raises(OSError):
        ws.job_dir("job3")


def test_a_dropped_workspace_is_removed(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    path = ws.path
    (path / "upload.mp4").write_bytes(b"x" * 1000)
    del ws
    gc.collect()
    assert not path.exists()


def test_leftovers_of_a_killed_server_are_swept_and_live_ones_kept(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    old = tmp_path / f"{PREFIX}{dead.pid}-abc"
    (old / "job1").mkdir(parents=True)
    (old / "upload.mp4").write_bytes(b"x")
    mine = Workspace(tmp_path)
    other = tmp_path / "unrelated"
    other.mkdir()
    assert sweep_orphans(tmp_path) == [old]
    assert not old.exists() and mine.path.is_dir() and other.is_dir()
    mine.close()


def test_an_upload_is_stored_under_a_name_of_our_own() -> None:
    assert upload_name("../../etc/passwd.MOV", vr.VIDEO_TYPES) == "upload.mov"
    assert upload_name("clip.exe", vr.VIDEO_TYPES) == "upload.bin"
    assert upload_name("video", vr.VIDEO_TYPES) == "upload.bin"


# ------------------------------------------------------------------------------------------ upload limit


def test_make_run_and_the_tests_share_one_upload_limit_of_at_least_500_mb(data_dir: Path) -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    limit = config["server"]["maxUploadSize"]
    assert limit >= vr.MIN_UPLOAD_MB
    run = next(ln for ln in (ROOT / "Makefile").read_text().splitlines() if "streamlit run" in ln)
    assert "maxUploadSize" not in run  # `make run` reads the same file (it runs in the repository)
    at = _physio()
    (up,) = at.get("file_uploader")
    assert up.label == message("upload_label", "nl").format(mb=limit)  # the page states the limit
    assert {f".{e}" for e in vr.VIDEO_TYPES} <= set(up.allowed_type)


# ------------------------------------------------------------------------------------------ the page


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    d = tmp_path / "data"
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(d))
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the workspaces go here
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    import streamlit

    streamlit.cache_resource.clear()  # AppTest reuses one session id: no workspace from an earlier test
    yield d
    streamlit.cache_resource.clear()


def _physio() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(page_path("physio")).run()
    assert not at.exception, at.exception
    return at


def _upload(at: AppTest, name: str, data: bytes) -> None:
    at.get("file_uploader")[0].set_value((name, data, "video/mp4")).run()
    assert not at.exception, at.exception


def _texts(at: AppTest) -> str:
    parts = [e.value for e in at.error] + [w.value for w in at.warning] + [i.value for i in at.info]
    parts += [s.value for s in at.success] + [c.value for c in at.caption] + [m.value for m in at.markdown]
    return "\n".join(str(p) for p in parts)


def _workspaces(tmp: Path) -> list[Path]:
    return sorted(tmp.glob(PREFIX + "*"))


class FakeJob:
    """Stands in for the analysis child: writes what the child writes from a committed trace."""

    events_to_send: ClassVar[list[dict[str, Any]] | None] = None
    specs: ClassVar[list[videojob.JobSpec]] = []

    def __init__(self, spec: videojob.JobSpec) -> None:
        FakeJob.specs.append(spec)
        self.spec = spec

    def events(self, poll_s: float = 0.5, on_idle: Any = None) -> Iterator[dict[str, Any]]:
        if FakeJob.events_to_send is not None:
            yield from FakeJob.events_to_send
            return
        on_idle()
        tpl = load_template("lifting")
        a = analyze_trace(load_trace(LIFT), tpl, self.spec.lang)
        doc = a.to_json()
        doc["exercise_choice"] = {"by": "formcheck", "suggested": "lifting", "contenders": ["lifting"],
                                  "candidates": [{"exercise": "lifting", "reps": doc["reps"]}]}  # fmt: skip
        yield {"event": "pose", "done": 5, "total": 10}
        (self.spec.out / videojob.RESULT).write_text(json.dumps(doc), encoding="utf-8")
        names = sorted(a.features)
        values = np.stack([a.features[k] for k in names], axis=1)
        np.savez(self.spec.out / videojob.SERIES, t=a.trace.times, names=np.array(names), values=values)
        (self.spec.out / videojob.REPORT).write_text("<html>report</html>", encoding="utf-8")
        yield {"event": "choose"}
        yield {"event": "draw", "done": 1, "total": 10}  # the page shows the results from here on
        yield {"event": "done"}

    def stop(self) -> None:
        pass


@pytest.fixture
def fake_job() -> Iterator[type[FakeJob]]:
    FakeJob.events_to_send, FakeJob.specs = None, []
    with mock.patch("formcheck.webapp.videojob.VideoJob", FakeJob):
        yield FakeJob


def test_physio_page_needs_no_safety_screen(data_dir: Path) -> None:
    at = _physio()
    assert at.header[0].value == message("physio_title", "nl") and not at.checkbox
    assert message("physio_private", "nl") in _texts(at)


def test_an_analysis_shows_the_choice_table_angles_and_downloads(
    data_dir: Path, fake_job: type[FakeJob]
) -> None:
    at = _physio()
    _upload(at, "Patiënt lift.MOV", b"\x00" * 2048)
    (ws,) = _workspaces(data_dir.parent)
    assert (ws / "upload.mov").read_bytes() == b"\x00" * 2048  # stored under our own name
    assert at.selectbox(key="fc_video_exercise").value == videojob.AUTO
    at.button(key="fc_video_analyse").click().run()
    assert not at.exception, at.exception
    (spec,) = fake_job.specs
    assert spec.exercise == videojob.AUTO and spec.lang == "nl" and spec.out.parent == ws
    text = _texts(at)
    assert message("choice_suggested", "nl").split("{")[0] in text
    df = at.dataframe[0].value
    tpl = load_template("lifting")
    faults = " ".join(df[message("col_faults", "nl")])
    assert any(f.cue.nl in faults for f in tpl.faults) and "_" not in faults
    assert list(df[message("col_rep", "nl")]) == list(range(1, len(df) + 1))
    charts = at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart")
    assert len(charts) >= len(tpl.display)
    labels = {b.proto.label for b in at.get("download_button")}
    assert {message("download_json", "nl"), message("download_report", "nl")} <= labels
    # the language switch re-words the table without a new analysis
    at.radio(key="fc_lang").set_value("en").run()
    assert message("col_faults", "en") in at.dataframe[0].value.columns and len(fake_job.specs) == 1


def test_the_session_ending_removes_its_workspace(data_dir: Path, fake_job: type[FakeJob]) -> None:
    import streamlit

    at = _physio()
    _upload(at, "lift.mp4", b"\x01" * 4096)
    at.button(key="fc_video_analyse").click().run()
    (ws,) = _workspaces(data_dir.parent)
    assert any(ws.rglob("result.json"))
    streamlit.cache_resource.clear()  # what Streamlit does with a session's resources when it ends
    assert not ws.exists()
    at.run()  # a session that comes back finds nothing and says so
    assert not at.exception, at.exception
    assert message("upload_gone", "nl") in _texts(at) and not at.dataframe


def test_removing_the_video_deletes_it_at_once(data_dir: Path, fake_job: type[FakeJob]) -> None:
    at = _physio()
    _upload(at, "lift.mp4", b"\x01" * 4096)
    at.button(key="fc_video_analyse").click().run()
    (ws,) = _workspaces(data_dir.parent)
    assert any(ws.rglob("result.json"))
    at.button(key="fc_video_remove").click().run()
    assert not at.exception, at.exception
    assert ws.is_dir() and not any(ws.iterdir())  # nothing of the upload is left
    assert message("upload_removed", "nl") in _texts(at) and not at.dataframe
    assert at.get("file_uploader")[0].value is None  # a fresh, empty uploader


def test_results_stay_while_the_physio_visits_another_page(data_dir: Path, fake_job: type[FakeJob]) -> None:
    at = _physio()
    _upload(at, "lift.mp4", b"\x01" * 4096)
    at.button(key="fc_video_analyse").click().run()
    at.switch_page(page_path("history")).run()
    at.switch_page(page_path("physio")).run()
    assert not at.exception, at.exception
    assert at.dataframe and "lift.mp4" in _texts(at)


@pytest.mark.parametrize("case", ["no_person", "unsure"])
def test_no_person_or_no_clear_exercise_shows_no_table(
    data_dir: Path, fake_job: type[FakeJob], case: str
) -> None:
    counts = [{"exercise": "bridge", "reps": 3}, {"exercise": "pelvic_tilt", "reps": 9}]
    choice = {
        "by": "formcheck",
        "suggested": None,
        "contenders": ["bridge", "pelvic_tilt"],
        "candidates": counts,
    }
    doc = {
        "exercise": "bridge",
        "reps": 0,
        "person_found": case != "no_person",
        "rep_details": [],
        "notes": [],
    }
    doc["exercise_choice"] = choice

    def events(self: FakeJob, poll_s: float = 0.5, on_idle: Any = None) -> Iterator[dict[str, Any]]:
        (self.spec.out / videojob.RESULT).write_text(json.dumps(doc), encoding="utf-8")
        yield {"event": "done"}

    with mock.patch.object(FakeJob, "events", events):
        at = _physio()
        _upload(at, "clip.mp4", b"\x01" * 64)
        at.button(key="fc_video_analyse").click().run()
    assert not at.exception, at.exception
    assert not at.dataframe and not at.get("download_button")
    if case == "no_person":
        assert [e.value for e in at.error] == [message("upload_no_person", "nl")]
    else:
        (info,) = [i.value for i in at.info]
        assert info.startswith(message("choice_unsure", "nl").split("(")[0]) and "(9)" in info


def test_results_stand_when_only_drawing_the_video_fails(data_dir: Path, fake_job: type[FakeJob]) -> None:
    real = FakeJob.events

    def events(self: FakeJob, poll_s: float = 0.5, on_idle: Any = None) -> Iterator[dict[str, Any]]:
        for ev in real(self, poll_s, on_idle):
            if ev["event"] == "done":  # the video could not be written
                yield {"event": "error", "code": "upload_failed", "detail": "OSError: disk full"}
                return
            yield ev

    with mock.patch.object(FakeJob, "events", events):
        at = _physio()
        _upload(at, "lift.mp4", b"\x01" * 64)
        at.button(key="fc_video_analyse").click().run()
    assert not at.exception, at.exception
    assert at.dataframe and not at.error  # the table is there ...
    assert message("upload_failed", "nl").format(detail="OSError: disk full") in [w.value for w in at.warning]


def test_a_failed_analysis_is_one_line(data_dir: Path, fake_job: type[FakeJob]) -> None:
    fake_job.events_to_send = [
        {"event": "pose", "done": 1, "total": 9},
        {"event": "error", "code": "upload_failed", "detail": "MemoryError: x"},
    ]
    at = _physio()
    _upload(at, "lift.mp4", b"\x01" * 10)
    at.button(key="fc_video_analyse").click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [message("upload_failed", "nl").format(detail="MemoryError: x")]


def test_an_upload_over_the_limit_is_refused_in_one_line(data_dir: Path) -> None:
    import streamlit

    real = streamlit.get_option
    with mock.patch.object(streamlit, "get_option", lambda k: 1 if k == "server.maxUploadSize" else real(k)):
        at = _physio()
        _upload(at, "big.mp4", b"\x00" * (1024 * 1024 + 1))
    assert [e.value for e in at.error] == [message("upload_too_big", "nl").format(mb=1)]
    assert not _workspaces(data_dir.parent) or not any(_workspaces(data_dir.parent)[0].iterdir())


NOT_VIDEOS = [("notes.mp4", b"these are not the frames you are looking for\n" * 99), ("empty.webm", b"")]


@pytest.mark.parametrize(("name", "data"), NOT_VIDEOS)
def test_a_file_that_is_not_a_video_is_one_clear_line(data_dir: Path, name: str, data: bytes) -> None:
    at = _physio()  # the real analysis child: it stops at the first check
    _upload(at, name, data)
    at.button(key="fc_video_analyse").click().run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert errors == [message("upload_not_video", "nl")], errors
    assert not re.search(r"Traceback|/tmp/|Error:", "\n".join(errors))
