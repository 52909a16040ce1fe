"""Round 3, class 11 (part): a library's warning (torch's deprecation notes) is shown once and
named as the library's, never as textkit's own advice; textkit's warnings once each too."""

from __future__ import annotations

import warnings

import click
from click.testing import CliRunner

from textkit.cli.base import _Group
from textkit.errors import TextkitWarning


def test_warnings_are_shown_once_and_named_by_origin():
    @click.group(cls=_Group)
    def cli():
        pass

    @cli.command()
    def noisy():
        for _ in range(6):  # as an intent run did: six times the same deprecation note
            warnings.warn_explicit(
                "`foo` is deprecated", DeprecationWarning,
                "/venv/lib/python3.11/site-packages/torch/nn/utils.py", 10,
            )  # fmt: skip
            warnings.warn("too few examples of 'x'", TextkitWarning, stacklevel=1)

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        result = CliRunner().invoke(cli, ["noisy"])
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "warning from torch (DeprecationWarning): `foo` is deprecated",
        "textkit: warning: too few examples of 'x'",
    ], lines
