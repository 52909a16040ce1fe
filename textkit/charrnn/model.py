"""The char-RNN network: embedding -> LSTM/GRU/RNN stack -> linear head. Nothing else."""

from __future__ import annotations

import torch
from torch import nn

from textkit.charrnn.config import CharRNNConfig

_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
_GATES = {"lstm": 4, "gru": 3, "rnn": 1}

State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]


class CharRNNNet(nn.Module):
    """Predicts the next character at every position; the recurrent state is passed in and out
    so training can carry it across batches (truncated BPTT) and sampling can go one step at a
    time."""

    def __init__(self, vocab_size: int, config: CharRNNConfig) -> None:
        super().__init__()
        c = config
        self.cell, self.hidden, self.layers = c.cell, c.hidden, c.layers
        self.embed = nn.Embedding(vocab_size, c.embedding)
        self.rnn = _CELLS[c.cell](
            c.embedding,
            c.hidden,
            c.layers,
            batch_first=True,
            dropout=c.dropout if c.layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(c.dropout)
        self.head = nn.Linear(c.hidden, vocab_size)

    @staticmethod
    def state_shapes(vocab_size: int, config: CharRNNConfig) -> dict[str, list[int]]:
        """The shape of every array in the state dict, without building the network (building
        even on the meta device costs ~1 s: its random init imports torch._dynamo).  A test
        checks this against the network itself."""
        c, rows = config, _GATES[config.cell] * config.hidden
        shapes = {"embed.weight": [vocab_size, c.embedding]}
        for k in range(c.layers):
            shapes[f"rnn.weight_ih_l{k}"] = [rows, c.embedding if k == 0 else c.hidden]
            shapes[f"rnn.weight_hh_l{k}"] = [rows, c.hidden]
            shapes[f"rnn.bias_ih_l{k}"] = shapes[f"rnn.bias_hh_l{k}"] = [rows]
        return {**shapes, "head.weight": [vocab_size, c.hidden], "head.bias": [vocab_size]}

    def init_state(self, batch: int, device: torch.device) -> State:
        zeros = torch.zeros(self.layers, batch, self.hidden, device=device)
        return (zeros, zeros.clone()) if self.cell == "lstm" else zeros

    def forward(self, x: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        out, state = self.rnn(self.embed(x), state)
        return self.head(self.drop(out)), state

    def _step_weights(self) -> list[dict[str, torch.Tensor]]:
        """Per layer, the weights ``step`` reads, laid out for it: the first layer's input
        projection as a table (one row per character: embedding @ W_ih + both biases, so a step
        looks it up instead of multiplying), the recurrent matrices transposed once and
        contiguous (a 1-row GEMV is ~20% faster on them).  Rebuilt when the weights change."""
        versions = tuple(p._version for p in self.parameters())
        if getattr(self, "_step_cache", (None,))[0] != versions:
            layers = []
            for k in range(self.layers):
                w_ih, w_hh = (
                    getattr(self.rnn, f"weight_ih_l{k}"),
                    getattr(self.rnn, f"weight_hh_l{k}"),
                )
                b_ih, b_hh = getattr(self.rnn, f"bias_ih_l{k}"), getattr(self.rnn, f"bias_hh_l{k}")
                entry = {"w_hh_t": w_hh.t().contiguous(), "b_hh": b_hh}
                if k == 0:
                    table = torch.addmm(b_ih, self.embed.weight, w_ih.t())
                    entry["table"] = table + b_hh if self.cell != "gru" else table
                else:
                    entry.update(w_ih_t=w_ih.t().contiguous(), b_ih=b_ih)
                layers.append(entry)
            self._step_cache = (versions, layers)
        return self._step_cache[1]

    def step(
        self, ids: torch.Tensor, state: State, weights: list | None = None
    ) -> tuple[torch.Tensor, State]:
        """One character per stream, for sampling: the same maths as ``forward`` written as
        one small matmul per layer (plus a table lookup for the first layer's input), because on
        a CPU ``torch.lstm`` costs ~0.3 ms a call for a single time step. Eval mode, under
        ``torch.inference_mode()``; a sampler passes ``weights`` (``_step_weights()``) once."""
        lstm, gru = self.cell == "lstm", self.cell == "gru"
        hs, cs = state if lstm else (state, None)
        new_h, new_c = [], []
        x = None
        for k, w in enumerate(weights or self._step_weights()):
            gi = w["table"][ids] if k == 0 else torch.addmm(w["b_ih"], x, w["w_ih_t"])
            if gru:  # the reset gate multiplies the recurrent part only: keep its bias apart
                gh = torch.addmm(w["b_hh"], hs[k], w["w_hh_t"])
                ir, iz, in_ = gi.chunk(3, 1)
                hr, hz, hn = gh.chunk(3, 1)
                z = torch.sigmoid(iz + hz)
                x = (1 - z) * torch.tanh(in_ + torch.sigmoid(ir + hr) * hn) + z * hs[k]
            else:
                gates = torch.addmm(gi if k == 0 else gi + w["b_hh"], hs[k], w["w_hh_t"])
                if lstm:
                    i, f, g, o = gates.chunk(4, 1)
                    c = torch.sigmoid(f) * cs[k] + torch.sigmoid(i) * torch.tanh(g)
                    x = torch.sigmoid(o) * torch.tanh(c)
                    new_c.append(c)
                else:
                    x = torch.tanh(gates)
            new_h.append(x)
        h = torch.stack(new_h)
        return self.head(x), ((h, torch.stack(new_c)) if lstm else h)


def detach_state(state: State) -> State:
    """Cut the graph between batches (truncated BPTT) while keeping the values. The carried
    state is kept in fp32 so the next call's input and state dtypes agree whether or not
    autocast lowers the recurrent op's precision."""
    if isinstance(state, tuple):
        return tuple(s.detach().float() for s in state)
    return state.detach().float()


def state_tensors(state: State | None) -> list[torch.Tensor]:
    if state is None:
        return []
    return [s.detach().cpu() for s in state] if isinstance(state, tuple) else [state.detach().cpu()]


def state_from_tensors(tensors: list[torch.Tensor], device: torch.device) -> State | None:
    if not tensors:
        return None
    moved = [t.to(device) for t in tensors]
    return tuple(moved) if len(moved) == 2 else moved[0]
