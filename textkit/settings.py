"""Settings as data.  Every config dataclass field carries its range or choices, its help line
and its command-line spelling in its metadata (scikit-learn keeps parameter constraints as data
beside the estimator in the same way).  ``validate`` checks any config from that metadata, and
``textkit.cli.settings`` generates the click options of every command from it, so a range, a
default or a help line is written exactly once.  Torch-, numpy- and click-free.

>>> @dataclass(frozen=True)
... class Example:
...     hidden: int = setting(128, help="Hidden units.", low=1, high=65_536, integer=True)
...     def __post_init__(self): validate(self)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from textkit.errors import TextkitError

SPEC = "textkit.setting"
MAX_SEED = 2**63 - 1  # the largest seed torch's generators take (an int64)
DEVICES = "auto|cpu|cuda|cuda:N|mps"  # what a device setting accepts (textkit.device checks)
KINDS = ("bool", "int", "float", "choice", "str", "ints", "range", "duration", "words", "path")


@dataclass(frozen=True)
class Spec:
    """What a setting accepts and how the command line shows it.

    ``kind`` decides both the check and the CLI parser: bool, int, float, choice, str, ints (a
    list of integers), range (a (min, max) pair of integers, or None), duration (seconds; the
    CLI also reads 5m, 1h), words (stop words: none, english or @FILE on the CLI), path."""

    help: str
    kind: str = "str"
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    optional: bool = False  # None is a valid value ("off", "unset", "the model's default")
    flag: str | None = None  # CLI spelling when not --field-name, e.g. "--stem", "--no-amp"
    short: str | None = None  # a one-letter CLI spelling too, e.g. "-n"
    flag_value: Any = None  # a bare flag (or `--swa` without a value) sets this
    multiple: bool = False  # a list of such values (the CLI option is repeated)
    cli: bool = True  # False: a Python-API-only setting (a test checks every field says which)
    metavar: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown setting kind {self.kind!r}")

    @property
    def integer(self) -> bool:
        return self.kind in ("int", "ints", "range")

    @property
    def flags(self) -> tuple[str, ...]:
        """The option's spellings (a boolean pair, e.g. ``--lower/--no-lower``, is one)."""
        return (self.flag,) if self.flag else ()

    def range_text(self) -> str:
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {self.low:g}")
        if self.high is not None:
            parts.append(f"{'<' if self.high_open else '<='} {self.high:g}")
        return " and ".join(parts)


def setting(default: Any = MISSING, *, help: str, kind: str | None = None, **spec: Any) -> Any:
    """A dataclass field with its Spec.  ``kind`` is inferred when obvious: choices -> choice,
    a bool default -> bool, ``integer=True`` -> int, a range -> float."""
    integer = spec.pop("integer", False)
    if kind is None:
        if spec.get("choices"):
            kind = "choice"
        elif isinstance(default, bool):
            kind = "bool"
        elif integer:
            kind = "int"
        elif "low" in spec or "high" in spec:
            kind = "float"
        else:
            kind = "str"
    if "choices" in spec:
        spec["choices"] = tuple(spec["choices"])
    if isinstance(default, (list, dict, set)):
        raise TypeError("use an immutable default (a tuple)")
    return field(default=default, metadata={SPEC: Spec(help=help, kind=kind, **spec)})


def redefault(cls: type, name: str, default: Any) -> Any:
    """A subclass's field ``name`` with its own default and the parent's Spec (written once)."""
    parent = next(f for f in fields(cls) if f.name == name)
    return field(default=default, metadata=parent.metadata)


def spec_named(cls: type, name: str) -> Spec:
    """The Spec of ``cls``'s setting ``name`` (to check a one-off value by the same rule)."""
    return next(spec for f, spec in specs(cls) if f.name == name)


def spec_of(f: dataclasses.Field) -> Spec | None:
    return f.metadata.get(SPEC)


