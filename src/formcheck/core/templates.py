"""Exercise templates: ``exercises/*.toml`` loaded and strictly validated into frozen dataclasses.

A template is data a physiotherapist can read and edit: which camera view it needs, how a rep is found
from the person's own movement (``[count]``: the signal, its direction and the least range that is a rep;
see :mod:`formcheck.core.reps`), the names of the two
phases, hold and tempo targets, the technique classes and
faults with their fixed thresholds (each with its source in a comment), and cue texts in Dutch and English.
Any unknown key, missing field or impossible range is a
:class:`TemplateError` naming the file, the key and what was expected.

Per-leg exercises (knee-to-chest, hamstring stretch) name their count feature with ``{leg}`` (e.g.
``hip_flexion_{leg}``): each leg is counted on its own, and the hold bands and faults may say ``{leg}``
(the leg of the rep) and ``{other}`` (the other leg); see :func:`leg_feature`.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from formcheck.core.geometry import FEATURES, MASK_FEATURES
from formcheck.core.reps import CountRule

_T = TypeVar("_T")

LANGS: tuple[str, ...] = ("nl", "en")
VIEWS: tuple[str, ...] = ("side", "front")
#: ``rise``: the most the value rose over the window above its first seen value (e.g. the other leg lifting).
STATS: tuple[str, ...] = ("max", "min", "mean", "extreme", "rise")
#: Fault windows besides the phase names: the whole rep, up to the turning point, from it on.
WINDOWS: tuple[str, ...] = ("rep", "to_turn", "from_turn")
CAMERA_HEIGHTS: tuple[str, ...] = ("floor", "knee", "hip", "chest")
#: Start postures the camera-placement picture can draw.
POSTURES: tuple[str, ...] = ("standing", "supine_knees_bent", "all_fours", "supine", "plank")
#: The legs of a per-leg exercise, by the person's own side.
LEGS: tuple[str, str] = ("left", "right")


def leg_feature(name: str, leg: str | None) -> str:
    """``name`` with ``{leg}`` replaced by ``leg`` and ``{other}`` by the other leg (unchanged for None)."""
    if leg is None:
        return name
    other = LEGS[1 - LEGS.index(leg)]
    return name.replace("{leg}", leg).replace("{other}", other)


class TemplateError(ValueError):
    """A template that cannot be used; the message names the file, the key and what was expected."""


@dataclass(frozen=True)
class Text:
    """A user-facing text in every supported language."""

    nl: str
    en: str

    def get(self, lang: str) -> str:
        """The text in ``lang`` (``nl`` or ``en``); English for anything else."""
        return self.nl if lang == "nl" else self.en


@dataclass(frozen=True)
class Band:
    """``min <= feature <= max`` (units of the feature, see :data:`formcheck.core.geometry.FEATURES`)."""

    feature: str
    min: float
    max: float

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the band (NaN never does)."""
        return self.min <= value <= self.max


@dataclass(frozen=True)
class Phase:
    """A named phase of the movement (e.g. rest and top), with its on-screen label.

    Phases are not bands: the rep detector (:mod:`formcheck.core.reps`) says which phase a frame is in from
    the person's own movement. The first phase is the resting one (excursion) or the high turning point
    (cycle), the second the one away from rest (or the low turning point).
    """

    name: str
    label: Text


@dataclass(frozen=True)
class Position:
    """The posture someone must be in before (and while) reps are counted."""

    require: tuple[Band, ...]
    settle_s: float
    cue: Text


@dataclass(frozen=True)
class Hold:
    """A hold target in one phase; the timer runs only while every ``require`` band is met.

    ``reminder`` (e.g. "keep breathing") is cued every ``reminder_s`` seconds of holding, when given.
    """

    phase: str
    min_s: float
    max_s: float
    require: tuple[Band, ...]
    code: str
    penalty: float
    cue: Text
    done_cue: Text
    reminder: Text | None = None
    reminder_s: float = 0.0


