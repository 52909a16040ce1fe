"""Does generated text copy its training corpus?

A generated character is "copied" when it lies inside some ``n``-character window that also
occurs in the corpus and is at least half letters or digits (shared indentation isn't copying).
A line is copied when it contains such a window, or is a whole corpus line of at least
``min_line`` characters.

The corpus is never held whole: the generated texts' windows are hashed (64-bit polynomial
hash, vectorised) and the corpus is streamed past them a chunk at a time, so checking a sample
against a 100-million-character corpus costs one read of it and a few MB of memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

_BASE = np.uint64(1_000_003)
SCAN_CHUNK = 1 << 20  # corpus characters hashed at a time


def _window_hashes(codes: np.ndarray, n: int) -> np.ndarray:
    count = len(codes) - n + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint64)
    h = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(n):
            h *= _BASE
            h += codes[j : j + count]
    return h


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)


def _substantive(text: str, n: int) -> np.ndarray:
    """For each n-window of ``text``: is at least half of it letters or digits?"""
    alnum = np.concatenate([[0], np.cumsum([c.isalnum() for c in text])])
    return (alnum[n:] - alnum[:-n]) * 2 >= n


@dataclass
class LineCheck:
    line: str
    copied: bool


@dataclass
class Originality:
    """What one scan found for one text."""

    text: str
    mask: np.ndarray  # per character: inside a copied run
    lines: list[LineCheck]

    @property
    def novel_fraction(self) -> float:
        """Share of characters (newlines aside) not inside any copied run; 1.0 for no text."""
        keep = np.array([c != "\n" for c in self.text], dtype=bool)
        return 1.0 if not keep.any() else float(1.0 - self.mask[keep].mean())


class OriginalityChecker:
    """Answers "how much of these texts is novel?" against one corpus and one run length ``n``.

    ``corpus`` is the text itself or a function returning its chunks (e.g. read from the
    model's gzip copy), which is called once per ``check``."""

    def __init__(
        self, corpus: str | Callable[[], Iterable[str]], n: int = 20, min_line: int = 8
    ) -> None:
        if n < 2:
            raise ValueError("n must be >= 2")
        self.n, self.min_line = n, min_line
        if isinstance(corpus, str):
            text = corpus
            self._chunks: Callable[[], Iterable[str]] = lambda: (
                text[i : i + SCAN_CHUNK] for i in range(0, len(text), SCAN_CHUNK)
            )
        else:
            self._chunks = corpus

    def check(self, texts: list[str]) -> list[Originality]:
        """One pass over the corpus for all ``texts``."""
        n = self.n
        hashes = [_window_hashes(_codes(t), n) for t in texts]
        wanted = np.unique(np.concatenate(hashes)) if hashes else np.empty(0, np.uint64)
        want_lines = {
            s for t in texts for ln in t.split("\n") if len(s := ln.strip()) >= self.min_line
        }
        present, found_lines = self._scan(wanted, want_lines)
        out = []
        for text, h in zip(texts, hashes, strict=True):
            mask = np.zeros(len(text), dtype=bool)
            if len(h):
                hit = present[np.searchsorted(wanted, h)] & _substantive(text, n)
                # spread each hit over the n characters of its window
                cover = np.zeros(len(text) + 1, dtype=np.int64)
                starts = np.flatnonzero(hit)
                np.add.at(cover, starts, 1)
                np.add.at(cover, starts + n, -1)
                mask = np.cumsum(cover)[: len(text)] > 0
            lines, pos = [], 0
            for line in text.split("\n"):
                copied = bool(mask[pos : pos + len(line)].any()) or line.strip() in found_lines
                lines.append(LineCheck(line, copied))
                pos += len(line) + 1
            out.append(Originality(text, mask, lines))
        return out

    def _scan(self, wanted: np.ndarray, want_lines: set[str]) -> tuple[np.ndarray, set[str]]:
        """Which ``wanted`` window hashes and which ``want_lines`` occur in the corpus."""
        present = np.zeros(len(wanted), dtype=bool)
        found: set[str] = set()
        tail = ""  # the last n-1 characters (for windows across chunks) / the unfinished line
        line_tail = ""
        for chunk in self._chunks():
            if len(wanted):
                h = _window_hashes(_codes(tail + chunk), self.n)
                pos = np.searchsorted(wanted, h).clip(0, len(wanted) - 1)
                present[pos[wanted[pos] == h]] = True
                tail = (tail + chunk)[-(self.n - 1) :]
            if want_lines:
                lines = (line_tail + chunk).split("\n")
                line_tail = lines.pop()
                found.update(s for ln in lines if (s := ln.strip()) in want_lines)
        if want_lines and line_tail.strip() in want_lines:
            found.add(line_tail.strip())
        return present, found

    # one text at a time ---------------------------------------------------------------
    def copied_mask(self, text: str) -> np.ndarray:
        """True for every character of ``text`` that is inside an n-run found in the corpus."""
        return self.check([text])[0].mask

    def novel_fraction(self, text: str) -> float:
        return self.check([text])[0].novel_fraction

    def check_lines(self, text: str) -> list[LineCheck]:
        return self.check([text])[0].lines
