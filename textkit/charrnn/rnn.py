"""CharRNN: the user-facing char-level LSTM/GRU/RNN generator (fit, save, load, generate)."""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path

import torch
import torch.nn.functional as F

from textkit.charrnn.config import CharRNNConfig, choose_preset, preset_config, preset_training
from textkit.charrnn.data import StreamBatches, Vocab, fit_seq_len, split_train_val
from textkit.charrnn.encoded import EncodedCorpus, as_encoded
from textkit.charrnn.generator import LOSS_UNIT, CharGenerator
from textkit.charrnn.model import CharRNNNet, State, detach_state, state_from_tensors, state_tensors
from textkit.charrnn.sample import sample_streams
from textkit.device import memory_available, resolve_device
from textkit.errors import TextkitError, TextkitWarning
from textkit.estimator import config_errors
from textkit.modelio import ModelFolder, load_weights, read_array_header, save_weights
from textkit.settings import with_overrides
from textkit.text.io import Corpus
from textkit.training.config import TrainConfig, chosen, resumed_config, run_config
from textkit.training.distributed import Dist
from textkit.training.loop import Task, Trainer
from textkit.training.runlog import TrainResult


class _CharTask(Task):
    """Plugs a CharRNNNet and its stream batches into the shared training loop."""

    unit_name = "chars"
    loss_unit = LOSS_UNIT

    def __init__(
        self,
        net: CharRNNNet,
        train_b: StreamBatches,
        val_b: StreamBatches,
        eval_chars: int,
        on_best: Callable[[dict], None],
        vocab: Vocab,
        fingerprint: str,
        show_samples: int = 0,
    ) -> None:
        self.model, self.train_b, self.val_b = net, train_b, val_b
        self.steps_per_epoch = train_b.batches_per_epoch
        self.units_per_step = train_b.streams * train_b.seq_len
        self.eval_batches = max(
            1, min(val_b.batches_per_epoch, eval_chars // (val_b.streams * val_b.seq_len))
        )
        self._on_best, self.fingerprint = on_best, fingerprint
        self.vocab, self.show_samples = vocab, show_samples
        self.n_outputs = len(vocab)
        self.state: State | None = None
        self.rows = slice(None)  # this process's streams (all of them outside torchrun)
        self.dist: Dist | None = None

    def shard(self, dist: Dist) -> None:
        """Each rank carries its own contiguous share of the streams (and their hidden state)."""
        streams = self.train_b.streams
        if streams % dist.world:
            raise TextkitError(
                f"the training batch has {streams} streams, which {dist.world} processes can't "
                f"share equally; use a --batch-size that is a multiple of {dist.world} (a resumed "
                f"run keeps its saved batch: resume it with a number of processes dividing "
                f"{streams})"
            )
        self.dist, self.rows = dist, dist.rows(streams)

    def report(self, step: int, device: torch.device) -> str | None:
        """A short sample at each evaluation (``show_samples`` characters), so a user watching
        training sees the text take shape. Its own seeded generator leaves the training RNG
        untouched (resume stays exact)."""
        if not self.show_samples:
            return None
        start = "\n" if "\n" in self.vocab else self.vocab.chars[0]
        run = sample_streams(
            _RNNStepper(self.model, device),
            lambda i: self.vocab.chars[i],
            self.vocab.encode(start).tolist(),
            [0.8],
            self.show_samples,
            seed=step,
            device=device,
        )
        return f"--- sample at step {step} (temperature 0.8) ---\n{run.texts[0].strip()}\n"

    def _loss(
        self, x: torch.Tensor, y: torch.Tensor, state: State | None, device, model=None, **kw
    ):
        logits, state = (model or self.model)(x.to(device, non_blocking=True), state)
        loss = F.cross_entropy(
            logits.float().reshape(-1, logits.size(-1)),
            y.to(device, non_blocking=True).reshape(-1),
            **kw,
        )
        return loss, detach_state(state)

    def train_loss(self, step: int, device: torch.device) -> torch.Tensor:
        epoch, index = divmod(step, self.steps_per_epoch)
        if index == 0:
            self.state = None  # streams restart at a new offset each epoch
        x, y = self.train_b.batch(epoch, index)
        loss, self.state = self._loss(
            x[self.rows], y[self.rows], self.state, device, self.train_model
        )
        return loss

    def evaluate(self, device: torch.device) -> dict[str, float]:
        state, total, count = None, torch.zeros((), device=device), 0
        for index in range(self.eval_batches):
            x, y = self.val_b.batch(0, index)
            loss, state = self._loss(x, y, state, device, reduction="sum")
            total += loss
            count += y.numel()
        return {"val_loss": total.item() / count}

    def on_best(self, row: dict) -> None:
        self._on_best(row)

    def state_dict(self) -> dict:
        """The carried hidden state of every stream (gathered from all ranks under torchrun),
        so a run resumes with any number of processes."""
        state = self.state
        if self.dist is not None and state is not None:
            parts = state if isinstance(state, tuple) else (state,)
            whole = tuple(self.dist.gather_rows(t, 1) for t in parts)
            state = whole if isinstance(self.state, tuple) else whole[0]
        return {"hidden": state_tensors(state)}

    def load_state_dict(self, state: dict, device: torch.device) -> None:
        hidden = state["hidden"]
        net = self.model
        want = (net.layers, self.train_b.streams, net.hidden)
        count = 2 if net.cell == "lstm" else 1
        if hidden and (len(hidden) != count or any(tuple(t.shape) != want for t in hidden)):
            raise TextkitError(
                "the saved training state's hidden state does not fit this model and batch "
                f"shape (expected {count} x {want}); train again without --resume"
            )
        self.state = state_from_tensors([t[:, self.rows].contiguous() for t in hidden], device)


def _fits_on_gpu(n_chars: int, device: torch.device) -> bool:
    """Is the corpus (int16 ids) small enough to keep on the GPU: a tenth of its memory?"""
    have = memory_available(device)
    return bool(have) and n_chars * 2 < have // 10


class _RNNStepper:
    def __init__(self, net: CharRNNNet, device: torch.device) -> None:
        self.net, self.device = net, device

    def start(self, prefix: list[int], batch: int):
        x = torch.tensor(prefix, device=self.device).unsqueeze(0).expand(batch, -1)
        logits, state = self.net(x)
        self.weights = self.net._step_weights() if self.device.type == "cpu" else None
        return state, logits[:, -1]

    def step(self, state, ids: torch.Tensor):
        if self.device.type == "cpu" and len(ids) <= 16:  # measured: faster up to 16 streams
            logits, state = self.net.step(ids, state, self.weights)
            return state, logits
        logits, state = self.net(ids.unsqueeze(1), state)
        return state, logits[:, -1]

    @staticmethod
    def select(state, rows: torch.Tensor):
        """The states of streams ``rows`` (beam search keeps some streams, repeats others)."""
        return tuple(s[:, rows] for s in state) if isinstance(state, tuple) else state[:, rows]


class CharRNN(CharGenerator):
    """Character-level LSTM/GRU/RNN text generator.

    >>> model = CharRNN(hidden=256)          # the preset decides the shape settings not given
    >>> model.fit("corpora/poems.txt", "models/poems", {"max_steps": 800}, preset="small")
    >>> print(model.generate(300, temperature=0.7)[0].text)
    """

    KIND = "charrnn"

    def __init__(self, config: CharRNNConfig | None = None, **overrides) -> None:
        self.config = with_overrides("CharRNN", CharRNNConfig, config, overrides)
        # the shape settings this model was given; a preset fills the others at fit
        self._given = {f.name for f in fields(CharRNNConfig)} if config else set(overrides)
        self.net: CharRNNNet | None = None
        self.vocab_ = None
        self.device = torch.device("cpu")
        self.info: dict = {}  # what config.json records beside the config: corpus, training...

    def is_trained(self) -> bool:
        return self.net is not None and self.vocab_ is not None

    # ----------------------------------------------------------------- training
    def fit(
        self,
        corpus: EncodedCorpus | Corpus | str | Path | list,
        out: str | Path | None = None,
        train_config: TrainConfig | dict | None = None,
        *,
        preset: str = "auto",
        overwrite: bool = False,
        log: Callable[[str], None] | None = None,
        show_samples: int = 0,
    ) -> TrainResult:
        """Train on ``corpus`` (an EncodedCorpus, a Corpus, or file paths), saving everything
        under ``out`` if given.  Files are streamed into a memory-mapped cache
        (``encoded.py``), so a corpus larger than memory trains too.

        ``preset`` (``PRESETS``, or "auto": by corpus size and device, ``choose_preset``) sets
        the shape settings this model wasn't given and the training defaults (steps, LR,
        evaluation cadence) that ``train_config`` (a TrainConfig or a dict) leaves out.
        ``overwrite=True`` replaces a model already at ``out`` (only once the new run has its
        first checkpoint); ``show_samples=N`` prints an N-character sample at every evaluation.
        """
        self._check_out(out, overwrite)
        corpus = as_encoded(corpus)
        picked = chosen(train_config)
        if preset == "auto":
            preset = choose_preset(len(corpus), resolve_device(picked.get("device", "auto")))
        self.preset = preset
        given = {name: getattr(self.config, name) for name in self._given}
        self.config = preset_config(preset, **given)
        cfg = run_config(train_config, preset_training(preset))
        if log:
            where = out if out is not None else "memory"
            log(
                f"training {self.config.cell} ({preset} preset) on {len(corpus):,} characters -> {where}"
            )
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(out) if out is not None else Path(tmp) / "model"
            with self._run(target, overwrite=overwrite) as folder:
                result = self._train(folder, corpus, cfg, False, log, show_samples)
            self.folder = folder if out is not None else None
        return result

    def resume(
        self,
        out: str | Path,
        corpus: EncodedCorpus | Corpus | str | Path | list,
        train_config: TrainConfig | dict | None = None,
        *,
        log: Callable[[str], None] | None = None,
        show_samples: int = 0,
    ) -> TrainResult:
        """Continue the run saved at ``out`` exactly where it stopped, on the same ``corpus``
        (refused if it changed).  The saved model decides shape and vocabulary (shape
        settings given to this model are ignored, with a warning); the saved run's training
        settings hold, except those ``train_config`` sets again."""
        self._check_out(out, resume=True)
        for name in sorted(self._given):
            warnings.warn(
                f"--{name.replace('_', '-')} is ignored with --resume: the model keeps "
                "its saved shape",
                TextkitWarning,
                stacklevel=2,
            )
        with self._run(out, resume=True) as folder:
            saved = folder.read_config((self.KIND,))
            with config_errors(folder):
                self._restore(saved)
            cfg = resumed_config(saved.get("training") or {}, train_config)
            info = self.info.get("corpus")
            fingerprint = info.get("fingerprint") if isinstance(info, dict) else None
            corpus = as_encoded(corpus, self.vocab_, fingerprint)
            result = self._train(folder, corpus, cfg, True, log, show_samples)
        self.folder = folder
        return result

    def _train(
        self,
        folder: ModelFolder,
        corpus: EncodedCorpus,
        cfg: TrainConfig,
        resume: bool,
        log,
        show_samples: int,
    ) -> TrainResult:
        trainer = Trainer(cfg, folder, resume=resume, fingerprint=corpus.fingerprint, log=log)
        self.vocab_ = corpus.vocab
        self._fit_shape(len(corpus), corpus.sources, trainer.device, resume)
        c = self.config
        train_ids, val_ids = split_train_val(corpus.ids, c.val_fraction, c.seq_len, corpus.sources)
        train_b = StreamBatches(torch.from_numpy(train_ids), c.batch_size, c.seq_len, seed=cfg.seed)
        val_b = StreamBatches(torch.from_numpy(val_ids), c.batch_size, c.seq_len)
        self.folder = folder
        if trainer.device.type == "cuda" and _fits_on_gpu(len(corpus), trainer.device):
            # the whole corpus on the GPU: no per-step copies
            train_b.ids, val_b.ids = train_b.ids.to(trainer.device), val_b.ids.to(trainer.device)
        if not resume:
            self.net = CharRNNNet(len(self.vocab_), c)  # initialised from the trainer's seed
            if trainer.is_main:
                self._remember_corpus(folder, corpus, len(train_ids), c.seq_len, cfg.seed)
            self.info = {"best_metrics": None}
        self.info.update(
            **self._corpus_config(corpus, len(train_ids), len(val_ids)),
            streams=train_b.streams,
            training=cfg.to_dict(),
            num_params=sum(p.numel() for p in self.net.parameters()),
            trained_on=str(trainer.device),
        )
        del train_ids, val_ids

        def on_best(row: dict) -> None:
            self.info["best_metrics"] = row
            save_weights(folder.file(self.WEIGHTS), self.net.state_dict())
            self._write_config(folder)

        task = _CharTask(
            self.net,
            train_b,
            val_b,
            c.eval_chars,
            on_best,
            self.vocab_,
            corpus.fingerprint,
            show_samples,
        )
        result = trainer.fit(task)
        if trainer.is_main:  # keep-best: in memory, the best checkpoint, as on disk
            self.net.load_state_dict(load_weights(folder.file(self.WEIGHTS)))
        self.net.to("cpu").eval()
        self.device = torch.device("cpu")
        return result

    def _fit_shape(
        self, n_chars: int, sources: list[str], device: torch.device, resume: bool
    ) -> None:
        """Shorten the training sequences of a corpus too short for them (saying so), and
        refuse a network that can't fit in this machine's memory, before anything is built."""
        seq_len = fit_seq_len(n_chars, self.config.seq_len, sources)
        if seq_len != self.config.seq_len:
            if not resume:
                warnings.warn(
                    f"the corpus has only {n_chars} characters: training sequences shortened "
                    f"from seq_len {self.config.seq_len} to {seq_len} (--seq-len)",
                    TextkitWarning,
                    stacklevel=3,
                )
            self.config = replace(self.config, seq_len=seq_len)
        need, have = self.config.training_memory(len(self.vocab_)), memory_available(device)
        if have and need > have:
            raise TextkitError(
                f"this network needs about {need / 2**30:.1f} GiB to train, more than the "
                f"{have / 2**30:.1f} GiB of {device.type.upper()} memory here; use a smaller "
                "hidden/layers/batch_size/seq_len (--hidden, --layers, --batch-size, --seq-len)"
            )

    # ----------------------------------------------------------------- persistence
    def _write_config(self, folder: ModelFolder) -> None:
        folder.write_config(self.KIND, {"model": self.config.to_dict(), **self.info})

    def _restore(self, saved: dict, build: bool = True) -> None:
        """Config and vocabulary as config.json describes them, and (``build``) an untrained
        network of that shape."""
        # textkit 0.1 kept the batch shape under "data"
        data = saved.get("data", {})
        if not isinstance(saved["model"], dict) or not isinstance(data, dict):
            raise TypeError("'model' must be an object")
        self.config = CharRNNConfig.from_dict({**data, **saved["model"]})
        self.vocab_ = Vocab(saved["vocab"])
        excerpt = saved.get("preseed_excerpt")
        self.preseed_excerpt = excerpt if isinstance(excerpt, str) else None
        self.info = {k: v for k, v in saved.items() if k not in ("model", "data")}
        if build:
            self.net = CharRNNNet(len(self.vocab_), self.config)

    def _write_folder(self, folder: ModelFolder) -> None:
        save_weights(folder.file(self.WEIGHTS), self.net.state_dict())
        self._copy_corpus(folder)
        self._write_config(folder)

    @classmethod
    def _from_config(cls, config: dict) -> CharRNN:
        model = cls()
        model._restore(config, build=False)
        return model

    def _load_arrays(self, folder: ModelFolder, device: str) -> None:
        """The weights, after checking their names and shapes in the file's header against the
        network config.json describes (computed, not built), so a crafted config can't make
        textkit allocate gigabytes."""
        path = folder.file(self.WEIGHTS)
        expected = CharRNNNet.state_shapes(len(self.vocab_), self.config)
        found = {k: shape for k, (_, shape) in read_array_header(path).items()}
        if found != expected:
            diff = sorted(
                k for k in expected.keys() | found.keys() if found.get(k) != expected.get(k)
            )
            raise TextkitError(
                f"{path} does not match config.json (e.g. {diff[0]!r}: file {found.get(diff[0])}, "
                f"config {expected.get(diff[0])}); retrain or restore the model"
            )
        self.net = CharRNNNet(len(self.vocab_), self.config)
        self.net.load_state_dict(load_weights(path))
        self.device = resolve_device(device)
        self.net.to(self.device).eval()

    # ----------------------------------------------------------------- sampling
    def _device(self) -> torch.device:
        return self.device

    def _stepper(self, device: torch.device) -> _RNNStepper:
        self._require_trained()
        self.net.eval()
        return _RNNStepper(self.net, device)

    def loss_on(self, text: str) -> float:
        """Mean next-character loss (nats/char) on ``text``, one stream, state carried: how
        surprising the model finds a text (lower = more like its training corpus)."""
        self._require_trained()
        ids = torch.from_numpy(self.vocab_.encode(self._map(text, "text"))).long().to(self.device)
        with torch.inference_mode():
            logits, _ = self.net(ids[:-1].unsqueeze(0))
            return F.cross_entropy(logits[0].float(), ids[1:]).item()