@dataclass(frozen=True)
class Tempo:
    """A minimum duration for moving from one phase to another (e.g. lower slowly)."""

    code: str
    from_phase: str
    to_phase: str
    min_s: float
    penalty: float
    cue: Text


@dataclass(frozen=True)
class Fault:
    """A form fault judged per rep from one feature.

    ``stat`` is taken over the frames of ``during`` (``rep``, ``to_turn`` = up to the rep's turning point,
    ``from_turn`` = from it to the end, or a phase name): ``max``, ``min``, ``mean``, or ``extreme`` (the
    value at the rep's turning point). The fault is present when that value is above
    ``above`` or below ``below``. ``live`` faults are also cued mid-rep as soon as the current value crosses.
    ``experimental`` faults have not been seen on a real recording yet: they are reported as such and do
    not lower the score.
    """

    code: str
    feature: str
    stat: str
    during: str
    above: float | None
    below: float | None
    priority: int
    penalty: float
    live: bool
    joints: tuple[str, ...]
    cue: Text
    experimental: bool = False

    def crossed(self, value: float) -> bool:
        """Whether ``value`` is on the faulty side of a threshold (NaN never is)."""
        if math.isnan(value):
            return False
        return (self.above is not None and value > self.above) or (
            self.below is not None and value < self.below
        )


@dataclass(frozen=True)
class TechniqueClass:
    """A technique label given when every band holds at the rep's turning point."""

    name: str
    require: tuple[Band, ...]


@dataclass(frozen=True)
class Technique:
    """Classification of every rep at its turning point; the first matching class wins."""

    classes: tuple[TechniqueClass, ...]
    default: str


@dataclass(frozen=True)
class Camera:
    """Where the camera goes."""

    view: str
    distance_m: tuple[float, float]
    height: str
    text: Text
    posture: str = "standing"


@dataclass(frozen=True)
class Template:
    """One exercise."""

    name: str
    title: Text
    instructions: Text
    camera: Camera
    position: Position
    phases: tuple[Phase, ...]
    count: CountRule
    hold: Hold | None
    tempo: tuple[Tempo, ...]
    faults: tuple[Fault, ...]
    technique: Technique | None
    good_cue: Text
    display: tuple[str, ...]
    target_reps: int
    source: str

    def fault_cue(self, code: str) -> Text | None:
        """The cue text of a fault code (a fault, a tempo check or the hold), or None if unknown."""
        for f in self.faults:
            if f.code == code:
                return f.cue
        for tempo in self.tempo:
            if tempo.code == code:
                return tempo.cue
        if self.hold is not None and self.hold.code == code:
            return self.hold.cue
        return None

    @property
    def legs(self) -> tuple[str | None, ...]:
        """``LEGS`` when each leg is counted on its own (the count feature says ``{leg}``), else (None,)."""
        return LEGS if "{leg}" in self.count.feature else (None,)

    def phase(self, name: str) -> Phase:
        """The phase called ``name``."""
        for p in self.phases:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def features(self) -> frozenset[str]:
        """Every feature the template reads (per-leg names for both legs)."""
        names = {self.count.feature} | {b.feature for b in self.position.require}
        names |= {f.feature for f in self.faults} | set(self.display)
        if self.hold:
            names |= {b.feature for b in self.hold.require}
        if self.technique:
            names |= {b.feature for c in self.technique.classes for b in c.require}
        return frozenset(leg_feature(n, leg) for n in names for leg in self.legs)

    @property
    def needs_mask(self) -> bool:
        """Whether the segmentation mask is needed (for the silhouette's features, ``MASK_FEATURES``)."""
        return bool(self.features & MASK_FEATURES)


# --------------------------------------------------------------------------------------------- parsing


