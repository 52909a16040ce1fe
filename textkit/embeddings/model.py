"""``Word2Vec`` and ``Doc2Vec``: gensim trains, textkit does the rest (reading and preprocessing
the corpus once, progress and per-epoch loss, a reproducible mode, a model folder with no
pickle in it, querying with the model's own pipeline, evaluation, export).

Gensim's own ``save``/``load`` pickle the whole object, and unpickling a file from a user path
can run code.  A textkit folder stores the arrays (safetensors) and the vocabulary, tags and
settings (JSON), and rebuilds the gensim object from them when it is needed (doc2vec inference).
"""

from __future__ import annotations

import os
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np

from textkit.cache import cache_dir
from textkit.embeddings.config import EMBEDDINGS_PIPELINE, Doc2VecConfig, Word2VecConfig
from textkit.embeddings.corpus import CACHE_FOLDER, PreparedCorpus, prepare
from textkit.embeddings.vectors import Vectors
from textkit.errors import TextkitError
from textkit.estimator import Estimator
from textkit.modelio import (
    ModelFolder,
    read_array_header,
)
from textkit.settings import with_overrides
from textkit.text.pipeline import PIPELINE_FILE, Pipeline
from textkit.training.config import TrainConfig, chosen, run_config
from textkit.training.runlog import RunLog, TrainResult

VOCAB = "vocab.json"
TAGS = "tags.json"
SNIPPETS = "snippets.json"  # the start of each training document, to show beside its tag


def stable_hash(text: str) -> int:
    """A hash that is the same in every process (Python's string hash is salted per process),
    for gensim's per-word initial vectors: with one worker, a seeded run repeats exactly."""
    return zlib.crc32(text.encode("utf-8"))


class _Epochs:
    """gensim callback: per-epoch loss (gensim's running loss is cumulative, so the difference),
    words/s, a progress bar with an ETA, and a metrics row per epoch."""

    def __init__(
        self, runlog: RunLog, epochs: int, words: int, with_loss: bool, progress: bool | None
    ) -> None:
        from textkit.progress import Progress

        self.runlog, self.words, self.with_loss = runlog, words, with_loss
        self.bar = Progress(epochs, "epoch", desc="training", show=progress)
        self.epoch, self.last_loss, self.started = 0, 0.0, time.monotonic()

    def on_train_begin(self, model) -> None:  # gensim calls all four (duck-typed callbacks)
        pass

    def on_train_end(self, model) -> None:
        pass

    def on_epoch_begin(self, model) -> None:
        self.t0 = time.monotonic()

    def on_epoch_end(self, model) -> None:
        self.epoch += 1
        seconds = time.monotonic() - self.t0
        row = {
            "step": self.epoch,
            "epoch": self.epoch,
            "words_per_s": self.words / max(seconds, 1e-9),
            "elapsed_s": round(time.monotonic() - self.started, 2),
        }
        if self.with_loss:
            total = model.get_latest_training_loss()
            row["train_loss"] = float(total - self.last_loss)
            self.last_loss = total
        self.runlog.record(row)
        shown = {"words/s": f"{row['words_per_s']:,.0f}"}
        if "train_loss" in row:
            shown["loss"] = f"{row['train_loss']:.4g}"
        self.bar.set_postfix(shown)
        self.bar.update(1)


