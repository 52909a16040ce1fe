"""word2vec in PyTorch, trained by the shared loop: the backend for CUDA (gensim is CPU-only).

The reference word2vec's recipe (Mikolov et al. 2013, as word2vec.c and gensim implement it):

- the vocabulary: words seen at least ``min_count`` times, most frequent first;
- frequent-word subsampling: a word of count ``f`` is kept with probability
  ``(sqrt(f / t) + 1) * t / f`` (capped at 1), ``t = sample * total words``;
- negative samples drawn from the unigram distribution raised to the power 0.75;
- a dynamic window: each centre word uses a window of ``1..window`` words, uniformly;
- plain SGD on the summed pair losses with the learning rate decaying linearly.

Everything per step happens on the device: the corpus ids live there, and a batch (centre
words, their contexts, negatives) is built there from a generator seeded by (seed, epoch,
step), so a batch is a pure function of its step and resume stays exact.  Gradients are sparse
(only the rows a batch touches), updated with sparse SGD: measured faster than dense updates.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from textkit.errors import TextkitError
from textkit.training.distributed import Dist
from textkit.training.loop import Task

NEG_POWER = 0.75


def build_vocab(
    corpus_file: Path, min_count: int, max_vocab: int | None = None
) -> tuple[list[str], list[int]]:
    """Words seen at least ``min_count`` times, most frequent first, in gensim's order (its
    tie order too: among equal counts, the word first seen later comes first), so both backends index the
    same vocabulary the same way."""
    counts: Counter[str] = Counter()
    with open(corpus_file, encoding="utf-8") as fh:
        for line in fh:
            counts.update(line.split())
    kept = [(w, n) for w, n in counts.items() if n >= min_count]  # Counter keeps first-seen order
    n = np.array([c for _, c in kept], dtype=np.int64)
    order = np.lexsort((-np.arange(len(n)), -n))  # gensim's: count descending, ties later first
    kept = [kept[i] for i in order]
    if max_vocab:
        kept = kept[:max_vocab]
    return [w for w, _ in kept], [n for _, n in kept]


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """The probability each word survives subsampling (1 everywhere when ``sample`` is 0)."""
    counts = np.asarray(counts, dtype=np.float64)
    if not sample:
        return np.ones_like(counts)
    threshold = sample * counts.sum()
    return np.minimum((np.sqrt(counts / threshold) + 1) * threshold / counts, 1.0)


def negative_distribution(counts: np.ndarray, power: float = NEG_POWER) -> np.ndarray:
    """Unigram probabilities raised to ``power`` and renormalised: what negatives are drawn from."""
    weights = np.asarray(counts, dtype=np.float64) ** power
    return weights / weights.sum()


def encode_corpus(corpus_file: Path, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(token ids, document id per token) of the in-vocabulary words, in corpus order."""
    index = {w: i for i, w in enumerate(words)}
    ids, docs = [], []
    with open(corpus_file, encoding="utf-8") as fh:
        for doc, line in enumerate(fh):
            row = [index[w] for w in line.split() if w in index]
            ids.append(np.asarray(row, dtype=np.int32))
            docs.append(np.full(len(row), doc, dtype=np.int32))
    if not ids or not sum(len(r) for r in ids):
        raise TextkitError("no word of the corpus is in the vocabulary; lower min_count")
    return np.concatenate(ids), np.concatenate(docs)


class Word2VecNet(nn.Module):
    """Input ("syn0") and output ("syn1neg") embeddings, initialised as the reference does."""

    def __init__(self, vocab_size: int, dim: int) -> None:
        super().__init__()
        self.syn0 = nn.Embedding(vocab_size, dim)
        self.syn1neg = nn.Embedding(vocab_size, dim)
        nn.init.uniform_(self.syn0.weight, -0.5 / dim, 0.5 / dim)
        nn.init.zeros_(self.syn1neg.weight)

    def forward(
        self, centre: torch.Tensor, ctx: torch.Tensor, negatives: torch.Tensor, sg: bool
    ) -> torch.Tensor:
        """The summed negative-sampling loss of one batch (ctx is -1 where there is none)."""
        valid = ctx >= 0
        if sg:  # each (centre, context) pair: the centre's input vector predicts the context
            rows, cols = torch.nonzero(valid, as_tuple=True)
            h = self.syn0(centre[rows])
            target = self.syn1neg(ctx[rows, cols])
        else:  # CBOW: the mean of the context's input vectors predicts the centre
            keep = valid.any(1)
            ctx, valid, centre, negatives = ctx[keep], valid[keep], centre[keep], negatives[keep]
            vecs = self.syn0(ctx.clamp_min(0)) * valid.unsqueeze(-1)
            h = vecs.sum(1) / valid.sum(1, keepdim=True)
            target = self.syn1neg(centre)
        pos = F.logsigmoid((h * target).sum(-1))
        neg = F.logsigmoid(-(h.unsqueeze(1) * self.syn1neg(negatives)).sum(-1))
        return -(pos.sum() + neg.sum())