class _Reader:
    """Typed access to one TOML table that remembers the key path and rejects unknown keys.

    Other strictly validated files (programmes) subclass it with their own :attr:`error` type.
    """

    #: The exception raised for a bad value (its message: ``source: key: expectation``).
    error: type[ValueError] = TemplateError

    def __init__(self, source: str, table: Any, path: str) -> None:
        self.source = source
        self.path = path
        if not isinstance(table, dict):
            self.fail(path, f"expected a table, got {type(table).__name__}")
        self.table: dict[str, Any] = table
        self.used: set[str] = set()

    def fail(self, key: str, expected: str) -> None:
        raise self.error(f"{self.source}: {key or '(top level)'}: {expected}")

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def raw(self, name: str, required: bool = True) -> Any:
        self.used.add(name)
        if name not in self.table:
            if required:
                self.fail(self.key(name), "missing (required)")
            return None
        return self.table[name]

    def str(self, name: str, choices: tuple[str, ...] | None = None, default: str | None = None) -> str:
        v = self.raw(name, required=default is None)
        if v is None:
            return str(default)
        if not isinstance(v, str) or not v.strip():
            self.fail(self.key(name), "expected a non-empty string")
        if choices and v not in choices:
            self.fail(self.key(name), f"expected one of {', '.join(choices)}, got '{v}'")
        return v

    def num(
        self, name: str, lo: float = -math.inf, hi: float = math.inf, default: float | None = None
    ) -> float:
        v = self.raw(name, required=default is None)
        if v is None:
            return float(default)  # type: ignore[arg-type]
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            self.fail(self.key(name), f"expected a number, got {v!r}")
        if not lo <= v <= hi:
            self.fail(self.key(name), f"expected a number from {lo:g} to {hi:g}, got {v:g}")
        return float(v)

    def opt_num(self, name: str) -> float | None:
        if name not in self.table:
            self.used.add(name)
            return None
        return self.num(name)

    def bool(self, name: str, default: bool) -> bool:
        v = self.raw(name, required=False)
        if v is None:
            return default
        if not isinstance(v, bool):
            self.fail(self.key(name), f"expected true or false, got {v!r}")
        return v

    def sub(self, name: str, required: bool = True) -> _Reader | None:
        v = self.raw(name, required)
        return None if v is None else type(self)(self.source, v, self.key(name))

    def subs(self, name: str, required: bool = True) -> list[_Reader]:
        v = self.raw(name, required)
        if v is None:
            return []
        if not isinstance(v, list) or not v:
            self.fail(self.key(name), "expected a non-empty array of tables ([[...]])")
        return [type(self)(self.source, t, f"{self.key(name)}[{i}]") for i, t in enumerate(v)]

    def strs(self, name: str, default: tuple[str, ...] | None = None) -> tuple[str, ...]:
        v = self.raw(name, required=default is None)
        if v is None:
            return default or ()
        if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
            self.fail(self.key(name), "expected an array of strings")
        return tuple(v)

    def text(self, name: str) -> Text:
        r = self.sub(name)
        assert r is not None
        t = Text(nl=r.str("nl"), en=r.str("en"))
        r.done()
        return t

    def done(self) -> None:
        extra = sorted(set(self.table) - self.used)
        if extra:
            self.fail(self.key(extra[0]), f"unknown key (allowed here: {', '.join(sorted(self.used))})")


#: The strict table reader, public for the other file formats that validate the same way.
TableReader = _Reader

#: Template kinds: an exercise counts reps and holds; a monitor watches a posture over time (no reps).
KINDS: tuple[str, ...] = ("exercise", "monitor")


def _feature(r: _Reader, key: str = "feature", legs: bool = False) -> str:
    """A known feature name; with ``legs`` it may say ``{leg}`` and ``{other}`` (per-leg templates)."""
    name = r.str(key)
    if legs and ("{leg}" in name or "{other}" in name):
        if any(leg_feature(name, leg) not in FEATURES for leg in LEGS):
            r.fail(r.key(key), f"expected a per-leg feature (such as hip_flexion_{{leg}}), got '{name}'")
        return name
    if name not in FEATURES:
        hint = " ({leg} and {other} only in a per-leg template)" if "{" in name else ""
        r.fail(r.key(key), f"expected a known feature ({', '.join(FEATURES)}), got '{name}'{hint}")
    return name


