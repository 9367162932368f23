"""The live board's content (pure, no Streamlit): what the coach page shows and says for the video thread's
updates.

The coach page polls :class:`~formcheck.webapp.live.CoachSession` every :data:`POLL_S` seconds and turns
the newest :class:`~formcheck.webapp.live.LiveUpdate` into a :class:`~formcheck.webapp.markup.Readout`
(:func:`readout`) and the poll's counts and cues into speech items (:func:`speech_items`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from formcheck.core.messages import MESSAGES, leg_counts_text, message
from formcheck.core.templates import Template
from formcheck.webapp import markup, wire
from formcheck.webapp.live import LiveUpdate
from formcheck.webapp.texts import faults_text, t, technique_text

#: How often the live panel polls the video thread (s).
POLL_S = 0.3
#: No frame for this long while streaming means the camera stopped (s).
STALE_S = 3.0
#: Spoken items the panel keeps (the page's speech script skips ids it has already said).
SPEECH_KEEP = 8


@dataclass
class PanelState:
    """What the live panel remembers between its polls (kept in ``st.session_state``)."""

    last: LiveUpdate | None = None
    speech: list[tuple[str, str, str]] | None = None
    stale_noted: bool = False


def cue_kind(code: str) -> str:
    """``good``, ``setup`` or ``fix`` for a cue code (the banner colour)."""
    return wire.cue_kind(code)


def legs_line(u: LiveUpdate | None, template: Template, lang: str) -> str:
    """The reps per leg of a per-leg exercise in words ("Left 2 · Right 1"); empty for other exercises."""
    if template.legs[0] is None:
        return ""
    counts = (
        u.leg_reps if u is not None and u.leg_reps is not None else {str(leg): 0 for leg in template.legs}
    )
    return leg_counts_text(counts, lang)


def readout(u: LiveUpdate | None, template: Template, lang: str, note: str | None = None) -> markup.Readout:
    """The big board's content for the latest update (None: nothing processed yet); for a per-leg exercise
    also the reps per leg, and the leg of a hold in progress beside the hold's caption."""
    hold = template.hold
    hold_label = t("hold_label", lang) if hold is not None else None
    legs = legs_line(u, template, lang)
    if u is None:
        target = hold.min_s if hold else 0.0
        return markup.Readout(
            reps=0,
            reps_label=t("reps_label", lang),
            reps_sub=t("reps_of", lang, target=template.target_reps),
            legs=legs,
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
            if u.side in ("left", "right") and hold_label is not None:
                hold_label = t("hold_leg", lang, hold=hold_label, leg=t(f"side_{u.side}", lang))
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
    return markup.Readout(
        reps=u.reps,
        reps_label=t("reps_label", lang),
        reps_sub=t("reps_of", lang, target=template.target_reps),
        legs=legs,
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
    are not said at all. A per-leg rep is said with its leg and that leg's count ("left, 2"). The id ends in
    ``-rep`` when the item says a count, else in ``-cue``.
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
        parts = [said_count(rep, lang)] if rep is not None else []
        if cue is not None and cue.new_cue is not None:
            parts.append(cue.new_cue[1].get(lang))
        last = max((u for u in (rep, cue) if u is not None), key=lambda u: u.seq)
        kind = "rep" if rep is not None else "cue"
        out.append((f"{last.session_id}-{last.seq}-{kind}", ". ".join(parts), lang))
    return out


def said_count(u: LiveUpdate, lang: str) -> str:
    """The count to say for an update with a new rep: "3", or for a per-leg rep its leg and that leg's count
    ("links, 2")."""
    side = u.new_rep.side if u.new_rep is not None else None
    if side in ("left", "right") and u.leg_reps is not None and side in u.leg_reps:
        return t("said_leg_count", lang, leg=t(f"side_{side}", lang), n=u.leg_reps[side])
    return str(u.reps)


def lift_item(rep: dict[str, Any], template: Template, lang: str) -> markup.LiftItem:
    """One demonstrated lift for the list beside the board: number, technique, faults in words."""
    return markup.LiftItem(
        title=t(
            "lift_item", lang, n=rep.get("index", "?"), technique=technique_text(rep.get("technique"), lang)
        ),
        technique=str(rep.get("technique") or "semi-squat"),
        details=faults_text(template, rep.get("faults") or [], lang),
    )
