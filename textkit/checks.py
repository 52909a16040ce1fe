"""Range checks for settings, written once: every model and trainer validates its numbers here,
so the API and the CLI refuse NaN, infinities and out-of-range values with the same message,
naming the parameter as a Python user writes it and the option as the CLI spells it."""

from __future__ import annotations

import math
from collections.abc import Iterable

from textkit.errors import TextkitError


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def check_number(
    name: str,
    value: object,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
    optional: bool = False,
) -> None:
    """Raise a TextkitError unless ``value`` is a finite number in the given range."""
    if value is None and optional:
        return
    kind = "an integer" if integer else "a number"
    ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok_type or not math.isfinite(value):
        raise TextkitError(f"{name} ({_flag(name)}) must be {kind}, got {value!r}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        parts = []
        if low is not None:
            parts.append(f"{'>' if low_open else '>='} {low:g}")
        if high is not None:
            parts.append(f"{'<' if high_open else '<='} {high:g}")
        raise TextkitError(f"{name} ({_flag(name)}) must be {' and '.join(parts)}, got {value!r}")


def check_choice(name: str, value: object, choices: Iterable[str]) -> None:
    choices = tuple(choices)
    if value not in choices:
        raise TextkitError(
            f"{name} ({_flag(name)}) must be one of {', '.join(choices)}, got {value!r}"
        )
