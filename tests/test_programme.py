"""Programme files: strict validation (file, key, expectation), the starter programme, the TOML round trip,
and the time-based schedule by date (the clock is the test's)."""

from __future__ import annotations

import dataclasses
import tomllib
from datetime import date, timedelta
from pathlib import Path

import pytest

from formcheck.core.programme import (
    MAX_SESSION_MIN,
    PROGRAMME_SCHEMA,
    ProgrammeError,
    check_exercises,
    is_session_day,
    missed_days,
    parse_programme,
    plan_for,
    planned_days,
    session_minutes,
    session_offsets,
    week_of,
)
from formcheck.core.templates import available
from formcheck.store.programme import (
    load_programme_file,
    load_starter,
    parse_programme_text,
    programme_to_toml,
    starter_text,
)

EXERCISES = ("bridge", "cat_cow", "knee_to_chest", "pelvic_tilt", "hamstring_stretch")

GOOD = """
schema = 1
title = "Rug fase 1"
weeks = 4
days_per_week = 3
rest_s = 45
author = "M. de Vries, fysiotherapeut"

[[exercises]]
exercise = "bridge"
[[exercises.progression]]
from = 1
to = 2
sets = 2
reps = 8
[[exercises.progression]]
from = 3
to = 4
sets = 3
reps = 10

[[exercises]]
exercise = "knee_to_chest"
per_side = true
rest_s = 20
note = "Rustig aantrekken"
[[exercises.progression]]
from = 1
sets = 1
reps = 3
hold_s = [20, 30]
"""


def _parse(text: str, source: str = "p.toml"):
    return parse_programme_text(text, source, exercises=EXERCISES)


def _error(text: str, source: str = "p.toml") -> str:
    with pytest.raises(ProgrammeError) as e:
        _parse(text, source)
    msg = str(e.value)
    assert "\n" not in msg, msg
    assert msg.startswith(f"{source}: "), msg
    return msg


def test_a_valid_programme_reads_into_its_parts() -> None:
    p = _parse(GOOD)
    assert p.title.nl == p.title.en == "Rug fase 1"
    assert (p.weeks, p.days_per_week, p.rest_s) == (4, 3, 45.0)
    bridge, knee = p.items
    stages = [(s.first_week, s.last_week, s.sets, s.reps) for s in bridge.stages]
    assert stages == [(1, 2, 2, 8), (3, 4, 3, 10)]
    assert bridge.rest_s == 45.0 and not bridge.per_side and bridge.stages[0].hold_s is None
    assert knee.per_side and knee.rest_s == 20.0 and knee.stages[0].hold_s == (20.0, 30.0)
    assert knee.stages[0].last_week == 4  # "to" left out: to the end
    assert p.exercises == ("bridge", "knee_to_chest")


@pytest.mark.parametrize(
    ("change", "key", "expectation"),
    [
        # unknown exercise
        (('exercise = "bridge"', 'exercise = "jumps"'), "exercises[0].exercise", "no 'jumps' template"),
        # impossible numbers
        (("reps = 8", "reps = 0"), "exercises[0].progression[0].reps", "from 1 to 100, got 0"),
        (("sets = 2", "sets = 40"), "exercises[0].progression[0].sets", "from 1 to 10, got 40"),
        (("days_per_week = 3", "days_per_week = 8"), "days_per_week", "from 1 to 7, got 8"),
        (("hold_s = [20, 30]", "hold_s = [30, 20]"), "exercises[1].progression[0].hold_s", "least <= most"),
        (("hold_s = [20, 30]", "hold_s = -5"), "exercises[1].progression[0].hold_s", "from 1 to 300"),
        (("rest_s = 45", "rest_s = -1"), "rest_s", "from 0 to 600"),
        (("weeks = 4", "weeks = 0"), "weeks", "from 1 to 52"),
        # wrong types
        (("reps = 8", 'reps = "8"'), "exercises[0].progression[0].reps", "whole number"),
        (("reps = 8", "reps = 8.5"), "exercises[0].progression[0].reps", "whole number"),
        (("per_side = true", 'per_side = "yes"'), "exercises[1].per_side", "true or false"),
        (('title = "Rug fase 1"', "title = 3"), "title", "a string or a table with nl and en"),
        (("hold_s = [20, 30]", 'hold_s = ["20"]'), "exercises[1].progression[0].hold_s", "seconds"),
        # a newer schema version
        (("schema = 1", f"schema = {PROGRAMME_SCHEMA + 1}"), "schema", "newer formcheck"),
        (("schema = 1", 'schema = "1"'), "schema", "whole number"),
        # stages with a gap, an overlap, or not reaching the end
        (("from = 3\nto = 4", "from = 4\nto = 4"), "exercises[0].progression[1].from", "expected week 3"),
        (("from = 3\nto = 4", "from = 2\nto = 4"), "exercises[0].progression[1].from", "without gaps"),
        (("from = 3\nto = 4", "from = 3\nto = 3"), "exercises[0].progression", "stop at week 3"),
        # unknown keys, missing keys
        (("rest_s = 45", "rest_s = 45\nrepeat = 2"), "repeat", "unknown key"),
        (('author = "M. de Vries, fysiotherapeut"\n', ""), None, None),  # optional: fine without it
        (("days_per_week = 3\n", ""), "days_per_week", "missing (required)"),
    ],
)
def test_a_bad_programme_names_the_file_the_key_and_the_expectation(
    change: tuple[str, str], key: str | None, expectation: str | None
) -> None:
    assert change[0] in GOOD, change
    text = GOOD.replace(change[0], change[1], 1)
    if key is None:
        _parse(text)
        return
    msg = _error(text)
    assert f": {key}: " in msg, msg
    assert expectation in msg, msg


