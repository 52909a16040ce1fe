"""``--classifier auto``: the head chosen by what it does on held-out training texts, within a
time budget.  Each candidate is trained in memory on part of the training data and scored on
the rest (top-1 accuracy): the validation split for sets of ``CROSS_FIT_BELOW`` texts and more,
out-of-fold predictions (``_cross_fit``) below.  The test split is never seen.  The default
head goes first and wins ties; a candidate whose expected time (the first one's, scaled by
``RELATIVE_COST``) would overrun the budget is skipped and said so."""

from __future__ import annotations

import time
import warnings
from dataclasses import replace

import numpy as np

from textkit.classify.data import LabelledTexts, stratified_split
from textkit.errors import TextkitWarning
from textkit.progress import Progress

AUTO_ORDER = ("svm", "nb", "linear", "mlp")  # the default first: it wins ties
# training time against the svm's (benchmarks/classifiers.py, all heads: nb 0.4-0.9x,
# logistic regression 2-4x, the mlp 3-4x on large sets and more on small ones)
RELATIVE_COST = {"svm": 1.0, "nb": 1.0, "linear": 4.0, "mlp": 4.0}
MIN_HELD_OUT = 0.1  # held out for scoring when the model's own val_fraction is smaller


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
        train_rows, val_rows = stratified_split(data.labels, fraction, seed)
    scores: dict[str, float] = {}
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
                scores[head] = float((logits.argmax(1) == y).mean())
            else:
                candidate.fit(_rows(data, train_rows), train_config=quiet)
                logits = candidate._logits_rows(
                    candidate.featurizer.transform(data.texts[i] for i in val_rows)
                )
                best = np.array(candidate.labels_)[logits.argmax(1)]
                scores[head] = float((best == np.array(data.labels)[val_rows]).mean())
        seconds[head] = time.monotonic() - began
        if unit is None:
            unit = seconds[head] / RELATIVE_COST[head]
    chosen_head = max(scores, key=lambda h: (scores[h], -AUTO_ORDER.index(h)))
    method = "out of fold" if small else f"{len(val_rows)} held-out texts"
    model.info["auto"] = {
        "chosen": chosen_head,
        "accuracy": {h: round(a, 4) for h, a in scores.items()},
        "seconds": {h: round(s, 2) for h, s in seconds.items()},
        "skipped": skipped,
        "budget_s": budget,
        "method": method,
    }
    shown = ", ".join(f"{h} {a:.1%} ({seconds[h]:.1f}s)" for h, a in scores.items())
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


def _rows(data: LabelledTexts, rows) -> LabelledTexts:
    """These rows of ``data``, without entity annotations (the tagger is not compared)."""
    return LabelledTexts([data.texts[i] for i in rows], [data.labels[i] for i in rows], data.source)
