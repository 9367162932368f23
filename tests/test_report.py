"""The report to keep (analysis/report.py, report_html.py, draw/plot.py, ``formcheck report``).

Reports are made from the committed traces of real shared clips plus the clips themselves (the key frames
need the video), so most tests need no pose model; one end-to-end run of the command uses the model.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from conftest import DATA, load_trace, need_shared

from formcheck.analysis.analyze import Analysis, analyze_trace
from formcheck.analysis.report import (
    FEATURES_CSV,
    REPORT_HTML,
    RESULT_JSON,
    ReportError,
    ReportFiles,
    key_frames,
    make_report,
    turn_frames,
    write_report,
)
from formcheck.analysis.report_html import rep_rows, summary_lines
from formcheck.core.messages import fault_text, message
from formcheck.core.templates import leg_feature, load_template
from formcheck.draw.plot import Limit, Mark, Span, nice_ticks, plot_svg, thin

CHROMIUM = "/usr/bin/chromium"
#: (clip under shared/clips, exercise, language): a lifter with ten lifts and a fault on each (portrait
#: video), and a bridge with a hold (landscape).
CASES = [
    ("lifting/tby66_0016h_1.mp4", "lifting", "nl"),
    ("bridge/pexels6525487_fit_glute_bridge.mp4", "bridge", "en"),
]


def _analysis(clip: str, exercise: str, lang: str) -> Analysis:
    stem = Path(clip).stem
    return analyze_trace(
        load_trace(stem), load_template(exercise), lang, source=Path(clip).name, model="full"
    )


@pytest.fixture(scope="module", params=CASES, ids=[c[0].split("/")[0] for c in CASES])
def made(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A report written from a committed trace and its shared clip: the analysis, files and contents."""
    clip, exercise, lang = request.param
    video = need_shared("clips", clip)
    analysis = _analysis(clip, exercise, lang)
    out = tmp_path_factory.mktemp("report")
    seen: list[tuple[float, str]] = []
    files = write_report(
        video, analysis.template, lang, out, lambda f, s: seen.append((f, s)), analysis=analysis
    )
    return {
        "clip": clip,
        "lang": lang,
        "analysis": analysis,
        "files": files,
        "progress": seen,
        "html": files.html.read_text(encoding="utf-8"),
        "doc": json.loads(files.result_json.read_text(encoding="utf-8")),
    }


