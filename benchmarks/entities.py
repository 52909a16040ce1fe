"""Entity extraction (slot filling) on SNIPS, textkit against a reference CRF in one run.

    pip install sklearn-crfsuite          # the reference only; textkit doesn't use it
    python benchmarks/entities.py ../shared/data [--protocol small full] [--json out.json]
    python benchmarks/entities.py ../shared/data --choose     # the validation-only selection

Protocols (test texts are for reporting only):
- ``small``: the 2017 sonos/nlu-benchmark protocol: 70 queries per intent drawn from
  ``train_small`` (3 draws, seeds 0-2), tested on the 700 test queries; the headline is the
  mean per-slot F1 (F1 of each slot type over the test set, averaged over the slot types),
  averaged over the draws.  2017 anchors: Snips 74.0, api.ai 63.6, LUIS 61.7, Wit 61.4,
  Alexa 55.0.
- ``full``: the whole training set (13,784), slot micro-F1 on the test set (exact spans).
  Published: slot-gated RNN 88.8, JointBERT 97.0.

textkit goes through the product path: ``IntentClassifier().fit`` on the annotated texts,
``predict`` on the test texts (the tagger sees the *predicted* intent).  The reference is
sklearn-crfsuite (L-BFGS, c1 = c2 = 0.1, all transitions) on the same token features
(``textkit.entities.features``, without the intent), trained on the same texts.  Also:
training time (whole IntentClassifier fit; the reference's CRF fit) and p50 latency of
``predict`` with entities.

``--choose``: the settings textkit ships, chosen without test data: each small-protocol draw
is split 80/20, candidates trained on the 80 and scored (mean per-slot F1) on the 20.

``--bilstm``: which tagger generalises better, on the same held-out 20% of each draw (test
queries unused): textkit's CRF against a BiLSTM-CRF (the same token features summed into a
64-d vector per token, a bidirectional LSTM of 64 per direction, the same CRF layer), both
given the gold intent, each with keep-best on 10% of its training part.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np

ANCHORS_2017 = {"Snips": 74.0, "api.ai": 63.6, "LUIS": 61.7, "Wit": 61.4, "Alexa": 55.0}


def load(root: Path) -> dict:
    from textkit.text.readers import read_segments

    data = json.loads((root / "intent" / "snips_slots.json").read_text(encoding="utf-8"))

    def rows(records):
        out = []
        for r in records:
            text, entities = read_segments(r["data"], "snips")
            out.append((text, entities, r["intent"]))
        return out

    return {k: rows(data[k]) for k in ("train", "test", "train_small")}


def draw(pool: list, per_intent: int, seed: int) -> list:
    by_intent = defaultdict(list)
    for row in pool:
        by_intent[row[2]].append(row)
    rng = random.Random(seed)
    return [r for k in sorted(by_intent) for r in rng.sample(by_intent[k], per_intent)]


def scores(predicted: list, gold: list, texts: list) -> dict:
    """Exact-span micro F1 and the mean of per-slot F1 (the 2017 headline: macro over the slot
    types present in the test set), by textkit's own evaluation."""
    from textkit.entities.evaluation import entity_scores

    s = entity_scores(texts, predicted, gold)
    return {
        "micro_f1": s["micro"]["f1"],
        "mean_slot_f1": s["macro"]["f1"],
        "per_slot": {k: v["f1"] for k, v in s["per_type"].items()},
    }


