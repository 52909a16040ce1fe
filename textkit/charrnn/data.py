"""Characters <-> ids, and the contiguous-stream batches of truncated BPTT.

The training text is cut into ``batch_size`` contiguous streams; batch ``i`` holds the ``i``-th
``seq_len`` window of every stream, so the hidden state at the end of one batch is the right
start for the next (char-rnn / torch-rnn style).  Each epoch shifts the windows by a seeded
offset so the model doesn't always see the same cut points.  A batch is a pure function of
(epoch, index): resuming needs only the step number and the carried hidden state.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

import numpy as np
import torch

from textkit.errors import TextkitError


class Vocab:
    """The characters a model knows, in a fixed (sorted) order."""

    def __init__(self, chars: list[str]) -> None:
        self.chars = list(chars)
        self.index = {c: i for i, c in enumerate(self.chars)}
        self._codes = np.array([ord(c) for c in self.chars], dtype=np.uint32)
        self._order = np.argsort(self._codes)

    @classmethod
    def from_text(cls, text: str) -> Vocab:
        return cls(sorted(set(text)))

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, ch: str) -> bool:
        return ch in self.index

    def encode(self, text: str) -> np.ndarray:
        """Ids of ``text`` (every character must be in the vocabulary), fast for whole corpora."""
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        sorted_codes = self._codes[self._order]
        pos = np.searchsorted(sorted_codes, codes).clip(0, len(self.chars) - 1)
        if not np.array_equal(sorted_codes[pos], codes):
            bad = sorted({c for c in text if c not in self.index})
            raise TextkitError(f"characters not in the model's vocabulary: {bad[:10]!r}")
        return self._order[pos].astype(np.int64)

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)

    def map_unknown(self, text: str) -> tuple[str, list[str]]:
        """Map characters the model doesn't know to ones it does, and drop the rest.

        The mapping, in order: the character itself; its other case; its NFKD decomposition
        without accents ("é" -> "e", "ﬁ" -> "fi"); typographic quotes and dashes to ASCII.
        Returns the mapped text and the characters that had to be dropped.
        """
        out, dropped = [], []
        for ch in text:
            for cand in _candidates(ch):
                if all(c in self.index for c in cand):
                    out.append(cand)
                    break
            else:
                dropped.append(ch)
        return "".join(out), dropped


_ASCII_FALLBACK = {
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
    "\u2026": "...", "\u00a0": " ", "\t": " ", "\r": "",
}  # fmt: skip


def _candidates(ch: str) -> list[str]:
    decomposed = "".join(
        c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
    )
    cands = [ch, ch.lower(), ch.upper(), decomposed, decomposed.lower(), _ASCII_FALLBACK.get(ch)]
    return [c for c in cands if c is not None and (c or ch == "\r")]


@dataclass
class StreamBatches:
    """Contiguous-stream batches over one id sequence."""

    ids: torch.Tensor  # 1-D, int
    batch_size: int
    seq_len: int
    seed: int = 0

    def __post_init__(self) -> None:
        n = len(self.ids)
        if n < self.seq_len + 1:
            raise TextkitError(
                f"text has {n} characters, fewer than one training sequence "
                f"(--seq-len {self.seq_len} + 1); use more text or a smaller --seq-len"
            )
        # leave room for an offset of up to seq_len - 1 in every epoch
        usable = n - self.seq_len
        self.streams = max(1, min(self.batch_size, usable // self.seq_len))
        self.stream_len = (usable // self.streams) // self.seq_len * self.seq_len
        self.batches_per_epoch = self.stream_len // self.seq_len

    def offset(self, epoch: int) -> int:
        if epoch == 0:
            return 0
        return random.Random(self.seed * 1_000_003 + epoch).randrange(self.seq_len)

    def batch(self, epoch: int, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs and targets, each (streams, seq_len)."""
        o = self.offset(epoch)
        span = self.streams * self.stream_len
        x = self.ids[o : o + span].view(self.streams, self.stream_len)
        y = self.ids[o + 1 : o + 1 + span].view(self.streams, self.stream_len)
        cols = slice(index * self.seq_len, (index + 1) * self.seq_len)
        return x[:, cols].long(), y[:, cols].long()


def split_train_val(
    ids: np.ndarray, val_fraction: float, seq_len: int
) -> tuple[np.ndarray, np.ndarray]:
    """The last ``val_fraction`` of the text (at least one sequence) is held out for validation."""
    need = 2 * (seq_len + 1)
    if len(ids) < need:
        raise TextkitError(
            f"corpus has {len(ids)} characters, too short to train on: it needs at least {need} "
            f"(one --seq-len {seq_len} sequence each for training and validation). "
            "Use more text or a smaller --seq-len"
        )
    n_val = max(seq_len + 1, round(len(ids) * val_fraction))
    n_val = min(n_val, len(ids) - (seq_len + 1))
    return ids[:-n_val], ids[-n_val:]
