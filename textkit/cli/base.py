"""The `textkit` command line: the click group and the error handling.  Options several
commands share live in ``options.py``; each capability's commands in their own module beside
this one; every command only parses options and calls the Python API."""

from __future__ import annotations

import os
import sys
import warnings

import click

from textkit.errors import TextkitError
from textkit.training.ranks import this_rank


class _Group(click.Group):
    """Turns TextkitError into one line on stderr (exit 1); warnings become one line too;
    Ctrl-C outside training (which saves and exits 130 itself) and a closed pipe
    (`textkit generate | head`) end quietly instead of with a traceback."""

    def invoke(self, ctx: click.Context):
        def show(message, category, *args, **kwargs):
            click.echo(f"textkit: warning: {message}", err=True)

        warnings.showwarning = show
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


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="textkit")
def main() -> None:
    """textkit: train and sample small text models.

    \b
    Quick start:
      textkit train-charrnn corpora/poems.txt
      textkit generate --temperature 0.7
    """
