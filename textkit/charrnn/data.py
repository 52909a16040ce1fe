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

ENCODE_CHUNK = 1 << 18  # characters encoded at a time: temporaries stay a few MB
MIN_SEQ_LEN = 8  # the shortest training sequence a too-short corpus is cut down to


class Vocab:
    """The characters a model knows, in a fixed (sorted) order."""

    def __init__(self, chars: list[str]) -> None:
        if not isinstance(chars, (list, tuple)) or not chars:
            raise TextkitError("a vocabulary must be a non-empty list of characters")
        if not all(isinstance(c, str) and len(c) == 1 for c in chars) or len(set(chars)) != len(
            chars
        ):
            raise TextkitError("a vocabulary must list distinct single characters")
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

    @property
    def dtype(self) -> type:
        """The smallest integer type holding every id: 2 bytes a character for most corpora."""
        return np.int16 if len(self.chars) < 2**15 else np.int32

    def encode(self, text: str) -> np.ndarray:
        """Ids of ``text`` (every character must be in the vocabulary), as ``self.dtype``.
        Encoded a slice at a time into one preallocated array, so a corpus costs its ids
        (2 bytes a character) plus a few MB, not the 20+ bytes of whole-text temporaries."""
        out = np.empty(len(text), dtype=self.dtype)
        sorted_codes = self._codes[self._order]
        for start in range(0, len(text), ENCODE_CHUNK):
            piece = text[start : start + ENCODE_CHUNK]
            codes = np.frombuffer(piece.encode("utf-32-le"), dtype=np.uint32)
            pos = np.searchsorted(sorted_codes, codes).clip(0, len(self.chars) - 1)
            if not np.array_equal(sorted_codes[pos], codes):
                bad = sorted({c for c in piece if c not in self.index})
                raise TextkitError(f"characters not in the model's vocabulary: {bad[:10]!r}")
            out[start : start + len(piece)] = self._order[pos]
        return out

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)

    def decode_array(self, ids: np.ndarray) -> str:
        """``decode`` for a large id array, vectorised (a corpus slice back to text)."""
        return self._codes[np.asarray(ids)].tobytes().decode("utf-32-le")

    def map_unknown(self, text: str) -> MappedText:
        """Map characters the model doesn't know to ones it does, and drop the rest.

        The mapping, in order: the character itself; its other case; its NFKD decomposition
        without accents ("é" -> "e", "ﬁ" -> "fi"); typographic quotes and dashes to ASCII.
        """
        out, dropped, replaced = [], [], {}
        for ch in text:
            for cand in _candidates(ch):
                if all(c in self.index for c in cand):
                    out.append(cand)
                    if cand != ch and ch != "\r":
                        replaced[ch] = cand
                    break
            else:
                dropped.append(ch)
        return MappedText("".join(out), dropped, replaced)


@dataclass
class MappedText:
    """``text`` as a model can read it, and what had to change."""

    text: str
    dropped: list[str]  # characters with no stand-in, removed
    replaced: dict[str, str]  # character -> its stand-in (other case, no accent, ASCII)

    def describe(self, what: str) -> list[str]:
        """One sentence per kind of change, for a warning."""
        notes = []
        if self.replaced:
            pairs = ", ".join(f"{a!r}->{b!r}" for a, b in sorted(self.replaced.items()))
            notes.append(
                f"{what}: replaced {len(self.replaced)} character(s) the model never saw: {pairs}"
            )
        if self.dropped:
            notes.append(
                f"{what}: dropped {len(self.dropped)} character(s) the model never saw: "
                f"{''.join(sorted(set(self.dropped)))!r}"
            )
        return notes


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
        if n < 2 * self.seq_len:  # split_train_val and fit_seq_len guarantee this
            raise TextkitError(
                f"text has {n} characters, fewer than two training sequences "
                f"(2 x seq_len {self.seq_len}); use more text or a smaller --seq-len"
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


def min_chars(seq_len: int) -> int:
    """The shortest text training with ``seq_len`` can use: a train and a validation split of
    two sequences each (one for the epoch offset, one to train on)."""
    return 4 * seq_len


def named(sources: list[str]) -> str:
    """How messages name a corpus: its files (the first three), or "the corpus"."""
    if not sources:
        return "the corpus"
    shown = ", ".join(sources[:3]) + (f" and {len(sources) - 3} more" if len(sources) > 3 else "")
    return f"the corpus ({shown})"


def fit_seq_len(n_chars: int, seq_len: int, sources: list[str] | None = None) -> int:
    """``seq_len``, or the longest shorter one a corpus of ``n_chars`` characters supports."""
    if n_chars >= min_chars(seq_len):
        return seq_len
    if n_chars < min_chars(MIN_SEQ_LEN):
        raise TextkitError(
            f"{named(sources or [])} has {n_chars} characters, too short to train on: it needs at least "
            f"{min_chars(MIN_SEQ_LEN)}. Use more text"
        )
    return n_chars // 4


def split_train_val(
    ids: np.ndarray, val_fraction: float, seq_len: int, sources: list[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The last ``val_fraction`` of the text is held out for validation; each split keeps at
    least two sequences (views of ``ids``: no copy)."""
    need = min_chars(seq_len)
    if len(ids) < need:
        raise TextkitError(
            f"{named(sources or [])} has {len(ids)} characters, too short to train on with "
            f"seq_len {seq_len}: "
            f"it needs at least {need}. Use more text or a smaller --seq-len"
        )
    n_val = max(2 * seq_len, round(len(ids) * val_fraction))
    n_val = min(n_val, len(ids) - 2 * seq_len)
    return ids[:-n_val], ids[-n_val:]
