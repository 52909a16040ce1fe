"""Sampling from any next-character model: temperature, top-k, top-p, greedy, many streams at
once, stop strings and streaming output.

A model plugs in as a ``Stepper``: ``start`` feeds a prefix (pre-seed + seed text) and returns
the next-character logits, ``step`` feeds one character per stream.  The neural model and the
Markov baseline share everything else here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch

from textkit.errors import TextkitError


class Stepper(Protocol):
    def start(self, prefix: list[int], batch: int) -> tuple[Any, torch.Tensor]: ...
    def step(self, state: Any, ids: torch.Tensor) -> tuple[Any, torch.Tensor]: ...
    def select(self, state: Any, rows: torch.Tensor) -> Any: ...


def check_sampling_options(
    temperatures: list[float], top_k: int | None, top_p: float | None, length: int
) -> None:
    """The same rules as SampleConfig's (one source), for a sweep of temperatures."""
    from textkit.charrnn.config import SampleConfig
    from textkit.settings import check_setting, spec_named

    if not temperatures:
        raise TextkitError("temperatures must hold at least one value")
    for t in temperatures:
        check_setting("temperature", spec_named(SampleConfig, "temperature"), t)
    SampleConfig(length=length, top_k=top_k, top_p=top_p)


def next_token_probs(
    logits: torch.Tensor,
    temperatures: torch.Tensor,
    top_k: int | None,
    top_p: float | None,
    any_greedy: bool | None = None,
) -> torch.Tensor:
    """Probabilities after temperature scaling and top-k / nucleus (top-p) filtering.

    Rows whose temperature is 0 get a one-hot distribution on their argmax (greedy);
    ``any_greedy`` (known to the caller) saves checking for them at every step."""
    logits = logits.float()
    greedy = temperatures <= 0
    scaled = logits / temperatures.clamp_min(1e-6).unsqueeze(1)
    if top_k is not None and top_k < scaled.size(1):
        kth = torch.topk(scaled, top_k, dim=1).values[:, -1:]
        scaled = scaled.masked_fill(scaled < kth, float("-inf"))
    if top_p is not None and top_p < 1:
        sorted_logits, order = torch.sort(scaled, dim=1, descending=True)
        sorted_probs = torch.softmax(sorted_logits, dim=1)
        # drop a token when the tokens ranked above it already cover top_p
        drop_sorted = (sorted_probs.cumsum(1) - sorted_probs) >= top_p
        drop = torch.zeros_like(drop_sorted).scatter(1, order, drop_sorted)
        scaled = scaled.masked_fill(drop, float("-inf"))
    probs = torch.softmax(scaled, dim=1)
    if any_greedy if any_greedy is not None else greedy.any():
        onehot = torch.zeros_like(probs).scatter(1, logits.argmax(1, keepdim=True), 1.0)
        probs = torch.where(greedy.unsqueeze(1), onehot, probs)
    return probs


MAX_LOGPROBS = 20  # alternatives one character may report (OpenAI's ceiling)


@dataclass(frozen=True)
class CharLogprob:
    """One drawn character and its natural-log probability under the model itself (before
    temperature, top-k or top-p: the model's view, as OpenAI-compatible servers report it), with
    the ``top`` most likely characters at that step."""

    char: str
    logprob: float
    top: tuple[tuple[str, float], ...] = ()


@dataclass
class SampleRun:
    """Raw output of ``sample_streams``: one generated text per stream (seed text excluded) and,
    when asked, one CharLogprob per character of it."""

    texts: list[str]
    stopped: list[bool]
    logprobs: list[list[CharLogprob]] | None = field(default=None)


def stop_strings(stop_at: str | Sequence[str] | None) -> tuple[str, ...]:
    """``stop_at`` as a tuple: none, one string, or several (the first that appears ends it)."""
    stops = (stop_at,) if isinstance(stop_at, str) else tuple(stop_at or ())
    if any(not isinstance(s, str) or not s for s in stops):
        raise TextkitError("a stop string (--stop-at) must be a non-empty string")
    return stops


def _step_logprobs(logits: torch.Tensor, ids: torch.Tensor, top: int, decode) -> list:
    """Each stream's CharLogprob for the characters ``ids`` drawn after ``logits``."""
    logp = torch.log_softmax(logits.float(), dim=1)
    chosen = logp.gather(1, ids.unsqueeze(1)).squeeze(1).tolist()
    if top:
        values, where = logp.topk(min(top, logp.size(1)), dim=1)
        tops = [
            tuple((decode(i), v) for i, v in zip(w, vs, strict=True))
            for w, vs in zip(where.tolist(), values.tolist(), strict=True)
        ]
    else:
        tops = [()] * len(chosen)
    return [
        CharLogprob(decode(i), lp, t) for i, lp, t in zip(ids.tolist(), chosen, tops, strict=True)
    ]


