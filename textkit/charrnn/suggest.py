"""Predictive text: the k most likely next words after a text (or completions of the word being
typed), found by beam search over characters up to the next word boundary.  Works with any
character model through its Stepper (the LSTM/GRU/RNN and the n-gram baseline alike)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

BOUNDARY = set(' \n\t.,;:!?"()[]{}')


@dataclass
class Suggestion:
    word: str  # the whole word: what was typed of it, and its completion
    completion: str  # the characters the model adds
    probability: float  # of the completion followed by a word boundary, given the text


def beam_search_words(
    stepper, vocab, prefix: list[int], typed: str, k: int = 3, beam: int = 16, max_chars: int = 24
) -> list[Suggestion]:
    """Expand the ``beam`` most likely partial words a character at a time; a candidate ends
    when the model's next character is a word boundary (its probability counts)."""
    boundary_ids = torch.tensor([i for i, c in enumerate(vocab.chars) if c in BOUNDARY])
    if len(boundary_ids) == 0:
        return []
    with torch.inference_mode():
        state, logits = stepper.start(prefix, 1)
        partial = [("", 0.0)]  # (characters so far, their log-probability)
        done: dict[str, float] = {}
        for _ in range(max_chars):
            logp = torch.log_softmax(logits.float(), dim=-1).cpu()
            for row, (chars, lp) in enumerate(partial):
                if chars:  # the word may end here
                    end = float(torch.logsumexp(logp[row, boundary_ids], 0))
                    done[chars] = max(done.get(chars, -1e9), lp + end)
            scores = torch.tensor([lp for _, lp in partial]).unsqueeze(1) + logp
            scores[:, boundary_ids] = float("-inf")  # a boundary ends a word; it isn't part of one
            flat = scores.flatten()
            best = torch.topk(flat, min(beam, int(torch.isfinite(flat).sum()))).indices
            if len(best) == 0:
                break
            worst_done = sorted(done.values(), reverse=True)[k - 1] if len(done) >= k else -1e9
            rows, cols = best // logp.size(1), best % logp.size(1)
            keep = flat[best] > worst_done  # a partial word less likely than k done ones can't win
            if not keep.any():
                break
            rows, cols = rows[keep], cols[keep]
            partial = [
                (partial[r][0] + vocab.chars[c], float(flat[r * logp.size(1) + c]))
                for r, c in zip(rows.tolist(), cols.tolist(), strict=True)
            ]
            state = stepper.select(state, rows)
            state, logits = stepper.step(state, cols)
    ranked = sorted(done.items(), key=lambda kv: -kv[1])[:k]
    return [Suggestion(typed + chars, chars, float(torch.tensor(lp).exp())) for chars, lp in ranked]
