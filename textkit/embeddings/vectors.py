"""``Vectors``: keys (words or document tags) and their vectors, for querying and export, whatever
trained them (gensim's KeyedVectors idea, in numpy: loading and querying import no gensim).

The word2vec C formats (text and binary) are read and written through gensim's own code; the
header of a file to import is checked against the file first, so a file that lies about its size
is one clear error instead of a crash halfway through."""

from __future__ import annotations

import bz2
import difflib
import gzip
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from textkit.errors import TextkitError, TextkitWarning


class Vectors:
    """Vectors by key, with cosine-similarity queries."""

    def __init__(
        self,
        keys: Sequence[str],
        matrix: np.ndarray,
        counts: Sequence[int] | None = None,
        what: str = "word",
    ) -> None:
        matrix = np.asarray(matrix, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[0] != len(keys):
            raise TextkitError(f"{len(keys)} keys but a {matrix.shape} matrix of vectors")
        self.keys = list(keys)
        self.index = {k: i for i, k in enumerate(self.keys)}
        if len(self.index) != len(self.keys):
            raise TextkitError("vector keys must be distinct")
        self.matrix = matrix
        self.counts = list(counts) if counts is not None else None
        self.what = what  # "word" or "document", for messages
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        self._unit = matrix / np.where(norms > 0, norms, 1)

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, key: str) -> bool:
        return key in self.index

    @property
    def dim(self) -> int:
        return self.matrix.shape[1]

    # ------------------------------------------------------------------ lookups
    def closest_spellings(self, word: str, n: int = 5) -> list[str]:
        """Known keys spelled most like ``word`` (among the 50,000 most frequent)."""
        pool = [k for k in self.keys[:50_000] if abs(len(k) - len(word)) <= 2]
        return difflib.get_close_matches(word, pool, n=n, cutoff=0.6)

    def _row(self, key: str) -> int:
        if key in self.index:
            return self.index[key]
        near = self.closest_spellings(key) if self.what == "word" else []
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        raise TextkitError(
            f"{key!r} is not in the model's vocabulary of {len(self):,} {self.what}s{hint}"
        )

    def vector(self, key: str) -> np.ndarray:
        return self.matrix[self._row(key)]

    def similarity(self, a: str, b: str) -> float:
        return float(self._unit[self._row(a)] @ self._unit[self._row(b)])

    def most_similar(
        self,
        positive: str | np.ndarray | Iterable = (),
        negative: Iterable[str] = (),
        topn: int = 10,
        exclude: Iterable[str] = (),
    ) -> list[tuple[str, float]]:
        """Keys closest (cosine) to the sum of ``positive`` minus ``negative`` (keys or vectors);
        the query keys themselves are left out."""
        from textkit.checks import check_number

        check_number("topn", topn, 1, 10**6, integer=True)
        if isinstance(positive, (str, np.ndarray)):
            positive = [positive]
        query = np.zeros(self.dim, dtype=np.float32)
        used = set(exclude)
        for sign, items in ((1.0, positive), (-1.0, negative)):
            for item in items:
                if isinstance(item, str):
                    query += sign * self._unit[self._row(item)]
                    used.add(item)
                else:
                    v = np.asarray(item, dtype=np.float32)
                    query += sign * v / max(float(np.linalg.norm(v)), 1e-12)
        if not np.any(query):
            raise TextkitError("the query is empty: give at least one key or vector")
        scores = self._unit @ (query / np.linalg.norm(query))
        order = np.argsort(-scores)
        out = []
        for i in order:
            if self.keys[i] not in used:
                out.append((self.keys[i], float(scores[i])))
                if len(out) == topn:
                    break
        return out

    def analogy(self, a: str, b: str, c: str, topn: int = 5) -> list[tuple[str, float]]:
        """``a - b + c``: "king man woman" asks for what is to woman as king is to man."""
        return self.most_similar([a, c], [b], topn=topn)

    # ------------------------------------------------------------------ gensim and files
    def to_gensim(self):
        from gensim.models import KeyedVectors

        kv = KeyedVectors(self.dim)
        kv.add_vectors(self.keys, self.matrix)
        if self.counts is not None:
            for key, count in zip(self.keys, self.counts, strict=True):
                kv.set_vecattr(key, "count", int(count))
        return kv

    def export(self, path: str | Path, binary: bool = False) -> Path:
        """Write the word2vec C format (text, or ``binary``), atomically."""
        from textkit.atomic import atomic_path

        path = Path(path)
        with atomic_path(path) as tmp:
            self.to_gensim().save_word2vec_format(str(tmp), binary=binary)
        return path

    @classmethod
    def load_word2vec(
        cls, path: str | Path, binary: bool | None = None, limit: int | None = None
    ) -> Vectors:
        """Vectors from a word2vec C text or binary file, or a GloVe text file (no header line:
        recognised by its first line, with a warning saying so); ``.gz``/``.bz2`` compressed
        too.  ``binary=None`` decides by the suffix (``.bin`` is binary)."""
        from textkit.text.io import open_binary

        path = Path(path)
        fh, source = open_binary(path)
        fh.close()
        suffixes = [x.lower() for x in path.suffixes]
        opener = {".gz": gzip.open, ".bz2": bz2.open}.get(suffixes[-1] if suffixes else "", open)
        try:
            with opener(path, "rb") as raw:
                head = raw.readline(1_000_000)
        except OSError as exc:
            raise TextkitError(f"{source} can't be read ({exc})") from exc
        if binary is None:  # the C tool's binary files are .bin; GloVe-style files are text
            binary = ".bin" in suffixes
        no_header = False
        try:
            n, dim = (int(x) for x in head.split())
        except ValueError:
            if binary or not _glove_line(head):
                raise TextkitError(
                    f"{source}: the first line must be '<count> <dimensions>' (a word2vec "
                    f"file) or 'word number number...' (GloVe), not {head[:60]!r}"
                ) from None
            no_header = True
            warnings.warn(f"{source} has no header line: read as a GloVe text file", TextkitWarning,
                          stacklevel=2)  # fmt: skip
        if not no_header:
            if n < 1 or dim < 1:
                raise TextkitError(
                    f"{source}: its header announces {n} vectors of {dim} dimensions"
                )
            size = path.stat().st_size
            need = (
                n * dim * 4 if binary else n * (dim * 2)
            )  # at least: float32s, or "x " per number
            if opener is open and size - len(head) < need:
                raise TextkitError(
                    f"{source}: its header announces {n:,} vectors of {dim} dimensions, "
                    f"but the file is too small to hold them ({size:,} bytes)"
                )
        from gensim.models import KeyedVectors

        try:
            kv = KeyedVectors.load_word2vec_format(
                str(path), binary=binary, limit=limit, unicode_errors="replace", no_header=no_header
            )
        except (ValueError, EOFError, UnicodeDecodeError, IndexError, OSError) as exc:
            raise TextkitError(f"{source} is corrupt or not a word2vec file ({exc})") from exc
        # gensim keeps the first vector of a duplicate word and leaves an empty (None) row
        rows = [i for i, k in enumerate(kv.index_to_key) if k is not None]
        keys, matrix = [kv.index_to_key[i] for i in rows], kv.vectors[rows]
        _check_loaded(keys, matrix, source, len(kv.index_to_key) - len(rows))
        if not (no_header or binary or limit is not None):
            _check_count(source, n, opener, path)
        counts = None
        if "count" in kv.expandos:
            counts = [int(kv.get_vecattr(k, "count")) for k in keys]
        return cls(keys, matrix, counts)


