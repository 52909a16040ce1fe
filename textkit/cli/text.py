"""`preprocess`: running a text pipeline over a corpus."""

from __future__ import annotations

from pathlib import Path

import click

from textkit.cli.base import main
from textkit.errors import TextkitError
from textkit.text.io import read_text_file


@main.command(short_help="Tokenize, normalise and stem a corpus into a file.")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write one processed document per line here (tokens separated by spaces).",
)
@click.option(
    "--show",
    type=int,
    metavar="N",
    help="Print the first N documents and their tokens instead of (or before) writing.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(
        ["auto", "lines", "paragraphs", "dir", "csv", "tsv", "jsonl", "json", "intents"]
    ),
    default="auto",
    show_default=True,
    help="Input format; auto goes by suffix (.csv, .tsv, .jsonl, .json = records or intents.json, directory, else a document per line).",
)
@click.option(
    "--text-column", help="CSV/TSV column or JSONL field holding the text. [default: text]"
)
@click.option("--label-column", help="CSV/TSV column or JSONL field holding a label.")
@click.option(
    "--json-key",
    help="For a JSON file holding several lists of records, the one to read (e.g. train).",
)
@click.option("--with-labels", is_flag=True, help="Write label<TAB>tokens lines.")
@click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the input.")
@click.option(
    "--pipeline",
    "pipeline_file",
    type=click.Path(dir_okay=True, path_type=Path),
    help="Load the pipeline settings from this JSON file (or model folder); options below are ignored.",
)
@click.option(
    "--save-pipeline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the pipeline settings to this JSON file.",
)
@click.option("--lower/--no-lower", default=True, show_default=True, help="Lower-case the text.")
@click.option(
    "--unicode",
    "unicode_form",
    type=click.Choice(["NFKC", "NFC", "NFKD", "NFD", "none"]),
    default="NFKC",
    show_default=True,
    help="Unicode normalisation.",
)
@click.option("--strip-accents", is_flag=True, help="Remove accents (café -> cafe).")
@click.option(
    "--tokenizer",
    type=click.Choice(["regexp", "treebank", "tweet", "whitespace"]),
    default="regexp",
    show_default=True,
    help="regexp: fast, words and punctuation; treebank: NLTK's Penn Treebank rules after sentence splitting; tweet: keeps @handles, #tags, URLs, emoticons.",
)
@click.option(
    "--pattern", help="Token pattern for --tokenizer regexp (a Python regular expression)."
)
@click.option(
    "--punctuation/--no-punctuation",
    default=False,
    show_default=True,
    help="Keep punctuation tokens.",
)
@click.option(
    "--numbers",
    type=click.Choice(["keep", "drop", "replace"]),
    default="keep",
    show_default=True,
    help="Numbers: keep, drop, or replace with <num>.",
)
@click.option(
    "--stopwords",
    metavar="none|english|@FILE",
    default="none",
    show_default=True,
    help="Remove stop words: the built-in English list, or one word per line from FILE.",
)
@click.option(
    "--stem",
    type=click.Choice(["none", "porter", "snowball", "lancaster"]),
    default="none",
    show_default=True,
    help="Stemmer.",
)
@click.option(
    "--ngrams",
    default="1",
    show_default=True,
    metavar="N[,M...]",
    help="Token n-gram sizes to emit, e.g. 1,2 (joined with _).",
)
@click.option(
    "--min-length", type=int, default=1, show_default=True, help="Drop tokens shorter than this."
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar. [default: when stderr is a terminal]",
)
def preprocess(input_path, output, show, fmt, text_column, label_column, json_key, with_labels, encoding, pipeline_file,
               save_pipeline, lower, unicode_form, strip_accents, tokenizer, pattern, punctuation, numbers,
               stopwords, stem, ngrams, min_length, progress):  # fmt: skip
    """Tokenize, normalise and stem a corpus (streaming), writing one document per line."""
    from textkit.text.pipeline import DEFAULT_PATTERN, Pipeline
    from textkit.text.preprocess import show_examples, write_processed
    from textkit.text.readers import read_documents

    if output is None and not show:
        raise click.UsageError("give -o OUTPUT, or --show N to preview")
    if pipeline_file is not None:
        pipe = Pipeline.load(pipeline_file)
    else:
        if stopwords.startswith("@"):
            words = [w.strip() for w in read_text_file(stopwords[1:]).splitlines() if w.strip()]
        elif stopwords in ("none", "english"):
            words = None if stopwords == "none" else "english"
        else:
            raise TextkitError(f"--stopwords {stopwords!r}: use none, english or @FILE")
        try:
            sizes = tuple(int(n) for n in ngrams.split(","))
        except ValueError:
            raise TextkitError(f"--ngrams {ngrams!r}: give sizes like 1 or 1,2") from None
        pipe = Pipeline(
            lowercase=lower, unicode_form=None if unicode_form == "none" else unicode_form,
            strip_accents=strip_accents, tokenizer=tokenizer, pattern=pattern or DEFAULT_PATTERN,
            punctuation=punctuation, numbers=numbers, stopwords=words,
            stemmer=None if stem == "none" else stem, ngrams=sizes, min_length=min_length,
        )  # fmt: skip
    if save_pipeline is not None:
        pipe.save(save_pipeline)

    def docs():
        return read_documents(input_path, fmt, text_column, label_column, encoding, json_key)

    if show:
        for doc, tokens in show_examples(docs(), pipe, show):
            click.echo(f"{doc.text!r}" + (f"  [{doc.label}]" if doc.label else ""))
            click.echo(f"  -> {' '.join(tokens)}")
    if output is not None:
        stats = write_processed(docs(), pipe, output, with_labels=with_labels, progress=progress)
        click.echo(
            f"wrote {stats.documents:,} documents, {stats.tokens:,} tokens to {output} "
            f"({stats.tokens_per_s:,.0f} tokens/s)",
            err=True,
        )
