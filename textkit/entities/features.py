"""Tokens and their features for the sequence tagger: the word and its shape, prefixes and
suffixes, and the same for the neighbours, the usual features of a linear-chain CRF tagger
(as in CoNLL-era NER and crfsuite's tutorials).  Tags are BIO: ``B-city`` begins a city,
``I-city`` continues it, ``O`` is outside every entity."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

TOKEN = re.compile(r"\w+|[^\w\s]")  # a run of word characters, or one other visible character
OUTSIDE = "O"
MAX_FEATURES = 300_000  # the most frequent feature strings kept (the tagger's rows)


def tokenize(text: str) -> list[tuple[int, int]]:
    """(start, end) of each token of ``text``."""
    return [(m.start(), m.end()) for m in TOKEN.finditer(text)]


def _shape(word: str) -> str:
    """ "Boston" -> "Xx", "7pm" -> "dx", "19:00" is three tokens; runs collapsed."""
    out = []
    for ch in word:
        c = "X" if ch.isupper() else "x" if ch.isalpha() else "d" if ch.isdigit() else ch
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)[:6]


def _word_features(word: str, at: str) -> list[str]:
    low = word.lower()
    return [f"{at}w={low}", f"{at}shape={_shape(word)}"]


def token_features(
    text: str, spans: Sequence[tuple[int, int]], context: str | None = None
) -> list[list[str]]:
    """The feature strings of each token; with ``context`` (the text's intent), each feature
    also conjoined with it, so "to [Boston](city)" and "play [Boston](artist)" can differ."""
    words = [text[s:e] for s, e in spans]
    n = len(words)
    out = []
    for i, word in enumerate(words):
        low = word.lower()
        f = ["bias", f"w={low}", f"shape={_shape(word)}", f"len={min(len(word), 8)}"]
        f += [f"p{k}={low[:k]}" for k in (1, 2, 3) if len(low) > k]
        f += [f"s{k}={low[-k:]}" for k in (1, 2, 3) if len(low) > k]
        if word.isdigit():
            f.append("digit")
        if word[:1].isupper():
            f.append("title")
        if i == 0:
            f.append("first")
        if i == n - 1:
            f.append("last")
        for d in (-2, -1, 1, 2):
            j = i + d
            if 0 <= j < n:
                f += _word_features(words[j], f"{d:+d}:")
            else:
                f.append(f"{d:+d}:edge")
        if i > 0:
            f.append(f"-1|0={words[i - 1].lower()}|{low}")
        if i < n - 1:
            f.append(f"0|+1={low}|{words[i + 1].lower()}")
        if context is not None:
            f += [f"{context}&{x}" for x in f]
        out.append(f)
    return out


def bio_tags(spans: Sequence[tuple[int, int]], entities) -> list[str]:
    """Each token's BIO tag: a token overlapping an entity is inside it; the first such token
    begins it."""
    tags = [OUTSIDE] * len(spans)
    for e in entities:
        first = True
        for i, (s, t) in enumerate(spans):
            if s < e.end and t > e.start:
                tags[i] = f"{'B' if first else 'I'}-{e.entity}"
                first = False
    return tags


class FeatureIndex:
    """Feature strings -> row numbers (the most frequent ``MAX_FEATURES`` of the training
    data; unseen strings are dropped at prediction)."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.index = {name: i for i, name in enumerate(names)}

    @classmethod
    def fit(
        cls, feature_lists: Iterable[list[list[str]]], limit: int = MAX_FEATURES
    ) -> FeatureIndex:
        counts: Counter = Counter()
        for sentence in feature_lists:
            for token in sentence:
                counts.update(token)
        return cls([name for name, _ in counts.most_common(limit)])

    def __len__(self) -> int:
        return len(self.names)

    def rows(self, sentence: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
        """(feature ids, offsets): each token's known features, flattened, for a sum-bag."""
        ids, offsets = [], []
        for token in sentence:
            offsets.append(len(ids))
            ids.extend(i for i in map(self.index.get, token) if i is not None)
        return np.asarray(ids, dtype=np.int64), np.asarray(offsets, dtype=np.int64)
