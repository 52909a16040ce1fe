"""The model folder: one directory per trained model, readable without textkit's code.

Layout of ``models/<name>/`` (each kind adds its own files)::

    config.json         what the model is (kind, versions, hyperparameters, data, best metrics)
    model.safetensors   the arrays to use (the best weights seen so far), safetensors format
    metrics.jsonl       one JSON object per evaluation
    loss.png            the loss curves
    train_state.pt      resumable training state of torch models (optimiser, RNG, data position)

Every write goes to a temporary file in the same folder and is renamed over the old one, so a
crash or ``kill -9`` at any moment leaves the last good file intact.  Nothing is read with plain
pickle: arrays are safetensors, and the training state is read with
``torch.load(weights_only=True)``, which accepts only tensors and plain containers.

This package imports neither torch nor any model code: listing models, reading configs and
storing numpy arrays cost no torch import.  Torch tensors are accepted where they are given.

One module per job: ``arrays`` (safetensors files), ``folder`` (ModelFolder), ``runs`` (names,
locks, staged runs) and ``catalogue`` (listing and choosing models); the names are gathered here.
"""

from textkit.atomic import atomic_path, atomic_write_bytes, atomic_write_json
from textkit.modelio.arrays import (
    load_arrays,
    load_weights,
    read_array_header,
    save_arrays,
    save_weights,
)
from textkit.modelio.catalogue import (
    DEFAULT_MODELS_DIR,
    ModelInfo,
    find_trained_on,
    latest_model,
    list_models,
    resolve_model_path,
)
from textkit.modelio.folder import (
    CONFIG,
    FORMAT_VERSION,
    LOSS_PLOT,
    METRICS,
    STATE,
    WEIGHTS,
    ModelFolder,
)
from textkit.modelio.runs import (
    check_model_name,
    check_target,
    cleanup_stale,
    fresh_model_dir,
    training_run,
)

__all__ = [
    "CONFIG",
    "DEFAULT_MODELS_DIR",
    "FORMAT_VERSION",
    "LOSS_PLOT",
    "METRICS",
    "STATE",
    "WEIGHTS",
    "ModelFolder",
    "ModelInfo",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_json",
    "check_model_name",
    "check_target",
    "cleanup_stale",
    "find_trained_on",
    "fresh_model_dir",
    "latest_model",
    "list_models",
    "load_arrays",
    "load_weights",
    "read_array_header",
    "resolve_model_path",
    "save_arrays",
    "save_weights",
    "training_run",
]
