"""`models` and `compare`: looking at what has been trained."""

from __future__ import annotations

from pathlib import Path

import click

from textkit.cli.base import main
from textkit.cli.options import MODELS_DIR, _opt


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
        rows.append((
            str(i.path), i.kind, f"{i.num_params:,}" if i.num_params else "-", _size(i.size_bytes),
            metric, i.saved_at[:19].replace("T", " "),
        ))  # fmt: skip
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
@_opt(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PNG file to write. [default: MODELS_DIR/compare.png]",
)
@MODELS_DIR  # fmt: skip
def compare(models, output, models_dir):
    """Plot the loss curves of several model folders side by side in one PNG.

    Each MODEL is a folder, or a name under --models-dir."""
    from textkit.modelio import resolve_model_path
    from textkit.plots import compare_losses

    paths = [resolve_model_path(m, models_dir, ()) for m in models]
    out = compare_losses(paths, output or models_dir / "compare.png")
    click.echo(f"wrote {out}", err=True)
