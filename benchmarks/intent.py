"""Intent classification benchmark: textkit's classifiers (the svm, the default, then the
mlp, linear and nb heads) side by side on SNIPS and BANKING77, against the reference
scikit-learn recipe, plus out-of-scope detection (svm, mlp and linear).

    python benchmarks/intent.py ../shared/data/intent [--only banking77] [--skip-oos]

Prints, per data set and classifier: test accuracy and macro-F1, training time (``fit`` in a
warm process), load time (in-process, and a cold process that imports, loads and answers), and
single-query latency (p50/p99 over the test texts).  The reference is a word 1-2 + char_wb 2-5
TF-IDF LinearSVC fitted in the same run.

Out of scope (BANKING77): 20 of the 77 intents (chosen with a fixed seed) are held out of
training and their test texts are out-of-scope; reported: in-scope accuracy (a rejected in-scope
text counts as wrong) and out-of-scope recall, with the model's chosen threshold and with the
tutorials' plain 0.25, and again with an explicit ``oos`` class learnt from the training texts
of 10 further held-out intents.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from textkit.intent import IntentClassifier


def load_banking(folder: Path):
    def rows(name):
        with open(folder / "banking77" / name, newline="", encoding="utf-8") as fh:
            return [(r["text"], r["category"]) for r in csv.DictReader(fh)]

    return rows("train.csv"), rows("test.csv")


def load_snips(folder: Path):
    data = json.loads((folder / "snips.json").read_text(encoding="utf-8"))
    return (
        [(r["text"], r["intent"]) for r in data["train"]],
        [(r["text"], r["intent"]) for r in data["test"]],
    )


def reference_svc(train, test) -> tuple[float, float, float]:
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import f1_score
    from sklearn.svm import LinearSVC

    start = time.perf_counter()
    word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
    x = hstack(
        [word.fit_transform([t for t, _ in train]), char.fit_transform([t for t, _ in train])]
    )
    svc = LinearSVC(C=0.5).fit(x, [lb for _, lb in train])
    seconds = time.perf_counter() - start
    xt = hstack([word.transform([t for t, _ in test]), char.transform([t for t, _ in test])])
    pred = svc.predict(xt)
    gold = [lb for _, lb in test]
    return (
        float(np.mean(pred == np.array(gold))),
        float(f1_score(gold, pred, average="macro")),
        seconds,
    )


def cold_start(path: Path) -> float:
    """Seconds for a fresh process to import textkit, load the model and answer one query."""
    code = (
        "import time; t = time.perf_counter(); from textkit.intent import IntentClassifier; "
        f"m = IntentClassifier.load({str(path)!r}); m.predict('hello'); "
        "print(time.perf_counter() - t)"
    )
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(3)
    ]
    return statistics.median(runs)


def run_dataset(name: str, train, test, tmp: Path) -> None:
    from sklearn.metrics import f1_score

    gold = [lb for _, lb in test]
    texts = [t for t, _ in test]
    print(
        f"\n## {name}: {len(train):,} training texts, {len(test):,} test texts, "
        f"{len(set(lb for _, lb in train))} intents"
    )
    print(
        f"{'classifier':22} {'accuracy':>8} {'macro-F1':>8} {'train s':>8} {'load ms':>8} "
        f"{'cold s':>7} {'p50 ms':>7} {'p99 ms':>7}"
    )
    acc, f1, secs = reference_svc(train, test)
    print(
        f"{'sklearn LinearSVC ref':22} {acc:8.2%} {f1:8.2%} {secs:8.1f} {'-':>8} {'-':>7} {'-':>7} {'-':>7}"
    )
    for kind in ("svm", "mlp", "linear", "nb"):
        clf = IntentClassifier(classifier=kind)
        start = time.perf_counter()
        clf.fit(train, tmp / f"{name}-{kind}")
        train_s = time.perf_counter() - start
        start = time.perf_counter()
        loaded = IntentClassifier.load(tmp / f"{name}-{kind}")
        load_ms = (time.perf_counter() - start) * 1000
        preds = loaded.predict_many(texts, threshold=0)
        pred = [p.label for p in preds]
        latencies = []
        for text in texts:
            t0 = time.perf_counter()
            loaded.predict(text)
            latencies.append((time.perf_counter() - t0) * 1000)
        p50, p99 = np.percentile(latencies, [50, 99])
        acc = float(np.mean(np.array(pred) == np.array(gold)))
        f1 = float(f1_score(gold, pred, average="macro"))
        print(
            f"{'textkit ' + kind:22} {acc:8.2%} {f1:8.2%} {train_s:8.1f} {load_ms:8.0f} "
            f"{cold_start(tmp / f'{name}-{kind}'):7.2f} {p50:7.2f} {p99:7.2f}",
            flush=True,
        )


def out_of_scope(train, test) -> None:
    intents = sorted({lb for _, lb in train})
    rng = random.Random(0)
    held = rng.sample(intents, 30)
    oos_test, oos_train = set(held[:20]), set(held[20:])
    kept = [(t, lb) for t, lb in train if lb not in oos_test and lb not in oos_train]
    explicit = kept + [(t, "oos") for t, lb in train if lb in oos_train][:300]
    print(
        f"\n## out of scope (BANKING77): 20 intents held out of training ({len(oos_test)} x 40 "
        f"test texts out of scope), {len({lb for _, lb in kept})} in scope"
    )
    print(
        f"{'model':34} {'threshold':>9} {'in-scope acc':>12} {'oos recall':>10} {'oos precision':>13}"
    )
    test_texts = [t for t, lb in test if lb not in oos_train]
    test_gold = [lb for _, lb in test if lb not in oos_train]
    for label, data in (
        ("svm", kept),
        ("svm + explicit oos class (300)", explicit),
        ("mlp", kept),
        ("mlp + explicit oos class (300)", explicit),
        ("linear", kept),
        ("linear + explicit oos class (300)", explicit),
    ):
        clf = IntentClassifier(classifier=label.split()[0])
        clf.fit(data)
        for name, threshold in (("chosen", None), ("0.25", 0.25), ("none", 0.0)):
            preds = clf.predict_many(test_texts, threshold=threshold)
            is_oos = np.array([lb in oos_test for lb in test_gold])
            said_oos = np.array([p.out_of_scope for p in preds])
            right = np.array([p.label == lb for p, lb in zip(preds, test_gold, strict=True)])
            shown = f"{clf.threshold_:.3f}" if threshold is None else name
            precision = said_oos[is_oos].sum() / max(said_oos.sum(), 1)
            print(
                f"{label:34} {shown:>9} {right[~is_oos].mean():12.2%} {said_oos[is_oos].mean():10.2%} "
                f"{precision:13.2%}",
                flush=True,
            )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("data", type=Path, help="the folder holding snips.json and banking77/")
    ap.add_argument("--only", choices=["snips", "banking77"])
    ap.add_argument("--skip-oos", action="store_true")
    args = ap.parse_args()
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU")
    with tempfile.TemporaryDirectory() as tmp:
        if args.only != "banking77":
            run_dataset("snips", *load_snips(args.data), Path(tmp))
        if args.only != "snips":
            banking = load_banking(args.data)
            run_dataset("banking77", *banking, Path(tmp))
            if not args.skip_oos:
                out_of_scope(*banking)


if __name__ == "__main__":
    main()