class _Embedding(Estimator):
    """What Word2Vec and Doc2Vec share."""

    CONFIG: ClassVar[type] = Word2VecConfig

    def __init__(self, config=None, *, pipeline: Pipeline | None = None, **overrides) -> None:
        self.config = with_overrides(type(self).__name__, self.CONFIG, config, overrides)
        self.pipeline = pipeline or EMBEDDINGS_PIPELINE
        self.words_: Vectors | None = None
        self.info: dict = {}

    def is_trained(self) -> bool:
        return self.words_ is not None

    # ------------------------------------------------------------------ training
    def _gensim_params(self) -> dict:
        c = self.config
        workers = c.workers or (1 if c.reproducible else os.cpu_count() or 1)
        return dict(
            vector_size=c.vector_size,
            window=c.window,
            min_count=c.min_count,
            negative=c.negative if c.loss == "negative" else 0,
            hs=int(c.loss == "hs"),
            sample=c.sample,
            alpha=c.alpha,
            min_alpha=c.min_alpha,
            workers=workers,
            seed=c.seed if c.seed is not None else 1,
            hashfxn=stable_hash,
            max_final_vocab=c.max_vocab,
        )

    def _train(
        self,
        gensim_model,
        corpus: PreparedCorpus,
        folder: ModelFolder,
        with_loss: bool,
        progress: bool | None,
    ) -> TrainResult:
        gensim_model.build_vocab(corpus_file=str(corpus.path))
        if len(gensim_model.wv) == 0:
            raise TextkitError(
                f"{corpus.source}: no word occurs at least {self.config.min_count} times "
                f"(min_count); lower --min-count or give more text"
            )
        runlog = RunLog(folder, "epoch", "max")
        cb = _Epochs(
            runlog, self.config.epochs, gensim_model.corpus_total_words, with_loss, progress
        )
        start = time.monotonic()
        try:
            gensim_model.train(
                corpus_file=str(corpus.path),
                total_examples=gensim_model.corpus_count,
                total_words=gensim_model.corpus_total_words,
                epochs=self.config.epochs,
                callbacks=[cb],
                compute_loss=with_loss,
            )
        finally:
            cb.bar.close()
        elapsed = time.monotonic() - start
        words_per_s = gensim_model.corpus_total_words * self.config.epochs / max(elapsed, 1e-9)
        return runlog.result(
            self.config.epochs, "epochs", elapsed_s=elapsed, units_per_s=words_per_s
        )

    def _prepare(self, corpus, out: Path | None, progress: bool | None) -> PreparedCorpus:
        if isinstance(corpus, PreparedCorpus):
            return corpus
        cache = cache_dir() / CACHE_FOLDER
        tags = getattr(self.config, "tags", "line")
        return prepare(corpus, self.pipeline, cache, tags=tags, progress=progress)

    # ------------------------------------------------------------------ the folder
    def _write(self, folder: ModelFolder, arrays: dict[str, np.ndarray]) -> None:
        self.pipeline.save(folder.file(PIPELINE_FILE))
        folder.write_json(VOCAB, {"words": self.words_.keys, "counts": self.words_.counts})
        folder.save_arrays(arrays, self.WEIGHTS)
        folder.write_config(
            self.KIND, {"model": self.config.to_dict(), "engine": self._engine(), **self.info}
        )

    def _engine(self) -> dict:
        import gensim

        backend = self.info.get("training", {}).get("backend", "gensim")
        if backend == "torch":
            return {"name": "torch", "version": self.info["training"].get("torch")}
        return {"name": "gensim", "version": gensim.__version__}

    @classmethod
    def _from_config(cls, config: dict):
        model = cls(cls.CONFIG.from_dict(config["model"]))
        model.info = {
            k: v
            for k, v in config.items()
            if k in ("corpus", "training", "best_metrics", "evaluation")
        }
        return model

    def _read_vocab(self, folder: ModelFolder) -> tuple[list[str], list[int]]:
        vocab = folder.read_json(VOCAB)
        if not isinstance(vocab, dict) or not isinstance(vocab.get("words"), list):
            raise TextkitError(f"{folder.file(VOCAB)} is not a textkit vocabulary; retrain")
        words, counts = vocab["words"], vocab.get("counts") or [0] * len(vocab["words"])
        valid = (
            isinstance(counts, list)
            and len(words) == len(counts)
            and all(isinstance(w, str) for w in words)
            and len(set(words)) == len(words)  # a word twice would shadow the other's vector
            # counts rebuild doc2vec's vocabulary for inference: whole numbers, none negative
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts)
        )
        if not valid:
            raise TextkitError(f"{folder.file(VOCAB)} is corrupt; retrain")
        return words, counts

    def _check_shapes(self, path: Path, expected: dict[str, list[int]]) -> None:
        found = {k: shape for k, (_, shape) in read_array_header(path).items()}
        if found != expected:
            raise TextkitError(
                f"{path} does not match vocab.json and config.json "
                f"(expected {expected}, found {found}); retrain"
            )

    # ------------------------------------------------------------------ querying
    def _word(self, word: str) -> str:
        """A query word as the model's pipeline makes it (a stemmed model stems the query)."""
        tokens = self.pipeline.tokens(word)
        if len(tokens) != 1:
            raise TextkitError(
                f"{word!r} is not one word for this model's pipeline (it gives {tokens})"
            )
        return tokens[0]

    def vector(self, word: str) -> np.ndarray:
        self._require_trained()
        return self.words_.vector(self._word(word))

    def most_similar(self, word: str, topn: int = 10) -> list[tuple[str, float]]:
        """The ``topn`` words closest to ``word`` (cosine similarity)."""
        self._require_trained()
        return self.words_.most_similar(self._word(word), topn=topn)

    def similarity(self, a: str, b: str) -> float:
        self._require_trained()
        return self.words_.similarity(self._word(a), self._word(b))

    def analogy(self, a: str, b: str, c: str, topn: int = 5) -> list[tuple[str, float]]:
        """``a - b + c``: ``analogy("king", "man", "woman")`` looks for "queen"."""
        self._require_trained()
        return self.words_.analogy(self._word(a), self._word(b), self._word(c), topn=topn)

    def evaluate(self, **kwargs) -> dict:
        """Analogy accuracy and word-similarity correlations (see ``embeddings.evaluate``)."""
        from textkit.embeddings.evaluate import evaluate_words

        self._require_trained()
        return evaluate_words(self, **kwargs)


