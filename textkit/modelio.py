"""The model folder: one directory per trained model, readable without textkit's code.

Layout of ``models/<name>/`` (each kind adds its own files; see its ``RUN_FILES``)::

    config.json         what the model is (kind, versions, hyperparameters, data, best metrics)
    model.safetensors   the arrays to use (the best weights seen so far), safetensors format
    metrics.jsonl       one JSON object per evaluation
    loss.png            the loss curves
    train_state.pt      resumable training state of torch models (optimiser, RNG, data position)

Every write goes to a temporary file in the same folder and is renamed over the old one, so a
crash or ``kill -9`` at any moment leaves the last good file intact.  Nothing is read with plain
pickle: arrays are safetensors, and the training state is read with
``torch.load(weights_only=True)``, which accepts only tensors and plain containers.

This module imports neither torch nor any model code: listing models, reading configs and
storing numpy arrays cost no torch import.  Torch tensors are accepted where they are given.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textkit import __version__
from textkit.atomic import (
    FolderLock,
    atomic_path,
    atomic_write_bytes,
    atomic_write_json,
    tmp_owner,
    write_error,
)
from textkit.errors import TextkitError, TextkitWarning

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_json"]  # re-exported

FORMAT_VERSION = 1
CONFIG = "config.json"
WEIGHTS = "model.safetensors"
METRICS = "metrics.jsonl"
STATE = "train_state.pt"
LOSS_PLOT = "loss.png"
DEFAULT_MODELS_DIR = Path("models")


# ---------------------------------------------------------------- arrays (weights, tables)
def _is_torch(value: Any) -> bool:
    return type(value).__module__.startswith("torch")


def _parse_header(data: bytes, path: Path) -> tuple[dict, int]:
    """The safetensors JSON header and where the data buffer starts."""
    try:
        if len(data) < 8:
            raise ValueError("file shorter than its header")
        n = int.from_bytes(data[:8], "little")
        if n > len(data) - 8:
            raise ValueError("header longer than the file")
        header = json.loads(data[8 : 8 + n])
        if not isinstance(header, dict):
            raise ValueError("header is not a JSON object")
    except (ValueError, UnicodeDecodeError) as exc:
        raise TextkitError(
            f"{path} is corrupt or truncated ({exc}); retrain or restore it"
        ) from exc
    return header, 8 + n


def _digest(header: dict, buffer: memoryview) -> str:
    """SHA-256 over each array's name and bytes, in name order (independent of framework and
    of where the arrays sit in the file)."""
    h = hashlib.sha256()
    for name in sorted(k for k in header if k != "__metadata__"):
        start, end = header[name]["data_offsets"]
        h.update(name.encode())
        h.update(buffer[start:end])
    return h.hexdigest()


def save_arrays(path: Path, arrays: Mapping[str, Any]) -> None:
    """Write numpy arrays or torch tensors (not both) as safetensors, with a checksum of their
    bytes in the header, atomically."""
    if not arrays:
        raise ValueError("nothing to save")
    if any(_is_torch(v) for v in arrays.values()):
        from safetensors.torch import save

        data = save({k: v.detach().to("cpu").contiguous() for k, v in arrays.items()})
    else:
        import numpy as np
        from safetensors.numpy import save

        data = save({k: np.ascontiguousarray(v) for k, v in arrays.items()})
    header, start = _parse_header(data, Path(path))
    header["__metadata__"] = {**header.get("__metadata__", {}),
                              "sha256": _digest(header, memoryview(data)[start:])}  # fmt: skip
    # re-serialise the header with the checksum; safetensors pads it to 8 bytes with spaces
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    atomic_write_bytes(path, len(head).to_bytes(8, "little") + head + data[start:])


def read_array_header(path: Path) -> dict[str, tuple[str, list[int]]]:
    """{name: (dtype, shape)} from a safetensors file's header, without reading its arrays."""
    path = Path(path)
    if not path.is_file():
        raise TextkitError(f"{path} is missing: the model folder holds no weights")
    with open(path, "rb") as fh:
        first = fh.read(8)
        n = int.from_bytes(first, "little") if len(first) == 8 else -1
        rest = fh.read(min(max(n, 0), 100_000_000))
    header, _ = _parse_header(first + rest, path)
    try:
        return {k: (v["dtype"], list(v["shape"])) for k, v in header.items() if k != "__metadata__"}
    except (KeyError, TypeError) as exc:
        raise TextkitError(f"{path} is corrupt (its header lists no shape for an array)") from exc


