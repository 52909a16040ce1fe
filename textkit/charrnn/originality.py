"""Does generated text copy its training corpus?

Every ``n``-character window of the corpus is hashed once (vectorised, 64-bit polynomial hash);
a generated character is "copied" when it lies inside some ``n``-character window that also
occurs in the corpus and is at least half letters or digits (shared indentation isn't copying).  A line is copied when it contains such a window, or is a whole corpus
line of at least ``min_line`` characters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_BASE = np.uint64(1_000_003)


def _window_hashes(codes: np.ndarray, n: int) -> np.ndarray:
    count = len(codes) - n + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint64)
    h = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(n):
            h = h * _BASE + codes[j : j + count]
    return h


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)


@dataclass
class LineCheck:
    line: str
    copied: bool


class OriginalityChecker:
    """Answers "how much of this text is novel?" against one corpus and one run length ``n``."""

    def __init__(self, corpus: str, n: int = 20, min_line: int = 8) -> None:
        if n < 2:
            raise ValueError("n must be >= 2")
        self.n, self.min_line = n, min_line
        self._hashes = np.unique(_window_hashes(_codes(corpus), n))
        self._lines = {ln.strip() for ln in corpus.splitlines() if len(ln.strip()) >= min_line}

    def copied_mask(self, text: str) -> np.ndarray:
        """True for every character of ``text`` that is inside an n-run found in the corpus."""
        mask = np.zeros(len(text), dtype=bool)
        h = _window_hashes(_codes(text), self.n)
        if len(h) == 0 or len(self._hashes) == 0:
            return mask
        pos = np.searchsorted(self._hashes, h).clip(0, len(self._hashes) - 1)
        # a run counts only if at least half of it is letters or digits: a shared stretch of
        # indentation or punctuation is not copying
        alnum = np.concatenate([[0], np.cumsum([c.isalnum() for c in text])])
        substantive = (alnum[self.n :] - alnum[: -self.n]) * 2 >= self.n
        hit = (self._hashes[pos] == h) & substantive
        # spread each hit over the n characters of its window
        cover = np.zeros(len(text) + 1, dtype=np.int64)
        starts = np.flatnonzero(hit)
        np.add.at(cover, starts, 1)
        np.add.at(cover, starts + self.n, -1)
        return np.cumsum(cover)[: len(text)] > 0

    def novel_fraction(self, text: str) -> float:
        """Share of characters (newlines aside) not inside any copied run; 1.0 for empty text."""
        mask = self.copied_mask(text)
        keep = np.array([c != "\n" for c in text], dtype=bool)
        return 1.0 if not keep.any() else float(1.0 - mask[keep].mean())

    def check_lines(self, text: str) -> list[LineCheck]:
        mask = self.copied_mask(text)
        out, pos = [], 0
        for line in text.split("\n"):
            span = mask[pos : pos + len(line)]
            copied = bool(span.any()) or line.strip() in self._lines
            out.append(LineCheck(line, copied))
            pos += len(line) + 1
        return out
