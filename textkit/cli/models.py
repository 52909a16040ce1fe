"""`models` and `compare`: looking at what has been trained."""

from __future__ import annotations

from pathlib import Path

import click

from textkit.cli.base import main
from textkit.cli.choose import MODELS_DIR, new_model_dir, output_options
from textkit.cli.params import Number, opt
from textkit.cli.settings import options, typed
from textkit.training.config import TrainConfig

DEMO_STEPS = 2000  # each step sees every example of the toy problem


@main.command("models", short_help="List trained models.")
@MODELS_DIR
def models_cmd(models_dir):
    """List trained models: kind, size, headline metric and date, newest first."""
    from textkit.modelio import list_models

    infos = list_models(models_dir)
    if not infos:
        click.echo(f"no models under {models_dir}/", err=True)
        return
    rows = [("MODEL", "KIND", "PARAMS", "SIZE", "METRIC", "SAVED")]
    for i in infos:
        metric = f"{i.headline[0]} {i.headline[1]}" if i.headline else "-"
        rows.append(
            (
                str(i.path),
                i.kind,
                f"{i.num_params:,}" if i.num_params else "-",
                _size(i.size_bytes),
                metric,
                i.saved_at[:19].replace("T", " "),
            )
        )
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    for r in rows:
        click.echo("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


@main.command(short_help="Plot several models' loss curves in one PNG.")
@click.argument(
    "models", nargs=-1, required=True, metavar="MODEL...", type=click.Path(path_type=Path)
)
@opt(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PNG file to write. [default: MODELS_DIR/compare.png]",
)
@MODELS_DIR
def compare(models, output, models_dir):
    """Plot the loss curves of several model folders side by side in one PNG.

    Each MODEL is a folder, or a name under --models-dir."""
    from textkit.modelio import resolve_model_path
    from textkit.plots import compare_losses

    paths = [resolve_model_path(m, models_dir, ()) for m in models]
    out = compare_losses(paths, output or models_dir / "compare.png")
    click.echo(f"wrote {out}", err=True)


@main.command(short_help="Train a classic toy problem (xor, or, line) to compare optimisers.")
@click.argument("problem", type=click.Choice(["xor", "or", "line"]))
@options(
    TrainConfig,
    only=("optimizer", "lr", "max_steps", "seed"),
    shown={"lr": "one that suits the optimiser", "max_steps": str(DEMO_STEPS)},
)
@opt(
    "--hidden",
    type=Number(0, 1024, integer=True),
    default=4,
    help="Hidden units for or/xor; 0: a single layer (which cannot learn xor).",
)
@output_options
def demo(problem, hidden, name, models_dir, overwrite, **_):
    """Train PROBLEM with the shared training loop and an optimiser, writing its metrics and
    loss curve to MODELS_DIR/NAME; `textkit compare` then draws several runs side by side."""
    from textkit.training.classics import run_demo

    chose = typed(TrainConfig)
    optimizer = chose.get("optimizer", TrainConfig.optimizer)
    out = new_model_dir(
        dict(models_dir=models_dir, name=name, overwrite=overwrite), f"{problem}-{optimizer}"
    )
    _task, result = run_demo(
        problem,
        out,
        optimizer,
        chose.get("lr"),
        chose.get("max_steps", DEMO_STEPS),
        hidden,
        chose.get("seed", TrainConfig.seed),
        overwrite,
    )
    best = result.best or {}
    extra = f", accuracy {best['val_accuracy']:.0%}" if "val_accuracy" in best else ""
    click.echo(
        f"saved {out}: {problem} with {optimizer}, loss {result.last_val_loss:.4g}{extra} after {result.steps} steps"
    )
    if problem == "xor" and not hidden:
        click.echo("(a single layer can get at most 3 of xor's 4 cases right: try --hidden 4)")
    click.echo(f"compare runs: textkit compare {out} ...", err=True)
