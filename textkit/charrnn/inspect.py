"""Looking inside a character model: how surprised it is at each character of a text, what it
expected instead, and what its hidden units do (the visualisations of Karpathy, Johnson and
Fei-Fei, "Visualizing and Understanding Recurrent Networks", 2015, as a command).

``inspect_text`` computes; ``render_html`` writes one self-contained page (inline CSS, no
script, no external resource): the text coloured by surprise with the model's top-5 guesses on
hover, a row per chosen hidden unit coloured by its activation, and with ``find_units`` the
units that best track simple properties of the text.  ``render_png`` draws the same as a
heatmap for a terminal user.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from textkit.errors import TextkitError

PROPERTIES = {
    "inside quotes": lambda text: _inside(text, '"', '"'),
    "inside brackets": lambda text: _inside(text, "([{", ")]}"),
    "position in line": lambda text: _line_position(text),
    "start of a word": lambda text: np.array(
        [c.isalnum() and (i == 0 or not text[i - 1].isalnum()) for i, c in enumerate(text)],
        dtype=float,
    ),
}


def _inside(text: str, opening: str, closing: str) -> np.ndarray:
    out, depth, quote = np.zeros(len(text)), 0, opening == closing
    for i, c in enumerate(text):
        if quote and c == opening:
            depth = 1 - depth
        elif c in opening:
            depth += 1
        elif c in closing:
            depth = max(depth - 1, 0)
        out[i] = float(depth > 0)
    return out


def _line_position(text: str) -> np.ndarray:
    out, col = np.zeros(len(text)), 0
    for i, c in enumerate(text):
        out[i] = col
        col = 0 if c == "\n" else col + 1
    return out


@dataclass
class Inspection:
    text: str  # as the model read it (unknown characters mapped)
    surprise: np.ndarray  # nats: -log p(char | everything before it)
    guesses: list[list[tuple[str, float]]]  # the model's top-5 before each character
    activations: np.ndarray | None = None  # (chars, hidden) of the top recurrent layer
    units: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # property -> (unit, r)

    @property
    def mean_surprise(self) -> float:
        return float(self.surprise.mean())


def inspect_text(model, text: str, top: int = 5) -> Inspection:
    """Per-character surprise, guesses and (for a neural model) hidden activations."""
    model._require_trained()
    mapped = model._map(text, "text")
    if not mapped:
        raise TextkitError(
            "the text is empty once mapped to the model's characters; nothing to inspect"
        )
    start = "\n" if "\n" in model.vocab_ else model.vocab_.chars[0]
    ids = model.vocab_.encode(start + mapped).tolist()
    activations = None
    with torch.inference_mode():
        if hasattr(model, "net"):
            x = torch.tensor(ids[:-1], device=model.device).unsqueeze(0)
            out, _ = model.net.rnn(model.net.embed(x))
            logits = model.net.head(out)[0].float()
            activations = out[0].float().cpu().numpy()
        else:  # an n-gram model: the stepper, one character at a time
            stepper = model._stepper(torch.device("cpu"))
            state, first = stepper.start(ids[:1], 1)
            rows = [first]
            for i in ids[1:-1]:
                state, nxt = stepper.step(state, torch.tensor([i]))
                rows.append(nxt)
            logits = torch.cat(rows).float()
    logp = torch.log_softmax(logits, -1).cpu()
    targets = torch.tensor(ids[1:])
    surprise = (-logp[torch.arange(len(targets)), targets]).numpy()
    best = torch.topk(logp, min(top, logp.size(1)), dim=1)
    guesses = [
        [(model.vocab_.chars[int(i)], math.exp(float(v))) for v, i in zip(vals, idx, strict=True)]
        for vals, idx in zip(best.values, best.indices, strict=True)
    ]
    return Inspection(mapped, surprise, guesses, activations)


def find_units(inspection: Inspection, top: int = 3) -> dict[str, list[tuple[int, float]]]:
    """For each simple property of the text, the units whose activation correlates with it most
    (Pearson r, by absolute value)."""
    acts = inspection.activations
    if acts is None:
        raise TextkitError(
            "finding units needs a neural model (LSTM/GRU/RNN), not the n-gram baseline"
        )
    out = {}
    centred = acts - acts.mean(0)
    norms = np.linalg.norm(centred, axis=0)
    for name, prop in PROPERTIES.items():
        p = prop(inspection.text)
        p = p - p.mean()
        if not np.any(p):
            continue
        r = (centred.T @ p) / np.maximum(norms * np.linalg.norm(p), 1e-12)
        order = np.argsort(-np.abs(r))[:top]
        out[name] = [(int(u), float(r[u])) for u in order]
    inspection.units = out
    return out


def check_units(inspection: Inspection, units: list[int]) -> None:
    if inspection.activations is None:
        raise TextkitError(
            "hidden units exist only in a neural model (LSTM/GRU/RNN), not the n-gram baseline"
        )
    hidden = inspection.activations.shape[1]
    bad = [u for u in units if not 0 <= u < hidden]
    if bad:
        raise TextkitError(
            f"unit(s) {bad} outside the model's {hidden} hidden units (0-{hidden - 1})"
        )


def _surprise_colour(nats: float) -> str:
    t = min(nats / 6.0, 1.0)  # 0 nats: white, 6+ nats: strong red
    return f"rgb(255,{int(255 * (1 - t))},{int(255 * (1 - t))})"


def _activation_colour(a: float) -> str:
    a = max(-1.0, min(1.0, a))
    if a >= 0:
        return f"rgb({int(255 * (1 - a))},{int(255 * (1 - a * 0.5))},255)"  # blue for positive
    return f"rgb(255,{int(255 * (1 + a * 0.5))},{int(255 * (1 + a))})"  # orange for negative


def _char_cell(c: str) -> str:
    return "⏎" if c == "\n" else ("␣" if c == " " else html.escape(c))


def render_html(
    inspection: Inspection, units: list[int] = (), title: str = "textkit inspect"
) -> str:
    """One self-contained HTML page (inline CSS, no scripts, nothing fetched)."""
    units = list(units)
    if units:
        check_units(inspection, units)
    cells = []
    for i, c in enumerate(inspection.text):
        guesses = ", ".join(f"{_char_cell(g)} {p:.0%}" for g, p in inspection.guesses[i])
        tip = html.escape(f"surprise {inspection.surprise[i]:.2f} nats; expected: ") + guesses
        cells.append(
            f'<span class="c" style="background:{_surprise_colour(inspection.surprise[i])}">'
            f'{_char_cell(c)}<span class="tip">{tip}</span></span>' + ("<br>" if c == "\n" else "")
        )
    rows = []
    for u in units:
        acts = inspection.activations[:, u]
        spans = "".join(
            f'<span class="c" style="background:{_activation_colour(a)}" title="unit {u}: {a:+.2f}">'
            f"{_char_cell(c)}</span>" + ("<br>" if c == "\n" else "")
            for c, a in zip(inspection.text, acts, strict=True)
        )
        rows.append(f'<h3>unit {u}</h3><div class="text">{spans}</div>')
    found = ""
    if inspection.units:
        items = "".join(
            f"<li>{html.escape(name)}: "
            + ", ".join(f"unit {u} (r = {r:+.2f})" for u, r in best)
            + "</li>"
            for name, best in inspection.units.items()
        )
        found = f"<h2>Units that track simple properties</h2><ul>{items}</ul>"
    style = """body{font-family:sans-serif;max-width:70em;margin:2em auto;color:#222}
.text{font-family:monospace;font-size:15px;line-height:1.9;white-space:normal}
.c{position:relative;padding:1px 0}.c .tip{display:none;position:absolute;left:0;top:1.6em;z-index:2;
background:#333;color:#fff;padding:2px 6px;border-radius:3px;white-space:nowrap;font-size:12px}
.c:hover .tip{display:block}"""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title><style>{style}</style></head>
<body><h1>{html.escape(title)}</h1>
<p>Each character is coloured by how surprised the model was to see it (white: expected, red:
surprising; mean {inspection.mean_surprise:.2f} nats/char). Hover for the model's top guesses.</p>
<div class="text">{"".join(cells)}</div>
{"".join(rows)}{found}
</body></html>
"""


def render_png(
    inspection: Inspection, out: str | Path, units: list[int] = (), width: int = 80
) -> Path:
    """The surprise (and chosen units) as a heatmap, lines of ``width`` characters."""
    from textkit.plots import png_figure

    units = list(units)
    if units:
        check_units(inspection, units)
    text = inspection.text
    rows = [
        (f"surprise (nats, mean {inspection.mean_surprise:.2f})", inspection.surprise, "Reds", 0, 6)
    ]
    rows += [(f"unit {u}", inspection.activations[:, u], "coolwarm", -1, 1) for u in units]
    n_lines = -(-len(text) // width)
    out = Path(out)
    size = (width * 0.14, 0.32 * n_lines * len(rows) + 0.6 * len(rows))
    with png_figure(out, len(rows), 1, figsize=size, squeeze=False) as (_, axes):
        for ax, (label, values, cmap, lo, hi) in zip(axes[:, 0], rows, strict=True):
            grid = np.full((n_lines, width), np.nan)
            grid.flat[: len(values)] = values
            ax.imshow(grid, cmap=cmap, vmin=lo, vmax=hi, aspect="auto", interpolation="nearest")
            for i, c in enumerate(text):
                shown = "⏎" if c == "\n" else c
                ax.text(
                    i % width,
                    i // width,
                    shown,
                    ha="center",
                    va="center",
                    fontsize=7,
                    family="monospace",
                )
            ax.set(title=label, xticks=[], yticks=[])
    return out
