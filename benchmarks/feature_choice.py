"""Which character n-gram sizes: each candidate trained on the *training* split of every
labelled set and scored on the held-out texts textkit itself holds out (its validation split,
or out of fold for sets under 1,000 texts); the test splits are not read.

    python benchmarks/feature_choice.py ../shared/data [--char 2-5 3-5] [--only snips tweets]

Prints, per set and candidate (the other feature settings are the kind's defaults), the
held-out accuracy, how many texts it was measured on, and the whole fit's time.
"""

from __future__ import annotations

import argparse
import time
import warnings
from dataclasses import replace
from pathlib import Path

from classifiers import SETS, load


def held_out(kind: str, train, char: tuple[int, int]) -> tuple[dict, float]:
    from textkit.authorship import AuthorClassifier
    from textkit.intent import IntentClassifier

    cls = AuthorClassifier if kind == "author" else IntentClassifier
    features = (
        cls.DEFAULT_FEATURES if char is None else replace(cls.DEFAULT_FEATURES, char_ngrams=char)
    )
    clf = cls(features=features)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(train, None, {"progress": False})
    return clf.info["validation"], time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("data", type=Path, help="../shared/data")
    ap.add_argument("--char", nargs="+", default=["2-5", "3-5"], help="candidate sizes, MIN-MAX")
    ap.add_argument("--only", nargs="+", choices=SETS, default=list(SETS))
    args = ap.parse_args()
    candidates = [tuple(int(n) for n in c.split("-")) for c in args.char]
    for name in args.only:
        train, _, kind = load(name, args.data)  # the test split is not used
        for char in candidates:
            v, seconds = held_out(kind, train, char)
            shown = f"char {char[0]}-{char[1]}"
            acc = "-" if v["accuracy"] is None else f"{v['accuracy']:.2%}"
            print(f"{name:14} {shown:9} held-out {acc:>7} on {v['texts']:5} texts "
                  f"({v['method']}), fit {seconds:.1f} s", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
