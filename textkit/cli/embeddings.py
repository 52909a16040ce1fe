"""word2vec / doc2vec: `train-word2vec`, `train-doc2vec`, `similar`, `analogy`, `similar-docs`,
`evaluate-embeddings`, `export-vectors`, `import-vectors` and `plot-embeddings`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from textkit.cli.base import main
from textkit.cli.options import (
    INPUT,
    MODEL_ARGUMENT,
    MODELS_DIR,
    OUTPUT,
    Number,
    _opt,
    group,
    load_chosen,
    pipeline_from,
    pipeline_options,
)
from textkit.embeddings.config import (
    ARCHITECTURES,
    BACKENDS,
    DOC_METHODS,
    LOSSES,
    TAG_SOURCES,
    Doc2VecConfig,
    Word2VecConfig,
)

EMBEDDING_KINDS = ("word2vec", "doc2vec")


def _shared(d) -> callable:
    return group(
        _opt("--loss", type=click.Choice(LOSSES), default=d.loss, help="Negative sampling or hierarchical softmax."),
        _opt("--vector-size", type=Number(1, 10_000, integer=True), default=d.vector_size, help="Dimensions."),
        _opt("--window", type=Number(1, 1000, integer=True), default=d.window, help="Context window (words each side)."),
        _opt("--min-count", type=Number(1, 10**9, integer=True), default=d.min_count,
             help="Ignore words seen fewer times than this."),
        _opt("--epochs", type=Number(1, 10_000, integer=True), default=d.epochs, help="Passes over the corpus."),
        _opt("--negative", type=Number(1, 100, integer=True), default=d.negative, help="Negative samples per word."),
        _opt("--sample", type=Number(0, 1), default=d.sample, help="Frequent-word subsampling threshold (0: off)."),
        _opt("--alpha", type=Number(0, 10, low_open=True), default=d.alpha, help="Initial learning rate."),
        _opt("--workers", type=Number(1, 1024, integer=True), help="Threads. [default: every core]"),
        _opt("--seed", type=Number(0, 2**31 - 1, integer=True),
             help="Reproducible mode: one worker and seeded hashing, so the same command gives the "
                  "same vectors (slower). [default: fast mode, every core]"),
        _opt("--max-vocab", type=Number(1, 10**9, integer=True), help="Keep at most this many words."),
        _opt("--progress/--no-progress", default=None, help="Progress bar. [default: when stderr is a terminal]"),
    )  # fmt: skip


def _read_opts(o: dict) -> dict:
    return {"format": o["fmt"], "text_column": o["text_column"], "json_key": o["json_key"],
            "encoding": o["encoding"]}  # fmt: skip


def _train(cls, corpus: Path, o: dict, config, **fit_kw) -> None:
    from textkit.embeddings.model import DEFAULT_PIPELINE
    from textkit.modelio import fresh_model_dir

    model = cls(config, pipeline=pipeline_from(o, base=DEFAULT_PIPELINE))
    out = fresh_model_dir(
        o["models_dir"], o["name"] or Path(corpus).stem or cls.KIND, o["overwrite"]
    )
    result = model.fit(
        corpus, out, overwrite=o["overwrite"], progress=o["progress"], **fit_kw, **_read_opts(o)
    )
    size = f"{len(model.words):,} words" + (
        f", {len(model.docs):,} documents" if cls.KIND == "doc2vec" else ""
    )
    training = model.info.get("training", {})
    if training.get("backend") == "torch":
        mode = f"torch backend on {training['device']}"
    else:
        mode = "reproducible, 1 worker" if config.reproducible else "fast mode"
    click.echo(
        f"saved {out}  ({size}; {result.elapsed_s:.1f}s, {result.units_per_s:,.0f} words/s, {mode})",
        err=True,
    )
    best = model.info.get("best_metrics", {})
    if "analogy_accuracy" in best:
        click.echo(f"analogies {best['analogy_accuracy']:.1%}, WordSim353 Spearman "
                   f"{best['wordsim353_spearman']:.3f} (textkit evaluate-embeddings {out} for more)", err=True)  # fmt: skip


@main.command(
    "train-word2vec", short_help="Train word vectors (word2vec: gensim, or PyTorch on CUDA)."
)
@click.argument("corpus", metavar="CORPUS", type=click.Path(path_type=Path))
@OUTPUT
@INPUT
@_opt(
    "--architecture",
    type=click.Choice(ARCHITECTURES),
    default=Word2VecConfig().architecture,
    help="Skip-gram (better for rare words) or CBOW (faster).",
)
@_opt(
    "--backend",
    type=click.Choice(BACKENDS),
    default=Word2VecConfig().backend,
    help="gensim (CPU threads) or torch (PyTorch, CUDA when present); auto: torch on a CUDA GPU, else gensim.",
)
@_opt(
    "--device",
    default=Word2VecConfig().device,
    metavar="auto|cpu|cuda|cuda:N",
    help="torch backend: where to train.",
)
@_opt(
    "--batch-words",
    type=Number(1, 10**8, integer=True),
    default=Word2VecConfig().batch_words,
    help="torch backend: centre words per step.",
)
@_shared(Word2VecConfig())
@pipeline_options()  # fmt: skip
def train_word2vec(corpus, **o):
    """Train word vectors on CORPUS (a text file with a document per line, a folder, CSV, JSON
    Lines...): preprocessed once with the pipeline options (cached), then trained by gensim on
    every core, with a progress bar and per-epoch loss."""
    from textkit.embeddings.model import Word2Vec

    config = Word2VecConfig(**{k: o[k] for k in ("architecture", "loss", "vector_size", "window", "min_count",
                                                  "epochs", "negative", "sample", "alpha", "workers", "seed", "max_vocab",
                                                  "backend", "device", "batch_words")})  # fmt: skip
    _train(Word2Vec, corpus, o, config)


@main.command("train-doc2vec", short_help="Train document vectors (doc2vec, gensim engine).")
@click.argument("corpus", metavar="CORPUS", type=click.Path(path_type=Path))
@OUTPUT
@INPUT
@_opt(
    "--method",
    type=click.Choice(DOC_METHODS),
    default=Doc2VecConfig().method,
    help="PV-DBOW (dbow) or PV-DM (dm).",
)
@_opt("--dbow-words", is_flag=True, help="dbow: train word vectors alongside (skip-gram).")
@_opt(
    "--tags",
    type=click.Choice(TAG_SOURCES),
    default="line",
    help="A document's tag: its line number, its file's name (a folder of files), or --label-column.",
)
@_shared(Doc2VecConfig())
@pipeline_options()  # fmt: skip
def train_doc2vec(corpus, tags, **o):
    """Train document vectors on CORPUS (a document per line, a folder of files, CSV...)."""
    from textkit.embeddings.model import Doc2Vec

    config = Doc2VecConfig(**{k: o[k] for k in ("method", "dbow_words", "loss", "vector_size", "window", "min_count",
                                                 "epochs", "negative", "sample", "alpha", "workers", "seed", "max_vocab")})  # fmt: skip
    _train(Doc2Vec, corpus, o, config, tags=tags, label_column=o["label_column"])


def _show(pairs, as_json: bool) -> None:
    if as_json:
        click.echo(
            json.dumps(
                [{"key": k, "similarity": round(s, 6)} for k, s in pairs], ensure_ascii=False
            )
        )
        return
    for key, score in pairs:
        click.echo(f"{score:.4f}\t{key}")


TOPN = _opt(
    "-n", "--topn", type=Number(1, 10_000, integer=True), default=10, help="How many to show."
)
JSON = _opt("--json", "as_json", is_flag=True, help="Print JSON.")


@main.command(short_help="The words closest to a word.")
@MODEL_ARGUMENT
@click.argument("word")
@MODELS_DIR
@TOPN
@JSON
def similar(model, word, models_dir, topn, as_json):
    """The words of MODEL closest to WORD (cosine similarity); WORD goes through the model's
    pipeline first, so a stemmed model finds 'running' as 'run'."""
    _show(load_chosen(model, models_dir, EMBEDDING_KINDS).most_similar(word, topn=topn), as_json)


@main.command(short_help="Word analogies: A is to B as ? is to C.")
@MODEL_ARGUMENT
@click.argument("words", nargs=-1, metavar="A B C")
@MODELS_DIR
@TOPN
@JSON
def analogy(model, words, models_dir, topn, as_json):
    """A - B + C: `textkit analogy MODEL king man woman` looks for 'queen'."""
    if len(words) != 3:
        raise click.UsageError(f"give three words (A - B + C), got {len(words)}")
    _show(load_chosen(model, models_dir, EMBEDDING_KINDS).analogy(*words, topn=topn), as_json)


@main.command("similar-docs", short_help="The training documents closest to a text (doc2vec).")
@MODEL_ARGUMENT
@click.argument("text")
@MODELS_DIR
@TOPN
@JSON
def similar_docs(model, text, models_dir, topn, as_json):
    """The documents of a doc2vec MODEL closest to TEXT (its vector inferred)."""
    _show(load_chosen(model, models_dir, ("doc2vec",)).similar_documents(text, topn=topn), as_json)


@main.command("evaluate-embeddings", short_help="Analogies, word similarity, document similarity.")
@MODEL_ARGUMENT
@MODELS_DIR
@_opt(
    "--analogies",
    type=click.Path(dir_okay=False, path_type=Path),
    help="An analogy file (': section' lines, then 'a b c d'). [default: questions-words.txt]",
)
@_opt(
    "--similarities",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A word-pair file 'w1<TAB>w2<TAB>score' (repeatable). [default: WordSim353, SimLex-999]",
)
@JSON  # fmt: skip
def evaluate_embeddings(model, models_dir, analogies, similarities, as_json):
    """Evaluate MODEL on the standard sets gensim ships (or your files in their formats):
    analogy accuracy by section, WordSim353 and SimLex-999 Spearman, out-of-vocabulary rates;
    for doc2vec, the Lee corpus correlation with human ratings."""
    m = load_chosen(model, models_dir, EMBEDDING_KINDS)
    report = m.evaluate(analogies=analogies, similarities=list(similarities) or None) if m.KIND == "word2vec" or \
        m.config.method == "dm" or m.config.dbow_words else m.evaluate()  # fmt: skip
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    if "analogies" in report:
        a = report["analogies"]
        click.echo(f"analogies: {a['accuracy']:.1%} of {a['answered']:,} answered ({a['oov_rate']:.1%} of "
                   f"{a['questions']:,} skipped: a word out of vocabulary)")  # fmt: skip
        for section, acc in a["sections"].items():
            click.echo(f"  {section:30} {acc:6.1%}")
    for name in ("wordsim353", "simlex999", *(Path(p).stem for p in similarities)):
        if name in report:
            r = report[name]
            click.echo(f"{name}: Spearman {r['spearman']:.3f}, Pearson {r['pearson']:.3f} "
                       f"({r['oov_rate']:.1%} of pairs out of vocabulary)")  # fmt: skip
    if "lee" in report:
        click.echo(
            f"Lee corpus: Pearson {report['lee']['pearson']:.3f} with human similarity ratings (50 documents)"
        )
    if report.get("test_words_processed"):
        click.echo(
            "(test words went through the model's pipeline, as its corpus did: lower-cased/stemmed)"
        )


@main.command("export-vectors", short_help="Write vectors in the word2vec C format.")
@MODEL_ARGUMENT
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@MODELS_DIR
@_opt("--binary", is_flag=True, help="The binary format (default: text).")
@_opt("--docs", is_flag=True, help="doc2vec: export the document vectors instead of the words.")
def export_vectors(model, output, models_dir, binary, docs):
    """Write MODEL's word (or document) vectors to OUTPUT in the word2vec C text or binary format."""
    m = load_chosen(model, models_dir, EMBEDDING_KINDS)
    vectors = m.docs if docs and m.KIND == "doc2vec" else m.words
    click.echo(
        f"wrote {vectors.export(output, binary=binary)} ({len(vectors):,} vectors)", err=True
    )


