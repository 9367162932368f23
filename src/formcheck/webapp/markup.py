"""HTML pieces of the pages: pure functions from values to HTML strings (no Streamlit; easy to test).

Everything is sized to be read from the floor at 2-3 m: the rep counter and the hold countdown are several
centimetres high on a laptop screen, the cue is one short line in large bold type. Colours follow the
overlay: green for good, amber for a correction, blue for set-up hints. Texts come in already translated;
every string that reaches the page is HTML-escaped here.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

#: Page-wide CSS (injected once per run).
CSS = """
<style>
:root { --fc-ink: #14213d; --fc-good: #1b7f3b; --fc-fix: #b45309; --fc-setup: #1d4ed8; --fc-bad: #b91c1c; }
.block-container { padding-top: 1.6rem; max-width: 1400px; }
.fc-board { background: #0f1b2d; color: #fff; border-radius: 18px; padding: 14px 20px 18px; }
.fc-row { display: flex; gap: 16px; align-items: stretch; }
.fc-cell { flex: 1 1 0; text-align: center; }
.fc-label { font-size: 1.35rem; font-weight: 700; letter-spacing: .04em; text-transform: uppercase;
  opacity: .8; }
.fc-big { font-size: clamp(5rem, 11vw, 10rem); font-weight: 800; line-height: 1; margin: 4px 0;
  font-variant-numeric: tabular-nums; }
.fc-sub { font-size: 1.6rem; font-weight: 600; opacity: .85; }
.fc-legs { font-size: clamp(1.8rem, 3vw, 2.8rem); font-weight: 800; margin-top: 6px; white-space: nowrap; }
.fc-hold .fc-big { color: #fbbf24; }
.fc-hold.fc-done .fc-big { color: #4ade80; }
.fc-bar { height: 16px; background: rgba(255,255,255,.18); border-radius: 8px; overflow: hidden;
  margin-top: 8px; }
.fc-bar > div { height: 100%; background: #fbbf24; }
.fc-done .fc-bar > div { background: #4ade80; }
.fc-cue { margin-top: 14px; border-radius: 14px; padding: 14px 18px; font-size: clamp(1.6rem, 2.6vw, 2.6rem);
  font-weight: 800; line-height: 1.2; min-height: 2.6em; display: flex; align-items: center; }
.fc-cue-good { background: var(--fc-good); } .fc-cue-fix { background: var(--fc-fix); }
.fc-cue-setup { background: var(--fc-setup); }
.fc-cue-none { background: rgba(255,255,255,.08); opacity: .7; }
.fc-issues { margin: 12px 0 0; padding: 0; list-style: none; }
.fc-issues li { font-size: 1.45rem; font-weight: 700; background: rgba(185, 28, 28, .85); border-radius: 10px;
  padding: 8px 14px; margin-top: 8px; }
.fc-ok { font-size: 1.3rem; font-weight: 700; color: #4ade80; margin-top: 10px; }
.fc-stats { font-size: .95rem; opacity: .7; margin-top: 10px; }
.fc-gauges { display: flex; gap: 12px; margin-bottom: 12px; }
.fc-gauge { flex: 1 1 0; min-width: 0; background: #0f1b2d; color: #fff; border-radius: 18px;
  padding: 10px 10px; text-align: center; }
.fc-gauge .fc-label { font-size: 1.05rem; overflow-wrap: anywhere; }
.fc-scale { position: relative; display: flex; height: 22px; margin: 10px 6px 0; }
.fc-scale > div { height: 100%; }
.fc-scale > div:first-child { border-radius: 11px 0 0 11px; }
.fc-scale > div:nth-last-child(2), .fc-scale > div:last-child:not(.fc-mark) { border-radius: 0 11px 11px 0; }
.fc-scale .fc-mark { position: absolute; top: -7px; width: 8px; height: 36px; background: #fff;
  border-radius: 4px; transform: translateX(-50%); box-shadow: 0 0 0 3px #0f1b2d; }
.fc-ticks { display: flex; justify-content: space-between; font-size: .9rem; opacity: .7; margin: 4px 6px 0; }
.fc-gauge svg { width: 100%; height: auto; }
.fc-gauge .fc-gv { font-size: clamp(3rem, 6vw, 5.5rem); font-weight: 800; line-height: 1; }
.fc-lifts { list-style: none; padding: 0; margin: 10px 0 0; }
.fc-lifts li { background: #f1f5f9; color: var(--fc-ink); border-radius: 12px; padding: 10px 14px;
  margin-bottom: 8px; font-size: 1.35rem; font-weight: 700; }
.fc-lifts li span { display: block; font-size: 1.05rem; font-weight: 500; }
.fc-tech-squat { border-left: 10px solid var(--fc-good); }
.fc-tech-semi-squat { border-left: 10px solid var(--fc-fix); }
.fc-tech-stoop { border-left: 10px solid var(--fc-bad); }
.fc-gp { background: #fee2e2; color: #7f1d1d; border-radius: 14px; padding: 16px 20px; font-size: 1.3rem;
  font-weight: 700; }
.fc-facts { background: #ecfdf5; color: #064e3b; border-radius: 14px; padding: 12px 20px; font-size: 1.1rem; }
.fc-facts li { margin: 4px 0; }
.fc-stop { background: #fff7ed; color: #7c2d12; border-radius: 12px; padding: 10px 16px; font-size: 1.15rem;
  font-weight: 700; }
</style>
"""


def esc(text: str) -> str:
    """HTML-escape ``text``."""
    return html.escape(str(text), quote=True)


#: Characters that must not appear literally in JSON placed inside ``<script>``: ``<`` (``</script>``,
#: ``<!--``), ``>`` and ``&`` (HTML parsing), and the two line separators JavaScript treats as newlines.
_SCRIPT_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def script_json(value: object) -> str:
    """``value`` as JSON that is safe to place inside an HTML ``<script>`` element.

    The unsafe characters become ``\\uXXXX`` escapes (the same string for JavaScript), so no text can ever
    close the script tag or open an HTML comment.
    """
    out = json.dumps(value)
    for ch, rep in _SCRIPT_UNSAFE.items():
        out = out.replace(ch, rep)
    return out


@dataclass(frozen=True)
class Readout:
    """What the big board shows (all texts already translated).

    Attributes:
        reps: finished reps.
        reps_label / reps_sub: caption above and below the counter (e.g. "Reps", "of 10").
        legs: the reps per leg of a per-leg exercise ("Left 2 · Right 1"), else empty.
        hold_label: caption of the hold countdown; None hides the countdown.
        hold_left_s: seconds still to hold (0 when done), or None outside a hold.
        hold_fraction: 0..1 of the hold target reached.
        hold_sub: line under the countdown.
        cue: the cue on screen, or None.
        cue_kind: ``good``, ``fix``, ``setup`` or ``none``.
        issues: set-up problems in plain words.
        ok_line: a reassuring line when all is well (e.g. "Set-up OK").
        stats: a small status line (fps, model).
    """

    reps: int
    reps_label: str
    reps_sub: str
    legs: str = ""
    hold_label: str | None = None
    hold_left_s: float | None = None
    hold_fraction: float = 0.0
    hold_sub: str = ""
    cue: str | None = None
    cue_kind: str = "none"
    issues: tuple[str, ...] = ()
    ok_line: str = ""
    stats: str = ""


def board_html(r: Readout) -> str:
    """The big board: rep counter (and reps per leg), hold countdown, the one current cue and set-up
    problems."""
    legs = f'<div class="fc-legs" id="fc-legs">{esc(r.legs)}</div>' if r.legs else ""
    cells = [
        f'<div class="fc-cell fc-reps"><div class="fc-label">{esc(r.reps_label)}</div>'
        f'<div class="fc-big" id="fc-reps" data-reps="{int(r.reps)}">{int(r.reps)}</div>'
        f'<div class="fc-sub">{esc(r.reps_sub)}</div>{legs}</div>'
    ]
    if r.hold_label is not None:
        left = r.hold_left_s
        done = left is not None and left <= 0 and r.hold_fraction >= 1
        big = "–" if left is None else str(max(0, math.ceil(left)))
        frac = min(1.0, max(0.0, r.hold_fraction))
        cls = "fc-cell fc-hold fc-done" if done else "fc-cell fc-hold"
        cells.append(
            f'<div class="{cls}"><div class="fc-label">{esc(r.hold_label)}</div>'
            f'<div class="fc-big" id="fc-hold">{esc(big)}</div><div class="fc-sub">{esc(r.hold_sub)}</div>'
            f'<div class="fc-bar"><div style="width:{frac * 100:.0f}%"></div></div></div>'
        )
    kind = r.cue_kind if r.cue else "none"
    cue = (
        f'<div class="fc-cue fc-cue-{esc(kind)}" id="fc-cue" data-kind="{esc(kind)}">{esc(r.cue or "")}</div>'
    )
    issues = ""
    if r.issues:
        issues = (
            '<ul class="fc-issues" id="fc-issues">'
            + "".join(f"<li>{esc(i)}</li>" for i in r.issues)
            + "</ul>"
        )
    elif r.ok_line:
        issues = f'<div class="fc-ok" id="fc-ok">{esc(r.ok_line)}</div>'
    stats = f'<div class="fc-stats" id="fc-stats">{esc(r.stats)}</div>' if r.stats else ""
    return f'<div class="fc-board"><div class="fc-row">{"".join(cells)}</div>{cue}{issues}{stats}</div>'


@dataclass(frozen=True)
class Zone:
    """A coloured arc of a gauge from ``lo`` to ``hi`` (feature units)."""

    lo: float
    hi: float
    color: str


#: Knee flexion: little bend = stoop (red), some = semi-squat (amber), >= 60 degrees = squat (green).
KNEE_ZONES: tuple[Zone, ...] = (Zone(0, 30, "#dc2626"), Zone(30, 60, "#f59e0b"), Zone(60, 150, "#16a34a"))
#: Trunk inclination (REBA-style): upright to 20 degrees green, 20-60 amber, beyond 60 red.
TRUNK_ZONES: tuple[Zone, ...] = (Zone(0, 20, "#16a34a"), Zone(20, 60, "#f59e0b"), Zone(60, 100, "#dc2626"))


def gauge_html(label: str, value: float | None, zones: Sequence[Zone], gauge_id: str) -> str:
    """A large gauge: the value in degrees over a coloured scale with a marker (plain HTML and CSS).

    (``st.html`` sanitises SVG away, so the scale is a row of coloured segments.)
    """
    lo, hi = zones[0].lo, zones[-1].hi
    segs = "".join(
        f'<div style="width:{(z.hi - z.lo) / (hi - lo) * 100:.1f}%;background:{z.color}"></div>'
        for z in zones
    )
    ok = value is not None and math.isfinite(value)
    mark = ""
    if ok:
        f = min(1.0, max(0.0, (float(value) - lo) / (hi - lo)))  # type: ignore[arg-type]
        mark = f'<div class="fc-mark" style="left:{f * 100:.1f}%"></div>'
    text = f"{float(value):.0f}°" if ok else "–"  # type: ignore[arg-type]
    return (
        f'<div class="fc-gauge" id="{esc(gauge_id)}" data-value="{esc(text)}">'
        f'<div class="fc-label">{esc(label)}</div><div class="fc-gv">{esc(text)}</div>'
        f'<div class="fc-scale">{segs}{mark}</div>'
        f'<div class="fc-ticks"><span>{lo:g}°</span><span>{hi:g}°</span></div></div>'
    )


def gauges_html(items: Sequence[str]) -> str:
    """Gauges side by side."""
    return '<div class="fc-gauges">' + "".join(items) + "</div>"


@dataclass(frozen=True)
class LiftItem:
    """One lift in the demonstration list."""

    title: str
    technique: str
    details: str


def lifts_html(items: Sequence[LiftItem]) -> str:
    """The demonstrated lifts, newest first, coloured by technique."""
    rows = "".join(
        f'<li class="fc-tech-{esc(i.technique)}">{esc(i.title)}<span>{esc(i.details)}</span></li>'
        for i in items
    )
    return f'<ul class="fc-lifts" id="fc-lifts">{rows}</ul>'


#: BCP 47 tags for the speech synthesiser.
SPEECH_LANG: dict[str, str] = {"nl": "nl-NL", "en": "en-US"}


#: An utterance still queued or speaking this long after it was asked for is stale: a newer one cancels it.
SPEECH_STALE_MS = 2000


def speech_html(items: Sequence[tuple[str, str, str]], muted: bool, no_voice: str) -> str:
    """A script that speaks each ``(id, text, lang)`` once, with the browser's own offline voices.

    Runs in the page (not an iframe). Only voices with ``localService`` are used, so no text ever leaves
    the machine; when the browser has none, nothing is spoken and the ``no_voice`` note is shown instead.
    Every item is logged in ``window.__fcSpeech`` (for tests); ids already handled are skipped, so
    re-rendering the same items never repeats them.

    New items are queued behind what is being said; only utterances asked for more than
    :data:`SPEECH_STALE_MS` ago are cancelled (those still fresh are queued again), so a count and the cue
    right after it are both heard, but the voice never lags far behind the exercise.
    """
    data = script_json([{"id": i, "text": t, "lang": SPEECH_LANG.get(lang, lang)} for i, t, lang in items])
    return (
        f'<div class="fc-stats" id="fc-novoice" style="display:none;color:#7c2d12">{esc(no_voice)}</div>'
        "<script>(function(){"
        "const w = window; w.__fcSpoken = w.__fcSpoken || {}; w.__fcSpeech = w.__fcSpeech || [];"
        "w.__fcQueue = w.__fcQueue || [];"
        f"const items = {data}; const muted = {'true' if muted else 'false'};"
        f"const STALE_MS = {SPEECH_STALE_MS};"
        "const synth = w.speechSynthesis;"
        "function voices(){ return synth ? synth.getVoices().filter(v => v.localService) : []; }"
        "function voice(lang){ const vs = voices(); const base = lang.slice(0,2);"
        " return vs.find(v => v.lang === lang) || vs.find(v => (v.lang||'').slice(0,2) === base) || null; }"
        "function note(){ const el = document.getElementById('fc-novoice');"
        " if (el) el.style.display = (!muted && voices().length === 0) ? 'block' : 'none'; }"
        "if (synth) { setTimeout(note, 1500); }"
        "function say(e){ const q = Object.assign({}, e); const u = new SpeechSynthesisUtterance(q.text);"
        " u.lang = q.lang; u.voice = q.voice; u.rate = 0.95;"
        " const gone = () => { w.__fcQueue = w.__fcQueue.filter(x => x !== q); };"
        " u.onend = gone; u.onerror = gone; w.__fcQueue.push(q); synth.speak(u); }"
        "if (synth && muted && (synth.pending || synth.speaking)) { w.__fcQueue = []; synth.cancel(); }"
        "function drop_stale(){ const now = Date.now();"
        " if (!(synth.pending || synth.speaking)) { w.__fcQueue = []; return; }"
        " if (!w.__fcQueue.some(e => now - e.t > STALE_MS)) return;"
        " const keep = w.__fcQueue.filter(e => now - e.t <= STALE_MS); w.__fcQueue = [];"
        " synth.cancel(); for (const e of keep) say(e); }"
        "for (const it of items){ if (w.__fcSpoken[it.id]) continue; w.__fcSpoken[it.id] = 1;"
        " const v = voice(it.lang); const rec = {id: it.id, text: it.text, lang: it.lang, muted: muted,"
        " spoken: false};"
        " if (!muted && v){ drop_stale(); say({text: it.text, lang: it.lang, voice: v, t: Date.now()});"
        "  rec.spoken = true; }"
        " w.__fcSpeech.push(rec); }"
        "})();</script>"
    )


def replay_html(frames: Sequence[bytes], fps: float, speed: float, caption: str, replay_id: str) -> str:
    """A slow-motion player for JPEG frames, all in the page (nothing is written or fetched).

    Args:
        frames: JPEG-encoded frames.
        fps: real-time frame rate of the frames.
        speed: playback speed (0.25 = four times slower).
        caption: text under the picture.
        replay_id: a unique id so that a new clip restarts the player.
    """
    if not frames:
        return ""
    srcs = script_json(["data:image/jpeg;base64," + base64.b64encode(f).decode("ascii") for f in frames])
    delay_ms = max(10, int(1000.0 / max(1.0, fps) / max(0.05, speed)))
    rid = esc(replay_id)
    return (
        f'<div class="fc-replay"><img id="fc-replay-{rid}" style="width:100%;border-radius:14px" '
        f'alt="{esc(caption)}" src=""/><div class="fc-stats" style="color:#334155">{esc(caption)}</div></div>'
        f"<script>(function(){{ const f = {srcs}; let i = 0;"
        f" const img = document.getElementById('fc-replay-{rid}'); if (!img) return;"
        " if (window.__fcReplay) clearInterval(window.__fcReplay);"
        f" img.src = f[0]; window.__fcReplay = setInterval(function(){{ i = (i + 1) % f.length;"
        f" const el = document.getElementById('fc-replay-{rid}');"
        f" if (!el) {{ clearInterval(window.__fcReplay); return; }}"
        f" el.src = f[i]; }}, {delay_ms}); }})();</script>"
    )
