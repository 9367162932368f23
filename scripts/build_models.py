#!/usr/bin/env python3
"""Rebuild the MediaPipe ``PoseLandmarker`` bundles from their Apache-2.0 sources, byte for byte.

Build-time only: the ``formcheck`` package never imports this file. It needs network access to PyPI and
the npm registry, ``npm`` on PATH, and Python 3.11 (mediapipe 0.10.21 publishes wheels for it).

Recipe (see ``shared/models/README.md``):

* ``pose_detector.tflite`` = ``mediapipe/modules/pose_detection/pose_detection.tflite`` from the
  ``mediapipe==0.10.21`` wheel, re-labelled with TFLite metadata (name/description ``pose_detector``,
  RGB image input, mean 127.5, std 127.5).
* ``pose_landmarks_detector.tflite`` = ``pose_landmark_{lite,full,heavy}.tflite`` from the npm package
  ``@mediapipe/pose@0.5.1675469404`` with metadata (name/description ``pose_landmarks_detector``,
  RGB image input, mean 0, std 255).
* Metadata is written by mediapipe 0.10.21's ``MetadataWriter`` (defaults for the input tensor name and
  description, no output metadata) inside a throwaway venv, because mediapipe 1.2.2's writer is broken.
* Both go into a stored (uncompressed) ZIP, detector first, timestamps 1980-01-01 00:00, unix mode 0600.

Each bundle is checked against ``SHA256SUMS`` before it is copied to ``--out``; a mismatch or a failed
download exits non-zero with a one-line message.

Usage::

    python scripts/build_models.py [--models lite,full,heavy] [--out DIR] [--check SHA256SUMS] [--work DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "src" / "formcheck" / "models"
DEFAULT_SUMS = REPO_ROOT.parent / "shared" / "models" / "SHA256SUMS"
ALL_MODELS: tuple[str, ...] = ("lite", "full", "heavy")

MEDIAPIPE_VERSION = "0.10.21"
# Extra pins for the throwaway venv: mediapipe 0.10.21 needs numpy<2; the metadata bytes come from the
# flatbuffers Python builder, so pin the version that reproduced SHA256SUMS.
VENV_PINS: tuple[str, ...] = ("numpy<2", "flatbuffers==25.12.19")
WHEEL_DETECTOR_PATH = "mediapipe/modules/pose_detection/pose_detection.tflite"
NPM_SPEC = "@mediapipe/pose@0.5.1675469404"
NPM_TARBALL = "mediapipe-pose-0.5.1675469404.tgz"

DETECTOR_MEMBER = "pose_detector.tflite"
LANDMARKS_MEMBER = "pose_landmarks_detector.tflite"
BUNDLE_MEMBERS: tuple[str, ...] = (DETECTOR_MEMBER, LANDMARKS_MEMBER)
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
ZIP_MODE = 0o600
OUT_MODE = 0o444

# Run inside the mediapipe 0.10.21 venv: argv[1] is a JSON list of jobs.
METADATA_SCRIPT = """\
import json, sys
from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer as mw

for job in json.loads(sys.argv[1]):
    with open(job["src"], "rb") as f:
        buf = f.read()
    writer = mw.MetadataWriter.create(buf)
    writer.add_general_info(job["name"], job["description"])
    writer.add_image_input([job["mean"]], [job["std"]], color_space_type=mw.metadata_fb.ColorSpaceType.RGB)
    model, _ = writer.populate()
    with open(job["dst"], "wb") as f:
        f.write(model)
