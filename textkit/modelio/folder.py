"""``ModelFolder``: one trained model's directory and the files in it (config.json, arrays,
metrics, training state), every write atomic."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textkit import __version__, safejson
from textkit.atomic import atomic_path, atomic_write_bytes, atomic_write_json, write_error
from textkit.errors import TextkitError
from textkit.modelio.arrays import load_arrays, save_arrays

FORMAT_VERSION = 1
CONFIG = "config.json"
WEIGHTS = "model.safetensors"
METRICS = "metrics.jsonl"
STATE = "train_state.pt"
LOSS_PLOT = "loss.png"


@dataclass
class ModelFolder:
    """A model directory and the files in it.  A new run's folder is staged under a hidden name
    and ``publish``ed to ``publish_to`` with its first checkpoint (see ``training_run``)."""

    path: Path
    publish_to: Path | None = None

    def __post_init__(self) -> None:
        self.path = Path(self.path)

    @property
    def final_path(self) -> Path:
        """Where the model is, or will be once published."""
        return self.publish_to or self.path

    def publish(self) -> None:
        """Make a staged run visible under its final name, replacing an older model there only
        now that the new one has a checkpoint.  A no-op once published."""
        if self.publish_to is None or not self.file(CONFIG).is_file():
            return
        final, old = self.publish_to, None
        try:
            if final.exists():
                old = final.parent / f".{final.name}.old-{os.getpid()}"
                shutil.rmtree(old, ignore_errors=True)
                os.rename(final, old)
            os.rename(self.path, final)
        except OSError as exc:
            if old is not None and old.exists() and not final.exists():
                os.rename(old, final)  # put the previous model back
            raise write_error(final, exc) from exc
        self.path, self.publish_to = final, None
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        """Remove a staged run that never published (a run that failed before its first
        checkpoint leaves nothing behind)."""
        if self.publish_to is not None:
            shutil.rmtree(self.path, ignore_errors=True)

    def file(self, name: str) -> Path:
        return self.path / name

    # creation ------------------------------------------------------------
    def create(self) -> ModelFolder:
        """Make the folder (and parents), failing clearly if it can't be written."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            probe = self.path / f".write-test.{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise TextkitError(
                f"cannot write to {self.path} ({exc.strerror}); choose another --models-dir"
            ) from exc
        return self

    def write_config(self, kind: str, config: dict) -> dict:
        """config.json: ``config`` under the stamp of this save (kind, versions, the time now),
        which a ``config`` read back from an earlier save (a resumed run's) can't override."""
        stamp = {
            "kind": kind,
            "format_version": FORMAT_VERSION,
            "textkit_version": __version__,
            "saved_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds"),
        }
        full = {**stamp, **{k: v for k, v in config.items() if k not in stamp}}
        atomic_write_json(self.file(CONFIG), full)
        return full

    def read_config(self, kinds: tuple[str, ...] | None = None) -> dict:
        """Read config.json, checking the folder holds a model of an expected kind and version."""
        cfg_path = self.file(CONFIG)
        if not self.path.exists():
            raise TextkitError(f"no model at {self.path}")
        if not cfg_path.is_file():
            raise TextkitError(f"{self.path} is not a textkit model folder (no {CONFIG})")
        cfg = self.read_json(CONFIG)
        if not isinstance(cfg, dict) or not isinstance(cfg.get("kind"), str):
            raise TextkitError(f"{cfg_path} does not describe a textkit model (no 'kind')")
        if kinds and cfg["kind"] not in kinds:
            raise TextkitError(
                f"{self.path} holds a model of kind {cfg['kind']!r}, not {' or '.join(map(repr, kinds))}"
            )
        version = cfg.get("format_version", 0)
        if not isinstance(version, int) or isinstance(version, bool):
            raise TextkitError(f"{cfg_path} has an invalid format_version {version!r}")
        if version > FORMAT_VERSION:
            raise TextkitError(
                f"{self.path} was saved by a newer textkit ({cfg.get('textkit_version')}); "
                f"upgrade textkit (this is {__version__})"
            )
        return cfg

    def exists(self) -> bool:
        return self.file(CONFIG).is_file()

    # other JSON files (a large vocabulary lives beside config.json) ---------------
    def write_json(self, name: str, obj: object) -> None:
        atomic_write_json(self.file(name), obj)

    def read_json(self, name: str) -> Any:
        path = self.file(name)
        if not path.is_file():
            raise TextkitError(f"{path} is missing; retrain or restore the model")
        try:
            return safejson.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise TextkitError(f"{path} is corrupt ({exc})") from exc

    # arrays --------------------------------------------------------------
    def save_arrays(self, arrays: Mapping[str, Any], name: str = WEIGHTS) -> None:
        save_arrays(self.file(name), arrays)

    def load_arrays(self, name: str = WEIGHTS, framework: str = "numpy") -> dict[str, Any]:
        return load_arrays(self.file(name), framework)

    # metrics -------------------------------------------------------------
    def append_metrics(self, row: dict) -> None:
        try:
            with open(self.file(METRICS), "a", encoding="utf-8") as fh:
                fh.write(json.dumps(row) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise write_error(self.file(METRICS), exc) from exc

    def read_metrics(self) -> list[dict]:
        path = self.file(METRICS)
        if not path.is_file():
            return []
        rows = []
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            with contextlib.suppress(json.JSONDecodeError):  # a line cut by a crash
                row = safejson.loads(line)
                if isinstance(row, dict):
                    rows.append(row)
        return rows

    def truncate_metrics(self, max_step: int) -> None:
        """Drop rows logged after ``max_step`` (written after the state we resume from)."""
        rows = [
            r
            for r in self.read_metrics()
            if isinstance(r.get("step", 0), (int, float)) and r.get("step", 0) <= max_step
        ]
        atomic_write_bytes(self.file(METRICS), "".join(json.dumps(r) + "\n" for r in rows).encode())

    # training state (torch models) ------------------------------------------
    def save_state(self, state: dict) -> None:
        import torch

        with atomic_path(self.file(STATE)) as tmp:
            torch.save(state, tmp)

    def load_state(self) -> dict:
        import torch

        path = self.file(STATE)
        if not path.is_file():
            raise TextkitError(f"{self.path} has no training state to resume from ({STATE})")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # torch raises many types for a bad file; its advice is unsafe
            raise TextkitError(
                f"{path} is corrupt or not a textkit training state; it can't be resumed, but "
                "the model's best weights still load. Train again without --resume"
            ) from exc
        if (
            not isinstance(state, dict)
            or not isinstance(state.get("step"), int)
            or state["step"] < 0
        ):
            raise TextkitError(
                f"{path} is not a textkit training state; train again without --resume"
            )
        return state
