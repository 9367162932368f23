"""The progress page: the weekly PSK, charts a patient reads at a glance with the numbers behind them, the
exports (CSV, printable HTML report, progress file for the physio), a patient's progress file opened by the
physio (view only), and "delete all my data".

The numbers: :mod:`formcheck.analysis.progress`; words, tables and charts:
:mod:`formcheck.analysis.progress_report`; files: :mod:`formcheck.store.export`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import streamlit as st

from formcheck.analysis.progress import Progress, compute_progress
from formcheck.analysis.progress_report import (
    chart_table,
    charts,
    exercise_rows,
    progress_html,
    trend_sentences,
)
from formcheck.analysis.progress_report import week_rows as weekly_rows
from formcheck.store.export import ProgressFileError, progress_csv, progress_file, read_progress_file
from formcheck.store.history import StoreError
from formcheck.store.tracking import PSK_SLOTS, ProgressData, TrackingStore
from formcheck.webapp import ui
from formcheck.webapp.texts import t

#: The PSK is asked again when the last rating is at least this many days old.
PSK_EVERY_DAYS = 7


def today() -> date:
    """The local date (the page's clock)."""
    return date.today()


def render() -> None:
    """The whole page (run by ``st.navigation`` when the page is shown)."""
    lang = ui.lang()
    st.header(t("page_progress", lang))
    tr = ui.tracking()
    tz = datetime.now().astimezone().tzinfo
    opened = st.session_state.get("fc_progress_file")
    if isinstance(opened, tuple):
        name, data = opened
        st.info(t("progress_of_patient", lang, name=name))
        if st.button(t("progress_own", lang), key="fc_progress_own"):
            st.session_state.pop("fc_progress_file", None)
            st.rerun()
        _show(compute_progress(data, today(), tz), data, lang, heading=name, exports=False)
        return
    if st.session_state.pop("fc_data_deleted", False):
        st.success(t("data_deleted", lang))
    try:
        data = tr.progress_data()
    except StoreError as e:
        st.warning(t("store_unavailable", lang, error=str(e)))
        _open_file(lang)
        return
    _psk(tr, data, lang)
    _show(compute_progress(data, today(), tz), data, lang, heading="", exports=True)
    _open_file(lang)
    ui.delete_all_data(lang, button_key="fc_delete_all", prefix="fc_delete_all")


def _show(p: Progress, data: ProgressData, lang: str, heading: str, exports: bool) -> None:
    if not p.weeks:
        st.write(t("progress_empty", lang))
        return
    st.subheader(heading or t("progress_title", lang))
    st.markdown(f"**{t('progress_sessions', lang, done=p.sessions_done, planned=p.sessions_planned)}**")
    st.markdown(f"#### {t('trends_title', lang)}")
    st.markdown("\n".join(f"- {s}" for s in trend_sentences(p, lang)) or "–")
    st.info(t("pain_rising_note", lang))
    cols = st.columns(2)
    for i, c in enumerate(charts(p, lang)):
        if not any(v is not None for s in c.series for v in s.values):
            continue
        with cols[i % 2]:
            st.markdown(f"**{c.title}**")
            table = chart_table(c, lang)
            names = [s.name for s in c.series]
            if c.bars:
                st.bar_chart(table, x=t("col_week", lang), y=names, stack=False)
            else:
                st.line_chart(table, x=t("col_week", lang), y=names)
    st.markdown(f"#### {t('numbers_title', lang)}")
    st.dataframe(weekly_rows(p, lang), hide_index=True, width="stretch")
    st.dataframe(exercise_rows(p, lang), hide_index=True, width="stretch")
    if exports:
        _exports(p, data, lang)


def _exports(p: Progress, data: ProgressData, lang: str) -> None:
    st.markdown(f"#### {t('export_title', lang)}")
    st.caption(t("export_note", lang))
    tz = datetime.now().astimezone().tzinfo
    day = today().isoformat()
    c1, c2, c3 = st.columns(3)
    c1.download_button(
        t("export_csv", lang), progress_csv(data, tz), f"formcheck-{day}.csv", "text/csv", key="fc_export_csv"
    )
    c2.download_button(
        t("export_html", lang),
        progress_html(p, lang, today()),
        f"formcheck-report-{day}.html",
        "text/html",
        key="fc_export_html",
    )
    c3.download_button(
        t("export_file", lang),
        progress_file(data),
        f"formcheck-progress-{day}.json",
        "application/json",
        key="fc_export_file",
    )


def _open_file(lang: str) -> None:
    """The physio opens a patient's progress file (view only: nothing is stored)."""
    with st.expander(t("progress_open_file", lang)):
        up = st.file_uploader(t("progress_open_file", lang), type=["json"], key="fc_progress_upload")
        if up is None:
            return
        try:
            data = read_progress_file(up.getvalue(), up.name)
        except ProgressFileError as e:
            st.error(t("progress_file_bad", lang, error=str(e)))
            return
        st.session_state["fc_progress_file"] = (up.name, data)
        st.rerun()


def _psk(tr: TrackingStore, data: ProgressData, lang: str) -> None:
    """Name the (up to three) activities once, then score them every week."""
    with st.expander(t("psk_title", lang), expanded=True):
        if not data.psk_activities:
            st.write(t("psk_intro", lang))
            names = [
                st.text_input(t("psk_activity", lang, n=i + 1), key=f"fc_psk_name_{i}")
                for i in range(PSK_SLOTS)
            ]
            if st.button(t("psk_save_names", lang), key="fc_psk_names"):
                try:
                    tr.name_psk_activities(names)
                except StoreError as e:
                    st.error(t("save_failed", lang, error=str(e)))
                    return
                st.rerun()
            return
        last = max((r.rated_on for r in data.psk), default=None)
        if last is not None and today() - last < timedelta(days=PSK_EVERY_DAYS):
            st.write(t("psk_done_week", lang, day=last.isoformat()))
            return
        scores = {}
        for slot, name in enumerate(data.psk_activities, start=1):
            scores[slot] = st.pills(t("psk_rate", lang, activity=name), list(range(11)), key=f"fc_psk_{slot}")
        if st.button(t("psk_save", lang), key="fc_psk_save", type="primary"):
            given = {k: int(v) for k, v in scores.items() if v is not None}
            if len(given) != len(scores):
                st.warning(t("psk_all", lang))
                return
            try:
                tr.rate_psk(today(), given)
            except StoreError as e:
                st.error(t("save_failed", lang, error=str(e)))
                return
            st.success(t("psk_saved", lang))
            st.rerun()


if __name__ == "__main__":  # st.navigation runs this file as a script
    render()
