"""Variants of the default svm head, each cross-validated on the *training* split of every
labelled set (5 folds, stratified; SOTU by whole addresses); the test splits are not read.

    python benchmarks/linear_variants.py ../shared/data [--only snips tweets]
    python benchmarks/linear_variants.py ../shared/data --variants svm-c0.3 svm-c1 svm-c3
    python benchmarks/linear_variants.py ../shared/data --few 2 5 10 --only snips banking77
    python benchmarks/linear_variants.py ../shared/data --imbalanced 1 1.5 2 --only banking77

Every variant sees the same features (the kind's default featurizer, fitted once on the whole
training split) and the same folds: the question is the head, not the features.  Variants:

- ``svm-cC``: one-vs-rest LinearSVC at C, every text weighing one;
- ``svm-cC-balanced``: the same with textkit's class weights (``--class-weights``, the
  default: each label weighs as much in all as any other, out-of-scope labels one per text);
  ``svm-cC-sqrt``: halfway (the square roots of those weights);
- ``nbsvm``: NB-SVM (Wang and Manning 2012) on the TF-IDF values: each class's problem sees the
  features scaled by that class's log-count ratio r; its weights are w * r;
- ``nbsvm-bin``: the same on binarized features (the paper's form);
- ``centroid``: the nearest label centroid by cosine (no fitting: each label's mean row).

With ``--few K``: K texts of each label drawn from the training split instead (a chatbot-sized
set; 5 draws), scored on other training texts.  With ``--imbalanced POWER``: 20 labels (8
draws), the r-th largest given round(120 * r ** -POWER) training texts (ATIS-like: one label
dominates, a tail of a few texts each), scored on up to 30 other training texts of each label,
each label's accuracy weighed by its share of the training texts (the accuracy a user sees
when new texts come in the same proportions).

Printed: texts right over all folds, accuracy, macro-F1 of the pooled out-of-fold answers,
and the variant's seconds for all folds.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from classifiers import SETS, load
from feature_choice import _kind, sotu_years


def svm(x, y, labels: int, c: float, weights=None):
    from sklearn.svm import LinearSVC

    fit = LinearSVC(C=c, random_state=0).fit(x, y, sample_weight=weights)
    rows, bias = fit.coef_, fit.intercept_
    if len(rows) == 1:  # two classes: one row
        rows, bias = np.vstack([-rows, rows]), np.array([-bias[0], bias[0]])
    # one row per label: a fold without a label's texts never predicts it
    coef, intercept = np.zeros((labels, x.shape[1])), np.full(labels, -1e9)
    coef[fit.classes_], intercept[fit.classes_] = rows, bias
    return lambda z: z @ coef.T + intercept


def nbsvm(x, y, labels: int, binary: bool, alpha: float = 1.0):
    from sklearn.svm import LinearSVC

    def look(z):
        return (z > 0).astype(np.float64) if binary else z

    x = look(x)
    total = np.asarray(x.sum(0)).ravel()
    coef, intercept = np.zeros((labels, x.shape[1])), np.full(labels, -1e9)
    for c in range(labels):
        mine = y == c
        if not mine.any():  # a fold without this label's texts: never predicted
            continue
        p = alpha + np.asarray(x[mine].sum(0)).ravel()
        q = alpha + total - (p - alpha)
        r = np.log((p / p.sum()) / (q / q.sum()))
        fit = LinearSVC(C=1.0, random_state=0).fit(x.multiply(r).tocsr(), mine.astype(int))
        coef[c], intercept[c] = fit.coef_[0] * r, fit.intercept_[0]
    return lambda z: look(z) @ coef.T + intercept


def centroid(x, y, labels: int):
    """Nearest centroid by cosine: each label's mean row, normalised (a linear head too)."""
    sums = np.zeros((labels, x.shape[1]))
    for c in range(labels):
        mine = y == c
        if mine.any():
            sums[c] = np.asarray(x[mine].sum(0)).ravel()
    coef = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    return lambda z: z @ coef.T


def variant(name: str, model):
    """``fit(x, y, labels) -> scores(x)`` for a variant's name; ``model`` (its ``labels_``
    set) gives textkit's class weights."""
    if name.startswith("svm-c"):
        c, _, weighing = name[len("svm-c") :].partition("-")
        power = {"": 0.0, "sqrt": 0.5, "balanced": 1.0}.get(weighing)
        if power is None:
            raise SystemExit(f"unknown variant {name!r}")

        def fit(x, y, k):
            weights = model._class_weights(y)[y] ** power if power else None
            return svm(x, y, k, float(c), weights)

        return fit
    if name == "centroid":
        return centroid
    if name in ("nbsvm", "nbsvm-bin"):
        return lambda x, y, k: nbsvm(x, y, k, binary=name == "nbsvm-bin")
    raise SystemExit(
        f"unknown variant {name!r}: svm-cC[-balanced|-sqrt], nbsvm, nbsvm-bin or centroid"
    )


def folds_of(name: str, root: Path, y: np.ndarray):
    from sklearn.model_selection import GroupKFold, StratifiedKFold

    if name == "sotu":
        return list(GroupKFold(5).split(y, y, sotu_years(root)))
    k = min(5, max(2, int(np.bincount(y).min())))  # the smallest label sets the folds
    return list(StratifiedKFold(k, shuffle=True, random_state=0).split(y, y))


