"""The physio's page: compose a programme (exercises from the built-in and taught templates, sets x reps or
holds, per side, rest, days a week, a time-based progression) and download it as a programme file for the
patient. The form is validated as a file is (:mod:`formcheck.webapp.compose`)."""

from __future__ import annotations

import streamlit as st

from formcheck.core.programme import MAX_HOLD_S, MAX_REPS, MAX_REST_S, MAX_SETS, MAX_WEEKS, ProgrammeError
from formcheck.core.programme import session_minutes as minutes_of
from formcheck.core.templates import available
from formcheck.store.programme import programme_to_toml
from formcheck.webapp import ui
from formcheck.webapp.compose import STAGES, ItemForm, StageForm, compose
from formcheck.webapp.texts import t

#: Exercises the form starts with, and the most it offers.
FIRST_ITEMS = 3
MAX_ITEMS = 12


def render() -> None:
    """The whole page (run by ``st.navigation`` when the page is shown)."""
    lang = ui.lang()
    st.header(t("page_compose", lang))
    st.write(t("compose_intro", lang))
    names = available()
    c1, c2 = st.columns(2)
    title = c1.text_input(t("compose_title", lang), key="fc_cp_title")
    author = c2.text_input(t("compose_author", lang), key="fc_cp_author")
    note = st.text_area(t("compose_note", lang), key="fc_cp_note", height=68)
    c1, c2, c3 = st.columns(3)
    weeks = int(c1.number_input(t("compose_weeks", lang), 1, MAX_WEEKS, 4, key="fc_cp_weeks"))
    days = int(c2.number_input(t("compose_days", lang), 1, 7, 5, key="fc_cp_days"))
    rest = float(c3.number_input(t("compose_rest", lang), 0, int(MAX_REST_S), 30, key="fc_cp_rest"))
    n = int(st.session_state.get("fc_cp_n", FIRST_ITEMS))
    st.subheader(t("compose_exercises", lang))
    items = [_item(i, names, weeks, lang) for i in range(n)]
    a, b = st.columns(2)
    if n < MAX_ITEMS and a.button(t("compose_add", lang), key="fc_cp_add"):
        st.session_state["fc_cp_n"] = n + 1
        st.rerun()
    if n > 1 and b.button(t("compose_remove", lang), key="fc_cp_remove"):
        st.session_state["fc_cp_n"] = n - 1
        st.rerun()
    st.divider()
    if not title.strip():
        st.info(t("compose_title", lang))
        return
    try:
        prog = compose(title.strip(), weeks, days, rest, items, names, author=author, note=note)
    except ProgrammeError as e:
        st.error(t("prog_bad_file", lang, error=str(e)))
        return
    st.success(t("compose_ok", lang, minutes=round(minutes_of(prog, 1))))
    text = programme_to_toml(prog)
    safe = "".join(ch if ch.isalnum() else "-" for ch in prog.title.nl.lower()).strip("-") or "programme"
    st.download_button(
        t("compose_download", lang),
        text,
        f"{safe}.toml",
        "application/toml",
        type="primary",
        key="fc_cp_download",
    )
    with st.expander(t("compose_preview", lang)):
        st.code(text, language="toml")


def _item(i: int, names: list[str], weeks: int, lang: str) -> ItemForm:
    """The form of exercise ``i``: which exercise, per side, and up to :data:`STAGES` stages."""
    with st.container(border=True):
        c1, c2 = st.columns([3, 2])
        default = names[i % len(names)] if names else ""
        exercise = c1.selectbox(
            t("compose_exercise", lang, n=i + 1),
            names,
            index=names.index(default) if default in names else 0,
            format_func=lambda x: ui.title(x, lang),
            key=f"fc_cp_ex_{i}",
        )
        per_side = c2.checkbox(t("compose_per_side", lang), key=f"fc_cp_side_{i}")
        stages = []
        for k in range(STAGES):
            cols = st.columns(4)
            start = int(
                cols[0].number_input(
                    t("compose_stage", lang), 0, weeks, 1 if k == 0 else 0, key=f"fc_cp_from_{i}_{k}"
                )
            )
            sets = int(
                cols[1].number_input(t("compose_sets", lang), 1, MAX_SETS, 2, key=f"fc_cp_sets_{i}_{k}")
            )
            reps = int(
                cols[2].number_input(t("compose_reps", lang), 1, MAX_REPS, 10, key=f"fc_cp_reps_{i}_{k}")
            )
            hold = float(
                cols[3].number_input(
                    t("compose_hold", lang), 0, int(MAX_HOLD_S), 0, key=f"fc_cp_hold_{i}_{k}"
                )
            )
            stages.append(StageForm(from_week=start, sets=sets, reps=reps, hold_s=hold))
    return ItemForm(exercise=str(exercise or ""), per_side=per_side, stages=stages)


if __name__ == "__main__":  # st.navigation runs this file as a script
    render()
