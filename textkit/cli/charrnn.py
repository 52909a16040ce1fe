"""`train-charrnn` and `generate`: the character-level generators."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import click

from textkit.charrnn.config import (
    PRESET_CHOICES,
    PRESETS,
    SHAPE_KEYS,
    TRAINING_KEYS,
    CharMarkovConfig,
    CharRNNConfig,
    SampleConfig,
)
from textkit.cli.base import main
from textkit.cli.choose import loads_model, new_model_dir, output_options
from textkit.cli.params import Number, NumberList, Size, opt, unescape
from textkit.cli.settings import click_type, configured, options, typed
from textkit.errors import TextkitError, TextkitWarning
from textkit.kinds import kinds_of
from textkit.settings import DEVICES, spec_named
from textkit.training.config import TrainConfig


def _preset_values(key: str) -> str:
    return ", ".join(f"{name} {values[key]:g}" for name, values in PRESETS.items())


@main.command("train-charrnn", short_help="Train a char-level LSTM/GRU/RNN or n-gram generator.")
@click.argument("inputs", nargs=-1, required=True, metavar="CORPUS...")
@output_options
@opt(
    "--resume",
    is_flag=True,
    help="Continue the latest model trained on this corpus (or --name) exactly where it stopped.",
)
@opt(
    "--kind",
    type=click.Choice(kinds_of("generator")),
    default="charrnn",
    show_default=True,
    help="charrnn: a recurrent network; charmarkov: the character n-gram baseline "
    "(--order, --smoothing).",
)
@opt(
    "--preset",
    type=click.Choice(PRESET_CHOICES),
    default="auto",
    show_default=True,
    help="Size, LR and step defaults. auto: small (2x256, ~2 min on a laptop CPU) below a "
    "million characters, else wide (1x512) on a CPU or medium (3x512) on a GPU; large "
    "(3x1024) for big GPUs. Options below override it.",
)
@options(
    CharRNNConfig,
    CharMarkovConfig,
    aliases={"cell": ("markov",)},
    shown={key: "preset" for key in SHAPE_KEYS},
)
@options(TrainConfig, shown={key: _preset_values(key) for key in TRAINING_KEYS})
@opt(
    "--encoding",
    default="utf-8",
    show_default=True,
    help="Text encoding of the corpus files (a byte-order mark wins).",
)
@opt(
    "--max-size",
    type=Size(),
    default="1G",
    show_default=True,
    help="Refuse a corpus larger than this (e.g. 500M, 4G): a guard against an endless pipe.",
)
@opt(
    "--show-samples",
    type=Number(0, 100_000, integer=True),
    default=0,
    metavar="N",
    help="Print an N-character sample at every evaluation (0: off).",
)
def train_charrnn(inputs, **o):
    """Train a character-level generator on CORPUS (files, directories, or - for stdin).

    Everything lands in MODELS_DIR/NAME: model.safetensors, config.json, metrics.jsonl,
    loss.png and train_state.pt (for --resume). Ctrl-C stops cleanly and saves.
    `--cell markov` is the same as `--kind charmarkov`.
    """
    corpus = _read_corpus(inputs, o["encoding"], o["max_size"])
    first = str(inputs[0])
    default_name = "stdin" if first == "-" else (Path(first).stem or Path(first).name or "corpus")
    say = lambda m: click.echo(m, err=True)  # noqa: E731
    shape, train = typed(CharRNNConfig), typed(TrainConfig)
    if o["kind"] == "charmarkov" or shape.get("cell") == "markov":
        return _train_markov(corpus, o, default_name, shape, train, say)
    from textkit.charrnn.rnn import CharRNN

    model = CharRNN(**shape)
    if o["resume"]:
        result = model.resume(
            _to_resume(o, corpus), corpus, train, log=say, show_samples=o["show_samples"]
        )
    else:
        out = new_model_dir(o, default_name)
        result = model.fit(
            corpus,
            out,
            train,
            preset=o["preset"],
            overwrite=o["overwrite"],
            log=say,
            show_samples=o["show_samples"],
        )
    say(
        f"{'interrupted' if result.interrupted else 'done'} after {result.steps} steps "
        f"({result.stopped_because}, {result.elapsed_s:.0f}s): best val loss "
        f"{result.best_val_loss:.4f} nats/char at step {result.best_step}; saved {model.folder.path}"
    )
    if result.interrupted:
        say("resume with the same command plus --resume")
        sys.exit(130)
    say("sample it with: textkit generate --temperature 0.7")


def _read_corpus(inputs, encoding: str, max_size: int):
    from textkit.charrnn.encoded import encode_files, encode_text
    from textkit.text.io import read_corpus

    if any(str(item) == "-" for item in inputs):  # a pipe is read once, into memory
        return encode_text(read_corpus(list(inputs), encoding, max_bytes=max_size))
    # files stream into the memory-mapped cache: any size trains in flat memory
    return encode_files(list(inputs), encoding, max_bytes=max_size)


def _to_resume(o: dict, corpus) -> Path:
    """The folder --resume continues: --name, or the newest char-RNN trained on this corpus."""
    from textkit.modelio import ModelFolder, find_trained_on

    models_dir, name = o["models_dir"], o["name"]
    out = models_dir / name if name else find_trained_on(models_dir, "charrnn", corpus.fingerprint)
    if out is None or not ModelFolder(out).exists():
        raise TextkitError(
            f"nothing to resume: no char-RNN model trained on this corpus under {models_dir}/"
        )
    return out


def _train_markov(corpus, o: dict, default_name: str, shape: dict, train: dict, say) -> None:
    from textkit.charrnn.markov import CharMarkov

    if o["resume"]:
        raise TextkitError("--resume applies to neural models; a markov model trains in one pass")
    for name in sorted(set(shape) - {"cell", "val_fraction"}):
        warnings.warn(
            f"--{name.replace('_', '-')} is ignored by the n-gram model",
            TextkitWarning,
            stacklevel=2,
        )
    model = CharMarkov(configured(CharMarkovConfig))
    result = model.fit(corpus, new_model_dir(o, default_name), train, overwrite=o["overwrite"])
    c = model.config
    say(
        f"saved {model.folder.path}  (order-{c.order} {c.smoothing} Markov, "
        f"val loss {result.best_val_loss:.4f} nats/char)"
    )


# ------------------------------------------------------------------ generate
def _non_empty(ctx, param, value):
    if value == "":
        raise click.BadParameter("give a non-empty string")
    return value


@main.command(short_help="Sample text from a trained char model.")
@loads_model("generator", optional=True)
@options(SampleConfig)
@opt(
    "--temperatures",
    type=NumberList(click_type(spec_named(SampleConfig, "temperature"))),
    metavar="T1,T2,...",
    help="Sweep: one sample per temperature from the same seed, e.g. 0.3,0.6,0.9.",
)
@opt(
    "--argmax",
    is_flag=True,
    help="Always take the most likely character (same as --temperature 0).",
)
@opt(
    "-s",
    "--seed-text",
    "--prime",
    default="",
    help=r"Text the output starts with and continues (\n allowed). Unknown characters are mapped "
    "(é->e, curly->straight quotes) or dropped.",
)
@opt(
    "--preseed",
    metavar="TEXT|@FILE|auto",
    help="Text fed through the model first to set its state, then cut from the output. 'auto' uses "
    "an excerpt of the training corpus.",
)
@opt(
    "--stop-at",
    metavar="STRING",
    callback=_non_empty,
    help=r"Stop a sample when it produces STRING (not included), e.g. '\n\n' for one stanza.",
)
@opt(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the samples to FILE instead of the terminal.",
)
@opt(
    "--check-original",
    type=Number(2, 10_000, integer=True),
    metavar="N",
    help="Mark lines sharing an N-character run with the training corpus and report the novel fraction.",
)
@opt(
    "--copied",
    type=click.Choice(["mark", "drop"]),
    default="mark",
    help="With --check-original: prefix copied lines with [copied], or drop them.",
)
@opt("--device", default="auto", metavar=DEVICES, help="Where to sample.")
def generate(
    model, temperatures, argmax, seed_text, preseed, stop_at, output, check_original, copied, **_
):
    """Sample text from a trained char model (the latest one trained here by default)."""
    s = configured(SampleConfig)
    seed_text = unescape(seed_text)
    multi = bool(temperatures) or s.num_samples > 1
    stream = output is None and not multi and check_original is None
    # map the seed and pre-seed first: their warnings go out before any text streams
    prompt = model.prepare_prompt(seed_text, unescape(preseed))
    if stream:  # print the seed as the model will read it (unknown characters mapped/dropped)
        click.echo(prompt.seed, nl=False)

    def on_text(row: int, chunk: str) -> None:
        click.echo(chunk, nl=False)
        sys.stdout.flush()

    samples = model.generate(
        s.length,
        s.temperature,
        temperatures=temperatures,
        num_samples=s.num_samples,
        top_k=s.top_k,
        top_p=s.top_p,
        prompt=prompt,
        stop_at=unescape(stop_at),
        seed=s.seed,
        argmax=argmax,
        check_original=check_original,
        on_text=on_text if stream else None,
    )
    if stream:
        click.echo()
        return
    blocks = []
    for i, s in enumerate(samples, 1):
        text = s.text
        if s.lines is not None:
            kept = [
                ("[copied] " + ln.line if ln.copied else ln.line)
                for ln in s.lines
                if not (copied == "drop" and ln.copied)
            ]
            text = "\n".join(kept)
            click.echo(
                f"sample {i}: {s.novel_fraction:.1%} novel, {s.copied_lines} of "
                f"{sum(1 for ln in s.lines if ln.line.strip())} lines share a {check_original}-character run "
                "with the training corpus",
                err=True,
            )
        header = (
            f"--- sample {i}/{len(samples)} (temperature {s.temperature:g}) ---\n" if multi else ""
        )
        blocks.append(header + text)
    result = "\n\n".join(blocks) + "\n"
    if output is not None:
        from textkit.modelio import atomic_write_bytes

        try:
            atomic_write_bytes(output, result.encode("utf-8"))
        except OSError as exc:
            raise TextkitError(f"cannot write {output}: {exc.strerror}") from exc
        click.echo(f"wrote {len(samples)} sample(s) to {output}", err=True)
    else:
        click.echo(result, nl=False)


# ------------------------------------------------------------------ suggest and inspect
@main.command(short_help="The most likely next words (predictive text) of a char model.")
@loads_model("generator", device="cpu")
@click.argument("text")
@opt("-k", type=Number(1, 100, integer=True), default=3, help="How many suggestions.")
@opt("--beam", type=Number(1, 1000, integer=True), default=16, help="Beam width of the search.")
@opt("--json", "as_json", is_flag=True, help="Print JSON.")
def suggest(model, text, k, beam, as_json):
    """The K most likely next words after TEXT (or completions of its last word, when it doesn't
    end in a space or punctuation), with probabilities: the keyboard-suggestion use of MODEL."""
    import json

    found = model.suggest(unescape(text), k=k, beam=beam)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "word": s.word,
                        "completion": s.completion,
                        "probability": round(s.probability, 6),
                    }
                    for s in found
                ],
                ensure_ascii=False,
            )
        )
        return
    for s in found:
        click.echo(f"{s.probability:.3f}\t{s.word}")


@main.command("inspect", short_help="An HTML page of how a char model reads a text.")
@loads_model("generator", device="cpu")
@click.argument("text", metavar="TEXT|@FILE")
@opt(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The HTML page to write. [default: MODEL/inspect.html]",
)
@opt(
    "--units",
    type=NumberList(Number(0, 10**6, integer=True)),
    metavar="U1,U2,...",
    help="Hidden units (of the top layer) to show, e.g. 12,301.",
)
@opt(
    "--find-units",
    is_flag=True,
    help="Rank units by how well they track quotes, brackets, position in the line, word starts.",
)
@opt(
    "--png", type=click.Path(dir_okay=False, path_type=Path), help="Also draw the heatmap as a PNG."
)
def inspect_cmd(model, text, output, units, find_units, png):
    """Write a self-contained HTML page showing TEXT (or @FILE) coloured by how surprised MODEL
    was at each character, its top guesses on hover, and chosen hidden units' activations."""
    from textkit.charrnn.inspect import find_units as rank_units
    from textkit.charrnn.inspect import inspect_text, render_html, render_png
    from textkit.modelio import atomic_write_bytes
    from textkit.text.io import read_small_text

    m = model
    output = output or m.folder.path / "inspect.html"  # beside the model, as its other plots
    text = read_small_text(text[1:]) if text.startswith("@") else unescape(text)
    result = inspect_text(m, text)
    units = list(units or [])
    if find_units:
        found = rank_units(result)
        for name, best in found.items():
            click.echo(f"{name}: " + ", ".join(f"unit {u} (r = {r:+.2f})" for u, r in best))
        units = units or [u for best in found.values() for u, _ in best[:1]]
    atomic_write_bytes(
        output, render_html(result, units, f"{m.folder.path.name}: how it reads the text").encode()
    )
    click.echo(
        f"wrote {output} ({len(result.text)} characters, mean surprise {result.mean_surprise:.2f} nats)",
        err=True,
    )
    if png:
        click.echo(f"wrote {render_png(result, png, units)}", err=True)