def run_textkit(train: list, test: list, **fit_options) -> dict:
    from textkit.intent import IntentClassifier

    clf = IntentClassifier()
    with warnings.catch_warnings(), tempfile.TemporaryDirectory() as tmp:
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        clf.fit([(annotated(t, e), i) for t, e, i in train], Path(tmp) / "m", {"progress": False})
        fit_s = time.perf_counter() - start
    texts = [t for t, _, _ in test]
    preds, times = [], []
    for text in texts:
        start = time.perf_counter()
        preds.append(clf.predict(text).entities)
        times.append(time.perf_counter() - start)
    out = scores(preds, [e for _, e, _ in test], texts)
    out.update(fit_s=fit_s, p50_ms=1000 * statistics.median(times))
    out["intent_accuracy"] = float(
        np.mean([clf.predict(t).label == i for t, _, i in test[:: max(1, len(test) // 200)]])
    )
    return out


def annotated(text: str, entities) -> str:
    from textkit.entities import annotate

    return annotate(text, entities)


def run_reference(train: list, test: list) -> dict:
    import sklearn_crfsuite

    from textkit.entities.annotations import Entity
    from textkit.entities.extractor import _bio_spans
    from textkit.entities.features import bio_tags, token_features, tokenize

    def dicts(text):
        return [{name: 1.0 for name in token} for token in token_features(text, tokenize(text))]

    x = [dicts(t) for t, _, _ in train]
    y = [bio_tags(tokenize(t), e) for t, e, _ in train]
    crf = sklearn_crfsuite.CRF(
        algorithm="lbfgs", c1=0.1, c2=0.1, max_iterations=100, all_possible_transitions=True
    )
    start = time.perf_counter()
    crf.fit(x, y)
    fit_s = time.perf_counter() - start
    preds, times = [], []
    for text, _, _ in test:
        start = time.perf_counter()
        spans = tokenize(text)
        tags = crf.predict_single(dicts(text)) if spans else []
        preds.append([Entity(n, "", spans[a][0], spans[b - 1][1]) for a, b, n in _bio_spans(tags)])
        times.append(time.perf_counter() - start)
    out = scores(preds, [e for _, e, _ in test], [t for t, _, _ in test])
    out.update(fit_s=fit_s, p50_ms=1000 * statistics.median(times))
    return out


def show(name: str, result: dict) -> None:
    print(
        f"  {name:<28} mean per-slot F1 {100 * result['mean_slot_f1']:5.1f}   "
        f"micro-F1 {100 * result['micro_f1']:5.1f}   fit {result['fit_s']:6.1f} s   "
        f"p50 {result['p50_ms']:.2f} ms"
        + (
            f"   intent acc {100 * result['intent_accuracy']:.1f}"
            if "intent_accuracy" in result
            else ""
        )
    )


def small(data: dict, reference: bool) -> dict:
    print("SNIPS, 70 queries per intent (2017 protocol), 3 draws; anchors:", ANCHORS_2017)
    out = {"textkit": [], "reference": []}
    for seed in range(3):
        train = draw(data["train_small"], 70, seed)
        print(f" draw {seed}: {len(train)} training queries, {len(data['test'])} test queries")
        out["textkit"].append(run_textkit(train, data["test"]))
        show("textkit (IntentClassifier)", out["textkit"][-1])
        if reference:
            out["reference"].append(run_reference(train, data["test"]))
            show("sklearn-crfsuite", out["reference"][-1])
    for name in ("textkit", "reference"):
        if out[name]:
            mean = np.mean([r["mean_slot_f1"] for r in out[name]])
            micro = np.mean([r["micro_f1"] for r in out[name]])
            print(
                f" {name}: mean per-slot F1 {100 * mean:.1f} (micro {100 * micro:.1f}) over 3 draws"
            )
    return out


def full(data: dict, reference: bool) -> dict:
    print(f"SNIPS, full training set ({len(data['train'])}), slot micro-F1 on the test set")
    out = {"textkit": run_textkit(data["train"], data["test"])}
    show("textkit (IntentClassifier)", out["textkit"])
    if reference:
        out["reference"] = run_reference(data["train"], data["test"])
        show("sklearn-crfsuite", out["reference"])
    return out


def held_out_splits(data: dict):
    """(seed, train, held out) for each of the three 70-per-intent draws, split 80/20: where
    defaults are chosen (no test query is used)."""
    for seed in range(3):
        rows = draw(data["train_small"], 70, seed)
        random.Random(100 + seed).shuffle(rows)
        cut = len(rows) * 4 // 5
        yield seed, rows[:cut], rows[cut:]


def choose(data: dict) -> None:
    """Candidates scored on 20% held out of each small-protocol draw (never the test set)."""
    from textkit.entities import extractor

    candidates = {
        "l2=0": (0.0, True),
        "l2=1e-2": (1e-2, True),
        "l2=1e-1": (1e-1, True),
        "l2=0.3": (0.3, True),
        "l2=1": (1.0, True),
        "l2=1, no intent": (1.0, False),
    }
    results = defaultdict(list)
    for seed, train, held in held_out_splits(data):
        for name, (l2, conditioned) in candidates.items():
            extractor.L2, extractor.CONDITION_ON_INTENT = l2, conditioned
            r = run_textkit(train, held)
            results[name].append(r["mean_slot_f1"])
            print(
                f" draw {seed} {name:<16} held-out mean per-slot F1 {100 * r['mean_slot_f1']:.1f}"
            )
    for name, values in results.items():
        print(f"{name:<16} mean over draws {100 * np.mean(values):.1f}")


def bilstm_versus_crf(data: dict) -> None:
    """The held-out comparison of the two taggers (see the module docstring)."""
    import torch

    from textkit.entities.crf import _padded, crf_nll, viterbi_torch
    from textkit.entities.extractor import EntityExtractor, _bio_spans
    from textkit.entities.features import OUTSIDE, FeatureIndex, bio_tags, token_features, tokenize
    from textkit.modelio import ModelFolder

    class BiLSTMCRF(torch.nn.Module):
        def __init__(self, n_features: int, n_tags: int, dim: int = 64) -> None:
            super().__init__()
            self.bag = torch.nn.EmbeddingBag(n_features, dim, mode="sum")
            self.lstm = torch.nn.LSTM(dim, dim, batch_first=True, bidirectional=True)
            self.out = torch.nn.Linear(2 * dim, n_tags)
            self.start = torch.nn.Parameter(torch.zeros(n_tags))
            self.transition = torch.nn.Parameter(torch.zeros(n_tags, n_tags))
            self.end = torch.nn.Parameter(torch.zeros(n_tags))

        def emissions(self, ids, offsets, lengths):
            x, mask = _padded(self.bag(ids, offsets), lengths)
            packed = torch.nn.utils.rnn.pack_padded_sequence(
                x, lengths, batch_first=True, enforce_sorted=False
            )
            h, _ = self.lstm(packed)
            h, _ = torch.nn.utils.rnn.pad_packed_sequence(h, batch_first=True)
            return self.out(h)[mask]

    def bilstm_predict(train, held, seed):
        torch.manual_seed(seed)
        feats = [token_features(t, tokenize(t), i) for t, _, i in train]
        tags = [bio_tags(tokenize(t), e) for t, e, _ in train]
        names = [OUTSIDE, *sorted({x for row in tags for x in row} - {OUTSIDE})]
        tag_id = {x: k for k, x in enumerate(names)}
        order = list(range(len(train)))
        random.Random(seed).shuffle(order)
        n_val = len(order) // 10
        fit_rows, val_rows = order[n_val:], order[:n_val]
        index = FeatureIndex.fit(feats[k] for k in fit_rows)

        def batch(rows, sentences, tag_rows):
            ids, offsets, flat, lengths, base = [], [], [], [], 0
            for k in rows:
                f, o = index.rows(sentences[k])
                ids.append(f)
                offsets.append(o + base)
                base += len(f)
                flat += tag_rows[k] if tag_rows is not None else []
                lengths.append(len(sentences[k]))
            return (torch.from_numpy(np.concatenate(ids)), torch.from_numpy(np.concatenate(offsets)),
                    torch.tensor(flat, dtype=torch.long), torch.tensor(lengths))  # fmt: skip

        tag_rows = [[tag_id[x] for x in row] for row in tags]
        net = BiLSTMCRF(len(index), len(names))
        opt = torch.optim.Adam(net.parameters(), lr=5e-3)
        best, best_state, waited = -1.0, None, 0
        for _epoch in range(40):
            net.train()
            random.Random(_epoch).shuffle(fit_rows)
            for b in range(0, len(fit_rows), 16):
                ids, offsets, y, lengths = batch(fit_rows[b : b + 16], feats, tag_rows)
                loss = crf_nll(net, net.emissions(ids, offsets, lengths), y, lengths).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
            net.eval()
            with torch.no_grad():
                ids, offsets, _, lengths = batch(val_rows, feats, tag_rows)
                paths = viterbi_torch(net, net.emissions(ids, offsets, lengths), lengths)
            got = [{(a, z, n) for a, z, n in _bio_spans([names[k] for k in p])} for p in paths]
            want = [{(a, z, n) for a, z, n in _bio_spans(tags[k])} for k in val_rows]
            right = sum(len(g & w) for g, w in zip(got, want, strict=True))
            f1 = 2 * right / max(1, sum(map(len, got)) + sum(map(len, want)))
            if f1 > best:
                best, waited = f1, 0
                best_state = {k: v.clone() for k, v in net.state_dict().items()}
            else:
                waited += 1
                if waited >= 6:
                    break
        net.load_state_dict(best_state)
        net.eval()
        held_feats = [token_features(t, tokenize(t), i) for t, _, i in held]
        out = []
        with torch.no_grad():
            for k, (text, _, _) in enumerate(held):
                spans = tokenize(text)
                if not spans:
                    out.append([])
                    continue
                ids, offsets, _, lengths = batch([k], held_feats, None)
                (path,) = viterbi_torch(net, net.emissions(ids, offsets, lengths), lengths)
                out.append([
                    span(n, spans[a][0], spans[z - 1][1])
                    for a, z, n in _bio_spans([names[p] for p in path])
                ])  # fmt: skip
        return out

    from textkit.entities.annotations import Entity

    def span(name, start, end):
        return Entity(name, "", start, end)

    results = defaultdict(list)
    for seed, train, held in held_out_splits(data):
        gold, texts = [e for _, e, _ in held], [t for t, _, _ in held]
        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            crf = EntityExtractor().fit(
                [t for t, _, _ in train], [e for _, e, _ in train], ModelFolder(Path(tmp)),
                {"progress": False}, seed=seed, contexts=[i for _, _, i in train],
            )  # fmt: skip
            crf_s = time.perf_counter() - start
        crf_pred = [crf.extract(t, i) for t, _, i in held]
        start = time.perf_counter()
        lstm_pred = bilstm_predict(train, held, seed)
        lstm_s = time.perf_counter() - start
        for name, pred, secs in (("crf", crf_pred, crf_s), ("bilstm-crf", lstm_pred, lstm_s)):
            r = scores(pred, gold, texts)
            results[name].append(r["mean_slot_f1"])
            print(f" draw {seed} {name:<11} held-out mean per-slot F1 {100 * r['mean_slot_f1']:.1f}"
                  f"  micro {100 * r['micro_f1']:.1f}  fit {secs:.1f} s")  # fmt: skip
    for name, values in results.items():
        print(f"{name:<11} mean over draws {100 * np.mean(values):.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="../shared/data")
    parser.add_argument(
        "--protocol", nargs="+", choices=["small", "full"], default=["small", "full"]
    )
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--choose", action="store_true")
    parser.add_argument("--bilstm", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    data = load(args.data)
    if args.choose:
        choose(data)
        return
    if args.bilstm:
        bilstm_versus_crf(data)
        return
    results = {}
    for protocol in args.protocol:
        results[protocol] = (small if protocol == "small" else full)(data, not args.no_reference)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
