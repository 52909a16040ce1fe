"""A linear-chain CRF over sparse token features, in torch for training (the shared loop:
CUDA when present, resumable, keep-best on validation entity F1) and in numpy for answering
(Viterbi and forward-backward, so a saved model needs no torch).

Scores: ``emission[token, tag]`` is the sum of the tag weights of the token's features (an
EmbeddingBag with sparse gradients: a batch touches few of the rows), plus ``start[tag]``,
``transition[previous, tag]`` and ``end[tag]``.  Training minimises the negative
log-likelihood of the gold tag sequences, with an L2 penalty on the rows a batch uses.
Answering (Viterbi, marginals) is numpy, in ``decode``."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from textkit.training.loop import Task


class CRFNet(torch.nn.Module):
    def __init__(self, n_features: int, n_tags: int) -> None:
        super().__init__()
        self.emit = torch.nn.EmbeddingBag(n_features, n_tags, mode="sum", sparse=True)
        torch.nn.init.zeros_(self.emit.weight)
        self.start = torch.nn.Parameter(torch.zeros(n_tags))
        self.transition = torch.nn.Parameter(torch.zeros(n_tags, n_tags))
        self.end = torch.nn.Parameter(torch.zeros(n_tags))

    def forward(self, ids: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
        """Emission scores (tokens, tags) of flattened tokens."""
        return self.emit(ids, offsets)


def _padded(emissions: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(batch, longest, tags) emissions and the (batch, longest) mask of real tokens."""
    longest = int(lengths.max())
    mask = torch.arange(longest, device=lengths.device)[None, :] < lengths[:, None]
    out = emissions.new_zeros((len(lengths), longest, emissions.shape[1]))
    out[mask] = emissions
    return out, mask


def crf_nll(net: CRFNet, emissions: torch.Tensor, tags: torch.Tensor, lengths: torch.Tensor):
    """Per-sentence negative log-likelihood of the gold ``tags`` (flattened like the tokens).
    The partition function runs in scaled probability space (a matrix product per token, not a
    log-sum-exp over every tag pair: several times faster, forward and backward), always in
    float32: under mixed precision, half-precision products of probabilities would underflow."""
    with torch.autocast(emissions.device.type, enabled=False):
        return _nll(net, emissions.float(), tags, lengths)


def _nll(net: CRFNet, emissions: torch.Tensor, tags: torch.Tensor, lengths: torch.Tensor):
    em, mask = _padded(emissions, lengths)
    gold, _ = _padded(tags[:, None].float(), lengths)
    y = gold[..., 0].long()
    batch = torch.arange(len(lengths), device=em.device)
    score = net.start[y[:, 0]] + em[batch, 0, y[:, 0]]
    for t in range(1, em.shape[1]):
        trans = net.transition[y[:, t - 1], y[:, t]] + em[batch, t, y[:, t]]
        score = score + trans * mask[:, t]
    score = score + net.end[y[batch, lengths - 1]]
    # forward algorithm: alpha kept normalised, its log scale summed separately
    shift = net.transition.max().detach()
    step_matrix = torch.exp(net.transition - shift)
    first = net.start[None, :] + em[:, 0]
    top = first.max(1, keepdim=True).values.detach()
    alpha = torch.exp(first - top)
    log_scale = top[:, 0]
    for t in range(1, em.shape[1]):
        e = em[:, t]
        e_top = e.max(1, keepdim=True).values.detach()
        nxt = (alpha @ step_matrix) * torch.exp(e - e_top)
        total = nxt.sum(1, keepdim=True)
        live = mask[:, t]
        alpha = torch.where(live[:, None], nxt / total, alpha)
        log_scale = log_scale + live * (torch.log(total[:, 0]) + e_top[:, 0] + shift)
    end = net.end[None, :]
    end_top = end.max().detach()
    log_z = log_scale + torch.log((alpha * torch.exp(end - end_top)).sum(1)) + end_top
    return log_z - score


def viterbi_torch(net: CRFNet, emissions: torch.Tensor, lengths: torch.Tensor) -> list[list[int]]:
    """The best tag sequence of each sentence of a batch."""
    em, mask = _padded(emissions, lengths)
    score = net.start[None, :] + em[:, 0]
    back = []
    for t in range(1, em.shape[1]):
        cand = score[:, :, None] + net.transition[None]
        best, arg = cand.max(dim=1)
        nxt = best + em[:, t]
        step = mask[:, t][:, None]
        score = torch.where(step, nxt, score)
        back.append(torch.where(step, arg, torch.arange(em.shape[2], device=em.device)[None, :]))
    score = score + net.end[None, :]
    paths = []
    best_last = score.argmax(1).tolist()
    back_np = [b.cpu().numpy() for b in back]
    for b, n in enumerate(lengths.tolist()):
        tag = best_last[b]
        path = [tag]
        for t in range(n - 2, -1, -1):
            tag = int(back_np[t][b, tag])
            path.append(tag)
        paths.append(path[::-1])
    return paths