class _Page(HTMLParser):
    """Collects every tag with its attributes, the table cells, and the text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.rows: list[list[str]] = []
        self.heads: list[str] = []
        self._cell: list[str] | None = None
        self._in_th = False
        self.text: list[str] = []
        self.style: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
            self._in_th = tag == "th"
        elif tag == "style":
            self._in_style = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            text = "".join(self._cell).strip()
            (self.heads if self._in_th else self.rows[-1]).append(text)
            self._cell = None
        elif tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._in_style:
            self.style.append(data)
        self.text.append(data)


def _parse(html: str) -> _Page:
    p = _Page()
    p.feed(html)
    p.close()
    return p


# ------------------------------------------------------------------------------------------ plot (pure)


def test_plot_breaks_the_line_at_gaps_and_draws_spans_marks_and_limits() -> None:
    t = np.arange(100) / 10.0
    y = np.sin(t)
    y[40:50] = np.nan
    svg = plot_svg(
        t,
        y,
        title="Knee <bend>",
        lang="en",
        spans=[Span(1.0, 3.0, "1"), Span(5.0, 7.0, "2", bad=True)],
        marks=[Mark(6.0, float(np.sin(6.0)), "2")],
        limits=[Limit(0.5, "0.5")],
    )
    path = re.search(r'<path d="([^"]+)"', svg)
    assert path is not None
    assert path.group(1).count("M") == 2, "a NaN gap must lift the pen"
    assert svg.count("<rect") == 3  # two reps and the frame
    assert svg.count("<circle") == 1
    assert 'stroke-dasharray="6 4"' in svg
    assert "Knee &lt;bend&gt;" in svg and "<bend>" not in svg
    assert "http" not in svg and "url(" not in svg


def test_plot_in_dutch_uses_a_decimal_comma() -> None:
    svg = plot_svg(np.arange(10.0), np.linspace(0.2, 0.9, 10), title="x", lang="nl")
    assert re.search(r">0,\d+<", svg), "tick labels in Dutch use a decimal comma"
    assert not re.search(r">0\.\d+<", svg)


def test_thin_keeps_the_peaks_of_a_long_curve() -> None:
    t = np.arange(100_000) / 100.0
    y = np.zeros_like(t)
    y[12_345] = 7.0
    y[67_890] = -3.0
    tt, yy = thin(t, y, max_points=1000)
    assert len(tt) <= 1000
    assert yy.max() == 7.0 and yy.min() == -3.0
    assert np.all(np.diff(tt) > 0)


def test_nice_ticks_are_round_and_cover_the_range() -> None:
    ticks = nice_ticks(3.2, 97.0)
    assert ticks[0] >= 3.2 and ticks[-1] <= 97.0
    steps = np.diff(ticks)
    assert np.allclose(steps, steps[0]) and steps[0] in (10.0, 20.0, 25.0, 50.0)


# ------------------------------------------------------------------------------------- content (pure)


def test_rows_and_summary_say_faults_in_words() -> None:
    template = load_template("bridge")
    doc = {
        "duration_s": 12.0,
        "rep_details": [
            {"index": 1, "start_s": 1.0, "end_s": 4.5, "score": 65.0, "hold_s": 1.7,
             "faults": ["hold_short", "lowered_fast"], "experimental_faults": []},
            {"index": 2, "start_s": 6.0, "end_s": 11.0, "score": 100.0, "hold_s": 6.2, "faults": [],
             "experimental_faults": ["overarching"]},
        ],
    }  # fmt: skip
    for lang in ("nl", "en"):
        rows = rep_rows(doc, template, lang)
        faults_col = message("col_faults", lang)
        assert fault_text(template, "hold_short", lang) in rows[0][faults_col]
        assert "hold_short" not in rows[0][faults_col]
        assert rows[1][faults_col].startswith(message("no_faults", lang))
        assert fault_text(template, "overarching", lang) in rows[1][faults_col]
        text = "\n".join(summary_lines(doc, template, lang))
        assert "hold_short" not in text and "lowered_fast" not in text
        assert fault_text(template, "lowered_fast", lang) in text
    assert rows[0][message("col_hold", "en")] == "1.7"
    assert rep_rows(doc, template, "nl")[0][message("col_hold", "nl")] == "1,7"


def test_every_feature_a_report_can_plot_has_a_name_in_both_languages() -> None:
    from formcheck.core.templates import available
    from formcheck.draw.text import FEATURE_LABELS

    for name in available():
        t = load_template(name)
        for feature in {*t.display, t.count.feature, *(f.feature for f in t.faults)}:
            for leg in t.legs:
                each = leg_feature(feature, leg)
                assert each in FEATURE_LABELS, f"{name}: {each} has no label (draw/text.py FEATURE_LABELS)"


def test_summary_without_reps_says_so_kindly() -> None:
    lines = summary_lines({"duration_s": 3.0, "rep_details": []}, load_template("lifting"), "nl")
    assert lines[-1] == message("video_report_no_reps", "nl")


# ------------------------------------------------------------------------------- a report of real clips


def test_report_files_are_written_and_progress_ends_at_one(made: dict[str, Any]) -> None:
    files: ReportFiles = made["files"]
    for p in (files.html, files.result_json, files.features_csv):
        assert p.is_file() and p.stat().st_size > 0
    assert sorted(os.listdir(files.html.parent)) == sorted([REPORT_HTML, RESULT_JSON, FEATURES_CSV])
    fractions = [f for f, _ in made["progress"]]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_report_has_no_outside_reference(made: dict[str, Any]) -> None:
    html: str = made["html"]
    page = _parse(html)
    names = {tag for tag, _ in page.tags}
    assert not names & {"script", "link", "iframe", "object", "embed", "base", "form", "audio", "video"}
    for tag, attrs in page.tags:
        for key, value in attrs.items():
            if key in ("src", "href", "xlink:href", "poster", "srcset", "action", "data", "background"):
                assert value is not None and value.startswith("data:"), f"<{tag} {key}={value!r}>"
            if key == "style" and value:
                assert "url(" not in value.lower()
    style = "".join(page.style).lower()
    assert "url(" not in style and "@import" not in style and "@font-face" not in style
    without_data = re.sub(r"data:[^\"')\s]+", "", html)
    for needle in ("http:", "https:", "://", "www.", "ftp:", "file:"):
        assert needle not in without_data.lower(), needle
    assert "@page" in style and "a4 portrait" in style


def test_table_matches_result_json(made: dict[str, Any]) -> None:
    doc = made["doc"]
    lang = made["lang"]
    analysis: Analysis = made["analysis"]
    assert doc["reps"] == len(analysis.reps) == made["files"].reps >= 1
    page = _parse(made["html"])
    rows = [r for r in page.rows if r]
    assert len(rows) == doc["reps"]
    heads = page.heads
    col = {h: i for i, h in enumerate(heads)}
    template = analysis.template
    for row, rep in zip(rows, doc["rep_details"], strict=True):
        assert int(row[col[message("col_rep", lang)]]) == rep["index"]
        start, end = row[col[message("col_time", lang)]].replace(",", ".").split("–")
        assert abs(float(start) - rep["start_s"]) <= 0.051 and abs(float(end) - rep["end_s"]) <= 0.051
        assert abs(float(row[col[message("col_score", lang)]]) - rep["score"]) <= 0.5
        if template.hold is not None:
            held = row[col[message("col_hold", lang)]].replace(",", ".")
            assert abs(float(held) - rep["hold_s"]) <= 0.051
        if template.technique is not None:
            assert row[col[message("col_technique", lang)]] == message(f"technique_{rep['technique']}", lang)
        faults = row[col[message("col_faults", lang)]]
        for code in rep["faults"]:
            assert fault_text(template, code, lang) in faults
            assert code not in faults


def test_result_json_is_the_analysis_document(made: dict[str, Any]) -> None:
    assert made["doc"] == json.loads(json.dumps(made["analysis"].to_json()))


def test_csv_has_a_row_per_frame_and_every_feature(made: dict[str, Any]) -> None:
    analysis: Analysis = made["analysis"]
    with made["files"].features_csv.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    assert len(body) == analysis.trace.frames
    names = [h.split(" [")[0] for h in header]
    assert set(analysis.features) <= set(names)
    assert names[:5] == ["frame", "t_s", "person", "phase", "rep"]
    assert [int(r[0]) for r in body] == list(range(analysis.trace.frames))
    for name in ("knee_angle", analysis.template.count.feature):
        got = np.array([float(r[names.index(name)]) if r[names.index(name)] else np.nan for r in body])
        np.testing.assert_allclose(got, analysis.features[name], rtol=1e-5, atol=1e-6, equal_nan=True)
    in_rep = {int(r[4]) for r in body if r[4]}
    assert in_rep == {r.index for r in analysis.reps}


def test_a_key_frame_for_every_rep_with_the_skeleton(made: dict[str, Any]) -> None:
    analysis: Analysis = made["analysis"]
    page = _parse(made["html"])
    imgs = [a["src"] for tag, a in page.tags if tag == "img"]
    assert len(imgs) == len(analysis.reps)
    w, h = analysis.trace.size
    for src in imgs:
        assert src is not None and src.startswith("data:image/jpeg;base64,")
        img = cv2.imdecode(np.frombuffer(base64.b64decode(src.split(",", 1)[1]), np.uint8), cv2.IMREAD_COLOR)
        assert img is not None and img.shape[0] > 50
        assert abs(img.shape[1] / img.shape[0] - w / h) < 0.02, "the picture keeps the video's shape"
        assert float(img.std()) > 10.0


def test_key_frames_are_at_the_labelled_lowest_point_of_each_lift() -> None:
    """The picture of each lift is the frame labelled (by eye, independently of the model) as the bottom.

    Measured: at most 13 frames (0.22 s at 60 fps) from the labels on this clip; allowed 0.3 s."""
    clip = "lifting/tby66_0016h_1.mp4"
    labels = json.loads((DATA / "labels.json").read_text(encoding="utf-8"))
    entry = next(c for c in labels["clips"] if c["file"] == clip)
    bottoms = [lift["bottom_frame"] for lift in entry["lifts"]]
    analysis = _analysis(clip, "lifting", "en")
    got = turn_frames(analysis)
    assert len(got) == len(bottoms)
    fps = analysis.trace.fps
    assert max(abs(g - b) for g, b in zip(got, bottoms, strict=True)) / fps <= 0.3, (got, bottoms)


def test_dutch_report_is_in_dutch(made: dict[str, Any]) -> None:
    lang = made["lang"]
    other = "en" if lang == "nl" else "nl"
    text = " ".join(_parse(made["html"]).text)
    for code in (
        "video_report_summary",
        "video_report_table",
        "video_report_plots",
        "video_report_frames",
        "video_report_cues",
    ):
        assert message(code, lang) in text
        assert message(code, other) not in text
    assert f'<html lang="{lang}"' in made["html"]


# ------------------------------------------------------------------------------------------ degrading


def test_frames_that_cannot_be_read_are_said_not_fatal(tmp_path: Path) -> None:
    """A copy of the clip cut before the later reps: their pictures are missing and the report says so."""
    clip = "bridge/pexels6525487_fit_glute_bridge.mp4"
    src = need_shared("clips", clip)
    analysis = _analysis(clip, "bridge", "en")
    cut = turn_frames(analysis)[0]  # the first rep's turning point is the first frame lost
    short = tmp_path / "short.avi"
    cap = cv2.VideoCapture(str(src))
    writer = cv2.VideoWriter(str(short), cv2.VideoWriter.fourcc(*"MJPG"), 25.0, analysis.trace.size)
    for _ in range(cut):
        ok, frame = cap.read()
        assert ok
        writer.write(frame)
    writer.release()
    cap.release()
    frames, notes = key_frames(analysis, short)
    assert [k.jpeg for k in frames] == [None] * len(analysis.reps)
    files = write_report(short, analysis.template, "en", tmp_path / "out", analysis=analysis)
    html = files.html.read_text(encoding="utf-8")
    assert html.count(message("video_report_frame_missing", "en")) == len(analysis.reps)
    assert "<img" not in html
    frames, notes = key_frames(analysis, tmp_path / "gone.mp4")
    assert all(k.jpeg is None for k in frames) and len(notes) == 1


def test_make_report_writes_nothing_and_is_what_write_report_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = "bridge/pexels6525487_fit_glute_bridge.mp4"
    video = need_shared("clips", clip)
    analysis = _analysis(clip, "bridge", "nl")
    when = dt.datetime(2026, 1, 2, 3, 4)
    monkeypatch.chdir(tmp_path)
    made = make_report(video, analysis.template, "nl", analysis=analysis, created=when)
    assert list(tmp_path.iterdir()) == []
    assert "2026-01-02 03:04" in made.html
    files = write_report(video, analysis.template, "nl", tmp_path / "out", analysis=analysis, created=when)
    assert files.html.read_text(encoding="utf-8") == made.html
    assert files.result_json.read_text(encoding="utf-8") == made.result_json
    assert files.features_csv.read_text(encoding="utf-8") == made.features_csv
    assert made.reps == files.reps == len(analysis.reps)


def test_existing_files_are_never_replaced_without_asking(made: dict[str, Any]) -> None:
    files: ReportFiles = made["files"]
    analysis: Analysis = made["analysis"]
    before = {p: p.read_bytes() for p in (files.html, files.result_json, files.features_csv)}
    video = need_shared("clips", made["clip"])
    with pytest.raises(ReportError) as e:
        write_report(video, analysis.template, made["lang"], files.html.parent, analysis=analysis)
    assert e.value.code == "video_report_exists"
    assert {p: p.read_bytes() for p in before} == before


def test_bad_language_and_unwritable_folder_are_one_line(tmp_path: Path) -> None:
    analysis = _analysis("bridge/pexels6525487_fit_glute_bridge.mp4", "bridge", "en")
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    for lang, out in (("de", tmp_path / "o"), ("en", blocker), ("en", blocker / "sub")):
        with pytest.raises(ReportError) as e:
            write_report(tmp_path / "v.mp4", analysis.template, lang, out, analysis=analysis)
        assert "\n" not in str(e.value)
    assert blocker.read_text() == "x"


# --------------------------------------------------------------------------------------- the command


def _cli(*args: str | Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FORMCHECK_DEBUG"}
    return subprocess.run(
        [sys.executable, "-m", "formcheck.cli", "report", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def _one_line_error(res: subprocess.CompletedProcess[str]) -> str:
    assert res.returncode != 0
    assert "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("formcheck: error: ")
    return lines[0]


def test_cli_bad_input_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    clip = need_shared("clips", "lifting", "bichraix_good005.mp4")
    not_video = tmp_path / "notes.mp4"
    not_video.write_text("this is not a video")
    out = tmp_path / "out"
    assert "not found" in _one_line_error(
        _cli(tmp_path / "missing.mp4", "--exercise", "lifting", "--out", out)
    )
    _one_line_error(_cli(not_video, "--exercise", "lifting", "--out", out))
    assert "unknown exercise" in _one_line_error(_cli(clip, "--exercise", "yoga", "--out", out))
    assert not out.exists()
    blocker = tmp_path / "file"
    blocker.write_text("keep me")
    _one_line_error(_cli(clip, "--exercise", "lifting", "--out", blocker))
    _one_line_error(_cli(clip, "--exercise", "lifting", "--out", blocker / "sub"))
    assert blocker.read_text() == "keep me"
    out.mkdir()
    (out / RESULT_JSON).write_text("{}")
    line = _one_line_error(_cli(clip, "--exercise", "lifting", "--out", out))
    assert RESULT_JSON in line and "--force" in line
    assert (out / RESULT_JSON).read_text() == "{}"
    assert sorted(os.listdir(out)) == [RESULT_JSON]


@pytest.mark.model
def test_cli_report_of_a_real_clip_end_to_end(tmp_path: Path) -> None:
    clip = need_shared("clips", "lifting", "bichraix_good005.mp4")
    out = tmp_path / "report"
    res = _cli(clip, "--exercise", "lifting", "--lang", "nl", "--out", out)
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    doc = json.loads((out / RESULT_JSON).read_text(encoding="utf-8"))
    html = (out / REPORT_HTML).read_text(encoding="utf-8")
    assert doc["person_found"] and doc["lang"] == "nl"
    rows = [r for r in _parse(html).rows if r]
    assert len(rows) == doc["reps"]
    assert html.count("<img") == doc["reps"]
    with (out / FEATURES_CSV).open(encoding="utf-8") as f:
        assert sum(1 for _ in f) == doc["frames"] + 1
    again = _cli(clip, "--exercise", "lifting", "--out", out)
    _one_line_error(again)
    assert (out / REPORT_HTML).read_text(encoding="utf-8") == html
    forced = _cli(clip, "--exercise", "lifting", "--lang", "en", "--out", out, "--force")
    assert forced.returncode == 0, forced.stderr
    assert json.loads((out / RESULT_JSON).read_text(encoding="utf-8"))["lang"] == "en"


@pytest.mark.model
def test_cli_no_person_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    video = tmp_path / "empty_room.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"MJPG"), 15.0, (160, 120))
    rng = np.random.default_rng(0)
    for _ in range(12):
        writer.write(
            np.full((120, 160, 3), 120, np.uint8) + rng.integers(0, 8, (120, 160, 3), dtype=np.uint8)
        )
    writer.release()
    out = tmp_path / "out"
    line = _one_line_error(_cli(video, "--exercise", "bridge", "--out", out))
    assert "no person" in line
    assert not out.exists() or not any(out.iterdir())


# -------------------------------------------------------------------------------------------- browser


@pytest.mark.browser
def test_report_renders_in_chromium_offline(made: dict[str, Any], tmp_path: Path) -> None:
    """Chromium shows the page (a screenshot that is not blank), loads nothing but the file, and prints it
    on A4 portrait pages."""
    if not Path(CHROMIUM).is_file():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} not installed (CI=true)")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    html_path: Path = made["files"].html
    shot = tmp_path / "report.png"
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
            ],
        )
        try:
            context = browser.new_context(viewport={"width": 900, "height": 1200}, offline=True)
            context.on("request", lambda r: requests.append(r.url))
            page = context.new_page()
            page.goto(html_path.as_uri())
            page.wait_for_load_state("load")
            loaded = page.evaluate("Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)")
            title = page.title()
            page.screenshot(path=str(shot), full_page=True)
            pdf = page.pdf(prefer_css_page_size=True)
        finally:
            browser.close()
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    assert loaded == [True] * len(made["analysis"].reps)
    assert message("video_report_title", made["lang"]) in title
    img = cv2.imread(str(shot))
    assert img is not None and img.shape[0] > 1200
    assert float(img.std()) > 20.0, "the screenshot is blank"
    assert len(np.unique(img.reshape(-1, 3)[::97], axis=0)) > 50
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert boxes, "no page in the PDF"
    for w, h in boxes:  # A4 portrait: 595 x 842 points
        assert abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2, (w, h)
