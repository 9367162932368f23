"""The Streamlit page: safety screen, live coaching (patient) or lifting demonstration (physio), summary.

Wiring only: the camera is :mod:`formcheck.webapp.camera` (frames reach the server over a websocket on
127.0.0.1, :mod:`formcheck.webapp.frameserver`); the analysis is :class:`formcheck.pose.pipeline.LivePipeline`
inside :class:`formcheck.webapp.live.LiveProcessor`; the HTML comes from :mod:`formcheck.webapp.ui`; every
text from :mod:`formcheck.core.messages` or the exercise template.
"""

from __future__ import annotations

import contextlib
import ipaddress
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import streamlit as st

from formcheck.core.messages import MESSAGES, message
from formcheck.core.templates import Template, TemplateError, available, load_template
from formcheck.store.history import SessionRecord, SessionStore, StoreError
from formcheck.webapp import ui, wire
from formcheck.webapp.camera import camera
from formcheck.webapp.frameserver import frame_server
from formcheck.webapp.live import (
    MODEL_CHOICES,
    CoachSession,
    LiveSettings,
    LiveUpdate,
)

LANGS: dict[str, str] = {"nl": "Nederlands", "en": "English"}
RED_FLAGS: tuple[str, ...] = (
    "rf_radiating",
    "rf_numbness",
    "rf_bladder",
    "rf_fever",
    "rf_weight",
    "rf_accident",
    "rf_night",
    "rf_duration",
)
#: How often the live panel polls the video thread (s).
POLL_S = 0.3
#: No frame for this long while streaming means the camera stopped (s).
STALE_S = 3.0
#: Pain this many points higher after the session than before triggers the "stop" advice.
PAIN_WORSE = 2
SPEECH_KEEP = 8
DEMO_EXERCISE = "lifting"
CAMERA_KEY = "fc_camera"


def t(code: str, lang: str, **kw: Any) -> str:
    """A catalogue text, formatted."""
    text = message(code, lang)
    return text.format(**kw) if kw else text


# ---------------------------------------------------------------------------------------------- state


@dataclass
class PanelState:
    """What the live panel remembers between its polls (kept in ``st.session_state``)."""

    last: LiveUpdate | None = None
    speech: list[tuple[str, str, str]] | None = None
    stale_noted: bool = False


def _lang() -> str:
    lang = st.session_state.get("fc_lang", "nl")
    return lang if lang in LANGS else "nl"


def _store() -> SessionStore:
    if "fc_store" not in st.session_state:
        st.session_state["fc_store"] = SessionStore()
    return st.session_state["fc_store"]


def _coach() -> CoachSession:
    """The one long-lived :class:`CoachSession` of this browser session (created once)."""
    if "fc_coach" not in st.session_state:
        names = available()
        first = "bridge" if "bridge" in names else names[0]
        st.session_state["fc_coach"] = CoachSession(
            LiveSettings(exercise=first, lang=_lang()), store=_store()
        )
        st.session_state["fc_panel"] = PanelState(speech=[])
    return st.session_state["fc_coach"]


def _panel() -> PanelState:
    if "fc_panel" not in st.session_state:
        st.session_state["fc_panel"] = PanelState(speech=[])
    return st.session_state["fc_panel"]


@st.cache_resource(show_spinner=False)
def _template(name: str) -> Template:
    return load_template(name)


@st.cache_data(show_spinner=False, max_entries=16)
def _setup_picture(name: str, lang: str) -> Any:
    from formcheck.draw.guide import draw_setup_guide

    return draw_setup_guide(960, 600, _template(name), lang)


# ---------------------------------------------------------------------------------------------- page


def runs_local_only(address: str | None, gather_usage_stats: object) -> bool:
    """Whether the server settings keep everything on this computer.

    The server must listen on a loopback address only (``127.x.x.x``, ``localhost``, ``::1``; no address
    means every network interface) and Streamlit must not send usage statistics.
    """
    if gather_usage_stats is not False:
        return False
    host = (address or "").strip().strip("[]").lower()
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _local_only_guard() -> bool:
    """Show how to start formcheck properly and return False when the server is not local-only."""
    if runs_local_only(st.get_option("server.address"), st.get_option("browser.gatherUsageStats")):
        return True
    st.error(f"{message('not_local', 'nl')}\n\n{message('not_local', 'en')}")
    return False