def _band_fields(r: _Reader, legs: bool = False) -> Band:
    """The ``feature``, ``min`` and ``max`` keys of a table (which may hold other keys too)."""
    b = Band(feature=_feature(r, legs=legs), min=r.num("min"), max=r.num("max"))
    if b.min >= b.max:
        r.fail(r.key("max"), f"expected max > min, got min {b.min:g} and max {b.max:g}")
    return b


def _band(r: _Reader, legs: bool = False) -> Band:
    b = _band_fields(r, legs)
    r.done()
    return b


def _bands(r: _Reader, name: str, required: bool = True, legs: bool = False) -> tuple[Band, ...]:
    return tuple(_band(x, legs) for x in r.subs(name, required))


def parse_template(data: dict[str, Any], source: str) -> Template:
    """Validate parsed TOML ``data`` (from ``source``, used in messages) into a :class:`Template`."""
    r = _Reader(source, data, "")
    r.num("schema", 1, 1)
    if r.str("kind", KINDS, default="exercise") != "exercise":
        r.fail("kind", "a posture monitor, not an exercise (it has no reps): load it with load_monitor")
    name = r.str("name")
    title, instructions = r.text("title"), r.text("instructions")
    camera = _section(r, "camera", _camera)
    position = _section(r, "position", _position)
    phases = _phases(r)
    names = tuple(p.name for p in phases)
    count = _section(r, "count", lambda x: _count(x, names))
    hr = r.sub("hold", required=False)
    legs = "{leg}" in count.feature
    hold = _hold(hr, names, legs) if hr is not None else None
    tempo = tuple(_tempo(x, names) for x in r.subs("tempo", required=False))
    faults = tuple(_fault(x, names, legs) for x in r.subs("faults", required=False))
    codes = [f.code for f in faults] + [t.code for t in tempo] + ([hold.code] if hold else [])
    dup = {c for c in codes if codes.count(c) > 1}
    if dup:
        r.fail("faults", f"fault codes must be unique, '{sorted(dup)[0]}' is used twice")
    tr = r.sub("technique", required=False)
    technique = _technique(tr) if tr is not None else None
    good = _section(r, "cues", lambda x: x.text("good"))
    display = r.strs("display")
    for d in display:
        if d not in FEATURES:
            r.fail("display", f"expected known features ({', '.join(FEATURES)}), got '{d}'")
    target = int(r.num("target_reps", 1, 100))
    r.done()
    return Template(
        name=name,
        title=title,
        instructions=instructions,
        camera=camera,
        position=position,
        phases=phases,
        count=count,
        hold=hold,
        tempo=tempo,
        faults=faults,
        technique=technique,
        good_cue=good,
        display=display,
        target_reps=target,
        source=source,
    )


def _section(r: _Reader, key: str, parse: Callable[[_Reader], _T]) -> _T:
    """Parse the required table ``key`` with ``parse`` and reject its unknown keys."""
    x = r.sub(key)
    assert x is not None  # required: a missing table has already failed
    out = parse(x)
    x.done()
    return out


def _camera(x: _Reader) -> Camera:
    dist = x.raw("distance_m")
    if (
        not isinstance(dist, list)
        or len(dist) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in dist)
        or not 0.3 <= dist[0] < dist[1] <= 10
    ):
        x.fail(x.key("distance_m"), "expected [near, far] in metres, 0.3 <= near < far <= 10")
    return Camera(
        view=x.str("view", VIEWS),
        distance_m=(float(dist[0]), float(dist[1])),
        height=x.str("height", CAMERA_HEIGHTS),
        text=x.text("text"),
        posture=x.str("posture", POSTURES, default="standing"),
    )


def _position(x: _Reader) -> Position:
    return Position(require=_bands(x, "require"), settle_s=x.num("settle_s", 0, 10), cue=x.text("cue"))