@main.command(
    "import-vectors", short_help="Make a model folder of pretrained word2vec/GloVe vectors."
)
@click.argument("vectors_file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@OUTPUT
@_opt("--binary/--text", default=None, help="The file's format. [default: binary for .bin]")
@_opt("--limit", type=Number(1, 10**9, integer=True), help="Read only the first N vectors.")
@_opt(
    "--lower/--no-lower",
    default=False,
    show_default=True,
    help="Lower-case queries (for lower-cased vectors).",
)
def import_vectors(vectors_file, name, models_dir, overwrite, binary, limit, lower):
    """Read pretrained vectors (word2vec C text/binary, or a GloVe file with a word2vec header)
    into MODELS_DIR/NAME, to query, evaluate and plot like a trained model."""
    from textkit.embeddings.model import Word2Vec
    from textkit.embeddings.vectors import Vectors
    from textkit.modelio import fresh_model_dir
    from textkit.text.pipeline import Pipeline

    vectors = Vectors.load_word2vec(vectors_file, binary=binary, limit=limit)
    model = Word2Vec.from_vectors(vectors, Pipeline(lowercase=lower, punctuation=True))
    out = model.save(
        fresh_model_dir(models_dir, name or vectors_file.stem, overwrite), overwrite=overwrite
    )
    click.echo(f"saved {out} ({len(vectors):,} vectors of {vectors.dim} dimensions)", err=True)


@main.command("plot-embeddings", short_help="A 2-D map (PCA or t-SNE) of words as a PNG.")
@MODEL_ARGUMENT
@MODELS_DIR
@_opt("--words", help="Comma-separated words to place. [default: the most frequent]")
@_opt(
    "--top",
    type=Number(2, 5000, integer=True),
    default=100,
    help="How many frequent words without --words.",
)
@_opt("--tsne", is_flag=True, help="t-SNE instead of PCA (slower; shows clusters, not distances).")
@_opt(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PNG. [default: MODEL/projection.png]",
)
def plot_embeddings(model, models_dir, words, top, tsne, output):
    """Project MODEL's word vectors to 2-D and draw them, labelled."""
    from textkit.embeddings.plot import plot_projection

    m = load_chosen(model, models_dir, EMBEDDING_KINDS)
    chosen = [m._word(w) for w in words.split(",") if w.strip()] if words else m.words.keys[:top]
    out = plot_projection(m.words, chosen, output or m.folder.path / "projection.png", tsne=tsne)
    click.echo(f"wrote {out}", err=True)