def sample_streams(
    stepper: Stepper,
    decode: Callable[[int], str],
    prefix: list[int],
    temperatures: list[float],
    length: int,
    top_k: int | None = None,
    top_p: float | None = None,
    stop_at: str | Sequence[str] | None = None,
    seed: int | None = None,
    device: torch.device | str = "cpu",
    on_text: Callable[[int, str], None] | None = None,
    shared_noise: bool = False,
    logprobs: int | None = None,
    on_logprobs: Callable[[int, list[CharLogprob]], None] | None = None,
) -> SampleRun:
    """Generate ``length`` characters in ``len(temperatures)`` parallel streams after ``prefix``.

    ``on_text(stream, chunk)`` receives text as soon as it is final (with stop strings, up to
    the longest one's length - 1 characters are held back until it's clear they aren't one).
    With ``shared_noise`` every stream draws with the same random number at each step (inverse
    CDF), so streams that differ only in temperature differ only because of it: a fair sweep.
    ``logprobs=K`` records every character's CharLogprob with its K most likely alternatives
    (0: none); ``on_logprobs(stream, items)`` gets them just before ``on_text`` gets their text.
    """
    if not prefix:
        raise TextkitError("sampling needs at least one character to start from")
    batch = len(temperatures)
    device = torch.device(device)
    gen = torch.Generator(device=device)
    gen.manual_seed(seed if seed is not None else torch.seed())
    temps = torch.tensor(temperatures, dtype=torch.float32, device=device)
    texts = ["" for _ in range(batch)]
    done = [False] * batch
    emitted = [0] * batch
    stops = stop_strings(stop_at)
    hold = max(map(len, stops), default=1) - 1
    lps: list[list[CharLogprob]] | None = (
        [[] for _ in range(batch)] if logprobs is not None else None
    )

    def flush(row: int, final: bool) -> None:
        if on_text is None:
            return
        end = len(texts[row]) if final else max(emitted[row], len(texts[row]) - hold)
        if end > emitted[row]:
            if on_logprobs is not None and lps is not None:
                on_logprobs(row, lps[row][emitted[row] : end])
            on_text(row, texts[row][emitted[row] : end])
            emitted[row] = end

    any_greedy = any(t <= 0 for t in temperatures)
    per_step = (
        bool(stops or on_text) or lps is not None
    )  # else characters are decoded once, at the end
    drawn = torch.empty((batch, length), dtype=torch.long)
    with torch.inference_mode():
        state, logits = stepper.start(prefix, batch)
        for step in range(length):
            probs = next_token_probs(logits, temps, top_k, top_p, any_greedy)
            # inverse-CDF draws: a few microseconds where torch.multinomial takes ~25 for one row
            if shared_noise:
                u = torch.rand(1, generator=gen, device=device).expand(batch, 1)
            else:
                u = torch.rand(batch, 1, generator=gen, device=device)
            cdf = probs.cumsum(1)
            ids = (
                torch.searchsorted(cdf, u * cdf[:, -1:], right=True)
                .squeeze(1)
                .clamp_max(probs.size(1) - 1)
            )
            if not per_step:
                drawn[:, step] = ids
                if step + 1 < length:
                    state, logits = stepper.step(state, ids)
                continue
            drawn_lps = _step_logprobs(logits, ids, logprobs, decode) if lps is not None else None
            for row, idx in enumerate(ids.tolist()):
                if done[row]:
                    continue
                texts[row] += decode(idx)
                if drawn_lps is not None:
                    lps[row].append(drawn_lps[row])
                ended = next((s for s in stops if texts[row].endswith(s)), None)
                if ended:
                    texts[row] = texts[row][: -len(ended)]
                    if lps is not None:
                        del lps[row][len(texts[row]) :]
                    done[row] = True
                    flush(row, final=True)
                else:
                    flush(row, final=False)
            if all(done):
                break
            state, logits = stepper.step(state, ids)
    if not per_step:
        texts = ["".join(decode(i) for i in row) for row in drawn.tolist()]
    for row in range(batch):
        flush(row, final=True)
    return SampleRun(texts=texts, stopped=done, logprobs=lps)
