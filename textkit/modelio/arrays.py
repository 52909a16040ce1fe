"""Arrays on disk: safetensors files (numpy or torch) with a SHA-256 over each array's name
and bytes in the header, checked on reading; NaN and infinities refused.  Torch is imported
only when torch tensors are asked for."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from textkit import safejson
from textkit.atomic import atomic_write_bytes
from textkit.errors import TextkitError


def _is_torch(value: Any) -> bool:
    return type(value).__module__.startswith("torch")


MAX_HEADER_BYTES = 100_000_000  # a safetensors header longer than this is not one of ours


def _parse_header(data: bytes, path: Path) -> tuple[dict, int]:
    """The safetensors JSON header and where the data buffer starts."""
    try:
        if len(data) < 8:
            raise ValueError("file shorter than its header")
        n = int.from_bytes(bytes(data[:8]), "little")
        if n > len(data) - 8:
            raise ValueError("header longer than the file")
        header = safejson.loads(bytes(data[8 : 8 + n]))
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
    header["__metadata__"] = {
        **header.get("__metadata__", {}),
        "sha256": _digest(header, memoryview(data)[start:]),
    }
    # re-serialise the header with the checksum; safetensors pads it to 8 bytes with spaces
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    atomic_write_bytes(path, len(head).to_bytes(8, "little") + head + data[start:])


def _read_header(path: Path) -> tuple[dict, int]:
    """The header of the safetensors file at ``path`` and where its data starts, read without
    the arrays; a file whose size is not what the header describes is refused here, before
    anything the size of the file is allocated (a sparse 6 GB tail costs nothing to make)."""
    if not path.is_file():
        raise TextkitError(f"{path} is missing: the model folder holds no weights")
    with open(path, "rb") as fh:
        first = fh.read(8)
        n = int.from_bytes(first, "little") if len(first) == 8 else -1
        rest = fh.read(min(max(n, 0), MAX_HEADER_BYTES))
    header, start = _parse_header(first + rest, path)
    try:
        ends = [int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"]
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise TextkitError(f"{path} is corrupt (its header lists no offsets for an array)") from exc
    size, described = path.stat().st_size, start + max(ends, default=0)
    if size != described:
        raise TextkitError(
            f"{path} is corrupt or truncated: {size:,} bytes where its header describes "
            f"{described:,}; retrain or restore it"
        )
    return header, start


def read_array_header(path: Path) -> dict[str, tuple[str, list[int]]]:
    """{name: (dtype, shape)} from a safetensors file's header, without reading its arrays."""
    header, _ = _read_header(Path(path))
    try:
        return {k: (v["dtype"], list(v["shape"])) for k, v in header.items() if k != "__metadata__"}
    except (KeyError, TypeError) as exc:
        raise TextkitError(f"{path} is corrupt (its header lists no shape for an array)") from exc


def load_arrays(path: Path, framework: str = "numpy") -> dict[str, Any]:
    """Read a safetensors file as numpy arrays (``framework="numpy"``) or CPU torch tensors
    (``"pt"``), refusing missing, truncated or corrupted files.  Numpy arrays are views of the
    one buffer the file is read into (safetensors' own reader copies each array once more: a
    second pass over a large model's tens of MB)."""
    path = Path(path)
    _read_header(path)  # the size is checked before the file is read
    data = _read_writable(path) if framework == "numpy" else path.read_bytes()
    header, start = _parse_header(data, path)
    meta = header.get("__metadata__")
    expected = meta.get("sha256") if isinstance(meta, dict) else None
    try:
        if framework == "pt":
            from safetensors.torch import load

            arrays = load(data)
        else:
            arrays = _numpy_views(header, data[start:])
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


def _read_writable(path: Path):
    """The file's bytes in a writable numpy buffer, read once (no zero-filling first)."""
    import numpy as np

    buffer = np.empty(path.stat().st_size, dtype=np.uint8)
    with open(path, "rb", buffering=0) as fh:
        if fh.readinto(memoryview(buffer)) != len(buffer):
            raise TextkitError(f"{path} changed while it was read; load it again")
    return buffer


# safetensors' dtype names -> numpy's (the ones numpy has)
_DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
    "I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?",
}  # fmt: skip


def _numpy_views(header: dict, buffer) -> dict[str, Any]:
    """Each array of a safetensors header as a view of ``buffer`` (the bytes after the header),
    with the checks safetensors makes: a known dtype, offsets inside the buffer, and a size
    that matches the shape."""
    import numpy as np

    arrays = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = np.dtype(_DTYPES[info["dtype"]])
        begin, end = (int(x) for x in info["data_offsets"])
        shape = [int(n) for n in info["shape"]]
        if not 0 <= begin <= end <= len(buffer) or min(shape, default=0) < 0:
            raise ValueError(f"{name!r} lies outside the file")
        if end - begin != math.prod(shape) * dtype.itemsize:
            raise ValueError(f"{name!r} has {end - begin} bytes for the shape {shape}")
        arrays[name] = buffer[begin:end].view(dtype).reshape(shape)
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
