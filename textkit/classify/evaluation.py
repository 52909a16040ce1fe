"""Evaluating a text classifier on labelled data: the numbers (scikit-learn's metrics), the
calibration error, out-of-scope detection, the worst-confused pairs, a confusion-matrix PNG that
stays legible with 77+ labels, and the misclassified examples as JSON.

A gold label the model never saw, or one of its out-of-scope labels, is out of scope: the right
answer is "no label" (shown as the model's ``NO_ANSWER``, e.g. "(out of scope)").  Out-of-scope answers count as wrong for in-scope texts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from textkit.classify.calibration import expected_calibration_error
from textkit.classify.data import LabelledTexts, fold_of
from textkit.errors import TextkitError
from textkit.modelio import atomic_write_json


@dataclass
class EvaluationReport:
    n: int
    accuracy: float  # every text: the label, or "no label" for out-of-scope texts
    in_scope_accuracy: float | None
    macro_f1: float
    oos_precision: float | None
    oos_recall: float | None
    answered: float  # share of texts given a label
    ece: float  # calibration error of the top confidence, in-scope texts
    per_label: dict[str, dict[str, float]] = field(default_factory=dict)
    confused: list[tuple[str, str, int]] = field(default_factory=list)  # gold, predicted, count
    errors: list[dict] = field(default_factory=list)
    gold: list[str] = field(default_factory=list, repr=False)
    predicted: list[str] = field(default_factory=list, repr=False)
    entities: dict | None = None  # entity scores (textkit.entities.evaluation), annotated data

    def to_dict(self) -> dict:
        keys = (
            "n",
            "accuracy",
            "in_scope_accuracy",
            "macro_f1",
            "oos_precision",
            "oos_recall",
            "answered",
            "ece",
            "per_label",
        )
        out = {
            **{k: getattr(self, k) for k in keys},
            "confused": [{"gold": g, "predicted": p, "count": c} for g, p, c in self.confused],
        }
        if self.entities is not None:
            out["entities"] = {k: v for k, v in self.entities.items() if k != "errors"}
        return out

    def to_text(self, top: int = 10) -> str:
        pct = lambda v: "-" if v is None else f"{v:.1%}"  # noqa: E731
        lines = [
            f"texts                  {self.n}",
            f"accuracy               {pct(self.accuracy)}",
            f"in-scope accuracy      {pct(self.in_scope_accuracy)}",
            f"macro-F1               {pct(self.macro_f1)}",
            f"out-of-scope precision {pct(self.oos_precision)}",
            f"out-of-scope recall    {pct(self.oos_recall)}",
            f"answered               {pct(self.answered)}",
            f"calibration error ECE  {self.ece:.3f}",
            "",
            f"{'label':32} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>7}",
        ]
        for label, m in sorted(self.per_label.items(), key=lambda kv: kv[1]["f1"]):
            lines.append(
                f"{label[:32]:32} {m['precision']:9.1%} {m['recall']:7.1%} {m['f1']:6.1%} {m['support']:7d}"
            )
        if self.confused:
            lines += ["", "most confused (gold -> predicted: count)"]
            lines += [f"  {g} -> {p}: {c}" for g, p, c in self.confused[:top]]
        if self.entities is not None:
            from textkit.entities.evaluation import entities_text

            lines.append(entities_text(self.entities))
        return "\n".join(lines)


def evaluate(model, data: LabelledTexts) -> EvaluationReport:
    """Score ``model`` (a trained TextClassifier) on labelled texts."""
    from sklearn.metrics import precision_recall_fscore_support

    preds = model.predict_many(data.texts, k=1)
    known = set(model.labels_)
    no = model.NO_ANSWER
    gold = [lb if lb in known and not model.is_out_of_scope_label(lb) else no for lb in data.labels]
    predicted = [p.label if p.label is not None else no for p in preds]
    g, pr = np.array(gold), np.array(predicted)
    in_scope = g != no
    names = sorted(set(gold) | set(predicted))
    p, r, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=names, zero_division=0
    )
    per_label = {
        n: {
            "precision": float(p[i]),
            "recall": float(r[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i, n in enumerate(names)
        if n != no
    }
    present = [n for n in names if n != no and per_label[n]["support"] > 0]
    oos_p = oos_r = None
    if (~in_scope).any():
        oos_r = float((pr[~in_scope] == no).mean())
        oos_p = float((g[pr == no] == no).mean()) if (pr == no).any() else 0.0
    # calibration of the model's own top answer, before the reject rule: in-scope texts
    conf = np.array([q.ranking[0][1] if q.ranking else 0.0 for q in preds])
    top = np.array([q.ranking[0][0] if q.ranking else no for q in preds])
    ece = expected_calibration_error(conf[in_scope], (top == g)[in_scope])
    answered = float((pr != no).mean())
    pairs = Counter((a, b) for a, b in zip(gold, predicted, strict=True) if a != b)
    entities = None
    mistakes: dict[str, dict] = {}
    if data.annotated:
        from textkit.entities.evaluation import entity_scores

        entities = entity_scores(data.texts, [q.entities for q in preds], data.entities)
        mistakes = {e["text"]: e for e in entities["errors"]}
    errors = []
    for t, a, b, q in zip(data.texts, gold, predicted, preds, strict=True):
        wrong = mistakes.get(t)
        if a == b and wrong is None:
            continue
        row = {"text": t, "gold": a, "predicted": b, "confidence": round(q.confidence, 4),
               "reason": q.reason}  # fmt: skip
        if wrong is not None:
            row.update(entities_missed=wrong["missed"], entities_wrong=wrong["wrong"])
        errors.append(row)
    return EvaluationReport(
        n=len(gold),
        accuracy=float((g == pr).mean()) if len(g) else 0.0,
        in_scope_accuracy=float((g == pr)[in_scope].mean()) if in_scope.any() else None,
        macro_f1=float(np.mean([per_label[n]["f1"] for n in present])) if present else 0.0,
        oos_precision=oos_p,
        oos_recall=oos_r,
        answered=answered,
        ece=ece,
        per_label=per_label,
        confused=[(a, b, c) for (a, b), c in pairs.most_common()],
        errors=errors,
        gold=gold,
        predicted=predicted,
        entities=entities,
    )


# each model's own report (its labels), beside the accuracy both are judged on (common_gold)
COMPARED = ("in_scope_accuracy", "macro_f1", "oos_recall", "answered", "ece")


def mcnemar(wins: int, losses: int) -> float:
    """Two-sided exact McNemar p-value: two models on the same texts, ``wins`` that only the
    second gets right, ``losses`` that only the first does (1 when none differ)."""
    from scipy.stats import binomtest

    return float(binomtest(wins, wins + losses, 0.5).pvalue) if wins + losses else 1.0


def common_gold(labels: list[str], models) -> list[str]:
    """The right answers when several models are compared: a text's label if any of them knows
    it (one that doesn't can't be right on it), else "no label" (an out-of-scope label of any
    of them, or one none of them knows)."""
    no = models[0].NO_ANSWER
    known = set().union(*(m.labels_ for m in models))
    return [
        no if lb not in known or any(m.is_out_of_scope_label(lb) for m in models) else lb
        for lb in labels
    ]


def compare(
    before: EvaluationReport, after: EvaluationReport, texts: list[str], gold: list[str]
) -> dict:
    """Two models (an earlier version and a new one) on the same texts: their numbers side by
    side, and the paired view that tells a real change from noise: the texts the new one
    fixed and broke against ``gold`` (``common_gold``: a new intent's texts count as missed by
    the version that doesn't know it), with McNemar's exact test on those."""
    old = [a == b for a, b in zip(gold, before.predicted, strict=True)]
    new = [a == b for a, b in zip(gold, after.predicted, strict=True)]
    fixed = [i for i, (o, n) in enumerate(zip(old, new, strict=True)) if n and not o]
    broke = [i for i, (o, n) in enumerate(zip(old, new, strict=True)) if o and not n]
    p_value = mcnemar(len(fixed), len(broke))
    metrics = {
        "accuracy": [float(np.mean(old)) if old else 0.0, float(np.mean(new)) if new else 0.0]
    }
    metrics |= {k: [getattr(before, k), getattr(after, k)] for k in COMPARED}
    if before.entities is not None and after.entities is not None:
        metrics["entity_micro_f1"] = [before.entities["micro"]["f1"], after.entities["micro"]["f1"]]

    def rows(ids: list[int]) -> list[dict]:
        return [{"text": texts[i], "gold": gold[i], "before": before.predicted[i],
                 "after": after.predicted[i]} for i in ids]  # fmt: skip

    return {"n": len(texts), "metrics": metrics, "fixed": rows(fixed), "broke": rows(broke),
            "p_value": float(p_value)}  # fmt: skip


def comparison_text(result: dict, before: str, after: str, top: int = 5) -> str:
    """``compare``'s result as the terminal shows it (percentage points; ECE as is)."""
    width = max(len(before), len(after), 8)
    lines = [f"{'':22} {before[:width]:>{width}} {after[:width]:>{width}}   change"]
    for name, (a, b) in result["metrics"].items():
        scale, digits, unit = (1, 3, "") if name == "ece" else (100, 1, "%")

        def shown(v, scale=scale, digits=digits, unit=unit):
            return "-" if v is None else f"{v * scale:.{digits}f}{unit}"

        delta = "" if a is None or b is None else f"{(b - a) * scale:+.{digits}f}"
        lines.append(
            f"{name.replace('_', ' '):22} {shown(a):>{width}} {shown(b):>{width}}   {delta}"
        )
    lines.append("(accuracy: both judged on every label either knows; the rest: each on its own)")
    fixed, broke = result["fixed"], result["broke"]
    verdict = "no text changed"
    if fixed or broke:
        p = result["p_value"]
        verdict = f"McNemar p = {p:.3g}" + (
            " (more than chance at the 5% level)" if p < 0.05 else " (could be chance)"
        )
    lines += ["", f"{after} fixed {len(fixed)} text(s) and broke {len(broke)}: {verdict}"]
    for title, group in (("fixed", fixed), ("broke", broke)):
        for row in group[:top]:
            lines.append(
                f"  {title}: {row['text'][:60]!r} ({row['gold']}: {row['before']} -> {row['after']})"
            )
    return "\n".join(lines)


def answer_curve(
    model,
    data: LabelledTexts,
    thresholds: tuple[float, ...] = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95),
) -> list[dict]:
    """The "don't know" trade-off: for each confidence threshold, the share of in-scope texts
    answered and the accuracy on those answered (the model's own threshold is marked)."""
    known = set(model.labels_)
    rows = [
        (t, lb)
        for t, lb in zip(data.texts, data.labels, strict=True)
        if lb in known and not model.is_out_of_scope_label(lb)
    ]
    preds = model.predict_many([t for t, _ in rows], threshold=0.0, k=2)
    conf = np.array([p.ranking[0][1] if p.ranking else 0.0 for p in preds])
    margin_ok = np.array(
        [
            model.reject_rule(0.0).reason(np.array([c for _, c in p.ranking] + [0.0]), False)
            is None
            if p.ranking
            else False
            for p in preds
        ],
        dtype=bool,
    )
    right = np.array(
        [bool(p.ranking) and p.ranking[0][0] == lb for p, (_, lb) in zip(preds, rows, strict=True)],
        dtype=bool,
    )
    out = []
    for t in sorted({*thresholds, round(model.threshold_, 3)}):
        answered = (conf >= t) & margin_ok
        out.append(
            {
                "threshold": float(t),
                "answered": float(answered.mean()) if len(rows) else 0.0,
                "accuracy_answered": float(right[answered].mean()) if answered.any() else 0.0,
                "model": abs(t - round(model.threshold_, 3)) < 1e-9,
            }
        )
    return out


