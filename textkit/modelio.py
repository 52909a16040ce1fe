"""The model folder: one directory per trained model, readable without textkit's code.

Layout of ``models/<name>/``::

    config.json         what the model is (kind, hyperparameters, vocabulary, versions, corpus)
    model.safetensors   the weights to use (the best seen so far), safetensors format
    metrics.jsonl       one JSON object per evaluation
    loss.png            the loss curves
    train_state.pt      resumable training state (last weights, optimiser, RNG, data position)

Every write goes to a temporary file in the same folder and is renamed over the old one, so a
crash or ``kill -9`` at any moment leaves the last good file intact.  Nothing is read with plain
pickle: weights are safetensors, and the training state is read with
``torch.load(weights_only=True)``, which accepts only tensors and plain containers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load_bytes
from safetensors.torch import save as st_save_bytes

from textkit import __version__
from textkit.errors import TextkitError

FORMAT_VERSION = 1
CONFIG = "config.json"
WEIGHTS = "model.safetensors"
METRICS = "metrics.jsonl"
STATE = "train_state.pt"
LOSS_PLOT = "loss.png"
DEFAULT_MODELS_DIR = Path("models")


# ---------------------------------------------------------------- atomic writes
@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success fsync it and rename it into place."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_json(path: Path, obj: object) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode())


# ---------------------------------------------------------------- weights
def _digest(tensors: dict[str, torch.Tensor]) -> str:
    h = hashlib.sha256()
    for name in sorted(tensors):
        h.update(name.encode())
        h.update(tensors[name].detach().cpu().contiguous().view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def save_weights(path: Path, tensors: dict[str, torch.Tensor]) -> None:
    """Write tensors as safetensors (CPU, contiguous) with a checksum of their bytes."""
    cpu = {k: v.detach().to("cpu").contiguous().clone() for k, v in tensors.items()}
    atomic_write_bytes(path, st_save_bytes(cpu, metadata={"sha256": _digest(cpu)}))


def load_weights(path: Path) -> dict[str, torch.Tensor]:
    """Read safetensors weights onto the CPU, refusing truncated or corrupted files."""
    path = Path(path)
    if not path.is_file():
        raise TextkitError(f"{path} is missing: the model folder holds no weights")
    data = path.read_bytes()
    try:
        tensors = st_load_bytes(data)
        header_len = int.from_bytes(data[:8], "little")
        meta = json.loads(data[8 : 8 + header_len]).get("__metadata__", {})
    except (SafetensorError, ValueError, json.JSONDecodeError) as exc:
        raise TextkitError(
            f"{path} is corrupt or truncated ({exc}); retrain or restore it"
        ) from exc
    expected = meta.get("sha256")
    if expected and expected != _digest(tensors):
        raise TextkitError(f"{path} is corrupt: its checksum does not match; retrain or restore it")
    return tensors


# ---------------------------------------------------------------- the folder
@dataclass
class ModelFolder:
    """A model directory and the files in it."""

    path: Path

    def __post_init__(self) -> None:
        self.path = Path(self.path)

    def file(self, name: str) -> Path:
        return self.path / name

    # creation ------------------------------------------------------------
    def create(self) -> ModelFolder:
        """Make the folder (and parents), failing clearly if it can't be written."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            probe = self.path / ".write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise TextkitError(
                f"cannot write to {self.path} ({exc.strerror}); choose another --models-dir"
            ) from exc
        return self

    # config --------------------------------------------------------------
    def write_config(self, kind: str, config: dict) -> dict:
        full = {
            "kind": kind,
            "format_version": FORMAT_VERSION,
            "textkit_version": __version__,
            "saved_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds"),
            **config,
        }
        atomic_write_json(self.file(CONFIG), full)
        return full

    def read_config(self, kinds: tuple[str, ...] | None = None) -> dict:
        """Read config.json, checking the folder holds a model of an expected kind and version."""
        cfg_path = self.file(CONFIG)
        if not self.path.exists():
            raise TextkitError(f"no model at {self.path}")
        if not cfg_path.is_file():
            raise TextkitError(f"{self.path} is not a textkit model folder (no {CONFIG})")
        try:
            cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise TextkitError(f"{cfg_path} is corrupt ({exc})") from exc
        if not isinstance(cfg, dict) or "kind" not in cfg:
            raise TextkitError(f"{cfg_path} does not describe a textkit model (no 'kind')")
        if kinds and cfg["kind"] not in kinds:
            raise TextkitError(
                f"{self.path} holds a {cfg['kind']!r} model, not {' or '.join(map(repr, kinds))}"
            )
        if int(cfg.get("format_version", 0)) > FORMAT_VERSION:
            raise TextkitError(
                f"{self.path} was saved by a newer textkit ({cfg.get('textkit_version')}); "
                f"upgrade textkit (this is {__version__})"
            )
        return cfg

    def exists(self) -> bool:
        return self.file(CONFIG).is_file()

    def clear_run(self) -> None:
        """Remove what an earlier run left (weights, metrics, state, plot) before a fresh one,
        so an --overwrite'd folder never mixes two runs' curves."""
        for name in (WEIGHTS, METRICS, STATE, LOSS_PLOT):
            self.file(name).unlink(missing_ok=True)

    # metrics -------------------------------------------------------------
    def append_metrics(self, row: dict) -> None:
        with open(self.file(METRICS), "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def read_metrics(self) -> list[dict]:
        path = self.file(METRICS)
        if not path.is_file():
            return []
        rows = []
        for line in path.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(json.JSONDecodeError):  # a line cut by a crash
                rows.append(json.loads(line))
        return rows

    def truncate_metrics(self, max_step: int) -> None:
        """Drop rows logged after ``max_step`` (written after the state we resume from)."""
        rows = [r for r in self.read_metrics() if r.get("step", 0) <= max_step]
        atomic_write_bytes(self.file(METRICS), "".join(json.dumps(r) + "\n" for r in rows).encode())

    # training state --------------------------------------------------------
    def save_state(self, state: dict) -> None:
        with atomic_path(self.file(STATE)) as tmp:
            torch.save(state, tmp)

    def load_state(self) -> dict:
        path = self.file(STATE)
        if not path.is_file():
            raise TextkitError(f"{self.path} has no training state to resume from ({STATE})")
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # torch raises many types for a bad file
            raise TextkitError(
                f"{path} is corrupt or not a textkit training state ({exc})"
            ) from exc


# ---------------------------------------------------------------- naming and listing
def fresh_model_dir(models_dir: Path, name: str, overwrite: bool = False) -> Path:
    """``models_dir/name``, or ``name-2``, ``name-3``... so an earlier model is never clobbered."""
    base = Path(models_dir) / name
    if overwrite or not base.exists():
        return base
    n = 2
    while (Path(models_dir) / f"{name}-{n}").exists():
        n += 1
    return Path(models_dir) / f"{name}-{n}"


@dataclass
class ModelInfo:
    path: Path
    kind: str
    saved_at: str
    best_val_loss: float | None
    num_params: int | None
    size_bytes: int
    config: dict


def list_models(models_dir: Path = DEFAULT_MODELS_DIR) -> list[ModelInfo]:
    """Every readable model folder under ``models_dir``, newest first."""
    models_dir = Path(models_dir)
    if not models_dir.is_dir():
        return []
    infos = []
    for cfg_path in models_dir.glob(f"*/{CONFIG}"):
        try:
            cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(cfg, dict) or "kind" not in cfg:
            continue
        folder = cfg_path.parent
        size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
        infos.append(
            ModelInfo(
                path=folder,
                kind=cfg["kind"],
                saved_at=cfg.get("saved_at", ""),
                best_val_loss=cfg.get("best_val_loss"),
                num_params=cfg.get("num_params"),
                size_bytes=size,
                config=cfg,
            )
        )
    return sorted(infos, key=lambda i: i.saved_at, reverse=True)


def latest_model(models_dir: Path = DEFAULT_MODELS_DIR, kinds: tuple[str, ...] = ()) -> Path:
    """The most recently saved model (of one of ``kinds``), for commands run without --model."""
    for info in list_models(models_dir):
        if not kinds or info.kind in kinds:
            return info.path
    what = " or ".join(kinds) if kinds else "any"
    raise TextkitError(
        f"no trained model ({what}) under {models_dir}/; train one first, "
        "e.g. `textkit train-charrnn corpora/poems.txt`, or pass --model PATH"
    )


def find_trained_on(models_dir: Path, kind: str, corpus_fingerprint: str) -> Path | None:
    """The newest model of ``kind`` trained on the corpus with this fingerprint (for --resume)."""
    for info in list_models(models_dir):
        if (
            info.kind == kind
            and info.config.get("corpus", {}).get("fingerprint") == corpus_fingerprint
        ):
            return info.path
    return None


def resolve_model_path(model: str | Path | None, models_dir: Path, kinds: tuple[str, ...]) -> Path:
    """A --model value (a path, or a name under models_dir), or the latest model if None."""
    if model is None:
        return latest_model(models_dir, kinds)
    path = Path(model)
    if not path.exists() and (Path(models_dir) / path).exists():
        path = Path(models_dir) / path
    return path
