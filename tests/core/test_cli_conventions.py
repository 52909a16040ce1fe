"""Conventions every command follows: documented options, usage errors (exit 2) for bad values
of the shared parameter types, a torch-free `--help`."""

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from textkit.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_every_option_is_documented():
    for name, command in main.commands.items():
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{name} {param.opts} has no help"
        help_text = CliRunner().invoke(main, [name, "--help"]).output
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.opts[-1] in help_text


def test_cli_py_and_module_run_the_same_cli():
    out = subprocess.run(
        [sys.executable, str(REPO / "cli.py"), "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "train-charrnn" in out.stdout and "generate" in out.stdout


def test_durations_and_escapes():
    from textkit.cli import parse_duration, unescape

    assert [parse_duration(v) for v in ("90", "90s", "5m", "1.5h", None)] == [
        90,
        90,
        300,
        5400,
        None,
    ]
    assert unescape(r"one\ntwo\tthree") == "one\ntwo\tthree" and unescape(None) is None


def test_help_does_not_import_torch():
    code = "import sys; from textkit.cli import main; assert 'torch' not in sys.modules, 'torch imported'"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize(
    "args",
    [["generate", "--temperatures", "0.5,hot"], ["generate", "--temperatures", ","],
     ["generate", "--temperatures", "0.5,nan"], ["preprocess", "x.txt", "--ngrams", "1,x"],
     ["preprocess", "x.txt", "--ngrams", ""], ["train-charrnn", "x.txt", "--time-budget", "soon"],
     ["train-charrnn", "x.txt", "--time-budget", "0"], ["train-charrnn", "x.txt", "--epochs", "nan"],
     ["train-charrnn", "x.txt", "--momentum", "-5"], ["train-charrnn", "x.txt", "--warmup", "-10"],
     ["train-charrnn", "x.txt", "--patience", "-1"], ["preprocess", "x.txt", "--min-length", "-5"],
     ["generate", "--top-k", "0"], ["generate", "--length", "1e3"]],
)  # fmt: skip
def test_bad_values_of_shared_types_are_usage_errors(args):
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2, (args, r.output)
    assert "Invalid value for" in r.stderr and "Traceback" not in r.stderr


def test_a_required_model_is_positional_and_an_optional_one_is_an_option():
    """The README's convention: MODEL positional where a command needs one, --model where the
    newest model is the default; a classifier's kind is --classifier, never --model."""
    for name, command in main.commands.items():
        options = {o for p in command.params if isinstance(p, click.Option) for o in p.opts}
        args = [p for p in command.params if isinstance(p, click.Argument)]
        if "--model" in options:
            assert not any(a.name == "model" for a in args), name
        for a in args:
            if a.name in ("model", "models"):
                assert a.metavar in ("MODEL", "MODEL..."), (name, a.metavar)
