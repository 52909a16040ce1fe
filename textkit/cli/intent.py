"""`train-intent`, `chat` and `evaluate-intent`: the intent classifier (`classify` is shared)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from textkit.classify.config import FeatureConfig
from textkit.cli.base import main
from textkit.cli.classify import evaluate_command, train_classifier
from textkit.cli.options import (
    INPUT,
    MODEL_ARGUMENT,
    MODELS_DIR,
    OUTPUT,
    Number,
    _opt,
    classifier_options,
    load_chosen,
    pipeline_options,
    training_options,
)

INTENT_KINDS = ("intent",)


@main.command(
    "train-intent", short_help="Train an intent classifier (intents.json, CSV, JSON records)."
)
@click.argument("data", metavar="DATA", type=click.Path(path_type=Path))
@OUTPUT
@INPUT
@classifier_options(
    FeatureConfig(),
    "mlp: a small network over word and character n-grams (the shared "
    "training loop, CUDA when present); nb: naive Bayes; linear: logistic regression.",
)
@pipeline_options()
@training_options(lr_help="Peak learning rate. [default: 0.01]",
                  steps_help="Stop after this many steps. [default: 6 epochs, at least 100 steps]")  # fmt: skip
def train_intent(data, **o):
    """Train an intent classifier on DATA: an intents.json (tags, patterns, responses), a CSV/TSV
    with text and intent columns, or JSON records (--json-key train for the SNIPS file).

    Out-of-scope handling is built in: a label such as `oos` in the data is learnt as "no
    intent"; a confidence threshold is chosen on held-out data; input with no known word is
    out of scope. Everything lands in MODELS_DIR/NAME.
    """
    from textkit.intent.model import IntentClassifier

    train_classifier(IntentClassifier, data, o, "intents")
    click.echo(f"try it: textkit chat {o['name'] or Path(data).stem}", err=True)


@main.command(short_help="Talk to a chatbot built from an intents.json model.")
@MODEL_ARGUMENT
@MODELS_DIR
@_opt("-v", "--verbose", is_flag=True, help="Show the intent and confidence under each reply.")
@_opt("--seed", type=Number(0, 2**63 - 1, integer=True), help="Seed the choice among responses.")
@_opt("--user", default="you", help="User id (each user has their own context).")
def chat(model, models_dir, verbose, seed, user):
    """Chat with MODEL in the terminal; Ctrl-D or Ctrl-C leaves."""
    from textkit.intent.chatbot import Chatbot

    bot = Chatbot(load_chosen(model, models_dir, INTENT_KINDS), seed=seed)
    interactive = sys.stdin.isatty()
    while True:
        try:
            text = input("> " if interactive else "")
        except (EOFError, KeyboardInterrupt):
            if interactive:
                click.echo()
            return
        reply = bot.reply(text, user)
        click.echo(reply.text)
        if verbose:
            what = (
                f"{reply.intent} {reply.confidence:.2f}"
                if reply.intent
                else f"fallback ({reply.reason})"
            )
            click.echo(
                f"  [{what}{', context ' + reply.context if reply.context else ''}]", err=True
            )


@main.command(
    "evaluate-intent", short_help="Accuracy, F1, out-of-scope and calibration on a test set."
)
@MODEL_ARGUMENT
@click.argument("testset", metavar="TESTSET", type=click.Path(path_type=Path))
@MODELS_DIR
@INPUT
@_opt(
    "-o",
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where report.json, errors.json and confusion.png go. [default: MODEL/evaluation]",
)
@_opt("--cross-validate", type=Number(2, 100, integer=True), metavar="K",
      help="Instead: K-fold cross-validation on TESTSET with MODEL's settings.")  # fmt: skip
def evaluate_intent(model, testset, models_dir, fmt, text_column, label_column, json_key, encoding,
                    output_dir, cross_validate):  # fmt: skip
    """Evaluate MODEL on TESTSET (any format train-intent reads): accuracy, macro-F1, per-intent
    precision/recall/F1, out-of-scope precision/recall, calibration error (ECE), the most
    confused pairs, a confusion-matrix PNG and errors.json."""
    read_opts = dict(text_column=text_column, label_column=label_column, format=fmt,
                     json_key=json_key, encoding=encoding)  # fmt: skip
    evaluate_command(
        model, testset, models_dir, INTENT_KINDS, read_opts, output_dir, cross_validate
    )
