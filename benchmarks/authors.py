"""Tweet-author benchmark on the celebrity tweets (6 authors, the data set's own train/test
split): textkit's torch model (the default) vs its linear baseline, side by side in one run.

    python benchmarks/authors.py ../shared/data/authors/celebrity_tweets.csv [--out DIR]
    python benchmarks/authors.py ../shared/data/authors/sotu_sentences.csv --all-only --heads svm
    python benchmarks/authors.py ../shared/data/authors/sotu_sentences.csv --all-only --heads svm --group-column year

Prints single-tweet accuracy and macro-F1, training time, accuracy when the evidence of 5 tweets
of one author is combined and that answer's calibration error (ECE) with the plain sum of
log-probabilities and with the sum scaled by the alpha fitted on validation texts, the same for two sub-problems (the three Kardashian sisters alone:
hard; the data scientists vs the Kardashians: easy), and the "don't know" trade-off curve of the
default model; writes a confusion-matrix PNG per model into --out.  Also for one text: the
calibration error of the top confidence (ECE 1), and after the model's own reject rule the
share answered and the accuracy counting a "don't know" as wrong.  ``--group-column`` trains
with validation by whole documents (the column naming each text's document, e.g. SOTU's year).
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np

from textkit.authorship import AuthorClassifier
from textkit.classify.data import LabelledTexts
from textkit.classify.evaluation import answer_curve, evaluate, plot_confusion

SISTERS = ("KimKardashian", "khloekardashian", "kourtneykardash")
SCIENTISTS = ("hadleywickham", "wesmckinn", "fchollet")


def combined(clf, test, group: int = 5) -> tuple[float, float]:
    """Accuracy and calibration error (ECE) of one answer per ``group`` test tweets of the same
    author (consecutive chunks)."""
    from textkit.classify.calibration import expected_calibration_error

    by_author: dict[str, list[str]] = {}
    for text, author in test:
        by_author.setdefault(author, []).append(text)
    right, conf = [], []
    for author, texts in by_author.items():
        for i in range(0, len(texts) - group + 1, group):
            pred = clf.predict_many(texts[i : i + group], threshold=0, combine=True)
            right.append(pred.label == author)
            conf.append(pred.confidence)
    return float(np.mean(right)), expected_calibration_error(np.array(conf), np.array(right))


def run(
    name: str,
    train,
    test,
    out: Path | None,
    curve: bool = False,
    kinds=("svm", "mlp"),
    groups: list[str] | None = None,
) -> None:
    print(
        f"\n## {name}: {len(train):,} training tweets, {len(test):,} test tweets, "
        f"{len({a for _, a in train})} authors"
    )
    print(
        f"{'model':16} {'accuracy':>8} {'macro-F1':>8} {'5 tweets':>8} {'ECE sum':>8} "
        f"{'ECE fit':>8} {'alpha':>6} {'ECE 1':>6} {'answered':>8} {'after':>7} {'train s':>8}"
    )
    for kind in kinds:
        clf = AuthorClassifier(classifier=kind)
        start = time.perf_counter()
        texts, labels = [t for t, _ in train], [a for _, a in train]
        clf.fit(LabelledTexts(texts, labels, groups=groups), None, {"progress": False})
        seconds = time.perf_counter() - start
        report = evaluate(clf, LabelledTexts([t for t, _ in test], [a for _, a in test]))
        preds = clf.predict_many([t for t, _ in test], threshold=0)
        acc = float(np.mean([p.label == a for p, (_, a) in zip(preds, test, strict=True)]))
        from sklearn.metrics import f1_score

        f1 = f1_score([a for _, a in test], [p.label for p in preds], average="macro")
        from textkit.classify.calibration import expected_calibration_error

        right = np.array([p.label == a for p, (_, a) in zip(preds, test, strict=True)])
        ece_one = expected_calibration_error(np.array([p.confidence for p in preds]), right)
        ruled = clf.predict_many([t for t, _ in test])  # the model's own threshold
        answered = float(np.mean([p.label is not None for p in ruled]))
        after = float(np.mean([p.label == a for p, (_, a) in zip(ruled, test, strict=True)]))
        alpha = clf.combine_alpha_
        five, ece_fit = combined(clf, test)
        clf.combine_alpha_ = 0.0  # the plain sum of log-probabilities, as before alpha
        ece_sum = combined(clf, test)[1]
        clf.combine_alpha_ = alpha
        print(
            f"{'textkit ' + kind:16} {acc:8.2%} {f1:8.2%} {five:8.2%} {ece_sum:8.3f} "
            f"{ece_fit:8.3f} {alpha:6.2f} {ece_one:6.3f} {answered:8.1%} {after:7.2%} "
            f"{seconds:8.1f}",
            flush=True,
        )
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            plot_confusion(report, out / f"{name}-{kind}.png", f"{name}: {kind}")
        if curve and kind == "svm":
            rows = answer_curve(clf, LabelledTexts([t for t, _ in test], [a for _, a in test]))
            print(
                "  don't-know trade-off of the default model (threshold: answered, accuracy on answered):"
            )
            for row in rows:
                mark = "  <- chosen on validation data" if row["model"] else ""
                print(
                    f"    {row['threshold']:.2f}: {row['answered']:6.1%} {row['accuracy_answered']:6.1%}{mark}"
                )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("csv", type=Path)
    ap.add_argument("--out", type=Path, help="folder for the confusion-matrix PNGs")
    ap.add_argument("--heads", nargs="+", default=["svm", "mlp"], help="the heads to train")
    ap.add_argument(
        "--all-only", action="store_true", help="only all the authors (other CSVs: SOTU)"
    )
    ap.add_argument("--group-column", help="validate by whole documents named by this column")
    args = ap.parse_args()
    with open(args.csv, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    train = [(r["text"], r["author"]) for r in rows if r["split"] == "train"]
    test = [(r["text"], r["author"]) for r in rows if r["split"] == "test"]
    groups = None
    if args.group_column:
        groups = [r[args.group_column] for r in rows if r["split"] == "train"]
    run("all authors", train, test, args.out, curve=True, kinds=args.heads, groups=groups)
    if args.all_only:
        return
    pick = lambda data, keep: [(t, a) for t, a in data if a in keep]  # noqa: E731
    run("the three sisters", pick(train, SISTERS), pick(test, SISTERS), args.out, kinds=args.heads)
    two = lambda data: [(t, "scientist" if a in SCIENTISTS else "kardashian") for t, a in data]  # noqa: E731
    run("scientists vs Kardashians", two(train), two(test), args.out, kinds=args.heads)


if __name__ == "__main__":
    main()
