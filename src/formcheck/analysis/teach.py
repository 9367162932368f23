"""Teach by demonstration, the edge: a video (or a saved pose trace) in, a template saved in the user's
exercises folder out; and the comparison of an analysed recording's reps with the demonstration.

The derivation itself is pure (:mod:`formcheck.core.teach`). Here: reading the demonstration, the
exercise name rules, and saving. A taught exercise is two files in :func:`formcheck.core.templates.user_dir`:

- ``NAME.toml``: the template, in the schema of the built-in ones (listed by ``formcheck exercises`` and
  loaded by name like them, live and offline);
- ``NAME.demo.json``: the demonstration's traces (:class:`formcheck.core.teach.DemoReference`), read when a
  recording is analysed with that template to compare each rep with the demonstration. Without it the
  template still works; only the comparison is left out.

Nothing already saved is replaced unless the caller asks for it (``overwrite=True``), and a name of a
built-in exercise is refused.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import tempfile
import tomllib
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from formcheck.analysis.analyze import MULTIPLE_PEOPLE_SHARE
from formcheck.core.teach import DemoReference, Taught, TeachError, compare_rep, derive, template_toml
from formcheck.core.templates import Template, builtin_names, parse_template, user_dir
from formcheck.pose.pipeline import PoseTrace, trace_features

if TYPE_CHECKING:
    from formcheck.analysis.analyze import Analysis

#: A taught exercise's name: lower-case letters, digits and ``_``, starting with a letter (it is a file name).
NAME_RE = re.compile(r"[a-z][a-z0-9_]{1,39}")
#: The sidecar file of a template ``NAME.toml``.
DEMO_SUFFIX = ".demo.json"


def normalise_name(name: str) -> str:
    """The name as stored: trimmed, lower case, spaces and ``-`` as ``_``."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def check_name(name: str, folder: Path | None = None, *, overwrite: bool = False) -> Path:
    """The path ``NAME.toml`` a taught exercise would be saved at, after checking the name.

    Raises:
        TeachError: ``teach_bad_name`` (not a usable file name), ``teach_name_builtin`` (a built-in
            exercise's name) or ``teach_name_taken`` (already saved there, and ``overwrite`` not given).
    """
    if not NAME_RE.fullmatch(name):
        raise TeachError("teach_bad_name", name=name)
    if name in builtin_names():
        raise TeachError("teach_name_builtin", name=name)
    path = (folder if folder is not None else user_dir()) / f"{name}.toml"
    if not overwrite and (path.exists() or demo_path(path).exists()):
        raise TeachError("teach_name_taken", name=name, path=str(path))
    return path


def demo_path(template_path: str | Path) -> Path:
    """The demonstration sidecar of a template file (``NAME.toml`` -> ``NAME.demo.json``)."""
    p = Path(template_path)
    return p.with_name(p.stem + DEMO_SUFFIX)


def read_demo(
    source: str | os.PathLike[str], model: str = "full", progress: Callable[[int], None] | None = None
) -> PoseTrace:
    """The pose trace of a demonstration: a saved trace (``.npz``) as is, a video through the pose model.

    Raises:
        TeachError: ``teach_unreadable`` (missing, not a video, no decodable frame, a broken trace).
    """
    path = Path(source)
    if path.suffix.lower() == ".npz":
        try:
            return PoseTrace.load(str(path))
        except FileNotFoundError:
            raise TeachError("teach_unreadable", reason=f"{path}: file not found") from None
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
            raise TeachError("teach_unreadable", reason=f"{path}: not a pose trace ({e})") from None
    from formcheck.analysis.analyze import extract_trace
    from formcheck.pose.video import VideoError, probe

    try:
        info = probe(path)
        trace = extract_trace(info, model, with_mask=True, progress=progress)
    except VideoError as e:
        raise TeachError("teach_unreadable", reason=str(e)) from None
    if trace.frames == 0:
        raise TeachError("teach_unreadable", reason=f"{path}: no frame can be decoded")
    return trace


