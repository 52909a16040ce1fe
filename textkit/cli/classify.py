"""What the classifier commands share: training any TextClassifier kind from the command line,
loading one, `classify`, and evaluation.  `intent.py` and `author.py` add their own commands."""

from __future__ import annotations

import json
from pathlib import Path

import click

from textkit.cli.base import main
from textkit.cli.options import (
    MODEL_ARGUMENT,
    MODELS_DIR,
    Number,
    _opt,
    classifier_from,
    load_chosen,
    pipeline_from,
    read_lines_or_args,
    train_config_from,
)

CLASSIFIER_KINDS = ("intent", "author")


def train_classifier(cls, data: Path, o: dict, what: str) -> None:
    """Train ``cls`` (a TextClassifier kind) on DATA with a command's options, and report."""
    from textkit.modelio import fresh_model_dir

    model = classifier_from(cls, o, pipeline_from(o, base=cls.DEFAULT_PIPELINE))
    out = fresh_model_dir(o["models_dir"], o["name"] or Path(data).stem or cls.KIND, o["overwrite"])
    train_cfg = None
    if any(o[k] is not None for k in ("lr", "max_steps", "epochs", "time_budget")) or o["seed"]:
        limit = None if o["max_steps"] or o["time_budget"] else cls.DEFAULT_EPOCHS
        train_cfg = train_config_from(o, lr=cls.DEFAULT_LR, epochs=limit)
    result = model.fit(data, out, train_cfg, text_column=o["text_column"], label_column=o["label_column"],
                       format=o["fmt"], json_key=o["json_key"], encoding=o["encoding"],
                       overwrite=o["overwrite"], log=lambda m: click.echo(m, err=True))  # fmt: skip
    v = model.info["validation"]
    acc = "-" if v["accuracy"] is None else f"{v['accuracy']:.1%}"
    click.echo(
        f"saved {out}  ({len(model.labels)} {what}, {o['classifier']}, {result.elapsed_s:.1f}s): "
        f"validation accuracy {acc} on {v['texts']} texts ({v['method']}), threshold "
        f"{model.threshold:.3f}, temperature {model.temperature:.2f}", err=True,
    )  # fmt: skip


def show_prediction(pred, as_json: bool, no_answer: str = "(out of scope)") -> None:
    if as_json:
        click.echo(json.dumps(pred.to_dict(), ensure_ascii=False))
        return
    label = pred.label if pred.label else f"{no_answer[:-1]}: {pred.reason})"
    ranking = "  ".join(f"{lb} {c:.2f}" for lb, c in pred.ranking)
    click.echo(f"{label}\t{pred.confidence:.2f}\t{ranking}\t{pred.text}")


@main.command(short_help="Classify texts with an intent or author model.")
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
    clf = load_chosen(model, models_dir, CLASSIFIER_KINDS)
    for pred in clf.predict_many(read_lines_or_args(texts), threshold=threshold, k=top_k):
        show_prediction(pred, as_json, clf.NO_ANSWER)


def evaluate_command(model, testset, models_dir, kinds, read_opts, output_dir, cross_validate,
                     curve: bool = False) -> None:  # fmt: skip
    from textkit.classify.data import labelled_texts
    from textkit.classify.evaluation import answer_curve, evaluate, write_report
    from textkit.classify.evaluation import cross_validate as run_cv

    clf = load_chosen(model, models_dir, kinds)
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
    if curve:
        click.echo('\n"don\'t know" trade-off (threshold: share answered, accuracy on answered)')
        for row in answer_curve(clf, data):
            click.echo(f"  {row['threshold']:.2f}: {row['answered']:6.1%} answered, "
                       f"{row['accuracy_answered']:6.1%} right{'  <- the model' if row['model'] else ''}")  # fmt: skip
    folder = output_dir or (clf.folder.path / "evaluation")
    paths = write_report(report, folder, title=f"{clf.folder.path.name} on {Path(testset).name}")
    click.echo(f"wrote {paths['confusion']}, {paths['errors']} and {paths['report']}", err=True)
