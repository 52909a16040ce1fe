"""What a word-level command reads and how it processes the text: the input options (a
``Source``: --format, --text-column, --label-column, --json-key, --encoding) and the text
pipeline's options (``Pipeline``, or --pipeline FILE), both generated from their settings."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from textkit.cli.settings import configured, options, typed
from textkit.text.pipeline import Pipeline
from textkit.text.readers import Source

input_options = options(Source)


def source_from(path: Path | str) -> Source:
    """The input at ``path``, read as the command line's input options say."""
    return Source(path, **typed(Source))


def pipeline_options(base: Pipeline | None = None) -> Callable:
    """--pipeline FILE, and every Pipeline setting (``base``'s values shown as defaults)."""
    pipeline_file = click.option(
        "--pipeline",
        "pipeline_file",
        type=click.Path(path_type=Path),
        help="Load the pipeline settings from this JSON file (or model folder); the pipeline "
        "options below are then ignored.",
    )
    settings = options(base if base is not None else Pipeline)

    def apply(command: Callable) -> Callable:
        return pipeline_file(settings(command))

    return apply


def pipeline_from(pipeline_file: Path | None, base: Pipeline | None = None) -> Pipeline:
    """The Pipeline ``--pipeline`` names, or ``base`` (a model kind's default) with the
    pipeline options typed on the command line."""
    if pipeline_file is not None:
        return Pipeline.load(pipeline_file)
    return configured(Pipeline, base)


def read_lines_or_args(texts: tuple[str, ...]) -> list[str]:
    """The texts given as arguments, or one per line of standard input when there are none."""
    if texts:
        return list(texts)
    if sys.stdin.isatty():
        raise click.UsageError("give a text, or pipe texts in, one per line")
    return [line.rstrip("\n") for line in sys.stdin]