def tradeoff(model, data: LabelledTexts, steps: int = 100) -> list[dict]:
    """The whole out-of-scope trade-off: for each confidence threshold from 0 to 0.99, the
    in-scope accuracy (a rejected in-scope text counts as wrong), the share of in-scope texts
    answered and, where the data has out-of-scope texts, their recall.  One pass: every text
    is scored once at threshold 0."""
    known = set(model.labels_)
    in_scope = np.array([lb in known and not model.is_out_of_scope_label(lb) for lb in data.labels])
    preds = model.predict_many(data.texts, threshold=0.0, k=2)
    conf = np.array([p.confidence if p.label is not None else -1.0 for p in preds])
    right = np.array([p.label == lb for p, lb in zip(preds, data.labels, strict=True)])
    rows = []
    for t in np.round(np.arange(steps) / steps, 4):
        answered = conf >= t
        rows.append(
            {
                "threshold": float(t),
                "in_scope_accuracy": float((right & answered)[in_scope].mean())
                if in_scope.any()
                else None,
                "answered": float(answered[in_scope].mean()) if in_scope.any() else None,
                "oos_recall": float((~answered)[~in_scope].mean()) if (~in_scope).any() else None,
            }
        )
    return rows


def plot_tradeoff(rows: list[dict], threshold: float, out: Path, title: str = "") -> Path:
    """The trade-off curves against the threshold, the model's own threshold marked."""
    from textkit.plots import png_figure

    x = [r["threshold"] for r in rows]
    with png_figure(out, figsize=(7, 4.5)) as (_, ax):
        for key, label, color in (
            ("in_scope_accuracy", "in-scope accuracy", "C0"),
            ("answered", "in-scope texts answered", "C2"),
            ("oos_recall", "out-of-scope recall", "C3"),
        ):
            if rows and rows[0][key] is not None:
                ax.plot(x, [r[key] for r in rows], color=color, label=label)
        ax.axvline(
            threshold, color="0.4", linestyle=":", label=f"the model's threshold {threshold:.2f}"
        )
        ax.set(
            xlabel="confidence threshold", ylim=(0, 1.01), title=title or "out-of-scope trade-off"
        )
        ax.grid(alpha=0.3)
        ax.legend(loc="lower left")
    return out


