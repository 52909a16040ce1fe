"""Tweet-author benchmark on the celebrity tweets (6 authors, the data set's own train/test
split): textkit's torch model (the default) vs its linear baseline, side by side in one run.

    python benchmarks/authors.py ../shared/data/authors/celebrity_tweets.csv [--out DIR]

Prints single-tweet accuracy and macro-F1, training time, accuracy when the evidence of 5 tweets
of one author is combined, the same for two sub-problems (the three Kardashian sisters alone:
hard; the data scientists vs the Kardashians: easy), and the "don't know" trade-off curve of the
default model; writes a confusion-matrix PNG per model into --out.
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


def combined_accuracy(clf, test, group: int = 5) -> float:
    """Accuracy of one answer per ``group`` test tweets of the same author (consecutive chunks)."""
    by_author: dict[str, list[str]] = {}
    for text, author in test:
        by_author.setdefault(author, []).append(text)
    right = []
    for author, texts in by_author.items():
        for i in range(0, len(texts) - group + 1, group):
            right.append(
                clf.predict_many(texts[i : i + group], threshold=0, combine=True).label == author
            )
    return float(np.mean(right))


def run(name: str, train, test, out: Path | None, curve: bool = False) -> None:
    print(
        f"\n## {name}: {len(train):,} training tweets, {len(test):,} test tweets, "
        f"{len({a for _, a in train})} authors"
    )
    print(f"{'model':16} {'accuracy':>8} {'macro-F1':>8} {'5 tweets':>8} {'train s':>8}")
    for kind in ("mlp", "linear"):
        clf = AuthorClassifier(classifier=kind)
        start = time.perf_counter()
        clf.fit(train)
        seconds = time.perf_counter() - start
        report = evaluate(clf, LabelledTexts([t for t, _ in test], [a for _, a in test]))
        preds = clf.predict_many([t for t, _ in test], threshold=0)
        acc = float(np.mean([p.label == a for p, (_, a) in zip(preds, test, strict=True)]))
        from sklearn.metrics import f1_score

        f1 = f1_score([a for _, a in test], [p.label for p in preds], average="macro")
        print(
            f"{'textkit ' + kind:16} {acc:8.2%} {f1:8.2%} {combined_accuracy(clf, test):8.2%} {seconds:8.1f}",
            flush=True,
        )
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            plot_confusion(report, out / f"{name}-{kind}.png", f"{name}: {kind}")
        if curve and kind == "mlp":
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
    args = ap.parse_args()
    with open(args.csv, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    train = [(r["text"], r["author"]) for r in rows if r["split"] == "train"]
    test = [(r["text"], r["author"]) for r in rows if r["split"] == "test"]
    run("all six", train, test, args.out, curve=True)
    pick = lambda data, keep: [(t, a) for t, a in data if a in keep]  # noqa: E731
    run("the three sisters", pick(train, SISTERS), pick(test, SISTERS), args.out)
    two = lambda data: [(t, "scientist" if a in SCIENTISTS else "kardashian") for t, a in data]  # noqa: E731
    run("scientists vs Kardashians", two(train), two(test), args.out)


if __name__ == "__main__":
    main()
