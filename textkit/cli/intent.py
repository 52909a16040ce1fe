"""`train-intent`, `classify`, `chat` and `evaluate-intent`: the intent classifier."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from textkit.classify.config import FeatureConfig
from textkit.cli.base import main
from textkit.cli.options import (
    INPUT,
    MODEL_ARGUMENT,
    MODELS_DIR,
    OUTPUT,
    Number,
    _opt,
    classifier_from,
    classifier_options,
    pipeline_from,
    pipeline_options,
    read_lines_or_args,
    train_config_from,
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
@training_options(
    lr_help="Peak learning rate. [default: 0.01]",
    steps_help="Stop after this many steps. [default: 6 epochs, at least 100 steps]",
)
def train_intent(data, **o):
    """Train an intent classifier on DATA: an intents.json (tags, patterns, responses), a CSV/TSV
    with text and intent columns, or JSON records (--json-key train for the SNIPS file).

    Out-of-scope handling is built in: a label such as `oos` in the data is learnt as "no
    intent"; a confidence threshold is chosen on held-out data; input with no known word is
    out of scope. Everything lands in MODELS_DIR/NAME.
    """
    from textkit.intent.model import IntentClassifier
    from textkit.modelio import fresh_model_dir

    pipeline = pipeline_from(o) if _pipeline_given(o) else None
    model = classifier_from(IntentClassifier, o, pipeline)
    out = fresh_model_dir(o["models_dir"], o["name"] or Path(data).stem or "intent", o["overwrite"])
    train_cfg = None
    if any(o[k] is not None for k in ("lr", "max_steps", "epochs", "time_budget")) or o["seed"]:
        train_cfg = train_config_from(o, lr=IntentClassifier.DEFAULT_LR,
                                      epochs=None if o["max_steps"] or o["time_budget"] else IntentClassifier.DEFAULT_EPOCHS)  # fmt: skip
    result = model.fit(data, out, train_cfg, text_column=o["text_column"], label_column=o["label_column"],
                       format=o["fmt"], json_key=o["json_key"], encoding=o["encoding"],
                       overwrite=o["overwrite"], log=lambda m: click.echo(m, err=True))  # fmt: skip
    v = model.info["validation"]
    acc = "-" if v["accuracy"] is None else f"{v['accuracy']:.1%}"
    click.echo(
        f"saved {out}  ({len(model.labels)} intents, {o['classifier']}, {result.elapsed_s:.1f}s): "
        f"validation accuracy {acc} on {v['texts']} texts, threshold {model.threshold:.3f}, "
        f"temperature {model.temperature:.2f}", err=True,
    )  # fmt: skip
    click.echo(f"try it: textkit chat {out}", err=True)


def _pipeline_given(o: dict) -> bool:
    ctx = click.get_current_context()
    names = ("pipeline_file", "lower", "unicode_form", "strip_accents", "tokenizer", "pattern",
             "punctuation", "numbers", "stopwords", "stem", "ngrams", "min_length")  # fmt: skip
    return any(ctx.get_parameter_source(n) == click.core.ParameterSource.COMMANDLINE for n in names)


def load_classifier(model: Path, models_dir: Path, kinds: tuple[str, ...]):
    from textkit.loading import load_model
    from textkit.modelio import resolve_model_path

    return load_model(resolve_model_path(model, models_dir, kinds), kinds=kinds)


@main.command(short_help="Classify texts with an intent (or author) model.")
@MODEL_ARGUMENT
@click.argument("texts", nargs=-1, metavar="[TEXT]...")
@MODELS_DIR
@_opt(
    "-k", "--top-k", type=Number(1, 1000, integer=True), default=3, help="Labels to show per text."
)
@_opt("--threshold", type=Number(0, 1), help="Override the model's out-of-scope threshold.")
@_opt("--json", "as_json", is_flag=True, help="One JSON object per text (JSON Lines).")
def classify(model, texts, models_dir, top_k, threshold, as_json):
    """Classify each TEXT (or each line of standard input) with MODEL: the label, or out of
    scope, with calibrated confidences."""
    clf = load_classifier(model, models_dir, ("intent", "author"))
    for pred in clf.predict_many(read_lines_or_args(texts), threshold=threshold, k=top_k):
        if as_json:
            click.echo(json.dumps(pred.to_dict(), ensure_ascii=False))
            continue
        label = pred.label if pred.label else f"(out of scope: {pred.reason})"
        ranking = "  ".join(f"{lb} {c:.2f}" for lb, c in pred.ranking)
        click.echo(f"{label}\t{pred.confidence:.2f}\t{ranking}\t{pred.text}")


@main.command(short_help="Talk to a chatbot built from an intents.json model.")
@MODEL_ARGUMENT
@MODELS_DIR
@_opt("-v", "--verbose", is_flag=True, help="Show the intent and confidence under each reply.")
@_opt("--seed", type=Number(0, 2**63 - 1, integer=True), help="Seed the choice among responses.")
@_opt("--user", default="you", help="User id (each user has their own context).")
def chat(model, models_dir, verbose, seed, user):
    """Chat with MODEL in the terminal; Ctrl-D or Ctrl-C leaves."""
    from textkit.intent.chatbot import Chatbot

    bot = Chatbot(load_classifier(model, models_dir, INTENT_KINDS), seed=seed)
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
    _evaluate(model, testset, models_dir, INTENT_KINDS, dict(text_column=text_column, label_column=label_column,
              format=fmt, json_key=json_key, encoding=encoding), output_dir, cross_validate)  # fmt: skip


def _evaluate(model, testset, models_dir, kinds, read_opts, output_dir, cross_validate):
    from textkit.classify.data import labelled_texts
    from textkit.classify.evaluation import cross_validate as run_cv
    from textkit.classify.evaluation import evaluate, write_report

    clf = load_classifier(model, models_dir, kinds)
    data = labelled_texts(testset, **read_opts)
    if cross_validate:
        cls = type(clf)
        scores = run_cv(lambda: cls(clf.config, pipeline=clf.pipeline, features=clf.feature_config),
                        data, cross_validate)  # fmt: skip
        click.echo(f"{cross_validate}-fold cross-validation on {len(data)} texts: accuracy "
                   f"{scores['accuracy_mean']:.1%} ± {scores['accuracy_sd']:.1%}, macro-F1 "
                   f"{scores['macro_f1_mean']:.1%} ± {scores['macro_f1_sd']:.1%}")  # fmt: skip
        return
    report = evaluate(clf, data)
    click.echo(report.to_text())
    folder = output_dir or (clf.folder.path / "evaluation")
    paths = write_report(report, folder, title=f"{clf.folder.path.name} on {Path(testset).name}")
    click.echo(f"wrote {paths['confusion']}, {paths['errors']} and {paths['report']}", err=True)
