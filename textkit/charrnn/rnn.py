"""CharRNN: the user-facing char-level LSTM/GRU/RNN generator (fit, save, load, generate)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from textkit.charrnn.data import StreamBatches, Vocab, split_train_val
from textkit.charrnn.generator import CharGenerator
from textkit.charrnn.model import (
    CELLS,
    CharRNNNet,
    State,
    detach_state,
    state_from_tensors,
    state_tensors,
)
from textkit.charrnn.sample import sample_streams
from textkit.device import resolve_device
from textkit.errors import TextkitError
from textkit.modelio import WEIGHTS, ModelFolder, load_weights, save_weights
from textkit.text.io import Corpus
from textkit.training import TrainConfig, TrainResult, train

# Model, data and LR defaults by use. "small" trains a verse-shaped sonnet model in ~2 minutes
# on a 2-core CPU; "wide" is for corpora of a million characters and more on a CPU (in a 5-minute
# budget on 3.3M characters of poems a 1x512 LSTM at LR 5e-3 beat 2x256 at 2e-3: 1.648 vs 1.807
# nats/char, benchmarks/README.md); "medium"/"large" are for GPUs (char-rnn / torch-rnn sizes).
PRESETS: dict[str, dict] = {
    "tiny": dict(embedding=16, hidden=64, layers=1, seq_len=50, batch_size=16, max_steps=200, lr=5e-3),
    "small": dict(embedding=48, hidden=256, layers=2, seq_len=100, batch_size=32, max_steps=800, lr=2e-3),
    "wide": dict(embedding=48, hidden=512, layers=1, seq_len=100, batch_size=32, max_steps=2000, lr=5e-3),
    "medium": dict(embedding=64, hidden=512, layers=3, seq_len=200, batch_size=64, max_steps=5000, lr=2e-3),
    "large": dict(embedding=128, hidden=1024, layers=3, seq_len=256, batch_size=128, max_steps=20000, lr=2e-3),
}  # fmt: skip
LARGE_CORPUS = 1_000_000  # characters


def choose_preset(corpus_chars: int, device: torch.device) -> str:
    """The preset `--preset auto` uses: small for small corpora (a bigger model overfits them
    within minutes), wide on a CPU or medium on a GPU from a million characters on."""
    if corpus_chars < LARGE_CORPUS:
        return "small"
    return "wide" if device.type == "cpu" else "medium"


class _CharTask:
    """Plugs a CharRNNNet and its stream batches into the shared training loop."""

    def __init__(self, net: CharRNNNet, train_b: StreamBatches, val_b: StreamBatches,
                 eval_chars: int, on_best: Callable[[dict], None], vocab: Vocab,
                 show_samples: int = 0) -> None:  # fmt: skip
        self.model, self.train_b, self.val_b = net, train_b, val_b
        self.steps_per_epoch = train_b.batches_per_epoch
        self.units_per_step = train_b.streams * train_b.seq_len
        self.unit_name = "chars"
        self.eval_batches = max(
            1, min(val_b.batches_per_epoch, eval_chars // (val_b.streams * val_b.seq_len))
        )
        self.on_best = on_best
        self.vocab, self.show_samples = vocab, show_samples
        self.state: State | None = None

    def report(self, step: int, device: torch.device) -> str | None:
        """A short sample at each evaluation (``show_samples`` characters), so a user watching
        training sees the text take shape. Its own seeded generator leaves the training RNG
        untouched (resume stays exact)."""
        if not self.show_samples:
            return None
        start = "\n" if "\n" in self.vocab else self.vocab.chars[0]
        run = sample_streams(_RNNStepper(self.model, device), lambda i: self.vocab.chars[i],
                             self.vocab.encode(start).tolist(), [0.8], self.show_samples,
                             seed=step, device=device)  # fmt: skip
        return f"--- sample at step {step} (temperature 0.8) ---\n{run.texts[0].strip()}\n"

    def _to(self, t: torch.Tensor, device: torch.device) -> torch.Tensor:
        return t.to(device, non_blocking=True)

    def train_loss(self, step: int, device: torch.device) -> torch.Tensor:
        epoch, index = divmod(step, self.steps_per_epoch)
        if index == 0:
            self.state = None  # streams restart at a new offset each epoch
        x, y = self.train_b.batch(epoch, index)
        logits, state = self.model(self._to(x, device), self.state)
        self.state = detach_state(state)
        return F.cross_entropy(
            logits.float().reshape(-1, logits.size(-1)), self._to(y, device).reshape(-1)
        )

    def evaluate(self, device: torch.device) -> float:
        state, total, count = None, 0.0, 0
        for index in range(self.eval_batches):
            x, y = self.val_b.batch(0, index)
            logits, state = self.model(self._to(x, device), state)
            state = detach_state(state)
            total += F.cross_entropy(
                logits.float().reshape(-1, logits.size(-1)), self._to(y, device).reshape(-1),
                reduction="sum",
            ).item()  # fmt: skip
            count += y.numel()
        return total / count

    def save_best(self, row: dict) -> None:
        self.on_best(row)

    def state_dict(self) -> dict:
        return {"hidden": state_tensors(self.state)}

    def load_state_dict(self, state: dict, device: torch.device) -> None:
        self.state = state_from_tensors(state["hidden"], device)


class _RNNStepper:
    def __init__(self, net: CharRNNNet, device: torch.device) -> None:
        self.net, self.device = net, device

    def start(self, prefix: list[int], batch: int):
        x = torch.tensor(prefix, device=self.device).unsqueeze(0).expand(batch, -1)
        logits, state = self.net(x)
        return state, logits[:, -1]

    def step(self, state, ids: torch.Tensor):
        if self.device.type == "cpu" and len(ids) <= 16:  # measured: faster below ~32 streams
            logits, state = self.net.step(ids, state)
            return state, logits
        logits, state = self.net(ids.unsqueeze(1), state)
        return state, logits[:, -1]


class CharRNN(CharGenerator):
    """Character-level LSTM/GRU/RNN text generator.

    >>> model = CharRNN(cell="lstm", hidden=256, layers=2)
    >>> model.fit("corpora/poems.txt", "models/poems", TrainConfig(max_steps=900))
    >>> print(model.generate(300, temperature=0.7)[0].text)
    """

    KIND = "charrnn"

    def __init__(
        self,
        cell: str = "lstm",
        embedding: int = 48,
        hidden: int = 256,
        layers: int = 2,
        dropout: float = 0.1,
        seq_len: int = 100,
        batch_size: int = 32,
        val_fraction: float = 0.1,
        eval_chars: int = 100_000,
    ) -> None:
        if cell not in CELLS:
            raise TextkitError(f"unknown cell {cell!r}; choose from {sorted(CELLS)} or markov")
        for name, value in (("embedding", embedding), ("hidden", hidden), ("layers", layers),
                            ("seq_len", seq_len), ("batch_size", batch_size)):  # fmt: skip
            if value < 1:
                raise TextkitError(f"--{name.replace('_', '-')} must be >= 1 (got {value})")
        if not 0 <= dropout < 1:
            raise TextkitError(f"--dropout must be in [0, 1) (got {dropout})")
        if not 0 < val_fraction < 0.5:
            raise TextkitError(f"--val-fraction must be in (0, 0.5) (got {val_fraction})")
        self.hparams = dict(
            cell=cell, embedding=embedding, hidden=hidden, layers=layers, dropout=dropout
        )
        self.data = dict(
            seq_len=seq_len, batch_size=batch_size, val_fraction=val_fraction, eval_chars=eval_chars
        )
        self.net: CharRNNNet | None = None
        self.device = torch.device("cpu")
        self.config: dict = {}

    # ----------------------------------------------------------------- training
    def fit(
        self,
        corpus: Corpus | str | Path,
        out: str | Path,
        train_config: TrainConfig | None = None,
        resume: bool = False,
        log: Callable[[str], None] | None = None,
        show_samples: int = 0,
    ) -> TrainResult:
        """Train on ``corpus`` (a Corpus, or a path), saving everything under ``out``;
        ``show_samples=N`` prints an N-character sample at every evaluation."""
        from textkit.text.io import read_corpus

        cfg = train_config or TrainConfig(max_steps=PRESETS["small"]["max_steps"])
        cfg.validate()
        if not isinstance(corpus, Corpus):
            corpus = read_corpus([corpus])
        folder = ModelFolder(out)
        if resume:
            old = folder.read_config((self.KIND,))
            if old["corpus"]["fingerprint"] != corpus.fingerprint:
                raise TextkitError(
                    f"{folder.path} was trained on a different corpus "
                    f"({', '.join(old['corpus']['sources'])}); resume needs the same text"
                )
            self._from_config(old)
        if not resume:
            self.vocab = Vocab.from_text(corpus.text)
        ids = self.vocab.encode(corpus.text)
        seq_len, bs = self.data["seq_len"], self.data["batch_size"]
        train_ids, val_ids = split_train_val(ids, self.data["val_fraction"], seq_len)
        dtype = torch.int16 if len(self.vocab) < 2**15 else torch.int32
        to_tensor = lambda a: torch.from_numpy(a.astype(np.int32)).to(dtype)  # noqa: E731
        train_b = StreamBatches(to_tensor(train_ids), bs, seq_len, seed=cfg.seed)
        val_b = StreamBatches(to_tensor(val_ids), bs, seq_len)
        device = resolve_device(cfg.device)
        folder.create()  # only once the input is known to be usable
        self.folder = folder
        if device.type == "cuda":
            train_b.ids, val_b.ids = train_b.ids.to(device), val_b.ids.to(device)
        if not resume:
            folder.clear_run()
            torch.manual_seed(cfg.seed)
            self.net = CharRNNNet(len(self.vocab), **self.hparams)
            self._remember_corpus(folder, corpus, len(train_ids), seq_len, cfg.seed)
            self.config = {}
        base = {
            "model": self.hparams,
            "data": {**self.data, "streams": train_b.streams},
            "vocab": self.vocab.chars,
            **self._corpus_config(corpus, len(train_ids), len(val_ids)),
            "training": asdict(cfg),
            "num_params": sum(p.numel() for p in self.net.parameters()),
            "trained_on": str(device),
        }  # fmt: skip
        self.config = {**self.config, **base}
        if not resume:
            self.config.update(best_val_loss=None, best_step=None)
            folder.write_config(self.KIND, self.config)

        def on_best(row: dict) -> None:
            self.config.update(best_val_loss=row["val_loss"], best_step=row["step"])
            save_weights(folder.file(WEIGHTS), self.net.state_dict())
            folder.write_config(self.KIND, self.config)

        task = _CharTask(
            self.net, train_b, val_b, self.data["eval_chars"], on_best, self.vocab, show_samples
        )
        result = train(task, cfg, folder, resume=resume, log=log)
        from textkit.plots import plot_losses

        plot_losses(folder)
        # keep-best: what the trainer leaves in memory is the best checkpoint, as on disk
        self.net.load_state_dict(load_weights(folder.file(WEIGHTS)))
        self.net.to("cpu").eval()
        self.device = torch.device("cpu")
        return result

    # ----------------------------------------------------------------- persistence
    def _from_config(self, cfg: dict) -> None:
        m, d = cfg["model"], cfg["data"]
        self.__init__(
            **m, **{k: d[k] for k in ("seq_len", "batch_size", "val_fraction", "eval_chars")}
        )
        self.vocab = Vocab(cfg["vocab"])
        self.preseed_excerpt = cfg.get("preseed_excerpt")
        self.config = cfg
        self.net = CharRNNNet(len(self.vocab), **self.hparams)

    def save(self, path: str | Path) -> None:
        """Write weights and config to ``path`` (fit already does this as it trains)."""
        if self.net is None:
            raise TextkitError("nothing to save: the model is not trained")
        folder = ModelFolder(path).create()
        save_weights(folder.file(WEIGHTS), self.net.state_dict())
        folder.write_config(self.KIND, self.config)

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> CharRNN:
        """Load a trained model folder (weights trained on any device load on any other)."""
        folder = ModelFolder(path)
        cfg = folder.read_config((cls.KIND,))
        model = cls.__new__(cls)
        try:
            model._from_config(cfg)
        except (KeyError, TypeError) as exc:
            raise TextkitError(f"{folder.file('config.json')} is incomplete ({exc})") from exc
        weights = load_weights(folder.file(WEIGHTS))
        try:
            model.net.load_state_dict(weights)
        except RuntimeError as exc:
            raise TextkitError(
                f"{folder.file(WEIGHTS)} does not match config.json; retrain"
            ) from exc
        model.folder = folder
        model.device = resolve_device(device)
        model.net.to(model.device).eval()
        return model

    # ----------------------------------------------------------------- sampling
    def _device(self) -> torch.device:
        return self.device

    def _stepper(self, device: torch.device) -> _RNNStepper:
        if self.net is None:
            raise TextkitError("the model is not trained: call fit() or CharRNN.load()")
        self.net.eval()
        return _RNNStepper(self.net, device)

    def loss_on(self, text: str) -> float:
        """Mean next-character loss (nats/char) on ``text``, one stream, state carried: how
        surprising the model finds a text (lower = more like its training corpus)."""
        ids = torch.from_numpy(self.vocab.encode(self._map(text, "text"))).to(self.device)
        with torch.inference_mode():
            logits, _ = self.net(ids[:-1].unsqueeze(0))
            return F.cross_entropy(logits[0].float(), ids[1:]).item()
