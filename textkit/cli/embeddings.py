"""word2vec / doc2vec: `train-word2vec`, `train-doc2vec`, `similar`, `analogy`, `similar-docs`,
`evaluate-embeddings`, `export-vectors`, `import-vectors` and `plot-embeddings`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from textkit.cli.base import main
from textkit.cli.choose import loads_model, new_model_dir, output_options
from textkit.cli.inputs import input_options, pipeline_from, pipeline_options, source_from
from textkit.cli.params import Number, opt
from textkit.cli.settings import configured, options, typed
from textkit.embeddings.config import EMBEDDINGS_PIPELINE, Doc2VecConfig, Word2VecConfig
from textkit.training.config import TrainConfig


def _train(cls, corpus: Path, o: dict, config, loop: dict) -> None:
    model = cls(config, pipeline=pipeline_from(o["pipeline_file"], EMBEDDINGS_PIPELINE))
    out = new_model_dir(o, Path(corpus).stem, cls.KIND)
    result = model.fit(
        source_from(corpus),
        out,
        loop,
        overwrite=o["overwrite"],
        log=lambda m: click.echo(m, err=True),
    )
    size = f"{len(model.words_):,} words" + (
        f", {len(model.docs_):,} documents" if cls.KIND == "doc2vec" else ""
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
        click.echo(
            f"analogies {_share(best['analogy_accuracy'])}, WordSim353 Spearman "
            f"{_num(best['wordsim353_spearman'])} (textkit evaluate-embeddings {out} for more)",
            err=True,
        )


# of the training loop's settings, the embedding trainers take where and how visibly to train
# (gensim reads --progress; the torch backend's loop reads both)
loop_options = options(TrainConfig, only=("device", "progress"))


@main.command(
    "train-word2vec", short_help="Train word vectors (word2vec: gensim, or PyTorch on CUDA)."
)
@click.argument("corpus", metavar="CORPUS", type=click.Path(path_type=Path))
@output_options
@input_options
@options(Word2VecConfig)
@loop_options
@pipeline_options(EMBEDDINGS_PIPELINE)
def train_word2vec(corpus, **o):
    """Train word vectors on CORPUS (a text file with a document per line, a folder, CSV, JSON
    Lines...): preprocessed once with the pipeline options (cached), then trained by gensim on
    every core (or by PyTorch: --backend torch), with a progress bar and per-epoch loss."""
    from textkit.embeddings.model import Word2Vec

    _train(Word2Vec, corpus, o, configured(Word2VecConfig), typed(TrainConfig))


@main.command("train-doc2vec", short_help="Train document vectors (doc2vec, gensim engine).")
@click.argument("corpus", metavar="CORPUS", type=click.Path(path_type=Path))
@output_options
@input_options
@options(Doc2VecConfig)
@loop_options
@pipeline_options(EMBEDDINGS_PIPELINE)
def train_doc2vec(corpus, **o):
    """Train document vectors on CORPUS (a document per line, a folder of files, CSV...)."""
    from textkit.embeddings.model import Doc2Vec

    _train(Doc2Vec, corpus, o, configured(Doc2VecConfig), typed(TrainConfig))


def _share(value) -> str:
    """An accuracy, or "-" where no test question had all its words in the vocabulary."""
    return "-" if value is None else f"{value:.1%}"


def _num(value) -> str:
    """A correlation, or "-" where the vocabulary covers too few test pairs to measure one."""
    return "-" if value is None else f"{value:.3f}"


def _show(pairs, as_json: bool, texts: dict[str, str] | None = None) -> None:
    """(key, similarity) pairs, with each key's text when ``texts`` has it (documents)."""
    texts = texts or {}
    if as_json:
        rows = [{"key": k, "similarity": round(s, 6)} | ({"text": texts[k]} if k in texts else {})
                for k, s in pairs]  # fmt: skip
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for key, score in pairs:
        click.echo(f"{score:.4f}\t{key}" + (f"\t{texts[key]}" if key in texts else ""))


TOPN = opt(
    "-n", "--topn", type=Number(1, 10_000, integer=True), default=10, help="How many to show."
)
JSON = opt("--json", "as_json", is_flag=True, help="Print JSON.")


@main.command(short_help="The words closest to a word.")
@loads_model("embeddings")
@click.argument("word")
@TOPN
@JSON
def similar(model, word, topn, as_json):
    """The words of MODEL closest to WORD (cosine similarity); WORD goes through the model's
    pipeline first, so a stemmed model finds 'running' as 'run'."""
    _show(model.most_similar(word, topn=topn), as_json)


@main.command(short_help="Word analogies: A is to B as ? is to C.")
@loads_model("embeddings")
@click.argument("words", nargs=-1, metavar="A B C")
@TOPN
@JSON
def analogy(model, words, topn, as_json):
    """A - B + C: `textkit analogy MODEL king man woman` looks for 'queen'."""
    if len(words) != 3:
        raise click.UsageError(f"give three words (A - B + C), got {len(words)}")
    _show(model.analogy(*words, topn=topn), as_json)


@main.command("similar-docs", short_help="The training documents closest to a text (doc2vec).")
@loads_model("doc2vec")
@click.argument("text")
@TOPN
@JSON
def similar_docs(model, text, topn, as_json):
    """The documents of a doc2vec MODEL closest to TEXT (its vector inferred): similarity,
    tag and the start of the document's text."""
    _show(model.similar_documents(text, topn=topn), as_json, model.snippets_)


