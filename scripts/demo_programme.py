"""A physio's programme followed for three test-dated weeks, end to end without a camera: prints the
progress figures the patient's page shows and those of the physio's copy (opened from the progress file).

    python scripts/demo_programme.py --out /tmp/demo      # then FORMCHECK_DATA_DIR=/tmp/demo/data make run

The physio composes a three-exercise programme (the compose page's helper), saves it as a file; the
patient opens it and does sessions on chosen dates (reps written through the same stores the app writes
through, each with a score and faults that fade); pain before/after and weekly PSK. The script writes
``programme.toml``, the history (``data/``), ``progress.csv``, ``report.html`` and ``progress.json``, reads
the progress file back as the physio's formcheck does and checks that both show the same numbers.
"""

from __future__ import annotations

import argparse
import random
from datetime import UTC, date, timedelta
from pathlib import Path

from formcheck.analysis.progress import compute_progress
from formcheck.analysis.progress_report import progress_html, trend_sentences, week_rows
from formcheck.core.programme import plan_for
from formcheck.core.templates import available
from formcheck.store.export import progress_csv, progress_file, read_progress_file
from formcheck.store.history import SessionRecord, SessionStore
from formcheck.store.programme import load_programme_file, programme_to_toml
from formcheck.store.tracking import TrackingStore
from formcheck.webapp.compose import ItemForm, StageForm, compose


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--start", default="2026-11-02", help="the day the patient started (a Monday is usual)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    start = date.fromisoformat(args.start)
    today = start + timedelta(days=23)

    # The physio composes a three-exercise programme and saves the file.
    prog = compose(
        "Lage rug, fase 1",
        4,
        3,
        30,
        [
            ItemForm("bridge", stages=[StageForm(1, 2, 8), StageForm(3, 3, 10)]),
            ItemForm("cat_cow", stages=[StageForm(1, 1, 10)]),
            ItemForm("knee_to_chest", per_side=True, stages=[StageForm(1, 1, 3, hold_s=20)]),
        ],
        available(),
        author="fysiotherapeut",
    )
    path = out / "programme.toml"
    path.write_text(programme_to_toml(prog), encoding="utf-8")

    # The patient opens it and follows it (two planned days missed).
    opened = load_programme_file(path)
    store = SessionStore(out / "data")
    tr = TrackingStore(store)
    pid = tr.add_programme(path.read_text(encoding="utf-8"), opened.title.nl, start)
    day, k = start, 0
    missed = {start + timedelta(days=7), start + timedelta(days=16)}
    while day < today:
        plan = plan_for(opened, start, day)
        if plan.session_day and day not in missed:
            progress = (day - start).days / 23
            pain = max(0, round(6 - 3 * progress + rng.uniform(-0.5, 0.5)))
            ps = tr.begin_session(pid, day, plan.week, plan.sets, pain)
            records: dict[str, SessionRecord] = {}
            for seq, s in enumerate(plan.sets):
                rec = records.setdefault(
                    s.exercise,
                    SessionRecord(
                        id=f"{day}-{s.exercise}",
                        started_at=f"{day}T09:{seq:02d}:00+00:00",
                        exercise=s.exercise,
                    ),
                )
                tr.start_set(ps.id, seq, rec.id, len(rec.reps))
                for i in range(s.reps):
                    faulty = s.exercise == "bridge" and rng.random() < 0.7 - 0.6 * progress
                    rec.reps.append(
                        {"index": len(rec.reps) + 1, "score": 80.0 if faulty else 95.0,
                         "faults": ["hips_not_high"] if faulty else [], "side": s.side or None,
                         "hold_s": 21.0 if s.hold_s else None}
                    )  # fmt: skip
                    store.add_rep(rec)
                    tr.count_rep(ps.id, seq, i + 1)
                tr.finish_set(ps.id, seq, s.reps)
                store.save(rec)
            tr.set_pain(ps.id, after=max(0, pain - 1))
            tr.end_session(ps.id)
            k += 1
        if day.weekday() == 1:
            if not tr.psk_activities():
                tr.name_psk_activities(["Sokken aantrekken", "Fietsen", "Tillen van boodschappen"])
            w = (day - start).days // 7
            tr.rate_psk(day, {1: 8 - 2 * w, 2: 6 - w // 2, 3: 7 - w})
        day += timedelta(days=1)

    data = tr.progress_data()
    patient = compute_progress(data, today, UTC)
    (out / "progress.csv").write_text(progress_csv(data, UTC), encoding="utf-8")
    (out / "report.html").write_text(progress_html(patient, "en", today), encoding="utf-8")
    (out / "progress.json").write_bytes(progress_file(data))
    physio = compute_progress(
        read_progress_file((out / "progress.json").read_bytes(), "progress.json"), today, UTC
    )

    size = f"{len(prog.items)} exercises, {prog.weeks} weeks, {prog.days_per_week} days a week"
    print(f"programme: {path} ({size})")
    print(f"sessions done {patient.sessions_done} of {patient.sessions_planned} planned; today {today}")
    for row in week_rows(patient, "en"):
        print("  ", row)
    for s in trend_sentences(patient, "en"):
        print("  -", s)
    print("the physio's copy shows the same numbers:", physio == patient)
    print(f"files: {out / 'progress.csv'}, {out / 'report.html'}, {out / 'progress.json'}")


if __name__ == "__main__":
    main()
