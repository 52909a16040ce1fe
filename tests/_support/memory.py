"""Peak memory as the operating system sees it: the process's anonymous resident memory
(heap: Python, numpy and torch's own allocator alike), sampled every few milliseconds.
tracemalloc sees only Python's allocations, and ``ru_maxrss`` also counts the pages of
memory-mapped files read, which the kernel can drop at will."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

SAMPLE_S = 0.002


def anon_bytes() -> int:
    """This process's anonymous resident memory now (Linux: RssAnon)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    raise OSError("no RssAnon in /proc/self/status")


def peak_anon_bytes(fn: Callable[[], object]) -> int:
    """The highest anonymous resident memory seen while ``fn`` runs."""
    peak = anon_bytes()
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, anon_bytes())
            time.sleep(SAMPLE_S)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        fn()
    finally:
        done.set()
        watcher.join()
    return max(peak, anon_bytes())
