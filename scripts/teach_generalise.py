"""Point 4 of issue 9: does an exercise taught from one person's demonstration count other people's reps?

Teaches a template from one clip's committed pose trace (``tests/data/traces``), then counts every other
person's clip of the same exercise in ``labels.json`` (labels of low confidence left out, as ``evaluate``
does; clips of the same source and person prefix left out too) with the taught template and with the
built-in one. Prints what was taught, per clip the labelled reps, both counts and the comparison scores
with the demonstration, then the totals of the dev and check parts (``tests/data/split.json``) apart.

    python scripts/teach_generalise.py bridge istock_hanshitha_glute_bridges
    python scripts/teach_generalise.py lifting tby66_0016c_1 --until 9.3 [--from-start]
    python scripts/teach_generalise.py bridge hpy_fitbod_single_leg_bridge_hold --start 4.5 --until 12.5
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from formcheck.analysis.analyze import analyze_trace
from formcheck.analysis.teach import compare_reps, describe, teach_trace, trim, validate
from formcheck.core.teach import TeachError
from formcheck.core.templates import load_template
from formcheck.pose.pipeline import PoseTrace

ROOT = Path(__file__).resolve().parent.parent
SPLIT = ROOT / "tests" / "data" / "split.json"


def person(stem: str) -> str:
    """The source prefix of a clip stem (``tby66_0016c_1`` -> ``tby66``): clips sharing it may show the same
    person, so they are not someone else's."""
    return stem.split("_", 1)[0]


def _totals(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = {}
    for r in rows:
        t = totals.setdefault(r["part"], {"clips": 0, "truth_reps": 0})
        t["clips"] += 1
        t["truth_reps"] += r["truth"]
        for k in ("taught", "builtin"):
            t[f"{k}_exact"] = t.get(f"{k}_exact", 0) + int(r[k] == r["truth"])
            t[f"{k}_within_one"] = t.get(f"{k}_within_one", 0) + int(abs(r[k] - r["truth"]) <= 1)
            t[f"{k}_reps"] = t.get(f"{k}_reps", 0) + r[k]
    return totals


def generalise(
    exercise: str,
    demo: str,
    traces: Path,
    labels: Path,
    *,
    start: float = 0.0,
    until: float = math.inf,
    from_start: bool = False,
) -> dict[str, Any]:
    """Teach from clip ``demo`` (from ``start`` to ``until`` s) and count every other person's clip of
    ``exercise``.

    Returns:
        ``{"taught": Taught, "rows": [{clip, part, truth, taught, builtin, scores}], "totals": {part: ...}}``.
    """
    clips = json.loads(labels.read_text(encoding="utf-8"))["clips"]
    check = set(json.loads(SPLIT.read_text(encoding="utf-8"))["check"])
    taught = teach_trace(
        trim(PoseTrace.load(str(traces / f"{demo}.npz")), start, until),
        f"taught_{exercise}",
        from_start=from_start,
    )
    _text, template = validate(taught)
    builtin = load_template(exercise)
    rows = []
    for c in clips:
        stem = Path(c["file"]).stem
        if str(c.get("exercise", "")).replace("-", "_") != exercise or c.get("confidence") == "low":
            continue
        if person(stem) == person(demo) or not (traces / f"{stem}.npz").is_file():
            continue
        trace = PoseTrace.load(str(traces / f"{stem}.npz"))
        a = analyze_trace(trace, template)
        scores = [m["score"] for m in compare_reps(taught.reference, a) if m is not None]
        rows.append(
            {
                "clip": stem,
                "part": "check" if c["file"] in check else "dev",
                "truth": int(c["reps"]),
                "taught": len(a.reps),
                "builtin": len(analyze_trace(trace, builtin).reps),
                "scores": scores,
            }
        )
    return {"taught": taught, "rows": rows, "totals": _totals(rows)}


def main() -> int:
    """Print the figures; returns the exit code."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("exercise", help="the built-in exercise to compare with (bridge, cat_cow, lifting)")
    p.add_argument("demo", help="clip stem of the demonstration (a dev clip)")
    p.add_argument("--start", type=float, default=0.0, help="use the demonstration from this time on (s)")
    p.add_argument("--until", type=float, default=math.inf, help="use the demonstration up to this time (s)")
    p.add_argument("--from-start", action="store_true", help="teach with from_start (see formcheck teach)")
    p.add_argument("--traces", type=Path, default=ROOT / "tests" / "data" / "traces")
    p.add_argument("--labels", type=Path, default=ROOT.parent / "shared" / "clips" / "labels.json")
    args = p.parse_args()
    if not args.labels.is_file():
        print(f"labels file not found: {args.labels}", file=sys.stderr)
        return 2
    try:
        out = generalise(
            args.exercise,
            args.demo,
            args.traces,
            args.labels,
            start=args.start,
            until=args.until,
            from_start=args.from_start,
        )
    except TeachError as e:
        print(f"cannot teach from {args.demo}: {e}", file=sys.stderr)
        return 1
    print(describe(out["taught"]))
    head = f"{'part':5s} {'clip':45s} {'truth':>5s} {'taught':>6s} {'built-in':>8s}"
    print(f"\n  {head}  scores vs the demonstration")
    for r in sorted(out["rows"], key=lambda r: (r["part"] != "dev", r["clip"])):
        sc = " ".join(f"{s:.0f}" for s in r["scores"])
        print(f"  {r['part']:5s} {r['clip']:45s} {r['truth']:5d} {r['taught']:6d} {r['builtin']:8d}  {sc}")
    for part in ("dev", "check"):
        t = out["totals"].get(part)
        if t is None:
            continue
        print(
            f"{part}: {t['clips']} clips, {t['truth_reps']} labelled reps; exact: taught "
            f"{t['taught_exact']}, built-in {t['builtin_exact']}; within one: taught "
            f"{t['taught_within_one']}, "
            f"built-in {t['builtin_within_one']}; reps counted: taught {t['taught_reps']}, built-in "
            f"{t['builtin_reps']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
