"""`train-charrnn` and `generate`: the character-level generators."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import click

from textkit.cli.base import DEVICE_OPTION, MODELS_DIR_OPTION, main, parse_duration, unescape
from textkit.errors import TextkitError

if TYPE_CHECKING:  # torch-importing modules load lazily, so `textkit --help` stays instant
    from textkit.training import TrainConfig


@main.command("train-charrnn", short_help="Train a char-level LSTM/GRU/RNN or n-gram generator.")
@click.argument("inputs", nargs=-1, required=True, metavar="CORPUS...")
@click.option(
    "--name", help="Model name: saved to MODELS_DIR/NAME. [default: the corpus file's name]"
)
@MODELS_DIR_OPTION
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace MODELS_DIR/NAME instead of saving to NAME-2, NAME-3...",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the latest model trained on this corpus (or --name) exactly where it stopped.",
)
@click.option(
    "--preset",
    type=click.Choice(["auto", "tiny", "small", "wide", "medium", "large"]),
    default="auto",
    show_default=True,
    help="Size, LR and step defaults. auto: small (2x256, ~2 min on a laptop CPU) below a million characters, "
    "else wide (1x512) on a CPU or medium (3x512) on a GPU; large (3x1024) for big GPUs. Options below override it.",
)
@click.option(
    "--cell",
    type=click.Choice(["lstm", "gru", "rnn", "markov"]),
    default="lstm",
    show_default=True,
    help="Recurrent cell, or 'markov' for the character n-gram baseline.",
)
@click.option(
    "--order", type=int, default=5, show_default=True, help="Context length of --cell markov."
)
@click.option(
    "--smoothing",
    type=click.Choice(["kneser-ney", "witten-bell"]),
    default="kneser-ney",
    show_default=True,
    help="Smoothing of --cell markov.",
)
@click.option("--layers", type=int, help="Recurrent layers. [preset]")
@click.option("--hidden", type=int, help="Hidden units per layer. [preset]")
@click.option("--embedding", type=int, help="Character embedding size. [preset]")
@click.option(
    "--seq-len", type=int, help="Characters per training sequence (truncated BPTT length). [preset]"
)
@click.option("--batch-size", type=int, help="Parallel streams per batch. [preset]")
@click.option(
    "--dropout",
    type=float,
    default=0.1,
    show_default=True,
    help="Dropout between layers and before the output.",
)
@click.option(
    "--optimizer",
    type=click.Choice(["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"]),
    default="adam",
    show_default=True,
    help="Optimiser.",
)
@click.option("--lr", type=float, help="Peak learning rate. [preset: 2e-3, wide 5e-3]")
@click.option(
    "--momentum", type=float, default=0.9, show_default=True, help="Momentum for momentum/nesterov."
)
@click.option(
    "--weight-decay",
    type=float,
    default=0.0,
    show_default=True,
    help="L2 penalty (decoupled for adamw).",
)
@click.option(
    "--clip",
    type=float,
    default=5.0,
    show_default=True,
    help="Gradient-norm clipping; 0 turns it off.",
)
@click.option(
    "--schedule",
    type=click.Choice(["cosine", "linear", "constant"]),
    default="cosine",
    show_default=True,
    help="LR schedule after warm-up, decaying to 10% at the end of training.",
)
@click.option(
    "--warmup", type=int, default=0, show_default=True, help="Steps of linear LR warm-up."
)
@click.option("--max-steps", type=int, help="Stop after this many steps. [preset]")
@click.option("--epochs", type=float, help="Stop after this many passes over the training text.")
@click.option("--time-budget", help="Stop after this much wall-clock time, e.g. 300, 5m, 1h.")
@click.option(
    "--eval-every",
    type=int,
    default=100,
    show_default=True,
    help="Steps between validation runs and checkpoints.",
)
@click.option(
    "--patience", type=int, help="Stop after this many evaluations without a better val loss."
)
@click.option(
    "--val-fraction",
    type=float,
    default=0.1,
    show_default=True,
    help="Share of the text (its end) held out for validation.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Random seed; the same seed repeats a run exactly.",
)
@DEVICE_OPTION
@click.option(
    "--no-amp",
    is_flag=True,
    help="Train in full fp32 precision on CUDA (mixed precision is the default there).",
)
@click.option(
    "--encoding", default="utf-8", show_default=True, help="Text encoding of the corpus files."
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar. [default: when stderr is a terminal]",
)
@click.option(
    "--show-samples", type=int, default=0, show_default=True, metavar="N",
    help="Print an N-character sample at every evaluation (0: off).",
)  # fmt: skip
def train_charrnn(inputs, name, models_dir, overwrite, resume, preset, cell, order, smoothing, layers, hidden, embedding,
                  seq_len, batch_size, dropout, optimizer, lr, momentum, weight_decay, clip, schedule, warmup,
                  max_steps, epochs, time_budget, eval_every, patience, val_fraction, seed, device, no_amp,
                  encoding, progress, show_samples):  # fmt: skip
    """Train a character-level generator on CORPUS (files, directories, or - for stdin).

    Everything lands in MODELS_DIR/NAME: model.safetensors, config.json, metrics.jsonl,
    loss.png and train_state.pt (for --resume). Ctrl-C stops cleanly and saves.
    """
    from textkit.charrnn import PRESETS, CharMarkov, CharRNN, choose_preset
    from textkit.device import resolve_device
    from textkit.modelio import ModelFolder, find_trained_on, fresh_model_dir
    from textkit.text.io import read_corpus
    from textkit.training import TrainConfig

    corpus = read_corpus(list(inputs), encoding=encoding)
    first = str(inputs[0])
    default_name = "stdin" if first == "-" else (Path(first).stem or Path(first).name or "corpus")
    if resume:
        if cell == "markov":
            raise TextkitError(
                "--resume applies to neural models; a markov model trains in one pass"
            )
        out = (
            models_dir / name
            if name
            else find_trained_on(models_dir, CharRNN.KIND, corpus.fingerprint)
        )
        if out is None or not ModelFolder(out).exists():
            raise TextkitError(
                f"nothing to resume: no char-RNN model trained on this corpus under {models_dir}/"
            )
    else:
        out = fresh_model_dir(models_dir, name or default_name, overwrite)

    if preset == "auto":
        preset = choose_preset(len(corpus.text), resolve_device(device))
    p = PRESETS[preset]
    if cell == "markov":
        model = CharMarkov(order=order, val_fraction=val_fraction, smoothing=smoothing)
        val = model.fit(
            corpus, out, seq_len=p["seq_len"] if seq_len is None else seq_len
        ).best_val_loss
        click.echo(
            f"saved {out}  (order-{order} {smoothing} Markov, val loss {val:.4f} nats/char)",
            err=True,
        )
        return
    train_cfg = TrainConfig(
        optimizer=optimizer, lr=p["lr"] if lr is None else lr, momentum=momentum, weight_decay=weight_decay, clip=clip,
        schedule=schedule, warmup=warmup,
        max_steps=max_steps if max_steps is not None else (p["max_steps"] if epochs is None and time_budget is None else None),
        epochs=epochs, time_budget=parse_duration(time_budget), eval_every=eval_every, patience=patience,
        seed=seed, device=device, amp=not no_amp, progress=progress,
    )  # fmt: skip

    if resume:
        train_cfg = _resumed_config(train_cfg, ModelFolder(out).read_config((CharRNN.KIND,)))

    def pick(value, key):  # an option the user gave wins over the preset, even 0
        return p[key] if value is None else value

    model = CharRNN(
        cell=cell, embedding=pick(embedding, "embedding"), hidden=pick(hidden, "hidden"),
        layers=pick(layers, "layers"), dropout=dropout, seq_len=pick(seq_len, "seq_len"),
        batch_size=pick(batch_size, "batch_size"), val_fraction=val_fraction,
    )  # fmt: skip
    click.echo(
        f"training {cell} ({preset} preset) on {len(corpus.text):,} characters -> {out}", err=True
    )
    result = model.fit(corpus, out, train_cfg, resume=resume, log=lambda m: click.echo(m, err=True),
                       show_samples=show_samples)  # fmt: skip
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


_SHAPE_OPTIONS = (
    "cell",
    "layers",
    "hidden",
    "embedding",
    "seq_len",
    "batch_size",
    "dropout",
    "val_fraction",
)
_RESUMED_SETTINGS = ("optimizer", "lr", "momentum", "weight_decay", "clip", "schedule", "warmup",
                     "max_steps", "epochs", "time_budget", "eval_every", "patience", "seed")  # fmt: skip


def _resumed_config(cfg: TrainConfig, saved: dict) -> TrainConfig:
    """With --resume, the run goes on exactly as it was set up: training settings not typed on
    this command line come from the saved run, not from today's defaults; the model's shape
    always does (typing one is a warning, not a silent no-op)."""
    from textkit.charrnn.generator import TextkitWarning

    ctx = click.get_current_context()
    typed = {
        name
        for name in (*_SHAPE_OPTIONS, *_RESUMED_SETTINGS, "no_amp")
        if ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE
    }
    for name in sorted(typed & set(_SHAPE_OPTIONS)):
        warnings.warn(f"--{name.replace('_', '-')} is ignored with --resume: the model keeps its saved shape",
                      TextkitWarning, stacklevel=2)  # fmt: skip
    previous = saved.get("training", {})
    for name in _RESUMED_SETTINGS:
        if name not in typed and name in previous:
            setattr(cfg, name, previous[name])
    if "no_amp" not in typed and "amp" in previous:
        cfg.amp = previous["amp"]
    return cfg


# ------------------------------------------------------------------ generate
@main.command(short_help="Sample text from a trained char model.")
@click.option(
    "--model",
    "model_path",
    metavar="PATH|NAME",
    help="Model folder. [default: the most recently trained one]",
)
@MODELS_DIR_OPTION
@click.option(
    "-n",
    "--length",
    type=int,
    default=500,
    show_default=True,
    help="Characters to generate per sample.",
)
@click.option(
    "-t",
    "--temperature",
    type=float,
    default=0.8,
    show_default=True,
    help="Randomness: lower is safer, higher is wilder; 0 means greedy (argmax).",
)
@click.option(
    "--temperatures",
    metavar="T1,T2,...",
    help="Sweep: one sample per temperature from the same seed, e.g. 0.3,0.6,0.9.",
)
@click.option("--top-k", type=int, help="Sample only among the K most likely characters.")
@click.option(
    "--top-p",
    type=float,
    help="Nucleus sampling: the smallest set of characters whose probability reaches P, in (0, 1].",
)
@click.option(
    "--argmax",
    is_flag=True,
    help="Always take the most likely character (same as --temperature 0).",
)
@click.option(
    "-s",
    "--seed-text",
    "--prime",
    default="",
    help=r"Text the output starts with and continues (\n allowed). Unknown characters are mapped (é->e, curly->straight quotes) or dropped.",
)
@click.option(
    "--preseed",
    metavar="TEXT|@FILE|auto",
    help="Text fed through the model first to set its state, then cut from the output. 'auto' uses an excerpt of the training corpus.",
)
@click.option(
    "--num-samples",
    type=int,
    default=1,
    show_default=True,
    help="Samples to generate in parallel (one batch).",
)
@click.option(
    "--stop-at",
    metavar="STRING",
    help=r"Stop a sample when it produces STRING (not included), e.g. '\n\n' for one stanza.",
)
@click.option("--seed", type=int, help="Random seed for reproducible samples.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the samples to FILE instead of the terminal.",
)
@click.option(
    "--check-original",
    type=int,
    metavar="N",
    help="Mark lines sharing an N-character run with the training corpus and report the novel fraction.",
)
@click.option(
    "--copied",
    type=click.Choice(["mark", "drop"]),
    default="mark",
    show_default=True,
    help="With --check-original: prefix copied lines with [copied], or drop them.",
)
@DEVICE_OPTION
def generate(model_path, models_dir, length, temperature, temperatures, top_k, top_p, argmax, seed_text, preseed,
             num_samples, stop_at, seed, output, check_original, copied, device):  # fmt: skip
    """Sample text from a trained char model (the latest one trained here by default)."""
    from textkit.charrnn import CharGenerator, CharMarkov, CharRNN
    from textkit.modelio import resolve_model_path

    kinds = (CharRNN.KIND, CharMarkov.KIND)
    path = resolve_model_path(model_path, models_dir, kinds)
    temps = None
    if temperatures:
        try:
            temps = [float(t) for t in temperatures.split(",") if t.strip()]
        except ValueError:
            raise TextkitError(
                f"--temperatures {temperatures!r}: give numbers like 0.3,0.6,0.9"
            ) from None
    if check_original is not None and check_original < 2:
        raise TextkitError("--check-original N needs N >= 2")
    model = CharGenerator.load_any(path, device=device)
    seed_text = unescape(seed_text)
    multi = bool(temps) or num_samples > 1
    stream = output is None and not multi and check_original is None
    if stream:  # print the seed as the model will read it (unknown characters mapped/dropped)
        click.echo(model.vocab.map_unknown(seed_text)[0], nl=False)

    def on_text(row: int, chunk: str) -> None:
        click.echo(chunk, nl=False)
        sys.stdout.flush()

    samples = model.generate(
        length, temperature, temperatures=temps, num_samples=num_samples, top_k=top_k, top_p=top_p,
        seed_text=seed_text, preseed=unescape(preseed), stop_at=unescape(stop_at), seed=seed,
        argmax=argmax, check_original=check_original, on_text=on_text if stream else None,
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
