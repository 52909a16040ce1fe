"""The `textkit` command line: the click group and the error handling.  Options several
commands share live in ``options.py``; each capability's commands in their own module beside
this one; every command only parses options and calls the Python API."""

from __future__ import annotations

import os
import sys
import warnings

import click

from textkit.atomic import release_reservations
from textkit.errors import TextkitError, TextkitWarning
from textkit.training.ranks import this_rank


class _Group(click.Group):
    """Turns TextkitError into one line on stderr (exit 1); warnings become one line too;
    Ctrl-C outside training (which saves and exits 130 itself) and a closed pipe
    (`textkit generate | head`) end quietly instead of with a traceback."""

    def invoke(self, ctx: click.Context):
        warnings.showwarning = _one_line_warnings()
        rank = this_rank()
        saved = sys.stdout, sys.stderr
        if rank:  # under torchrun rank 0 speaks for the job; the others say only their errors
            sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (closed at exit)
        try:
            return super().invoke(ctx)
        except TextkitError as exc:
            sys.stdout, sys.stderr = saved
            raise click.ClickException(f"rank {rank}: {exc}" if rank else str(exc)) from None
        except KeyboardInterrupt:
            click.echo("\ninterrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # stdout's reader went away: point stdout at devnull so the exit flush is silent
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)
        finally:
            sys.stdout, sys.stderr = saved
            release_reservations()  # names chosen by a command that never trained


def _one_line_warnings():
    """A ``warnings.showwarning`` that writes each warning once, on one line: textkit's own as
    ``textkit: warning: ...``, a library's named as the library's (torch's deprecation notes
    are not textkit's advice)."""
    seen: set[tuple[type, str]] = set()

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        if (category, str(message)) in seen:
            return
        seen.add((category, str(message)))
        if issubclass(category, TextkitWarning):
            click.echo(f"textkit: warning: {message}", err=True)
        else:
            origin = _package_of(str(filename))
            click.echo(f"warning from {origin} ({category.__name__}): {message}", err=True)

    return show


def _package_of(filename: str) -> str:
    """The top-level package a file belongs to (``.../site-packages/torch/x.py`` -> torch)."""
    parts = filename.replace("\\", "/").split("/")
    for marker in ("site-packages", "dist-packages"):
        if marker in parts and parts.index(marker) + 1 < len(parts):
            return parts[parts.index(marker) + 1].removesuffix(".py")
    return os.path.basename(filename) or "python"


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="textkit")
def main() -> None:
    """textkit: train and sample small text models.

    \b
    Quick start:
      textkit train-charrnn corpora/poems.txt
      textkit generate --temperature 0.7
    """
