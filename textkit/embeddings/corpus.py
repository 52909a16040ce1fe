"""A corpus prepared once for gensim: read in any format the readers know, run through the
model's Pipeline, written one document per line (the format of gensim's fast ``corpus_file``
mode, which uses every core), and cached by the input's content and the pipeline, so training
again with other settings skips the preprocessing."""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from textkit import safejson
from textkit.atomic import atomic_path, atomic_write_json
from textkit.errors import TextkitError, TextkitWarning
from textkit.progress import Progress
from textkit.text.pipeline import Pipeline
from textkit.text.readers import Source

CACHE_FOLDER = "embeddings"  # prepared corpora, inside textkit.cache.cache_dir()
SNIPPET_CHARS = 100  # of each document's text, kept to show it (similar-docs)


@dataclass
class PreparedCorpus:
    path: Path  # one document per line, tokens separated by spaces
    tags: list[str]  # one per line: the document's tag
    documents: int
    tokens: int
    source: str
    snippets: list[str]  # one per line: the start of the document's text, as written


def snippet(text: str) -> str:
    """The start of a text on one line, cut at ``SNIPPET_CHARS`` with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1].rstrip() + "…"


def _fingerprint(path: Path) -> str:
    """SHA-256 of the input's bytes (of every file below it, for a folder), streamed."""
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        h.update(str(f.relative_to(path) if path.is_dir() else f.name).encode())
        with open(f, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
    return h.hexdigest()


def prepare(
    corpus: str | Path | Source,
    pipeline: Pipeline,
    cache_dir: Path,
    *,
    tags: str = "line",
    progress: bool | None = None,
) -> PreparedCorpus:
    """The corpus (a path, or a ``Source`` saying how to read it) as gensim reads it, from the
    cache when the same input went through the same pipeline before.  ``tags``: a document's
    tag is its line number, its file's name, or the value of the Source's ``label_column``."""
    source = corpus if isinstance(corpus, Source) else Source(corpus)
    path = Path(source.path)
    if not path.exists():
        raise TextkitError(f"no such file: {path}")
    if tags == "column" and not source.label_column:
        raise TextkitError("tags from a column need the column's name (--label-column)")
    key = hashlib.sha256(
        json.dumps([_fingerprint(path), pipeline.to_dict(), tags, *source.reader_key()]).encode()
    ).hexdigest()[:24]
    text_file, meta_file = cache_dir / f"{key}.txt", cache_dir / f"{key}.json"
    cached = _cached(text_file, meta_file)
    if cached is not None:
        return PreparedCorpus(
            text_file, cached["tags"], cached["documents"], cached["tokens"], str(path),
            cached["snippets"],
        )  # fmt: skip
    cache_dir.mkdir(parents=True, exist_ok=True)
    docs = source.documents(labels=tags == "column")
    doc_tags, snippets, n_tokens = [], [], 0
    digest = hashlib.blake2b(digest_size=16)  # of what is written, for the reuse check
    bar = Progress(None, "doc", desc="preparing the corpus", show=progress)
    with bar, atomic_path(text_file) as tmp, open(tmp, "wb") as out:
        for i, doc in enumerate(bar.iterate(docs)):
            tokens = [t.replace(" ", "_") for t in pipeline.tokens(doc.text)]
            if not tokens:
                continue
            line = (" ".join(tokens) + "\n").encode("utf-8")
            out.write(line)
            digest.update(line)
            n_tokens += len(tokens)
            doc_tags.append(_tag(doc, i, tags))
            snippets.append(snippet(doc.text))
    if not doc_tags:
        text_file.unlink(missing_ok=True)
        raise TextkitError(
            f"{path} holds no words once processed (is it empty, or are all its "
            "words dropped by the pipeline's settings?)"
        )
    atomic_write_json(
        meta_file,
        {"tags": doc_tags, "documents": len(doc_tags), "tokens": n_tokens, "source": str(path),
         "snippets": snippets, "blake2b": digest.hexdigest()},
    )  # fmt: skip
    return PreparedCorpus(text_file, doc_tags, len(doc_tags), n_tokens, str(path), snippets)


def _digest(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        while block := fh.read(1 << 24):
            digest.update(block)
    return digest.hexdigest()


def _cached(text_file: Path, meta_file: Path) -> dict | None:
    """The cached preparation's metadata, if both files are there and the text still has the
    checksum recorded with it (else None: prepared again, with a warning when it changed)."""
    if not (text_file.is_file() and meta_file.is_file()):
        return None
    try:
        meta = safejson.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = None
    keys = ("tags", "documents", "tokens", "snippets", "blake2b")
    if not isinstance(meta, dict) or any(k not in meta for k in keys):
        return None  # from an older textkit, or damaged
    if _digest(text_file) != meta["blake2b"] or len(meta["tags"]) != meta["documents"]:
        warnings.warn(
            f"the prepared corpus {text_file} failed its checksum (changed since it was "
            "written): preparing it again",
            TextkitWarning,
            stacklevel=3,
        )
        return None
    return meta


def _tag(doc, index: int, tags: str) -> str:
    if tags == "file":
        return os.path.basename(doc.source)
    if tags == "column":
        return str(doc.label)
    return str(doc.line or index + 1)