def main() -> None:
    """Render the whole page (called by ``app.py`` on every run)."""
    st.set_page_config(page_title="formcheck", layout="wide")
    if not _local_only_guard():
        st.stop()
    st.html(ui.CSS)
    lang = _sidebar()
    st.title(t("app_title", lang))
    st.caption(t("app_tagline", lang))
    if st.session_state.get("fc_safety") != "ok":
        _safety(lang)
        return
    _coaching(lang)
    _history(lang)


def _sidebar() -> str:
    with st.sidebar:
        st.radio(
            MESSAGES["language"].get(_lang()),
            list(LANGS),
            format_func=LANGS.__getitem__,
            key="fc_lang",
            horizontal=True,
        )
        lang = _lang()
        st.toggle(t("mute", lang), key="fc_mute")
        st.selectbox(
            t("model_setting", lang),
            MODEL_CHOICES,
            format_func=lambda m: t("model_auto", lang) if m == "auto" else m,
            key="fc_model",
        )
        st.caption(t("privacy", lang))
        st.caption(t("disclaimer", lang))
    return lang


def _facts(lang: str) -> None:
    items = "".join(f"<li>{ui.esc(t(k, lang))}</li>" for k in ("fact_harmless", "fact_movement", "fact_time"))
    st.html(f'<div class="fc-facts"><b>{ui.esc(t("facts_title", lang))}</b><ul>{items}</ul></div>')


def _safety(lang: str) -> None:
    """The red-flag screen: any flag ticked -> see your GP, no coaching."""
    st.header(t("safety_title", lang))
    if st.session_state.get("fc_safety") == "gp":
        st.html(f'<div class="fc-gp" id="fc-gp">{ui.esc(t("safety_see_gp", lang))}</div>')
        if st.button(t("safety_recheck", lang), key="fc_recheck"):
            for code in RED_FLAGS:
                st.session_state[f"fc_{code}"] = False
            st.session_state["fc_none"] = False
            st.session_state["fc_safety"] = None
            st.rerun()
        _facts(lang)
        return
    st.write(t("safety_intro", lang))
    for code in RED_FLAGS:
        st.checkbox(t(code, lang), key=f"fc_{code}")
    st.divider()
    st.checkbox(t("safety_none", lang), key="fc_none")
    if st.button(t("safety_continue", lang), type="primary", key="fc_continue"):
        ticked = [c for c in RED_FLAGS if st.session_state.get(f"fc_{c}")]
        none = bool(st.session_state.get("fc_none"))
        if ticked and none:
            st.warning(t("safety_contradiction", lang))
        elif ticked:
            st.session_state["fc_safety"] = "gp"
            st.rerun()
        elif none:
            st.session_state["fc_safety"] = "ok"
            st.rerun()
        else:
            st.warning(t("safety_answer_first", lang))
    _facts(lang)
    st.caption(t("disclaimer", lang))


