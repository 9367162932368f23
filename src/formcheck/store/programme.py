"""Programme files: read, validate (:mod:`formcheck.core.programme`), write back as readable TOML.

A physio composes a programme, saves it as one ``.toml`` file and hands it to the patient (download,
e-mail, USB); the patient opens it in formcheck. The built-in starter programme (the patient material's
home exercises) ships inside the package as ``programmes/starter.toml``.

Reading is strict: a file that is not UTF-8 or not TOML, an unknown key, a wrong type, an impossible number,
an exercise this formcheck does not have, or a newer format version is a
:class:`~formcheck.core.programme.ProgrammeError` naming the file, the key and what was expected.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Collection
from importlib import resources
from pathlib import Path

from formcheck.core.programme import PROGRAMME_SCHEMA, Programme, ProgrammeError, parse_programme
from formcheck.core.templates import available

#: Name of the built-in starter programme file.
STARTER = "starter.toml"
#: Largest programme file read (bytes): a programme is a few kB; anything far bigger is not one.
MAX_FILE_BYTES = 256 * 1024


def known_exercises() -> list[str]:
    """The exercises a programme may name here: the built-in and taught templates."""
    return available()


def parse_programme_text(
    text: str | bytes, source: str, exercises: Collection[str] | None = None
) -> Programme:
    """Validate the programme in ``text`` (a file's content; ``source`` names it in messages).

    Args:
        text: the TOML text (bytes are decoded as UTF-8).
        source: the file name shown in messages.
        exercises: the exercises allowed; default :func:`known_exercises`.

    Raises:
        ProgrammeError: not UTF-8, not TOML, or not a valid programme.
    """
    if isinstance(text, bytes):
        if len(text) > MAX_FILE_BYTES:
            raise ProgrammeError(
                f"{source}: expected a programme file (a few kB), got {len(text) // 1024} kB: not a programme"
            )
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ProgrammeError(f"{source}: expected a text file (UTF-8 TOML), got binary data") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ProgrammeError(f"{source}: not valid TOML: {e}") from None
    return parse_programme(data, source, known_exercises() if exercises is None else exercises)


def load_programme_file(path: str | Path, exercises: Collection[str] | None = None) -> Programme:
    """Read and validate the programme file ``path``.

    Raises:
        ProgrammeError: a missing or unreadable file, or an invalid programme (:func:`parse_programme_text`).
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ProgrammeError(f"{p}: file not found") from None
    except OSError as e:
        raise ProgrammeError(f"{p}: cannot read: {e.strerror or e}") from None
    return parse_programme_text(raw, str(p), exercises)


def starter_text() -> str:
    """The built-in starter programme's file text."""
    return (resources.files("formcheck") / "programmes" / STARTER).read_text(encoding="utf-8")


def load_starter(exercises: Collection[str] | None = None) -> Programme:
    """The built-in starter programme.

    Raises:
        ProgrammeError: it names an exercise this formcheck does not have (the message says which).
    """
    return parse_programme_text(starter_text(), f"the starter programme ({STARTER})", exercises)


# --------------------------------------------------------------------------------------------- writing


def _q(s: str) -> str:
    """``s`` as a TOML basic string (JSON's escapes are all valid TOML escapes)."""
    return json.dumps(s, ensure_ascii=False)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def programme_to_toml(prog: Programme) -> str:
    """``prog`` as a programme file (readable TOML that :func:`parse_programme_text` reads back equal)."""
    lines = [
        "# A formcheck exercise programme: open it in formcheck (Programme page), or edit it as text.",
        f"schema = {PROGRAMME_SCHEMA}",
        f"weeks = {prog.weeks}",
        f"days_per_week = {prog.days_per_week}",
        f"rest_s = {_num(prog.rest_s)}",
    ]
    if prog.author:
        lines.append(f"author = {_q(prog.author)}")
    if prog.note:
        lines.append(f"note = {_q(prog.note)}")
    if prog.title.nl == prog.title.en:
        lines.insert(2, f"title = {_q(prog.title.nl)}")
    else:
        lines += ["", "[title]", f"nl = {_q(prog.title.nl)}", f"en = {_q(prog.title.en)}"]
    for item in prog.items:
        lines += ["", "[[exercises]]", f"exercise = {_q(item.exercise)}"]
        if item.per_side:
            lines.append("per_side = true")
        if item.rest_s != prog.rest_s:
            lines.append(f"rest_s = {_num(item.rest_s)}")
        if item.note:
            lines.append(f"note = {_q(item.note)}")
        for st in item.stages:
            lines += ["[[exercises.progression]]", f"from = {st.first_week}", f"to = {st.last_week}"]
            lines += [f"sets = {st.sets}", f"reps = {st.reps}"]
            if st.hold_s is not None:
                lo, hi = st.hold_s
                lines.append(f"hold_s = {_num(lo)}" if lo == hi else f"hold_s = [{_num(lo)}, {_num(hi)}]")
    return "\n".join(lines) + "\n"
