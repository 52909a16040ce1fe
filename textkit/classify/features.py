"""Sparse n-gram features from the shared Pipeline, computed identically at training and at
prediction time, without scikit-learn or torch (so a saved classifier loads and answers fast).

A text becomes word n-grams of the pipeline's tokens (``"w card arrival"``) and character
n-grams inside each token padded with spaces (``"c rriv"``, as scikit-learn's ``char_wb``, which
helps with typos and unseen word forms).  The vocabulary keeps features seen in enough training
texts; each is weighted by TF-IDF (scikit-learn's smoothed formula, sub-linear term frequency)
and every text's vector is L2-normalised.  A test checks the result equals scikit-learn's
``TfidfVectorizer`` given the same features.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, repeat

import numpy as np

from textkit.classify.config import FeatureConfig
from textkit.errors import TextkitError
from textkit.text.pipeline import CACHED_TOKEN_CHARS, Pipeline

CACHED_GRAMS = 2_000_000  # character n-grams kept for reuse (~150 MB at most), then forgotten

WORD, CHAR = "w ", "c"


@dataclass
class SparseRows:
    """Rows of a sparse matrix in CSR form: row ``r`` holds ``indices[indptr[r]:indptr[r+1]]``
    with ``data`` at the same positions (the layout EmbeddingBag and scikit-learn both take)."""

    indptr: np.ndarray  # int64, len rows + 1
    indices: np.ndarray  # int64
    data: np.ndarray  # float32
    n_features: int

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def select(self, rows: np.ndarray) -> SparseRows:
        starts, ends = self.indptr[rows], self.indptr[rows + 1]
        lens = ends - starts
        indptr = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
        pos = np.repeat(starts - indptr[:-1], lens) + np.arange(indptr[-1])
        return SparseRows(indptr, self.indices[pos], self.data[pos], self.n_features)

    def to_scipy(self):
        from scipy.sparse import csr_matrix

        return csr_matrix(
            (self.data, self.indices, self.indptr), shape=(len(self), self.n_features)
        )


MAX_TEXT_CHARS = 10_000  # characters of a text that count (a chatbot message is far shorter)
MAX_WEIGHTS = 25_000_000  # labels x features a linear head may hold (100 MB of float32)


class Featurizer:
    """Text -> weighted sparse feature ids, through a Pipeline and a fitted vocabulary."""

    def __init__(
        self,
        pipeline: Pipeline,
        config: FeatureConfig,
        vocab: list[str] | None = None,
    ) -> None:
        """A fitted featurizer is given its ``vocab`` here and its weights by ``set_idf`` (a
        model's loader builds the vocabulary's index while its arrays are still being read)."""
        if pipeline.ngrams != (1,):
            raise TextkitError(
                "a classifier's pipeline must emit single tokens (ngrams=(1,)); "
                "set word n-grams with word_ngrams instead"
            )
        self.pipeline, self.config = pipeline, config
        self.vocab: list[str] = []
        self.index: dict[str, int] = {}
        self.idf = np.zeros(0, dtype=np.float32)
        self._typo_index: set[str] | None = None
        self.candidates = 0  # features the training texts offered (fit), before max_features
        self._char_cache: dict[str, list[str]] = {}  # token -> its character n-grams
        self._cached_grams = 0  # n-grams held by _char_cache (bounded by CACHED_GRAMS)
        if vocab is not None:
            self._set_vocab(vocab)

    # ------------------------------------------------------------------ features
    def features(self, text: str) -> list[str]:
        """The feature strings of one text (repeats kept: they are counted).  Only the first
        ``MAX_TEXT_CHARS`` characters count: what one text can cost is bounded."""
        tokens = self.pipeline.tokens(text[:MAX_TEXT_CHARS])
        out: list[str] = []
        if self.config.word_ngrams:
            lo, hi = self.config.word_ngrams
            for n in range(lo, hi + 1):
                out.extend(WORD + " ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        if self.config.char_ngrams and self.config.char_span == "text":
            out.extend(self._char_grams(" ".join(tokens)))
        elif self.config.char_ngrams:
            cache = self._char_cache
            for tok in tokens:
                grams = cache.get(tok)
                if grams is None:
                    grams = self._char_grams(tok)
                    if len(tok) <= CACHED_TOKEN_CHARS:  # long tokens: made each time, not kept
                        self._cached_grams += len(grams)
                        if self._cached_grams > CACHED_GRAMS:
                            cache.clear()
                            self._cached_grams = len(grams)
                        cache[tok] = grams
                out.extend(grams)
        return out

    def _char_grams(self, token: str) -> list[str]:
        lo, hi = self.config.char_ngrams
        padded, grams = f" {token} ", []
        for n in range(lo, hi + 1):
            if len(padded) <= n:  # a short word is one n-gram, once (as char_wb does)
                grams.append(CHAR + padded)
                break
            grams.extend(CHAR + padded[i : i + n] for i in range(len(padded) - n + 1))
        return grams

    # ------------------------------------------------------------------ fitting
    def fit(self, texts: Sequence[str]) -> Featurizer:
        """Build the vocabulary and document frequencies from training texts."""
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts: Sequence[str]) -> SparseRows:
        """Fit on ``texts`` and return their rows, computing each text's features once."""
        return self.fit_counted(self.count(texts))

    def count(self, texts: Iterable[str]) -> list[Counter]:
        """Each text's feature counts: what fitting and weighing start from (a model that fits
        twice on overlapping texts counts each text once)."""
        return [Counter(self.features(text)) for text in texts]

    def fit_counted(self, per_text: list[Counter], max_features: int | None = None) -> SparseRows:
        """``fit_transform`` from ``count``'s output; at most ``max_features`` features if
        given (fewer than the config's)."""
        df = Counter(chain.from_iterable(per_text))  # texts each feature is in (keys: once each)
        c = self.config
        kept = [
            f
            for f, n in df.items()
            if n >= (c.min_count if f.startswith(WORD) else c.min_char_count)
        ]
        self.candidates = len(kept)
        limit = min(c.max_features, max_features or c.max_features)
        if len(kept) > limit:
            kept = sorted(kept, key=lambda f: (-df[f], f))[:limit]
        if not kept:
            raise TextkitError(
                "the training texts give no features: are they empty, or only "
                "words the pipeline drops (stop words, punctuation)?"
            )
        vocab = sorted(kept)
        n = len(per_text)
        idf = np.array([math.log((1 + n) / (1 + df[f])) + 1 for f in vocab], dtype=np.float32)
        self._set_vocab(vocab)
        self.set_idf(idf)
        return self.weigh_counted(per_text)

    def _set_vocab(self, vocab: list[str]) -> None:
        # C-level loops: a large model's vocabulary is checked on every load
        if not all(map(isinstance, vocab, repeat(str))):
            raise TextkitError("a feature vocabulary must list distinct strings")
        self.vocab = list(vocab)
        self.index = dict(zip(self.vocab, range(len(self.vocab)), strict=True))
        if len(self.index) != len(self.vocab):
            raise TextkitError("a feature vocabulary must list distinct strings")
        self._typo_index = None

    def set_idf(self, idf: np.ndarray) -> None:
        """Each vocabulary feature's document-frequency weight."""
        if idf is None or len(idf) != len(self.vocab):
            raise TextkitError("the feature weights (idf) do not match the vocabulary")
        self.idf = np.asarray(idf, dtype=np.float32)

    @property
    def n_features(self) -> int:
        return len(self.vocab)

    # ------------------------------------------------------------------ transforming
    def transform_one(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(feature ids, weights) of one text; empty arrays when no feature is known."""
        return self._weigh(Counter(self.features(text)))

    def _weigh(self, feature_counts: Counter) -> tuple[np.ndarray, np.ndarray]:
        index = self.index
        counts = {i: n for f, n in feature_counts.items() if (i := index.get(f)) is not None}
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        w = self._term_weights(ids, tf)
        order = np.argsort(ids)
        w = w[order]
        return ids[order], (w / np.linalg.norm(w)).astype(np.float32)

    def _term_weights(self, ids: np.ndarray, tf: np.ndarray) -> np.ndarray:
        """Each feature's weight before normalising: binary, counts or TF-IDF (sublinear tf)."""
        c = self.config
        if c.weighting == "binary":
            return np.ones_like(tf)
        w = 1 + np.log(tf) if c.sublinear_tf else tf
        return w * self.idf[ids] if c.weighting == "tfidf" else w

    def transform(self, texts: Iterable[str]) -> SparseRows:
        return self.weigh_counted(self.count(texts))

    def weigh_counted(self, per_text: list[Counter]) -> SparseRows:
        """``_weigh`` of many texts at once: one lookup pass over every feature of every text,
        then the weighting, sorting and normalising done by numpy on all rows together (per
        text, numpy's call overhead cost more than the arithmetic: ~2 s a pass on 15k texts)."""
        sizes = np.fromiter(map(len, per_text), dtype=np.int64, count=len(per_text))
        total = int(sizes.sum())
        # C-level iteration only (chain and map): a Python generator here cost a frame per feature
        features = chain.from_iterable(per_text)
        ids = np.fromiter(map(self.index.get, features, repeat(-1)), dtype=np.int64, count=total)
        counts = chain.from_iterable(map(Counter.values, per_text))
        tf = np.fromiter(counts, dtype=np.float32, count=total)
        rows = np.repeat(np.arange(len(per_text), dtype=np.int64), sizes)
        known = ids >= 0
        ids, tf, rows = ids[known], tf[known], rows[known]
        w = self._term_weights(ids, tf)
        # by row, then feature id (as _weigh sorts each row); one integer key sorts much faster
        # than lexsort's two
        order = np.argsort(rows * max(self.n_features, 1) + ids, kind="stable")
        ids, w, rows = ids[order], w[order].astype(np.float32), rows[order]
        norms = np.sqrt(np.bincount(rows, weights=w.astype(np.float64) ** 2, minlength=len(sizes)))
        w = (w / norms[rows]).astype(np.float32)
        indptr = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=len(sizes)), out=indptr[1:])
        return SparseRows(indptr, ids, w, self.n_features)

    # ------------------------------------------------------------------ known words
    def known_words(self, text: str) -> tuple[int, int]:
        """(known, total) words of ``text``: known if the model saw it as a word, or it is one
        typo (a letter missing, added, changed or two swapped) away from a word of at least four
        letters it saw.  All-unknown input is out of scope whatever the scores say."""
        tokens = self.pipeline.tokens(text[:MAX_TEXT_CHARS])
        known = sum(self._is_known(t) for t in tokens)
        return known, len(tokens)

    def _is_known(self, token: str) -> bool:
        if WORD + token in self.index:
            return True
        if not 4 <= len(token) <= CACHED_TOKEN_CHARS:  # typos of words, not of 10,000 letters
            return False
        if self._typo_index is None:
            words = [f[len(WORD) :] for f in self.vocab if f.startswith(WORD) and " " not in f[2:]]
            self._words = set(words)
            self._typo_index = {
                w[:i] + w[i + 1 :] for w in words if len(w) >= 4 for i in range(len(w))
            }
        deletes = {token[:i] + token[i + 1 :] for i in range(len(token))}
        return (
            token in self._typo_index
            or bool(deletes & self._words)
            or bool(deletes & self._typo_index)
        )
