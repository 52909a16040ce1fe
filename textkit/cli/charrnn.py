"""`train-charrnn` and `generate`: the character-level generators."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import click

from textkit.charrnn.config import (
    CELL_TYPES,
    PRESET_CHOICES,
    SMOOTHINGS,
    CharMarkovConfig,
    CharRNNConfig,
)
from textkit.cli.base import main
from textkit.cli.options import (
    COUNT,
    DEVICE,
    MODEL_ARGUMENT,
    MODEL_CHOICE,
    MODELS_DIR,
    OUTPUT,
    TRAIN_OPTION_NAMES,
    Number,
    NumberList,
    Size,
    _opt,
    group,
    load_chosen,
    train_config_from,
    training_options,
    typed_options,
    unescape,
)
from textkit.errors import TextkitError, TextkitWarning

_RNN = CharRNNConfig()
_MARKOV = CharMarkovConfig()
SHAPE_OPTIONS = (
    "layers",
    "hidden",
    "embedding",
    "seq_len",
    "batch_size",
    "dropout",
    "val_fraction",
)
CHAR_KINDS = ("charrnn", "charmarkov")

_MODEL_OPTIONS = group(
    _opt("--preset", type=click.Choice(PRESET_CHOICES), default="auto",
         help="Size, LR and step defaults. auto: small (2x256, ~2 min on a laptop CPU) below a million "
              "characters, else wide (1x512) on a CPU or medium (3x512) on a GPU; large (3x1024) for "
              "big GPUs. Options below override it."),
    _opt("--cell", type=click.Choice([*CELL_TYPES, "markov"]), default=_RNN.cell,
         help="Recurrent cell, or 'markov' for the character n-gram baseline."),
    _opt("--order", type=Number(1, 32, integer=True), default=_MARKOV.order,
         help="Context length of --cell markov."),
    _opt("--smoothing", type=click.Choice(SMOOTHINGS), default=_MARKOV.smoothing,
         help="Smoothing of --cell markov."),
    _opt("--layers", type=Number(1, 64, integer=True), help="Recurrent layers. [preset]"),
    _opt("--hidden", type=Number(1, 65_536, integer=True), help="Hidden units per layer. [preset]"),
    _opt("--embedding", type=Number(1, 65_536, integer=True), help="Character embedding size. [preset]"),
    _opt("--seq-len", type=Number(1, 1_000_000, integer=True),
         help="Characters per training sequence (truncated BPTT length). [preset]"),
    _opt("--batch-size", type=Number(1, 1_000_000, integer=True), help="Parallel streams per batch. [preset]"),
    _opt("--dropout", type=Number(0, 0.99), default=_RNN.dropout,
         help="Dropout between layers and before the output."),
    _opt("--val-fraction", type=Number(0.0001, 0.49), default=_RNN.val_fraction,
         help="Share of the text (its end) held out for validation."),
)  # fmt: skip


@main.command("train-charrnn", short_help="Train a char-level LSTM/GRU/RNN or n-gram generator.")
@click.argument("inputs", nargs=-1, required=True, metavar="CORPUS...")
@OUTPUT
@_opt("--resume", is_flag=True,
      help="Continue the latest model trained on this corpus (or --name) exactly where it stopped.")  # fmt: skip
@_MODEL_OPTIONS
@training_options(lr_help="Peak learning rate. [preset: 2e-3, wide 5e-3]",
                  steps_help="Stop after this many steps. [preset]")  # fmt: skip
@_opt(
    "--encoding",
    default="utf-8",
    help="Text encoding of the corpus files (a byte-order mark wins).",
)
@_opt(
    "--max-size",
    type=Size(),
    default="1G",
    help="Refuse a corpus larger than this (e.g. 500M, 4G): a guard against an endless pipe.",
)
@_opt("--show-samples", type=Number(0, 100_000, integer=True), default=0, metavar="N",
      help="Print an N-character sample at every evaluation (0: off).")  # fmt: skip
def train_charrnn(inputs, **o):
    """Train a character-level generator on CORPUS (files, directories, or - for stdin).

    Everything lands in MODELS_DIR/NAME: model.safetensors, config.json, metrics.jsonl,
    loss.png and train_state.pt (for --resume). Ctrl-C stops cleanly and saves.
    """
    from textkit.charrnn.config import choose_preset, preset_config, preset_training
    from textkit.charrnn.encoded import encode_files, encode_text
    from textkit.modelio import ModelFolder, find_trained_on, fresh_model_dir
    from textkit.text.io import read_corpus

    if any(str(item) == "-" for item in inputs):  # a pipe is read once, into memory
        corpus = encode_text(read_corpus(list(inputs), o["encoding"], max_bytes=o["max_size"]))
    else:  # files stream into the memory-mapped cache: any size trains in flat memory
        corpus = encode_files(list(inputs), o["encoding"], max_bytes=o["max_size"])
    first = str(inputs[0])
    default_name = "stdin" if first == "-" else (Path(first).stem or Path(first).name or "corpus")
    models_dir, name = o["models_dir"], o["name"]
    if o["resume"]:
        if o["cell"] == "markov":
            raise TextkitError(
                "--resume applies to neural models; a markov model trains in one pass"
            )
        out = (
            models_dir / name
            if name
            else find_trained_on(models_dir, "charrnn", corpus.fingerprint)
        )
        if out is None or not ModelFolder(out).exists():
            raise TextkitError(
                f"nothing to resume: no char-RNN model trained on this corpus under {models_dir}/"
            )
    else:
        out = fresh_model_dir(models_dir, name or default_name, o["overwrite"])

    if o["cell"] == "markov":
        from textkit.charrnn.markov import CharMarkov

        model = CharMarkov(
            order=o["order"], val_fraction=o["val_fraction"], smoothing=o["smoothing"]
        )
        seq_len = o["seq_len"] or CharRNNConfig().seq_len
        val = model.fit(corpus, out, seq_len=seq_len, overwrite=o["overwrite"]).best_val_loss
        click.echo(f"saved {out}  (order-{o['order']} {o['smoothing']} Markov, "
                   f"val loss {val:.4f} nats/char)", err=True)  # fmt: skip
        return
    from textkit.charrnn.rnn import CharRNN
    from textkit.device import resolve_device

    preset = o["preset"]
    if preset == "auto":
        preset = choose_preset(len(corpus), resolve_device(o["device"]))
    fallbacks = preset_training(preset)
    if o["epochs"] is not None or o["time_budget"] is not None:
        fallbacks.pop("max_steps")  # a limit the user gave replaces the preset's step count
    train_cfg = train_config_from(o, **fallbacks)
    if o["resume"]:
        train_cfg = _resumed(train_cfg, ModelFolder(out))
    model = CharRNN(preset_config(preset, cell=o["cell"], **{k: o[k] for k in SHAPE_OPTIONS}))
    click.echo(
        f"training {o['cell']} ({preset} preset) on {len(corpus):,} characters -> {out}",
        err=True,
    )
    result = model.fit(corpus, out, train_cfg, resume=o["resume"], overwrite=o["overwrite"],
                       log=lambda m: click.echo(m, err=True), show_samples=o["show_samples"])  # fmt: skip
    click.echo(
        f"{'interrupted' if result.interrupted else 'done'} after {result.steps} steps "
        f"({result.stopped_because}, {result.elapsed_s:.0f}s): best val loss "
        f"{result.best_val_loss:.4f} nats/char at step {result.best_step}; saved {out}",
        err=True,
    )
    if result.interrupted:
        click.echo("resume with the same command plus --resume", err=True)
        sys.exit(130)
    click.echo("sample it with: textkit generate --temperature 0.7", err=True)


def _resumed(cfg, folder):
    """With --resume the run goes on as it was set up: training settings not typed again come
    from the saved run; the model's shape always does (typing one is a warning)."""
    typed = typed_options((*SHAPE_OPTIONS, "cell", *TRAIN_OPTION_NAMES))
    for name in sorted(typed & {*SHAPE_OPTIONS, "cell"}):
        warnings.warn(f"--{name.replace('_', '-')} is ignored with --resume: the model keeps its "
                      "saved shape", TextkitWarning, stacklevel=2)  # fmt: skip
    saved = folder.read_config(("charrnn",)).get("training", {})
    return cfg.resumed(saved, {"amp" if n == "no_amp" else n for n in typed})


