"""PNG plots of training runs (matplotlib, headless): each model's curves, and comparisons.

Whatever metrics a trainer reports are drawn: the losses (train and validation) in one panel
labelled with the loss's unit, and any other validation metric (accuracy, F1, ...) beside it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from textkit.errors import TextkitError
from textkit.modelio import LOSS_PLOT, ModelFolder, atomic_path

_NOT_METRICS = {"step", "epoch", "train_loss", "val_loss", "lr", "units_per_s", "elapsed_s"}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _series(rows: list[dict], key: str) -> list[tuple[float, float]]:
    return [(r.get("step", 0), r[key]) for r in rows if isinstance(r.get(key), (int, float))]


def _draw(ax, rows: list[dict], key: str, label: str, color: str, style: str = "-") -> None:
    """One metric against step; a one-point run (e.g. a Markov model, which has no steps) is
    drawn as a horizontal reference line."""
    points = _series(rows, key)
    if len(points) == 1:
        ax.axhline(points[0][1], linestyle=":", color=color, label=label)
    elif points:
        ax.plot(*zip(*points, strict=True), linestyle=style, color=color, label=label)


def _other_metrics(rows: list[dict]) -> list[str]:
    keys: list[str] = []
    for r in rows:
        for k, v in r.items():
            if (
                k.startswith("val_")
                and k not in _NOT_METRICS
                and k not in keys
                and isinstance(v, (int, float))
            ):
                keys.append(k)
    return keys


@contextlib.contextmanager
def png_figure(out: str | Path, *grid: int, dpi: int = 110, **subplots) -> Iterator[tuple]:
    """``(figure, axes)`` to draw on (``plt.subplots(*grid, **subplots)``, headless); when the
    block ends the PNG is written to ``out`` atomically and the figure closed.  Every plot
    textkit draws goes through here."""
    plt = _pyplot()
    fig, axes = plt.subplots(*grid, **subplots)
    try:
        yield fig, axes
        with atomic_path(Path(out)) as tmp:
            fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
    finally:
        plt.close(fig)


def plot_metrics(folder: ModelFolder, loss_unit: str = "nats") -> Path | None:
    """Write ``loss.png``: train and validation loss against step, and the other validation
    metrics in a second panel when the trainer reported any."""
    rows = folder.read_metrics()
    if not rows:
        return None
    others = _other_metrics(rows)
    out = folder.file(LOSS_PLOT)
    size = (12 if others else 7, 4.5)
    with png_figure(out, 1, 2 if others else 1, figsize=size, squeeze=False, dpi=100) as (_, axes):
        ax = axes[0][0]
        _draw(ax, rows, "val_loss", "validation", "C0")
        _draw(ax, rows, "train_loss", "training", "C1", "--")
        ax.set(xlabel="step", ylabel=f"loss ({loss_unit})", title=f"{folder.final_path.name}: loss")
        if others:
            ax2 = axes[0][1]
            for i, key in enumerate(others):
                _draw(ax2, rows, key, key, f"C{i + 2}")
            ax2.set(xlabel="step", title="validation metrics")
        for a in axes[0]:
            a.grid(alpha=0.3)
            if a.lines:
                a.legend()
    return out


def compare_losses(paths: list[str | Path], out: str | Path) -> Path:
    """One PNG with the validation and training loss curves of several model folders."""
    if not paths:
        raise TextkitError("give at least one model folder to compare")
    out = Path(out)
    if not out.parent.exists():
        raise TextkitError(f"folder {out.parent} does not exist")
    runs, units = [], set()
    for path in paths:
        folder = ModelFolder(path)
        config = folder.read_config()
        rows = [r for r in folder.read_metrics() if isinstance(r.get("val_loss"), (int, float))]
        if not rows:
            raise TextkitError(f"{folder.path} has no metrics to plot")
        runs.append((folder.path.name, rows))
        units.add(str(config.get("loss_unit", "nats")))
    unit = units.pop() if len(units) == 1 else "mixed units"
    with png_figure(out, 1, 2, figsize=(12, 4.5), sharey=True, dpi=100) as (_, (ax_val, ax_train)):
        for i, (name, rows) in enumerate(runs):
            _draw(ax_val, rows, "val_loss", f"{name} val", f"C{i % 10}")
            _draw(ax_train, rows, "train_loss", f"{name} train", f"C{i % 10}", "--")
        ax_val.set(title="validation loss", xlabel="step", ylabel=f"loss ({unit})")
        ax_train.set(title="training loss", xlabel="step")
        for ax in (ax_val, ax_train):
            ax.grid(alpha=0.3)
            if ax.lines:
                ax.legend()
    return out
