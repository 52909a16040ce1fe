"""Device choice, mixed precision and seeding, shared by every torch trainer.

One code path for CPU and GPU: callers ask for a device, wrap forward passes in
``autocast(device)`` and step through a ``GradScaler`` that is a no-op where it isn't needed.
"""

from __future__ import annotations

import contextlib
import functools
import os
import random
import re

import numpy as np
import torch

from textkit.errors import TextkitError
from textkit.settings import DEVICES as DEVICE_CHOICES


def resolve_device(spec: str | torch.device | None = "auto") -> torch.device:
    """Turn ``auto|cpu|cuda|cuda:N|mps`` into a torch.device, checking it exists."""
    if isinstance(spec, torch.device):
        return spec
    spec = (spec or "auto").strip().lower()
    if spec == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if spec == "cpu":
        return torch.device("cpu")
    if re.fullmatch(r"cuda(:\d+)?", spec):
        if not torch.cuda.is_available():
            raise TextkitError(f"--device {spec}: CUDA is not available here; use --device cpu")
        index = int(spec.split(":")[1]) if ":" in spec else 0
        if index >= torch.cuda.device_count():
            raise TextkitError(
                f"--device {spec}: only {torch.cuda.device_count()} CUDA device(s) present"
            )
        return torch.device("cuda", index)
    if spec == "mps":
        if not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise TextkitError("--device mps: Apple MPS is not available here; use --device cpu")
        return torch.device("mps")
    raise TextkitError(f"unknown device {spec!r}; choose one of {DEVICE_CHOICES}")


def memory_available(device: torch.device) -> int | None:
    """Total memory of ``device`` in bytes (a GPU's, or the machine's RAM), None if unknown."""
    if device.type == "cuda":
        return torch.cuda.get_device_properties(device).total_memory
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


@functools.cache
def _bf16_rnn_works(device: torch.device) -> bool:
    """cuDNN runs recurrent layers in bf16 only from cuDNN 9.13 on; older stacks raise
    "not implemented for 'BFloat16'". One tiny LSTM step tells, once per device."""
    try:
        lstm = torch.nn.LSTM(8, 8).to(device)
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
            out, _ = lstm(torch.randn(2, 1, 8, device=device))
        out.float().sum().backward()
        return True
    except RuntimeError:
        return False


def amp_dtype(device: torch.device) -> torch.dtype | None:
    """The mixed-precision dtype for this device: bf16 where the GPU and its cuDNN support it
    (no loss scaling needed), fp16 otherwise, None (full fp32) on CPU and MPS."""
    if device.type != "cuda":
        return None
    if torch.cuda.is_bf16_supported() and _bf16_rnn_works(device):
        return torch.bfloat16
    return torch.float16


def autocast(device: torch.device, enabled: bool = True) -> contextlib.AbstractContextManager:
    """Autocast on CUDA; a null context elsewhere (CPU autocast slows RNNs down)."""
    dtype = amp_dtype(device)
    if not enabled or dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def grad_scaler(device: torch.device, enabled: bool = True) -> torch.amp.GradScaler:
    """A GradScaler that is active only for fp16 (bf16 and fp32 need no loss scaling)."""
    active = enabled and amp_dtype(device) == torch.float16
    return torch.amp.GradScaler(device.type if device.type == "cuda" else "cpu", enabled=active)


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (all devices) so runs repeat exactly.  (Python's string
    hashing is salted when the interpreter starts, so nothing here can seed it; textkit never
    lets a run depend on it: gensim gets a stable hash function, see embeddings.model.)"""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def rng_state() -> dict:
    """Every RNG state a resumed run needs to continue exactly where it stopped."""
    state = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return _to_safe(state)


def set_rng_state(state: dict) -> None:
    """Restore what ``rng_state`` captured."""
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    np_state = state["numpy"]
    np.random.set_state((np_state[0], np.asarray(np_state[1], dtype=np.uint32), *np_state[2:]))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _to_safe(state: dict) -> dict:
    """Convert numpy parts to lists/tensors so ``torch.load(weights_only=True)`` accepts them."""
    np_state = state["numpy"]
    state["numpy"] = [np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), *np_state[2:]]
    state["python"] = [state["python"][0], list(state["python"][1]), state["python"][2]]
    return state