class Word2Vec(_Embedding):
    """Word vectors: skip-gram or CBOW, negative sampling or hierarchical softmax (gensim).

    >>> w2v = Word2Vec(vector_size=100, epochs=5)
    >>> w2v.fit("corpus.txt", "models/w2v")
    >>> w2v.most_similar("king"); w2v.analogy("king", "man", "woman")
    """

    KIND = "word2vec"
    CONFIG = Word2VecConfig

    def fit(
        self,
        corpus,
        out: str | Path | None = None,
        train_config: TrainConfig | dict | None = None,
        *,
        overwrite: bool = False,
        log: Callable[[str], None] | None = None,
    ) -> TrainResult:
        """Train on ``corpus`` (a path, or a ``Source`` saying how to read it), saving the model
        folder at ``out`` if given.  The backend (gensim, or torch on CUDA) changes the speed,
        not the result's shape: the same folder, queries, evaluation and export.  Of
        ``train_config``, gensim uses ``progress``; the torch backend's loop takes all of it
        (SGD with linear decay from ``alpha`` unless it says otherwise)."""
        import tempfile

        self._check_out(out, overwrite)
        cfg = TrainConfig(**chosen(train_config))
        prepared = self._prepare(corpus, out, cfg.progress)
        backend = self.backend(cfg.device)
        if backend == "gensim":
            cfg.check_device()
        with tempfile.TemporaryDirectory() as tmp:
            with self._run(Path(out) if out else Path(tmp) / "m", overwrite=overwrite) as folder:
                if backend == "torch":
                    result, engine = self._fit_torch(prepared, folder, train_config, log)
                else:
                    result, engine = self._fit_gensim(prepared, folder, cfg.progress)
                self.info = {
                    "corpus": {
                        "source": prepared.source,
                        "documents": prepared.documents,
                        "tokens": prepared.tokens,
                    },
                    "training": {
                        **engine,
                        "words_per_s": result.units_per_s,
                        "seconds": result.elapsed_s,
                    },
                    "loss_unit": "gensim loss" if backend == "gensim" else "nats/pair",
                }
                self.info["best_metrics"] = self._headline()
                self._write(folder, {"vectors": self.words_.matrix})
                _plot(folder)
            self.folder = folder if out else None
        return result

    def backend(self, device: str = "auto") -> str:
        """The backend ``auto`` resolves to on ``device``: torch when that is CUDA (or, for
        "auto", when CUDA is available), else gensim."""
        if self.config.backend != "auto":
            return self.config.backend
        if device.startswith("cuda"):
            return "torch"
        if device == "auto":
            import importlib.util

            if importlib.util.find_spec("torch") is not None:
                import torch

                return "torch" if torch.cuda.is_available() else "gensim"
        return "gensim"

    def _fit_gensim(self, prepared: PreparedCorpus, folder: ModelFolder, progress: bool | None):
        from gensim.models import Word2Vec as GensimWord2Vec

        params = self._gensim_params()
        model = GensimWord2Vec(
            sg=int(self.config.architecture == "skipgram"), epochs=self.config.epochs, **params
        )
        result = self._train(model, prepared, folder, with_loss=True, progress=progress)
        wv = model.wv
        self.words_ = Vectors(
            wv.index_to_key, wv.vectors, [int(wv.get_vecattr(w, "count")) for w in wv.index_to_key]
        )
        return result, {"backend": "gensim", "workers": params["workers"]}

    def _fit_torch(self, prepared: PreparedCorpus, folder: ModelFolder, train_config, log):
        """The PyTorch backend (``torch_w2v``), through the shared training loop."""
        from textkit.embeddings.torch_w2v import Word2VecTask, build_vocab, encode_corpus
        from textkit.training.loop import Trainer

        c = self.config
        words, counts = build_vocab(prepared.path, c.min_count, c.max_vocab)
        if not words:
            raise TextkitError(
                f"{prepared.source}: no word occurs at least {c.min_count} times "
                "(min_count); lower --min-count or give more text"
            )
        ids, docs = encode_corpus(prepared.path, words)
        seed = c.seed if c.seed is not None else 1
        task = Word2VecTask(
            ids,
            docs,
            counts,
            dim=c.vector_size,
            window=c.window,
            negative=c.negative,
            sample=c.sample,
            sg=c.architecture == "skipgram",
            batch_words=c.batch_words,
            seed=seed,
        )
        defaults = dict(
            optimizer="sgd",
            lr=c.alpha,
            schedule="linear",
            clip=0.0,
            seed=seed,
            amp=False,
            max_steps=task.steps_per_epoch * c.epochs,
            eval_every=task.steps_per_epoch,
        )
        trainer = Trainer(run_config(train_config, defaults), folder, log=log)

        def on_best(row: dict) -> None:
            pass  # the last weights are kept: the learning rate decays to its end

        task.on_best = on_best
        result = trainer.fit(task)
        self.words_ = Vectors(words, task.model.syn0.weight.detach().cpu().numpy(), counts)
        import torch

        return result, {
            "backend": "torch",
            "device": str(trainer.device),
            "torch": torch.__version__,
        }

    def _headline(self) -> dict:
        """Analogy accuracy and WordSim353 on gensim's test data, for `textkit models`."""
        from textkit.embeddings.evaluate import evaluate_words, test_data

        report = evaluate_words(self, similarities=[test_data("wordsim353.tsv")])
        return {
            "analogy_accuracy": report["analogy_accuracy"],
            "wordsim353_spearman": report["wordsim353"]["spearman"],
        }

    @classmethod
    def from_vectors(cls, vectors: Vectors, pipeline: Pipeline | None = None) -> Word2Vec:
        """A model around pretrained vectors (e.g. ``Vectors.load_word2vec("glove.txt")``), to
        query, evaluate and save like a trained one."""
        model = cls(vector_size=vectors.dim, pipeline=pipeline or Pipeline(lowercase=False))
        model.words_ = vectors
        model.info = {"corpus": {"source": "imported vectors"}, "best_metrics": model._headline()}
        return model

    def _write_folder(self, folder: ModelFolder) -> None:
        self._write(folder, {"vectors": self.words_.matrix})

    def _load_arrays(self, folder: ModelFolder, device: str) -> None:
        self.pipeline = Pipeline.load(folder.file(PIPELINE_FILE))
        words, counts = self._read_vocab(folder)
        self._check_shapes(
            folder.file(self.WEIGHTS), {"vectors": [len(words), self.config.vector_size]}
        )
        self.words_ = Vectors(words, folder.load_arrays(self.WEIGHTS)["vectors"], counts)


