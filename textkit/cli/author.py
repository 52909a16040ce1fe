"""`train-author`, `predict-author` and `evaluate-author`: who wrote a short text."""

from __future__ import annotations

import json
from pathlib import Path

import click

from textkit.authorship.config import AUTHOR_FEATURES
from textkit.cli.base import main
from textkit.cli.classify import (
    evaluate_command,
    show_prediction,
    train_classifier,
)
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
    read_lines_or_args,
    training_options,
)

AUTHOR_KINDS = ("author",)


@main.command(
    "train-author", short_help="Train a short-text authorship classifier (CSV of author, text)."
)
@click.argument("data", metavar="DATA", type=click.Path(path_type=Path))
@OUTPUT
@INPUT
@classifier_options(
    AUTHOR_FEATURES,
    "mlp: a small network over character and word n-grams (the "
    "shared training loop, CUDA when present); linear: logistic regression; nb: naive Bayes.",
)
@pipeline_options()
@training_options(lr_help="Peak learning rate. [default: 0.01]",
                  steps_help="Stop after this many steps. [default: 6 epochs, at least 100 steps]")  # fmt: skip
def train_author(data, **o):
    """Learn who wrote each text of DATA (a CSV/TSV with text and author columns, JSON records or
    JSON Lines), e.g. `--text-column text --label-column author`.

    Texts go through a tweet-aware pipeline (URLs as <url>, HTML entities decoded, case, emoji and
    punctuation kept as style) into character 1-5-grams and word 1-2-grams. Empty texts are
    skipped with a count; an author with few texts is warned about.
    """
    from textkit.authorship.model import AuthorClassifier

    train_classifier(AuthorClassifier, data, o, "authors")


@main.command(
    "predict-author", short_help="Who wrote these texts: ranked authors with probabilities."
)
@MODEL_ARGUMENT
@click.argument("texts", nargs=-1, metavar="[TEXT]...")
@MODELS_DIR
@_opt(
    "-f",
    "--file",
    "files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file of texts by one unknown author, one per line: one combined answer (repeatable).",
)
@_opt("-k", "--top-k", type=Number(1, 1000, integer=True), default=3, help="Authors to show.")
@_opt("--threshold", type=Number(0, 1), help="Override the model's don't-know threshold.")
@_opt("--explain", is_flag=True, help="Show the n-grams that pushed the decision most, per author.")
@_opt("--json", "as_json", is_flag=True, help="One JSON object per answer (JSON Lines).")  # fmt: skip
def predict_author(model, texts, models_dir, files, top_k, threshold, explain, as_json):
    """Rank the likely authors of each TEXT (or each line of standard input); with --file, of
    all the file's lines together (their evidence combined)."""
    from textkit.text.io import read_small_text

    clf = load_chosen(model, models_dir, AUTHOR_KINDS)
    if files:
        answers = []
        for path in files:
            lines = [ln for ln in read_small_text(path).splitlines() if ln.strip()]
            pred = clf.predict_many(lines, threshold=threshold, k=top_k, combine=True)
            pred.text = f"{path} ({len(lines)} texts)"
            answers.append(pred)
    else:
        answers = clf.predict_many(read_lines_or_args(texts), threshold=threshold, k=top_k)
    for pred in answers:
        reasons = clf.explain(pred.text) if explain and not files else None
        if as_json:
            row = pred.to_dict() | ({"explanation": reasons} if reasons is not None else {})
            click.echo(json.dumps(row, ensure_ascii=False))
            continue
        show_prediction(pred, False, clf.NO_ANSWER)
        for author, features in (reasons or {}).items():
            shown = ", ".join(f"{f} +{g:.2f}" for f, g in features)
            click.echo(f"  {author}: {shown}")


@main.command(
    "evaluate-author", short_help="Accuracy, macro-F1, calibration and the don't-know trade-off."
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
def evaluate_author(model, testset, models_dir, fmt, text_column, label_column, json_key, encoding,
                    output_dir, cross_validate):  # fmt: skip
    """Evaluate MODEL on TESTSET: accuracy, macro-F1, per-author precision/recall/F1, calibration
    error, the most confused pairs, the don't-know trade-off (share answered vs accuracy on
    answered), a confusion-matrix PNG and errors.json."""
    read_opts = dict(text_column=text_column, label_column=label_column, format=fmt,
                     json_key=json_key, encoding=encoding)  # fmt: skip
    evaluate_command(
        model, testset, models_dir, AUTHOR_KINDS, read_opts, output_dir, cross_validate, curve=True
    )
