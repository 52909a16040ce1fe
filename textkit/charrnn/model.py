"""The char-RNN network: embedding -> LSTM/GRU/RNN stack -> linear head. Nothing else."""

from __future__ import annotations

import torch
from torch import nn

from textkit.charrnn.config import CharRNNConfig

_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}

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
            c.embedding, c.hidden, c.layers, batch_first=True,
            dropout=c.dropout if c.layers > 1 else 0.0,
        )  # fmt: skip
        self.drop = nn.Dropout(c.dropout)
        self.head = nn.Linear(c.hidden, vocab_size)

    def init_state(self, batch: int, device: torch.device) -> State:
        zeros = torch.zeros(self.layers, batch, self.hidden, device=device)
        return (zeros, zeros.clone()) if self.cell == "lstm" else zeros

    def forward(self, x: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        out, state = self.rnn(self.embed(x), state)
        return self.head(self.drop(out)), state

    @torch.no_grad()
    def step(self, ids: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """One character per stream, for sampling: the same maths as ``forward`` written as
        two small matmuls per layer, because on a CPU ``torch.lstm`` costs ~0.3 ms a call for
        a single time step (5x this). Eval mode only (no dropout)."""
        x = self.embed(ids)
        lstm = self.cell == "lstm"
        hs, cs = state if lstm else (state, None)
        new_h, new_c = [], []
        for k in range(self.layers):
            w_ih, w_hh = getattr(self.rnn, f"weight_ih_l{k}"), getattr(self.rnn, f"weight_hh_l{k}")
            gi = torch.addmm(getattr(self.rnn, f"bias_ih_l{k}"), x, w_ih.t())
            gh = torch.addmm(getattr(self.rnn, f"bias_hh_l{k}"), hs[k], w_hh.t())
            if lstm:
                i, f, g, o = (gi + gh).chunk(4, 1)
                c = torch.sigmoid(f) * cs[k] + torch.sigmoid(i) * torch.tanh(g)
                x = torch.sigmoid(o) * torch.tanh(c)
                new_c.append(c)
            elif self.cell == "gru":
                ir, iz, in_ = gi.chunk(3, 1)
                hr, hz, hn = gh.chunk(3, 1)
                z = torch.sigmoid(iz + hz)
                x = (1 - z) * torch.tanh(in_ + torch.sigmoid(ir + hr) * hn) + z * hs[k]
            else:
                x = torch.tanh(gi + gh)
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
