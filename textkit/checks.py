"""Range checks for values that are not config fields (a call's ``k``, a threshold override):
the same rules and messages as settings (``textkit.settings``), for one-off numbers."""

from __future__ import annotations

from collections.abc import Iterable

from textkit.settings import Spec, check_setting


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
    kind = "int" if integer else "float"
    spec = Spec("", kind, low, high, low_open, high_open, optional=optional)
    check_setting(name, spec, value)


def check_choice(name: str, value: object, choices: Iterable[str]) -> None:
    check_setting(name, Spec("", "choice", choices=tuple(choices)), value)
