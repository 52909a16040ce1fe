"""A training corpus as character ids, memory-mapped from a cache file, so memory stays flat
however large the corpus grows.

Encoding streams the files twice: a scan (fingerprint, length, characters: the vocabulary) and
an encode into ``<cache>/corpora/<fingerprint>-<vocab>.<dtype>``, written atomically and reused
by later runs on the same text (a resume, another model shape).  The ids are then read through
``np.memmap``: the kernel pages in the windows a batch touches and may drop them again, so a
100-million-character corpus costs page cache, not process memory.  The cache can be deleted
at any time; ``TEXTKIT_CACHE`` moves it.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from textkit.atomic import atomic_path, atomic_write_bytes
from textkit.cache import cache_dir
from textkit.charrnn.data import Vocab
from textkit.errors import TextkitError, TextkitWarning
from textkit.text.io import DEFAULT_MAX_BYTES, Corpus, size_text
from textkit.text.stream import CorpusScan, corpus_chunks, scan_corpus
from textkit.training.distributed import context

DECODE_CHUNK = 1 << 20  # ids turned back into text at a time
DIFFERENT_CORPUS = "the model was trained on a different corpus; resume needs the same data"


@dataclass
class EncodedCorpus:
    """Character ids of a corpus (in memory or memory-mapped) and what describes it."""

    ids: np.ndarray
    vocab: Vocab
    fingerprint: str
    sources: list[str]
    path: Path | None = None  # the cache file behind a memory-mapped ``ids``

    def __len__(self) -> int:
        return len(self.ids)

    def text(self, start: int = 0, stop: int | None = None) -> str:
        """The characters ``start:stop`` (decoded from the ids: no text is kept)."""
        return self.vocab.decode_array(self.ids[start:stop])

    def chunks(self, size: int = DECODE_CHUNK) -> Iterator[str]:
        """The whole text, a slice at a time.  A cached corpus is read with plain file reads,
        not through the memory map, so a pass over it leaves no pages mapped into the process."""
        if self.path is None:
            for start in range(0, len(self.ids), size):
                yield self.text(start, start + size)
            return
        with open(self.path, "rb") as fh:
            while len(block := np.fromfile(fh, dtype=self.ids.dtype, count=size)):
                yield self.vocab.decode_array(block)

    def excerpt(self, length: int, seed: int = 0, limit: int | None = None) -> str:
        """About ``length`` characters of ``[:limit]`` from a paragraph (or line) start to a
        line end: a natural pre-seed that leaves the model ready to begin a new line."""
        n = len(self) if limit is None else min(limit, len(self))
        if n <= length:
            return self.text(0, n)
        start_at = random.Random(seed).randrange(0, max(1, n - 4 * length))
        window_end = min(n, start_at + 64 * length)
        window = self.text(start_at, window_end)
        room = window_end - start_at
        start = window.find("\n\n")
        start = start + 2 if 0 <= start < room - length else max(window.find("\n") + 1, 0)
        end = window.rfind("\n", start, min(start + 2 * length, room))
        if end <= start + length // 2:
            end = start + length
        return window[start : end + 1]


def encode_text(corpus: Corpus, vocab: Vocab | None = None) -> EncodedCorpus:
    """A corpus already in memory (standard input, a Python string), encoded in memory."""
    vocab = vocab or Vocab.from_text(corpus.text)
    return EncodedCorpus(vocab.encode(corpus.text), vocab, corpus.fingerprint, corpus.sources)


def encode_files(
    inputs: list[str | Path],
    encoding: str = "utf-8",
    vocab: Vocab | None = None,
    fingerprint: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> EncodedCorpus:
    """Stream ``inputs`` into the cache (unless already there) and memory-map the ids.

    ``vocab`` (a resumed model's) must cover the corpus; ``fingerprint`` (the one the model
    was trained on) is checked before any encoding work."""
    scan = scan_corpus(inputs, encoding, max_bytes)
    if fingerprint and fingerprint != scan.fingerprint:
        raise TextkitError(DIFFERENT_CORPUS)
    if vocab is None:
        vocab = Vocab(sorted(scan.chars))
    elif missing := sorted(scan.chars - set(vocab.chars)):
        raise TextkitError(f"characters not in the model's vocabulary: {missing[:10]!r}")
    path = _cache_file(scan, vocab)
    # under torchrun, each machine's first process encodes while the others wait, then reuse
    dist = context()
    if dist.local_rank:
        dist.barrier()  # the machine's first process has checked (or made) the cache
    elif not _cache_holds(path, scan.n_chars * np.dtype(vocab.dtype).itemsize):
        _encode_into(path, inputs, encoding, vocab, scan)
    if dist.enabled and not dist.local_rank:
        dist.barrier()
    ids = np.memmap(path, dtype=vocab.dtype, mode="c", shape=(scan.n_chars,))
    return EncodedCorpus(ids, vocab, scan.fingerprint, scan.sources, path)


def _cache_file(scan: CorpusScan, vocab: Vocab) -> Path:
    vocab_key = hashlib.sha256("".join(vocab.chars).encode("utf-8", "surrogatepass")).hexdigest()
    name = f"{scan.fingerprint}-{vocab_key[:8]}.{np.dtype(vocab.dtype).name}"
    return cache_dir() / "corpora" / name


def _encode_into(path: Path, inputs, encoding: str, vocab: Vocab, scan: CorpusScan) -> None:
    size = scan.n_chars * np.dtype(vocab.dtype).itemsize
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(path.parent).free
    except OSError as exc:
        raise TextkitError(
            f"cannot use the corpus cache {path.parent} ({exc.strerror}); point TEXTKIT_CACHE "
            "at a writable folder"
        ) from exc
    if size > free:
        raise TextkitError(
            f"encoding the corpus needs {size_text(size)} in {path.parent}, which has "
            f"{size_text(free)} free; point TEXTKIT_CACHE at a larger disk"
        )
    digest = hashlib.blake2b(digest_size=16)
    with atomic_path(path) as tmp, open(tmp, "wb") as out:  # plain writes: nothing mapped
        pos = 0
        for chunk in corpus_chunks(inputs, encoding):
            data = vocab.encode(chunk).tobytes()
            out.write(data)
            digest.update(data)
            pos += len(chunk)
        if pos != scan.n_chars:
            raise TextkitError(f"{', '.join(scan.sources)} changed while being read; try again")
    atomic_write_bytes(_sum_file(path), digest.hexdigest().encode())


def _sum_file(path: Path) -> Path:
    return path.with_name(path.name + ".blake2b")


def _cache_holds(path: Path, size: int) -> bool:
    """Whether the cached encoding at ``path`` is whole and unchanged: its size, and the
    checksum recorded when it was written (a cache can be truncated, permuted or edited, and
    training on it would silently learn garbage).  A failed check is said, then re-encoded."""
    if not path.is_file() or path.stat().st_size != size:
        return False
    try:
        recorded = _sum_file(path).read_text().strip()
    except OSError:
        return False  # a cache from before checksums, or half-written: encode again
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        while block := fh.read(1 << 24):
            digest.update(block)
    if digest.hexdigest() != recorded:
        warnings.warn(
            f"the cached encoding {path} failed its checksum (changed since it was written): "
            "encoding the corpus again",
            TextkitWarning,
            stacklevel=4,
        )
        return False
    return True


def as_encoded(
    corpus: EncodedCorpus | Corpus | str | Path | list,
    vocab: Vocab | None = None,
    fingerprint: str | None = None,
) -> EncodedCorpus:
    """Whatever a ``fit`` was given, as ids: an EncodedCorpus as is, a Corpus encoded in
    memory, file paths streamed through the cache (standard input is read into memory).
    A resumed model's ``vocab`` and ``fingerprint`` must be the corpus's."""
    if not isinstance(corpus, (EncodedCorpus, Corpus)):
        inputs = [corpus] if isinstance(corpus, (str, Path)) else list(corpus)
        if not any(str(item) == "-" for item in inputs):
            return encode_files(inputs, vocab=vocab, fingerprint=fingerprint)
        from textkit.text.io import read_corpus

        corpus = read_corpus(inputs)
    if fingerprint and corpus.fingerprint != fingerprint:
        raise TextkitError(DIFFERENT_CORPUS)
    if isinstance(corpus, Corpus):
        return encode_text(corpus, vocab)
    if vocab is not None and vocab.chars != corpus.vocab.chars:
        raise TextkitError(DIFFERENT_CORPUS)
    return corpus
