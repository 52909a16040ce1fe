"""Training on several processes (GPUs or machines) under ``torchrun``, with torch.distributed.

torchrun starts one process per GPU (or per CPU worker) and tells each its place through the
environment (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``...).  ``context()`` reads
that once and joins the process group: NCCL for CUDA tensors, gloo for CPU ones.  Outside
torchrun it is rank 0 of 1 and every helper here is a no-op, so the training loop has one code
path.  The loop decides everything that must agree across ranks (when to stop, the validation
metrics, keep-best) on rank 0 or by a reduction, so no rank can wait for a collective that the
others skip.
"""

from __future__ import annotations

import atexit
import os
import socket
import time
import warnings
from dataclasses import dataclass

import torch

from textkit.errors import TextkitError


@dataclass(frozen=True)
class Dist:
    """This process's place in the job."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    grouped: bool = False  # joined a process group (torchrun started this process)
    launcher: int = 0  # the parent process (torchrun) at joining: gone means orphaned
    peers: tuple[tuple[str, int], ...] = ()  # (host, pid) of every rank, in rank order

    @property
    def enabled(self) -> bool:
        """Under torchrun, even alone: one process on one GPU still runs the distributed path
        (DDP, collectives over NCCL), which is how the GPU check proves it on one GPU."""
        return self.grouped

    @property
    def is_main(self) -> bool:
        """Rank 0: the one process that writes files, logs and shows progress."""
        return self.rank == 0

    def device(self, device: torch.device) -> torch.device:
        """A CUDA device becomes this process's own GPU (``cuda:LOCAL_RANK``)."""
        if self.enabled and device.type == "cuda":
            return torch.device("cuda", self.local_rank)
        return device

    # collectives: every rank must call them at the same point -------------------------
    def any(self, flags: list[bool]) -> list[bool]:
        """Each flag, true if it is true on any rank (e.g. "stop": Ctrl-C reached one rank).
        A CPU tensor over gloo: asking every step never makes a GPU wait for the host."""
        if not self.enabled:
            return flags
        t = torch.tensor([float(f) for f in flags])
        torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.MAX)
        return [bool(v) for v in t.tolist()]

    def mean(self, t: torch.Tensor) -> torch.Tensor:
        """``t`` averaged over ranks (a running loss, so every rank reports the same)."""
        if not self.enabled:
            return t
        t = t.detach().clone()
        torch.distributed.all_reduce(t)
        return t / self.world

    def share(self, obj):
        """Rank 0's ``obj`` on every rank (validation metrics computed once), over gloo."""
        if not self.enabled:
            return obj
        box = [obj if self.is_main else None]
        torch.distributed.broadcast_object_list(box, src=0, device=torch.device("cpu"))
        return box[0]

    def gather_rows(self, t: torch.Tensor, dim: int) -> torch.Tensor:
        """Every rank's ``t`` joined along ``dim`` in rank order (each rank holds its share of
        the batch rows; a checkpoint stores all of them)."""
        if not self.enabled:
            return t
        parts = [torch.empty_like(t) for _ in range(self.world)]
        torch.distributed.all_gather(parts, t.contiguous())
        return torch.cat(parts, dim)

    def rows(self, n: int) -> slice:
        """This rank's share of ``n`` batch rows: contiguous, all rows covered, equal shares
        when ``world`` divides ``n``."""
        return slice(self.rank * n // self.world, (self.rank + 1) * n // self.world)

    def barrier(self) -> None:
        if self.enabled:
            torch.distributed.barrier()

    # failures of the job -----------------------------------------------------------------
    def orphaned(self) -> bool:
        """Whether the launcher that started this rank is gone (``kill -9`` of torchrun): the
        rank was re-parented.  The loop stops every rank at the same step on it, as on
        SIGTERM, instead of training on as an orphan nobody can stop."""
        return self.enabled and os.getppid() != self.launcher

    def lost_peer(self, exc: BaseException) -> str | None:
        """Which rank an exception from a collective says is gone (its peer died or its
        connection broke), as words; None when ``exc`` is no such failure."""
        if not self.enabled or not _is_collective_failure(exc):
            return None
        here = socket.gethostname()
        local = [
            (r, pid) for r, (host, pid) in enumerate(self.peers) if r != self.rank and host == here
        ]
        # a killed peer's sockets close while it is still exiting: give it a moment to be gone
        deadline = time.monotonic() + PEER_EXIT_S
        while True:
            gone = [f"rank {rank} (pid {pid})" for rank, pid in local if not _alive(pid)]
            if gone or time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        if gone:
            return f"{', '.join(gone)} of this torchrun job stopped"
        return "another process of this torchrun job stopped or lost its connection"


_CONTEXT: Dist | None = None


def context() -> Dist:
    """This process's place, joining the process group on first call when torchrun started
    it (it sets ``WORLD_SIZE``, also to 1).  Other ranks than 0 stay quiet: no warnings, no
    logs."""
    global _CONTEXT
    if _CONTEXT is not None:
        return _CONTEXT
    if not _started_by_torchrun():
        _CONTEXT = Dist()
        return _CONTEXT
    import torch.distributed as dist

    local_rank = int(os.environ["LOCAL_RANK"])
    if not dist.is_initialized():
        if torch.cuda.is_available():
            torch.cuda.set_device(local_rank)
            backend = "cpu:gloo,cuda:nccl"  # CUDA tensors over NCCL, CPU ones over gloo
        else:
            backend = "gloo"
        try:
            dist.init_process_group(backend)
        except (RuntimeError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise TextkitError(f"could not join the torchrun job ({first})") from None
        atexit.register(_leave)
    peers: list = [None] * dist.get_world_size()
    dist.all_gather_object(peers, (socket.gethostname(), os.getpid()))
    _CONTEXT = Dist(
        dist.get_rank(),
        dist.get_world_size(),
        local_rank,
        grouped=True,
        launcher=os.getppid(),
        peers=tuple(map(tuple, peers)),
    )
    if not _CONTEXT.is_main:
        warnings.simplefilter("ignore")
    return _CONTEXT


PEER_EXIT_S = 3.0  # how long a lost peer may take to exit before it is named "unknown"

TORCHRUN_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


def _started_by_torchrun() -> bool:
    """Whether torchrun started this process: WORLD_SIZE and MASTER_ADDR are set.  A partial
    or malformed set (a stray variable left in a shell) is one clear error, not torch's."""
    env = os.environ
    if "WORLD_SIZE" not in env or "MASTER_ADDR" not in env:
        return False
    missing = [v for v in TORCHRUN_VARIABLES if v not in env]
    numeric = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_PORT")
    bad = [f"{v}={env[v]!r}" for v in numeric if v in env and not env[v].isdigit()]
    if missing or bad:
        found = " ".join(v for v in TORCHRUN_VARIABLES if v in env)
        problem = f"{', '.join(missing)} missing" if missing else ", ".join(bad)
        raise TextkitError(
            f"the environment looks like a torchrun job ({found}) but is not one ({problem}): "
            f"run the command under torchrun, or unset {found}"
        )
    return True


def _is_collective_failure(exc: BaseException) -> bool:
    """torch's distributed errors, and the RuntimeError gloo raises when a peer's socket
    closes ("Connection reset by peer", "Connection closed by peer")."""
    dist_error = getattr(torch.distributed, "DistError", None)
    if dist_error is not None and isinstance(exc, dist_error):
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and ("gloo" in text or "by peer" in text or "NCCL" in text)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (on this host); a zombie, killed but not yet reaped by
    torchrun, counts as gone."""
    if os.path.isdir("/proc"):
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _leave() -> None:
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()
