"""Which exercise a video shows, from the movement (formcheck.analysis.suggest) on the committed traces of
the shared clips: the suggestion is never a wrong exercise; dev and check are printed apart."""

from __future__ import annotations

import json

from conftest import DATA, clips_with_template, load_trace

from formcheck.analysis.suggest import POSITION_SHARE, rank, suggestion
from formcheck.core.templates import available, load_template


def _split() -> set[str]:
    check = json.loads((DATA / "split.json").read_text(encoding="utf-8"))["check"]
    return {c.rsplit("/", 1)[-1].rsplit(".", 1)[0] for c in check}


def test_the_suggested_exercise_is_the_one_done_on_dev_and_check() -> None:
    templates = [load_template(n) for n in available()]
    check = _split()
    tally = {part: {"right": 0, "none": 0, "wrong": []} for part in ("dev", "check")}
    shares: dict[str, dict[str, list[float]]] = {p: {"done": [], "other": []} for p in ("dev", "check")}
    for stem, exercise in clips_with_template():
        ranked = rank(load_trace(stem), templates)
        got = suggestion(ranked)
        name = "check" if stem in check else "dev"
        part = tally[name]
        for c, _a in ranked:  # the position margin: the exercise done vs the others that counted a rep
            if c.reps:
                shares[name]["done" if c.exercise == exercise else "other"].append(c.position_share)
        if got is None:
            part["none"] += 1  # no template counted a rep: the physio chooses
        elif got == exercise:
            part["right"] += 1
        else:
            part["wrong"].append(
                (stem, exercise, got, [(c.exercise, c.reps, c.mean_score) for c, _ in ranked])
            )
    for part, t in tally.items():
        done, other = shares[part]["done"], sorted(shares[part]["other"])
        below = [x for x in other if x < POSITION_SHARE]
        print(
            f"{part}: suggested right {t['right']}, no suggestion {t['none']}, wrong {len(t['wrong'])}; "
            f"position share of the exercise done >= {min(done):.2f}, of other counting templates below "
            f"the line <= {max(below, default=0):.2f}, above it (same position) {len(other) - len(below)}"
        )
    assert tally["dev"]["right"] + tally["check"]["right"] > 0
    assert not tally["dev"]["wrong"] and not tally["check"]["wrong"], tally


def test_no_rep_anywhere_means_no_suggestion() -> None:
    import numpy as np

    tr = load_trace(clips_with_template()[0][0])
    still = type(tr)(
        landmarks=np.repeat(tr.landmarks[:1], 90, axis=0), world=np.repeat(tr.world[:1], 90, axis=0),
        back=np.repeat(tr.back[:1], 90, axis=0), n_people=np.ones(90, np.int32),
        brightness=np.full(90, 120.0, np.float32), fps=30.0, size=tr.size,
    )  # fmt: skip
    ranked = rank(still, [load_template(n) for n in available()])
    assert suggestion(ranked) is None and all(c.reps == 0 for c, _ in ranked)