def specs(config: Any) -> Iterator[tuple[dataclasses.Field, Spec]]:
    """The fields of a config class (or instance) that carry a Spec, in declaration order."""
    for f in fields(config):
        spec = spec_of(f)
        if spec is not None:
            yield f, spec


def flag_of(name: str, spec: Spec | None = None) -> str:
    """How the command line spells setting ``name`` (its first spelling)."""
    if spec is not None and spec.flag:
        return spec.flag.split("/")[0]
    return "--" + name.replace("_", "-")


def check_setting(name: str, spec: Spec, value: Any) -> None:
    """Raise a TextkitError naming the setting (and its option) unless ``value`` fits ``spec``."""
    shown = f"{name} ({flag_of(name, spec)})"
    if value is None:
        if spec.optional:
            return
        raise TextkitError(f"{shown} must be set, got None")
    if spec.multiple:
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise TextkitError(f"{shown} must be a list, got {value!r}")
        for item in value:
            check_setting(name, dataclasses.replace(spec, multiple=False), item)
        return
    kind = spec.kind
    if kind == "bool":
        if not isinstance(value, bool):
            raise TextkitError(f"{shown} must be true or false, got {value!r}")
    elif kind == "choice":
        if value not in spec.choices:
            raise TextkitError(f"{shown} must be one of {', '.join(spec.choices)}, got {value!r}")
    elif kind in ("str", "path"):
        if not isinstance(value, str):
            raise TextkitError(f"{shown} must be a string, got {value!r}")
    elif kind in ("ints", "range"):
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)) or not value:
            raise TextkitError(f"{shown} must be a list of integers, got {value!r}")
        for item in value:
            problem = number_error(spec, item)
            if problem:
                raise TextkitError(f"{shown} sizes must be {problem}, got {value!r}")
        if kind == "range" and (len(value) != 2 or value[0] > value[1]):
            raise TextkitError(f"{shown} must be a (min, max) pair with min <= max, got {value!r}")
    elif kind == "words":
        return  # checked by its owner (stop words: "english" or a list of strings)
    else:
        problem = number_error(spec, value)
        if problem:
            raise TextkitError(f"{shown} must be {problem}, got {value!r}")


def finite(value: float) -> bool:
    """``math.isfinite`` for any number: an int is finite however large (math.isfinite raises
    OverflowError on one beyond float range, e.g. a 400-digit option or config entry)."""
    return isinstance(value, int) or math.isfinite(value)


def number_error(spec: Spec, value: Any) -> str | None:
    """What is wrong with ``value`` as a number of ``spec`` (None: nothing)."""
    integer = spec.integer
    ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok_type or not finite(value):
        return "an integer" if integer else "a number"
    too_low = spec.low is not None and (value <= spec.low if spec.low_open else value < spec.low)
    too_high = spec.high is not None and (
        value >= spec.high if spec.high_open else value > spec.high
    )
    return spec.range_text() if too_low or too_high else None


def validate(config: Any) -> None:
    """Check every field of ``config`` that carries a Spec (cross-field rules stay with the
    config's own ``__post_init__``)."""
    for f, spec in specs(config):
        check_setting(f.name, spec, getattr(config, f.name))


def from_dict(cls: type, saved: dict) -> Any:
    """A config of ``cls`` from a saved dict; keys this version doesn't know are ignored (a
    model saved by another version still loads)."""
    if not isinstance(saved, dict):
        raise TextkitError(f"the {cls.__name__} settings must be an object")
    known = {f.name for f in fields(cls) if f.init}
    return cls(**{k: v for k, v in saved.items() if k in known})


def with_overrides(owner: str, cls: type, config: Any, overrides: dict) -> Any:
    """``config`` (or the defaults) with keyword ``overrides``, refusing misspelt names: what
    every model constructor does with ``Model(Config(...), **overrides)``."""
    known = {f.name for f in fields(cls) if f.init}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise TextkitError(
            f"{owner} got unknown setting(s) {', '.join(unknown)}; "
            f"{cls.__name__} has {', '.join(sorted(known))}"
        )
    return dataclasses.replace(config or cls(), **overrides)
