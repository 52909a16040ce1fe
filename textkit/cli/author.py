"""`train-author` and `predict-author`: who wrote a short text (`evaluate` is shared)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from textkit.authorship.config import AUTHOR_FEATURES, AUTHOR_PIPELINE
from textkit.cli.base import main
from textkit.cli.choose import loads_model
from textkit.cli.classify import (
    AS_JSON,
    THRESHOLD,
    classifier_training_options,
    show_prediction,
    train_classifier,
)
from textkit.cli.inputs import read_lines_or_args
from textkit.cli.params import Number, opt


@main.command(
    "train-author", short_help="Train a short-text authorship classifier (CSV of author, text)."
)
@click.argument("data", metavar="DATA", type=click.Path(path_type=Path))
@classifier_training_options(AUTHOR_PIPELINE, AUTHOR_FEATURES)
def train_author(data, **o):
    """Learn who wrote each text of DATA (a CSV/TSV with text and author columns, JSON records or
    JSON Lines), e.g. `--text-column text --label-column author`.

    Texts go through a tweet-aware pipeline (URLs as <url>, HTML entities decoded, case, emoji and
    punctuation kept as style) into character 1-5-grams inside words and word 1-2-grams. Empty
    texts are skipped with a count; an author with few texts is warned about.
    """
    from textkit.authorship.model import AuthorClassifier

    train_classifier(AuthorClassifier, data, o, "authors")


@main.command(
    "predict-author", short_help="Who wrote these texts: ranked authors with probabilities."
)
@loads_model("author")
@click.argument("texts", nargs=-1, metavar="[TEXT]...")
@opt(
    "-f",
    "--file",
    "files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file of texts by one unknown author, one per line: one combined answer (repeatable).",
)
@opt(
    "-k",
    "--top-k",
    type=Number(1, 1000, integer=True),
    default=3,
    show_default=True,
    help="Authors to show.",
)
@THRESHOLD
@opt("--explain", is_flag=True, help="Show the n-grams that pushed the decision most, per author.")
@AS_JSON
def predict_author(model, texts, files, top_k, threshold, explain, as_json):
    """Rank the likely authors of each TEXT (or each line of standard input); with --file, of
    all the file's lines together (their evidence combined)."""
    from textkit.text.io import read_small_text

    if files:
        answers = []
        for path in files:
            lines = [ln for ln in read_small_text(path).splitlines() if ln.strip()]
            pred = model.predict_many(lines, threshold=threshold, k=top_k, combine=True)
            pred.text = f"{path} ({len(lines)} texts)"
            answers.append(pred)
    else:
        answers = model.predict_many(read_lines_or_args(texts), threshold=threshold, k=top_k)
    for pred in answers:
        reasons = model.explain(pred.text) if explain and not files else None
        if as_json:
            row = pred.to_dict() | ({"explanation": reasons} if reasons is not None else {})
            click.echo(json.dumps(row, ensure_ascii=False))
            continue
        show_prediction(pred, False, model.NO_ANSWER)
        for author, features in (reasons or {}).items():
            shown = ", ".join(f"{f} +{g:.2f}" for f, g in features)
            click.echo(f"  {author}: {shown}")
