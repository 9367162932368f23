"""The desk-posture monitor's template (``exercises/desk_posture.toml``), strictly validated.

A monitor template has ``kind = "monitor"`` and, instead of the exercises' count, phases, holds and
faults, a ``[limits]`` table (:class:`formcheck.core.posture.Limits`), a ``[timing]`` table
(:class:`formcheck.core.desk.Timing`) and ``[reminders.<code>]`` texts in Dutch and English. Unknown keys,
missing fields and impossible values are a :class:`~formcheck.core.templates.TemplateError` naming the
file and the key, like the exercise templates.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from formcheck.core.desk import Timing
from formcheck.core.posture import POSTURES, VIEWS, Limits
from formcheck.core.templates import TableReader, TemplateError, Text, builtin_dir, read_toml

#: Reminder texts a monitor template must give: one per posture that is not upright, the screen, standing
#: up, and the praise after a good stretch.
REMINDERS: tuple[str, ...] = (
    *(p for p in POSTURES if p not in ("upright", "away")),
    "screen_low",
    "stand_up",
    "good",
)
#: Limits that may be negative (leaning back is a negative forward lean); the others are > 0.
SIGNED_LIMITS = ("back_fixed",)


@dataclass(frozen=True)
class MonitorTemplate:
    """A posture monitor (``kind = "monitor"``)."""

    name: str
    title: Text
    instructions: Text
    views: tuple[str, ...]
    camera_text: Text
    limits: Limits
    timing: Timing
    reminders: dict[str, Text]
    source: str


def parse_monitor(data: dict[str, Any], source: str) -> MonitorTemplate:
    """Validate parsed TOML ``data`` (from ``source``, used in messages) into a :class:`MonitorTemplate`."""
    r = TableReader(source, data, "")
    r.num("schema", 1, 1)
    r.str("kind", ("monitor",))
    name = r.str("name")
    title, instructions = r.text("title"), r.text("instructions")
    cam = r.sub("camera")
    assert cam is not None
    views = cam.strs("views")
    for v in views:
        if v not in VIEWS:
            cam.fail(cam.key("views"), f"expected views from {', '.join(VIEWS)}, got '{v}'")
    camera_text = cam.text("text")
    cam.done()
    lr = r.sub("limits")
    assert lr is not None
    ranges = {
        f.name: (-90.0, 0.0) if f.name in SIGNED_LIMITS else (0.0, 90.0) for f in dataclasses.fields(Limits)
    }
    limits = Limits(**{name: lr.num(name, lo, hi) for name, (lo, hi) in ranges.items()})
    lr.done()
    tr = r.sub("timing")
    assert tr is not None
    timing = Timing(**{f.name: tr.num(f.name, 0.0, 24 * 3600.0) for f in dataclasses.fields(Timing)})
    for key in ("calibration_s", "smooth_s", "score_bin_s", "away_after_s"):
        if getattr(timing, key) <= 0:
            tr.fail(tr.key(key), "expected a number above 0")
    tr.done()
    rr = r.sub("reminders")
    assert rr is not None
    reminders = {code: rr.text(code) for code in REMINDERS}
    rr.done()
    r.done()
    return MonitorTemplate(
        name=name,
        title=title,
        instructions=instructions,
        views=views,
        camera_text=camera_text,
        limits=limits,
        timing=timing,
        reminders=reminders,
        source=source,
    )


def load_monitor(name_or_path: str) -> MonitorTemplate:
    """A built-in monitor by name (``desk_posture``) or a monitor template file (``.toml``).

    Raises:
        TemplateError: unknown name, unreadable file, bad TOML or a validation error.
    """
    p = Path(name_or_path) if name_or_path.endswith(".toml") else builtin_dir() / f"{name_or_path}.toml"
    data = read_toml(p)
    t = parse_monitor(data, str(p))
    if t.name != p.stem:
        raise TemplateError(f"{p}: name: expected '{p.stem}' (the file name), got '{t.name}'")
    return t


def reminder_text(template: MonitorTemplate, code: str, lang: str) -> str:
    """The reminder text of ``code`` in ``lang`` (empty for an unknown code)."""
    text = template.reminders.get(code)
    return "" if text is None else text.get(lang)