def test_not_toml_binary_and_missing_files_are_clear(tmp_path: Path) -> None:
    assert "not valid TOML" in _error("schema = [1,")
    with pytest.raises(ProgrammeError, match="binary data"):
        parse_programme_text(b"\xff\xfe\x00garbage", "x.toml", EXERCISES)
    with pytest.raises(ProgrammeError, match="file not found"):
        load_programme_file(tmp_path / "nope.toml", EXERCISES)


def test_a_session_too_long_to_be_real_is_refused() -> None:
    text = GOOD.replace("sets = 3\nreps = 10", "sets = 10\nreps = 100\nhold_s = 10")
    msg = _error(text)
    assert "week 3's session would take" in msg and f"at most {MAX_SESSION_MIN:.0f}" in msg


def test_the_programme_file_round_trips_through_toml(tmp_path: Path) -> None:
    p = _parse(GOOD)
    path = tmp_path / "mine.toml"
    path.write_text(programme_to_toml(p), encoding="utf-8")
    back = load_programme_file(path, EXERCISES)
    assert dataclasses.replace(back, source=p.source) == p
    # A title in two languages and odd characters survive too.
    two = dataclasses.replace(p, title=dataclasses.replace(p.title, en='Back "phase" 1 \\ é'))
    again = parse_programme_text(programme_to_toml(two), "p.toml", EXERCISES)
    assert again.title == two.title


def test_the_starter_programme_is_the_patient_material() -> None:
    p = parse_programme(tomllib.loads(starter_text()), "starter", exercises=None)  # the structure alone
    got = {i.exercise: (i.per_side, i.stages[0].reps, i.stages[0].hold_s) for i in p.items}
    assert got == {
        "bridge": (False, 10, None),
        "cat_cow": (False, 10, None),
        "knee_to_chest": (True, 3, (20.0, 30.0)),
        "pelvic_tilt": (False, 10, None),
        "hamstring_stretch": (True, 1, (20.0, 30.0)),
    }
    # Against this formcheck's templates: it loads, or the message names exactly the missing ones.
    missing = check_exercises(p, available())
    if not missing:
        assert load_starter().exercises == p.exercises
    else:
        with pytest.raises(ProgrammeError) as e:
            load_starter()
        assert f"no '{missing[0]}' template" in str(e.value), str(e.value)


# ------------------------------------------------------------------------------------------ schedule


def test_session_days_are_spread_over_the_week() -> None:
    assert session_offsets(1) == (0,)
    assert session_offsets(3) == (0, 2, 5)
    assert session_offsets(5) == (0, 1, 3, 4, 6)
    assert session_offsets(7) == tuple(range(7))
    for n in range(1, 8):
        assert len(session_offsets(n)) == n


def test_a_programme_started_on_a_day_gives_the_right_session_on_a_later_day() -> None:
    p = _parse(GOOD)
    start = date(2026, 3, 4)  # a Wednesday; sessions on offsets 0, 2, 5 of each week
    first = plan_for(p, start, start)
    assert first.week == 1 and first.session_day and not first.after_end
    assert [(s.exercise, s.set_no, s.side, s.reps) for s in first.sets] == [
        ("bridge", 1, "", 8),
        ("bridge", 2, "", 8),
        ("knee_to_chest", 1, "left", 3),
        ("knee_to_chest", 1, "right", 3),
    ]
    assert [s.rest_after_s for s in first.sets] == [45.0, 45.0, 10.0, 0.0]
    assert first.next_day == start + timedelta(days=2)
    # A rest day in week 1: no sets, and the next session day.
    off = plan_for(p, start, start + timedelta(days=1))
    assert not off.session_day and off.sets == () and off.next_day == start + timedelta(days=2)
    # Week 3 (16 days later, offset 2 of its week): the second stage, whatever happened in between.
    later = plan_for(p, start, start + timedelta(days=16))
    assert later.week == 3 and later.session_day
    assert [(s.exercise, s.reps) for s in later.sets].count(("bridge", 10)) == 3
    # After the last week: the last week's session goes on, marked as past the end.
    after = plan_for(p, start, start + timedelta(days=28))
    assert after.after_end and after.week == 5 and after.session_day and after.next_day is None
    assert len(after.sets) == len(later.sets)
    # Before the start: nothing planned.
    before = plan_for(p, start, start - timedelta(days=1))
    assert before.week == 0 and not before.session_day


def test_planned_and_missed_days() -> None:
    p = _parse(GOOD)
    start = date(2026, 3, 4)
    days = planned_days(p, start, start, start + timedelta(days=40))
    assert len(days) == 3 * p.weeks and days[0] == start and days[-1] < start + timedelta(days=28)
    assert all(is_session_day(p, start, d) and week_of(start, d) <= p.weeks for d in days)
    done = [days[0], days[2]]
    assert missed_days(p, start, days[3], done) == [days[1]]
    assert missed_days(p, start, days[3] + timedelta(days=1), done) == [days[1], days[3]]


def test_session_length_estimate_grows_with_the_progression() -> None:
    p = _parse(GOOD)
    assert session_minutes(p, 3) > session_minutes(p, 1) > 0
