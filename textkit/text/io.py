"""Reading text files safely: clear errors for missing, empty, binary or undecodable input."""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

from textkit.errors import TextkitError

TEXT_SUFFIXES = {".txt", ".text", ".md", ".rst", ""}


def decode_bytes(data: bytes, source: str, encoding: str, first_line: int = 1) -> str:
    """Decode file content (or one line of it, numbered ``first_line``), refusing binary data
    and naming the line and column of a byte the encoding can't read."""
    if first_line == 1 and b"\x00" in data[:8192]:
        raise TextkitError(f"{source} looks like a binary file (it contains NUL bytes), not text")
    try:
        text = data.decode(encoding)
    except LookupError as exc:
        raise TextkitError(f"unknown encoding {encoding!r}") from exc
    except UnicodeDecodeError as exc:
        line = first_line + data[: exc.start].count(b"\n")
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise TextkitError(
            f"{source}, line {line}: not valid {encoding} (byte 0x{data[exc.start]:02x} at line "
            f"{line}, column {col}); pass --encoding (e.g. latin-1) or convert the file to UTF-8"
        ) from exc
    return text.removeprefix("\ufeff") if first_line == 1 else text


def _decode(data: bytes, source: str, encoding: str) -> str:
    return decode_bytes(data, source, encoding).replace("\r\n", "\n")


def read_text_file(path: str | Path, encoding: str = "utf-8") -> str:
    """Read one text file, or standard input for ``-``."""
    if str(path) == "-":
        return _decode(sys.stdin.buffer.read(), "standard input", encoding)
    path = Path(path)
    if not path.exists():
        raise TextkitError(f"no such file: {path}")
    if path.is_dir():
        raise TextkitError(f"{path} is a directory; pass the files in it or use read_corpus")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TextkitError(f"cannot read {path}: {exc.strerror}") from exc
    return _decode(data, str(path), encoding)


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

    @property
    def fingerprint(self) -> str:
        """A short hash of the text, stored with a model so resume can check it's the same."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]


def read_corpus(inputs: list[str | Path] | str | Path, encoding: str = "utf-8") -> Corpus:
    """Read files, directories and/or ``-`` (stdin) into one text, files joined by a newline."""
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    if not inputs:
        raise TextkitError("no input given: pass a text file, several files, a directory or -")
    parts, sources = [], []
    for item in expand_inputs(list(inputs)):
        text = read_text_file(item, encoding)
        name = "standard input" if str(item) == "-" else str(item)
        if not text.strip():
            raise TextkitError(f"{name} is empty")
        parts.append(text if text.endswith("\n") else text + "\n")
        sources.append(name)
    return Corpus(text="".join(parts), sources=sources)
