"""What the report adds to an analysis: time (wall and CPU) and size, per step, on real shared clips.

Run: ``python bench/bench_report.py`` (under a minute; needs ``../shared/clips``). Prints figures; there are
no assertions. The pose pass is not measured here (it is `formcheck analyze`'s, see bench_analyze.py): the
analysis comes from the committed trace of each clip, and the report is written from it and the clip, as
the physio page does after its own analysis. Steps: key frames (decoding the video up to the last rep's
turning point, drawing the skeleton, JPEG), the HTML page (plots included), the per-frame CSV, and the
whole ``write_report``. CPU seconds are this process's (decoding threads included); the machine's load is
printed, since other people's work on a shared machine slows the wall time.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import SHARED, load_trace  # noqa: E402

from formcheck.analysis.analyze import analyze_trace  # noqa: E402
from formcheck.analysis.report import features_csv, key_frames, write_report  # noqa: E402
from formcheck.analysis.report_html import report_html  # noqa: E402
from formcheck.core.templates import load_template  # noqa: E402

T = TypeVar("T")
#: (clip under shared/clips, exercise): short and long, landscape and portrait, few and many reps.
CLIPS = [
    ("lifting/bichraix_good016.mp4", "lifting"),
    ("bridge/physioplus_bridging.mp4", "bridge"),
    ("lifting/tby66_0016h_1.mp4", "lifting"),
    ("bridge/yogagym_wellgood_bridge_wrong_right.mp4", "bridge"),
]


def timed(fn: Callable[[], T]) -> tuple[T, float, float]:
    """``fn()``, its wall seconds and its CPU seconds."""
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main() -> None:
    if not (SHARED / "clips").is_dir():
        print(f"needs {SHARED / 'clips'}")
        return
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"{'clip':48s} {'frames':>6s} {'size':>9s} {'reps':>4s}  step           wall s   CPU s   size")
    for clip, exercise in CLIPS:
        video = SHARED / "clips" / clip
        template = load_template(exercise)
        analysis = analyze_trace(load_trace(video.stem), template, "en", source=video.name, model="full")
        doc = analysis.to_json()
        head = f"{clip:48s} {analysis.trace.frames:6d} {'x'.join(map(str, analysis.trace.size)):>9s} "
        head += f"{len(analysis.reps):4d}"
        (frames, _notes), w, c = timed(lambda a=analysis, v=video: key_frames(a, v))
        jpeg = sum(len(k.jpeg or b"") for k in frames)
        print(f"{head}  key frames   {w:8.2f} {c:7.2f}  {jpeg / 1024:.0f} kB JPEG")
        page, w, c = timed(lambda a=analysis, d=doc, f=frames: report_html(a, d, f, "en", created="-"))
        print(f"{'':{len(head)}s}  html page    {w:8.2f} {c:7.2f}  {len(page.encode()) / 1024:.0f} kB")
        text, w, c = timed(lambda a=analysis: features_csv(a))
        print(f"{'':{len(head)}s}  csv          {w:8.2f} {c:7.2f}  {len(text.encode()) / 1024:.0f} kB")
        out = Path(tempfile.mkdtemp(prefix="bench_report_"))
        try:
            _, w, c = timed(
                lambda a=analysis, v=video, o=out: write_report(v, a.template, "en", o, analysis=a)
            )
            print(f"{'':{len(head)}s}  write_report {w:8.2f} {c:7.2f}")
        finally:
            shutil.rmtree(out, ignore_errors=True)
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
