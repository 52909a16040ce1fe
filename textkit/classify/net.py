"""The classifier network (torch, for training; ``inference.py`` answers with its arrays)."""

from __future__ import annotations

import math

import torch
from torch import nn


class BagMLP(nn.Module):
    """Sparse weighted bag of features -> hidden layer (LayerNorm, GELU, dropout) -> labels.

    The first layer is an EmbeddingBag: a text's hidden vector is the weighted sum of its
    features' rows, never a dense 300k-wide input; its gradient is sparse (only the rows of the
    batch's features), which the loop updates with SparseAdam."""

    def __init__(self, n_features: int, n_labels: int, hidden: int, dropout: float) -> None:
        super().__init__()
        self.bag = nn.EmbeddingBag(n_features, hidden, mode="sum", sparse=True)
        nn.init.normal_(self.bag.weight, std=1 / math.sqrt(hidden))
        self.norm = nn.LayerNorm(hidden)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, n_labels)

    def forward(
        self, ids: torch.Tensor, offsets: torch.Tensor, weights: torch.Tensor
    ) -> torch.Tensor:
        h = self.bag(ids, offsets, per_sample_weights=weights)
        return self.out(self.drop(nn.functional.gelu(self.norm(h))))

    def sparse_parameters(self) -> list[nn.Parameter]:
        return [self.bag.weight] if self.bag.sparse else []