"""


class BuildError(RuntimeError):
    """A step failed; the message is printed as one line and the script exits non-zero."""


# ---------------------------------------------------------------------------------------------------------
# Pure helpers (no network, no subprocess): imported by tests/test_models.py.
# ---------------------------------------------------------------------------------------------------------


def write_stored_zip(dest: str | os.PathLike[str] | BinaryIO, members: Iterable[tuple[str, bytes]]) -> None:
    """Write ``members`` (name, data) in order as a reproducible stored ZIP.

    Every entry is uncompressed, dated 1980-01-01 00:00, made on "Unix" with mode 0600 and carries no
    extra field or comment, so the same input always gives the same bytes.
    """
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3  # Unix
            info.external_attr = ZIP_MODE << 16
            zf.writestr(info, data)


def stored_zip_bytes(members: Iterable[tuple[str, bytes]]) -> bytes:
    """Return the bytes :func:`write_stored_zip` would write for ``members``."""
    buf = io.BytesIO()
    write_stored_zip(buf, members)
    return buf.getvalue()


def parse_sha256sums(text: str) -> dict[str, str]:
    """Parse ``sha256sum`` output (``<hex>  <name>`` or ``<hex> *<name>``) into {basename: hex digest}."""
    sums: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        digest, _, name = line.partition(" ")
        name = name.strip().lstrip("*")
        if len(digest) != 64 or not name:
            raise ValueError(f"bad SHA256SUMS line: {raw!r}")
        sums[Path(name).name] = digest.lower()
    return sums


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of the file at ``path``, read in chunks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def bundle_name(model: str) -> str:
    """File name of the bundle for ``model`` (``lite``/``full``/``heavy``)."""
    return f"pose_landmarker_{model}.task"


def parse_models(value: str) -> list[str]:
    """Parse a comma-separated ``--models`` value, keeping order and rejecting unknown names."""
    models = [m.strip() for m in value.split(",") if m.strip()]
    bad = [m for m in models if m not in ALL_MODELS]
    if bad or not models:
        raise argparse.ArgumentTypeError(f"choose from {','.join(ALL_MODELS)} (got {value!r})")
    return list(dict.fromkeys(models))


def metadata_jobs(
    detector_src: Path, landmark_srcs: dict[str, Path], out_dir: Path
) -> list[dict[str, object]]:
    """Describe the metadata-writer calls: one for the shared detector, one per landmark model."""
    jobs: list[dict[str, object]] = [
        {
            "src": str(detector_src),
            "dst": str(out_dir / DETECTOR_MEMBER),
            "name": "pose_detector",
            "description": "pose_detector",
            "mean": 127.5,
            "std": 127.5,
        }
    ]
    for model, src in landmark_srcs.items():
        jobs.append(
            {
                "src": str(src),
                "dst": str(out_dir / f"{model}_{LANDMARKS_MEMBER}"),
                "name": "pose_landmarks_detector",
                "description": "pose_landmarks_detector",
                "mean": 0.0,
                "std": 255.0,
            }
        )
    return jobs


# ---------------------------------------------------------------------------------------------------------
# Steps with side effects.
# ---------------------------------------------------------------------------------------------------------


def run(cmd: Sequence[str], what: str, cwd: Path | None = None, log: Path | None = None) -> None:
    """Run ``cmd``; on failure raise :class:`BuildError` naming ``what`` and the last output line."""
    proc = subprocess.run(list(cmd), cwd=cwd, capture_output=True, text=True, check=False)
    if log is not None:
        with log.open("a", encoding="utf-8") as f:
            f.write(f"$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}\n")
    if proc.returncode != 0:
        lines = [ln.strip() for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
        last = lines[-1] if lines else "no output"
        raise BuildError(f"{what} failed (exit {proc.returncode}): {last}")


def fetch_detector(work: Path, log: Path) -> tuple[Path, Path]:
    """Download the mediapipe wheel (no deps), extract ``pose_detection.tflite``; return (tflite, wheel)."""
    wheel_dir = work / "wheel"
    wheels = sorted(wheel_dir.glob(f"mediapipe-{MEDIAPIPE_VERSION}-*.whl"))
    if not wheels:
        wheel_dir.mkdir(parents=True, exist_ok=True)
        run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                f"mediapipe=={MEDIAPIPE_VERSION}",
                "--no-deps",
                "--only-binary=:all:",
                "-d",
                str(wheel_dir),
            ],
            f"pip download mediapipe=={MEDIAPIPE_VERSION}",
            log=log,
        )
        wheels = sorted(wheel_dir.glob(f"mediapipe-{MEDIAPIPE_VERSION}-*.whl"))
    if not wheels:
        raise BuildError(f"pip download mediapipe=={MEDIAPIPE_VERSION} produced no wheel in {wheel_dir}")
    dest = work / "src" / "pose_detection.tflite"
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(wheels[-1]) as zf:
            dest.write_bytes(zf.read(WHEEL_DETECTOR_PATH))
    except (KeyError, zipfile.BadZipFile) as exc:
        raise BuildError(f"cannot read {WHEEL_DETECTOR_PATH} from {wheels[-1].name}: {exc}") from exc
    return dest, wheels[-1]


def fetch_landmarks(work: Path, models: Sequence[str], log: Path) -> dict[str, Path]:
    """``npm pack`` the @mediapipe/pose tarball and extract the requested landmark models."""
    tarball = work / NPM_TARBALL
    if not tarball.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise BuildError("npm not found on PATH (needed for `npm pack " + NPM_SPEC + "`)")
        run([npm, "pack", NPM_SPEC, "--silent"], f"npm pack {NPM_SPEC}", cwd=work, log=log)
    if not tarball.exists():
        raise BuildError(f"npm pack {NPM_SPEC} did not produce {tarball.name}")
    out: dict[str, Path] = {}
    try:
        with tarfile.open(tarball, "r:gz") as tf:
            for model in models:
                member = tf.extractfile(f"package/pose_landmark_{model}.tflite")
                if member is None:
                    raise BuildError(f"{tarball.name}: pose_landmark_{model}.tflite is not a file")
                dest = work / "src" / f"pose_landmark_{model}.tflite"
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(member.read())
                out[model] = dest
    except (KeyError, tarfile.TarError) as exc:
        raise BuildError(f"cannot read landmark model from {tarball.name}: {exc}") from exc
    return out


def make_venv(work: Path, wheel: Path, log: Path) -> Path:
    """Create (or reuse) the throwaway venv with mediapipe 0.10.21; return its python."""
    venv = work / "venv"
    py = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    probe = [str(py), "-c", f"import mediapipe; assert mediapipe.__version__ == {MEDIAPIPE_VERSION!r}"]
    if py.exists() and subprocess.run(probe, capture_output=True, check=False).returncode == 0:
        return py
    run([sys.executable, "-m", "venv", "--clear", str(venv)], "creating venv", log=log)
    run(
        [str(py), "-m", "pip", "install", "--disable-pip-version-check", str(wheel), *VENV_PINS],
        f"pip install mediapipe=={MEDIAPIPE_VERSION}",
        log=log,
    )
    run(probe, f"importing mediapipe {MEDIAPIPE_VERSION} in the venv", log=log)
    return py


def write_metadata(py: Path, work: Path, jobs: list[dict[str, object]], log: Path) -> None:
    """Run the metadata writer inside the venv for all ``jobs``."""
    script = work / "write_metadata.py"
    script.write_text(METADATA_SCRIPT, encoding="utf-8")
    run([str(py), str(script), json.dumps(jobs)], "writing TFLite metadata", log=log)


def build(models: Sequence[str], out: Path, sums_path: Path | None, work: Path) -> list[str]:
    """Build ``models`` in ``work``, check them, copy the good ones to ``out``; return mismatch names."""
    t0 = time.monotonic()
    expected: dict[str, str] = {}
    if sums_path is not None:
        try:
            expected = parse_sha256sums(sums_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BuildError(f"cannot read checksums {sums_path}: {exc}") from exc
        missing = [bundle_name(m) for m in models if bundle_name(m) not in expected]
        if missing:
            raise BuildError(f"{sums_path} lists no sum for {', '.join(missing)}")

    work.mkdir(parents=True, exist_ok=True)
    log = work / "build.log"
    print(f"work dir: {work} (log: {log.name})")
    detector_src, wheel = fetch_detector(work, log)
    print(f"source  {WHEEL_DETECTOR_PATH}: {detector_src.stat().st_size:,} B  (from {wheel.name})")
    landmark_srcs = fetch_landmarks(work, models, log)
    for model, path in landmark_srcs.items():
        print(f"source  {NPM_SPEC} pose_landmark_{model}.tflite: {path.stat().st_size:,} B")
    py = make_venv(work, wheel, log)
    print(f"venv    {py} (mediapipe {MEDIAPIPE_VERSION})")
    meta_dir = work / "meta"
    meta_dir.mkdir(exist_ok=True)
    write_metadata(py, work, metadata_jobs(detector_src, landmark_srcs, meta_dir), log)

    detector = (meta_dir / DETECTOR_MEMBER).read_bytes()
    built_dir = work / "built"
    built_dir.mkdir(exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    mismatches: list[str] = []
    for model in models:
        name = bundle_name(model)
        landmarks = (meta_dir / f"{model}_{LANDMARKS_MEMBER}").read_bytes()
        data = stored_zip_bytes([(DETECTOR_MEMBER, detector), (LANDMARKS_MEMBER, landmarks)])
        built = built_dir / name
        built.write_bytes(data)
        digest = sha256_bytes(data)
        want = expected.get(name)
        status = "UNCHECKED" if want is None else ("OK" if digest == want else "MISMATCH")
        print(f"{status:9} {name}: {len(data):,} B  sha256 {digest}")
        if status == "MISMATCH":
            print(f"          expected sha256 {want}; left at {built}")
            mismatches.append(name)
            continue
        tmp = out / f".{name}.tmp"
        tmp.write_bytes(data)
        tmp.chmod(OUT_MODE)
        os.replace(tmp, out / name)
        print(f"          -> {out / name}")
    print(f"done in {time.monotonic() - t0:.1f} s")
    return mismatches


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(
        description="Rebuild pose_landmarker_{lite,full,heavy}.task from their Apache-2.0 sources "
        f"(mediapipe=={MEDIAPIPE_VERSION} wheel + npm {NPM_SPEC}) and check them against SHA256SUMS.",
    )
    parser.add_argument(
        "--models",
        type=parse_models,
        default=list(ALL_MODELS),
        help="comma-separated subset of lite,full,heavy (default: all)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"where verified bundles are written (default: {DEFAULT_OUT})",
    )
    parser.add_argument(
        "--check",
        type=Path,
        default=DEFAULT_SUMS,
        help=f"SHA256SUMS file to verify against (default: {DEFAULT_SUMS})",
    )
    parser.add_argument(
        "--no-check",
        action="store_true",
        help="skip verification and write the bundles anyway (for experiments)",
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=None,
        help="work folder, kept and reused for downloads/venv (default: a temp dir, removed)",
    )
    args = parser.parse_args(argv)

    temp = args.work is None
    work = Path(tempfile.mkdtemp(prefix="formcheck-models-")) if temp else args.work.resolve()
    error = ""
    try:
        mismatches = build(args.models, args.out.resolve(), None if args.no_check else args.check, work)
        if mismatches:
            error = f"SHA256 mismatch for {', '.join(mismatches)} (checked against {args.check})"
    except BuildError as exc:
        error = str(exc)
    except KeyboardInterrupt:
        error = "interrupted"
    if not error:
        if temp:
            shutil.rmtree(work, ignore_errors=True)
        return 0
    kept = f" [work dir kept: {work}]" if temp else ""
    print(f"error: {error}{kept}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