class Doc2Vec(_Embedding):
    """Document vectors: PV-DBOW (optionally with word vectors trained alongside) or PV-DM."""

    KIND = "doc2vec"
    CONFIG = Doc2VecConfig

    def __init__(self, config=None, **kwargs) -> None:
        super().__init__(config, **kwargs)
        self.docs_: Vectors | None = None
        self.snippets_: dict[str, str] = {}
        self._gensim = None
        self._output: dict[str, np.ndarray] = {}

    def fit(
        self,
        corpus,
        out: str | Path | None = None,
        train_config: TrainConfig | dict | None = None,
        *,
        overwrite: bool = False,
        log: Callable[[str], None] | None = None,
    ) -> TrainResult:
        """Train on ``corpus`` (a path or a ``Source``); each document's tag is its line number,
        its file's name or a column (``config.tags``; "column" reads the Source's
        ``label_column``).  Of ``train_config``, gensim uses ``progress``."""
        import tempfile

        from gensim.models import Doc2Vec as GensimDoc2Vec

        self._check_out(out, overwrite)
        cfg = TrainConfig(**chosen(train_config))
        cfg.check_device()
        prepared = self._prepare(corpus, out, cfg.progress)
        c = self.config
        model = GensimDoc2Vec(
            dm=int(c.method == "dm"),
            dbow_words=int(c.dbow_words),
            epochs=c.epochs,
            **self._gensim_params(),
        )
        with tempfile.TemporaryDirectory() as tmp:
            with self._run(Path(out) if out else Path(tmp) / "m", overwrite=overwrite) as folder:
                result = self._train(
                    model, prepared, folder, with_loss=False, progress=cfg.progress
                )
                self._take(model, _distinct(prepared.tags))
                self.snippets_ = dict(zip(self.docs_.keys, prepared.snippets, strict=True))
                self.info = {
                    "corpus": {
                        "source": prepared.source,
                        "documents": prepared.documents,
                        "tokens": prepared.tokens,
                        "tags": c.tags,
                    },
                    "best_metrics": {"documents": len(self.docs_)},
                    "training": {
                        "words_per_s": result.units_per_s,
                        "seconds": result.elapsed_s,
                        "loss": "gensim reports no loss for doc2vec",
                    },
                }
                self._write_folder(folder)
            self.folder = folder if out else None
        return result

    def _take(self, model, tags: list[str]) -> None:
        wv = model.wv
        self.words_ = Vectors(
            wv.index_to_key, wv.vectors, [int(wv.get_vecattr(w, "count")) for w in wv.index_to_key]
        )
        self.docs_ = Vectors(tags, model.dv.vectors[: len(tags)], what="document")
        self._output = (
            {"syn1neg": model.syn1neg} if self.config.loss == "negative" else {"syn1": model.syn1}
        )
        self._gensim = model

    def _write_folder(self, folder: ModelFolder) -> None:
        folder.write_json(TAGS, self.docs_.keys)
        folder.write_json(SNIPPETS, [self.snippets_.get(t, "") for t in self.docs_.keys])
        self._write(
            folder,
            {"word_vectors": self.words_.matrix, "doc_vectors": self.docs_.matrix, **self._output},
        )

    def _load_arrays(self, folder: ModelFolder, device: str) -> None:
        self.pipeline = Pipeline.load(folder.file(PIPELINE_FILE))
        words, counts = self._read_vocab(folder)
        tags = folder.read_json(TAGS)
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise TextkitError(f"{folder.file(TAGS)} is corrupt; retrain")
        out = "syn1neg" if self.config.loss == "negative" else "syn1"
        d, n = self.config.vector_size, len(words)
        self._check_shapes(
            folder.file(self.WEIGHTS),
            {
                "word_vectors": [n, d],
                "doc_vectors": [len(tags), d],
                out: [n - 1 if out == "syn1" else n, d],
            },
        )
        arrays = folder.load_arrays(self.WEIGHTS)
        self.words_ = Vectors(words, arrays["word_vectors"], counts)
        self.docs_ = Vectors(tags, arrays["doc_vectors"], what="document")
        self.snippets_ = {}
        if folder.file(SNIPPETS).is_file():  # (models from before snippets have none)
            snippets = folder.read_json(SNIPPETS)
            if not isinstance(snippets, list) or len(snippets) != len(tags):
                raise TextkitError(f"{folder.file(SNIPPETS)} is corrupt; retrain")
            self.snippets_ = dict(zip(tags, map(str, snippets), strict=True))
        self._output = {out: arrays[out]}
        self._gensim = None

    # ------------------------------------------------------------------ inference
    def _inference_model(self):
        """A gensim Doc2Vec rebuilt from the arrays (no pickle): its vocabulary from the saved
        counts, then the word and output vectors put back row by row."""
        if self._gensim is not None:
            return self._gensim
        from gensim.models import Doc2Vec as GensimDoc2Vec

        c = self.config
        params = self._gensim_params() | {"min_count": 1, "max_final_vocab": None, "workers": 1}
        model = GensimDoc2Vec(
            dm=int(c.method == "dm"), dbow_words=int(c.dbow_words), epochs=c.epochs, **params
        )
        counts = self.words_.counts or [1] * len(self.words_)
        model.build_vocab_from_freq(
            dict(zip(self.words_.keys, (max(int(n), 1) for n in counts), strict=True))
        )
        rows = np.array([model.wv.key_to_index[w] for w in self.words_.keys])
        model.wv.vectors[rows] = self.words_.matrix
        if "syn1neg" in self._output:
            model.syn1neg[rows] = self._output["syn1neg"]
        else:
            model.syn1 = self._output["syn1"]
        self._gensim = model
        return model

    def infer(self, text: str, epochs: int | None = None) -> np.ndarray:
        """The vector of a new document (gensim's inference, after the model's pipeline)."""
        self._require_trained()
        tokens = self.pipeline.tokens(text)
        if not tokens:
            raise TextkitError("the text has no words once processed; nothing to infer from")
        model = self._inference_model()
        if self.config.seed is not None:
            model.random.seed(self.config.seed)
        return model.infer_vector(tokens, epochs=epochs or self.config.epochs)

    def similar_documents(self, text: str, topn: int = 10) -> list[tuple[str, float]]:
        """The training documents closest to ``text`` (by inferred vector): (tag, cosine);
        ``snippets_[tag]`` is the start of each one's text."""
        vector = self.infer(text)
        return self.docs_.most_similar(vector, topn=topn)

    def is_trained(self) -> bool:
        return self.words_ is not None and self.docs_ is not None

    def evaluate(self, **kwargs) -> dict:
        from textkit.embeddings.evaluate import evaluate_documents, evaluate_words

        self._require_trained()
        report = evaluate_documents(self)
        if self.config.method == "dm" or self.config.dbow_words:
            report.update(evaluate_words(self, **kwargs))
        return report


def _distinct(tags: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for t in tags:
        seen[t] = seen.get(t, 0) + 1
        out.append(t if seen[t] == 1 else f"{t}#{seen[t]}")
    return out


def _plot(folder: ModelFolder) -> None:
    from textkit.plots import plot_metrics

    plot_metrics(folder, "gensim")
