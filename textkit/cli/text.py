"""`preprocess`: running a text pipeline over a corpus."""

from __future__ import annotations

from pathlib import Path

import click

from textkit.cli.base import main
from textkit.cli.inputs import input_options, pipeline_from, pipeline_options, source_from
from textkit.cli.params import Number, opt
from textkit.cli.settings import options
from textkit.training.config import TrainConfig


@main.command(short_help="Tokenize, normalise and stem a corpus into a file.")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@opt(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write one processed document per line here (tokens separated by spaces).",
)
@opt(
    "--show",
    type=Number(1, 1_000_000, integer=True),
    metavar="N",
    help="Print the first N documents and their tokens instead of (or before) writing.",
)
@input_options
@opt("--with-labels", is_flag=True, help="Write label<TAB>tokens lines.")
@opt(
    "--save-pipeline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the pipeline settings to this JSON file.",
)
@pipeline_options()
@options(TrainConfig, only=("progress",))
def preprocess(input_path, output, show, with_labels, save_pipeline, progress, pipeline_file, **_):
    """Tokenize, normalise and stem a corpus (streaming), writing one document per line."""
    from textkit.text.io import refuse_input_as_output
    from textkit.text.preprocess import show_examples, write_processed

    if output is None and not show:
        raise click.UsageError("give -o OUTPUT, or --show N to preview")
    for path, option in ((output, "-o"), (save_pipeline, "--save-pipeline")):
        if path is not None:
            refuse_input_as_output(path, [input_path], option)
    pipe = pipeline_from(pipeline_file)
    if save_pipeline is not None:
        pipe.save(save_pipeline)

    source = source_from(input_path)

    def docs():
        return source.documents()

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
