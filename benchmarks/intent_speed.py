"""The intent classifier's speed on a set shaped like CLINC150 (150 intents of 100 texts and
100 out-of-scope texts: 15,100 texts, 151 labels), beside the reference in the same run.

    python benchmarks/intent_speed.py ../shared/data [--profile]

The set is built from data we have (CLINC150 itself is kept for independent measurement):
100 texts of each BANKING77 intent (training and test texts together), then 100-text parts
of the SNIPS intents up to 150 labels (parts of one intent are as alike as intents get:
accuracy here means nothing, only the time), and 100 texts of the NLU Evaluation corpora as
the out-of-scope label.  Printed: the whole `textkit train-intent` command
(a fresh process: import, read, featurize, fit, calibrate, save), `fit` alone in this process
with its stages, the load time of the saved model (warm and in a fresh process) and one
prediction's p50/p99; the reference (word 1-2 + char_wb 2-5 TF-IDF, LinearSVC C=1) fitted on
the same texts; and the svm fit in one call against two parallel shares, the split model's
fit and every text's one after the other against alongside, the svm's cost per label for
labels that are one intent against labels that are parts of one, and weighing the texts all
at once against one at a time.  ``--profile`` prints cProfile's top functions of ``fit``.
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


def clinc_shaped(data: Path, out: Path) -> tuple[list[str], list[str]]:
    """150 labels of 100 texts (one 100-text part of each BANKING77 intent, then 100-text parts
    of the SNIPS intents) and 100 out-of-scope texts (the NLU Evaluation corpora), as a CSV."""
    rng = random.Random(0)
    pools: list[tuple[str, list[str]]] = []
    banking: dict[str, list[str]] = {}
    for name in ("train.csv", "test.csv"):
        with open(data / "intent" / "banking77" / name, newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                banking.setdefault(r["category"], []).append(r["text"])
    pools += sorted(banking.items())
    snips: dict[str, list[str]] = {}
    for r in json.loads((data / "intent" / "snips.json").read_text(encoding="utf-8"))["train"]:
        snips.setdefault(r["intent"], []).append(r["text"])
    pools += sorted(snips.items())
    texts, labels = [], []
    for intent, pool in pools:
        pool = pool[:]
        rng.shuffle(pool)
        for part in range(len(pool) // 100):
            if len(set(labels)) == 150:
                break
            texts += pool[part * 100 : part * 100 + 100]
            labels += [f"{intent}_{part}"] * 100
    oos = []
    for name in ("AskUbuntuCorpus", "ChatbotCorpus", "WebApplicationCorpus"):
        corpus = json.loads((data / "intent" / "nlu_evaluation" / f"{name}.json").read_text())
        oos += [s["text"] for s in corpus["sentences"]]
    rng.shuffle(oos)
    texts += oos[:100]
    labels += ["oos"] * 100
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "intent"])
        writer.writerows(zip(texts, labels, strict=True))
    return texts, labels


def reference_seconds(texts: list[str], labels: list[str]) -> float:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.svm import LinearSVC

    start = time.perf_counter()
    make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        ),
        LinearSVC(C=1.0),
    ).fit(texts, labels)
    return time.perf_counter() - start


def parts(clf, texts: list[str], labels: list[str]) -> None:
    """The changes of issue 19, each against what it replaced, on these texts: the svm's
    classes in two parallel shares against one LinearSVC call; the split model's fit (for
    calibration) and the fit to every text one after the other, on 2 shares each, against both
    at once on 1 share each (as ``fit`` does); weighing all texts at once against one text at
    a time (two rounds each, alternating)."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    from textkit.classify import model as model_module
    from textkit.classify.data import stratified_split

    x = clf.featurizer.transform(texts).to_scipy().tocsr()
    y = np.array([clf.labels_.index(label) for label in labels])
    c = clf.config.svm_c
    for _ in range(2):
        for shares in (1, 2):
            start = time.perf_counter()
            model_module.linear_svc(x, y, None, c, 0, shares)
            print(f"svm fit, {shares} share(s): {time.perf_counter() - start:.1f} s")
    split = stratified_split(labels, clf.config.val_fraction, 0)[0]
    for _ in range(2):
        start = time.perf_counter()
        model_module.linear_svc(x[split], y[split], None, c, 0, 2)
        model_module.linear_svc(x, y, None, c, 0, 2)
        after = time.perf_counter() - start
        start = time.perf_counter()
        with ThreadPoolExecutor(1) as pool:
            first = pool.submit(model_module.linear_svc, x[split], y[split], None, c, 0, 1)
            model_module.linear_svc(x, y, None, c, 0, 1)
            first.result()
        print(f"the split model's fit and every text's: one after the other on 2 shares "
              f"{after:.1f} s, alongside on 1 share each {time.perf_counter() - start:.1f} s")  # fmt: skip
    # labels of one intent against parts of an intent split in several labels (as alike as
    # labels get): what each label's problem costs the solver (one share, the rest merged)
    intent = [label.rpartition("_")[0] for label in clf.labels_]
    split_up = np.array([intent.count(i) > 1 for i in intent])
    for name, share in (("one intent", ~split_up), ("parts of one intent", split_up)):
        share = np.flatnonzero(share & (np.array(clf.labels_) != "oos"))
        start = time.perf_counter()
        model_module.linear_svc(x, np.where(np.isin(y, share), y, -1), None, c, 0, 1)
        print(f"svm fit per label, {len(share)} labels that are {name}: "
              f"{(time.perf_counter() - start) / len(share) * 1000:.0f} ms")  # fmt: skip
    for _ in range(2):
        start = time.perf_counter()
        clf.featurizer.transform(texts)
        batched = time.perf_counter() - start
        start = time.perf_counter()
        for text in texts:
            clf.featurizer.transform_one(text)
        print(f"weighing {len(texts):,} texts: all at once {batched:.2f} s, one at a time "
              f"{time.perf_counter() - start:.2f} s")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("data", type=Path, help="../shared/data")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        csv_path = tmp / "clinc_shaped.csv"
        texts, labels = clinc_shaped(args.data, csv_path)
        print(f"{len(texts):,} texts, {len(set(labels))} labels")
        cmd = [sys.executable, "-m", "textkit", "train-intent", str(csv_path), "--name", "cli",
               "--models-dir", str(tmp / "models"), "--no-progress"]  # fmt: skip
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        print(f"textkit train-intent (whole command): {time.perf_counter() - start:.1f} s")

        from textkit.intent import IntentClassifier

        clf = IntentClassifier()
        start = time.perf_counter()
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
        clf.fit(csv_path, tmp / "models" / "inproc", {"progress": False})
        seconds = time.perf_counter() - start
        if args.profile:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        print(f"fit in this process: {seconds:.1f} s")
        print(f"reference LinearSVC fit: {reference_seconds(texts, labels):.1f} s")
        parts(clf, texts, labels)

        loads = []
        for _ in range(5):
            start = time.perf_counter()
            model = IntentClassifier.load(tmp / "models" / "cli")
            loads.append(time.perf_counter() - start)
        cold = [sys.executable, "-c", "import sys, time; t = time.perf_counter(); "
                "from textkit.intent import IntentClassifier; i = time.perf_counter(); "
                "IntentClassifier.load(sys.argv[1]); e = time.perf_counter(); "
                "print(e - t, e - i)", str(tmp / "models" / "cli")]  # fmt: skip
        out = subprocess.run(cold, check=True, capture_output=True, text=True).stdout.split()
        fresh, alone = (float(x) for x in out)
        print(f"load: {statistics.median(loads) * 1000:.0f} ms warm in this process (median of "
              f"5; it holds the fit's objects), {fresh * 1000:.0f} ms in a fresh process with "
              f"the import, {alone * 1000:.0f} ms of it the load itself")  # fmt: skip
        times = []
        for text in texts[::15]:
            start = time.perf_counter()
            model.predict(text)
            times.append(time.perf_counter() - start)
        times.sort()
        print(f"predict: p50 {times[len(times) // 2] * 1000:.2f} ms, "
              f"p99 {times[int(len(times) * 0.99)] * 1000:.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