def _phases(r: _Reader) -> tuple[Phase, ...]:
    phases: list[Phase] = []
    for x in r.subs("phases"):
        ph = Phase(name=x.str("name"), label=x.text("label"))
        x.done()
        if any(p.name == ph.name for p in phases):
            x.fail(x.key("name"), f"phase '{ph.name}' is defined twice")
        phases.append(ph)
    if len(phases) != 2:
        r.fail("phases", f"expected exactly two phases (rest and away, or high and low), got {len(phases)}")
    return tuple(phases)


def _count(x: _Reader, names: tuple[str, ...]) -> CountRule:
    rule = CountRule(
        feature=_feature(x, legs=True),
        kind=x.str("kind", ("excursion", "cycle")),
        direction=x.str("direction", ("up", "down")),
        min_range=x.num("min_range", 0.0, math.inf),
        phases=(names[0], names[1]),
        from_start=x.bool("from_start", False),
        enter=x.num("enter", 0.05, 0.9, default=0.3),
        back=x.num("back", 0.05, 0.9, default=0.3),
        min_s=x.num("min_s", 0, 60, default=0.5),
        max_s=x.num("max_s", 0.5, 600, default=120.0),
        hold_share=x.num("hold_share", 0.01, 0.5, default=0.15),
        median_s=x.num("median_s", 0.0, 2.0, default=0.3),
        rest_level=x.opt_num("rest_level"),
    )
    if "{other}" in rule.feature or ("{leg}" in rule.feature and rule.kind != "excursion"):
        x.fail(x.key("feature"), "expected {leg} (not {other}), and only for kind = 'excursion'")
    if rule.min_range <= 0:
        x.fail(x.key("min_range"), "expected a number above 0 (the least movement that is a rep)")
    if rule.min_s >= rule.max_s:
        x.fail(x.key("max_s"), "expected max_s > min_s")
    return rule


def _hold(x: _Reader, names: tuple[str, ...], legs: bool = False) -> Hold:
    rr = x.sub("reminder", required=False)
    reminder, reminder_s = None, 0.0
    if rr is not None:
        reminder_s = rr.num("every_s", 5, 600)
        reminder = rr.text("text")
        rr.done()
    hold = Hold(
        phase=_phase_ref(x, "phase", names),
        min_s=x.num("min_s", 0, 600),
        max_s=x.num("max_s", 0, 600),
        require=_bands(x, "require", required=False, legs=legs),
        code=x.str("code"),
        penalty=x.num("penalty", 0, 100, default=20),
        cue=x.text("cue"),
        done_cue=x.text("done_cue"),
        reminder=reminder,
        reminder_s=reminder_s,
    )
    if hold.min_s > hold.max_s:
        x.fail(x.key("max_s"), f"expected max_s >= min_s ({hold.min_s:g})")
    x.done()
    return hold


def _tempo(x: _Reader, names: tuple[str, ...]) -> Tempo:
    tempo = Tempo(
        code=x.str("code"),
        from_phase=_phase_ref(x, "from", names),
        to_phase=_phase_ref(x, "to", names),
        min_s=x.num("min_s", 0, 60),
        penalty=x.num("penalty", 0, 100, default=15),
        cue=x.text("cue"),
    )
    x.done()
    return tempo


def _fault(x: _Reader, names: tuple[str, ...], legs: bool = False) -> Fault:
    feature = _feature(x, legs=legs)
    during = x.str("during", default="rep")
    if during not in WINDOWS and during not in names:
        x.fail(x.key("during"), f"expected one of {', '.join(WINDOWS + names)}, got '{during}'")
    fault = Fault(
        code=x.str("code"),
        feature=feature,
        stat=x.str("stat", STATS),
        during=during,
        above=x.opt_num("above"),
        below=x.opt_num("below"),
        priority=int(x.num("priority", 1, 9)),
        penalty=x.num("penalty", 0, 100, default=20),
        live=x.bool("live", False),
        joints=x.strs("joints", default=()),
        cue=x.text("cue"),
        experimental=x.bool("experimental", False),
    )
    if fault.above is None and fault.below is None:
        x.fail(x.key("above"), "expected 'above' and/or 'below' (the fault threshold)")
    x.done()
    return fault