def _coaching(lang: str) -> None:
    """Exercise choice, set-up guide, live video with the big board, then the summary."""
    coach = _coach()
    names = available()
    c_mode, c_ex, c_pain = st.columns([2, 2, 4], gap="medium")
    with c_mode:
        mode = st.radio(
            t("mode", lang),
            ["coach", "demo"],
            format_func=lambda m: t(f"mode_{m}", lang),
            key="fc_mode",
        )
    with c_ex:
        if mode == "demo" and DEMO_EXERCISE in names:
            exercise = DEMO_EXERCISE
            st.markdown(f"**{t('exercise', lang)}**  \n{_title(exercise, lang)}")
        else:
            if st.session_state.get("fc_exercise") not in names:
                st.session_state["fc_exercise"] = "bridge" if "bridge" in names else names[0]
            exercise = st.selectbox(
                t("exercise", lang),
                names,
                format_func=lambda n: _title(n, lang),
                key="fc_exercise",
            )
    try:
        template = _template(exercise)
    except TemplateError as e:
        st.error(str(e).splitlines()[0])
        return
    coach.update_settings(
        LiveSettings(exercise=exercise, lang=lang, mode=mode, model=st.session_state.get("fc_model", "auto"))
    )
    with c_pain:
        pain = st.pills(t("pain_before", lang), list(range(11)), key="fc_pain_before")
    with coach.lock:
        coach.pain_before = pain
        if coach.record is not None and coach.live and coach.record.pain_before is None:
            coach.record.pain_before = pain
    st.html(f'<div class="fc-stop" id="fc-stop-note">{ui.esc(t("stop_note", lang))}</div>')

    _setup_guide(template, lang, expanded=not coach.live)
    left, right = st.columns([3, 2], gap="medium")
    with left:
        playing = _video(coach, lang)
    with right:
        if not playing and not coach.live:
            st.info(t("press_start", lang))
        _live_panel(coach, template, lang, mode, bool(st.session_state.get("fc_mute")))
    if mode == "demo":
        _replay(coach, lang)
    if not playing:
        _summary(coach, lang)


def _title(name: str, lang: str) -> str:
    try:
        return _template(name).title.get(lang)
    except TemplateError:
        return name


def _setup_guide(template: Template, lang: str, expanded: bool) -> None:
    cam = template.camera
    with st.expander(t("setup_title", lang), expanded=expanded):
        facts = "setup_facts" if cam.view == "side" else "setup_facts_front"
        st.subheader(
            t(
                facts,
                lang,
                near=cam.distance_m[0],
                far=cam.distance_m[1],
                height=t(f"height_{cam.height}", lang),
            )
        )
        c1, c2 = st.columns([3, 2])
        with c1, contextlib.suppress(Exception):  # the words beside it still say it all
            st.image(_setup_picture(template.name, lang), channels="BGR", width="stretch")
        with c2:
            st.markdown(f"**{cam.text.get(lang)}**")
            st.write(template.instructions.get(lang))


def _video(coach: CoachSession, lang: str) -> bool:
    """The camera component (camera in, overlay drawn in the page); whether it is streaming."""
    try:
        server = frame_server()
    except (OSError, ValueError) as e:
        st.error(str(e))
        return False
    url = server.url(server.register(coach))
    return camera(url, lang, key=CAMERA_KEY)


def cue_kind(code: str) -> str:
    """``good``, ``setup`` or ``fix`` for a cue code (the banner colour)."""
    return wire.cue_kind(code)


def readout(u: LiveUpdate | None, template: Template, lang: str, note: str | None = None) -> ui.Readout:
    """The big board's content for the latest update (None: nothing processed yet)."""
    hold = template.hold
    hold_label = t("hold_label", lang) if hold is not None else None
    if u is None:
        target = hold.min_s if hold else 0.0
        return ui.Readout(
            reps=0,
            reps_label=t("reps_label", lang),
            reps_sub=t("reps_of", lang, target=template.target_reps),
            hold_label=hold_label,
            hold_left_s=target if hold else None,
            hold_sub=f"{target:g} s" if hold else "",
            ok_line=note or "",
        )
    hold_left, frac, hold_sub = None, 0.0, ""
    if hold is not None:
        target = u.hold_target_s or hold.min_s
        if u.phase == hold.phase:
            hold_left = max(0.0, target - u.hold_s)
            frac = u.hold_s / target if target > 0 else 1.0
            hold_sub = (
                t("hold_done", lang) if hold_left <= 0 else t("hold_left", lang, s=math.ceil(hold_left))
            )
        else:
            hold_left, hold_sub = target, f"{target:g} s"
    cue_code = u.cue[0] if u.cue else None
    issues = tuple(message(c, lang) for c in u.issues if c in MESSAGES and c != cue_code)
    if u.error:
        issues = (*issues, t(u.error, lang))
    ok_line = note or (t("setup_ok", lang) if u.counting else t("setup_checking", lang))
    stats = t(
        "live_stats",
        lang,
        fps=u.fps,
        input_fps=u.input_fps,
        dropped=u.dropped,
        latency=u.latency_ms,
        model=u.model,
    )
    return ui.Readout(
        reps=u.reps,
        reps_label=t("reps_label", lang),
        reps_sub=t("reps_of", lang, target=template.target_reps),
        hold_label=hold_label,
        hold_left_s=hold_left,
        hold_fraction=frac,
        hold_sub=hold_sub,
        cue=u.cue[1].get(lang) if u.cue else None,
        cue_kind=cue_kind(u.cue[0]) if u.cue else "none",
        issues=issues,
        ok_line=ok_line,
        stats=stats,
    )


