"""Teach by demonstration (issue 9, points 3-5): a template from a demonstration's trace, saved in the user's
exercises folder, listed and used like the built-in ones; other people's reps counted with it; bad input."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import DATA, load_trace, need_shared

from formcheck.analysis.analyze import analyze_trace
from formcheck.analysis.teach import (
    check_name,
    demo_path,
    load_reference,
    save,
    teach_trace,
    trim,
    validate,
)
from formcheck.core.teach import (
    SAMPLES,
    DemoReference,
    TeachError,
    compare_rep,
    derive,
    dtw,
)
from formcheck.core.templates import available, builtin_names, load_template, load_template_file
from formcheck.pose.pipeline import trace_features

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from teach_generalise import generalise  # noqa: E402

#: The demonstrations: a dev clip of three bridges by one person, and the first four lifts (9.3 s) of a
#: dev clip of a kettlebell lifter.
BRIDGE_DEMO = "istock_hanshitha_glute_bridges"
LIFT_DEMO = "tby66_0016c_1"
LIFT_UNTIL_S = 9.3


@pytest.fixture
def exercises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's exercises folder, in a temporary folder (``FORMCHECK_EXERCISES_DIR``)."""
    folder = tmp_path / "my_exercises"
    monkeypatch.setenv("FORMCHECK_EXERCISES_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def bridge_taught():  # type: ignore[no-untyped-def]
    return teach_trace(load_trace(BRIDGE_DEMO), "my_bridge")


def cli(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """``formcheck ARGS`` as a subprocess, with ``env`` added."""
    full = {**os.environ, **env}
    full.pop("FORMCHECK_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "formcheck.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env=full,
        timeout=600,
        check=False,
    )


def one_line(res: subprocess.CompletedProcess, *phrases: str) -> str:
    assert "Traceback" not in res.stderr + res.stdout, res.stderr
    assert res.returncode == 3, res.stderr
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    for p in phrases:
        assert p.lower() in lines[0].lower(), lines[0]
    return lines[0]


# ------------------------------------------------------------------------------------------ derivation


def test_bridge_demo_is_an_excursion_going_up_with_its_reps_and_a_hold(bridge_taught) -> None:  # type: ignore[no-untyped-def]
    t = bridge_taught
    assert t.movement.kind == "excursion" and t.movement.direction == "up"
    # the labels: 3 complete reps (a 4th lift is cut off by the clip's end), top holds 2.3, 2.9, 2.2 s
    assert len(t.reps) == 3
    assert t.hold is not None and 1.0 <= t.hold[0] <= 2.5
    low, high = t.margins
    assert low > 0 and high is not None and high > 0  # min_range between the reps and the fidgeting
    assert all(s.tolerance > 0 for s in t.still)
    assert t.movement.feature not in {s.feature for s in t.still}


def test_lifting_demo_is_an_excursion_going_down_without_a_hold() -> None:
    t = teach_trace(trim(load_trace(LIFT_DEMO), 0.0, LIFT_UNTIL_S), "my_lift")
    assert t.movement.kind == "excursion" and t.movement.direction == "down"
    assert len(t.reps) == 4  # labelled lifts end at frames 216, 328, 430, 528 (60 fps): 4 by 9.3 s
    assert t.hold is None


def test_taught_toml_validates_and_counts_the_demo_itself(bridge_taught) -> None:  # type: ignore[no-untyped-def]
    text, template = validate(bridge_taught)
    assert template.count.feature == bridge_taught.movement.feature
    assert template.count.min_range == pytest.approx(bridge_taught.min_range)
    a = analyze_trace(load_trace(BRIDGE_DEMO), template)
    assert len(a.reps) == 3
    assert "# " in text  # the figures it was derived from, as comments


def test_cycle_when_the_demo_starts_mid_way() -> None:
    """A synthetic demonstration starting between the turning points (a cat-cow from a flat back)."""
    t = np.arange(0, 12, 1 / 30)
    feats = synthetic(t, {"neck_flexion": 20 + 30 * np.sin(2 * np.pi * t / 4)})
    taught = derive(t, feats, "wave")
    assert taught.movement.feature == "neck_flexion"
    assert taught.movement.kind == "cycle"
    assert len(taught.reps) >= 2
    validate(taught)


def synthetic(t: np.ndarray, moving: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Features of a person seen in every frame, with ``moving`` and every other angle still (+ noise)."""
    rng = np.random.default_rng(0)
    base = {
        "trunk_incline": 90.0,
        "hip_angle": 150.0,
        "knee_angle": 90.0,
        "elbow_angle": 170.0,
        "shoulder_angle": 30.0,
        "neck_flexion": 20.0,
        "pelvis_height": 0.1,
        "hand_height": 0.0,
    }
    feats = {k: v + rng.normal(0, 0.3 if k.endswith("angle") else 0.002, t.size) for k, v in base.items()}
    feats.update({k: v + rng.normal(0, 0.3, t.size) for k, v in moving.items()})
    feats["visibility"] = np.full(t.size, 0.9)
    return feats


# ------------------------------------------------------------------------------------------ bad demos


def test_one_rep_is_refused() -> None:
    with pytest.raises(TeachError) as e:
        teach_trace(load_trace("physioplus_bridging"), "one")  # labelled: 1 rep
    assert e.value.code == "teach_few_reps"
    assert "at least 2" in e.value.text("en") and "minstens 2" in e.value.text("nl")


def test_no_movement_is_refused() -> None:
    tr = load_trace(BRIDGE_DEMO)
    still = dataclasses.replace(
        tr,
        landmarks=np.repeat(tr.landmarks[:1], tr.frames, axis=0),
        world=np.repeat(tr.world[:1], tr.frames, axis=0),
        back=np.repeat(tr.back[:1], tr.frames, axis=0),
    )
    with pytest.raises(TeachError) as e:
        teach_trace(still, "still")
    assert e.value.code == "teach_no_movement"


def test_reps_in_a_noisy_signal_alone_are_no_reps() -> None:
    """A signal far noisier than the clearest moving one (a flickering silhouette) does not count reps."""
    t = np.arange(0, 12, 1 / 30)
    rng = np.random.default_rng(1)
    feats = synthetic(t, {"hip_angle": 150 + 30 * np.exp(-(((t - 6) / 1.0) ** 2))})  # one clear rep
    feats["spine_flexion"] = 40 * np.sin(2 * np.pi * t / 4) + rng.normal(0, 12, t.size)
    with pytest.raises(TeachError) as e:
        derive(t, feats, "flicker")
    assert e.value.code == "teach_few_reps" and e.value.fields["n"] == 1


def test_noise_only_is_refused() -> None:
    t = np.arange(0, 10, 1 / 30)
    with pytest.raises(TeachError) as e:
        derive(t, synthetic(t, {}), "noise")
    assert e.value.code == "teach_no_movement"


def test_a_demonstration_not_filmed_from_the_side_is_refused() -> None:
    """The feet-end view of a bridge (labelled "front"): the live set-up check's side-view limit."""
    with pytest.raises(TeachError) as e:
        teach_trace(load_trace("tijmen_musclewiki_bridge_hold_front"), "front")
    assert e.value.code == "teach_not_side"


def test_cli_learns_from_the_chosen_part_only(exercises: Path) -> None:
    env = {"FORMCHECK_EXERCISES_DIR": str(exercises)}
    res = cli("teach", DATA / "traces" / f"{BRIDGE_DEMO}.npz", "--name", "part", "--end", "6", env=env)
    one_line(res, "only 1 repetition")
    res = cli("teach", DATA / "traces" / f"{BRIDGE_DEMO}.npz", "--name", "part", "--start", "5", env=env)
    assert res.returncode == 0 and "from 2 reps" in res.stdout, res.stderr


def test_no_person_is_refused() -> None:
    tr = load_trace(BRIDGE_DEMO)
    nobody = dataclasses.replace(tr, landmarks=np.full_like(tr.landmarks, np.nan))
    with pytest.raises(TeachError) as e:
        teach_trace(nobody, "nobody")
    assert e.value.code == "teach_no_person"


# ----------------------------------------------------------------------------------- the user folder


def test_saved_exercise_is_listed_loaded_by_name_and_validates(exercises: Path, bridge_taught) -> None:  # type: ignore[no-untyped-def]
    path = save(bridge_taught)
    assert path == exercises / "my_bridge.toml" and demo_path(path).is_file()
    assert "my_bridge" in available()
    assert available()[: len(builtin_names("exercise"))] == builtin_names("exercise")
    assert load_template_file(path).name == "my_bridge"
    t = load_template("my_bridge")
    assert t.count.feature == bridge_taught.movement.feature
    assert load_reference(t) is not None
    res = cli("exercises", env={"FORMCHECK_EXERCISES_DIR": str(exercises)})
    assert res.returncode == 0 and re.search(r"^my_bridge .*taught", res.stdout, re.M), res.stdout


def test_nothing_saved_is_overwritten_without_an_explicit_choice(exercises: Path, bridge_taught) -> None:  # type: ignore[no-untyped-def]
    path = save(bridge_taught)
    path.write_text(path.read_text(encoding="utf-8").replace("target_reps = 10", "target_reps = 12"))
    before = (path.read_bytes(), demo_path(path).read_bytes())
    with pytest.raises(TeachError) as e:
        save(bridge_taught)
    assert e.value.code == "teach_name_taken"
    assert (path.read_bytes(), demo_path(path).read_bytes()) == before
    save(bridge_taught, overwrite=True)
    assert path.read_bytes() != before[0]


def test_a_builtin_name_is_refused_and_nothing_is_written(exercises: Path, bridge_taught) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TeachError) as e:
        save(dataclasses.replace(bridge_taught, name="bridge"))
    assert e.value.code == "teach_name_builtin"
    assert not exercises.exists()


def test_a_user_file_with_a_builtin_name_never_shadows_the_builtin(exercises: Path) -> None:
    exercises.mkdir()
    (exercises / "bridge.toml").write_text("broken", encoding="utf-8")
    assert available().count("bridge") == 1
    assert load_template("bridge").source.endswith("exercises/bridge.toml")
    assert "formcheck/exercises" in load_template("bridge").source.replace("\\", "/")


@pytest.mark.parametrize("name", ["x", "1abc", "a/b", "../up", "Bridge!", "a" * 41])
def test_bad_names_are_refused(exercises: Path, name: str) -> None:
    with pytest.raises(TeachError) as e:
        check_name(name)
    assert e.value.code == "teach_bad_name"


def test_unknown_user_exercise_is_one_clear_error(exercises: Path) -> None:
    from formcheck.core.templates import TemplateError

    with pytest.raises(TemplateError, match="unknown exercise 'mine'"):
        load_template("mine")


# ------------------------------------------------------------------------------------------------ CLI


def test_cli_teach_saves_and_analyze_uses_it_by_name(exercises: Path, tmp_path: Path) -> None:
    env = {"FORMCHECK_EXERCISES_DIR": str(exercises)}
    res = cli("teach", DATA / "traces" / f"{BRIDGE_DEMO}.npz", "--name", "My bridge", env=env)
    assert res.returncode == 0, res.stderr
    assert "saved:" in res.stdout and (exercises / "my_bridge.toml").is_file()
    again = cli("teach", DATA / "traces" / f"{BRIDGE_DEMO}.npz", "--name", "my_bridge", env=env)
    one_line(again, "already saved", "my_bridge")
    out = cli("teach", DATA / "traces" / f"{BRIDGE_DEMO}.npz", "--name", "b2", "--out", tmp_path, env=env)
    assert out.returncode == 0 and (tmp_path / "b2.toml").is_file() and (tmp_path / "b2.demo.json").is_file()
    wrong = cli(
        "teach", DATA / "traces" / f"{BRIDGE_DEMO}.npz", "--name", "b3", "--out", tmp_path / "x.toml", env=env
    )
    one_line(wrong, "b3.toml")


@pytest.mark.parametrize(
    ("make", "phrases"),
    [
        (lambda d: DATA / "traces" / "physioplus_bridging.npz", ["only 1 repetition", "at least 2"]),
        (lambda d: d / "missing.mp4", ["cannot be read", "not found"]),
        (lambda d: (d / "notes.mp4").write_text("text\n" * 50) and d / "notes.mp4", ["cannot be read"]),
        (lambda d: (d / "cut.npz").write_bytes(b"PK\x03\x04garbage") and d / "cut.npz", ["not a pose trace"]),
    ],
    ids=["one_rep", "missing", "not_a_video", "broken_trace"],
)
def test_cli_bad_demo_is_one_line_and_saves_nothing(exercises: Path, tmp_path: Path, make, phrases) -> None:  # type: ignore[no-untyped-def]
    res = cli("teach", make(tmp_path), "--name", "demo", env={"FORMCHECK_EXERCISES_DIR": str(exercises)})
    one_line(res, *phrases)
    assert not (exercises / "demo.toml").exists()


def test_cli_builtin_name_is_one_line(exercises: Path) -> None:
    res = cli(
        "teach",
        DATA / "traces" / f"{BRIDGE_DEMO}.npz",
        "--name",
        "lifting",
        env={"FORMCHECK_EXERCISES_DIR": str(exercises)},
    )
    one_line(res, "built-in", "lifting")


@pytest.mark.model
def test_cli_teach_from_a_real_video_with_one_rep_says_so(exercises: Path) -> None:
    """The real pose model on the committed clip (one bridge): refused as fewer than 2 reps."""
    res = cli(
        "teach",
        DATA / "clips" / "physioplus_bridging.mp4",
        "--name",
        "one",
        "--model",
        "lite",
        env={"FORMCHECK_EXERCISES_DIR": str(exercises)},
    )
    one_line(res, "at least 2")
    assert not exercises.exists()


@pytest.mark.model
def test_teach_from_a_real_bridge_video_counts_its_reps(exercises: Path) -> None:
    video = need_shared("clips", "bridge", f"{BRIDGE_DEMO}.mp4")
    res = cli(
        "teach",
        video,
        "--name",
        "video_bridge",
        "--model",
        "lite",
        env={"FORMCHECK_EXERCISES_DIR": str(exercises)},
    )
    assert res.returncode == 0, res.stderr
    assert "from 3 reps" in res.stdout


# ------------------------------------------------------------------------------ point 4: other people


def _check_floors(out: dict) -> None:  # type: ignore[type-arg]
    for part, t in out["totals"].items():
        assert t["clips"] >= 3, part
        # as well as the built-in template: at most one clip fewer exactly right, every clip within one
        assert t["taught_exact"] >= t["builtin_exact"] - 1, (part, t)
        assert t["taught_within_one"] >= t["builtin_within_one"] - 1, (part, t)


def test_bridge_taught_from_one_person_counts_the_others() -> None:
    out = generalise("bridge", BRIDGE_DEMO, DATA / "traces", DATA / "labels.json")
    assert {"dev", "check"} <= set(out["totals"])
    _check_floors(out)


def test_lifting_taught_from_one_person_counts_the_others_when_a_lift_may_start_at_the_load() -> None:
    """The labels count a recording that starts at the load as a lift (``from_start``): the demonstration
    cannot show that, the physio chooses it (``--from-start``)."""
    out = generalise(
        "lifting", LIFT_DEMO, DATA / "traces", DATA / "labels.json", until=LIFT_UNTIL_S, from_start=True
    )
    assert {"dev", "check"} <= set(out["totals"])
    _check_floors(out)


# ---------------------------------------------------------------------------- comparing with the demo


def test_dtw_of_a_trace_with_itself_is_zero_and_of_a_time_shift_small() -> None:
    x = np.sin(np.linspace(0, np.pi, SAMPLES))[:, None]
    assert dtw(x, x)[0] == 0.0
    late = np.sin(np.clip(np.linspace(-0.3, np.pi, SAMPLES), 0, np.pi))[:, None]
    assert dtw(x, late)[0] < 0.5 * float(np.mean(np.abs(x - late)))
    cost, path = dtw(x, 0.5 * x)
    assert cost > 0.1 and path[0] == (0, 0) and path[-1] == (SAMPLES - 1, SAMPLES - 1)


def test_the_demos_own_reps_are_close_and_a_smaller_rep_is_told_less_than_shown(bridge_taught) -> None:  # type: ignore[no-untyped-def]
    ref = bridge_taught.reference
    tr = load_trace(BRIDGE_DEMO)
    _side, feats = trace_features(tr)
    times = tr.times
    # each demonstrated rep against the other two (never against itself)
    own = [
        compare_rep(
            dataclasses.replace(ref, reps=ref.reps[:k] + ref.reps[k + 1 :]), times, feats, r.start_s, r.end_s
        )
        for k, r in enumerate(bridge_taught.reps)
    ]
    assert all(m is not None and m.score >= 50 for m in own), [m and m.score for m in own]
    r = bridge_taught.reps[0]
    inside = (times >= r.start_s) & (times <= r.end_s)
    small = {}
    for f, v in feats.items():
        v = np.array(v, dtype=np.float64)
        start = float(np.interp(r.start_s, times, np.nan_to_num(v)))
        v[inside] = start + 0.4 * (v[inside] - start)  # the same rep with 40 % of the movement
        small[f] = v
    full = compare_rep(ref, times, feats, r.start_s, r.end_s)
    m = compare_rep(ref, times, small, r.start_s, r.end_s)
    assert m is not None and full is not None and m.score < full.score - 10, (m, full)
    assert m.code == "teach_less"
    assert m.cue.en.startswith("Less ") and m.cue.nl.startswith("Minder ")


def test_analyze_reports_each_rep_against_the_demonstration(exercises: Path, bridge_taught) -> None:  # type: ignore[no-untyped-def]
    save(bridge_taught)
    t = load_template("my_bridge")
    doc = analyze_trace(load_trace("tobefrank_glute_bridge"), t, "nl").to_json()
    assert doc["reps"] == 1
    demo = doc["rep_details"][0]["demo"]
    assert 0 <= demo["score"] <= 100 and demo["cue"] and demo["feature"] in bridge_taught.reference.features
    # a broken sidecar leaves the comparison out; the template still counts
    demo_path(Path(t.source)).write_text("{not json", encoding="utf-8")
    doc = analyze_trace(load_trace("tobefrank_glute_bridge"), t).to_json()
    assert doc["reps"] == 1 and "demo" not in doc["rep_details"][0]


def test_reference_round_trips_through_json(bridge_taught) -> None:  # type: ignore[no-untyped-def]
    ref = bridge_taught.reference
    back = DemoReference.from_json(json.loads(json.dumps(ref.to_json())))
    assert back.features == ref.features and len(back.reps) == len(ref.reps)
    np.testing.assert_allclose(back.mean(), ref.mean(), atol=1e-3)
    with pytest.raises(ValueError):
        DemoReference.from_json({"features": ["x"], "reps": [{"x": [1, 2]}], "kind": "cycle"})
    assert math.isfinite(ref.duration_s)


def test_a_built_in_template_has_no_demonstration() -> None:
    assert load_reference(load_template("bridge")) is None
