"""Reading text safely: clear errors for missing, empty, binary, oversized or undecodable input.

One place decides how raw input becomes text, for whole files (``read_text_file``) and for the
streaming readers (``open_text_lines``):

- only regular files and standard input are read: a device, FIFO or socket could be endless
  (``/dev/urandom``), so it is refused before a byte is read;
- the first bytes decide the encoding (a byte-order mark wins over a UTF ``encoding``, so a
  UTF-16 file with a BOM reads as UTF-16) and whether the input is binary (NUL bytes in an
  8-bit encoding);
- input is read in chunks up to a size cap (``max_bytes``), so ``yes | textkit ... -`` ends
  with a message instead of exhausting memory;
- the decoded text may not contain NUL characters anywhere, so no model learns them.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from textkit.errors import TextkitError

TEXT_SUFFIXES = {".txt", ".text", ".md", ".rst", ""}
DEFAULT_MAX_BYTES = 1 << 30  # 1 GiB of input text, the cap unless the caller sets another
MAX_LINE_BYTES = 64 << 20  # one line of a streamed file
SNIFF_BYTES = 8192
CHUNK = 1 << 20
# longest first: the UTF-32-LE mark starts with the UTF-16-LE one
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _codec(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise TextkitError(f"unknown encoding {encoding!r}") from None


def _wide(codec: str) -> bool:
    """UTF-16/32 text is full of NUL bytes and can't be split on b"\\n"."""
    return codec.startswith(("utf-16", "utf-32"))


def choose_encoding(head: bytes, encoding: str, source: str) -> str:
    """The encoding to decode with: a BOM's, when ``encoding`` is a UTF one (the default), else
    ``encoding``; refuses binary input (NUL bytes in an 8-bit or UTF-8 encoding)."""
    codec = _codec(encoding)
    if codec.startswith("utf"):
        for bom, name in _BOMS:
            if head.startswith(bom):
                return name
    if not _wide(codec) and b"\x00" in head:
        raise TextkitError(f"{source} looks like a binary file (it contains NUL bytes), not text")
    return codec