def write_report(
    report: EvaluationReport,
    folder: Path,
    title: str = "",
    model=None,
    data: LabelledTexts | None = None,
) -> dict[str, Path]:
    """``report.json``, ``errors.json``, ``confusion.png`` and (given the model and data)
    ``tradeoff.png`` with the whole trade-off in ``report.json``, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "report": folder / "report.json",
        "errors": folder / "errors.json",
        "confusion": folder / "confusion.png",
    }
    summary = report.to_dict()
    if model is not None and data is not None:
        curve = tradeoff(model, data)
        summary["tradeoff"] = curve
        paths["tradeoff"] = plot_tradeoff(curve, model.threshold_, folder / "tradeoff.png", title)
    atomic_write_json(paths["report"], summary)
    atomic_write_json(paths["errors"], report.errors)
    plot_confusion(report, paths["confusion"], title)
    return paths


def plot_confusion(report: EvaluationReport, out: Path, title: str = "", top: int = 25) -> Path:
    """Row-normalised confusion matrix (labels sorted, the diagonal shows recall) beside a bar
    chart of the most confused pairs; tick labels shrink with the number of labels so that 77+
    stay readable at the figure's size."""
    from textkit.plots import png_figure

    labels = sorted(set(report.gold) | set(report.predicted))
    index = {lb: i for i, lb in enumerate(labels)}
    m = np.zeros((len(labels), len(labels)))
    for a, b in zip(report.gold, report.predicted, strict=True):
        m[index[a], index[b]] += 1
    m = m / np.maximum(m.sum(1, keepdims=True), 1)
    n = len(labels)
    side = min(max(6.0, 0.16 * n), 22.0)
    font = max(4.0, min(9.0, 0.75 * side * 72 / max(n, 1)))  # 3/4 of each label's row height
    grid = dict(figsize=(side + 7, side), gridspec_kw={"width_ratios": [side, 7]})
    with png_figure(out, 1, 2, **grid) as (fig, (ax, bars)):
        image = ax.imshow(m, cmap="Blues", vmin=0, vmax=1, interpolation="nearest")
        ax.set_xticks(range(n), labels, rotation=90, fontsize=font)
        ax.set_yticks(range(n), labels, fontsize=font)
        ax.set(xlabel="predicted", ylabel="gold", title=title or "confusion (rows sum to 1)")
        fig.colorbar(image, ax=ax, fraction=0.03, pad=0.01)
        pairs = report.confused[:top]
        if pairs:
            names = [f"{g} -> {p}" for g, p, _ in pairs][::-1]
            bars.barh(range(len(pairs)), [c for _, _, c in pairs][::-1], color="C3")
            bars.set_yticks(range(len(pairs)), names, fontsize=8)
            bars.yaxis.tick_right()
        bars.set(title=f"most confused pairs (top {len(pairs)})", xlabel="texts")
    return out


