"""What the physio fills in on the compose page, as a programme (pure, no Streamlit).

The page's form gives :class:`ItemForm` rows; :func:`compose` turns them into the programme file's data and
validates it exactly as a file is validated (:func:`formcheck.core.programme.parse_programme`), so the
physio sees the same one-line messages the patient's formcheck would give.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from formcheck.core.programme import PROGRAMME_SCHEMA, Programme, ProgrammeError, parse_programme

#: Stages the form offers per exercise (weeks 1-2: 2 x 8, weeks 3-4: 3 x 10, ...).
STAGES = 3


@dataclass
class StageForm:
    """One stage of the form: from ``from_week`` (0: not used), ``sets`` x ``reps``, hold (0: none)."""

    from_week: int
    sets: int
    reps: int
    hold_s: float = 0.0


@dataclass
class ItemForm:
    """One exercise of the form."""

    exercise: str
    per_side: bool = False
    stages: list[StageForm] = field(default_factory=list)


def compose(
    title: str,
    weeks: int,
    days_per_week: int,
    rest_s: float,
    items: Sequence[ItemForm],
    exercises: Collection[str],
    author: str = "",
    note: str = "",
) -> Programme:
    """The programme the form describes.

    Each stage lasts until the next used stage begins (the last one until the end of the programme).

    Raises:
        ProgrammeError: the form does not make a valid programme (the message names the key, as for a file).
    """
    data: dict[str, Any] = {
        "schema": PROGRAMME_SCHEMA,
        "title": title,
        "weeks": weeks,
        "days_per_week": days_per_week,
        "rest_s": rest_s,
    }
    if author.strip():
        data["author"] = author.strip()
    if note.strip():
        data["note"] = note.strip()
    data["exercises"] = []
    for i, item in enumerate(items):
        used = sorted((s for s in item.stages if s.from_week > 0), key=lambda s: s.from_week)
        starts = [s.from_week for s in used]
        twice = sorted({w for w in starts if starts.count(w) > 1})
        if twice:
            raise ProgrammeError(
                f"the programme: exercises[{i}]: two stages begin in week {twice[0]}; expected each stage to "
                "begin later than the one before"
            )
        stages = []
        for k, s in enumerate(used):
            stage: dict[str, Any] = {"from": s.from_week, "sets": s.sets, "reps": s.reps}
            if k + 1 < len(used):
                stage["to"] = used[k + 1].from_week - 1
            if s.hold_s > 0:
                stage["hold_s"] = s.hold_s
            stages.append(stage)
        entry: dict[str, Any] = {"exercise": item.exercise, "progression": stages}
        if item.per_side:
            entry["per_side"] = True
        data["exercises"].append(entry)
    return parse_programme(data, "the programme", exercises)
