"""Where a run writes: fresh names (``NAME-2``), a lock per name, runs staged in a hidden
folder and published with their first checkpoint, and the clean-up of what killed runs left."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from textkit.atomic import FolderLock, reserve_folder, tmp_owner
from textkit.errors import TextkitError
from textkit.modelio.folder import CONFIG, STATE, WEIGHTS, ModelFolder
from textkit.training.ranks import is_main_process


def check_model_name(name: str) -> str:
    """A model name is one ordinary path component: it can't point outside the models folder,
    into a sub-folder nothing would list, or at the hidden names textkit uses itself."""
    if (
        not isinstance(name, str)
        or not name.strip()
        or name in (".", "..")
        or name.startswith(".")
        or any(c in name for c in "/\\\0")
        or len(name.encode()) > 200
    ):
        raise TextkitError(
            f"{name!r} can't be a model name: use one folder name (letters, digits, - and _), "
            "not a path; choose the parent folder with --models-dir"
        )
    return name


def fresh_model_dir(models_dir: Path, name: str, overwrite: bool = False) -> Path:
    """``models_dir/name``, or ``name-2``, ``name-3``... so an earlier model (or a run still
    training under that name, or one that has just chosen it) is never clobbered.  The name
    is reserved for this process from now on (``reserve_folder``)."""
    check_model_name(name)
    models_dir = Path(models_dir)
    if overwrite:
        return models_dir / name
    n, candidate = 1, models_dir / name
    # held until the run locks it; under torchrun only by rank 0, the one process that writes
    # the folder (the others train into a private temporary one)
    main = is_main_process()
    while candidate.exists() or (main and not reserve_folder(candidate)):
        n += 1
        candidate = models_dir / f"{name}-{n}"
    return candidate


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


def check_target(out: str | Path, *, resume: bool = False, overwrite: bool = False) -> None:
    """Refuse, before any work, a place a run can't write: not a folder name, something that
    isn't a textkit model, a model without ``overwrite``, or (``resume``) no model at all.
    ``fit`` calls this first, so a long run is never refused at its end."""
    out = Path(out)
    if out.name in ("", ".", ".."):
        raise TextkitError(f"{out} can't hold a model: name a new folder for it")
    is_model = (out / CONFIG).is_file()
    if resume:
        if not is_model:
            raise TextkitError(f"nothing to resume at {out}: it holds no model")
        return
    if out.exists():
        if not out.is_dir() or (not is_model and any(out.iterdir())):
            raise TextkitError(
                f"{out} exists and is not a textkit model folder; refusing to "
                "write into it: choose another name"
            )
        if is_model and not overwrite:
            raise TextkitError(
                f"{out} already holds a model; pass overwrite=True (--overwrite) "
                "to replace it, or choose another name"
            )


@contextlib.contextmanager
def training_run(
    out: str | Path, *, resume: bool = False, overwrite: bool = False, main: bool = True
) -> Iterator[ModelFolder]:
    """The folder a training run writes into, locked for the run.  A new run is staged in a
    hidden folder beside ``out`` and published (``ModelFolder.publish``) with its first
    checkpoint; if the run fails before that, the stage is removed and an older model at
    ``out`` is untouched.  Refuses to replace anything that isn't a textkit model.

    ``main``: whether this process writes the model (its caller knows: under torchrun only
    rank 0 does; the others train into a private scratch folder)."""
    out = Path(out)
    check_target(out, resume=resume, overwrite=overwrite)
    if not main:
        yield from _scratch_run(out, resume)
        return
    with FolderLock(out):
        cleanup_stale(out.parent)
        check_target(out, resume=resume, overwrite=overwrite)  # again, now that it is ours
        if resume:
            yield ModelFolder(out)
            return
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
        raise TextkitError(
            f"nothing to resume at {out}: it holds no model (every machine of a "
            "multi-machine run needs the model folder at the same path)"
        )
    scratch = Path(tempfile.mkdtemp(prefix=".textkit-rank-"))
    try:
        if resume:
            for name in (CONFIG, STATE):
                if (out / name).is_file():
                    shutil.copyfile(out / name, scratch / name)
        yield ModelFolder(scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
