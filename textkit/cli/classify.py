"""What the classifier commands share: training any TextClassifier kind from the command line,
`classify` and `evaluate` (for every classifier kind).  `intent.py` and `author.py` add their
own commands."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from textkit.classify.config import (
    MIN_STEPS,
    TRAIN_EPOCHS,
    TRAIN_LR,
    ClassifierConfig,
    FeatureConfig,
)
from textkit.cli.base import main
from textkit.cli.choose import loads_model, new_model_dir, output_options
from textkit.cli.inputs import (
    input_options,
    pipeline_from,
    pipeline_options,
    read_lines_or_args,
    source_from,
)
from textkit.cli.params import Number, opt
from textkit.cli.settings import configured, options, typed
from textkit.training.config import TrainConfig


def classifier_training_options(pipeline, features) -> callable:
    """Everything `train-intent` and `train-author` take after DATA: output, input, the
    classifier, its features (``features``' values shown as defaults), the pipeline
    (``pipeline``'s) and the training loop (the mlp head's defaults shown)."""
    shown = {
        "lr": f"{TRAIN_LR:g}",
        "eval_every": "once an epoch",
        "max_steps": f"{TRAIN_EPOCHS:g} epochs, at least {MIN_STEPS} steps",
    }
    stack = (
        output_options,
        input_options,
        options(ClassifierConfig, features),
        pipeline_options(pipeline),
        options(TrainConfig, shown=shown),
    )

    def apply(command):
        for decorate in reversed(stack):
            command = decorate(command)
        return command

    return apply


def train_classifier(cls, data: Path, o: dict, what: str) -> Path:
    """Train ``cls`` (a TextClassifier kind) on DATA with the options typed, and report: the
    command passes only what the user typed; the estimator fills in its defaults."""
    model = cls(
        configured(ClassifierConfig),
        pipeline=pipeline_from(o["pipeline_file"], cls.DEFAULT_PIPELINE),
        features=configured(FeatureConfig, cls.DEFAULT_FEATURES),
    )
    out = new_model_dir(o, Path(data).stem, cls.KIND)
    start = time.monotonic()
    model.fit(
        source_from(data),
        out,
        typed(TrainConfig),
        overwrite=o["overwrite"],
        log=lambda m: click.echo(m, err=True),
    )
    v = model.info["validation"]
    acc = "-" if v["accuracy"] is None else f"{v['accuracy']:.1%}"
    click.echo(
        f"saved {out}  ({len(model.labels_)} {what}, {model.config.classifier}, "
        f"{time.monotonic() - start:.1f}s): validation accuracy {acc} on {v['texts']} texts "
        f"({v['method']}), threshold {model.threshold_:.3f}, temperature {model.temperature_:.2f}",
        err=True,
    )
    return out


def show_prediction(pred, as_json: bool, no_answer: str = "(out of scope)") -> None:
    if as_json:
        click.echo(json.dumps(pred.to_dict(), ensure_ascii=False))
        return
    label = pred.label if pred.label else f"{no_answer[:-1]}: {pred.reason})"
    ranking = "  ".join(f"{lb} {c:.2f}" for lb, c in pred.ranking)
    entities = "  ".join(
        f"{e.entity}={e.value!r}"
        + (f"<-{pred.text[e.start : e.end]!r}" if e.value != pred.text[e.start : e.end] else "")
        + f" {e.confidence:.2f}"
        for e in pred.entities
    )
    click.echo(
        f"{label}\t{pred.confidence:.2f}\t{ranking}\t{pred.text}"
        + (f"\t{entities}" if entities else "")
    )


THRESHOLD = opt(
    "--threshold", type=Number(0, 1), help="Override the model's out-of-scope threshold."
)
TOP_K = opt(
    "-k",
    "--top-k",
    type=Number(1, 1000, integer=True),
    default=3,
    show_default=True,
    help="Labels to show per text.",
)
AS_JSON = opt("--json", "as_json", is_flag=True, help="One JSON object per text (JSON Lines).")


@main.command(short_help="Classify texts with an intent or author model.")
@loads_model("classifier")
@click.argument("texts", nargs=-1, metavar="[TEXT]...")
@TOP_K
@THRESHOLD
@AS_JSON
def classify(model, texts, top_k, threshold, as_json):
    """Classify each TEXT (or each line of standard input) with MODEL: the label, or out of
    scope, with calibrated confidences."""
    for pred in model.predict_many(read_lines_or_args(texts), threshold=threshold, k=top_k):
        show_prediction(pred, as_json, model.NO_ANSWER)


def _evaluate_command(name: str, short_help: str, hidden: bool = False):
    @main.command(name, short_help=short_help, hidden=hidden)
    @loads_model("classifier")
    @click.argument("testset", metavar="TESTSET", type=click.Path(path_type=Path))
    @input_options
    @opt(
        "-o",
        "--output-dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Where report.json, errors.json and confusion.png go. [default: MODEL/evaluation]",
    )
    @opt(
        "--cross-validate",
        type=Number(2, 100, integer=True),
        metavar="K",
        help="Instead: K-fold cross-validation on TESTSET with MODEL's settings.",
    )
    @opt(
        "--curve/--no-curve",
        default=None,
        help="Show the don't-know trade-off (share answered vs accuracy on answered). "
        "[default: for author models]",
    )
    @opt(
        "--against",
        metavar="PATH|NAME",
        help="Compare with this model (an earlier version) on the same TESTSET: both sets of "
        "numbers, the texts MODEL fixed and broke, and whether the change is more than chance "
        "(McNemar's test); written to comparison.json.",
    )
    def evaluate(model, testset, output_dir, cross_validate, curve, against, models_dir, **_):
        """Evaluate MODEL (an intent or author classifier) on TESTSET (any format the trainers
        read): accuracy, macro-F1, per-label precision/recall/F1, out-of-scope
        precision/recall, calibration error (ECE), the most confused pairs, a confusion-matrix
        PNG and errors.json; for author models also the don't-know trade-off; for annotated
        test data (intent models) entity precision/recall/F1 per type, exact spans."""
        if against and cross_validate:
            raise click.UsageError(
                "--against compares two models on TESTSET: not with --cross-validate"
            )
        source = source_from(testset)
        if source.group_column is not None and not cross_validate:
            raise click.UsageError(
                "--group-column keeps each document in one fold of --cross-validate; a test "
                "set is scored text by text (leave it out, or add --cross-validate K)"
            )
        other = load_other(model, against, models_dir) if against else None  # errors first
        evaluated = evaluate_model(
            model,
            source,
            output_dir,
            cross_validate,
            curve if curve is not None else model.KIND == "author",
        )
        if other is not None:
            compare_with(model, *evaluated, other, output_dir)

    return evaluate


def load_other(model, against: str, models_dir: Path):
    """``--against``'s model, of MODEL's kind."""
    from textkit.kinds import kinds_of
    from textkit.loading import load_model
    from textkit.modelio import resolve_model_path

    kinds = kinds_of(model.KIND)
    return load_model(resolve_model_path(against, models_dir, kinds), kinds=kinds)


def compare_with(model, report, data, other, output_dir) -> None:
    """``evaluate --against``: the other model on the same test set, and the comparison."""
    from textkit.classify.evaluation import common_gold, compare, comparison_text, evaluate
    from textkit.modelio import atomic_write_json

    gold = common_gold(data.labels, [model, other])
    result = compare(evaluate(other, data), report, data.texts, gold)
    before, after = other.folder.path.name, model.folder.path.name
    if before == after:
        before, after = str(other.folder.path), str(model.folder.path)
    click.echo(f"\n{after} against {before} on {data.source}:\n")
    click.echo(comparison_text(result, before, after))
    path = (output_dir or (model.folder.path / "evaluation")) / "comparison.json"
    atomic_write_json(path, {"before": before, "after": after, **result})
    click.echo(f"wrote {path}", err=True)


def evaluate_model(clf, source, output_dir: Path | None, folds: int | None, curve: bool):
    """Print (and write) MODEL's report on ``source``; the report and the data read (None
    after cross-validation)."""
    from textkit.classify.data import labelled_texts
    from textkit.classify.evaluation import answer_curve, cross_validate, evaluate, write_report

    data = labelled_texts(source, annotations=clf.READS_ANNOTATIONS)
    if folds:
        cls = type(clf)
        scores = cross_validate(
            lambda: cls(clf.config, pipeline=clf.pipeline, features=clf.feature_config), data, folds
        )
        click.echo(
            f"{folds}-fold cross-validation on {len(data)} texts: accuracy "
            f"{scores['accuracy_mean']:.1%} ± {scores['accuracy_sd']:.1%}, macro-F1 "
            f"{scores['macro_f1_mean']:.1%} ± {scores['macro_f1_sd']:.1%}"
        )
        return
    report = evaluate(clf, data)
    click.echo(report.to_text())
    if curve:
        click.echo('\n"don\'t know" trade-off (threshold: share answered, accuracy on answered)')
        for row in answer_curve(clf, data):
            mark = "  <- the model" if row["model"] else ""
            click.echo(
                f"  {row['threshold']:.2f}: {row['answered']:6.1%} answered, "
                f"{row['accuracy_answered']:6.1%} right{mark}"
            )
    folder = output_dir or (clf.folder.path / "evaluation")
    title = f"{clf.folder.path.name} on {Path(source.path).name}"
    paths = write_report(report, folder, title=title, model=clf, data=data)
    click.echo(f"wrote {', '.join(str(p) for p in paths.values())}", err=True)
    return report, data


evaluate = _evaluate_command("evaluate", "Accuracy, F1, out-of-scope, calibration on a test set.")
# the names of textkit 0.1, kept for scripts: the same command
evaluate_intent = _evaluate_command("evaluate-intent", "Same as `evaluate`.", hidden=True)
evaluate_author = _evaluate_command("evaluate-author", "Same as `evaluate`.", hidden=True)
