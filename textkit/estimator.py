"""What every textkit model class shares: its kind, one ``fit``/``save``/``load`` shape, and how
it fails when misused (one message for an untrained model, one for a broken config.json).

Conventions (scikit-learn's and Hugging Face's): hyperparameters go to the constructor (a config
dataclass plus keyword overrides); ``fit(data, out=None, train_config=None, *, overwrite=False,
log=None)`` learns, merging the kind's training defaults with what ``train_config`` chose; what
``fit`` learned ends in ``_`` (``labels_``, ``threshold_``...); ``save(path, overwrite=False)``
and ``load(path)`` a model folder.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from textkit.errors import TextkitError
from textkit.modelio import WEIGHTS, ModelFolder, check_target, training_run
from textkit.training.ranks import is_main_process

Log = Callable[[str], None] | None


@contextlib.contextmanager
def config_errors(folder: ModelFolder) -> Iterator[None]:
    """Turn a missing or wrong-typed config.json entry, met while rebuilding a model, into one
    clear error (the same for every kind) instead of a KeyError traceback."""
    where = folder.file("config.json")
    try:
        yield
    except KeyError as exc:
        raise TextkitError(
            f"{where} is incomplete: it has no {exc.args[0]!r} entry; retrain or restore it"
        ) from exc
    except (TypeError, ValueError, AttributeError, IndexError) as exc:
        raise TextkitError(
            f"{where} holds an invalid value ({exc}); retrain or restore it"
        ) from exc
    except TextkitError as exc:  # a setting out of range, checked by the kind's config class
        raise TextkitError(f"{where} holds an invalid value: {exc}; retrain or restore it") from exc


class Estimator:
    """Base of every model class (see the module docstring)."""

    KIND: ClassVar[str] = ""
    WEIGHTS: ClassVar[str] = WEIGHTS
    folder: ModelFolder | None = None

    def fit(
        self,
        data: Any,
        out: str | Path | None = None,
        train_config: Any = None,
        *,
        overwrite: bool = False,
        log: Log = None,
    ) -> Any:
        """Learn from ``data``; with ``out`` the model folder is written there as training goes
        (``overwrite=True`` replaces a model there).  ``train_config``: a TrainConfig, or a dict
        of the training settings to change; the kind's defaults fill the rest."""
        raise NotImplementedError

    def is_trained(self) -> bool:
        raise NotImplementedError

    def _require_trained(self) -> None:
        if not self.is_trained():
            name = type(self).__name__
            raise TextkitError(
                f"this {name} is not trained: call fit() first, or {name}.load(path)"
            )

    @staticmethod
    def _check_out(out: str | Path | None, overwrite: bool = False, resume: bool = False) -> None:
        """Refuse a place the run can't write before any work (not at the end of it)."""
        if out is not None and is_main_process():
            check_target(out, overwrite=overwrite, resume=resume)

    @staticmethod
    def _run(out: str | Path, *, resume: bool = False, overwrite: bool = False):
        """The locked, staged folder a run (or ``save``) writes into; under torchrun, ranks
        other than 0 get a private scratch folder instead."""
        return training_run(out, resume=resume, overwrite=overwrite, main=is_main_process())

    def save(self, path: str | Path, overwrite: bool = False) -> Path:
        """Write the model folder at ``path`` (``overwrite=True`` replaces a model there): the
        same staging and lock as a training run, so a crash leaves the old model intact."""
        self._require_trained()
        with self._run(path, overwrite=overwrite) as folder:
            self._write_folder(folder)
        self.folder = folder
        return folder.path

    def _write_folder(self, folder: ModelFolder) -> None:
        """Everything ``load`` needs: config.json, the arrays, the kind's own files."""
        raise NotImplementedError

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> Any:
        """Open a model folder of this kind: config.json is read and validated first (types,
        ranges, expected array shapes), then the arrays, so a bad folder costs no memory."""
        folder = ModelFolder(path)
        config = folder.read_config((cls.KIND,))
        with config_errors(folder):
            model = cls._from_config(config)
        model.folder = folder
        with _no_collection_pauses():
            model._load_arrays(folder, device)
        return model

    @classmethod
    def _from_config(cls, config: dict) -> Any:
        """An untrained model with the settings, vocabulary... that config.json describes."""
        raise NotImplementedError

    def _load_arrays(self, folder: ModelFolder, device: str) -> None:
        """Read the weights (or tables) saved beside config.json."""
        raise NotImplementedError


@contextlib.contextmanager
def _no_collection_pauses():
    """The cyclic garbage collector off while a model's files are parsed: a vocabulary or
    memory parsed from JSON is thousands of new containers (no cycles), and each batch of them
    set off a collection that walks every object the process holds (a 151-intent model loaded
    in a busy process: 161 ms before, 80-88 ms after: benchmarks/intent_speed.py).
    Nesting-safe."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
