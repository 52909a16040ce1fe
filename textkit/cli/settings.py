"""Command-line options generated from the settings' metadata (``textkit.settings``): each
config field's flag, type, range, choices, help and default come from its Spec, so no command
retypes them.  Generated options default to "not typed"; ``typed`` returns only what the user
typed, and the estimator merges it with its own defaults."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, fields, replace
from typing import Any

import click
from click.core import ParameterSource

from textkit.cli.params import Duration, NgramRange, Number, NumberList
from textkit.errors import TextkitError
from textkit.settings import Spec, specs

_TYPED = (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)


def _shown(spec: Spec, value: Any) -> str | None:
    """How --help shows a default value (None: not shown)."""
    if value is None:
        return "none" if spec.kind in ("choice", "range", "words") else None
    if spec.kind == "bool":
        if not spec.flag or "/" in spec.flag:
            pair = spec.flag.split("/") if spec.flag else None
            return (pair[0] if value else pair[1]).lstrip("-") if pair else str(value).lower()
        return None  # a bare flag: off unless typed
    if spec.kind == "range":
        return f"{value[0]}-{value[1]}"
    if spec.kind == "ints":
        return ",".join(str(v) for v in value)
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def click_type(spec: Spec, aliases: tuple[str, ...] = ()) -> Any:
    if spec.kind in ("int", "float"):
        return Number(
            spec.low,
            spec.high,
            integer=spec.integer,
            low_open=spec.low_open,
            high_open=spec.high_open,
        )
    if spec.kind == "choice":
        return click.Choice([*spec.choices, *(["none"] if spec.optional else []), *aliases])
    if spec.kind == "duration":
        return Duration()
    if spec.kind == "range":
        return NgramRange(int(spec.low), int(spec.high))
    if spec.kind == "ints":
        return NumberList(Number(spec.low, spec.high, integer=True))
    if spec.kind == "path":
        return click.Path()
    return None  # a string


def option(
    name: str,
    spec: Spec,
    default: Any = MISSING,
    shown: str | None = None,
    aliases: tuple[str, ...] = (),
) -> Callable:
    """The click option of one setting; --help shows the setting's ``default`` (or ``shown``,
    for a default a preset or the model kind decides).  Only a typed value counts (``typed``
    asks click where each value came from), so the estimator's own defaults still apply.
    ``aliases``: extra choices the command itself interprets."""
    kw: dict[str, Any] = {"help": spec.help, "default": None}
    if shown is not None:
        kw["help"] = f"{spec.help} [default: {shown}]"
    elif default is not MISSING and _shown(spec, default) is not None:
        kw.update(
            default=_shown(spec, default) if spec.kind != "bool" else default, show_default=True
        )
    if spec.metavar:
        kw["metavar"] = spec.metavar
    names = [
        *([spec.short] if spec.short else []),
        spec.flag or "--" + name.replace("_", "-"),
        name,
    ]
    if spec.kind == "bool":
        if not spec.flag:
            names[-2] = f"--{name.replace('_', '-')}/--no-{name.replace('_', '-')}"
        elif "/" not in spec.flag:
            kw.update(is_flag=True, flag_value=spec.flag_value, default=not spec.flag_value)
            kw.pop("show_default", None)
    else:
        kw["type"] = click_type(spec, aliases)
        if spec.flag_value is not None:  # the value may be left out: `--swa` means 0.25
            kw.update(is_flag=False, flag_value=spec.flag_value)
    if spec.multiple:
        kw.update(multiple=True, default=default if default is not MISSING else ())
    add = click.option(*names, **kw)

    def decorate(command: Callable) -> Callable:
        command = add(command)
        command.__click_params__[-1].textkit_spec = spec  # what ``typed`` reads it as
        return command

    return decorate


def options(
    *configs: Any,
    shown: dict[str, str] | None = None,
    aliases: dict[str, tuple[str, ...]] | None = None,
    only: tuple[str, ...] | None = None,
) -> Callable:
    """The options of every command-line setting of ``configs`` (classes, or instances whose
    values --help shows as defaults), in declaration order.  A name two configs share (a
    held-out fraction) becomes one option, and only if their Specs agree.  ``shown``: how
    --help shows defaults decided elsewhere (a preset's); ``aliases``: extra choices; ``only``:
    a command that takes just some of a config's settings."""
    shown, aliases = shown or {}, aliases or {}
    made: dict[str, tuple[Spec, Callable]] = {}
    for config in configs:
        for f, spec in specs(config):
            if not spec.cli or (only is not None and f.name not in only):
                continue
            if f.name in made:
                if made[f.name][0] != spec:
                    raise TypeError(f"two settings named {f.name!r} disagree on one command")
                continue
            default = getattr(config, f.name) if not isinstance(config, type) else f.default
            made[f.name] = (
                spec,
                option(f.name, spec, default, shown.get(f.name), aliases.get(f.name, ())),
            )

    def apply(func: Callable) -> Callable:
        for _, opt in reversed(made.values()):
            func = opt(func)
        return func

    return apply


def typed(cls: type, ctx: click.Context | None = None) -> dict[str, Any]:
    """The settings of ``cls`` the user typed on this command line, as the config takes them
    ("none" -> None, a stop-word file -> its words).  An option made from another config's
    setting of the same name (word2vec's --epochs is not the loop's) does not count."""
    ctx = ctx or click.get_current_context()
    made = {p.name: getattr(p, "textkit_spec", None) for p in ctx.command.params}
    values: dict[str, Any] = {}
    for f, spec in specs(cls):
        if made.get(f.name) != spec:  # absent, or another setting of the same name
            continue
        if ctx.get_parameter_source(f.name) not in _TYPED:
            continue
        values[f.name] = _from_cli(spec, ctx.params[f.name], f.name)
    return values


def _from_cli(spec: Spec, value: Any, name: str) -> Any:
    if value == "none" and spec.optional and spec.kind in ("choice", "words"):
        return None
    if spec.kind == "words":  # stop words: english, or @FILE with one word per line
        if value.startswith("@"):
            from textkit.text.io import read_small_text

            return tuple(w.strip() for w in read_small_text(value[1:]).splitlines() if w.strip())
        if value != "english":
            raise click.BadParameter(
                f"{value!r}: use none, english or @FILE", param_hint=f"'--{name.replace('_', '-')}'"
            )
    if spec.kind == "ints":
        return tuple(value)
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return value


def configured(cls: type, base: Any = None, ctx: click.Context | None = None) -> Any:
    """``base`` (or the defaults of ``cls``) with the settings typed on this command line; a
    combination the config refuses (both n-gram kinds off) is a usage error."""
    try:
        return replace(base if base is not None else cls(), **typed(cls, ctx))
    except TextkitError as exc:
        raise click.UsageError(str(exc)) from None


def field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls) if f.init)
