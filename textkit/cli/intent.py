"""`train-intent` and `chat`: the intent classifier (`classify` and `evaluate` are shared)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from textkit.cli.base import main
from textkit.cli.choose import loads_model
from textkit.cli.classify import classifier_training_options, train_classifier
from textkit.cli.inputs import input_options, source_from
from textkit.cli.params import SEED, opt
from textkit.errors import TextkitError
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

    out = train_classifier(IntentClassifier, data, o, "intents")
    click.echo(f"try it: textkit chat {out}", err=True)  # the folder saved (maybe NAME-2)


QUIT = ("quit", "exit", "/quit", "/exit")


@main.command(short_help="Talk to a chatbot built from an intents.json model.")
@loads_model("intent")
@opt("-v", "--verbose", is_flag=True, help="Show the intent and confidence under each reply.")
@opt("--seed", type=SEED, help="Seed the choice among responses.")
@opt("--user", default="you", show_default=True, help="User id (each user has their own context).")
@opt(
    "--store",
    default="memory",
    show_default=True,
    metavar="URL",
    help="Where the conversation is kept: memory, or sqlite:///PATH.db to continue it later "
    "(the same store `textkit serve --store` uses).",
)
def chat(model, verbose, seed, user, store):
    """Chat with MODEL in the terminal; quit, exit, Ctrl-D or Ctrl-C leaves."""
    from textkit.intent.chatbot import Chatbot

    bot = Chatbot(model, seed=seed, store=store)
    interactive = sys.stdin.isatty()
    if interactive:
        click.echo("(quit, exit or Ctrl-D to leave)", err=True)
    while True:
        try:
            text = input("> " if interactive else "")
        except (EOFError, KeyboardInterrupt):
            if interactive:
                click.echo()
            return
        if text.strip().lower() in QUIT:
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
            found = ", ".join(f"{e.entity}={e.value!r}" for e in reply.entities)
            slots = f", slots {reply.slots}" if reply.slots else ""
            click.echo(
                f"  [{what}{context}{', entities ' + found if found else ''}{slots}]", err=True
            )


@main.command(short_help="Check a training file without training: every problem at once.")
@click.argument("data", metavar="DATA", type=click.Path(path_type=Path))
@input_options
def check(data, **_):
    """Read DATA as train-intent would (intents.json, Rasa YAML/Markdown, CSV/TSV, JSON
    records...; inline entity annotations included) and report what it would: every problem
    that stops training (all of them, with JSON paths or columns), what is recovered with a
    warning (tags twice, blank patterns...), and a summary of labels, texts and entities.
    Exit 1 if training would fail."""
    from collections import Counter

    from textkit.classify.data import labelled_texts

    texts = labelled_texts(source_from(data), annotations=True)
    counts = Counter(texts.labels)
    few = sorted(lb for lb, n in counts.items() if n < 2)
    click.echo(f"{data}: {len(texts):,} texts, {len(counts):,} labels "
               f"({min(counts.values())}-{max(counts.values())} texts each)")  # fmt: skip
    if len(counts) < 2:
        raise TextkitError(f"{data}: only one label: nothing to classify")
    if texts.annotated:
        kinds = Counter(e.entity for spans in texts.entities for e in spans)
        shown = ", ".join(f"{name} {n}" for name, n in kinds.most_common(10))
        click.echo(f"entities: {sum(kinds.values()):,} annotated ({shown})")
    if few:
        shown = ", ".join(repr(lb) for lb in few[:10]) + (" ..." if len(few) > 10 else "")
        click.echo(f"{len(few)} label(s) with one text (answered, but not validated): {shown}")
    click.echo("ok: trains as it is")


@main.command(short_help="Write a training set as intents.json or Rasa NLU YAML.")
@click.argument("data", metavar="DATA", type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write: .json for intents.json, .yml/.yaml for Rasa NLU YAML.")  # fmt: skip
@input_options
def convert(data, output, **_):
    """Read DATA in any format train-intent reads (intents.json, Rasa YAML or Markdown, the NLU
    Evaluation corpora, CSV/TSV, JSON records) and write it as intents.json or Rasa NLU YAML
    (chosen by OUTPUT's suffix).  An intents.json's responses are kept when writing intents.json;
    Rasa keeps responses in its domain file, so they are not part of its NLU YAML."""
    from textkit.classify.data import labelled_texts
    from textkit.modelio import atomic_write_bytes
    from textkit.text.io import refuse_input_as_output
    from textkit.text.nlu_formats import intents_json, rasa_yaml

    suffix = output.suffix.lower()
    if suffix not in (".json", ".yml", ".yaml"):
        raise click.BadParameter(
            "use a .json (intents.json) or .yml/.yaml (Rasa) name", param_hint="'-o'"
        )
    refuse_input_as_output(output, [data], "-o")
    from textkit.entities import annotate

    texts = labelled_texts(source_from(data), annotations=True)
    spans = texts.entities or [()] * len(texts)
    examples: dict[str, list[str]] = {}
    for text, label, entities in zip(texts.texts, texts.labels, spans, strict=True):
        examples.setdefault(label, []).append(annotate(text, entities) if entities else text)
    responses = {it.tag: it.responses for it in texts.extra.get("intents", [])}
    for tag in responses:  # intents without patterns (a fallback) keep their responses
        examples.setdefault(tag, [])
    rules = texts.extra.get("rules")
    body = intents_json(examples, responses) if suffix == ".json" else rasa_yaml(examples, rules)
    atomic_write_bytes(output, body.encode("utf-8"))
    click.echo(f"wrote {output}: {len(texts):,} examples of {len(examples):,} intents", err=True)


@main.command(short_help="What a served chatbot couldn't answer, grouped.")
@loads_model("intent")
@opt(
    "--store",
    default="auto",
    metavar="URL",
    help="The conversation store the bot was served with (`textkit serve --store`); auto: "
    "MODELS_DIR/.serving/conversations.db.",
)
@opt("--json", "as_json", is_flag=True, help="One JSON object per message (JSON Lines).")
def inbox(model, store, as_json, models_dir=None, **_):
    """List MODEL's fallback inbox: the messages its chatbot answered with the fallback (out
    of scope or not confident enough), grouped by similarity, largest groups first, each with
    the intents it was closest to.  Label them in the training data and retrain."""
    from textkit.intent.inbox import group
    from textkit.intent.store import SQLiteStore, open_store

    folder = model.folder.path
    url = store
    if store == "auto":
        url = f"sqlite:///{folder.parent / '.serving' / 'conversations.db'}"
        if not (folder.parent / ".serving" / "conversations.db").is_file():
            raise TextkitError(
                f"no conversation store for {folder.name}: it was never served with one"
            )
    opened = open_store(url, namespace=folder.name)
    entries = opened.inbox() if isinstance(opened, SQLiteStore) else []
    if as_json:
        for entry in entries:
            click.echo(json.dumps(entry, ensure_ascii=False))
        return
    dropped = opened.dropped if isinstance(opened, SQLiteStore) else 0
    click.echo(
        f"{len(entries):,} unanswered message(s)"
        + (f" ({dropped:,} older ones dropped)" if dropped else "")
    )
    for members in group([e["text"] for e in entries], model):
        first = entries[members[0]]
        near = ", ".join(f"{lb} {c:.2f}" for lb, c in first.get("ranking", [])[:3])
        click.echo(f"\n{len(members)}x  {first['text']}   [{near}]")
        for i in members[1:6]:
            click.echo(f"     {entries[i]['text']}")
        if len(members) > 6:
            click.echo(f"     ... and {len(members) - 6} more")
