"""The models under a models folder: listing, the newest of some kinds, the one trained on
given data, and what a MODEL argument names."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from textkit import safejson
from textkit.errors import TextkitError, TextkitWarning
from textkit.modelio.folder import CONFIG

DEFAULT_MODELS_DIR = Path("models")


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
            cfg = safejson.loads(cfg_path.read_text(encoding="utf-8"))
            if not isinstance(cfg, dict) or not isinstance(cfg.get("kind"), str):
                raise ValueError("no 'kind'")
            size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
        except (OSError, ValueError) as exc:
            warnings.warn(
                f"skipping {folder}: its config.json is unreadable ({exc})",
                TextkitWarning,
                stacklevel=2,
            )
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
