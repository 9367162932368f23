"""Which exercise a video shows, suggested from the movement; when two exercises fit, the physio chooses.

Every template is run over the same pose trace. A template is a *contender* when it counts at least one
rep and the person is in its start position (its ``[position]`` bands) in at least :data:`POSITION_SHARE`
of the frames with a pose. Exactly one contender is the suggestion; none or several is no suggestion (the
safer error: some exercises are nested movements, e.g. a bridge contains a pelvic tilt, and the counts
cannot tell them apart), and the page asks the physio to choose among the contenders.

Measured on the shared clips' traces by ``tests/test_suggest.py`` (dev and check printed apart): never a
wrong exercise; where it abstains, see the test's output.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from formcheck.analysis.analyze import Analysis, analyze_trace
from formcheck.core.landmarks import has_pose
from formcheck.core.templates import Template
from formcheck.pose.pipeline import PoseTrace

#: Least share of the frames with a pose in which a template's start position must hold for it to contend.
#: Measured by tests/test_suggest.py (position bands as in the templates): the exercise really done holds
#: its position in >= 0.57 of the frames on dev (>= 0.89 on check); a template counting "reps" in another
#: exercise's video while its position differs (a bridge template on a standing lift) in <= 0.55 on dev
#: (<= 0.53 on check). On dev the two overlap (0.55 vs 0.57): the line sits where a template of another
#: position never contends, and an exercise done below it gets no suggestion (the safer error: the physio
#: chooses). Exercises done in the same position (bridge and pelvic tilt, lying) are not separated by this;
#: both then contend and there is no suggestion either.
POSITION_SHARE = 0.65


@dataclass(frozen=True)
class Candidate:
    """One template run over the video.

    Attributes:
        exercise: the template's name.
        reps: reps it counted.
        mean_score: mean rep score (0-100; 0 without reps).
        position_share: share (0..1) of the frames with a pose in which its start position holds.
    """

    exercise: str
    reps: int
    mean_score: float
    position_share: float

    @property
    def contends(self) -> bool:
        """Counts a rep in its own start position (see the module docstring)."""
        return self.reps > 0 and self.position_share >= POSITION_SHARE


def position_share(analysis: Analysis) -> float:
    """Share (0..1) of the frames with a pose in which all of the template's position bands hold."""
    seen = has_pose(analysis.trace.landmarks)
    if not seen.any():
        return 0.0
    ok = seen.copy()
    for band in analysis.template.position.require:
        v = analysis.features.get(band.feature)
        if v is None:
            return 0.0
        with np.errstate(invalid="ignore"):
            ok &= (v >= band.min) & (v <= band.max)
    return float(ok.sum() / seen.sum())


def rank(
    trace: PoseTrace, templates: Iterable[Template], lang: str = "en", *, source: str = "", model: str = ""
) -> list[tuple[Candidate, Analysis]]:
    """Every template's analysis of ``trace``, contenders first, then by reps, mean score and name."""
    out = []
    for tpl in templates:
        a = analyze_trace(trace, tpl, lang, source=source, model=model)
        scores = [r.score for r in a.reps]
        mean = sum(scores) / len(scores) if scores else 0.0
        out.append((Candidate(tpl.name, len(a.reps), round(mean, 1), round(position_share(a), 3)), a))
    out.sort(key=lambda ca: (not ca[0].contends, -ca[0].reps, -ca[0].mean_score, ca[0].exercise))
    return out


def contenders(ranked: list[tuple[Candidate, Analysis]]) -> list[Candidate]:
    """The candidates that contend (see :attr:`Candidate.contends`), in rank order."""
    return [c for c, _a in ranked if c.contends]


def suggestion(ranked: list[tuple[Candidate, Analysis]]) -> str | None:
    """The suggested exercise: the one contender, or None when there is none or more than one."""
    found = contenders(ranked)
    return found[0].exercise if len(found) == 1 else None
