"""Evaluating embeddings on the standard sets gensim ships (or the user's files in the same
formats): analogies by section (questions-words.txt, Mikolov et al. 2013), word-pair similarity
(WordSim353, SimLex-999: Spearman and Pearson against human ratings, with the share of pairs out
of vocabulary), and for document vectors the Lee corpus (Pearson correlation of the cosine
similarities of 50 documents with human ratings).

Test words go through the model's own pipeline first, so a stemmed (or lower-cased) model is
evaluated on stemmed (lower-cased) words, and the report says so (``test_words_processed``);
gensim's evaluators then do the scoring."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from textkit.errors import TextkitError


def test_data(name: str) -> Path:
    """A file of gensim's shipped test data (questions-words.txt, wordsim353.tsv, ...)."""
    from gensim.test.utils import datapath

    return Path(datapath(name))


MIN_KNOWN_PAIRS = 3  # word pairs the vocabulary must cover for a correlation to mean anything


def _pairs(path: Path) -> list[tuple[str, str]]:
    """The word pairs of a word-pair file (comment lines and malformed lines skipped)."""
    out = []
    for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and not line.startswith("#"):
            out.append((parts[0], parts[1]))
    return out


def _transformed(path: Path, pipeline, kind: str, out_dir: Path) -> tuple[Path, bool]:
    """The file with every test word passed through ``pipeline`` (a word that doesn't stay one
    token is kept as it was); True when that changed any word (e.g. stemming)."""
    from textkit.text.io import read_text_file

    changed = False
    lines = []

    def one(word: str) -> str:
        nonlocal changed
        tokens = pipeline.tokens(word)
        new = tokens[0] if len(tokens) == 1 else word
        changed |= new != word
        return new

    for line in read_text_file(path).splitlines():
        if not line.strip() or line.startswith((":", "#")):
            lines.append(line)
            continue
        if kind == "analogies":
            lines.append(" ".join(one(w) for w in line.split()))
        else:
            parts = line.split("\t") if "\t" in line else line.split()
            if len(parts) >= 3:
                try:
                    float(parts[2])
                except ValueError:  # a header row
                    lines.append(line)
                    continue
                parts[0], parts[1] = one(parts[0]), one(parts[1])
            lines.append("\t".join(parts))
    out = out_dir / f"{kind}-{path.name}"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out, changed


def evaluate_words(
    model,
    analogies: str | Path | None = None,
    similarities: list[str | Path] | None = None,
    restrict_vocab: int = 30_000,
) -> dict:
    """Analogy accuracy (overall and by section) and word-similarity correlations."""
    kv = model.words_.to_gensim()
    analogies = Path(analogies) if analogies else test_data("questions-words.txt")
    sims = (
        [Path(p) for p in similarities]
        if similarities
        else [test_data("wordsim353.tsv"), test_data("simlex999.txt")]
    )
    report: dict = {"test_words_processed": False}
    with tempfile.TemporaryDirectory() as tmp:
        path, changed = _transformed(analogies, model.pipeline, "analogies", Path(tmp))
        report["test_words_processed"] |= changed
        try:
            score, sections = kv.evaluate_word_analogies(
                str(path), restrict_vocab=restrict_vocab, case_insensitive=False
            )
        except (ValueError, IndexError) as exc:
            raise TextkitError(
                f"{analogies}: not an analogy file (': section' lines, then 'a b c d')"
            ) from exc
        total = [s for s in sections if s["section"] == "Total accuracy"]
        asked = sum(len(s["correct"]) + len(s["incorrect"]) for s in total)
        n_questions = sum(
            1
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith(":")
        )
        accuracy = float(score) if asked else None  # no question in the vocabulary: unknown
        report["analogies"] = {
            "file": str(analogies),
            "accuracy": accuracy,
            "answered": asked,
            "questions": n_questions,
            "oov_rate": 1 - asked / max(n_questions, 1),
            "sections": {  # None: no question of the section in the vocabulary
                s["section"]: len(s["correct"]) / n
                if (n := len(s["correct"]) + len(s["incorrect"]))
                else None
                for s in sections
                if s["section"] != "Total accuracy"
            },
        }
        report["analogy_accuracy"] = accuracy
        for sim in sims:
            path, changed = _transformed(sim, model.pipeline, "pairs", Path(tmp))
            report["test_words_processed"] |= changed
            pairs = _pairs(path)
            if not pairs:
                raise TextkitError(f"{sim}: not a word-pair file ('word1<TAB>word2<TAB>score')")
            known = sum(a in kv.key_to_index and b in kv.key_to_index for a, b in pairs)
            if known < MIN_KNOWN_PAIRS:  # a tiny vocabulary: no correlation to measure
                report[sim.stem] = {"file": str(sim), "spearman": None, "pearson": None,
                                    "oov_rate": 1 - known / max(len(pairs), 1)}  # fmt: skip
                continue
            try:
                pearson, spearman, oov = kv.evaluate_word_pairs(
                    str(path), restrict_vocab=restrict_vocab, case_insensitive=False
                )
            except (ValueError, IndexError, ZeroDivisionError) as exc:
                raise TextkitError(
                    f"{sim}: not a word-pair file ('word1<TAB>word2<TAB>score')"
                ) from exc
            report[sim.stem] = {
                "file": str(sim),
                "spearman": float(spearman[0]),
                "pearson": float(pearson[0]),
                "oov_rate": float(oov) / 100,
            }
    return report


def evaluate_documents(model) -> dict:
    """Pearson correlation between the cosine similarities of the Lee corpus's 50 documents
    (inferred vectors) and the mean human ratings (Lee, Pincombe and Welsh 2005)."""
    from scipy.stats import pearsonr

    docs = [
        line
        for line in test_data("lee.cor").read_text(encoding="latin-1").splitlines()
        if line.strip()
    ]
    human = np.loadtxt(test_data("similarities0-1.txt"))
    vectors = np.array([model.infer(d) for d in docs])
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    sims = unit @ unit.T
    upper = np.triu_indices(len(docs), k=1)
    r = pearsonr(sims[upper], human[upper])[0]
    return {"lee": {"pearson": float(r), "documents": len(docs)}}