def cross_validate(make_model, data: LabelledTexts, k: int = 5, seed: int = 0) -> dict:
    """Accuracy and macro-F1 over ``k`` stratified folds of ``data`` (whole documents per fold
    where the data names them): each fold is evaluated by a model ``make_model()`` trained on
    the others (in memory)."""
    from textkit.checks import check_number

    check_number("k", k, 2, 100, integer=True)
    counts = data.counts()
    rarest = min(counts, key=counts.get) if counts else None
    if rarest is None or counts[rarest] < k:
        have = f"'{rarest}' has {counts[rarest]}" if rarest is not None else "there are none"
        raise TextkitError(
            f"{k}-fold cross-validation needs at least {k} texts of every label ({have}); "
            f"use fewer folds"
        )
    if data.groups is not None and len(set(data.groups)) < k:
        raise TextkitError(
            f"{k}-fold cross-validation by document needs at least {k} documents (the data "
            f"names {len(set(data.groups))}); use fewer folds"
        )
    index = {label: i for i, label in enumerate(sorted(counts))}
    y = np.array([index[label] for label in data.labels], dtype=np.int64)
    fold = fold_of(y, k, seed, data.groups)  # with documents named, whole documents per fold
    scores = []
    for f in range(k):
        train = [i for i in range(len(data)) if fold[i] != f]
        test = [i for i in range(len(data)) if fold[i] == f]
        model = make_model()
        model.fit(
            LabelledTexts(
                [data.texts[i] for i in train],
                [data.labels[i] for i in train],
                data.source,
                groups=None if data.groups is None else [data.groups[i] for i in train],
            )
        )
        rep = evaluate(
            model, LabelledTexts([data.texts[i] for i in test], [data.labels[i] for i in test])
        )
        scores.append((rep.accuracy, rep.macro_f1))
    acc, f1 = np.array(scores).T
    return {
        "folds": k,
        "accuracy_mean": float(acc.mean()),
        "accuracy_sd": float(acc.std(ddof=1)),
        "macro_f1_mean": float(f1.mean()),
        "macro_f1_sd": float(f1.std(ddof=1)),
        "per_fold": [{"accuracy": float(a), "macro_f1": float(b)} for a, b in scores],
    }
