"""Click parameter types that make every bad value a usage error (exit 2) naming its option:
finite numbers in a range, lists of numbers, n-gram ranges, durations, sizes, model names."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import click

from textkit.settings import MAX_SEED, Spec, finite, number_error


class Number(click.ParamType):
    """A finite int or float in a range: NaN, infinities and out-of-range values are usage
    errors (click's own ranges let NaN through).  The range rule is the settings' own."""

    def __init__(
        self,
        low: float | None = None,
        high: float | None = None,
        *,
        integer: bool = False,
        low_open: bool = False,
        high_open: bool = False,
    ) -> None:
        self.spec = Spec("", "int" if integer else "float", low, high, low_open, high_open)
        self.integer = integer
        self.name = "integer" if integer else "float"

    def convert(self, value, param, ctx):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = value
        else:
            try:
                number = int(value, 10) if self.integer else float(value)
            except (TypeError, ValueError):
                kind = "an integer" if self.integer else "a number"
                self.fail(f"{value!r} is not {kind}", param, ctx)
        if not finite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        if number_error(self.spec, number):
            self.fail(f"{value} is not in the range {self.spec.range_text()}", param, ctx)
        return number

    def get_metavar(self, param, ctx=None) -> str:
        return "INTEGER" if self.integer else "FLOAT"


class NumberList(click.ParamType):
    """Comma-separated numbers, e.g. ``0.3,0.6,0.9`` or ``1,2``; each checked like ``Number``."""

    name = "list"

    def __init__(self, item: Number) -> None:
        self.item = item

    def convert(self, value, param, ctx):
        if isinstance(value, (list, tuple)):
            return list(value)
        parts = [p.strip() for p in str(value).split(",")]
        if not any(parts) or not all(parts):
            self.fail(f"{value!r}: give comma-separated numbers, e.g. 1,2", param, ctx)
        return [self.item.convert(p, param, ctx) for p in parts]


class NgramRange(click.ParamType):
    """``1-2``, ``3`` or ``none``: a (min, max) pair of sizes from ``low`` to ``high``."""

    name = "range"

    def __init__(self, low: int = 1, high: int = 10) -> None:
        self.low, self.high = low, high

    def convert(self, value, param, ctx):
        if value is None or isinstance(value, tuple):
            return value
        text = str(value).strip().lower()
        if text in ("none", "off", "0"):
            return None
        try:
            parts = text.split("-") if "-" in text else [text, text]
            lo, hi = (int(p) for p in parts)
        except ValueError:
            self.fail(f"{value!r}: give a range like 1-2, a size like 3, or none", param, ctx)
        if not (self.low <= lo <= hi <= self.high):
            self.fail(
                f"{value!r}: sizes from {self.low} to {self.high}, smallest first", param, ctx
            )
        return lo, hi

    def get_metavar(self, param, ctx=None) -> str:
        return "MIN-MAX|none"


def parse_duration(value: str | None) -> float | None:
    """'90', '90s', '5m', '1.5h' -> seconds (ValueError for anything else)."""
    if value is None:
        return None
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", str(value))
    if not m:
        raise ValueError(f"{value!r}: use seconds or a unit, e.g. 90, 90s, 5m, 1h")
    seconds = float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]
    if not 0 < seconds <= 1e9:
        raise ValueError(f"{value!r}: the budget must be more than 0 seconds")
    return seconds


class Duration(click.ParamType):
    name = "duration"

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            return value
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)

    def get_metavar(self, param, ctx=None) -> str:
        return "DURATION"


def parse_size(value: str) -> int:
    """'500M', '2G', '1.5G', '800000' -> bytes (ValueError for anything else)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*", str(value).lower())
    if not m:
        raise ValueError(f"{value!r}: give a size such as 800M or 2G")
    size = int(float(m.group(1)) * 1024 ** " kmgt".index(m.group(2) or " "))
    if size < 1:
        raise ValueError(f"{value!r}: the size must be at least 1 byte")
    return size


class Size(click.ParamType):
    name = "size"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        try:
            return parse_size(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)

    def get_metavar(self, param, ctx=None) -> str:
        return "SIZE"


class ModelName(click.ParamType):
    """One folder name under --models-dir (never a path, never hidden)."""

    name = "name"

    def convert(self, value, param, ctx):
        from textkit.errors import TextkitError
        from textkit.modelio import check_model_name

        try:
            return check_model_name(value)
        except TextkitError as exc:
            self.fail(str(exc), param, ctx)


COUNT = Number(1, integer=True)
SEED = Number(0, MAX_SEED, integer=True)


def unescape(value: str | None) -> str | None:
    r"""Let users type \n and \t on the command line."""
    if value is None:
        return None
    return value.replace("\\n", "\n").replace("\\t", "\t")


def opt(*names: str, **kw) -> Callable:
    """``click.option`` that shows its default in --help whenever it has one."""
    kw.setdefault("show_default", "default" in kw and kw["default"] is not None)
    return click.option(*names, **kw)


LOG_CONVERSATIONS = opt(
    "--log-conversations",
    "log_conversations",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="Append every chatbot reply (time, bot, user, text, intent, reply) to PATH as JSON "
    "Lines, for owners who must keep transcripts; off by default (the request log never "
    "holds text).",
)