def speech_items(updates: Sequence[LiveUpdate], lang: str) -> list[tuple[str, str, str]]:
    """What to say for the updates of one poll: ``(id, text, lang)`` items, at most one per session.

    The newest rep count and the newest cue of the poll are said together as one utterance ("3. Nice
    bridge!"), so the count is never cut off by its own cue; counts and cues overtaken within the same poll
    are not said at all. The id ends in ``-rep`` when the item says a count, else in ``-cue``.
    """
    out: list[tuple[str, str, str]] = []
    groups: list[list[LiveUpdate]] = []
    for u in updates:
        if groups and groups[-1][0].session_id == u.session_id:
            groups[-1].append(u)
        else:
            groups.append([u])
    for group in groups:
        rep = next((u for u in reversed(group) if u.new_rep is not None), None)
        cue = next((u for u in reversed(group) if u.new_cue is not None), None)
        if rep is None and cue is None:
            continue
        parts = [str(rep.reps)] if rep is not None else []
        if cue is not None and cue.new_cue is not None:
            parts.append(cue.new_cue[1].get(lang))
        last = max((u for u in (rep, cue) if u is not None), key=lambda u: u.seq)
        kind = "rep" if rep is not None else "cue"
        out.append((f"{last.session_id}-{last.seq}-{kind}", ". ".join(parts), lang))
    return out


@st.fragment(run_every=POLL_S)
def _live_panel(coach: CoachSession, template: Template, lang: str, mode: str, muted: bool) -> None:
    """Polls the video thread's updates and redraws the board (no full rerun)."""
    panel = _panel()
    updates = coach.drain()
    speech = panel.speech if panel.speech is not None else []
    speech.extend(speech_items(updates, lang))
    panel.speech = speech[-SPEECH_KEEP:]
    if updates:
        panel.last = updates[-1]
        panel.stale_noted = False
    u = panel.last if panel.last is not None and panel.last.exercise == template.name else None
    note = None
    if coach.live and time.monotonic() - coach.last_frame_wall > STALE_S:
        note = t("camera_lost", lang)
        if not panel.stale_noted:
            panel.stale_noted = True
            coach.note("camera_lost")
            coach.save_async()
    r = readout(u, template, lang)
    if u is not None and (not coach.live or note):  # stopped or no picture: keep the count, drop the rest
        r = ui.Readout(reps=r.reps, reps_label=r.reps_label, reps_sub=r.reps_sub)
    if note:
        r = ui.Readout(**{**r.__dict__, "issues": (*r.issues, note)})
    if coach.model_note and r.stats:
        r = ui.Readout(**{**r.__dict__, "stats": f"{r.stats} · {t(coach.model_note, lang)}"})
    if mode == "demo":
        feats = u.feats if u is not None and not note else {}
        knee = ui.gauge_html(
            t("gauge_knee_flexion", lang), feats.get("knee_flexion"), ui.KNEE_ZONES, "fc-gauge-knee"
        )
        trunk = ui.gauge_html(
            t("gauge_trunk_incline", lang), feats.get("trunk_incline"), ui.TRUNK_ZONES, "fc-gauge-trunk"
        )
        st.html(ui.gauges_html([knee, trunk]))
    st.html(ui.board_html(r))
    if mode == "demo":
        reps = coach.reps_copy()
        if reps:
            st.html(ui.lifts_html([_lift_item(r, template, lang) for r in reversed(reps[-4:])]))
    st.html(ui.speech_html(panel.speech or [], muted, t("no_voice", lang)), unsafe_allow_javascript=True)


