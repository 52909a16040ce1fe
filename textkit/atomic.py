"""Writing files so that nothing is ever half-written, and locking a run's folder.

- ``atomic_path``: write to a temporary file beside the target, fsync, rename over it. A crash
  or ``kill -9`` at any moment leaves the old file or the new one, never a mix. The new file
  gets the permissions the user expects: an overwritten file keeps its mode, a new one follows
  the umask (``mkstemp`` alone would make every file 0600).
- Write failures (disk full, read-only folder) become one clear ``TextkitError``.
- ``FolderLock``: an exclusive ``flock`` held for the length of a training run, released by the
  kernel even when the process is killed.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import fcntl
import json
import os
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from textkit.errors import TextkitError

TMP_SUFFIX = ".tmp"
_umask_lock = threading.Lock()


def current_umask() -> int:
    with _umask_lock:  # the only way to read the umask is to set it
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def write_error(path: Path, exc: BaseException) -> TextkitError:
    """A user-facing message for a failed write, naming the path and what to do."""
    code = getattr(exc, "errno", None)
    if code in (errno.ENOSPC, errno.EDQUOT):
        return TextkitError(
            f"cannot write {path}: no space left on the device; free some space "
            "(nothing already saved was lost)"
        )
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return TextkitError(f"cannot write {path}: {os.strerror(code)}; choose another folder")
    reason = getattr(exc, "strerror", None) or str(exc)
    return TextkitError(f"cannot write {path}: {reason}")


def tmp_owner(path: Path) -> int | None:
    """The process id a temporary file from ``atomic_path`` was made by, or None."""
    parts = path.name.split(".")
    if path.name.startswith(".") and path.name.endswith(TMP_SUFFIX) and len(parts) >= 4:
        with contextlib.suppress(ValueError):
            return int(parts[-3])
    return None


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success fsync it and rename it into place.

    What the target *is* stays as it was: a symlink is written through (its target replaced,
    the link kept), and a FIFO or a device (``-o /dev/stdout``) gets the bytes written into it,
    never a regular file in its place.  A folder, a socket or the like is refused."""
    path = Path(path)
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    kind = _kind(path)
    if kind == "special":
        with _written_through(path) as tmp:
            yield tmp
        return
    if kind == "other":
        raise TextkitError(
            f"cannot write {path}: it is a folder or another non-file; choose a file"
        )
    try:
        old_mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        old_mode = 0o666 & ~current_umask()
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{path.name}.{os.getpid()}.", suffix=TMP_SUFFIX, dir=path.parent
        )
        os.close(fd)
    except OSError as exc:
        raise write_error(path, exc) from exc
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, old_mode)
        os.replace(tmp_path, path)
    except OSError as exc:
        raise write_error(path, exc) from exc
    except RuntimeError as exc:  # torch.save reports a full disk as a RuntimeError
        if _disk_full(path.parent):
            raise write_error(path, OSError(errno.ENOSPC, "no space")) from exc
        raise
    finally:
        tmp_path.unlink(missing_ok=True)


def _kind(path: Path) -> str:
    """ "missing", "file", "special" (a FIFO or a device: written into) or "other"."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "missing"
    except OSError:
        return "file"  # let the write itself report what is wrong
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "special"
    return "other"


@contextlib.contextmanager
def _written_through(path: Path) -> Iterator[Path]:
    """A temporary file (in the system's temporary folder: a device's folder takes none) whose
    bytes are copied into ``path`` once complete."""
    fd, tmp = tempfile.mkstemp(prefix="textkit-", suffix=TMP_SUFFIX)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb") as src, open(path, "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
    except OSError as exc:
        raise write_error(path, exc) from exc
    finally:
        tmp_path.unlink(missing_ok=True)


def _disk_full(folder: Path) -> bool:
    try:
        st = os.statvfs(folder)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 1 << 20


def atomic_write_bytes(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_json(path: Path, obj: object) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode())


_RESERVED: dict[str, FolderLock] = {}  # folders this process holds for a run about to start


def reserve_folder(folder: Path) -> bool:
    """Hold ``folder``'s lock from the moment its name is chosen until the run that chose it
    takes it over (or the process ends): another run choosing a name in between moves on to
    NAME-2 instead of being refused later.  False if another process holds it."""
    key = str(Path(folder).absolute())
    if key in _RESERVED:
        return True
    lock = FolderLock(folder)
    if not lock.acquire():
        return False
    if not _RESERVED:
        atexit.register(release_reservations)
    _RESERVED[key] = lock
    return True


def release_reservations() -> None:
    """Give back the names this process chose but no run took over (a command that failed
    before training): their lock files go, so nothing is left beside the models."""
    while _RESERVED:
        _RESERVED.popitem()[1].release()


class FolderLock:
    """An exclusive lock on ``folder`` (a hidden ``.NAME.lock`` file beside it), held until
    ``release`` or process exit."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder.parent / f".{self.folder.name}.lock"
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock without waiting; False if another process holds it.  The lock file
        is removed on release, so a holder re-checks that the file it locked is still the one
        at the path (else a releaser removed it in between, and it tries again).  A lock this
        process reserved for the folder (``reserve_folder``) is taken over."""
        reserved = _RESERVED.pop(str(self.folder.absolute()), None)
        if reserved is not None and reserved._fd is not None:
            self._fd, reserved._fd = reserved._fd, None
            return True
        while True:
            try:
                self.folder.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            except OSError as exc:
                raise write_error(self.path, exc) from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                return False
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return True

    def holder(self) -> str:
        with contextlib.suppress(OSError):
            return self.path.read_text().strip() or "?"
        return "?"

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.path)  # while still holding it: see acquire
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    def __enter__(self) -> FolderLock:
        if not self.acquire():
            raise TextkitError(
                f"another run (process {self.holder()}) is training {self.folder} right now; "
                "wait for it, or choose another --name"
            )
        return self

    def __exit__(self, *exc) -> None:
        self.release()
