"""PNG plots of training runs (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path

from textkit.errors import TextkitError
from textkit.modelio import LOSS_PLOT, ModelFolder, atomic_path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _draw(ax, rows: list[dict], label: str, color=None) -> None:
    steps = [r["step"] for r in rows]
    ax.plot(steps, [r["val_loss"] for r in rows], marker="o" if len(rows) < 3 else None,
            label=f"{label} val", color=color)  # fmt: skip
    train = [(r["step"], r["train_loss"]) for r in rows if r.get("train_loss") is not None]
    if train:
        ax.plot(*zip(*train, strict=True), linestyle="--", alpha=0.7, label=f"{label} train",
                color=ax.lines[-1].get_color())  # fmt: skip


def plot_losses(folder: ModelFolder) -> Path | None:
    """Write ``loss.png`` (train and validation loss against step) into the model folder."""
    rows = [r for r in folder.read_metrics() if r.get("val_loss") is not None]
    if not rows:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    _draw(ax, rows, folder.path.name)
    ax.set(xlabel="step", ylabel="loss (nats/char)", title=f"{folder.path.name}")
    ax.grid(alpha=0.3)
    ax.legend()
    out = folder.file(LOSS_PLOT)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return out


def compare_losses(paths: list[str | Path], out: str | Path) -> Path:
    """One PNG with the loss curves of several model folders side by side."""
    if not paths:
        raise TextkitError("give at least one model folder to compare")
    plt = _pyplot()
    fig, (ax_val, ax_train) = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for path in paths:
        folder = ModelFolder(path)
        folder.read_config()
        rows = [r for r in folder.read_metrics() if r.get("val_loss") is not None]
        if not rows:
            raise TextkitError(f"{folder.path} has no metrics to plot")
        name = folder.path.name
        ax_val.plot([r["step"] for r in rows], [r["val_loss"] for r in rows],
                    marker="o" if len(rows) < 3 else None, label=name)  # fmt: skip
        train = [(r["step"], r["train_loss"]) for r in rows if r.get("train_loss") is not None]
        if train:
            ax_train.plot(*zip(*train, strict=True), label=name)
    ax_val.set(title="validation loss", xlabel="step", ylabel="loss (nats/char)")
    ax_train.set(title="training loss", xlabel="step")
    for ax in (ax_val, ax_train):
        ax.grid(alpha=0.3)
        ax.legend()
    out = Path(out)
    if not out.parent.exists():
        raise TextkitError(f"folder {out.parent} does not exist")
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return out