# ------------------------------------------------------------------ the loop's task
class Sentences:
    """Featurised sentences, flattened: token features (ids, per-token offsets), tags."""

    def __init__(self, rows: list[tuple[np.ndarray, np.ndarray]], tags: list[list[int]]) -> None:
        self.lengths = np.array([len(t) for t in tags], dtype=np.int64)
        self.rows, self.tags = rows, tags

    def __len__(self) -> int:
        return len(self.tags)

    def batch(self, index, device: torch.device):
        ids, offsets, tags, base = [], [], [], 0
        for i in index:
            f, o = self.rows[i]
            ids.append(f)
            offsets.append(o + base)
            base += len(f)
            tags.extend(self.tags[i])
        return (
            torch.from_numpy(np.concatenate(ids)).to(device),
            torch.from_numpy(np.concatenate(offsets)).to(device),
            torch.tensor(tags, dtype=torch.int64, device=device),
            torch.from_numpy(self.lengths[list(index)]).to(device),
        )


class TaggerTask(Task):
    """Mini-batches of sentences (a seeded permutation per epoch: resume stays exact);
    validation: loss and entity micro-F1 (exact spans), keep-best on F1."""

    unit_name = "sentences"
    monitor = "val_f1"
    mode = "max"
    tiebreak = ("val_loss", "min")

    def __init__(
        self,
        net: CRFNet,
        train: Sentences,
        val: Sentences,
        batch_size: int,
        l2: float,
        seed: int,
        spans_of: Callable[[list[int]], set],
        on_best: Callable[[dict], None],
        fingerprint: str,
    ) -> None:
        self.model, self.train, self.val, self.seed, self.l2 = net, train, val, seed, l2
        self.batch_size = min(batch_size, len(train))
        self.steps_per_epoch = -(-len(train) // self.batch_size)
        self.units_per_step = self.batch_size
        self._spans_of, self._on_best, self.fingerprint = spans_of, on_best, fingerprint

    dist = None

    def sparse_parameters(self) -> list[torch.nn.Parameter]:
        return [] if self.dist else [self.model.emit.weight]

    def shard(self, dist) -> None:
        """Each rank takes its share of every batch; the feature rows' gradient turns dense
        (NCCL can't all-reduce sparse tensors), as the classifiers' does."""
        self.dist = dist
        self.model.emit.sparse = False

    def train_loss(self, step: int, device: torch.device) -> torch.Tensor:
        epoch, index = divmod(step, self.steps_per_epoch)
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        perm = torch.randperm(len(self.train), generator=gen)
        rows = perm[index * self.batch_size : (index + 1) * self.batch_size].tolist()
        n_batch = len(rows)
        rows = rows[self.dist.rows(len(rows))] if self.dist else rows
        ids, offsets, tags, lengths = self.train.batch(rows, device)
        emissions = self.train_model(ids, offsets)
        loss = crf_nll(self.model, emissions, tags, lengths).mean()
        if self.l2:
            used = torch.unique(ids)
            # the penalty spread over an epoch's batches (and over the ranks, which average)
            share = n_batch / len(self.train) * (self.dist.world if self.dist else 1)
            weight = self.model.emit.weight
            rows_used = torch.nn.functional.embedding(used, weight, sparse=self.dist is None)
            loss = loss + self.l2 * share * rows_used.pow(2).sum() / n_batch
        return loss

    def evaluate(self, device: torch.device) -> dict[str, float]:
        data = self.val if len(self.val) else self.train
        losses, right, found, gold = [], 0, 0, 0
        for begin in range(0, len(data), 256):
            rows = list(range(begin, min(begin + 256, len(data))))
            ids, offsets, tags, lengths = data.batch(rows, device)
            emissions = self.model(ids, offsets)
            losses.append(crf_nll(self.model, emissions, tags, lengths))
            for path, i in zip(viterbi_torch(self.model, emissions, lengths), rows, strict=True):
                want, got = self._spans_of(data.tags[i]), self._spans_of(path)
                right += len(want & got)
                found += len(got)
                gold += len(want)
        precision = right / found if found else 0.0
        recall = right / gold if gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"val_loss": torch.cat(losses).mean().item(), "val_f1": f1}

    def on_best(self, row: dict) -> None:
        self._on_best(row)
