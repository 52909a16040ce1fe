"""Run a pipeline over a corpus, streaming, and write one processed document per line (the
format gensim's ``corpus_file`` mode reads)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from textkit.errors import TextkitError
from textkit.modelio import atomic_path
from textkit.progress import Progress
from textkit.text.pipeline import Pipeline
from textkit.text.readers import Document


@dataclass
class PreprocessStats:
    documents: int
    tokens: int
    seconds: float

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / max(self.seconds, 1e-9)


def write_processed(
    docs: Iterable[Document],
    pipeline: Pipeline,
    output: str | Path,
    with_labels: bool = False,
    progress: bool | None = None,
) -> PreprocessStats:
    """Process ``docs`` one at a time into ``output`` (written atomically: an interrupted run
    leaves no half-written file).  With ``with_labels`` each line is ``label<TAB>tokens``."""
    output = Path(output)
    if not output.parent.exists():
        raise TextkitError(f"folder {output.parent} does not exist")
    n_docs = n_tokens = 0
    start = time.monotonic()
    try:
        bar = Progress(None, "doc", desc="processing", show=progress)
        with bar, atomic_path(output) as tmp, open(tmp, "w", encoding="utf-8") as out:
            for doc in bar.iterate(docs):
                tokens = pipeline.tokens(doc.text)
                line = " ".join(tokens)
                if with_labels:
                    line = f"{doc.label or ''}\t{line}"
                out.write(line + "\n")
                n_docs += 1
                n_tokens += len(tokens)
    except OSError as exc:
        raise TextkitError(f"cannot write {output}: {exc.strerror}") from exc
    return PreprocessStats(n_docs, n_tokens, time.monotonic() - start)


def show_examples(
    docs: Iterable[Document], pipeline: Pipeline, count: int = 5
) -> list[tuple[Document, list[str]]]:
    """The first ``count`` documents and their tokens, for eyeballing a configuration."""
    return [(doc, pipeline.tokens(doc.text)) for doc in itertools.islice(docs, count)]
