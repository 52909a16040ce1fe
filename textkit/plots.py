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


def _draw(ax_val, ax_train, rows: list[dict], label: str, color: str = "C0") -> None:
    """Validation (and training) loss against step; a one-point run (e.g. a Markov model,
    which has no steps) is drawn as a horizontal reference line."""
    if len(rows) == 1:
        line = ax_val.axhline(rows[0]["val_loss"], linestyle=":", color=color, label=f"{label} val")
    else:
        (line,) = ax_val.plot([r["step"] for r in rows], [r["val_loss"] for r in rows],
                              color=color, label=f"{label} val")  # fmt: skip
    train = [(r["step"], r["train_loss"]) for r in rows if r.get("train_loss") is not None]
    if train:
        ax_train.plot(*zip(*train, strict=True), linestyle="--", color=line.get_color(),
                      label=f"{label} train")  # fmt: skip


def _save(fig, out: Path) -> Path:
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    return out


def _val_rows(folder: ModelFolder) -> list[dict]:
    return [r for r in folder.read_metrics() if r.get("val_loss") is not None]


def plot_losses(folder: ModelFolder) -> Path | None:
    """Write ``loss.png`` (train and validation loss against step) into the model folder."""
    rows = _val_rows(folder)
    if not rows:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    _draw(ax, ax, rows, folder.path.name)
    ax.set(xlabel="step", ylabel="loss (nats/char)", title=folder.path.name)
    ax.grid(alpha=0.3)
    ax.legend()
    out = _save(fig, folder.file(LOSS_PLOT))
    plt.close(fig)
    return out


def compare_losses(paths: list[str | Path], out: str | Path) -> Path:
    """One PNG with the loss curves of several model folders side by side."""
    if not paths:
        raise TextkitError("give at least one model folder to compare")
    out = Path(out)
    if not out.parent.exists():
        raise TextkitError(f"folder {out.parent} does not exist")
    runs = []
    for path in paths:
        folder = ModelFolder(path)
        folder.read_config()
        rows = _val_rows(folder)
        if not rows:
            raise TextkitError(f"{folder.path} has no metrics to plot")
        runs.append((folder.path.name, rows))
    plt = _pyplot()
    fig, (ax_val, ax_train) = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for i, (name, rows) in enumerate(runs):
        _draw(ax_val, ax_train, rows, name, color=f"C{i % 10}")
    ax_val.set(title="validation loss", xlabel="step", ylabel="loss (nats/char)")
    ax_train.set(title="training loss", xlabel="step")
    for ax in (ax_val, ax_train):
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend()
    _save(fig, out)
    plt.close(fig)
    return out