def _technique(x: _Reader) -> Technique:
    classes = []
    for c in x.subs("classes"):
        classes.append(TechniqueClass(name=c.str("name"), require=_bands(c, "require")))
        c.done()
    technique = Technique(classes=tuple(classes), default=x.str("default"))
    x.done()
    return technique


def _phase_ref(r: _Reader, key: str, names: tuple[str, ...]) -> str:
    v = r.str(key)
    if v not in names:
        r.fail(r.key(key), f"expected a phase ({', '.join(names)}), got '{v}'")
    return v


# --------------------------------------------------------------------------------------------- loading


def builtin_dir() -> Path:
    """The folder of the templates shipped with formcheck."""
    return Path(str(resources.files("formcheck") / "exercises"))


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed TOML of a template file.

    Raises:
        TemplateError: the file is missing, unreadable or not valid TOML.
    """
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TemplateError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise TemplateError(f"{path}: cannot read: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise TemplateError(f"{path}: not valid TOML: {e}") from None


def kind_of(path: Path) -> str:
    """The ``kind`` of a template file (``exercise`` when it says none, or cannot be read: its loader
    then reports what is wrong)."""
    try:
        kind = read_toml(path).get("kind", "exercise")
    except TemplateError:
        return "exercise"
    return kind if kind in KINDS else "exercise"


def load_template_file(path: str | Path) -> Template:
    """Load and validate one template file.

    Raises:
        TemplateError: unreadable file, bad TOML, or a validation error (file, key and expectation named).
    """
    p = Path(path)
    data = read_toml(p)
    t = parse_template(data, str(p))
    if t.name != p.stem:
        raise TemplateError(f"{p}: name: expected '{p.stem}' (the file name), got '{t.name}'")
    return t


def user_dir() -> Path:
    """The folder of the user's own templates (taught by demonstration, see :mod:`formcheck.analysis.teach`):
    ``$FORMCHECK_EXERCISES_DIR``, else ``exercises`` in formcheck's user data folder. Not created here."""
    from formcheck.paths import exercises_dir

    return exercises_dir()


def builtin_names(kind: str | None = None) -> list[str]:
    """Names of the templates shipped with formcheck, sorted: of one ``kind`` (:data:`KINDS`), or of every
    kind (None: the names a user's own template may not take)."""
    return sorted(p.stem for p in builtin_dir().glob("*.toml") if kind is None or kind_of(p) == kind)


def user_names() -> list[str]:
    """Names of the user's own templates, sorted; a file named like a built-in one is left out (the built-in
    one wins, and a taught template may never take a built-in name)."""
    folder = user_dir()
    if not folder.is_dir():
        return []
    builtin = set(builtin_names())
    return sorted(p.stem for p in folder.glob("*.toml") if p.is_file() and p.stem not in builtin)


def available(kind: str = "exercise") -> list[str]:
    """Names of every template of one kind: ``exercise`` (with reps): the built-in ones, then the user's own
    (each group sorted); ``monitor``: the built-in posture monitors."""
    builtin = builtin_names(kind)
    return builtin + user_names() if kind == "exercise" else builtin


def load_template(name_or_path: str) -> Template:
    """A template by name (built-in first, then the user's own), or a template file by path (anything ending
    in ``.toml``).

    Raises:
        TemplateError: unknown exercise (the message lists the known ones) or an invalid template.
    """
    if name_or_path.endswith(".toml"):
        return load_template_file(name_or_path)
    name = name_or_path.replace("-", "_")
    path = builtin_dir() / f"{name}.toml"
    if path.is_file() and kind_of(path) == "monitor":
        raise TemplateError(f"'{name_or_path}' is a posture monitor, not an exercise with reps")
    if not path.is_file():
        path = user_dir() / f"{name}.toml"
    if not path.is_file() or "/" in name or "\\" in name:
        names = ", ".join(available() + available("monitor"))
        raise TemplateError(f"unknown exercise '{name_or_path}': choose one of {names}")
    return load_template_file(path)
