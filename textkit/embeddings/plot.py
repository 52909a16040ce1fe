"""A 2-D map of word vectors (PCA, or t-SNE), labelled, as a PNG."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from textkit.embeddings.vectors import Vectors
from textkit.errors import TextkitError, TextkitWarning


def plot_projection(
    vectors: Vectors, keys: list[str], out: str | Path, tsne: bool = False, seed: int = 0
) -> Path:
    """Place ``keys`` (at least two known ones) on a plane: PCA keeps the largest directions of
    variance (distances mean something); t-SNE keeps neighbourhoods (clusters)."""
    from textkit.plots import png_figure

    known = [k for k in dict.fromkeys(keys) if k in vectors]
    missing = [k for k in keys if k not in vectors]
    if len(known) < 2:
        raise TextkitError(
            f"need at least two words in the vocabulary to plot (unknown: {missing[:10]})"
        )
    if missing:
        shown = ", ".join(missing[:10]) + (
            f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        )
        warnings.warn(
            f"left out {len(missing)} word(s) not in the vocabulary: {shown}",
            TextkitWarning,
            stacklevel=2,
        )
    x = np.stack([vectors.vector(k) for k in known]).astype(np.float64)
    if tsne:
        from sklearn.manifold import TSNE

        xy = TSNE(
            n_components=2, perplexity=min(30.0, len(known) - 1), random_state=seed, init="pca"
        ).fit_transform(x)
    else:
        centred = x - x.mean(0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        xy = centred @ vt[:2].T
    out = Path(out)
    with png_figure(out, figsize=(10, 8)) as (_, ax):
        ax.scatter(xy[:, 0], xy[:, 1], s=12, color="C0", alpha=0.6)
        for (px, py), key in zip(xy, known, strict=True):
            ax.annotate(key, (px, py), fontsize=8, xytext=(3, 2), textcoords="offset points")
        ax.set(title=f"{len(known)} words, {'t-SNE' if tsne else 'PCA'}", xticks=[], yticks=[])
    return out
