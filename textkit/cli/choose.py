"""Which model a command works with: a MODEL argument (or ``--model``) that resolves and loads
itself, for the kinds a command accepts (named by family or kind in ``textkit.kinds``), and
where a new model goes (``--name``, ``--models-dir``, ``--overwrite``)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path

import click

from textkit.cli.params import ModelName

MODELS_DIR = click.option(
    "--models-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("models"),
    show_default=True,
    help="Folder holding one sub-folder per trained model.",
)


def loads_model(*accepts: str, optional: bool = False, device: str = "auto") -> Callable:
    """MODEL (or, with ``optional``, ``--model``, defaulting to the newest suitable model) and
    ``--models-dir``; the command receives the loaded model as ``model``.  A command with its
    own ``--device`` option loads onto that device (``device`` otherwise)."""
    from textkit.kinds import kinds_of

    kinds = kinds_of(*accepts)

    def decorate(command: Callable) -> Callable:
        wants_dir = "models_dir" in inspect.signature(command).parameters

        @functools.wraps(command)
        def run(*args, model, models_dir, **kw):
            from textkit.loading import load_model
            from textkit.modelio import resolve_model_path

            where = kw.pop("device", device)
            if wants_dir:  # the command resolves other models too
                kw["models_dir"] = models_dir
            path = resolve_model_path(model, models_dir, kinds)
            return command(*args, model=load_model(path, device=where, kinds=kinds), **kw)

        run = MODELS_DIR(run)
        if optional:
            return click.option(
                "--model",
                "model",
                metavar="PATH|NAME",
                help="Model folder, or its name under --models-dir. [default: the most recently "
                "trained one]",
            )(run)
        return click.argument("model", metavar="MODEL", type=click.Path(path_type=Path))(run)

    return decorate


def output_options(command: Callable) -> Callable:
    """``--name``, ``--models-dir`` and ``--overwrite``: where a new model is saved."""
    command = click.option(
        "--overwrite",
        is_flag=True,
        help="Replace MODELS_DIR/NAME instead of saving to NAME-2, NAME-3...",
    )(command)
    command = MODELS_DIR(command)
    return click.option(
        "--name",
        type=ModelName(),
        help="Model name: saved to MODELS_DIR/NAME. [default: the input file's name]",
    )(command)


def new_model_dir(o: dict, default_name: str, fallback: str = "model") -> Path:
    """Where the model a command trains goes: MODELS_DIR/NAME, or NAME-2... unless
    --overwrite.  Without --name, NAME comes from the input file's name, made a valid folder
    name (``.hidden.json`` -> ``hidden``, ``my data.csv`` -> ``my-data``; ``fallback`` if
    nothing is left)."""
    import re

    from textkit.modelio import fresh_model_dir

    derived = re.sub(r"[^A-Za-z0-9_-]+", "-", default_name).strip("-.") or fallback
    return fresh_model_dir(o["models_dir"], o["name"] or derived, o["overwrite"])
