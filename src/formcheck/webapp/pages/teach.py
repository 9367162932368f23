"""The physio's teach page: upload a side-on demonstration of 2-5 good reps, see what formcheck derived from
it (the demonstration's traces with the derived limits drawn over them, the reps), adjust the name and the
key numbers, save it as a taught exercise (listed and used like the built-in ones).

The upload is written to a temporary folder only while the pose model reads it, then deleted; only the
template and the demonstration's traces are kept, and only when the physio saves them. Pure helpers:
:mod:`formcheck.webapp.teach_view`; the derivation and saving: :mod:`formcheck.analysis.teach`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import streamlit as st

from formcheck.analysis.teach import read_demo, save, teach_trace, trim, validate
from formcheck.core.teach import Taught, TeachError
from formcheck.core.templates import TemplateError
from formcheck.pose.pipeline import PoseTrace, trace_features
from formcheck.pose.video import VideoError, probe
from formcheck.webapp import ui
from formcheck.webapp.teach_view import TeachEdits, apply_edits, edits_of, plots, rep_rows
from formcheck.webapp.texts import t

#: Video types the uploader accepts.
VIDEO_TYPES = ("mp4", "mov", "webm", "avi", "m4v", "mkv")
#: Session-state key of the last demonstration read: ``(upload id, PoseTrace | TeachError, first name)``.
DEMO_KEY = "fc_teach_demo"
#: Session-state key of the template derived from the chosen part of it.
DERIVED_KEY = "fc_teach_derived"


def render() -> None:
    """The whole page (run by ``st.navigation`` when the page is shown)."""
    lang = ui.lang()
    st.header(t("page_teach", lang))
    st.write(t("teach_intro", lang))
    upload = st.file_uploader(t("teach_upload", lang), type=list(VIDEO_TYPES), key="fc_teach_upload")
    # the last demonstration read stays (in memory only) until another upload replaces it
    demo = _demo(upload, lang) if upload is not None else st.session_state.get(DEMO_KEY)
    if demo is None:
        return
    key, trace, name = demo
    if isinstance(trace, TeachError):
        st.error(trace.text(lang))
        return
    t0, t1 = round(float(trace.times[0]), 1), round(float(trace.times[-1]), 1)
    part = st.slider(
        t("teach_part", lang), t0, max(t1, t0 + 0.1), (t0, max(t1, t0 + 0.1)), step=0.1, key="fc_teach_part"
    )
    taught, times, feats = _derived(key, trace, name, (float(part[0]), float(part[1])))
    if isinstance(taught, TeachError):
        st.error(taught.text(lang))
        return
    st.success(t("teach_found", lang, n=len(taught.reps), feature=taught.movement.feature))
    edits = _form(taught, lang)
    edited = apply_edits(taught, edits)
    st.caption(t("teach_plots", lang))
    for svg in plots(edited, times, feats, lang):
        # our own markup (texts escaped); st.html would strip the <svg> element
        st.markdown(svg, unsafe_allow_html=True)
    st.subheader(t("teach_reps_table", lang))
    st.dataframe(rep_rows(edited, lang), hide_index=True)
    try:
        text, _template = validate(edited)
    except TemplateError as e:
        st.error(str(e))
        return
    with st.expander(t("teach_preview", lang)):
        st.code(text, language="toml")
    overwrite = st.checkbox(t("teach_overwrite", lang), key="fc_teach_overwrite")
    if st.button(t("teach_save", lang), type="primary", key="fc_teach_save"):
        try:
            path = save(edited, overwrite=overwrite)
        except TeachError as e:
            st.error(e.text(lang))
            return
        except (TemplateError, OSError) as e:
            st.error(str(e))
            return
        ui.template.clear()  # a replaced exercise must be read again
        st.success(t("teach_saved", lang, name=edited.name, path=str(path)))


def _demo(upload: Any, lang: str) -> tuple[str, PoseTrace | TeachError, str]:
    """The pose trace of this upload (or why it cannot be read) and a first name for the exercise, read
    once (the pose pass is slow) and kept for the session."""
    key = f"{upload.name}:{upload.size}:{getattr(upload, 'file_id', '')}"
    held = st.session_state.get(DEMO_KEY)
    if held is not None and held[0] == key:
        return held
    bar = st.progress(0.0, text=t("teach_reading", lang))
    done = [0]
    trace: PoseTrace | TeachError
    with tempfile.TemporaryDirectory(prefix="formcheck-teach-") as folder:
        path = Path(folder) / ("demo" + Path(upload.name).suffix.lower())
        path.write_bytes(upload.getbuffer())
        try:
            try:
                total = probe(path).frames
            except VideoError as e:
                raise TeachError("teach_unreadable", reason=str(e).replace(str(path), upload.name)) from None

            def progress(n: int) -> None:
                done[0] += n
                bar.progress(min(1.0, done[0] / max(total, 1)), text=t("teach_reading", lang))

            trace = read_demo(path, "full", progress=progress)
        except TeachError as e:
            trace = e
    bar.empty()
    held = (key, trace, _default_name(upload.name))
    st.session_state[DEMO_KEY] = held
    return held


def _derived(
    key: str, trace: PoseTrace, name: str, part: tuple[float, float]
) -> tuple[Taught | TeachError, Any, Any]:
    """The template derived from the chosen part of the demonstration, with that part's times and features
    (kept for the session per part: the form's reruns do not derive it again)."""
    held = st.session_state.get(DERIVED_KEY)
    if held is not None and held[0] == (key, part):
        return held[1]
    piece = trim(trace, *part)
    out: tuple[Taught | TeachError, Any, Any]
    try:
        _side, feats = trace_features(piece)
        out = (teach_trace(piece, name), piece.times, feats)
    except TeachError as e:
        out = (e, None, None)
    st.session_state[DERIVED_KEY] = ((key, part), out)
    return out


def _default_name(filename: str) -> str:
    """A first name for the exercise from the video's file name (the physio can change it)."""
    from formcheck.analysis.teach import NAME_RE, normalise_name

    name = "".join(ch for ch in normalise_name(Path(filename).stem) if ch.isalnum() or ch == "_")
    name = name.lstrip("_0123456789")[:40]
    return name if NAME_RE.fullmatch(name) else "my_exercise"


def _form(taught: Taught, lang: str) -> TeachEdits:
    """The edit form, filled with what was derived."""
    base = edits_of(taught)
    st.subheader(t("teach_edit", lang))
    c1, c2, c3 = st.columns(3)
    name = c1.text_input(t("teach_name", lang), base.name, key="fc_teach_name")
    title_nl = c2.text_input(t("teach_title_nl", lang), base.title_nl, key="fc_teach_title_nl")
    title_en = c3.text_input(t("teach_title_en", lang), base.title_en, key="fc_teach_title_en")
    unit = "leg lengths" if taught.movement.feature.endswith("_height") else "°"
    c1, c2 = st.columns(2)
    step = 0.01 if unit == "leg lengths" else 1.0
    min_range = c1.number_input(
        t("teach_min_range", lang, unit=unit),
        min_value=step,
        value=float(base.min_range),
        step=step,
        key="fc_teach_min_range",
    )
    hold = base.hold_min_s
    if hold is not None:
        hold = c2.number_input(
            t("teach_hold_min", lang),
            min_value=0.0,
            max_value=600.0,
            value=float(hold),
            step=0.5,
            key="fc_teach_hold",
        )
    tolerances = {}
    for s in taught.still:
        part = t(f"teach_part_{s.feature}", lang)
        tolerances[s.feature] = st.number_input(
            t("teach_tolerance", lang, part=f"{part} ({s.feature})", unit="°"),
            min_value=1.0,
            max_value=180.0,
            value=float(s.tolerance),
            step=1.0,
            key=f"fc_teach_tol_{s.feature}",
        )
    from_start = st.checkbox(t("teach_from_start", lang), base.from_start, key="fc_teach_from_start")
    return TeachEdits(
        name=name,
        title_nl=title_nl,
        title_en=title_en,
        min_range=float(min_range),
        hold_min_s=None if hold is None else float(hold),
        tolerances=tolerances,
        from_start=from_start,
    )


if __name__ == "__main__":  # st.navigation runs this file as a script
    render()