def _check_loaded(keys: list[str], matrix: np.ndarray, source: str, duplicates: int) -> None:
    """What gensim reads without a word: values that are not finite numbers (refused: a model
    of them can't be used) and duplicate words (the first vector of each is kept)."""
    finite = np.isfinite(matrix).all(axis=1)
    if not finite.all():
        word = keys[int(np.flatnonzero(~finite)[0])]
        raise TextkitError(
            f"{source}: the vector of {word!r} holds NaN, infinite or out-of-range values "
            f"({int((~finite).sum()):,} such vectors); fix or drop them"
        )
    if duplicates:
        warnings.warn(
            f"{source}: {duplicates:,} duplicate word(s): kept the first vector of each",
            TextkitWarning,
            stacklevel=3,
        )


def _check_count(source: str, announced: int, opener, path: Path) -> None:
    """A text file holding more rows than its header announces: gensim stops at the count."""
    with opener(path, "rb") as fh:
        rows = sum(1 for line in fh if line.strip()) - 1  # the header line
    if rows > announced:
        warnings.warn(
            f"{source}: its header announces {announced:,} vectors but it holds {rows:,}; "
            f"read the first {announced:,} (fix the header to read them all)",
            TextkitWarning,
            stacklevel=3,
        )


def _glove_line(line: bytes) -> bool:
    """A GloVe line: a word, then at least two numbers."""
    parts = line.split()
    if len(parts) < 3:
        return False
    try:
        [float(x) for x in parts[1:]]
    except ValueError:
        return False
    return True


def all_lower(keys: list[str], sample: int = 10_000) -> bool:
    """Are the (first ``sample``) words all lower-case?  Such vectors are queried lower-cased."""
    return all(k == k.lower() for k in keys[:sample])