def fault_text(template: Template, code: str, lang: str) -> str:
    """The plain-words text of a fault code (its cue in the template)."""
    cue = template.fault_cue(code)
    return cue.get(lang) if cue is not None else code


def technique_text(name: str | None, lang: str) -> str:
    """The display name of a technique label (squat / semi-squat / stoop)."""
    if not name:
        return ""
    key = f"technique_{name}"
    return t(key, lang) if key in MESSAGES else name


def _lift_item(rep: dict[str, Any], template: Template, lang: str) -> ui.LiftItem:
    faults = rep.get("faults") or []
    details = " ".join(fault_text(template, f, lang) for f in faults) if faults else t("no_faults", lang)
    return ui.LiftItem(
        title=t(
            "lift_item", lang, n=rep.get("index", "?"), technique=technique_text(rep.get("technique"), lang)
        ),
        technique=str(rep.get("technique") or "semi-squat"),
        details=details,
    )


@st.fragment
def _replay(coach: CoachSession, lang: str) -> None:
    """Slow-motion replay of the last lift from the in-memory ring buffer (its own fragment: instant)."""
    st.subheader(t("replay_title", lang))
    c1, c2 = st.columns([2, 3])
    with c1:
        show = st.button(t("replay_button", lang), key="fc_replay", type="primary")
        speed = st.select_slider(
            t("replay_speed", lang),
            [0.1, 0.25, 0.5, 1.0],
            value=0.25,
            key="fc_speed",
            format_func=lambda s: f"{s:g}×",
        )
        st.caption(t("replay_note", lang))
    with coach.lock:
        clip = coach.last_lift
    if show:
        st.session_state["fc_replay_shown"] = clip.rep.index if clip is not None else None
    with c2:
        if show and clip is None:
            st.info(t("replay_none", lang))
        elif clip is not None and st.session_state.get("fc_replay_shown") == clip.rep.index:
            tech = technique_text(clip.rep.technique, lang)
            caption = t("lift_item", lang, n=clip.rep.index, technique=tech)
            st.html(
                ui.replay_html(clip.frames, clip.fps, float(speed), caption, f"{clip.rep.index}-{speed}"),
                unsafe_allow_javascript=True,
            )


# ---------------------------------------------------------------------------------------------- summary


def summary_rows(rec: SessionRecord, template: Template, lang: str) -> list[dict[str, Any]]:
    """One table row per rep: number, score, faults in words, hold time, technique."""
    rows = []
    for r in rec.reps:
        row: dict[str, Any] = {
            t("col_rep", lang): r.get("index"),
            t("col_score", lang): round(float(r.get("score") or 0.0)),
        }
        if template.hold is not None:
            row[t("col_hold", lang)] = r.get("hold_s")
        if template.technique is not None:
            row[t("col_technique", lang)] = technique_text(r.get("technique"), lang)
        faults = r.get("faults") or []
        row[t("col_faults", lang)] = " ".join(fault_text(template, f, lang) for f in faults) or t(
            "no_faults", lang
        )
        rows.append(row)
    return rows


def chart_data(rec: SessionRecord, lang: str) -> dict[str, list[float | None]]:
    """``{column: values}`` for ``st.line_chart``: time plus each display feature (labelled)."""
    from formcheck.draw.text import feature_label

    time_col = t("col_time", lang)
    data: dict[str, list[float | None]] = {time_col: []}
    labels = [feature_label(n, lang) for n in rec.series_features]
    for label in labels:
        data[label] = []
    for row in rec.series:
        data[time_col].append(row[0])
        for label, v in zip(labels, row[1:], strict=False):
            data[label].append(v if v is not None and math.isfinite(v) else None)
    return data


