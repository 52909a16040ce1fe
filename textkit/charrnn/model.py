"""The char-RNN network: embedding -> LSTM/GRU/RNN stack -> linear head. Nothing else."""

from __future__ import annotations

import torch
from torch import nn

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}

State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]


class CharRNNNet(nn.Module):
    """Predicts the next character at every position; the recurrent state is passed in and out
    so training can carry it across batches (truncated BPTT) and sampling can go one step at a
    time."""

    def __init__(
        self,
        vocab_size: int,
        cell: str = "lstm",
        embedding: int = 64,
        hidden: int = 256,
        layers: int = 2,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.cell, self.hidden, self.layers = cell, hidden, layers
        self.embed = nn.Embedding(vocab_size, embedding)
        self.rnn = CELLS[cell](
            embedding, hidden, layers, batch_first=True, dropout=dropout if layers > 1 else 0.0
        )
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, vocab_size)

    def init_state(self, batch: int, device: torch.device) -> State:
        zeros = torch.zeros(self.layers, batch, self.hidden, device=device)
        return (zeros, zeros.clone()) if self.cell == "lstm" else zeros

    def forward(self, x: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        out, state = self.rnn(self.embed(x), state)
        return self.head(self.drop(out)), state


def detach_state(state: State) -> State:
    """Cut the graph between batches (truncated BPTT) while keeping the values."""
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def select_state(state: State, rows: torch.Tensor) -> State:
    if isinstance(state, tuple):
        return tuple(s[:, rows] for s in state)
    return state[:, rows]


def state_tensors(state: State | None) -> list[torch.Tensor]:
    if state is None:
        return []
    return [s.detach().cpu() for s in state] if isinstance(state, tuple) else [state.detach().cpu()]


def state_from_tensors(tensors: list[torch.Tensor], device: torch.device) -> State | None:
    if not tensors:
        return None
    moved = [t.to(device) for t in tensors]
    return tuple(moved) if len(moved) == 2 else moved[0]