# ------------------------------------------------------------------ generate
@main.command(short_help="Sample text from a trained char model.")
@MODEL_CHOICE
@_opt(
    "-n",
    "--length",
    type=Number(0, 10_000_000, integer=True),
    default=500,
    help="Characters to generate per sample.",
)
@_opt(
    "-t",
    "--temperature",
    type=Number(0, 100),
    default=0.8,
    help="Randomness: lower is safer, higher is wilder; 0 means greedy (argmax).",
)
@_opt(
    "--temperatures",
    type=NumberList(Number(0, 100)),
    metavar="T1,T2,...",
    help="Sweep: one sample per temperature from the same seed, e.g. 0.3,0.6,0.9.",
)
@_opt("--top-k", type=COUNT, help="Sample only among the K most likely characters.")
@_opt(
    "--top-p",
    type=Number(0, 1, low_open=True),
    help="Nucleus sampling: the smallest set of characters whose probability reaches P, in (0, 1].",
)
@_opt(
    "--argmax",
    is_flag=True,
    help="Always take the most likely character (same as --temperature 0).",
)
@_opt(
    "-s",
    "--seed-text",
    "--prime",
    default="",
    help=r"Text the output starts with and continues (\n allowed). Unknown characters are mapped "
    "(é->e, curly->straight quotes) or dropped.",
)
@_opt(
    "--preseed",
    metavar="TEXT|@FILE|auto",
    help="Text fed through the model first to set its state, then cut from the output. 'auto' uses "
    "an excerpt of the training corpus.",
)
@_opt(
    "--num-samples",
    type=Number(1, 10_000, integer=True),
    default=1,
    help="Samples to generate in parallel (one batch).",
)
@_opt(
    "--stop-at",
    metavar="STRING",
    help=r"Stop a sample when it produces STRING (not included), e.g. '\n\n' for one stanza.",
)
@_opt(
    "--seed", type=Number(0, 2**63 - 1, integer=True), help="Random seed for reproducible samples."
)
@_opt(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the samples to FILE instead of the terminal.",
)
@_opt(
    "--check-original",
    type=Number(2, 10_000, integer=True),
    metavar="N",
    help="Mark lines sharing an N-character run with the training corpus and report the novel fraction.",
)
@_opt(
    "--copied",
    type=click.Choice(["mark", "drop"]),
    default="mark",
    help="With --check-original: prefix copied lines with [copied], or drop them.",
)
@DEVICE  # fmt: skip
def generate(model_path, models_dir, length, temperature, temperatures, top_k, top_p, argmax, seed_text, preseed,
             num_samples, stop_at, seed, output, check_original, copied, device):  # fmt: skip
    """Sample text from a trained char model (the latest one trained here by default)."""
    if stop_at == "":
        raise click.BadParameter("give a non-empty string", param_hint="'--stop-at'")
    model = load_chosen(model_path, models_dir, CHAR_KINDS, device)
    seed_text = unescape(seed_text)
    multi = bool(temperatures) or num_samples > 1
    stream = output is None and not multi and check_original is None
    # map the seed and pre-seed first: their warnings go out before any text streams
    prompt = model.prepare_prompt(seed_text, unescape(preseed))
    if stream:  # print the seed as the model will read it (unknown characters mapped/dropped)
        click.echo(prompt.seed, nl=False)

    def on_text(row: int, chunk: str) -> None:
        click.echo(chunk, nl=False)
        sys.stdout.flush()

    samples = model.generate(
        length, temperature, temperatures=temperatures, num_samples=num_samples, top_k=top_k,
        top_p=top_p, prompt=prompt, stop_at=unescape(stop_at), seed=seed, argmax=argmax,
        check_original=check_original, on_text=on_text if stream else None,
    )  # fmt: skip
    if stream:
        click.echo()
        return
    blocks = []
    for i, s in enumerate(samples, 1):
        text = s.text
        if s.lines is not None:
            kept = [("[copied] " + ln.line if ln.copied else ln.line) for ln in s.lines
                    if not (copied == "drop" and ln.copied)]  # fmt: skip
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
@MODEL_ARGUMENT
@click.argument("text")
@MODELS_DIR
@_opt("-k", type=Number(1, 100, integer=True), default=3, help="How many suggestions.")
@_opt("--beam", type=Number(1, 1000, integer=True), default=16, help="Beam width of the search.")
@_opt("--json", "as_json", is_flag=True, help="Print JSON.")  # fmt: skip
def suggest(model, text, models_dir, k, beam, as_json):
    """The K most likely next words after TEXT (or completions of its last word, when it doesn't
    end in a space or punctuation), with probabilities: the keyboard-suggestion use of MODEL."""
    import json

    m = load_chosen(model, models_dir, CHAR_KINDS, "cpu")
    found = m.suggest(unescape(text), k=k, beam=beam)
    if as_json:
        click.echo(json.dumps([{"word": s.word, "completion": s.completion, "probability": round(s.probability, 6)}
                               for s in found], ensure_ascii=False))  # fmt: skip
        return
    for s in found:
        click.echo(f"{s.probability:.3f}\t{s.word}")


