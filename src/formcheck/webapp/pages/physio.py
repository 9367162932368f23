"""The physio page: analyse a patient's video.

Upload (mp4, mov, webm, avi up to the server's ``maxUploadSize``), choose the exercise or let formcheck
choose from the movement, a progress bar while :mod:`formcheck.webapp.videojob` runs in a child process,
then the annotated video, the rep-by-rep table, the angles over time with the reps shaded and the faults
marked, and downloads.

Nothing from an upload stays on disk after the page is closed: the video and the results live in this
browser session's :class:`~formcheck.webapp.workspace.Workspace`, a temporary folder that a session-scoped
``st.cache_resource`` removes when the session ends (and the physio can delete at once).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from formcheck.core.templates import Template, TemplateError, available
from formcheck.webapp import ui, videojob
from formcheck.webapp import videoresult as vr
from formcheck.webapp.texts import t
from formcheck.webapp.workspace import Workspace, sweep_orphans, upload_name

STATE = "fc_physio"


@st.cache_resource(scope="session", on_release=Workspace.close, show_spinner=False)
def _workspace() -> Workspace:
    """This browser session's temporary folder (removed when the session ends)."""
    sweep_orphans()
    return Workspace()


def upload_limit_mb() -> int:
    """The upload limit (MB) the server enforces: ``server.maxUploadSize`` of ``.streamlit/config.toml``."""
    return int(st.get_option("server.maxUploadSize"))


def render() -> None:
    """The whole page (run by ``st.navigation`` when the page is shown)."""
    lang = ui.lang()
    st.header(t("physio_title", lang))
    st.write(t("physio_intro", lang))
    st.caption(t("physio_private", lang))
    limit = upload_limit_mb()
    key = f"fc_video_{int(st.session_state.get('fc_video_nonce', 0))}"
    shown_before = key in st.session_state  # False after a visit to another page (Streamlit forgot it)
    up = st.file_uploader(t("upload_label", lang, mb=limit), type=list(vr.VIDEO_TYPES), key=key)
    if st.session_state.pop("fc_video_removed", False):
        st.success(t("upload_removed", lang))
    state: dict[str, Any] | None = st.session_state.get(STATE)
    if up is not None:
        if vr.too_big(up.size, limit):
            st.error(t("upload_too_big", lang, mb=limit))
            return
        if state is None or state.get("file_id") != up.file_id:
            state = _store(_workspace(), up)
    elif state is not None and shown_before:  # the physio took the video out of the uploader
        _forget()
        state = None
    if state is None:
        return
    if not Path(state["video"]).is_file():  # the session was closed and has come back
        st.session_state.pop(STATE, None)
        st.info(t("upload_gone", lang))
        return
    ws = _workspace()
    st.caption(f"{state['name']}")
    names = available()
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    with c1:
        exercise = st.selectbox(
            t("upload_exercise", lang),
            [videojob.AUTO, *names],
            format_func=lambda n: t("upload_auto", lang) if n == videojob.AUTO else ui.title(n, lang),
            key="fc_video_exercise",
        )
    with c2:
        go = st.button(t("upload_analyse", lang), type="primary", key="fc_video_analyse", width="stretch")
    if go:
        _analyse(ws, state, str(exercise), lang)
    if state.get("error"):
        st.error(state["error"])
    elif state.get("doc") is not None:
        _results(state, lang)
    if st.button(t("upload_remove", lang), key="fc_video_remove"):
        _forget()
        st.session_state["fc_video_nonce"] = (
            int(st.session_state.get("fc_video_nonce", 0)) + 1
        )  # empty uploader
        st.session_state["fc_video_removed"] = True
        st.rerun()


def _store(ws: Workspace, up: Any) -> dict[str, Any]:
    """Copy a new upload into the workspace (replacing any earlier one) and start its page state."""
    ws.clear()
    path = ws.path / upload_name(up.name, vr.VIDEO_TYPES)
    up.seek(0)
    with open(path, "wb") as fh:
        shutil.copyfileobj(up, fh, 1 << 20)
    state: dict[str, Any] = {"file_id": up.file_id, "name": up.name, "video": str(path), "jobs": 0}
    st.session_state[STATE] = state
    return state


def _forget() -> None:
    """Delete the upload and its results now."""
    st.session_state.pop(STATE, None)
    _workspace().clear()


def _analyse(ws: Workspace, state: dict[str, Any], exercise: str, lang: str) -> None:
    """Run one analysis with a progress bar; its outcome goes into ``state``.

    The results are shown as soon as they are known (before the annotated video, the slow part, is drawn);
    the page is drawn again once the video is there.
    """
    model = st.session_state.get("fc_model", "auto")
    state["jobs"] += 1
    previous = Path(state["dir"]) if state.get("dir") else None
    spec = videojob.JobSpec(
        video=Path(state["video"]),
        out=ws.job_dir(f"job{state['jobs']}"),
        exercise=exercise,
        lang=lang,
        model="full" if model == "auto" else str(model),
        name=str(state["name"]),
        trace_from=previous if previous is not None and previous.is_dir() else None,
    )
    state.update(dir=str(spec.out), doc=None, error=None, notes=[])
    bar = st.progress(0.0, text=t("upload_starting", lang))
    shown = [0.0, t("upload_starting", lang)]

    def idle() -> None:  # a Streamlit call now and then: a closed page stops the run here
        bar.progress(shown[0], text=str(shown[1]))

    early = st.container()
    job = videojob.VideoJob(spec)
    last: dict[str, Any] = {}
    try:
        for ev in job.events(on_idle=idle):
            last = ev
            if ev.get("event") == "note":
                state["notes"].append(vr.error_text(ev, lang))
            step = vr.progress_of(ev, lang)
            if step is not None:
                shown[:] = step
                bar.progress(step[0], text=step[1])
            if ev.get("event") == "draw" and state.get("doc") is None:  # result and report are written
                _load(state, spec.out, lang)
                if state.get("doc") is not None:
                    with early:
                        _results(state, lang)
    finally:
        job.stop()
    if previous is not None and previous != spec.out:
        shutil.rmtree(previous, ignore_errors=True)
    bar.empty()
    if last.get("event") != "done":
        if state.get("doc") is None:
            state["error"] = vr.error_text(last, lang)
            return
        state["notes"].append(vr.error_text(last, lang))  # the results stand; only the video is missing
    if state.get("doc") is not None:
        st.rerun()  # shown early: draw the page again, now with the video
    _load(state, spec.out, lang)


