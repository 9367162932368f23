"""Cue selection: one at a time, by priority, with cooldown, no nagging."""

from __future__ import annotations

from formcheck.core.cues import CueSelector, Priority
from formcheck.core.templates import Text

T = Text(nl="x", en="x")


def test_one_cue_at_a_time_and_more_important_interrupts():
    sel = CueSelector(show_s=3.0, cooldown_s=2.0, repeat_s=8.0)
    sel.offer(0.0, "good_rep", T, Priority.GOOD)
    sel.offer(0.0, "hips_low", T, 2)
    first = sel.select(0.0)
    assert first is not None and first.code == "hips_low"  # lowest number wins
    sel.offer(1.0, "minor", T, 5)
    assert sel.select(1.0) is None  # less important than the one on screen
    sel.offer(1.5, "too_dark", T, Priority.SETUP)
    urgent = sel.select(1.5)
    assert urgent is not None and urgent.code == "too_dark"
    assert sel.current(2.0).code == "too_dark"
    assert sel.current(5.0) is None  # shown for 3 s


def test_same_cue_not_repeated_within_repeat_window():
    sel = CueSelector(show_s=1.0, cooldown_s=0.5, repeat_s=8.0)
    emitted = []
    for i in range(200):
        t = i * 0.1
        sel.offer(t, "turn_sideways", T, Priority.SETUP)
        if sel.select(t):
            emitted.append(t)
    assert emitted == [0.0, 8.0, 16.0]


def test_one_off_event_waits_for_its_turn_then_expires():
    sel = CueSelector(show_s=3.0, cooldown_s=2.0, repeat_s=8.0)
    sel.offer(0.0, "hold_done", T, Priority.HOLD)
    assert sel.select(0.0).code == "hold_done"
    sel.offer(1.0, "good_rep", T, Priority.GOOD, ttl_s=4.0)
    assert sel.select(1.0) is None
    shown = [t for t in (2.0, 3.0, 3.1) if sel.select(t)]
    assert shown == [3.0]  # as soon as the screen is free
    sel.offer(10.0, "late", T, Priority.GOOD, ttl_s=1.0)
    sel.offer(10.0, "now", T, Priority.SETUP)
    assert sel.select(10.0).code == "now"
    assert sel.select(11.5) is None  # "late" expired while "now" was on screen
    assert [c.code for c in sel.history] == ["hold_done", "good_rep", "now"]
