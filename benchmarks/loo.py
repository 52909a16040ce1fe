"""The svm's leave-one-out calibration (textkit/classify/loo.py) against a held-out split and
10-fold cross-fitting, on training splits only (test splits are never read).

    python benchmarks/loo.py ../shared/data [--only banking77 snips ...]

For each set: the default IntentClassifier trained on the training split twice, calibrated on
leave-one-out scores of every text (the default where its work is bounded) and on a 10% split
model (what it did before: forced here by lifting the bound to zero).  The standard both
estimate: out-of-fold logits of 10-fold cross-fitting, each fold's model with its own features
(the texts it scores are new to it, as a user's are), 10 fits.  Printed per method: the
temperature and threshold it chose, the validation accuracy it reported, and on the 10-fold
out-of-fold logits the ECE and the in-scope accuracy its threshold costs (the budget is 2
points) and the share it rejects; then the training time.  ``clinc`` (the 15,100-text,
151-label set of intent_speed.py) times the leave-one-out work against the fit, bounds lifted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from classifiers import load
from intent_speed import clinc_shaped

SETS = ("banking77", "snips", "banking77_oos", "clinc")


def calibrated_on(logits, y, oos, temperature, threshold):
    """ECE, in-scope cost and rejected share of a temperature and threshold on ``logits``."""
    from textkit.classify.calibration import expected_calibration_error, softmax

    p = softmax(logits, temperature)
    conf, correct = p.max(1), p.argmax(1) == y
    ece = expected_calibration_error(conf[~oos], correct[~oos])
    cost = float((correct & (conf < threshold) & ~oos).sum() / max((~oos).sum(), 1))
    return ece, cost, float((conf[~oos] < threshold).mean())


def compare(name: str, data: Path) -> None:
    from textkit.classify import loo
    from textkit.classify.data import LabelledTexts
    from textkit.intent import IntentClassifier
    from textkit.progress import Progress

    train, _, _ = load(name, data)
    texts, labels = [t for t, _ in train], [lb for _, lb in train]
    source = LabelledTexts(texts, labels, name)
    rows = {}
    for method in ("leave-one-out", "10% split"):
        bounds = loo.MAX_GRAM
        if method == "10% split":
            loo.MAX_GRAM = 0
        model = IntentClassifier()
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(source)
        seconds = time.perf_counter() - start
        loo.MAX_GRAM = bounds
        v = model.info["validation"]
        rows[method] = (v["temperature"], v["threshold"], v["accuracy"], v["texts"], seconds)
    y = np.array([model.labels_.index(lb) for lb in labels])
    oos = np.array([model.is_out_of_scope_label(lb) for lb in labels])
    model.CROSS_FIT_FOLDS = 10
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gold = model._cross_fit(source, y, {"progress": False}, Progress(10, "fit", show=False))
    gold_seconds = time.perf_counter() - start
    from textkit.classify.calibration import choose_threshold, fit_temperature, softmax

    t = fit_temperature(gold, y)
    p = softmax(gold, t)
    thr = choose_threshold(p.max(1), p.argmax(1) == y, ~oos, model.config.max_in_scope_loss)
    rows["10-fold (standard)"] = (t, thr, float((p.argmax(1) == y).mean()), len(y), gold_seconds)
    print(f"\n{name}: {len(y):,} training texts, {len(model.labels_)} labels")
    print("method | temperature | threshold | reported accuracy (texts) | ECE | cost | rejected "
          "| train s")  # fmt: skip
    for method, (t, thr, acc, n, secs) in rows.items():
        ece, cost, rejected = calibrated_on(gold, y, oos, t, thr)
        print(f"{method} | {t:.3f} | {thr:.3f} | {acc:.2%} ({n:,}) | {ece:.4f} | "
              f"{cost:.2%} | {rejected:.1%} | {secs:.1f}")  # fmt: skip


def clinc_timing(data: Path) -> None:
    """The leave-one-out work on the CLINC-shaped set, bounds lifted, against the svm fit."""
    from textkit.classify import loo
    from textkit.classify.features import Featurizer
    from textkit.classify.model import _cores, linear_svc
    from textkit.intent import IntentClassifier

    with tempfile.TemporaryDirectory() as tmp:
        texts, labels = clinc_shaped(data, Path(tmp) / "clinc.csv")
    model = IntentClassifier()
    model.labels_ = sorted(set(labels))
    y = np.array([model.labels_.index(lb) for lb in labels])
    model.featurizer = Featurizer(model.pipeline, model.feature_config)
    x = model._fit_features(model.featurizer.count(texts), say=False).to_scipy()
    weight = model._sample_weight(y)
    start = time.perf_counter()
    coef, intercept = linear_svc(x, y, weight, model.config.svm_c, 0)
    fit = time.perf_counter() - start
    saved = loo.MAX_ACTIVE, loo.MAX_GRAM, loo.MAX_FACTOR
    loo.MAX_ACTIVE = loo.MAX_GRAM = loo.MAX_FACTOR = float("inf")
    start = time.perf_counter()
    loo.svm_loo_logits(x, y, coef, intercept, model.config.svm_c, weight, _cores())
    seconds = time.perf_counter() - start
    loo.MAX_ACTIVE, loo.MAX_GRAM, loo.MAX_FACTOR = saved
    scores = x @ coef.T + intercept
    sizes = np.array([(np.where(y == k, 1, -1) * scores[:, k] < 1).sum() for k in range(len(coef))])
    sizes = sizes.astype(np.float64)
    print(f"\nclinc-shaped: {len(y):,} texts, {len(coef)} labels: svm fit {fit:.1f} s, "
          f"leave-one-out {seconds:.1f} s (bounds lifted); sum |S|^2 {(sizes**2).sum():.2e}, "
          f"sum |S|^3 {(sizes**3).sum():.2e}, largest |S| {sizes.max():.0f}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("data", type=Path, help="../shared/data")
    ap.add_argument("--only", nargs="+", choices=SETS, default=list(SETS))
    args = ap.parse_args()
    for name in args.only:
        clinc_timing(args.data) if name == "clinc" else compare(name, args.data)


if __name__ == "__main__":
    main()