def _load(state: dict[str, Any], out: Path, lang: str) -> None:
    """Read the job's ``result.json`` into ``state`` (or say in one line why it cannot be read)."""
    try:
        state["doc"] = json.loads((out / videojob.RESULT).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        state["error"] = vr.error_text({"code": "upload_failed", "detail": str(e)}, lang)


def _results(state: dict[str, Any], lang: str) -> None:
    doc: dict[str, Any] = state["doc"]
    out = Path(state["dir"])
    if not out.is_dir():
        st.info(t("upload_gone", lang))
        return
    if not doc.get("person_found"):
        st.error(t("upload_no_person", lang))
        return
    try:
        template = ui.template(str(doc["exercise"]))
    except TemplateError as e:
        st.error(str(e).splitlines()[0])
        return
    st.info("  \n".join(vr.choice_lines(doc, lambda n: ui.title(n, lang), lang)))
    if not vr.decided(doc):
        return
    for note in [*(doc.get("notes") or []), *state.get("notes", [])]:
        st.warning(note)
    scores = [float(r.get("score") or 0.0) for r in doc.get("rep_details") or []]
    c1, c2, c3 = st.columns(3)
    c1.metric(f"{template.title.get(lang)} · {t('result_reps', lang)}", int(doc.get("reps", 0)))
    c2.metric(t("result_duration", lang), f"{float(doc.get('duration_s', 0.0)):.1f} s")
    if scores:
        c3.metric(t("summary_score", lang), f"{sum(scores) / len(scores):.0f} / 100")
    video = out / videojob.ANNOTATED
    if video.is_file():
        st.subheader(t("result_video", lang))
        st.video(str(video), format="video/webm")
    st.subheader(t("result_table", lang))
    rows = vr.rep_rows(doc, template, lang)
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch", key="fc_video_table")
    else:
        st.info(t("result_none", lang))
    _angles(out, doc, template, lang)
    _downloads(out, doc, lang)


def _angles(out: Path, doc: dict[str, Any], template: Template, lang: str) -> None:
    """One chart per key feature: the values over time, the reps shaded, the faults as red lines."""
    import altair as alt

    try:
        with np.load(out / videojob.SERIES) as d:
            times = d["t"]
            names = [str(n) for n in d["names"]]
            values = {n: d["values"][:, i] for i, n in enumerate(names)}
    except (OSError, ValueError, KeyError):
        return
    features = vr.key_features(template, doc, names)
    if not features:
        return
    sc = vr.series_chart(times, values, doc, template, lang, features)
    st.subheader(t("result_angles", lang))
    st.caption(t("result_angles_note", lang))
    time_title = t("col_time", lang)
    for f in features:
        layers = []
        if sc.reps:
            layers.append(
                alt.Chart(alt.Data(values=sc.reps))
                .mark_rect(opacity=0.18, color="#1d4ed8")
                .encode(x=alt.X("start:Q", title=time_title), x2="end:Q", tooltip=["rep:N"])
            )
        layers.append(
            alt.Chart(alt.Data(values=[p for p in sc.lines if p["feature"] == f]))
            .mark_line(color="#14213d")
            .encode(
                x=alt.X("t:Q", title=time_title),
                y=alt.Y("value:Q", title=sc.titles[f], scale=alt.Scale(zero=False)),
            )
        )
        if sc.faults:
            layers.append(
                alt.Chart(alt.Data(values=sc.faults))
                .mark_rule(color="#b91c1c", strokeWidth=3)
                .encode(x="t:Q", tooltip=["rep:N", "fault:N"])
            )
        st.altair_chart(alt.layer(*layers).properties(height=200), width="stretch")


def _downloads(out: Path, doc: dict[str, Any], lang: str) -> None:
    """result.json, the annotated video, the printable report and the per-frame CSV (what exists)."""
    st.subheader(t("result_downloads", lang))
    files = [
        ("download_report", out / videojob.REPORT, "report.html", "text/html", "fc_dl_report"),
        ("download_video", out / videojob.ANNOTATED, "annotated.webm", "video/webm", "fc_dl_video"),
        ("download_csv", out / videojob.FEATURES_CSV, "features.csv", "text/csv", "fc_dl_csv"),
    ]
    cols = st.columns(4)
    cols[0].download_button(
        t("download_json", lang),
        json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8"),
        file_name="result.json",
        mime="application/json",
        key="fc_dl_json",
        on_click="ignore",
    )
    for col, (code, path, name, mime, key) in zip(cols[1:], files, strict=True):
        if path.is_file():
            col.download_button(
                t(code, lang), path.read_bytes(), file_name=name, mime=mime, key=key, on_click="ignore"
            )


if __name__ == "__main__":  # st.navigation runs this file as a script
    render()