class Word2VecTask(Task):
    """Skip-gram or CBOW with negative sampling over corpus ids held on the device."""

    unit_name = "words"
    loss_unit = "nats/pair"

    def __init__(
        self,
        ids: np.ndarray,
        docs: np.ndarray,
        counts: list[int],
        *,
        dim: int,
        window: int,
        negative: int,
        sample: float,
        sg: bool,
        batch_words: int,
        seed: int,
    ) -> None:
        self.model = Word2VecNet(len(counts), dim)
        self._ids_np, self._docs_np = ids, docs
        self.window, self.negative, self.sg, self.seed = window, negative, sg, seed
        self.keep = keep_probabilities(np.asarray(counts), sample)
        self.neg_cdf = np.cumsum(negative_distribution(np.asarray(counts)))
        expected_kept = float(self.keep[ids].sum())
        self.batch_words = max(1, min(batch_words, int(expected_kept)))
        self.steps_per_epoch = max(1, math.ceil(expected_kept / self.batch_words))
        self.units_per_step = self.batch_words
        self._device: torch.device | None = None
        self._epoch: int | None = None
        self.dist: Dist | None = None

    def _on(self, device: torch.device) -> None:
        if self._device != device:
            self.ids = torch.from_numpy(self._ids_np).long().to(device)
            self.docs = torch.from_numpy(self._docs_np).to(device)
            self.keep_t = torch.from_numpy(self.keep).float().to(device)
            self.cdf = torch.from_numpy(self.neg_cdf).float().to(device)
            self._device, self._epoch = device, None

    def _generator(self, device: torch.device, *key: int) -> torch.Generator:
        gen = torch.Generator(device=device)
        gen.manual_seed(hash((self.seed, *key)) % (2**63))
        return gen

    def _kept(self, epoch: int, device: torch.device) -> torch.Tensor:
        """Positions of the tokens that survive this epoch's subsampling."""
        if self._epoch != epoch:
            gen = self._generator(device, epoch)
            draw = torch.rand(len(self.ids), generator=gen, device=device)
            self.kept_pos = torch.nonzero(draw < self.keep_t[self.ids]).squeeze(1)
            self._epoch = epoch
        return self.kept_pos

    def _pairs(self, step: int, device: torch.device, dist: Dist | None = None):
        """(centre ids, context ids (B, 2W) with -1 where none, negatives) of one step (of
        ``dist``'s share of its centre words, under torchrun)."""
        epoch, index = divmod(step, self.steps_per_epoch)
        kept = self._kept(epoch, device)
        gen = self._generator(device, epoch, index)
        start = (index * self.batch_words) % max(len(kept), 1)
        centre_k = torch.arange(start, min(start + self.batch_words, len(kept)), device=device)
        if dist is not None:
            centre_k = centre_k[dist.rows(len(centre_k))]
        w = self.window
        offsets = torch.cat(
            [torch.arange(-w, 0, device=device), torch.arange(1, w + 1, device=device)]
        )
        ctx_k = centre_k.unsqueeze(1) + offsets  # positions in the subsampled sequence
        reach = torch.randint(
            1, w + 1, (len(centre_k), 1), generator=gen, device=device
        )  # dynamic window
        valid = (ctx_k >= 0) & (ctx_k < len(kept)) & (offsets.abs() <= reach)
        ctx_k = ctx_k.clamp(0, len(kept) - 1)
        centre_pos, ctx_pos = kept[centre_k], kept[ctx_k]
        valid &= self.docs[ctx_pos] == self.docs[centre_pos].unsqueeze(1)  # not across documents
        centre, ctx = self.ids[centre_pos], torch.where(valid, self.ids[ctx_pos], -1)
        shape = (int(valid.sum()) if self.sg else len(centre_k), self.negative)
        draw = torch.rand(shape, generator=gen, device=device)
        negatives = torch.searchsorted(self.cdf, draw).clamp_max(len(self.cdf) - 1)
        return centre, ctx, negatives

    def train_loss(self, step: int, device: torch.device) -> torch.Tensor:
        self._on(device)
        loss = self.train_model(*self._pairs(step, device, self.dist), self.sg)
        # a summed loss: DDP averages the ranks' gradients, so scale back up to the sum
        return loss * self.dist.world if self.dist else loss

    def shard(self, dist: Dist) -> None:
        """Each rank takes its share of every step's centre words."""
        self.dist = dist

    def evaluate(self, device: torch.device) -> dict[str, float]:
        """The loss per pair on a fixed sample of steps (word2vec has no validation split; this
        tracks how well the model fits the corpus)."""
        self._on(device)
        total, pairs = 0.0, 0
        for step in range(0, self.steps_per_epoch, max(1, self.steps_per_epoch // 4))[:4]:
            centre, ctx, negatives = self._pairs(step, device)
            n = int((ctx >= 0).sum()) if self.sg else int((ctx >= 0).any(1).sum())
            total += float(self.model(centre, ctx, negatives, self.sg))
            pairs += max(n, 1) * (1 + self.negative)
        self._epoch = None  # the sample used epoch 0's subsampling: recompute for training
        return {"val_loss": total / max(pairs, 1)}