def load_arrays(path: Path, framework: str = "numpy") -> dict[str, Any]:
    """Read a safetensors file as numpy arrays (``framework="numpy"``) or CPU torch tensors
    (``"pt"``), refusing missing, truncated or corrupted files."""
    path = Path(path)
    if not path.is_file():
        raise TextkitError(f"{path} is missing: the model folder holds no weights")
    data = path.read_bytes()
    header, start = _parse_header(data, path)
    meta = header.get("__metadata__")
    expected = meta.get("sha256") if isinstance(meta, dict) else None
    try:
        if framework == "pt":
            from safetensors.torch import load
        else:
            from safetensors.numpy import load
        arrays = load(data)
        if expected and expected != _digest(header, memoryview(data)[start:]):
            raise TextkitError(
                f"{path} is corrupt: its checksum does not match; retrain or restore it"
            )
    except (KeyError, TypeError, ValueError) as exc:  # offsets outside the buffer, etc.
        raise TextkitError(
            f"{path} is corrupt or truncated ({exc}); retrain or restore it"
        ) from exc
    except Exception as exc:
        if type(exc).__name__ != "SafetensorError":
            raise
        raise TextkitError(
            f"{path} is corrupt or truncated ({exc}); retrain or restore it"
        ) from exc
    for name, value in arrays.items():
        if not _all_finite(value):
            raise TextkitError(
                f"{path} holds NaN or infinite values (in {name!r}): the run that saved it had "
                "diverged; retrain with a lower --lr"
            )
    return arrays


def _all_finite(value: Any) -> bool:
    if _is_torch(value):
        import torch

        return not value.is_floating_point() or bool(torch.isfinite(value).all())
    import numpy as np

    return value.dtype.kind != "f" or bool(np.isfinite(value).all())


def save_weights(path: Path, tensors: Mapping[str, Any]) -> None:
    """Torch weights (a state dict) -> safetensors; the same as ``save_arrays``."""
    save_arrays(path, tensors)


def load_weights(path: Path) -> dict[str, Any]:
    """Safetensors -> CPU torch tensors."""
    return load_arrays(path, framework="pt")