def cross_validated(name: str, root: Path, variants: list[str]) -> None:
    from sklearn.metrics import f1_score

    from textkit.classify.features import Featurizer

    train, _, kind = load(name, root)  # the test split is not used
    texts, labels = [t for t, _ in train], [lb for _, lb in train]
    model = _kind(kind)()
    x = Featurizer(model.pipeline, model.feature_config).fit_transform(texts).to_scipy().tocsr()
    model.labels_ = names = sorted(set(labels))
    y = np.array([names.index(lb) for lb in labels])
    folds = folds_of(name, root, y)
    shown = []
    for v in variants:
        fit, start = variant(v, model), time.perf_counter()
        answers = np.zeros_like(y)
        for rows, held in folds:
            answers[held] = fit(x[rows], y[rows], len(names))(x[held]).argmax(1)
        seconds = time.perf_counter() - start
        right, f1 = int((answers == y).sum()), f1_score(y, answers, average="macro")
        shown.append(f"{v} {right}/{len(y)} ({right / len(y):.2%}, F1 {f1:.2%}, {seconds:.0f} s)")
    print(f"{name:14} {len(folds)} folds: " + "  ".join(shown), flush=True)


def _by_label(train) -> dict[str, list[str]]:
    by_label: dict[str, list[str]] = {}
    for text, label in train:
        by_label.setdefault(label, []).append(text)
    return by_label


def _drawn(kind: str, names: list[str], few, rest):
    """A model of the kind (for its class weights), and the drawn texts featurized by a
    featurizer fitted on ``few`` alone: (model, x, y, x_rest, y_rest)."""
    from textkit.classify.features import Featurizer

    model = _kind(kind)()
    model.labels_ = names
    featurizer = Featurizer(model.pipeline, model.feature_config)
    x = featurizer.fit_transform([t for t, _ in few]).to_scipy().tocsr()
    x_rest = featurizer.transform([t for t, _ in rest]).to_scipy().tocsr()
    y = np.array([names.index(lb) for _, lb in few], dtype=np.int64)
    y_rest = np.array([names.index(lb) for _, lb in rest], dtype=np.int64)
    return model, x, y, x_rest, y_rest


def few_per_label(name: str, root: Path, variants: list[str], per_label: int) -> None:
    """A chatbot-sized set drawn from a large one: ``per_label`` training texts of each label
    (5 draws), the featurizer fitted on them alone, scored on up to 2,000 of the other
    training texts of each draw."""
    import random

    train, _, kind = load(name, root)  # the test split is not used
    by_label = _by_label(train)
    names = sorted(by_label)
    right, scored = dict.fromkeys(variants, 0), 0
    for draw in range(5):
        rng, few, rest = random.Random(draw), [], []
        for label in names:
            pool = rng.sample(by_label[label], len(by_label[label]))
            few += [(t, label) for t in pool[:per_label]]
            rest += [(t, label) for t in pool[per_label:]]
        rest = rng.sample(rest, min(2000, len(rest)))
        model, x, y, x_rest, y_rest = _drawn(kind, names, few, rest)
        for v in variants:
            answers = variant(v, model)(x, y, len(names))(x_rest).argmax(1)
            right[v] += int((answers == y_rest).sum())
        scored += len(rest)
    shown = "  ".join(f"{v} {right[v] / scored:.2%}" for v in variants)
    print(
        f"{name:14} {per_label} texts per label, 5 draws ({scored:,} scored): {shown}", flush=True
    )


def imbalanced(name: str, root: Path, variants: list[str], power: float) -> None:
    import random

    train, _, kind = load(name, root)  # the test split is not used
    by_label = _by_label(train)
    accuracy: dict[str, list[float]] = {v: [] for v in variants}
    for draw in range(8):
        rng = random.Random(draw)
        names = sorted(rng.sample(sorted(by_label), min(20, len(by_label))))
        sizes = [max(1, round(120 * (r + 1) ** -power)) for r in range(len(names))]
        few, rest = [], []
        for label, size in zip(rng.sample(names, len(names)), sizes, strict=True):
            pool = rng.sample(by_label[label], len(by_label[label]))
            few += [(t, label) for t in pool[:size]]
            rest += [(t, label) for t in pool[size : size + 30]]
        model, x, y, x_rest, y_rest = _drawn(kind, names, few, rest)
        share = np.bincount(y, minlength=len(names)) / len(y)
        scored = np.isin(np.arange(len(names)), y_rest)  # labels with texts left to score
        for v in variants:
            answers = variant(v, model)(x, y, len(names))(x_rest).argmax(1)
            right = np.bincount(y_rest, weights=answers == y_rest, minlength=len(names))
            per_label = right[scored] / np.bincount(y_rest, minlength=len(names))[scored]
            accuracy[v].append(float((share[scored] * per_label).sum() / share[scored].sum()))
    shown = "  ".join(f"{v} {np.mean(accuracy[v]):.2%}" for v in variants)
    print(f"{name:14} imbalanced (power {power:g}; sizes {sizes[:4]}...): {shown}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("data", type=Path, help="../shared/data")
    ap.add_argument("--only", nargs="+", choices=SETS, default=list(SETS))
    ap.add_argument("--variants", nargs="+", default=["svm-c1-balanced", "nbsvm", "nbsvm-bin"])
    ap.add_argument(
        "--few", nargs="+", type=int, metavar="K", help="K training texts per label instead"
    )
    ap.add_argument(
        "--imbalanced", nargs="+", type=float, metavar="POWER", help="ATIS-like label sizes"
    )
    args = ap.parse_args()
    warnings.simplefilter("ignore")  # liblinear's convergence notes
    for name in args.only:
        if args.imbalanced:
            for power in args.imbalanced:
                imbalanced(name, args.data, args.variants, power)
        elif args.few:
            for k in args.few:
                few_per_label(name, args.data, args.variants, k)
        else:
            cross_validated(name, args.data, args.variants)


if __name__ == "__main__":
    main()
