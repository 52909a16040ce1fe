"""Which character n-gram sizes: each candidate trained on the *training* split of every
labelled set and scored on texts held out of it; the test splits are not read.

    python benchmarks/feature_choice.py ../shared/data [--char 2-5 3-5] [--only snips tweets]
    python benchmarks/feature_choice.py ../shared/data --folds 5 --char 1-5 3-5 --only tweets

Without ``--folds``: the held-out texts textkit itself holds out (its validation split, or out
of fold for sets under 1,000 texts), one model per candidate.  With ``--folds K``: K-fold
cross-validation of the training split (SOTU by whole addresses, its ``year`` column), the
mean accuracy and the number of texts right summed over the folds.  The other feature settings
are the kind's defaults; the fit time is the whole fit (or all K).
"""

from __future__ import annotations

import argparse
import csv
import time
import warnings
from dataclasses import replace
from pathlib import Path

from classifiers import SETS, load

from textkit.errors import TextkitError


def _kind(kind: str):
    from textkit.authorship import AuthorClassifier
    from textkit.intent import IntentClassifier

    return AuthorClassifier if kind == "author" else IntentClassifier


def held_out(cls, train, char: tuple[int, int]) -> str:
    clf = cls(features=replace(cls.DEFAULT_FEATURES, char_ngrams=char))
    clf.fit(train, None, {"progress": False})
    v = clf.info["validation"]
    acc = "-" if v["accuracy"] is None else f"{v['accuracy']:.2%}"
    return f"held-out {acc:>7} on {v['texts']:5} texts ({v['method']})"


def cross_validated(cls, train, char: tuple[int, int], folds: int, groups) -> str:
    from textkit.classify.data import LabelledTexts
    from textkit.classify.evaluation import cross_validate

    features = replace(cls.DEFAULT_FEATURES, char_ngrams=char)
    data = LabelledTexts([t for t, _ in train], [lb for _, lb in train], groups=groups)
    scores = cross_validate(lambda: cls(features=features), data, folds)
    per_fold = [f["accuracy"] for f in scores["per_fold"]]
    by = " by document" if groups else ""
    return (
        f"{folds}-fold CV{by}: {scores['accuracy_mean']:.2%} ± {scores['accuracy_sd']:.2%} "
        f"(folds {', '.join(f'{a:.1%}' for a in per_fold)})"
    )


def sotu_years(root: Path) -> list[str]:
    with open(root / "authors" / "sotu_sentences.csv", newline="", encoding="utf-8") as fh:
        return [r["year"] for r in csv.DictReader(fh) if r["split"] == "train"]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("data", type=Path, help="../shared/data")
    ap.add_argument("--char", nargs="+", default=["2-5", "3-5"], help="candidate sizes, MIN-MAX")
    ap.add_argument("--only", nargs="+", choices=SETS, default=list(SETS))
    ap.add_argument("--folds", type=int, help="cross-validate the training split instead")
    args = ap.parse_args()
    candidates = [tuple(int(n) for n in c.split("-")) for c in args.char]
    for name in args.only:
        train, _, kind = load(name, args.data)  # the test split is not used
        groups = sotu_years(args.data) if name == "sotu" else None
        for char in candidates:
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    if args.folds:
                        shown = cross_validated(_kind(kind), train, char, args.folds, groups)
                    else:
                        shown = held_out(_kind(kind), train, char)
                except TextkitError as exc:  # e.g. a label with fewer texts than folds
                    shown = f"not measured: {exc}"
            seconds = time.perf_counter() - start
            print(f"{name:14} char {char[0]}-{char[1]}  {shown}, {seconds:.1f} s", flush=True)


if __name__ == "__main__":
    main()