@main.command("evaluate-embeddings", short_help="Analogies, word similarity, document similarity.")
@loads_model("embeddings")
@opt(
    "--analogies",
    type=click.Path(dir_okay=False, path_type=Path),
    help="An analogy file (': section' lines, then 'a b c d'). [default: questions-words.txt]",
)
@opt(
    "--similarities",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A word-pair file 'w1<TAB>w2<TAB>score' (repeatable). [default: WordSim353, SimLex-999]",
)
@JSON
def evaluate_embeddings(model, analogies, similarities, as_json):
    """Evaluate MODEL on the standard sets gensim ships (or your files in their formats):
    analogy accuracy by section, WordSim353 and SimLex-999 Spearman, out-of-vocabulary rates;
    for doc2vec, the Lee corpus correlation with human ratings."""
    m = model
    report = (
        m.evaluate(analogies=analogies, similarities=list(similarities) or None)
        if m.KIND == "word2vec" or m.config.method == "dm" or m.config.dbow_words
        else m.evaluate()
    )
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    if "analogies" in report:
        a = report["analogies"]
        click.echo(
            f"analogies: {_share(a['accuracy'])} of {a['answered']:,} answered ({a['oov_rate']:.1%} of "
            f"{a['questions']:,} skipped: a word out of vocabulary)"
        )
        for section, acc in a["sections"].items():
            click.echo(f"  {section:30} {_share(acc):>6}")
    for name in ("wordsim353", "simlex999", *(Path(p).stem for p in similarities)):
        if name in report:
            r = report[name]
            click.echo(
                f"{name}: Spearman {_num(r['spearman'])}, Pearson {_num(r['pearson'])} "
                f"({r['oov_rate']:.1%} of pairs out of vocabulary)"
            )
    if "lee" in report:
        click.echo(
            f"Lee corpus: Pearson {report['lee']['pearson']:.3f} with human similarity ratings (50 documents)"
        )
    if report.get("test_words_processed"):
        click.echo(
            "(test words went through the model's pipeline, as its corpus did: lower-cased/stemmed)"
        )


@main.command("export-vectors", short_help="Write vectors in the word2vec C format.")
@loads_model("embeddings")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@opt("--binary", is_flag=True, help="The binary format (default: text).")
@opt("--docs", is_flag=True, help="doc2vec: export the document vectors instead of the words.")
def export_vectors(model, output, binary, docs):
    """Write MODEL's word (or document) vectors to OUTPUT in the word2vec C text or binary format."""
    m = model
    vectors = m.docs_ if docs and m.KIND == "doc2vec" else m.words_
    click.echo(
        f"wrote {vectors.export(output, binary=binary)} ({len(vectors):,} vectors)", err=True
    )


@main.command(
    "import-vectors", short_help="Make a model folder of pretrained word2vec/GloVe vectors."
)
@click.argument("vectors_file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@output_options
@opt("--binary/--text", default=None, help="The file's format. [default: binary for .bin]")
@opt("--limit", type=Number(1, 10**9, integer=True), help="Read only the first N vectors.")
@opt(
    "--lower/--no-lower",
    default=None,
    help="Lower-case queries. [default: when every word of the vectors is lower-case]",
)
def import_vectors(vectors_file, name, models_dir, overwrite, binary, limit, lower):
    """Read pretrained vectors (word2vec C text or binary, or a GloVe text file; .gz/.bz2
    compressed too) into MODELS_DIR/NAME, to query, evaluate and plot like a trained model."""
    from textkit.embeddings.model import Word2Vec
    from textkit.embeddings.vectors import Vectors
    from textkit.text.pipeline import Pipeline

    vectors = Vectors.load_word2vec(vectors_file, binary=binary, limit=limit)
    if lower is None:
        from textkit.embeddings.vectors import all_lower

        lower = all_lower(vectors.keys)
        if lower:
            click.echo(
                "every word is lower-case: queries will be lower-cased (--no-lower: not)", err=True
            )
    model = Word2Vec.from_vectors(vectors, Pipeline(lowercase=lower, punctuation=True))
    out = model.save(
        new_model_dir(
            dict(models_dir=models_dir, name=name, overwrite=overwrite), vectors_file.stem
        ),
        overwrite=overwrite,
    )
    click.echo(f"saved {out} ({len(vectors):,} vectors of {vectors.dim} dimensions)", err=True)


@main.command("plot-embeddings", short_help="A 2-D map (PCA or t-SNE) of words as a PNG.")
@loads_model("embeddings")
@opt("--words", help="Comma-separated words to place. [default: the most frequent]")
@opt(
    "--top",
    type=Number(2, 5000, integer=True),
    default=100,
    help="How many frequent words without --words.",
)
@opt("--tsne", is_flag=True, help="t-SNE instead of PCA (slower; shows clusters, not distances).")
@opt(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PNG. [default: MODEL/projection.png]",
)
def plot_embeddings(model, words, top, tsne, output):
    """Project MODEL's word vectors to 2-D and draw them, labelled."""
    from textkit.embeddings.plot import plot_projection

    m = model
    chosen = [m._word(w) for w in words.split(",") if w.strip()] if words else m.words_.keys[:top]
    out = plot_projection(m.words_, chosen, output or m.folder.path / "projection.png", tsne=tsne)
    click.echo(f"wrote {out}", err=True)