def size_text(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def open_binary(path: str | Path) -> tuple[BinaryIO, str]:
    """(binary file, name for messages) for a regular file or ``-`` (standard input)."""
    if str(path) == "-":
        return sys.stdin.buffer, "standard input"
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise TextkitError(f"no such file: {path}") from None
    except OSError as exc:
        raise TextkitError(f"cannot read {path}: {exc.strerror}") from exc
    if stat.S_ISDIR(mode):
        raise TextkitError(f"{path} is a directory; pass the text files in it")
    if not stat.S_ISREG(mode):
        raise TextkitError(
            f"{path} is not a regular file (a device, pipe or socket can be endless); "
            "save it to a file first, or pipe it to standard input with -"
        )
    try:
        return open(path, "rb"), str(path)
    except OSError as exc:
        raise TextkitError(f"cannot read {path}: {exc.strerror}") from exc


RAISE_MAX_SIZE = "raise it with --max-size (max_bytes in Python) if you mean it"


def _read_capped(
    fh: BinaryIO, source: str, max_bytes: int, head: bytes = b"", advice: str = RAISE_MAX_SIZE
) -> bytes:
    chunks, total = [head], len(head)
    while total <= max_bytes and (chunk := fh.read(min(CHUNK, max_bytes + 1 - total))):
        chunks.append(chunk)
        total += len(chunk)
    if total > max_bytes:
        raise TextkitError(
            f"{source} is larger than {size_text(max_bytes)}, the input size limit; {advice}"
        )
    return b"".join(chunks)


def _decode_error(
    exc: UnicodeDecodeError, data: bytes, source: str, codec: str, first_line: int = 1
) -> TextkitError:
    line = first_line + data[: exc.start].count(b"\n")
    col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
    return TextkitError(
        f"{source}, line {line}: not valid {codec} (byte 0x{data[exc.start]:02x} at line "
        f"{line}, column {col}); pass --encoding (e.g. latin-1) or convert the file to UTF-8"
    )


def _refuse_nul(text: str, source: str, first_line: int = 1) -> None:
    at = text.find("\x00")
    if at >= 0:
        line = first_line + text.count("\n", 0, at)
        raise TextkitError(
            f"{source}, line {line}: contains a NUL character; this looks like binary data, "
            "not text"
        )


def decode_bytes(data: bytes, source: str, encoding: str, first_line: int = 1) -> str:
    """Decode file content (or one line of it, numbered ``first_line``), refusing NUL
    characters and naming the line and column of a byte the encoding can't read."""
    try:
        text = data.decode(encoding)
    except LookupError:
        raise TextkitError(f"unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as exc:
        raise _decode_error(exc, data, source, encoding, first_line) from exc
    _refuse_nul(text, source, first_line)
    return text


def read_text_file(
    path: str | Path,
    encoding: str = "utf-8",
    max_bytes: int = DEFAULT_MAX_BYTES,
    advice: str = RAISE_MAX_SIZE,
) -> str:
    """Read one text file, or standard input for ``-``, with newlines normalised to ``\\n``;
    ``advice`` says what to do about a file over ``max_bytes``."""
    fh, source = open_binary(path)
    try:
        head = fh.read(SNIFF_BYTES)
        codec = choose_encoding(head, encoding, source)
        if fh is sys.stdin.buffer:
            data: bytes | bytearray = _read_capped(fh, source, max_bytes, head, advice)
        else:  # a regular file: its size is known, so read it once into one buffer
            size = os.fstat(fh.fileno()).st_size
            if size > max_bytes:
                _read_capped(io.BytesIO(), source, max_bytes, b"\0" * (max_bytes + 1), advice)
            data = bytearray(max(size, len(head)))
            data[: len(head)] = head
            got = len(head) + (fh.readinto(memoryview(data)[len(head) :]) or 0)
            del data[got:]  # the file shrank while being read
    except OSError as exc:
        raise TextkitError(f"cannot read {source}: {exc.strerror}") from exc
    finally:
        if fh is not sys.stdin.buffer:
            fh.close()
    text = decode_bytes(data, source, codec)
    del data
    text = text.removeprefix("\ufeff")
    return text.replace("\r\n", "\n") if "\r" in text else text


def open_text_lines(
    path: str | Path, encoding: str = "utf-8", keep_ends: bool = False
) -> Iterator[tuple[int, str]]:
    """(line number, decoded line) pairs, streamed from a regular file; a bad byte names its
    file and line, and no line may exceed ``MAX_LINE_BYTES``."""
    fh, source = open_binary(path)
    with fh:
        try:
            head = fh.peek(SNIFF_BYTES)[:SNIFF_BYTES] if hasattr(fh, "peek") else b""
        except OSError as exc:
            raise TextkitError(f"cannot read {source}: {exc.strerror}") from exc
        codec = choose_encoding(head, encoding, source)
        if _wide(codec):  # UTF-16/32: decode as a stream (a line can't be cut at b"\n")
            text = io.TextIOWrapper(fh, encoding=codec, newline=None)
            try:
                for number, line in enumerate(text, 1):
                    _refuse_nul(line, source, number)
                    yield number, line if keep_ends else line.rstrip("\r\n")
            except UnicodeDecodeError as exc:
                raise TextkitError(f"{source}: not valid {codec} ({exc.reason})") from exc
            finally:
                text.detach()
            return
        number = 0
        while raw := fh.readline(MAX_LINE_BYTES + 1):
            number += 1
            if len(raw) > MAX_LINE_BYTES:
                raise TextkitError(
                    f"{source}, line {number}: longer than {size_text(MAX_LINE_BYTES)}; is this "
                    "really a text file with one document per line?"
                )
            line = decode_bytes(raw, source, codec, first_line=number)
            if number == 1:
                line = line.removeprefix("\ufeff")
            yield number, line if keep_ends else line.rstrip("\r\n")


def refuse_input_as_output(output: str | Path, inputs: list[str | Path], option: str) -> None:
    """An output file may not be one of the inputs: writing it would destroy the input."""
    out = Path(output)
    for item in inputs:
        if str(item) == "-" or not out.exists():
            continue
        try:
            same = os.path.samefile(out, item)
        except OSError:
            same = False
        if same:
            raise TextkitError(
                f"{option} {out} is the input file; writing it would replace your "
                "data. Choose another output file"
            )


def expand_inputs(inputs: list[str | Path]) -> list[str | Path]:
    """Files as given; directories become their text files (sorted, recursive, no hidden ones)."""
    out: list[str | Path] = []
    for item in inputs:
        p = Path(item)
        if str(item) != "-" and p.is_dir():
            found = sorted(
                f
                for f in p.rglob("*")
                if f.is_file()
                and f.suffix.lower() in TEXT_SUFFIXES
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
            if not found:
                raise TextkitError(f"directory {p} holds no text files (.txt, .md, ...)")
            out.extend(found)
        else:
            out.append(item)
    return out


@dataclass
class Corpus:
    """Concatenated text of one or more sources, and where it came from."""

    text: str
    sources: list[str]
    _fingerprint: str | None = field(default=None, repr=False, compare=False)

    @property
    def fingerprint(self) -> str:
        """A short hash of the text, stored with a model so resume can check it's the same
        (hashed in slices, so a large corpus is never copied whole)."""
        if self._fingerprint is None:
            h = hashlib.sha256()
            for i in range(0, len(self.text), CHUNK):
                h.update(self.text[i : i + CHUNK].encode("utf-8"))
            self._fingerprint = h.hexdigest()[:16]
        return self._fingerprint


def read_corpus(
    inputs: list[str | Path] | str | Path,
    encoding: str = "utf-8",
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Corpus:
    """Read files, directories and/or ``-`` (stdin) into one text, files joined by a newline;
    ``max_bytes`` caps the total input size."""
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    if not inputs:
        raise TextkitError("no input given: pass a text file, several files, a directory or -")
    parts, sources, left = [], [], max_bytes
    for item in expand_inputs(list(inputs)):
        text = read_text_file(item, encoding, max_bytes=left)
        name = "standard input" if str(item) == "-" else str(item)
        if not text.strip():
            raise TextkitError(f"{name} is empty")
        left -= len(text)  # characters: a lower bound of the bytes read
        parts.append(text if text.endswith("\n") else text + "\n")
        sources.append(name)
    text = parts[0] if len(parts) == 1 else "".join(parts)
    parts.clear()
    return Corpus(text=text, sources=sources)


def read_small_text(path: str | Path, encoding: str = "utf-8") -> str:
    """A small text file (a pre-seed, a word list, a pipeline): at most 16 MiB."""
    advice = "a file given this way (a pre-seed, a word list, a pipeline) must be smaller"
    return read_text_file(path, encoding, max_bytes=16 << 20, advice=advice)
