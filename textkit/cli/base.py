"""The `textkit` command line: the click group, the options several commands share, and the
error handling.  Each capability's commands live in their own module beside this one; every
command only parses options and calls the Python API."""

from __future__ import annotations

import os
import re
import sys
import warnings
from pathlib import Path

import click

from textkit.errors import TextkitError

MODELS_DIR_OPTION = click.option(
    "--models-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("models"),
    show_default=True, help="Folder holding one sub-folder per trained model.",
)  # fmt: skip
DEVICE_OPTION = click.option(
    "--device", default="auto", show_default=True, metavar="auto|cpu|cuda|cuda:N|mps",
    help="Where to run; auto picks CUDA when present.",
)  # fmt: skip


class _Group(click.Group):
    """Turns TextkitError into one line on stderr (exit 1); warnings become one line too;
    Ctrl-C outside training (which saves and exits 130 itself) and a closed pipe
    (`textkit generate | head`) end quietly instead of with a traceback."""

    def invoke(self, ctx: click.Context):
        def show(message, category, *args, **kwargs):
            click.echo(f"textkit: warning: {message}", err=True)

        warnings.showwarning = show
        try:
            return super().invoke(ctx)
        except TextkitError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            click.echo("\ninterrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # stdout's reader went away: point stdout at devnull so the exit flush is silent
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="textkit")
def main() -> None:
    """textkit: train and sample small text models.

    \b
    Quick start:
      textkit train-charrnn corpora/poems.txt
      textkit generate --temperature 0.7
    """


def parse_duration(value: str | None) -> float | None:
    """'90', '90s', '5m', '1.5h' -> seconds."""
    if value is None:
        return None
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", value)
    if not m:
        raise TextkitError(f"--time-budget {value!r}: use seconds or a unit, e.g. 90, 90s, 5m, 1h")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def unescape(value: str | None) -> str | None:
    r"""Let users type \n and \t on the command line."""
    if value is None:
        return None
    return value.replace("\\n", "\n").replace("\\t", "\t")