@main.command("inspect", short_help="An HTML page of how a char model reads a text.")
@MODEL_ARGUMENT
@click.argument("text", metavar="TEXT|@FILE")
@MODELS_DIR
@_opt(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("inspect.html"),
    help="The HTML page to write.",
)
@_opt(
    "--units",
    type=NumberList(Number(0, 10**6, integer=True)),
    metavar="U1,U2,...",
    help="Hidden units (of the top layer) to show, e.g. 12,301.",
)
@_opt(
    "--find-units",
    is_flag=True,
    help="Rank units by how well they track quotes, brackets, position in the line, word starts.",
)
@_opt("--png", type=click.Path(dir_okay=False, path_type=Path), help="Also draw the heatmap as a PNG.")  # fmt: skip
def inspect_cmd(model, text, models_dir, output, units, find_units, png):
    """Write a self-contained HTML page showing TEXT (or @FILE) coloured by how surprised MODEL
    was at each character, its top guesses on hover, and chosen hidden units' activations."""
    from textkit.charrnn.inspect import find_units as rank_units
    from textkit.charrnn.inspect import inspect_text, render_html, render_png
    from textkit.modelio import atomic_write_bytes
    from textkit.text.io import read_small_text

    m = load_chosen(model, models_dir, CHAR_KINDS, "cpu")
    text = read_small_text(text[1:]) if text.startswith("@") else unescape(text)
    result = inspect_text(m, text)
    units = list(units or [])
    if find_units:
        found = rank_units(result)
        for name, best in found.items():
            click.echo(f"{name}: " + ", ".join(f"unit {u} (r = {r:+.2f})" for u, r in best))
        units = units or [u for best in found.values() for u, _ in best[:1]]
    atomic_write_bytes(
        output, render_html(result, units, f"{Path(model).name}: how it reads the text").encode()
    )
    click.echo(
        f"wrote {output} ({len(result.text)} characters, mean surprise {result.mean_surprise:.2f} nats)",
        err=True,
    )
    if png:
        click.echo(f"wrote {render_png(result, png, units)}", err=True)
