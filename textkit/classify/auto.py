"""``--classifier auto``: the head chosen by what it does on held-out training texts, within a
time budget.  Each candidate is trained in memory on part of the training data and scored on
the rest (top-1 accuracy): the validation split for sets of ``CROSS_FIT_BELOW`` texts and more,
out-of-fold predictions (``_cross_fit``) below.  The test split is never seen.  The default
head goes first, and another replaces it only when clearly better on the same texts: more
texts it gets right and the default doesn't than the reverse, by McNemar's exact test at
``SIGNIFICANCE`` (a held-out split of 720 texts can't tell half a point from noise: choosing
on noise picked the mlp for the tweets, 2.3 points worse on their test split).  A candidate
whose expected time (the first one's, scaled by ``RELATIVE_COST``) would overrun the budget
is skipped and said so."""

from __future__ import annotations

import time
import warnings
from dataclasses import replace

import numpy as np

from textkit.classify.data import LabelledTexts, stratified_split
from textkit.classify.evaluation import mcnemar
from textkit.errors import TextkitWarning
from textkit.progress import Progress

AUTO_ORDER = ("svm", "centroid", "nb", "linear", "mlp")  # the default first: it wins ties
# training time against the svm's (benchmarks/classifiers.py, all heads: nb 0.4-0.9x,
# logistic regression 2-4x, the mlp 3-4x on large sets and more on small ones; the centroids
# 0.4-1.0x, featurizing being most of their time: `--heads centroid`)
RELATIVE_COST = {"svm": 1.0, "centroid": 1.0, "nb": 1.0, "linear": 4.0, "mlp": 4.0}
MIN_HELD_OUT = 0.1  # held out for scoring when the model's own val_fraction is smaller
SIGNIFICANCE = 0.05  # another head replaces the default only at this p-value or below


def choose_head(model, data: LabelledTexts, y: np.ndarray, train_config, log=None):
    """The config with the best head for ``data`` (``model.labels_`` set, ``y`` its label
    indices); the comparison is kept in ``model.info["auto"]``."""
    from textkit.training.config import TrainConfig, chosen

    quiet = {**chosen(train_config), "progress": False}
    seed = quiet.get("seed", TrainConfig.seed)
    budget = model.config.auto_budget
    small = len(data) < model.CROSS_FIT_BELOW
    if not small:
        fraction = max(model.config.val_fraction, MIN_HELD_OUT)
        train_rows, val_rows = stratified_split(data.labels, fraction, seed, data.groups)
    scores: dict[str, float] = {}
    right: dict[str, np.ndarray] = {}  # per held-out text: right or not
    seconds: dict[str, float] = {}
    skipped: list[str] = []
    start, unit = time.monotonic(), None
    for head in AUTO_ORDER:
        if unit is not None and time.monotonic() - start + unit * RELATIVE_COST[head] > budget:
            skipped.append(head)
            continue
        began = time.monotonic()
        config = replace(model.config, classifier=head)
        if not small:  # one fit on the training rows: no split of its own, no refit
            config = replace(config, val_fraction=0.0)
        candidate = type(model)(config, pipeline=model.pipeline, features=model.feature_config)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TextkitWarning)
            if small:
                candidate.labels_ = model.labels_
                off = Progress(model.CROSS_FIT_FOLDS, "fit", show=False)
                logits = candidate._cross_fit(data, y, quiet, off)
                right[head] = logits.argmax(1) == y
            else:
                candidate.fit(_rows(data, train_rows), train_config=quiet)
                logits = candidate._logits_rows(
                    candidate.featurizer.transform(data.texts[i] for i in val_rows)
                )
                best = np.array(candidate.labels_)[logits.argmax(1)]
                right[head] = best == np.array(data.labels)[val_rows]
        scores[head] = float(right[head].mean()) if len(right[head]) else 0.0
        seconds[head] = time.monotonic() - began
        if unit is None:
            unit = seconds[head] / RELATIVE_COST[head]
    chosen_head, p_values = pick(right)
    method = "out of fold" if small else f"{len(val_rows)} held-out texts"
    model.info["auto"] = {
        "chosen": chosen_head,
        "accuracy": {h: round(a, 4) for h, a in scores.items()},
        "p_value_vs_default": {h: round(p, 4) for h, p in p_values.items()},
        "seconds": {h: round(s, 2) for h, s in seconds.items()},
        "skipped": skipped,
        "budget_s": budget,
        "method": method,
    }
    shown = ", ".join(
        f"{h} {a:.1%} ({seconds[h]:.1f}s" + (f", p={p_values[h]:.2g})" if h in p_values else ")")
        for h, a in scores.items()
    )
    if len(scores) < 2:
        warnings.warn(
            f"--auto-budget {budget:g}s compared no heads: {chosen_head} alone took "
            f"{seconds[chosen_head]:.1f}s; training {chosen_head} (the default). Give a larger "
            "--auto-budget or choose --classifier",
            TextkitWarning,
            stacklevel=3,
        )
    elif log is not None:
        left = f"; over the {budget:g}s budget: {', '.join(skipped)}" if skipped else ""
        log(f"--classifier auto ({method}): {shown}{left} -> {chosen_head}")
    return replace(model.config, classifier=chosen_head)


def pick(right: dict[str, np.ndarray]) -> tuple[str, dict[str, float]]:
    """The head to train, from each head's right/wrong on the same held-out texts (the first
    is the default): the most accurate of those clearly better than the default, else the
    default; and each other head's McNemar p-value against the default."""
    default, *others = right
    p_values = {
        h: mcnemar(int((right[h] & ~right[default]).sum()), int((right[default] & ~right[h]).sum()))
        for h in others
    }
    better = [
        h for h in others if p_values[h] <= SIGNIFICANCE and right[h].mean() > right[default].mean()
    ]
    return (max(better, key=lambda h: right[h].mean()) if better else default), p_values


def _rows(data: LabelledTexts, rows) -> LabelledTexts:
    """These rows of ``data``, without entity annotations (the tagger is not compared)."""
    return LabelledTexts([data.texts[i] for i in rows], [data.labels[i] for i in rows], data.source)
