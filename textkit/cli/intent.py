"""`train-intent` and `chat`: the intent classifier (`classify` and `evaluate` are shared)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from textkit.cli.base import main
from textkit.cli.choose import loads_model
from textkit.cli.classify import classifier_training_options, train_classifier
from textkit.cli.params import SEED, opt
from textkit.intent.config import INTENT_FEATURES, INTENT_PIPELINE


@main.command(
    "train-intent", short_help="Train an intent classifier (intents.json, CSV, JSON records)."
)
@click.argument("data", metavar="DATA", type=click.Path(path_type=Path))
@classifier_training_options(INTENT_PIPELINE, INTENT_FEATURES)
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
@loads_model("intent")
@opt("-v", "--verbose", is_flag=True, help="Show the intent and confidence under each reply.")
@opt("--seed", type=SEED, help="Seed the choice among responses.")
@opt("--user", default="you", show_default=True, help="User id (each user has their own context).")
def chat(model, verbose, seed, user):
    """Chat with MODEL in the terminal; Ctrl-D or Ctrl-C leaves."""
    from textkit.intent.chatbot import Chatbot

    bot = Chatbot(model, seed=seed)
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
            context = f", context {reply.context}" if reply.context else ""
            click.echo(f"  [{what}{context}]", err=True)