# ---------------------------------------------------------------- the folder
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

    def clear_run(self, names: Iterable[str]) -> None:
        """Remove what an earlier run left (the kind's run files) before a fresh one, so an
        --overwrite'd folder never mixes two runs' curves."""
        for name in names:
            self.file(name).unlink(missing_ok=True)

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
        cfg = self.read_json(CONFIG)
        if not isinstance(cfg, dict) or not isinstance(cfg.get("kind"), str):
            raise TextkitError(f"{cfg_path} does not describe a textkit model (no 'kind')")
        if kinds and cfg["kind"] not in kinds:
            raise TextkitError(
                f"{self.path} holds a {cfg['kind']!r} model, not {' or '.join(map(repr, kinds))}"
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
            return json.loads(path.read_text(encoding="utf-8"))
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
                row = json.loads(line)
                if isinstance(row, dict):
                    rows.append(row)
        return rows

    def truncate_metrics(self, max_step: int) -> None:
        """Drop rows logged after ``max_step`` (written after the state we resume from)."""
        rows = [r for r in self.read_metrics()
                if isinstance(r.get("step", 0), (int, float)) and r.get("step", 0) <= max_step]  # fmt: skip
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


# ---------------------------------------------------------------- naming, runs, listing
def check_model_name(name: str) -> str:
    """A model name is one ordinary path component: it can't point outside the models folder,
    into a sub-folder nothing would list, or at the hidden names textkit uses itself."""
    if (not isinstance(name, str) or not name.strip() or name in (".", "..") or name.startswith(".")
            or any(c in name for c in "/\\\0") or len(name.encode()) > 200):  # fmt: skip
        raise TextkitError(
            f"{name!r} can't be a model name: use one folder name (letters, digits, - and _), "
            "not a path; choose the parent folder with --models-dir"
        )
    return name


def fresh_model_dir(models_dir: Path, name: str, overwrite: bool = False) -> Path:
    """``models_dir/name``, or ``name-2``, ``name-3``... so an earlier model (or a run still
    training under that name) is never clobbered."""
    check_model_name(name)
    models_dir = Path(models_dir)
    if overwrite:
        return models_dir / name
    n, candidate = 1, models_dir / name
    while candidate.exists() or _in_use(candidate):
        n += 1
        candidate = models_dir / f"{name}-{n}"
    return candidate


def _in_use(folder: Path) -> bool:
    lock = FolderLock(folder)
    if not lock.path.exists():
        return False
    free = lock.acquire()
    lock.release()
    return not free


def cleanup_stale(models_dir: Path) -> None:
    """Remove what killed runs left under ``models_dir``: staging folders of runs that never
    published, models moved aside during a replacement, and temporary files inside model
    folders.  Only for names no live run holds the lock of; a model a kill left half-replaced
    is put back."""
    models_dir = Path(models_dir)
    if not models_dir.is_dir():
        return
    for entry in list(models_dir.iterdir()):
        name, _, tail = entry.name.lstrip(".").rpartition(".")
        if not (
            entry.name.startswith(".") and entry.is_dir() and tail.startswith(("partial-", "old-"))
        ):
            continue
        final = models_dir / name
        lock = FolderLock(final)
        if not lock.acquire():
            continue
        try:
            if not final.exists() and (entry / CONFIG).is_file() and (entry / WEIGHTS).is_file():
                os.rename(entry, final)  # killed between the two renames of a replacement
            else:
                shutil.rmtree(entry, ignore_errors=True)
        finally:
            lock.release()
    for tmp in models_dir.glob(f"*/.*{'.tmp'}"):
        owner = tmp_owner(tmp)
        if owner is not None and not _alive(owner):
            tmp.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


@contextlib.contextmanager
def training_run(
    out: str | Path, *, resume: bool = False, overwrite: bool = False
) -> Iterator[ModelFolder]:
    """The folder a training run writes into, locked for the run.  A new run is staged in a
    hidden folder beside ``out`` and published (``ModelFolder.publish``) with its first
    checkpoint; if the run fails before that, the stage is removed and an older model at
    ``out`` is untouched.  Refuses to replace anything that isn't a textkit model."""
    out = Path(out)
    if out.name in ("", ".", ".."):
        raise TextkitError(f"{out} can't hold a model: name a new folder for it")
    from textkit.training.distributed import context

    if not context().is_main:
        yield from _scratch_run(out, resume)
        return
    with FolderLock(out):
        cleanup_stale(out.parent)
        is_model = (out / CONFIG).is_file()
        if resume:
            if not is_model:
                raise TextkitError(f"nothing to resume at {out}: it holds no model")
            yield ModelFolder(out)
            return
        if out.exists():
            if not out.is_dir() or (not is_model and any(out.iterdir())):
                raise TextkitError(f"{out} exists and is not a textkit model folder; refusing to "
                                   "write into it: choose another name")  # fmt: skip
            if is_model and not overwrite:
                raise TextkitError(f"{out} already holds a model; pass overwrite=True (--overwrite) "
                                   "to replace it, or choose another name")  # fmt: skip
        stage = out.parent / f".{out.name}.partial-{os.getpid()}"
        shutil.rmtree(stage, ignore_errors=True)
        folder = ModelFolder(stage, publish_to=out).create()
        try:
            yield folder
            folder.publish()
            if folder.publish_to is not None:
                raise TextkitError("the run ended before its first checkpoint; nothing was saved")
        except BaseException:
            folder.discard()
            raise


def _scratch_run(out: Path, resume: bool) -> Iterator[ModelFolder]:
    """What a rank other than 0 of a torchrun job trains "into": a private temporary folder
    (a copy of a resumed model's config and state), removed when the run ends, so estimator
    code runs unchanged on every rank while only rank 0 writes the real model folder."""
    if resume and not (out / CONFIG).is_file():
        raise TextkitError(f"nothing to resume at {out}: it holds no model (every machine of a "
                           "multi-machine run needs the model folder at the same path)")  # fmt: skip
    scratch = Path(tempfile.mkdtemp(prefix=".textkit-rank-"))
    try:
        if resume:
            for name in (CONFIG, STATE):
                if (out / name).is_file():
                    shutil.copyfile(out / name, scratch / name)
        yield ModelFolder(scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@dataclass
class ModelInfo:
    path: Path
    kind: str
    saved_at: str
    headline: tuple[str, str] | None  # (label, value) of the kind's headline metric
    num_params: int | None
    size_bytes: int
    config: dict


def list_models(models_dir: Path = DEFAULT_MODELS_DIR) -> list[ModelInfo]:
    """Every readable model folder under ``models_dir``, newest first."""
    from textkit.kinds import headline

    models_dir = Path(models_dir)
    if not models_dir.is_dir():
        return []
    infos = []
    for cfg_path in sorted(models_dir.glob(f"*/{CONFIG}")):
        folder = cfg_path.parent
        if folder.name.startswith("."):  # a run still staging, or a model being replaced
            continue
        try:
            cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
            if not isinstance(cfg, dict) or not isinstance(cfg.get("kind"), str):
                raise ValueError("no 'kind'")
            size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
        except (OSError, ValueError) as exc:
            warnings.warn(f"skipping {folder}: its config.json is unreadable ({exc})",
                          TextkitWarning, stacklevel=2)  # fmt: skip
            continue
        params = cfg.get("num_params")
        saved_at = cfg.get("saved_at")
        infos.append(
            ModelInfo(
                path=folder,
                kind=cfg["kind"],
                saved_at=saved_at if isinstance(saved_at, str) else "",
                headline=headline(cfg),
                num_params=params if isinstance(params, int) else None,
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


def find_trained_on(models_dir: Path, kind: str, data_fingerprint: str) -> Path | None:
    """The newest model of ``kind`` trained on the data with this fingerprint (for --resume)."""
    for info in list_models(models_dir):
        data = info.config.get("corpus")
        if (
            info.kind == kind
            and isinstance(data, dict)
            and data.get("fingerprint") == data_fingerprint
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
