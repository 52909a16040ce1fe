"""Which process of a torchrun job this is, read from the environment torchrun sets (torch-free,
so code that never imports torch can still leave the writing to rank 0)."""

from __future__ import annotations

import os


def this_rank() -> int:
    """``RANK`` when torchrun started several processes (``WORLD_SIZE`` > 1), else 0."""
    try:
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:
            return int(os.environ.get("RANK", "0"))
    except ValueError:
        pass
    return 0


def is_main_process() -> bool:
    """Rank 0: the one process that writes model folders, logs and shows progress."""
    return this_rank() == 0
