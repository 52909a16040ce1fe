"""A corpus as a stream of text chunks: the same text ``read_corpus`` returns, never held whole.

Files are decoded incrementally with the rules of ``read_text_file`` (byte-order marks, binary
refusal, ``\\r\\n`` -> ``\\n``, no NUL characters, a newline after every file), so a corpus
streamed here has the same characters and the same fingerprint as one read into memory; that is
what lets a model trained either way be resumed the other way.
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from textkit.errors import TextkitError
from textkit.text.io import (
    CHUNK,
    DEFAULT_MAX_BYTES,
    SNIFF_BYTES,
    _decode_error,
    _refuse_nul,
    choose_encoding,
    expand_inputs,
    open_binary,
    size_text,
)


def _file_chunks(path: str | Path, encoding: str) -> Iterator[str]:
    """One file's text in chunks of about ``CHUNK`` characters, normalised as read_text_file
    does; refuses an empty file."""
    if str(path) == "-":
        raise TextkitError("standard input can't be streamed twice; read it with read_corpus")
    fh, source = open_binary(path)
    with fh:
        try:
            head = fh.read(SNIFF_BYTES)
        except OSError as exc:
            raise TextkitError(f"cannot read {source}: {exc.strerror}") from exc
        codec = choose_encoding(head, encoding, source)
        decoder = codecs.getincrementaldecoder(codec)("strict")
        lines, first, held, last, blank = 1, True, "", "", True
        data = head
        while True:
            final = not data
            try:
                text = held + decoder.decode(data, final=final)
            except UnicodeDecodeError as exc:
                raise _decode_error(exc, data, source, codec, lines) from exc
            if first and text:
                text, first = text.removeprefix("\ufeff"), False
            held = ""
            if text.endswith("\r") and not final:  # a \r\n may straddle two chunks
                text, held = text[:-1], "\r"
            if "\r" in text:
                text = text.replace("\r\n", "\n")
            _refuse_nul(text, source, lines)
            if text:
                lines += text.count("\n")
                blank = blank and not text.strip()
                last = text[-1]
                yield text
            if final:
                break
            try:
                data = fh.read(CHUNK)
            except OSError as exc:
                raise TextkitError(f"cannot read {source}: {exc.strerror}") from exc
    if blank:
        raise TextkitError(f"{source} is empty")
    if last != "\n":
        yield "\n"


def corpus_chunks(inputs: list[str | Path], encoding: str = "utf-8") -> Iterator[str]:
    """The corpus of ``inputs`` (files and directories), chunk by chunk."""
    for item in expand_inputs(list(inputs)):
        yield from _file_chunks(item, encoding)


@dataclass
class CorpusScan:
    """What one streaming pass learns of a corpus: enough to build a vocabulary, size the
    encoded file and check a resumed run continues the same text."""

    fingerprint: str
    n_chars: int
    chars: set[str] = field(repr=False)
    sources: list[str]


def scan_corpus(
    inputs: list[str | Path], encoding: str = "utf-8", max_chars: int = DEFAULT_MAX_BYTES
) -> CorpusScan:
    """Fingerprint (as ``Corpus.fingerprint``), length and character set, in one pass;
    refuses more than ``max_chars`` characters (the --max-size guard)."""
    if not inputs:
        raise TextkitError("no input given: pass a text file, several files, a directory or -")
    digest, n, chars = hashlib.sha256(), 0, set()
    sources = [str(p) for p in expand_inputs(list(inputs))]
    for chunk in corpus_chunks(inputs, encoding):
        digest.update(chunk.encode("utf-8"))
        n += len(chunk)
        chars.update(chunk)
        if n > max_chars:
            raise TextkitError(
                f"the corpus is larger than {size_text(max_chars)}, the input size limit; raise "
                "it with --max-size (max_bytes in Python) if you mean it"
            )
    return CorpusScan(digest.hexdigest()[:16], n, chars, sources)
