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
from textkit.cli.params import LOG_CONVERSATIONS, SEED, opt
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
    help="Where the conversation is kept: memory, or sqlite:///PATH.db (or redis://HOST:PORT/DB) "
    "to continue it later (the same store `textkit serve --store` uses).",
)
@LOG_CONVERSATIONS
def chat(model, verbose, seed, user, store, log_conversations):
    """Chat with MODEL in the terminal; quit, exit, Ctrl-D or Ctrl-C leaves."""
    from textkit.intent.chatbot import Chatbot

    bot = Chatbot(model, seed=seed, store=store, transcript=log_conversations)
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
    (chosen by OUTPUT's suffix).  An intents.json's responses, contexts and required slots are
    kept when writing intents.json; Rasa keeps responses in its domain file, so they are not part of its NLU YAML."""
    from textkit.classify.data import labelled_texts
    from textkit.modelio import atomic_write_bytes
    from textkit.text.io import refuse_input_as_output

    suffix = output.suffix.lower()
    if suffix not in (".json", ".yml", ".yaml"):
        raise click.BadParameter(
            "use a .json (intents.json) or .yml/.yaml (Rasa) name", param_hint="'-o'"
        )
    refuse_input_as_output(output, [data], "-o")
    from textkit.intent.labelling import training_text

    texts = labelled_texts(source_from(data), annotations=True)
    atomic_write_bytes(output, training_text(texts, suffix).encode("utf-8"))
    labels = set(texts.labels) | {it.tag for it in texts.extra.get("intents", [])}
    click.echo(f"wrote {output}: {len(texts):,} examples of {len(labels):,} intents", err=True)


@main.command(short_help="What a served chatbot couldn't answer: list it, or label it.")
@loads_model("intent")
@opt(
    "--store",
    default="auto",
    metavar="URL",
    help="The conversation store the bot was served with (`textkit serve --store`); auto: "
    "MODELS_DIR/.serving/conversations.db.",
)
@opt("--json", "as_json", is_flag=True, help="One JSON object per message (JSON Lines).")
@opt(
    "--label",
    is_flag=True,
    help="Walk through the groups and label them (an intent, a new one, or out of scope); "
    "the labelled texts go into a copy of the training data.",
)
@opt(
    "--data",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --label: the training data to copy (intents.json, Rasa YAML, CSV...). "
    "[default: the intents.json kept in MODEL]",
)
@opt(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --label: the copy to write (.json: intents.json, .yml: Rasa YAML; never an "
    "existing file). [default: ./MODEL-labelled.json or .yml]",
)
@input_options
def inbox(model, store, as_json, label, data, output, **_):
    """List MODEL's fallback inbox: the messages its chatbot answered with the fallback (out
    of scope or not confident enough), grouped by similarity, largest groups first, each with
    the intents it was closest to.

    With --label, go through the groups in the terminal and give each one an intent (one of
    its closest, any known intent, or a new one), mark it out of scope, or skip it; the labelled
    texts are added to a copy of the training data (-o), and leave the inbox once it is
    written. Then `textkit train-intent COPY --name MODEL` trains the next version (saved as
    MODEL-2) and `textkit evaluate` compares the two."""
    from textkit.intent.inbox import group

    if label and as_json:
        raise click.UsageError("--json lists the inbox; --label labels it: choose one")
    if not label and (data or output):
        raise click.UsageError("--data and -o go with --label")
    folder = model.folder.path
    url = store
    if store == "memory":
        raise click.BadParameter(
            "a memory store lives and dies with its server: give the --store it was served with",
            param_hint="'--store'",
        )
    if store == "auto":
        path = folder.parent / ".serving" / "conversations.db"
        if not path.is_file():
            raise TextkitError(
                f"no conversation store for {folder.name}: it was never served with one"
            )
        url = f"sqlite:///{path}"
    from textkit.intent.store import open_store

    opened = open_store(url, namespace=folder.name)
    entries = opened.inbox()
    if as_json:
        for entry in entries:
            click.echo(
                json.dumps({k: v for k, v in entry.items() if k != "id"}, ensure_ascii=False)
            )
        return
    dropped = opened.dropped
    click.echo(
        f"{len(entries):,} unanswered message(s)"
        + (f" ({dropped:,} older ones dropped)" if dropped else "")
    )
    groups = group([e["text"] for e in entries], model)
    if label:
        return _label_inbox(model, opened, entries, groups, data, output)
    for members in groups:
        first = entries[members[0]]
        click.echo(f"\n{len(members)}x  {first['text']}   [{_closest(first)}]")
        for i in members[1:6]:
            click.echo(f"     {entries[i]['text']}")
        if len(members) > 6:
            click.echo(f"     ... and {len(members) - 6} more")


def _closest(entry: dict) -> str:
    return ", ".join(f"{lb} {c:.2f}" for lb, c in entry.get("ranking", [])[:3])


def _label_inbox(model, store, entries, groups, data, output) -> None:
    """The --label walk: the training data read and the copy's name checked first (no
    labelling is lost to a bad file), then each group asked about; Ctrl-C or Ctrl-D stops
    and writes what was labelled."""
    from textkit.classify.data import labelled_texts
    from textkit.intent import labelling
    from textkit.modelio import atomic_write_bytes

    folder = model.folder.path
    if data is None:
        data = folder / "intents.json"
        if not data.is_file():
            raise TextkitError(
                f"{folder.name} keeps no intents.json: give the training data with --data"
            )
    texts = labelled_texts(source_from(data), annotations=True)
    output = output or labelling.default_output(data, folder.name)
    labelling.check_output(output)
    if not groups:
        return
    known = sorted(set(texts.labels) | {it.tag for it in texts.extra.get("intents", [])})
    oos = labelling.out_of_scope_label(known)
    new_responses = output.suffix.lower() == ".json"
    click.echo(
        "for each: 1-3 = one of its closest intents, an intent's name (a new name makes a new "
        "intent), o = out of scope, e = each message on its own, s = skip, q = stop and write",
        err=True,
    )
    done = labelling.Labelled()
    try:
        for n, members in enumerate(groups, 1):
            group_entries = [entries[i] for i in members]
            click.echo(f"\n[{n}/{len(groups)}] {len(members)} message(s):")
            for e in group_entries[:5]:
                click.echo(f"    {e['text']}")
            if len(members) > 5:
                click.echo(f"    ... and {len(members) - 5} more")
            answer = _ask(group_entries[0], known, oos, done, new_responses, each=len(members) > 1)
            if answer == "q":
                break
            if answer == "e":
                for e in group_entries:
                    click.echo(f"  {e['text']}")
                    one = _ask(e, known, oos, done, new_responses, each=False)
                    if one == "q":
                        raise click.Abort
                    if one is not None:
                        done.add(one, [e])
            elif answer is not None:
                done.add(answer, group_entries)
    except click.Abort:
        click.echo("\n(stopped: writing what was labelled)", err=True)
    if not done.ids:
        click.echo("nothing labelled: no copy written", err=True)
        return
    atomic_write_bytes(output, labelling.training_text(texts, output.suffix.lower(), done).encode())
    gone = store.forget(done.ids)
    counts = ", ".join(f"{lb} {len(v)}" for lb, v in done.examples.items())
    click.echo(f"wrote {output}: {len(done):,} new example(s) ({counts}); {gone:,} left the inbox")
    click.echo(f"next: textkit train-intent {output} --name {folder.name}", err=True)


def _ask(entry: dict, known: list[str], oos: str, done, new_responses: bool, each: bool):
    """One answer: a label, None (skip), "e" (each on its own) or "q" (stop)."""
    ranking = [lb for lb, _ in entry.get("ranking", [])[:3]]
    click.echo("  closest: " + ", ".join(f"{i}) {lb}" for i, lb in enumerate(ranking, 1)))
    while True:
        answer = click.prompt("  intent", default="s", show_default=True).strip()
        low = answer.lower()
        if low in ("s", "skip"):
            return None
        if low in ("q", "quit") or (low == "e" and each):
            return low[0]
        if low in ("o", "oos"):
            return oos
        if answer.isdigit() and 1 <= int(answer) <= len(ranking):
            return ranking[int(answer) - 1]
        if answer in known or answer in done.examples:
            return answer
        if answer.isdigit() or len(answer) < 2 or len(answer) > 100:
            click.echo("  (a number from the list, an intent's name, o, e, s or q)")
            continue
        if click.confirm(f"  '{answer}' is a new intent: add it?", default=False):
            if new_responses and answer not in done.responses:
                reply = click.prompt("  a response for it (blank: none)", default="",
                                     show_default=False).strip()  # fmt: skip
                done.responses[answer] = [reply] if reply else []
            return answer
