"""Every labelled set in ../shared/data, textkit's classifiers against the reference in one run.

    python benchmarks/classifiers.py ../shared/data [--only snips banking77 ...] [--heads mlp svm]
                                     [--json results.json]

The reference (the five lines a scikit-learn user writes): LinearSVC on word 1-2 + char_wb 2-5
TF-IDF with sublinear tf, C chosen by 3-fold cross-validation on the training split from
0.1/0.3/1/3.  For each set, the textkit default (IntentClassifier, or AuthorClassifier for the
author sets) and every head, trained on the training split only; test splits are for reporting.

Columns: top-1 accuracy on in-scope test texts, macro-F1, accuracy after the model's reject rule
(a rejected in-scope text counts as wrong) and the share of in-scope texts rejected, out-of-scope
recall and AUROC (in-scope vs out-of-scope texts by the top confidence; the reference's by its
largest decision value) where the set has out-of-scope texts, training seconds (warm process),
p50 single-text latency in ms.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import time
import warnings
from pathlib import Path

import numpy as np

OOS = "oos"


def _csv(path: Path, text: str, label: str, split: str | None = None) -> list[tuple[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return [
            (r[text], r[label]) for r in csv.DictReader(fh) if split is None or r["split"] == split
        ]


def load(name: str, root: Path):
    """(train, test, kind) of a data set; out-of-scope texts are labelled ``oos``."""
    intent = root / "intent"
    if name == "snips":
        data = json.loads((intent / "snips.json").read_text(encoding="utf-8"))
        pick = lambda rows: [(r["text"], r["intent"]) for r in rows]  # noqa: E731
        return pick(data["train"]), pick(data["test"]), "intent"
    if name == "banking77":
        b = intent / "banking77"
        return (
            _csv(b / "train.csv", "text", "category"),
            _csv(b / "test.csv", "text", "category"),
            "intent",
        )
    if name == "banking77_oos":
        b = intent / "banking77_oos"
        train = _csv(b / "train.csv", "text", "intent") + _csv(
            b / "id_oos_train.csv", "text", "intent"
        )
        test = _csv(b / "test.csv", "text", "intent") + _csv(
            b / "id_oos_test.csv", "text", "intent"
        )
        return train, test, "intent"
    if name.startswith("nlu_"):
        corpus = {
            "nlu_chatbot": "Chatbot",
            "nlu_askubuntu": "AskUbuntu",
            "nlu_webapp": "WebApplication",
        }[name]
        data = json.loads(
            (intent / "nlu_evaluation" / f"{corpus}Corpus.json").read_text(encoding="utf-8")
        )
        rows = data["sentences"]
        pick = lambda keep: [(s["text"], s["intent"]) for s in rows if s["training"] == keep]  # noqa: E731
        return pick(True), pick(False), "intent"
    if name == "clinc_shaped":
        return clinc_shaped(root)
    if name == "tweets":
        path = root / "authors" / "celebrity_tweets.csv"
        return _csv(path, "text", "author", "train"), _csv(path, "text", "author", "test"), "author"
    if name == "sotu":
        path = root / "authors" / "sotu_sentences.csv"
        return _csv(path, "text", "author", "train"), _csv(path, "text", "author", "test"), "author"
    raise KeyError(name)


def clinc_shaped(root: Path, per_intent: int = 100, oos_train: int = 100):
    """Shaped like CLINC150's training data as far as the data here goes (CLINC150 itself is
    held out): up to ``per_intent`` training texts of each BANKING77 and SNIPS intent (84 distinct
    intents) and ``oos_train`` out-of-domain texts (the NLU Evaluation corpora: software and
    transport questions) labelled ``oos``.  Test: both sets' test texts, and the other NLU
    texts as out of scope."""
    import random

    rng = random.Random(0)
    snips_train, snips_test, _ = load("snips", root)
    banking_train, banking_test, _ = load("banking77", root)
    by_intent: dict[str, list[tuple[str, str]]] = {}
    for text, intent in banking_train + snips_train:
        by_intent.setdefault(intent, []).append((text, intent))
    train = [
        row for rows in by_intent.values() for row in rng.sample(rows, min(per_intent, len(rows)))
    ]
    outside = []
    for name in ("nlu_askubuntu", "nlu_chatbot", "nlu_webapp"):
        nlu_train, nlu_test, _ = load(name, root)
        outside += [(text, OOS) for text, _ in nlu_train + nlu_test]
    rng.shuffle(outside)
    return train + outside[:oos_train], banking_test + snips_test + outside[oos_train:], "intent"


SETS = (
    "snips",
    "banking77",
    "banking77_oos",
    "clinc_shaped",
    "nlu_chatbot",
    "nlu_askubuntu",
    "nlu_webapp",
    "tweets",
    "sotu",
)


def reference(train, test) -> dict:
    """LinearSVC on word 1-2 + char_wb 2-5 TF-IDF, C by 3-fold CV on the training split."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.svm import LinearSVC

    texts, labels = [t for t, _ in train], [lb for _, lb in train]
    start = time.perf_counter()
    features = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
    )
    smallest = min(np.unique(labels, return_counts=True)[1])
    folds = StratifiedKFold(min(3, max(2, smallest)), shuffle=True, random_state=0)
    search = GridSearchCV(
        make_pipeline(features, LinearSVC()), {"linearsvc__C": [0.1, 0.3, 1, 3]}, cv=folds, n_jobs=1
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # folds too small for a label on the tiny sets
        search.fit(texts, labels)
    seconds = time.perf_counter() - start
    model = search.best_estimator_
    scores = model.decision_function([t for t, _ in test])
    classes = model.classes_
    if scores.ndim == 1:  # two classes: one column
        scores = np.stack([-scores, scores], 1)
    top = scores.argmax(1)
    inside = np.array([c != OOS for c in classes])  # the in-scope score: the best in-scope class
    latency = []
    for t, _ in test[:200]:
        s = time.perf_counter()
        model.predict([t])
        latency.append(time.perf_counter() - s)
    return {
        "top1": [classes[i] for i in top],
        "answer": [classes[i] for i in top],
        "score": scores[:, inside].max(1),
        "train_s": seconds,
        "p50_ms": 1000 * statistics.median(latency),
        "note": f"C={search.best_params_['linearsvc__C']}",
    }


def textkit_run(train, test, kind: str, head: str | None) -> dict:
    from textkit.authorship import AuthorClassifier
    from textkit.intent import IntentClassifier

    cls = AuthorClassifier if kind == "author" else IntentClassifier
    clf = cls(classifier=head) if head else cls()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(train, None, {"progress": False})
    seconds = time.perf_counter() - start
    preds = clf.predict_many([t for t, _ in test], k=1)
    latency = []
    for t, _ in test[:200]:
        s = time.perf_counter()
        clf.predict(t)
        latency.append(time.perf_counter() - s)
    top1 = [p.ranking[0][0] if p.ranking else None for p in preds]
    inside = np.array([lb != OOS for lb in clf.labels_])  # in-scope score: best in-scope label
    probs = clf.predict_proba([t for t, _ in test])
    return {
        "top1": top1,
        "answer": [p.label for p in preds],
        "score": probs[:, inside].max(1),
        "train_s": seconds,
        "p50_ms": 1000 * statistics.median(latency),
        "note": f"threshold {clf.threshold_:.2f}, validation {clf.info['validation']['accuracy'] or 0:.2%}"
        + (f", auto chose {clf.info['auto']['chosen']}" if "auto" in clf.info else ""),
    }


def metrics(test, run: dict) -> dict:
    from sklearn.metrics import f1_score, roc_auc_score

    gold = np.array([lb for _, lb in test], dtype=object)
    inside = gold != OOS
    top1 = np.array(run["top1"], dtype=object)
    answer = np.array(run["answer"], dtype=object)
    out = {
        "top1": float(np.mean(top1[inside] == gold[inside])),
        "macro_f1": float(
            f1_score(list(gold[inside]), [str(x) for x in top1[inside]], average="macro")
        ),
        "after_reject": float(np.mean(answer[inside] == gold[inside])),
        "rejected": float(np.mean([a is None or a == OOS for a in answer[inside]])),
        "train_s": run["train_s"],
        "p50_ms": run["p50_ms"],
        "note": run["note"],
    }
    if (~inside).any():
        out["oos_recall"] = float(np.mean([a is None or a == OOS for a in answer[~inside]]))
        out["auroc"] = float(roc_auc_score(inside, run["score"]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("data", type=Path, help="../shared/data")
    ap.add_argument("--only", nargs="+", choices=SETS, default=list(SETS))
    ap.add_argument("--heads", nargs="*", default=None, help="heads besides the default [all]")
    ap.add_argument("--json", type=Path, help="also write every number here")
    args = ap.parse_args()
    from textkit.classify.config import CLASSIFIERS

    heads = CLASSIFIERS if args.heads is None else args.heads
    results = {}
    print(
        "| set | method | top-1 | macro-F1 | after reject | rejected | OOS recall | AUROC | train s | p50 ms | note |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in args.only:
        train, test, kind = load(name, args.data)
        runs = [
            ("reference (LinearSVC)", reference, ()),
            ("textkit default", textkit_run, (kind, None)),
        ]
        runs += [(f"textkit {head}", textkit_run, (kind, head)) for head in heads]
        for method, fn, extra in runs:
            m = metrics(test, fn(train, test, *extra))
            results.setdefault(name, {})[method] = m
            oos = f"{m['oos_recall']:.1%} | {m['auroc']:.3f}" if "auroc" in m else "- | -"
            print(
                f"| {name} ({len(train):,}/{len(test):,}) | {method} | {m['top1']:.2%} | {m['macro_f1']:.2%} | "
                f"{m['after_reject']:.2%} | {m['rejected']:.1%} | {oos} | {m['train_s']:.1f} | "
                f"{m['p50_ms']:.2f} | {m['note']} |",
                flush=True,
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