def trim(trace: PoseTrace, start_s: float = 0.0, end_s: float = math.inf) -> PoseTrace:
    """The part of a trace from ``start_s`` to ``end_s`` (s, frame times kept), e.g. the reps of a longer
    recording that make the demonstration."""
    keep = (trace.times >= start_s) & (trace.times <= end_s)

    def part(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else a[keep]

    return dataclasses.replace(
        trace,
        landmarks=trace.landmarks[keep],
        world=trace.world[keep],
        back=trace.back[keep],
        n_people=trace.n_people[keep],
        brightness=trace.brightness[keep],
        t=trace.times[keep],
        profile=part(trace.profile),
    )


def teach_trace(trace: PoseTrace, name: str, *, from_start: bool = False) -> Taught:
    """A template from a demonstration's pose trace (offline features, as ``formcheck analyze`` uses).

    Raises:
        TeachError: a second person in more of the frames than an analysis notes (the pose may switch
            between them), no person, no clear repeated movement, or fewer than 2 reps.
    """
    if trace.frames and float(np.mean(trace.n_people >= 2)) > MULTIPLE_PEOPLE_SHARE:
        raise TeachError("teach_two_people")
    _side, feats = trace_features(trace)
    return derive(trace.times, feats, name, from_start=from_start)


def validate(taught: Taught) -> tuple[str, Template]:
    """The TOML text of a taught template and the template it loads as (the loader's full validation)."""
    text = template_toml(taught)
    return text, parse_template(tomllib.loads(text), f"{taught.name}.toml")


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder (never half a file)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(
    taught: Taught, folder: Path | None = None, *, overwrite: bool = False, text: str | None = None
) -> Path:
    """Save a taught exercise (``NAME.toml`` and ``NAME.demo.json``) in ``folder`` (default: the user's
    exercises folder, created if needed).

    Args:
        taught: the taught template.
        folder: where to save it.
        overwrite: replace an exercise of the same name already saved there.
        text: the TOML to save (an edited version of :func:`formcheck.core.teach.template_toml`); it must
            validate and carry the same name.

    Returns:
        The path of the template file.

    Raises:
        TeachError: a bad or taken name (see :func:`check_name`).
        formcheck.core.templates.TemplateError: ``text`` does not validate.
        OSError: the folder cannot be written.
    """
    path = check_name(taught.name, folder, overwrite=overwrite)
    text = template_toml(taught) if text is None else text
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        from formcheck.core.templates import TemplateError

        raise TemplateError(f"{path.name}: not valid TOML: {e}") from None
    template = parse_template(data, str(path))
    if template.name != taught.name:
        from formcheck.core.templates import TemplateError

        raise TemplateError(f"{path.name}: name: expected '{taught.name}', got '{template.name}'")
    path.parent.mkdir(parents=True, exist_ok=True)
    _write(demo_path(path), json.dumps(taught.reference.to_json(), indent=1))
    _write(path, text)
    return path


def load_reference(template: Template) -> DemoReference | None:
    """The demonstration kept beside a taught template file, or None (a built-in template, no sidecar, or
    a sidecar that cannot be read: the comparison is then left out, the template still works)."""
    path = demo_path(template.source)
    if not template.source.endswith(".toml") or not path.is_file():
        return None
    try:
        return DemoReference.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def compare_analysis(analysis: Analysis) -> list[dict[str, Any] | None] | None:
    """Per rep of an analysed recording, how close it came to the demonstration (the ``demo`` entry of
    ``result.json``'s reps), or None when the template has no demonstration."""
    ref = load_reference(analysis.template)
    return None if ref is None else compare_reps(ref, analysis)


def compare_reps(ref: DemoReference, analysis: Analysis) -> list[dict[str, Any] | None]:
    """Per rep of an analysed recording, its comparison with ``ref`` (None for a rep too little seen)."""
    out: list[dict[str, Any] | None] = []
    for r in analysis.reps:
        m = compare_rep(ref, analysis.trace.times, analysis.features, r.start_s, r.end_s)
        out.append(None if m is None else m.to_json(analysis.lang))
    return out


def describe(taught: Taught) -> str:
    """What was taught, in a few lines (English, for the physiotherapist at the command line)."""
    m = taught.movement
    u = "leg lengths" if m.feature.endswith("_height") else "deg"
    low, high = taught.margins
    kind = f"an excursion going {m.direction} from rest" if m.kind == "excursion" else "a cycle"
    durations = [r.end_s - r.start_s for r in taught.reps]
    lines = [
        f"taught '{taught.name}' from {len(taught.reps)} reps: counted on {m.feature} ({u}), {kind}",
        f"  reps {min(durations):.1f}-{max(durations):.1f} s, ranges "
        + ", ".join(f"{r.range:.3g}" for r in taught.reps)
        + f" {u}; min_range {taught.min_range:g} (margin {low:.3g} to the smallest rep"
        + ("" if high is None else f", {high:.3g} over the largest movement between reps")
        + ")",
    ]
    if taught.hold is not None:
        held = ", ".join(f"{r.hold_s:.1f}" for r in taught.reps)
        lines.append(f"  hold {taught.hold[0]:g}-{taught.hold[1]:g} s (demonstrated {held} s)")
    if taught.still:
        lines.append(
            "  kept still: " + ", ".join(f"{s.feature} {s.level:g} +- {s.tolerance:g}" for s in taught.still)
        )
    lines.append("  compared with the demonstration: " + ", ".join(taught.reference.features))
    return "\n".join(lines)
