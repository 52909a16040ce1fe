"""What every textkit model class shares: its kind, the files a run writes, how it loads, and
how it fails when misused (one message for an untrained model, one for a broken config.json).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from textkit.errors import TextkitError
from textkit.modelio import LOSS_PLOT, METRICS, STATE, WEIGHTS, ModelFolder

C = TypeVar("C")


def settings(owner: str, config_cls: type[C], config: C | None, overrides: dict) -> C:
    """``config`` (or the defaults) with keyword ``overrides``, refusing misspelt names: what
    every model constructor does with ``Model(Config(...), **overrides)``."""
    known = {f.name for f in fields(config_cls)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise TextkitError(
            f"{owner} got unknown setting(s) {', '.join(unknown)}; "
            f"{config_cls.__name__} has {', '.join(sorted(known))}"
        )
    return replace(config or config_cls(), **overrides)


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
    """Base of every model class: hyperparameters in the constructor, ``fit`` learns, ``save``
    and ``load`` a model folder (scikit-learn's and Hugging Face's conventions)."""

    KIND: ClassVar[str] = ""
    WEIGHTS: ClassVar[str] = WEIGHTS
    # what a fresh run into an existing folder (--overwrite) removes first
    RUN_FILES: ClassVar[tuple[str, ...]] = (WEIGHTS, METRICS, LOSS_PLOT, STATE)
    folder: ModelFolder | None = None

    def is_trained(self) -> bool:
        raise NotImplementedError

    def _require_trained(self) -> None:
        if not self.is_trained():
            name = type(self).__name__
            raise TextkitError(
                f"this {name} is not trained: call fit() first, or {name}.load(path)"
            )

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> Any:
        """Open a model folder of this kind: config.json is read and validated first (types,
        ranges, expected array shapes), then the arrays, so a bad folder costs no memory."""
        folder = ModelFolder(path)
        config = folder.read_config((cls.KIND,))
        with config_errors(folder):
            model = cls._from_config(config)
        model.folder = folder
        model._load_arrays(folder, device)
        return model

    @classmethod
    def _from_config(cls, config: dict) -> Any:
        """An untrained model with the settings, vocabulary... that config.json describes."""
        raise NotImplementedError

    def _load_arrays(self, folder: ModelFolder, device: str) -> None:
        """Read the weights (or tables) saved beside config.json."""
        raise NotImplementedError