def _summary(coach: CoachSession, lang: str) -> None:
    rec = coach.snapshot()
    if rec is None:
        return
    try:
        template = _template(rec.exercise)
    except TemplateError:
        return
    st.header(t("summary_title", lang))
    if not rec.reps:
        st.info(t("summary_none", lang))
    else:
        scores = [float(r.get("score") or 0.0) for r in rec.reps]
        c1, c2, c3 = st.columns(3)
        c1.metric(f"{template.title.get(lang)} · {t('reps_label', lang)}", len(rec.reps))
        c2.metric(t("summary_score", lang), f"{sum(scores) / len(scores):.0f} / 100")
        holds = [float(r["hold_s"]) for r in rec.reps if r.get("hold_s") is not None]
        if holds:
            c3.metric(t("summary_hold", lang), f"{sum(holds) / len(holds):.1f} s")
        st.dataframe(summary_rows(rec, template, lang), hide_index=True, width="stretch")
    if rec.series:
        data = chart_data(rec, lang)
        names = [k for k in data if k != t("col_time", lang)]
        st.subheader(t("chart_title", lang))
        st.line_chart(data, x=t("col_time", lang), y=names)
    after = st.pills(t("pain_after", lang), list(range(11)), key=f"fc_pain_after_{rec.id}")
    if after is not None and after != rec.pain_after:
        err = coach.set_pain_after(int(after))
        rec.pain_after = int(after)
        if err:
            st.error(t("save_failed", lang, error=err))
    before = rec.pain_before
    if after is not None and before is not None and after - before >= PAIN_WORSE:
        st.error(t("pain_much_worse", lang))
    with coach.lock:
        err = coach.save_error
    if err:
        st.error(t("save_failed", lang, error=err))
    elif coach.store is not None and not coach.live:
        st.success(t("saved", lang))
    if st.button(t("new_session", lang), key="fc_new_session"):
        with coach.lock:
            coach.record = None
            coach.last_lift = None
        st.session_state.pop(f"fc_pain_after_{rec.id}", None)
        st.session_state.pop("fc_pain_before", None)
        st.rerun()


def _history(lang: str) -> None:
    store = _store()
    with st.expander(t("history_title", lang), expanded=bool(st.session_state.get("fc_delete_asked"))):
        if st.session_state.pop("fc_history_deleted", False):
            st.success(t("history_deleted", lang))
        try:
            recent = store.recent(10)
        except StoreError as e:
            st.warning(t("store_unavailable", lang, error=str(e)))
            return
        if not recent:
            st.write(t("history_empty", lang))
            return
        _history_rows(recent, lang)
        _delete_history(store, lang)


def _delete_history(store: SessionStore, lang: str) -> None:
    """The "delete my history" button, with a confirmation step."""
    if not st.session_state.get("fc_delete_asked"):
        if st.button(t("delete_history", lang), key="fc_delete_history"):
            st.session_state["fc_delete_asked"] = True
            st.rerun()
        return
    st.warning(t("delete_confirm", lang))
    yes, no = st.columns(2)
    if yes.button(t("delete_yes", lang), key="fc_delete_yes", type="primary"):
        st.session_state["fc_delete_asked"] = False
        coach = st.session_state.get("fc_coach")
        if isinstance(coach, CoachSession):
            coach.flush()  # a save still queued must not bring a session back after the delete
        try:
            store.delete_all()
        except StoreError as e:
            st.error(t("save_failed", lang, error=str(e)))
            return
        if isinstance(coach, CoachSession):
            with coach.lock:
                if not coach.live:  # the finished session on screen is gone too (a live one goes on)
                    coach.record = None
                    coach.last_lift = None
        st.session_state["fc_history_deleted"] = True
        st.rerun()
    if no.button(t("delete_no", lang), key="fc_delete_no"):
        st.session_state["fc_delete_asked"] = False
        st.rerun()


def _history_rows(recent: Sequence[SessionRecord], lang: str) -> None:
    for rec in recent:
        try:
            date = datetime.fromisoformat(rec.started_at).astimezone().strftime("%Y-%m-%d %H:%M")
        except ValueError:
            date = rec.started_at
        st.write(
            t(
                "history_row",
                lang,
                date=date,
                exercise=_title(rec.exercise, lang),
                reps=len(rec.reps),
                before="–" if rec.pain_before is None else rec.pain_before,
                after="–" if rec.pain_after is None else rec.pain_after,
            )
        )
