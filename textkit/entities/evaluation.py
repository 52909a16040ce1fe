"""Entity extraction scored like CoNLL's conlleval: a predicted entity counts only with the
exact span and type of a gold one; precision, recall and F1 per entity type, micro (every
entity counts once) and macro (every type counts once); the texts with mistakes, listed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence


def entity_scores(
    texts: Sequence[str], predicted: Sequence[Sequence], gold: Sequence[Sequence]
) -> dict:
    """Scores of ``predicted`` against ``gold`` entity lists (one per text), and ``errors``:
    per text with a mistake, the gold entities missed and the predicted ones that were wrong
    (as ``{"entity", "text", "start", "end"}``)."""
    tp, fp, fn = defaultdict(int), defaultdict(int), defaultdict(int)
    errors = []
    for text, p, g in zip(texts, predicted, gold, strict=True):
        got = {(e.start, e.end, e.entity) for e in p}
        want = {(e.start, e.end, e.entity) for e in g}
        for x in got & want:
            tp[x[2]] += 1
        for x in got - want:
            fp[x[2]] += 1
        for x in want - got:
            fn[x[2]] += 1
        if got != want:
            errors.append(
                {
                    "text": text,
                    "missed": _shown(text, want - got),
                    "wrong": _shown(text, got - want),
                }
            )
    per_type = {}
    for name in sorted(set(tp) | set(fp) | set(fn)):
        per_type[name] = _prf(tp[name], fp[name], fn[name]) | {"support": tp[name] + fn[name]}
    micro = _prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    scored = [m for m in per_type.values() if m["support"]]
    macro = {
        k: sum(m[k] for m in scored) / len(scored) if scored else 0.0
        for k in ("precision", "recall", "f1")
    }
    return {"micro": micro, "macro": macro, "per_type": per_type, "errors": errors}


def _shown(text: str, spans: set) -> list[dict]:
    return [{"entity": n, "text": text[s:e], "start": s, "end": e} for s, e, n in sorted(spans)]


def _shown(text: str, spans: set) -> list[dict]:
    return [{"entity": n, "text": text[s:e], "start": s, "end": e} for s, e, n in sorted(spans)]


def _prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def entities_text(scores: dict, top: int = 40) -> str:
    """The scores as a table, for the terminal."""
    pct = lambda v: f"{v:.1%}"  # noqa: E731
    lines = [
        "",
        f"entities (exact spans)  micro P {pct(scores['micro']['precision'])} "
        f"R {pct(scores['micro']['recall'])} F1 {pct(scores['micro']['f1'])}   "
        f"macro F1 {pct(scores['macro']['f1'])}",
        f"{'entity':32} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>7}",
    ]
    rows = sorted(scores["per_type"].items(), key=lambda kv: kv[1]["f1"])[:top]
    for name, m in rows:
        lines.append(
            f"{name[:32]:32} {m['precision']:9.1%} {m['recall']:7.1%} {m['f1']:6.1%} {m['support']:7d}"
        )
    return "\n".join(lines)
